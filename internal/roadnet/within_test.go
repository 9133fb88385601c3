package roadnet

import (
	"math"
	"math/rand/v2"
	"testing"
)

// TestNearestEdgeWithinAgrees checks the bounded search against the full
// one on random points of the Chengdu extract: same segment (or an equally near one) whenever the
// nearest road is within the radius, nothing otherwise.
func TestNearestEdgeWithinAgrees(t *testing.T) {
	g := chengduGraph(t)
	sw, ne := g.Bounds()
	rng := rand.New(rand.NewPCG(7, 8))
	const radius = 60.0
	near := 0
	for range 5000 {
		p := Point{Lat: sw.Lat + rng.Float64()*(ne.Lat-sw.Lat), Lon: sw.Lon + rng.Float64()*(ne.Lon-sw.Lon)}
		full, _ := g.NearestEdge(p)
		within, ok := g.NearestEdgeWithin(p, radius)
		planarD := math.Sqrt(sqDist(g.proj.xy(p), g.proj.xy(full.Point)))
		switch {
		case planarD <= radius-0.01:
			near++
			// Same segment, or a tie at a node shared by two segments.
			sameSegment := within.Edge == full.Edge || within.Edge == EdgeID(g.twin[full.Edge]) || within.Point == full.Point
			if !ok || !sameSegment || math.Abs(within.Distance-full.Distance) > 1e-6 {
				t.Fatalf("at %v: within %v (%v), full %v", p, within, ok, full)
			}
		case planarD > radius+0.01:
			if ok {
				t.Fatalf("at %v: within found %v although the nearest road is %.1f m away", p, within, planarD)
			}
		}
	}
	if near < 100 {
		t.Fatalf("only %d of 5000 points near a road: the test says little", near)
	}
}

func sqDist(a, b [2]float64) float64 {
	dx, dy := a[0]-b[0], a[1]-b[1]
	return dx*dx + dy*dy
}
