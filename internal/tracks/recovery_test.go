package tracks

import (
	"context"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/jiaotong-platform/jiaotong/internal/gateway"
	"github.com/jiaotong-platform/jiaotong/internal/platform/bus"
	"github.com/jiaotong-platform/jiaotong/internal/platform/bus/bustest"
	"github.com/jiaotong-platform/jiaotong/internal/platform/sqldb"
	"github.com/jiaotong-platform/jiaotong/internal/platform/sqldb/sqldbtest"
)

// TestCrashRecovery publishes position batches, kills ingest while some
// points are sealed and others only in memory (the run is cancelled with no
// flush), publishes more, restarts a fresh service on the same database
// and checks every vehicle's track: no gap, no duplicate.
func TestCrashRecovery(t *testing.T) {
	bustest.Run(t, func(t *testing.T, b *bus.Bus) {
		sqldbtest.Run(t, func(t *testing.T, db *sqldb.DB) {
			ctx := context.Background()
			prefix := bustest.Prefix(t, b)
			cfg := Config{
				Stream: prefix + "_POS", SubjectPrefix: prefix + ".pos",
				ChunkPoints: 40, SealEvery: 10 * time.Millisecond, HeadAge: time.Hour,
			}
			if err := b.EnsureStream(ctx, bus.StreamConfig{Name: cfg.Stream, Subjects: []string{cfg.SubjectPrefix + ".>"}}); err != nil {
				t.Fatal(err)
			}
			r := rand.New(rand.NewPCG(5, 6))
			start := time.Now().Truncate(time.Hour).Add(-3 * time.Hour) // within retention
			const vehicles, perVehicle = 12, 120
			tracks := map[int64][]gateway.Position{}
			for v := int64(1); v <= vehicles; v++ {
				tracks[v] = simPositions(r, v, start, perVehicle, 30*time.Second)
			}
			// Each message carries the next few points of a few vehicles,
			// on the vehicle's partition subject, as the gateway sends them.
			publishTo := func(from, to int, first, last int64) {
				t.Helper()
				for i := from; i < to; i += 4 {
					byPart := map[int][]gateway.Position{}
					for v := first; v <= last; v++ {
						part := gateway.Partition(v, 4)
						byPart[part] = append(byPart[part], tracks[v][i:min(i+4, to)]...)
					}
					for part, ps := range byPart {
						subject := cfg.SubjectPrefix + "." + string(rune('0'+part))
						if _, err := b.Publish(ctx, subject, gateway.AppendPositions(nil, ps)); err != nil {
							t.Fatal(err)
						}
					}
				}
			}
			publish := func(from, to int) { publishTo(from, to, 1, vehicles) }
			if err := db.Migrate(ctx, Module()); err != nil {
				t.Fatal(err)
			}
			waitFor := func(what string, cond func() bool) {
				t.Helper()
				deadline := time.Now().Add(30 * time.Second)
				for !cond() {
					if time.Now().After(deadline) {
						t.Fatalf("timed out waiting for %s: sealed %d", what, sealedPoints(t, db))
					}
					time.Sleep(5 * time.Millisecond)
				}
			}
			// 40 points per vehicle fill a head and are sealed; the next 10
			// stay in memory when the kill comes.
			publish(0, 40)
			first := New(db, b, nil, cfg, nil)
			runCtx, kill := context.WithCancel(ctx)
			done := make(chan error, 1)
			go func() { done <- first.Run(runCtx) }()
			waitFor("first seal", func() bool { return sealedPoints(t, db) == vehicles*40 })
			// Then every vehicle gets 10 more points (held in memory), and
			// the first half 40 more, which seals their heads: the replay
			// checkpoint stays at the other half's pending points, so the
			// restart replays messages whose points are partly sealed.
			publish(40, 50)
			publishTo(50, 90, 1, vehicles/2)
			waitFor("pending points", func() bool {
				return sealedPoints(t, db) == vehicles*40+vehicles/2*50 && first.Pending() == vehicles/2*10
			})
			kill()
			if err := <-done; err != nil {
				t.Fatalf("first run: %v", err)
			}
			publishTo(50, 90, vehicles/2+1, vehicles)
			publish(90, perVehicle)

			second := New(db, b, nil, cfg, nil)
			runCtx, stop := context.WithCancel(ctx)
			go func() { done <- second.Run(runCtx) }()
			total := vehicles * perVehicle
			deadline := time.Now().Add(30 * time.Second)
			for sealedPoints(t, db)+second.Pending() < total {
				if time.Now().After(deadline) {
					t.Fatalf("recovered %d + %d pending of %d points", sealedPoints(t, db), second.Pending(), total)
				}
				time.Sleep(10 * time.Millisecond)
			}
			stop()
			if err := <-done; err != nil {
				t.Fatalf("second run: %v", err)
			}
			if _, err := second.Seal(ctx, true); err != nil {
				t.Fatal(err)
			}
			if n := sealedPoints(t, db); n != total {
				t.Errorf("%d points sealed, want %d (duplicates or gaps)", n, total)
			}
			for v, ps := range tracks {
				got, err := second.Track(admin(), v, start.Add(-time.Minute), start.Add(3*time.Hour))
				if err != nil {
					t.Fatal(err)
				}
				if diff := cmp.Diff(want(ps), got); diff != "" {
					t.Fatalf("vehicle %d (-published +stored):\n%s", v, diff)
				}
			}
		})
	})
}

// sealedPoints counts the points in SQL (duplicates included).
func sealedPoints(t *testing.T, db *sqldb.DB) int {
	t.Helper()
	var n int
	if err := db.Read().QueryRowContext(context.Background(), `SELECT COALESCE(SUM(points), 0) FROM track_chunk`).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}
