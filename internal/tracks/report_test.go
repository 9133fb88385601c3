package tracks

import (
	"testing"
	"time"
)

// line builds a track along a meridian: speeds in km/h per 30 s step (the
// position advances accordingly); a negative speed inserts a silence of
// that many minutes without moving.
func line(start time.Time, speeds ...float64) []Point {
	var pts []Point
	t, lat := start.UnixMilli(), int32(30_000_000)
	for _, v := range speeds {
		if v < 0 {
			t += int64(-v * 60_000)
			v = 0
		} else if len(pts) > 0 {
			t += 30_000
		}
		lat += int32(v / 3.6 * 30 * 9) // ~9 micro-degrees per metre
		pts = append(pts, Point{Time: t, Lat: lat, Lon: 104_000_000, Speed: uint16(v * 10)})
	}
	return pts
}

func TestTripsAndStops(t *testing.T) {
	cfg := DefaultConfig().Reports
	start := time.Date(2026, 3, 4, 0, 0, 0, 0, time.UTC)
	var speeds []float64
	for range 20 {
		speeds = append(speeds, 60)
	}
	for range 12 { // 6 minutes standing
		speeds = append(speeds, 0)
	}
	for range 20 {
		speeds = append(speeds, 50)
	}
	speeds = append(speeds, -30) // engine off for half an hour
	for range 10 {
		speeds = append(speeds, 40)
	}
	trips, stops := tripsAndStops(line(start, speeds...), cfg)
	if len(stops) != 2 || stops[0].NoSignal || !stops[1].NoSignal {
		t.Fatalf("stops = %+v, want a standstill then a silence", stops)
	}
	if len(trips) != 3 {
		t.Fatalf("trips = %+v, want 3", trips)
	}
	if trips[0].MaxSpeedKmh != 60 {
		t.Errorf("first trip max speed %v", trips[0].MaxSpeedKmh)
	}
}

func TestQualityAndMileage(t *testing.T) {
	cfg := DefaultConfig().Reports
	start := time.Date(2026, 3, 4, 0, 0, 0, 0, time.UTC)
	pts := line(start, 60, 60, 60, -20, 60, 60)
	pts[4].Lat += 2_000_000 // a 200 km jump in 30 s
	marks := qualityMarks(pts, cfg)
	kinds := map[string]int{}
	for _, m := range marks {
		kinds[m.Kind]++
	}
	if kinds["gap"] != 1 || kinds["drift"] != 2 {
		t.Fatalf("marks = %+v", marks)
	}
	m := computeMileage(pts, cfg)
	if m.Source != "geometry" || m.DriftPoints != 1 || m.Km > 3 {
		t.Fatalf("mileage = %+v: the drift point must be left out", m)
	}
	// A trustworthy odometer wins; a decreasing one does not.
	for i := range pts {
		pts[i].Has, pts[i].Mileage = HasMileage, uint32(1000+i*5)
	}
	pts[4].Lat -= 2_000_000
	if m := computeMileage(pts, cfg); m.Source != "odometer" || m.Km != 2.5 {
		t.Fatalf("odometer mileage = %+v", m)
	}
	pts[3].Mileage = 1
	if m := computeMileage(pts, cfg); m.Source != "geometry" {
		t.Fatalf("decreasing odometer trusted: %+v", m)
	}
}

func TestDailyAndSimplify(t *testing.T) {
	cfg := DefaultConfig().Reports
	start := time.Date(2026, 3, 4, 15, 50, 0, 0, time.UTC) // 23:50 CST
	pts := line(start, 60, 60, 60, 60, 60, 60, 60, 60, 60, 60, 60, 60, 60, 60, 60, 60, 60, 60, 60, 60, 60, 60, 60, 60)
	pts[2].Alarm, pts[3].Alarm, pts[5].Alarm = 1, 1|4, 4
	days := dailySummaries(pts, cfg)
	if len(days) != 2 || days[0].Date.String() != "2026-03-04" || days[1].Date.String() != "2026-03-05" {
		t.Fatalf("days = %+v", days)
	}
	if days[0].Alarms != 3 || days[0].Points+days[1].Points != len(pts) || days[0].MaxSpeedKmh != 60 {
		t.Fatalf("day 1 = %+v", days[0])
	}
	if s := Simplify(pts, 10); len(s) != 2 {
		t.Fatalf("a straight line simplifies to %d points", len(s))
	}
}
