package monitor

import (
	"math/rand/v2"
	"testing"
	"time"

	"github.com/jiaotong-platform/jiaotong/internal/gateway"
	"github.com/jiaotong-platform/jiaotong/internal/platform/civil"
	"github.com/jiaotong-platform/jiaotong/internal/registry"
	"github.com/jiaotong-platform/jiaotong/internal/roadnet"
)

// BenchmarkProcess evaluates every rule for one position, with 10,000
// vehicles driving around Chengdu, the Chengdu road network for road
// classes and 1,000 geofences (circles and polygons of 300-800 m).
func BenchmarkProcess(b *testing.B) {
	g, err := roadnet.Chengdu()
	if err != nil {
		b.Skip("no road network:", err)
	}
	b.Run("roads", func(b *testing.B) { benchProcess(b, g, true) })
	b.Run("no-roads", func(b *testing.B) { benchProcess(b, g, false) })
}

func benchProcess(b *testing.B, g *roadnet.Graph, roads bool) {
	rng := rand.New(rand.NewPCG(1, 2))
	sw, ne := g.Bounds()
	randPt := func() (float64, float64) {
		return sw.Lat + rng.Float64()*(ne.Lat-sw.Lat), sw.Lon + rng.Float64()*(ne.Lon-sw.Lon)
	}
	var fences []Geofence
	for i := range 1000 {
		lat, lon := randPt()
		f := Geofence{ID: int64(i + 1), GeofenceFields: GeofenceFields{Name: "f", Purpose: PurposeWatch, Region: "510104", Enabled: true,
			AlertEnter: true, AlertExit: true, MaxDwellS: 3600}}
		if i%2 == 0 {
			f.Kind, f.Center, f.RadiusM = FenceCircle, []float64{lon, lat}, 300+rng.Float64()*500
		} else {
			d := 0.004
			f.Kind, f.Coordinates = FencePolygon, [][]float64{{lon - d, lat - d}, {lon + d, lat - d}, {lon + d, lat + d}, {lon - d, lat + d}}
		}
		fences = append(fences, f)
	}
	var graph *roadnet.Graph
	if roads {
		graph = g
	}
	e := NewEngine(graph, fences, nil, civil.CST)
	const vehicles = 10_000
	cats := []registry.VehicleCategory{registry.CategoryCoach, registry.CategoryHazmat, registry.CategoryHeavyTruck, registry.CategoryCharter}
	infos := make([]*VehicleInfo, vehicles)
	pos := make([][2]float64, vehicles)
	for i := range infos {
		infos[i] = &VehicleInfo{ID: int64(i + 1), Plate: "川A00000", Category: cats[i%len(cats)], OperatorID: int64(i % 50), Region: "510104"}
		pos[i][0], pos[i][1] = randPt()
	}
	t0 := time.Date(2026, 11, 20, 9, 0, 0, 0, civil.CST)
	step := func(n int) gateway.Position {
		v := n % vehicles
		round := n / vehicles
		pos[v][0] += 0.0002 // ~22 m north per report
		t := t0.Add(time.Duration(round)*30*time.Second + time.Duration(v)*time.Millisecond)
		return gateway.Position{VehicleID: int64(v + 1), DeviceTime: t, ReceiveTime: t.Add(time.Second),
			Lat: int32(pos[v][0] * 1e6), Lon: int32(pos[v][1] * 1e6), Speed: 600, Heading: 0, Status: fixedStatus}
	}
	var out []change
	for n := range vehicles { // warm up: every vehicle known
		p := step(n)
		out = e.Process(&p, infos[n%vehicles], out[:0])
	}
	n := vehicles
	b.ReportAllocs()
	for b.Loop() {
		p := step(n)
		out = e.Process(&p, infos[n%vehicles], out[:0])
		n++
	}
}
