package monitor

import (
	"math/rand/v2"
	"slices"
	"testing"
	"time"

	"github.com/jiaotong-platform/jiaotong/internal/gateway"
	"github.com/jiaotong-platform/jiaotong/internal/platform/civil"
	"github.com/jiaotong-platform/jiaotong/internal/registry"
	"github.com/jiaotong-platform/jiaotong/internal/roadnet"
)

// TestCachedLookupsMatchSearch drives vehicles across Chengdu through
// overlapping geofences and checks, at every position, that the cached
// lookups of the engine answer like a fresh search: the fences the vehicle
// is inside are exactly those a point query of the R-tree finds, and it is
// on the road network exactly when the nearest road is within onRoadMaxM.
func TestCachedLookupsMatchSearch(t *testing.T) {
	g, err := roadnet.Chengdu()
	if err != nil {
		t.Skip("no road network:", err)
	}
	rng := rand.New(rand.NewPCG(3, 4))
	sw, ne := g.Bounds()
	// A dense patch of central Chengdu, so fences overlap and vehicles meet roads.
	lat0, lon0 := (sw.Lat+ne.Lat)/2, (sw.Lon+ne.Lon)/2
	var fences []Geofence
	for i := range 300 {
		lat, lon := lat0+(rng.Float64()-0.5)*0.05, lon0+(rng.Float64()-0.5)*0.05
		f := Geofence{ID: int64(i + 1), GeofenceFields: GeofenceFields{Name: "f", Purpose: PurposeWatch, Region: "510104", Enabled: true}}
		if i%2 == 0 {
			f.Kind, f.Center, f.RadiusM = FenceCircle, []float64{lon, lat}, 100+rng.Float64()*600
		} else {
			d := 0.001 + rng.Float64()*0.004
			f.Kind, f.Coordinates = FencePolygon, [][]float64{{lon - d, lat - d}, {lon + d, lat - d}, {lon, lat + d}}
		}
		fences = append(fences, f)
	}
	e := NewEngine(g, fences, nil, civil.CST)
	t0 := time.Date(2026, 11, 20, 9, 0, 0, 0, civil.CST)
	checked, onRoad := 0, 0
	for v := range 40 {
		info := &VehicleInfo{ID: int64(v + 1), Plate: "川A00000", Category: registry.CategoryTruck, Region: "510104"}
		lat, lon := lat0+(rng.Float64()-0.5)*0.05, lon0+(rng.Float64()-0.5)*0.05
		dLat, dLon := (rng.Float64()-0.5)*0.0006, (rng.Float64()-0.5)*0.0006
		for step := range 150 {
			if step%40 == 0 {
				dLat, dLon = (rng.Float64()-0.5)*0.0006, (rng.Float64()-0.5)*0.0006
			}
			lat, lon = lat+dLat, lon+dLon
			at := t0.Add(time.Duration(step) * 10 * time.Second)
			p := gateway.Position{VehicleID: info.ID, DeviceTime: at, ReceiveTime: at, Lat: int32(lat * 1e6), Lon: int32(lon * 1e6),
				Speed: 300, Status: fixedStatus}
			e.Process(&p, info, nil)
			st := e.vehicles[info.ID]
			plat, plon := microDeg(p.Lat), microDeg(p.Lon)

			var want []int64
			e.fences.search(plat, plon, func(f *fence) { want = append(want, f.g.ID) })
			var gotIDs []int64
			for id := range st.Inside {
				gotIDs = append(gotIDs, id)
			}
			slices.Sort(want)
			slices.Sort(gotIDs)
			if !slices.Equal(want, gotIDs) {
				t.Fatalf("vehicle %d step %d: inside %v, a point search finds %v", v, step, gotIDs, want)
			}

			pt := roadnet.Point{Lat: plat, Lon: plon}
			near, _ := g.NearestEdge(pt)
			switch {
			case near.Distance < onRoadMaxM-1 && st.Edge < 0:
				t.Fatalf("vehicle %d step %d: off the network, but a road is %.1f m away", v, step, near.Distance)
			case near.Distance > onRoadMaxM+1 && st.Edge >= 0:
				t.Fatalf("vehicle %d step %d: on edge %d, but the nearest road is %.1f m away", v, step, st.Edge, near.Distance)
			case st.Edge >= 0:
				ed := g.Edge(roadnet.EdgeID(st.Edge))
				if d := segmentDistance(pt, g.Node(ed.From), g.Node(ed.To)); d > onRoadMaxM+1 {
					t.Fatalf("vehicle %d step %d: kept edge %d %.1f m away", v, step, st.Edge, d)
				}
				if w := g.EdgeWay(roadnet.EdgeID(st.Edge)); st.RoadClass != uint8(w.Class) || st.RoadLimit != w.MaxSpeed {
					t.Fatalf("vehicle %d step %d: road class %d/%v, edge says %d/%v", v, step, st.RoadClass, st.RoadLimit, w.Class, w.MaxSpeed)
				}
				onRoad++
			}
			checked++
		}
	}
	if onRoad < checked/20 {
		t.Fatalf("only %d of %d positions on a road: the test says little", onRoad, checked)
	}
}
