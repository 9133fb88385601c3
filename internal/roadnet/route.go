package roadnet

import (
	"errors"
	"fmt"
	"math"
)

// ErrNoRoute is returned when the destination cannot be reached.
var ErrNoRoute = errors.New("roadnet: no route")

// Metric is what a route minimises.
type Metric uint8

// Metrics.
const (
	ByTime     Metric = iota // travel time at the speed limits
	ByDistance               // length in metres
)

// Path is a route: a sequence of directed edges, starting StartOffset metres
// into the first edge and ending EndOffset metres into the last. A route
// between two nodes starts at offset 0 and ends at the last edge's length; a
// route between two snapped points starts and ends mid-segment. A path with
// no edges stays at From.
type Path struct {
	Edges       []EdgeID `json:"edges"`
	StartOffset float64  `json:"start_offset"`
	EndOffset   float64  `json:"end_offset"`
	From        Point    `json:"from"`
	To          Point    `json:"to"`
	Length      float64  `json:"length"` // metres
	Time        float64  `json:"time"`   // seconds at the speed limits
}

// Router computes shortest paths with A* (haversine lower bound) over a
// binary heap. It keeps its buffers between queries, so repeated queries
// allocate only the returned path. A Router is not safe for concurrent use:
// give each goroutine its own (they share the Graph).
type Router struct {
	g     *Graph
	dist  []float64
	prev  []int32 // edge used to reach the node; -1 for a source
	stamp []uint32
	done  []uint32
	gen   uint32
	heap  []heapItem
	rev   []EdgeID
}

type heapItem struct {
	f    float64 // dist + heuristic
	node int32
}

// seed is a source or target of a search: a node with a cost already paid
// (source) or still to pay (target), and the partial edge that links it to
// the snapped point (-1 when the point is the node itself).
type seed struct {
	node   int32
	cost   float64
	edge   int32
	offset float64 // source: offset on edge where the path starts; target: where it ends
}

// NewRouter returns a router over g.
func (g *Graph) NewRouter() *Router {
	n := len(g.coord)
	return &Router{
		g:     g,
		dist:  make([]float64, n),
		prev:  make([]int32, n),
		stamp: make([]uint32, n),
		done:  make([]uint32, n),
	}
}

// Graph returns the graph the router searches.
func (r *Router) Graph() *Graph { return r.g }

func (r *Router) cost(e int32, m Metric) float64 {
	if m == ByDistance {
		return float64(r.g.length[e])
	}
	return float64(r.g.time[e])
}

// Route returns the shortest path from node a to node b.
func (r *Router) Route(a, b NodeID, m Metric) (Path, error) {
	g := r.g
	if int(a) >= len(g.coord) || int(b) >= len(g.coord) || a < 0 || b < 0 {
		return Path{}, fmt.Errorf("roadnet: route: node out of range")
	}
	if a == b {
		return Path{From: g.coord[a], To: g.coord[a]}, nil
	}
	src := [1]seed{{node: int32(a), edge: -1}}
	dst := [1]seed{{node: int32(b), edge: -1}}
	return r.search(src[:], dst[:], nil, m)
}

// RoutePoints snaps a and b to the nearest routable segments and returns the
// shortest path between the snapped points.
func (r *Router) RoutePoints(a, b Point, m Metric) (Path, error) {
	sa, ok1 := r.g.NearestRoutable(a)
	sb, ok2 := r.g.NearestRoutable(b)
	if !ok1 || !ok2 {
		return Path{}, ErrNoRoute
	}
	return r.RouteSnaps(sa, sb, m)
}

// RouteSnaps returns the shortest path between two snapped points, each
// segment driven only in its permitted directions.
func (r *Router) RouteSnaps(a, b Snap, m Metric) (Path, error) {
	g := r.g
	var srcs, dsts [2]seed
	ns, nd := 0, 0
	var direct *Path
	for _, e := range [2]int32{int32(a.Edge), g.twin[a.Edge]} {
		if e < 0 {
			continue
		}
		l := float64(g.length[e])
		off := a.Offset
		if e != int32(a.Edge) {
			off = l - a.Offset
		}
		frac := 1.0
		if l > 0 {
			frac = (l - off) / l
		}
		srcs[ns] = seed{node: g.to[e], cost: r.cost(e, m) * frac, edge: e, offset: off}
		ns++
		// Both points on this segment, b ahead of a in this direction.
		if e == int32(b.Edge) || e == g.twin[b.Edge] {
			boff := b.Offset
			if e != int32(b.Edge) {
				boff = l - b.Offset
			}
			if boff >= off {
				p := Path{Edges: []EdgeID{EdgeID(e)}, StartOffset: off, EndOffset: boff, From: a.Point, To: b.Point}
				r.measure(&p)
				if direct == nil || r.pathCost(&p, m) < r.pathCost(direct, m) {
					direct = &p
				}
			}
		}
	}
	for _, e := range [2]int32{int32(b.Edge), g.twin[b.Edge]} {
		if e < 0 {
			continue
		}
		l := float64(g.length[e])
		off := b.Offset
		if e != int32(b.Edge) {
			off = l - b.Offset
		}
		frac := 0.0
		if l > 0 {
			frac = off / l
		}
		dsts[nd] = seed{node: g.from[e], cost: r.cost(e, m) * frac, edge: e, offset: off}
		nd++
	}
	p, err := r.search(srcs[:ns], dsts[:nd], direct, m)
	if err != nil {
		return Path{}, err
	}
	p.From, p.To = a.Point, b.Point
	return p, nil
}

func (r *Router) pathCost(p *Path, m Metric) float64 {
	if m == ByDistance {
		return p.Length
	}
	return p.Time
}

// search runs A* from the sources to the cheapest target; direct, when not
// nil, is a candidate that needs no graph search (both points on one segment).
func (r *Router) search(srcs, dsts []seed, direct *Path, m Metric) (Path, error) {
	g := r.g
	r.gen++
	if r.gen == 0 { // wrapped: reset stamps once every 4 billion queries
		clear(r.stamp)
		clear(r.done)
		r.gen = 1
	}
	gen := r.gen
	r.heap = r.heap[:0]
	scale := 1.0
	if m == ByTime {
		scale = 1 / g.maxSpeed
	}
	var tp [2]Point
	for i, t := range dsts {
		tp[i] = g.coord[t.node]
	}
	h := func(v int32) float64 {
		best := math.Inf(1)
		for i := range dsts {
			if d := Distance(g.coord[v], tp[i]); d < best {
				best = d
			}
		}
		// Slightly shrunk so float32 edge lengths never undercut it.
		return best * scale * 0.9999
	}
	best := math.Inf(1)
	if direct != nil {
		best = r.pathCost(direct, m)
	}
	bestTarget := -1
	for _, s := range srcs {
		if r.stamp[s.node] == gen && r.dist[s.node] <= s.cost {
			continue
		}
		r.stamp[s.node] = gen
		r.dist[s.node] = s.cost
		r.prev[s.node] = -1
		r.push(heapItem{f: s.cost + h(s.node), node: s.node})
	}
	for len(r.heap) > 0 {
		it := r.pop()
		u := it.node
		if r.done[u] == gen {
			continue
		}
		if it.f >= best {
			break
		}
		r.done[u] = gen
		du := r.dist[u]
		for i, t := range dsts {
			if t.node == u && du+t.cost < best {
				best = du + t.cost
				bestTarget = i
			}
		}
		for e := g.first[u]; e < g.first[u+1]; e++ {
			v := g.to[e]
			if r.done[v] == gen {
				continue
			}
			dv := du + r.cost(e, m)
			if r.stamp[v] != gen || dv < r.dist[v] {
				r.stamp[v] = gen
				r.dist[v] = dv
				r.prev[v] = e
				r.push(heapItem{f: dv + h(v), node: v})
			}
		}
	}
	if bestTarget < 0 {
		if direct != nil {
			return *direct, nil
		}
		return Path{}, ErrNoRoute
	}
	// Walk back from the target to a source.
	t := dsts[bestTarget]
	r.rev = r.rev[:0]
	v := t.node
	for r.prev[v] >= 0 {
		e := r.prev[v]
		r.rev = append(r.rev, EdgeID(e))
		v = g.from[e]
	}
	var src seed
	found := false
	for _, s := range srcs {
		if s.node == v {
			src, found = s, true
			break
		}
	}
	if !found {
		return Path{}, fmt.Errorf("roadnet: route: internal error: path does not start at a source")
	}
	n := len(r.rev)
	if src.edge >= 0 {
		n++
	}
	if t.edge >= 0 {
		n++
	}
	p := Path{Edges: make([]EdgeID, 0, n)}
	if src.edge >= 0 {
		p.Edges = append(p.Edges, EdgeID(src.edge))
		p.StartOffset = src.offset
	}
	for i := len(r.rev) - 1; i >= 0; i-- {
		p.Edges = append(p.Edges, r.rev[i])
	}
	if t.edge >= 0 {
		p.Edges = append(p.Edges, EdgeID(t.edge))
		p.EndOffset = t.offset
	} else if len(p.Edges) > 0 {
		p.EndOffset = float64(g.length[p.Edges[len(p.Edges)-1]])
	}
	if len(p.Edges) > 0 {
		p.From = g.EdgePoint(p.Edges[0], p.StartOffset)
		p.To = g.EdgePoint(p.Edges[len(p.Edges)-1], p.EndOffset)
	} else {
		p.From, p.To = g.coord[v], g.coord[v]
	}
	r.measure(&p)
	if direct != nil && r.pathCost(direct, m) <= r.pathCost(&p, m) {
		return *direct, nil
	}
	return p, nil
}

// measure fills p.Length and p.Time from its edges and offsets.
func (r *Router) measure(p *Path) { r.g.measure(p) }

func (g *Graph) measure(p *Path) {
	p.Length, p.Time = 0, 0
	for i, e := range p.Edges {
		l := float64(g.length[e])
		lo, hi := 0.0, l
		if i == 0 {
			lo = p.StartOffset
		}
		if i == len(p.Edges)-1 {
			hi = p.EndOffset
		}
		part := math.Max(0, hi-lo)
		p.Length += part
		if l > 0 {
			p.Time += float64(g.time[e]) * part / l
		}
	}
}

func (r *Router) push(it heapItem) {
	r.heap = append(r.heap, it)
	h := r.heap
	i := len(h) - 1
	for i > 0 {
		parent := (i - 1) / 2
		if h[parent].f <= h[i].f {
			break
		}
		h[parent], h[i] = h[i], h[parent]
		i = parent
	}
}

func (r *Router) pop() heapItem {
	h := r.heap
	top := h[0]
	last := len(h) - 1
	h[0] = h[last]
	h = h[:last]
	i := 0
	for {
		l := 2*i + 1
		if l >= len(h) {
			break
		}
		small := l
		if rr := l + 1; rr < len(h) && h[rr].f < h[l].f {
			small = rr
		}
		if h[i].f <= h[small].f {
			break
		}
		h[i], h[small] = h[small], h[i]
		i = small
	}
	r.heap = h
	return top
}

// Geometry returns the path as a polyline: the start point, every node in
// between, and the end point.
func (g *Graph) Geometry(p Path) []Point {
	if len(p.Edges) == 0 {
		return []Point{p.From}
	}
	pts := make([]Point, 0, len(p.Edges)+1)
	pts = append(pts, g.EdgePoint(p.Edges[0], p.StartOffset))
	for _, e := range p.Edges[:len(p.Edges)-1] {
		pts = append(pts, g.coord[g.to[e]])
	}
	last := p.Edges[len(p.Edges)-1]
	pts = append(pts, g.EdgePoint(last, p.EndOffset))
	return pts
}

// Position is a place along a path.
type Position struct {
	Point   Point   `json:"point"`
	Heading float64 `json:"heading"` // degrees from true north
	Edge    EdgeID  `json:"edge"`
	Offset  float64 `json:"offset"` // metres from the edge's From node
}

// Locate returns the position d metres from the start of p (clamped to the
// path). The edge tells the simulator which road, and so which speed limit,
// the vehicle is on.
func (g *Graph) Locate(p Path, d float64) Position {
	if len(p.Edges) == 0 {
		return Position{Point: p.From, Edge: -1}
	}
	d = math.Max(0, d)
	for i, e := range p.Edges {
		l := float64(g.length[e])
		lo, hi := 0.0, l
		if i == 0 {
			lo = p.StartOffset
		}
		if i == len(p.Edges)-1 {
			hi = p.EndOffset
		}
		span := math.Max(0, hi-lo)
		if d <= span || i == len(p.Edges)-1 {
			off := lo + math.Min(d, span)
			return Position{
				Point:   g.EdgePoint(e, off),
				Heading: Bearing(g.coord[g.from[e]], g.coord[g.to[e]]),
				Edge:    e,
				Offset:  off,
			}
		}
		d -= span
	}
	panic("unreachable")
}
