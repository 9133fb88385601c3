package roadnet

// NearestEdgeWithin is NearestEdge restricted to segments whose planar
// distance from p is at most maxM metres; ok is false when there is none.
// It answers the same as NearestEdge whenever the nearest segment is that
// close, but costs a bounded box search instead of a nearest-neighbour walk
// of the whole index, which matters to callers that only care about roads
// right under a vehicle (most positions far from any road are answered by
// an empty search).
func (g *Graph) NearestEdgeWithin(p Point, maxM float64) (s Snap, ok bool) {
	q := g.proj.xy(p)
	best := int32(-1)
	bestT, bestD2 := 0.0, maxM*maxM
	g.index.Search([2]float64{q[0] - maxM, q[1] - maxM}, [2]float64{q[0] + maxM, q[1] + maxM},
		func(_, _ [2]float64, e int32) bool {
			t, d2 := projectSegment(q, g.proj.xy(g.coord[g.from[e]]), g.proj.xy(g.coord[g.to[e]]))
			if d2 < bestD2 || (d2 == bestD2 && best < 0) {
				best, bestT, bestD2 = e, t, d2
			}
			return true
		})
	if best < 0 {
		return Snap{}, false
	}
	pt := lerp(g.coord[g.from[best]], g.coord[g.to[best]], bestT)
	return Snap{Edge: EdgeID(best), Offset: bestT * float64(g.length[best]), Point: pt, Distance: Distance(p, pt)}, true
}
