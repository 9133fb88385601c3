package sim

import (
	"fmt"
	"math"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/jiaotong-platform/jiaotong/internal/protocol/jt808"
	"github.com/jiaotong-platform/jiaotong/internal/registry"
	"github.com/jiaotong-platform/jiaotong/internal/roadnet"
)

var testWorld = sync.OnceValues(Chengdu)

func world(t testing.TB) *World {
	t.Helper()
	w, err := testWorld()
	if err != nil {
		t.Fatalf("world: %v", err)
	}
	return w
}

// at is a CST wall-clock time on a fixed day.
func at(hour, minute int) time.Time { return time.Date(2026, 3, 10, hour, minute, 0, 0, cst) }

var categories = []registry.VehicleCategory{
	registry.CategoryTaxi, registry.CategoryBus, registry.CategoryCoach, registry.CategoryCharter,
	registry.CategoryHazmat, registry.CategoryHeavyTruck, registry.CategoryTruck, registry.CategoryTourism,
}

func testVehicle(i int, c registry.VehicleCategory) Vehicle {
	return Vehicle{ID: int64(i + 1), Plate: fmt.Sprintf("川A%05d", i), Category: c, TerminalPhone: fmt.Sprintf("139%08d", i+1)}
}

// testRoute is a real route: the fastest road path through three points
// of central Chengdu, with a station at each.
func testRoute(t testing.TB, w *World) *Route {
	t.Helper()
	sts := []roadnet.Point{{Lat: 30.6960, Lon: 104.0735}, {Lat: 30.6574, Lon: 104.0658}, {Lat: 30.6700, Lon: 104.1050}}
	r := w.G.NewRouter()
	var corr []roadnet.Point
	for i := 1; i < len(sts); i++ {
		p, err := r.RoutePoints(sts[i-1], sts[i], roadnet.ByTime)
		if err != nil {
			t.Fatalf("route: %v", err)
		}
		corr = append(corr, w.G.Geometry(p)...)
	}
	return &Route{ID: 1, Code: "T1", Corridor: corr, WidthM: 300, Stations: sts}
}

// drive runs one track from start for d and returns its outputs.
func drive(t testing.TB, v Vehicle, sc Scenario, start time.Time, d time.Duration) ([]Output, *Track) {
	t.Helper()
	w := world(t)
	tr := NewTrack(w, &v, sc, 7, start, TrackOptions{Interval: 30 * time.Second})
	r := w.G.NewRouter()
	var outs []Output
	for tr.NextAt().Before(start.Add(d)) {
		outs = append(outs, tr.Next(r))
	}
	return outs, tr
}

func locTime(t testing.TB, l *jt808.Location) time.Time {
	t.Helper()
	tm, err := l.Time.Time()
	if err != nil {
		t.Fatalf("time %v: %v", l.Time, err)
	}
	return tm
}

func pointOf(l *jt808.Location) roadnet.Point {
	return roadnet.FromMicro(int64(l.Lat), int64(l.Lon))
}

// TestThousandVehiclesOnRoads is the done-when check at generator level:
// 1,000 vehicles of every category for 20 simulated minutes report points
// on the roads (median distance to the nearest road under 5 m) at speeds
// within the limit of the road they are on.
func TestThousandVehiclesOnRoads(t *testing.T) {
	w := world(t)
	r := w.G.NewRouter()
	start := at(10, 0)
	var dists []float64
	var moving, reports int
	for i := range 1000 {
		v := testVehicle(i, categories[i%len(categories)])
		tr := NewTrack(w, &v, 0, 42, start, TrackOptions{Interval: 30 * time.Second})
		for tr.NextAt().Before(start.Add(20 * time.Minute)) {
			out := tr.Next(r)
			if out.Location == nil {
				t.Fatalf("vehicle %d: no live report without a scenario", i)
			}
			reports++
			s, ok := w.G.NearestEdge(pointOf(out.Location))
			if !ok {
				t.Fatal("no nearest edge")
			}
			dists = append(dists, s.Distance)
			speed := out.Location.SpeedKMH()
			if speed > 0 {
				moving++
			}
			if speed > out.Truth.LimitKmh {
				t.Errorf("vehicle %d (%s) at %s: %.1f km/h on a %.0f km/h road", i, v.Category, out.At.Format("15:04:05"),
					speed, out.Truth.LimitKmh)
			}
		}
	}
	slices.Sort(dists)
	median := dists[len(dists)/2]
	t.Logf("%d reports, %d moving, median distance to road %.2f m, p95 %.2f m", reports, moving, median, dists[len(dists)*95/100])
	if median >= 5 {
		t.Errorf("median distance to the nearest road %.2f m, want < 5 m", median)
	}
	if moving < reports/2 {
		t.Errorf("only %d of %d reports moving", moving, reports)
	}
}

func TestSameSeedSameReports(t *testing.T) {
	v := testVehicle(3, categories[3])
	a, _ := drive(t, v, Drift|SOS|BlindArea, at(9, 0), time.Hour)
	b, _ := drive(t, v, Drift|SOS|BlindArea, at(9, 0), time.Hour)
	if diff := cmp.Diff(a, b, cmp.Comparer(func(x, y time.Time) bool { return x.Equal(y) }), cmpopts.IgnoreUnexported(jt808.Location{})); diff != "" {
		t.Fatalf("same seed, different outputs (-a +b):\n%s", diff)
	}
}

func TestScenarioAssignment(t *testing.T) {
	var vs []Vehicle
	for i := range 200 {
		vs = append(vs, testVehicle(i, categories[i%len(categories)]))
	}
	mix, err := ParseMix("overspeed=10, fatigue=5,coach0205=50,offarea=100,off-route=5")
	if err != nil {
		t.Fatal(err)
	}
	got := mix.Assign(1, vs)
	count := map[Scenario]int{}
	for i, s := range got {
		for _, n := range scenarioNames {
			if s.Has(n.s) {
				count[n.s]++
				if !eligible(n.s, &vs[i]) {
					t.Errorf("vehicle %d (%s) got %s", i, vs[i].Category, n.name)
				}
			}
		}
	}
	want := map[Scenario]int{Overspeed: 20, Fatigue: 10, Coach0205: 13, OffArea: 50}
	if diff := cmp.Diff(want, count); diff != "" {
		t.Errorf("scenario counts (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff(got, mix.Assign(1, vs)); diff != "" {
		t.Errorf("assignment not deterministic:\n%s", diff)
	}
	for _, bad := range []string{"speeding=5", "overspeed", "overspeed=101", "fatigue=x"} {
		if _, err := ParseMix(bad); err == nil {
			t.Errorf("ParseMix(%q) accepted", bad)
		}
	}
}

// drivingSpans returns the continuous driving spans of a report sequence:
// from the first moving report after a stop of at least RestMin to the last
// moving report before the next such stop.
func drivingSpans(t testing.TB, outs []Output) []time.Duration {
	var spans []time.Duration
	var spanStart, lastMove, stillSince time.Time
	for _, o := range outs {
		if o.Location == nil {
			continue
		}
		tm := locTime(t, o.Location)
		if o.Location.Speed > 0 {
			if spanStart.IsZero() || (!stillSince.IsZero() && tm.Sub(stillSince) >= RestMin) {
				if !spanStart.IsZero() {
					spans = append(spans, lastMove.Sub(spanStart))
				}
				spanStart = tm
			}
			lastMove, stillSince = tm, time.Time{}
		} else if stillSince.IsZero() {
			stillSince = tm
		}
	}
	if !spanStart.IsZero() {
		spans = append(spans, lastMove.Sub(spanStart))
	}
	return spans
}

func TestScenarios(t *testing.T) {
	t.Parallel()
	w := world(t)
	route := testRoute(t, w)
	coach := testVehicle(1, registry.CategoryCoach)
	coach.Route = route
	taxi := testVehicle(2, registry.CategoryTaxi)
	truck := testVehicle(3, registry.CategoryHeavyTruck)
	charter := testVehicle(4, registry.CategoryCharter)

	t.Run("normal drivers rest before the fatigue limit", func(t *testing.T) {
		outs, _ := drive(t, coach, 0, at(6, 30), 9*time.Hour)
		for _, s := range drivingSpans(t, outs) {
			if s > FatigueLimit {
				t.Errorf("continuous driving of %s without the fatigue scenario", s)
			}
		}
	})
	t.Run("fatigue", func(t *testing.T) {
		outs, _ := drive(t, coach, Fatigue, at(8, 0), 5*time.Hour)
		longest := slices.Max(drivingSpans(t, outs))
		if longest <= FatigueLimit {
			t.Errorf("longest continuous driving %s, want > %s", longest, FatigueLimit)
		}
	})
	t.Run("overspeed", func(t *testing.T) {
		outs, _ := drive(t, taxi, Overspeed, at(10, 0), 30*time.Minute)
		var over int
		for _, o := range outs {
			if o.Location.SpeedKMH() > o.Truth.LimitKmh*1.1 {
				over++
			}
		}
		if over < len(outs)/4 {
			t.Errorf("%d of %d reports more than 10%% over the limit", over, len(outs))
		}
	})
	nightMoving := func(outs []Output, from, to int) int {
		n := 0
		for _, o := range outs {
			h := locTime(t, o.Location).In(cst).Hour()
			inWindow := h >= from && h < to
			if from > to {
				inWindow = h >= from || h < to
			}
			if inWindow && o.Location.Speed > 0 {
				n++
			}
		}
		return n
	}
	t.Run("night", func(t *testing.T) {
		normal, _ := drive(t, charter, 0, at(21, 0), 6*time.Hour)
		if n := nightMoving(normal, 23, 6); n > 0 {
			t.Errorf("a charter bus without the scenario moved in %d reports between 23:00 and 06:00", n)
		}
		night, _ := drive(t, charter, Night, at(21, 0), 6*time.Hour)
		if n := nightMoving(night, 23, 6); n < 60 {
			t.Errorf("night scenario: %d moving reports between 23:00 and 06:00, want many", n)
		}
	})
	t.Run("coach between 02:00 and 05:00", func(t *testing.T) {
		normal, _ := drive(t, coach, 0, at(1, 0), 5*time.Hour)
		if n := nightMoving(normal, 2, 5); n > 0 {
			t.Errorf("coach without the scenario moved in %d reports between 02:00 and 05:00", n)
		}
		outs, _ := drive(t, coach, Coach0205, at(1, 0), 5*time.Hour)
		if n := nightMoving(outs, 2, 5); n < 60 {
			t.Errorf("coach0205: %d moving reports between 02:00 and 05:00", n)
		}
	})
	t.Run("route and off-route", func(t *testing.T) {
		maxOff := func(outs []Output) float64 {
			m := 0.0
			for _, o := range outs {
				m = math.Max(m, distToPolyline(o.Truth.Point, route.Corridor))
			}
			return m
		}
		normal, _ := drive(t, coach, 0, at(9, 0), 3*time.Hour)
		if m := maxOff(normal); m > route.WidthM {
			t.Errorf("a coach on its route went %.0f m from the corridor (width %.0f m)", m, route.WidthM)
		}
		var stationStops int
		for _, o := range normal {
			if o.Truth.SpeedKmh == 0 && roadnet.Distance(o.Truth.Point, route.Stations[1]) < 150 {
				stationStops++
			}
		}
		if stationStops == 0 {
			t.Error("the coach never stood at its intermediate station")
		}
		off, _ := drive(t, coach, OffRoute, at(9, 0), 3*time.Hour)
		if m := maxOff(off); m < 1000 {
			t.Errorf("off-route coach at most %.0f m from the corridor, want > 1 km", m)
		}
	})
	t.Run("charter leaves its approved area", func(t *testing.T) {
		inside := func(sc Scenario) (out int, total int) {
			outs, tr := drive(t, charter, sc, at(9, 0), 4*time.Hour)
			c, r, ok := tr.ApprovedArea()
			if !ok {
				t.Fatal("charter bus without an approved area")
			}
			for _, o := range outs {
				if roadnet.Distance(o.Truth.Point, c) > r+200 {
					out++
				}
			}
			return out, len(outs)
		}
		if n, _ := inside(0); n > 0 {
			t.Errorf("charter without the scenario left its area in %d reports", n)
		}
		if n, total := inside(OffArea); n < 5 {
			t.Errorf("off-area charter outside its area in %d of %d reports", n, total)
		}
	})
	t.Run("blind area", func(t *testing.T) {
		outs, _ := drive(t, truck, BlindArea, at(10, 0), 2*time.Hour)
		var batches, items int
		for _, o := range outs {
			for _, b := range o.Batches {
				batches++
				if b.Type != jt808.BatchBlindArea {
					t.Errorf("batch type %d", b.Type)
				}
				if _, err := b.AppendBody(nil, jt808.V2013); err != nil {
					t.Errorf("batch does not encode: %v", err)
				}
				for _, it := range b.Items {
					items++
					if tm := locTime(t, &it); !tm.Before(o.At) {
						t.Errorf("blind-area item at %s not before its sending at %s", tm, o.At)
					}
				}
			}
		}
		if batches == 0 || items < 6 {
			t.Errorf("%d blind-area batches with %d items in two hours", batches, items)
		}
	})
	t.Run("drift and jumps", func(t *testing.T) {
		outs, _ := drive(t, taxi, Drift, at(10, 0), time.Hour)
		var drifted, jumps int
		for _, o := range outs {
			d := roadnet.Distance(pointOf(o.Location), o.Truth.Point)
			switch {
			case d > 900:
				jumps++
			case d > 15:
				drifted++
			}
		}
		if jumps < 2 || drifted < 10 {
			t.Errorf("%d jumps and %d drifted reports in an hour", jumps, drifted)
		}
	})
	t.Run("invalid data", func(t *testing.T) {
		outs, _ := drive(t, truck, Invalid, at(10, 0), time.Hour)
		kinds := map[string]int{}
		for _, o := range outs {
			l := o.Location
			_, terr := l.Time.Time()
			switch {
			case l.Lat == 0 && l.Lon == 0:
				kinds["zero"]++
			case l.Lat > 90_000_000:
				kinds["latitude"]++
			case l.Lon > 180_000_000:
				kinds["longitude"]++
			case terr != nil:
				kinds["time"]++
			case locTime(t, l).Sub(o.At) > 24*time.Hour:
				kinds["future"]++
			}
		}
		for _, k := range []string{"zero", "latitude", "longitude", "time", "future"} {
			if kinds[k] == 0 {
				t.Errorf("no %s invalid report; got %v", k, kinds)
			}
		}
	})
	t.Run("sos", func(t *testing.T) {
		outs, _ := drive(t, taxi, SOS, at(10, 0), 30*time.Minute)
		var sos int
		for _, o := range outs {
			if o.Location.Alarm.Has(0) {
				sos++
			}
		}
		if sos == 0 {
			t.Error("no report with the emergency alarm bit")
		}
		normal, _ := drive(t, taxi, 0, at(10, 0), 30*time.Minute)
		for _, o := range normal {
			if o.Location.Alarm != 0 {
				t.Fatalf("alarm %v without a scenario", o.Location.Alarm)
			}
		}
	})
	t.Run("offline while moving", func(t *testing.T) {
		outs, _ := drive(t, taxi, Offline, at(10, 0), 2*time.Hour)
		var found bool
		for i, o := range outs[:len(outs)-1] {
			if o.Offline > 0 {
				if o.Location.Speed == 0 {
					t.Error("went offline standing still")
				}
				if gap := outs[i+1].At.Sub(o.At); gap < 30*time.Minute {
					t.Errorf("silence of %s after going offline", gap)
				}
				found = true
			}
		}
		if !found {
			t.Error("never went offline")
		}
	})
}
