package sim

import (
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"time"

	"github.com/jiaotong-platform/jiaotong/internal/protocol/jt808"
	"github.com/jiaotong-platform/jiaotong/internal/registry"
	"github.com/jiaotong-platform/jiaotong/internal/roadnet"
)

// Load states (载货状态) reported in bits 8-9 of the JT/T 808 status word:
// 00 empty, 01 half, 11 full.
const (
	loadEmpty = 0
	loadFull  = 3
)

// carriesGoods reports whether a category reports its load state: goods
// vehicles do, passenger vehicles leave bits 8-9 at zero.
func carriesGoods(c registry.VehicleCategory) bool {
	switch c {
	case registry.CategoryHazmat, registry.CategoryTractor, registry.CategoryHeavyTruck, registry.CategoryTruck:
		return true
	}
	return false
}

// HazmatTrip is the "hazmat trip" scenario: a tanker parked empty at a
// loading place (装货地) loads, drives loaded along a planned route to an
// unloading place (卸货地), unloads and stays parked there, empty. It is the
// trip an e-waybill (电子运单) describes, so a test can issue the matching
// waybill from Loading, Unloading and Route, or a wrong one.
type HazmatTrip struct {
	// Loading and Unloading are the places, on the road network.
	Loading   roadnet.Point `json:"loading"`
	Unloading roadnet.Point `json:"unloading"`
	// Route is the planned route from Loading to Unloading, the path the
	// tanker drives unless Detour is set.
	Route []roadnet.Point `json:"route"`
	// LengthM is the route's length in metres.
	LengthM float64 `json:"length_m"`
	// LoadFor and UnloadFor are the stands at either end (parked, engine
	// off); the load state changes at the end of each.
	LoadFor   time.Duration `json:"load_for"`
	UnloadFor time.Duration `json:"unload_for"`
	// DepartAt, when set, is the planned departure: the tanker waits
	// parked at the loading place and finishes loading then.
	DepartAt time.Time `json:"depart_at,omitzero"`
	// Detour, when set, sends the tanker through this point half way,
	// off the planned route (偏离运单路线).
	Detour *roadnet.Point `json:"detour,omitempty"`
	// StopAt and StopFor make the tanker stop on the way (engine running)
	// at the point of the route nearest to StopAt, e.g. in a sensitive
	// area (敏感区域).
	StopAt  *roadnet.Point `json:"stop_at,omitempty"`
	StopFor time.Duration  `json:"stop_for,omitempty"`
}

// PlanHazmatTrip picks a loading and an unloading place minM to maxM
// metres apart (crow flies) on the road network's routable core, and the
// fastest route between them; seed makes the choice reproducible.
func PlanHazmatTrip(w *World, seed int64, minM, maxM float64) (*HazmatTrip, error) {
	if minM <= 0 || maxM < minM {
		return nil, fmt.Errorf("sim: hazmat trip: bad distance range %.0f-%.0f m", minM, maxM)
	}
	rng := rand.New(rand.NewPCG(uint64(seed), 0x4a7a))
	r := w.G.NewRouter()
	for range 500 {
		a := w.G.Node(w.core[rng.IntN(len(w.core))])
		b := w.G.Node(w.core[rng.IntN(len(w.core))])
		if d := roadnet.Distance(a, b); d < minM || d > maxM {
			continue
		}
		trip, err := planBetween(w, r, a, b)
		if err == nil && trip.LengthM < 2*maxM {
			return trip, nil
		}
	}
	return nil, errors.New("sim: hazmat trip: no pair of places in range")
}

// planBetween routes a trip between two points as the track will drive it.
func planBetween(w *World, r *roadnet.Router, a, b roadnet.Point) (*HazmatTrip, error) {
	sa, ok1 := w.G.NearestRoutable(a)
	sb, ok2 := w.G.NearestRoutable(b)
	if !ok1 || !ok2 {
		return nil, errors.New("sim: hazmat trip: place off the network")
	}
	p, err := r.RouteSnaps(sa, sb, roadnet.ByTime)
	if err != nil || len(p.Edges) == 0 || p.Length < 100 {
		return nil, fmt.Errorf("sim: hazmat trip: no route: %v", err)
	}
	// The places are the points given (nodes of the core), which the track
	// snaps exactly as here, so it drives this very path.
	return &HazmatTrip{Loading: a, Unloading: b, Route: w.G.Geometry(p), LengthM: p.Length,
		LoadFor: 15 * time.Minute, UnloadFor: 15 * time.Minute}, nil
}

// DetourPoint returns a node of the network 1.5-4 km off the trip's route
// near its middle, for a deviation (ok false when none is found).
func (h *HazmatTrip) DetourPoint(w *World, seed int64) (roadnet.Point, bool) {
	rng := rand.New(rand.NewPCG(uint64(seed), 0xde7))
	pl := roadnet.NewPolyline(h.Route)
	mid, _ := pl.At(pl.Length() / 2)
	for range 2000 {
		p := w.G.Node(w.core[rng.IntN(len(w.core))])
		d := distToPolyline(p, h.Route)
		if d > 1500 && d < 4000 && roadnet.Distance(p, mid) < 4500 {
			return p, true
		}
	}
	return roadnet.Point{}, false
}

// PointAlong returns the point of the route at fraction f (0-1) of its
// length.
func (h *HazmatTrip) PointAlong(f float64) roadnet.Point {
	pl := roadnet.NewPolyline(h.Route)
	p, _ := pl.At(math.Max(0, math.Min(1, f)) * pl.Length())
	return p
}

// Trip phases of a hazmat-trip track.
const (
	tripAtLoading = iota
	tripUnderway
	tripDone
)

// planHazmat lays out the next part of the hazmat trip, called where
// another vehicle would plan its next trip: at the start (load, then the
// legs to the unloading place) and on arrival (unload, then stay parked).
func (t *Track) planHazmat(r *roadnet.Router) {
	h := t.veh.Trip
	switch t.tripPhase {
	case tripAtLoading:
		if wait := h.DepartAt.Add(-h.LoadFor).Sub(t.now); wait > 0 {
			t.stand(wait.Seconds(), true) // planHazmat runs again when it ends
			return
		}
		t.tripPhase = tripUnderway
		t.factor = t.uniform(t.prof.factorLo, t.prof.factorHi)
		t.stand(h.LoadFor.Seconds(), true)
		t.loadedFrom = t.now.Add(h.LoadFor)
		var legs []waypoint
		if h.Detour != nil {
			legs = append(legs, waypoint{to: *h.Detour})
		}
		if h.StopAt != nil && h.StopFor > 0 {
			legs = append(legs, waypoint{to: *h.StopAt, dwellLo: h.StopFor, dwellHi: h.StopFor, running: true})
		}
		legs = append(legs, waypoint{to: h.Unloading, dwellLo: h.UnloadFor, dwellHi: h.UnloadFor})
		t.legs = legs
		for len(t.legs) > 0 {
			wp := t.legs[0]
			t.legs = t.legs[1:]
			if t.routeTo(r, wp) {
				return
			}
		}
	case tripUnderway:
		// Arrived: arrive has started the unloading stand.
		t.tripPhase = tripDone
		t.loadedUntil = t.now.Add(time.Duration(t.dwell * float64(time.Second)))
	}
	// Done: parked, empty, for the rest of the day.
	t.stand(max(t.dwell, (24*time.Hour).Seconds()), true)
}

// loadState returns the load bits of the vehicle at time at.
func (t *Track) loadState(at time.Time) uint8 {
	if !carriesGoods(t.veh.Category) {
		return loadEmpty
	}
	if t.veh.Trip != nil {
		if !t.loadedFrom.IsZero() && !at.Before(t.loadedFrom) && (t.loadedUntil.IsZero() || at.Before(t.loadedUntil)) {
			return loadFull
		}
		return loadEmpty
	}
	if t.loaded {
		return loadFull
	}
	return loadEmpty
}

// withLoad sets bits 8-9 of a status word.
func withLoad(s jt808.Status, load uint8) jt808.Status {
	return s&^(3<<8) | jt808.Status(load&3)<<8
}
