package roadnet

import "math"

// Snap is the projection of a point onto the nearest road segment.
type Snap struct {
	// Edge is a directed edge of the segment. On a two-way road its Twin
	// runs the other way; routing considers both directions.
	Edge EdgeID `json:"edge"`
	// Offset is the distance in metres from Edge's From node to Point.
	Offset float64 `json:"offset"`
	// Point is the closest point on the segment.
	Point Point `json:"point"`
	// Distance is the haversine distance in metres from the query point to Point.
	Distance float64 `json:"distance"`
}

// NearestEdge returns the road segment nearest to p with the projection of p
// on it; ok is false only for an empty graph.
func (g *Graph) NearestEdge(p Point) (s Snap, ok bool) {
	return g.nearest(p, false)
}

// NearestRoutable is NearestEdge restricted to segments of the largest
// strongly connected component, so that a route from or to the snapped point
// always exists. Use it to start and end trips.
func (g *Graph) NearestRoutable(p Point) (s Snap, ok bool) {
	return g.nearest(p, true)
}

func (g *Graph) nearest(p Point, coreOnly bool) (Snap, bool) {
	q := g.proj.xy(p)
	best := int32(-1)
	bestT, bestD2 := 0.0, math.Inf(1)
	segDist := func(e int32) (float64, float64) {
		a := g.proj.xy(g.coord[g.from[e]])
		b := g.proj.xy(g.coord[g.to[e]])
		t, d2 := projectSegment(q, a, b)
		return t, d2
	}
	g.index.Nearby(
		func(min, max [2]float64, e int32, item bool) float64 {
			if item {
				_, d2 := segDist(e)
				return math.Sqrt(d2)
			}
			dx := math.Max(0, math.Max(min[0]-q[0], q[0]-max[0]))
			dy := math.Max(0, math.Max(min[1]-q[1], q[1]-max[1]))
			return math.Hypot(dx, dy)
		},
		func(_, _ [2]float64, e int32, _ float64) bool {
			if coreOnly && (!g.core[g.from[e]] || !g.core[g.to[e]]) {
				return true
			}
			t, d2 := segDist(e)
			best, bestT, bestD2 = e, t, d2
			return false
		})
	if best < 0 {
		return Snap{}, false
	}
	_ = bestD2
	pt := lerp(g.coord[g.from[best]], g.coord[g.to[best]], bestT)
	return Snap{
		Edge:     EdgeID(best),
		Offset:   bestT * float64(g.length[best]),
		Point:    pt,
		Distance: Distance(p, pt),
	}, true
}

// NearestNode returns the routable node closest to p (an end of the nearest
// routable segment).
func (g *Graph) NearestNode(p Point) (NodeID, bool) {
	s, ok := g.NearestRoutable(p)
	if !ok {
		return 0, false
	}
	if s.Offset*2 <= float64(g.length[s.Edge]) {
		return NodeID(g.from[s.Edge]), true
	}
	return NodeID(g.to[s.Edge]), true
}
