package sim

import (
	"fmt"
	"math"

	"github.com/jiaotong-platform/jiaotong/internal/roadnet"
)

// World is the road network the fleet drives on, with what the simulator
// derives from it once: the routable nodes trips may end at and the
// intersections that have traffic lights. It is immutable and shared.
type World struct {
	G *roadnet.Graph
	// core lists the nodes of the strongly connected core.
	core []roadnet.NodeID
	// signal marks nodes with traffic lights.
	signal []bool
	centre roadnet.Point
}

// NewWorld prepares g for simulation. The extract carries no traffic
// signal tags in the loaded graph, so lights stand at a deterministic 40 %
// of the intersections (nodes joining three or more road directions).
func NewWorld(g *roadnet.Graph) (*World, error) {
	w := &World{G: g, signal: make([]bool, g.NumNodes())}
	deg := make([]uint8, g.NumNodes())
	for e := range roadnet.EdgeID(g.NumEdges()) {
		ed := g.Edge(e)
		if ed.Twin >= 0 && ed.Twin < e {
			continue // count a two-way segment once
		}
		deg[ed.From] = min(deg[ed.From]+1, 200)
		deg[ed.To] = min(deg[ed.To]+1, 200)
	}
	for v := range roadnet.NodeID(g.NumNodes()) {
		if g.InCore(v) {
			w.core = append(w.core, v)
		}
		if deg[v] >= 3 && mix64(uint64(g.NodeOSMID(v)))%10 < 4 {
			w.signal[v] = true
		}
	}
	if len(w.core) < 2 {
		return nil, fmt.Errorf("sim: road network has no routable core")
	}
	sw, ne := g.Bounds()
	w.centre = roadnet.Point{Lat: (sw.Lat + ne.Lat) / 2, Lon: (sw.Lon + ne.Lon) / 2}
	return w, nil
}

// Chengdu returns the world of the embedded Chengdu extract.
func Chengdu() (*World, error) {
	g, err := roadnet.Chengdu()
	if err != nil {
		return nil, fmt.Errorf("sim: %w", err)
	}
	return NewWorld(g)
}

// Signal reports whether node v has traffic lights.
func (w *World) Signal(v roadnet.NodeID) bool { return w.signal[v] }

// mix64 is the splitmix64 finaliser: a cheap, well-spread hash.
func mix64(x uint64) uint64 {
	x ^= x >> 30
	x *= 0xbf58476d1ce4e5b9
	x ^= x >> 27
	x *= 0x94d049bb133111eb
	x ^= x >> 31
	return x
}

// hashString is FNV-1a, used to derive per-vehicle seeds.
func hashString(s string) uint64 {
	h := uint64(14695981039346656037)
	for i := 0; i < len(s); i++ {
		h ^= uint64(s[i])
		h *= 1099511628211
	}
	return h
}

// distToPolyline returns the distance in metres from p to the polyline pts,
// in a local planar approximation (good to well under a metre at city scale).
func distToPolyline(p roadnet.Point, pts []roadnet.Point) float64 {
	if len(pts) == 0 {
		return math.Inf(1)
	}
	kx := 111320 * math.Cos(p.Lat*math.Pi/180)
	const ky = 110540.0
	best := math.Inf(1)
	for i := range pts {
		ax, ay := (pts[i].Lon-p.Lon)*kx, (pts[i].Lat-p.Lat)*ky
		if i == 0 {
			best = math.Hypot(ax, ay)
			continue
		}
		bx, by := (pts[i-1].Lon-p.Lon)*kx, (pts[i-1].Lat-p.Lat)*ky
		dx, dy := ax-bx, ay-by
		t := 0.0
		if l2 := dx*dx + dy*dy; l2 > 0 {
			t = math.Max(0, math.Min(1, -(bx*dx+by*dy)/l2))
		}
		best = math.Min(best, math.Hypot(bx+t*dx, by+t*dy))
	}
	return best
}

// offsetPoint moves p by (east, north) metres.
func offsetPoint(p roadnet.Point, east, north float64) roadnet.Point {
	return roadnet.Point{
		Lat: p.Lat + north/110540,
		Lon: p.Lon + east/(111320*math.Cos(p.Lat*math.Pi/180)),
	}
}
