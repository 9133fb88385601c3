package tracks

import (
	"math/rand/v2"
	"slices"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/jiaotong-platform/jiaotong/internal/gateway"
	"github.com/jiaotong-platform/jiaotong/internal/platform/sqldb"
	"github.com/jiaotong-platform/jiaotong/internal/platform/sqldb/sqldbtest"
)

// TestPositionsInEqualPositionsOut ingests shuffled tracks with late
// points and re-sends, seals part of them, and reads every field back.
func TestPositionsInEqualPositionsOut(t *testing.T) {
	sqldbtest.Run(t, func(t *testing.T, db *sqldb.DB) {
		svc := newService(t, db, nil, Config{ChunkPoints: 50})
		r := rand.New(rand.NewPCG(1, 2))
		start := time.Date(2026, 3, 1, 7, 30, 0, 0, time.UTC)
		tracks := map[int64][]gateway.Position{}
		var stream []gateway.Position
		for v := int64(1); v <= 5; v++ {
			ps := simPositions(r, v, start, 300, 30*time.Second)
			ps[7].BlindArea, ps[8].Alarm, ps[9].Has = true, 1<<3, 0
			ps[9].Mileage, ps[9].Signal, ps[9].Satellites = 0, 0, 0
			tracks[v] = ps
			stream = append(stream, ps...)
		}
		// Deliver in time order overall, but hold back a blind-area block
		// of each vehicle until the end and re-send some points.
		slices.SortStableFunc(stream, func(a, b gateway.Position) int { return a.DeviceTime.Compare(b.DeviceTime) })
		var late []gateway.Position
		var live []gateway.Position
		for _, p := range stream {
			off := p.DeviceTime.Sub(start)
			if off >= 40*time.Minute && off < 70*time.Minute {
				late = append(late, p)
			} else {
				live = append(live, p)
			}
		}
		seq := uint64(0)
		for i := 0; i < len(live); i += 37 {
			seq++
			svc.Ingest(seq, live[i:min(i+37, len(live))])
			if seq%5 == 0 {
				if _, err := svc.Seal(admin(), false); err != nil {
					t.Fatal(err)
				}
			}
		}
		if _, err := svc.Seal(admin(), true); err != nil {
			t.Fatal(err)
		}
		seq++
		svc.Ingest(seq, late)
		seq++
		svc.Ingest(seq, live[100:140]) // re-sends of points already sealed
		if _, err := svc.Seal(admin(), false); err != nil {
			t.Fatal(err)
		}
		for v, ps := range tracks {
			got, err := svc.Track(admin(), v, start.Add(-time.Hour), start.Add(4*time.Hour))
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(want(ps), got); diff != "" {
				t.Fatalf("vehicle %d (-in +out):\n%s", v, diff)
			}
		}
		// A window in the middle, crossing chunks.
		from, to := start.Add(35*time.Minute), start.Add(75*time.Minute)
		got, err := svc.Track(admin(), 3, from, to)
		if err != nil {
			t.Fatal(err)
		}
		var exp []Point
		for _, p := range want(tracks[3]) {
			if p.Time >= from.UnixMilli() && p.Time <= to.UnixMilli() {
				exp = append(exp, p)
			}
		}
		if diff := cmp.Diff(exp, got); diff != "" {
			t.Fatalf("window (-want +got):\n%s", diff)
		}
		last, err := svc.Last(admin(), 2, 10)
		if err != nil {
			t.Fatal(err)
		}
		all := want(tracks[2])
		if diff := cmp.Diff(all[len(all)-10:], last); diff != "" {
			t.Fatalf("last 10 (-want +got):\n%s", diff)
		}
	})
}

func TestRetentionDeletesOnlyExpired(t *testing.T) {
	sqldbtest.Run(t, func(t *testing.T, db *sqldb.DB) {
		svc := newService(t, db, nil, Config{ChunkPoints: 20, Retention: 48 * time.Hour, RetentionBatch: 3})
		now := time.Date(2026, 3, 10, 12, 0, 0, 0, time.UTC)
		svc.now = func() time.Time { return now }
		r := rand.New(rand.NewPCG(3, 4))
		old := simPositions(r, 1, now.Add(-72*time.Hour), 200, 30*time.Second)
		fresh := simPositions(r, 1, now.Add(-24*time.Hour), 200, 30*time.Second)
		svc.Ingest(1, old)
		svc.Ingest(2, fresh)
		if _, err := svc.Seal(admin(), true); err != nil {
			t.Fatal(err)
		}
		n, err := svc.Expire(admin())
		if err != nil {
			t.Fatal(err)
		}
		if n != 10 {
			t.Errorf("deleted %d chunks, want 10", n)
		}
		got, err := svc.Track(admin(), 1, now.Add(-100*time.Hour), now)
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(want(fresh), got); diff != "" {
			t.Fatalf("after retention (-want +got):\n%s", diff)
		}
	})
}
