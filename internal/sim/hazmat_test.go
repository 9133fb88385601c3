package sim

import (
	"testing"
	"time"

	"github.com/jiaotong-platform/jiaotong/internal/registry"
	"github.com/jiaotong-platform/jiaotong/internal/roadnet"
)

// TestHazmatTrip drives the hazmat trip: empty while loading, loaded and
// on the planned route while driving, empty again after unloading at the
// unloading place.
func TestHazmatTrip(t *testing.T) {
	w := world(t)
	trip, err := PlanHazmatTrip(w, 7, 3000, 6000)
	if err != nil {
		t.Fatal(err)
	}
	v := &Vehicle{ID: 1, Plate: "川A0001危", Category: registry.CategoryHazmat, TerminalPhone: "013800000001", Trip: trip}
	start := time.Date(2026, 11, 20, 9, 0, 0, 0, cst)
	tr := NewTrack(w, v, 0, 1, start, TrackOptions{Interval: 15 * time.Second})
	r := w.G.NewRouter()
	var movedEmpty, movedLoaded, loadedStill int
	var firstLoaded, lastLoaded time.Time
	var last Output
	maxOff := 0.0
	for i := 0; i < 2000; i++ {
		out := tr.Next(r)
		if out.At.Sub(start) > 4*time.Hour {
			break
		}
		last = out
		st := out.Location.Status
		loaded := st.Load() == 3
		moving := out.Truth.SpeedKmh > 5
		switch {
		case moving && loaded:
			movedLoaded++
			maxOff = max(maxOff, distToPolyline(out.Truth.Point, trip.Route))
		case moving:
			movedEmpty++
		case loaded:
			loadedStill++
		}
		if loaded {
			if firstLoaded.IsZero() {
				firstLoaded = out.At
			}
			lastLoaded = out.At
		}
		if !st.Fixed() {
			t.Fatalf("report without fix: %v", st)
		}
	}
	if movedEmpty != 0 || movedLoaded < 10 {
		t.Errorf("moving empty %d, moving loaded %d", movedEmpty, movedLoaded)
	}
	if firstLoaded.Sub(start) < trip.LoadFor {
		t.Errorf("loaded at %v, before loading ended", firstLoaded)
	}
	if maxOff > 30 {
		t.Errorf("up to %.0f m off the planned route", maxOff)
	}
	if d := roadnet.Distance(last.Truth.Point, trip.Unloading); d > 100 {
		t.Errorf("ended %.0f m from the unloading place", d)
	}
	if last.Location.Status.Load() != 0 || last.At.Sub(lastLoaded) < time.Minute {
		t.Errorf("still loaded at the end (%v, last loaded %v)", last.Location.Status.Load(), lastLoaded)
	}
}

// TestGoodsVehiclesReportLoad: a free-driving goods vehicle alternates
// empty and loaded trips, a coach never reports a load.
func TestGoodsVehiclesReportLoad(t *testing.T) {
	w := world(t)
	r := w.G.NewRouter()
	start := time.Date(2026, 11, 20, 8, 0, 0, 0, cst)
	count := func(c registry.VehicleCategory) (loaded, empty int) {
		v := &Vehicle{ID: 2, Plate: "川A0002", Category: c, TerminalPhone: "013800000002"}
		tr := NewTrack(w, v, 0, 3, start, TrackOptions{})
		for range 600 {
			out := tr.Next(r)
			if out.Truth.SpeedKmh < 5 {
				continue
			}
			if out.Location.Status.Load() == 3 {
				loaded++
			} else {
				empty++
			}
		}
		return
	}
	if l, e := count(registry.CategoryHazmat); l == 0 || e == 0 {
		t.Errorf("hazmat: %d loaded, %d empty moving reports", l, e)
	}
	if l, _ := count(registry.CategoryCoach); l != 0 {
		t.Errorf("coach reported a load %d times", l)
	}
}

// TestHazmatTripWaitsForItsDeparture: with DepartAt the tanker stands
// empty at the loading place until loading must start, and leaves loaded
// at the planned departure.
func TestHazmatTripWaitsForItsDeparture(t *testing.T) {
	w := world(t)
	trip, err := PlanHazmatTrip(w, 7, 3000, 6000)
	if err != nil {
		t.Fatal(err)
	}
	start := time.Date(2026, 11, 20, 5, 0, 0, 0, cst)
	trip.DepartAt = start.Add(3 * time.Hour)
	v := &Vehicle{ID: 1, Plate: "川A0001危", Category: registry.CategoryHazmat, TerminalPhone: "013800000001", Trip: trip}
	tr := NewTrack(w, v, 0, 1, start, TrackOptions{Interval: 15 * time.Second})
	r := w.G.NewRouter()
	var firstMove, firstLoaded time.Time
	for i := 0; i < 3000 && firstMove.IsZero(); i++ {
		out := tr.Next(r)
		if out.Truth.SpeedKmh > 5 {
			firstMove = out.At
		}
		if out.Location.Status.Load() == 3 && firstLoaded.IsZero() {
			firstLoaded = out.At
		}
	}
	if firstMove.Before(trip.DepartAt) || firstMove.Sub(trip.DepartAt) > 5*time.Minute {
		t.Errorf("left at %v, planned %v", firstMove, trip.DepartAt)
	}
	if firstLoaded.Before(trip.DepartAt) {
		t.Errorf("loaded at %v, before the end of loading %v", firstLoaded, trip.DepartAt)
	}
}
