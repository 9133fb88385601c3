package tracks

import (
	"context"
	"math/rand/v2"
	"slices"
	"testing"
	"time"

	"github.com/jiaotong-platform/jiaotong/internal/gateway"
	"github.com/jiaotong-platform/jiaotong/internal/platform/sqldb"
	"github.com/jiaotong-platform/jiaotong/internal/platform/sqldb/sqldbtest"
)

// benchDBs runs a benchmark on SQLite and, when reachable, PostgreSQL.
func benchDBs(b *testing.B, fn func(b *testing.B, db *sqldb.DB)) {
	b.Run("sqlite", func(b *testing.B) { fn(b, sqldbtest.OpenSQLite(b)) })
	b.Run("postgres", func(b *testing.B) { fn(b, sqldbtest.OpenPostgres(b)) })
}

// BenchmarkIngest measures sustained ingest from decoded positions into
// sealed chunks in SQL: 2,000 vehicles reporting every 30 s, one hour per
// round (120 points per vehicle), sealed in batched transactions. It
// reports positions per second and stored bytes per position.
func BenchmarkIngest(b *testing.B) {
	benchDBs(b, func(b *testing.B, db *sqldb.DB) {
		svc := newService(b, db, nil, Config{ChunkPoints: 120})
		r := rand.New(rand.NewPCG(1, 1))
		const vehicles, perVehicle = 2000, 120
		start := time.Date(2026, 3, 5, 0, 0, 0, 0, time.UTC)
		// Messages as the gateway sends them: interleaved in time.
		var msgs [][]gateway.Position
		tracks := make([][]gateway.Position, vehicles)
		for v := range vehicles {
			tracks[v] = simPositions(r, int64(v+1), start, perVehicle, 30*time.Second)
		}
		for i := range perVehicle {
			var m []gateway.Position
			for v := range vehicles {
				m = append(m, tracks[v][i])
				if len(m) == 500 {
					msgs = append(msgs, m)
					m = nil
				}
			}
			if len(m) > 0 {
				msgs = append(msgs, m)
			}
		}
		ctx := context.Background()
		seq := uint64(0)
		round := 0
		b.ResetTimer()
		for b.Loop() {
			// Shift the round by a day so every round writes new chunks.
			shift := time.Duration(round) * 24 * time.Hour
			round++
			for _, m := range msgs {
				seq++
				if shift != 0 {
					m = slices.Clone(m)
					for i := range m {
						m[i].DeviceTime = m[i].DeviceTime.Add(shift)
					}
				}
				svc.Ingest(seq, m)
			}
			if _, err := svc.Seal(ctx, false); err != nil {
				b.Fatal(err)
			}
		}
		b.StopTimer()
		var size, points int64
		if err := db.Read().QueryRowContext(ctx, `SELECT COALESCE(SUM(LENGTH(data)),0), COALESCE(SUM(points),0) FROM track_chunk`).Scan(&size, &points); err != nil {
			b.Fatal(err)
		}
		b.ReportMetric(float64(vehicles*perVehicle*round)/b.Elapsed().Seconds(), "pos/s")
		b.ReportMetric(float64(size)/float64(points), "bytes/pos")
	})
}

// BenchmarkQueryDay measures one vehicle's one-day track at 30 s (2,880
// points in 24 chunks) among 200 vehicles; it reports p99 latency.
func BenchmarkQueryDay(b *testing.B) {
	benchDBs(b, func(b *testing.B, db *sqldb.DB) {
		svc := newService(b, db, nil, Config{ChunkPoints: 720})
		r := rand.New(rand.NewPCG(2, 2))
		start := time.Date(2026, 3, 6, 0, 0, 0, 0, time.UTC)
		for v := int64(1); v <= 200; v++ {
			svc.Ingest(uint64(v), simPositions(r, v, start, 2880, 30*time.Second))
		}
		ctx := admin()
		if _, err := svc.Seal(ctx, true); err != nil {
			b.Fatal(err)
		}
		var lat []time.Duration
		b.ResetTimer()
		for b.Loop() {
			t0 := time.Now()
			pts, err := svc.Track(ctx, 1+int64(len(lat)%200), start, start.Add(24*time.Hour))
			if err != nil || len(pts) != 2880 {
				b.Fatalf("%d points, %v", len(pts), err)
			}
			lat = append(lat, time.Since(t0))
		}
		slices.Sort(lat)
		b.ReportMetric(float64(lat[len(lat)*99/100].Microseconds())/1000, "p99-ms")
	})
}

// BenchmarkWhoWasHere asks which of 10,000 vehicles (05:00 to 11:00 at
// 30 s each, 7.2 million points, spread over a city) were inside a 1 km²
// box between 08:00 and 09:00.
func BenchmarkWhoWasHere(b *testing.B) {
	benchDBs(b, func(b *testing.B, db *sqldb.DB) {
		svc := newService(b, db, nil, Config{ChunkPoints: 720})
		r := rand.New(rand.NewPCG(3, 3))
		day := time.Date(2026, 3, 7, 0, 0, 0, 0, time.UTC)
		ctx := admin()
		for v := int64(1); v <= 10_000; v++ {
			svc.Ingest(uint64(v), simPositions(r, v, day.Add(5*time.Hour), 720, 30*time.Second))
			if v%500 == 0 {
				if _, err := svc.Seal(ctx, true); err != nil {
					b.Fatal(err)
				}
			}
		}
		box := Area{Box: Box{MinLat: 30_670_000, MinLon: 104_070_000, MaxLat: 30_679_000, MaxLon: 104_080_400}}
		found := 0
		b.ResetTimer()
		for b.Loop() {
			visits, err := svc.WhoWasHere(ctx, box, day.Add(8*time.Hour), day.Add(9*time.Hour))
			if err != nil {
				b.Fatal(err)
			}
			found = len(visits)
		}
		b.ReportMetric(float64(found), "vehicles")
	})
}
