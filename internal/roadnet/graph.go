package roadnet

import (
	"errors"
	"math"

	"github.com/tidwall/rtree"
)

// NodeID indexes a graph node (0..NumNodes-1). It is not the OSM id.
type NodeID int32

// EdgeID indexes a directed edge (0..NumEdges-1).
type EdgeID int32

// WayID indexes a loaded way (0..NumWays-1).
type WayID int32

// Way is one drivable OpenStreetMap way.
type Way struct {
	OSMID  int64  `json:"osm_id"`
	Class  Class  `json:"class"`
	Name   string `json:"name,omitempty"`    // Chinese name (name)
	NameEn string `json:"name_en,omitempty"` // English name (name:en)
	Oneway Oneway `json:"oneway"`
	Lanes  uint8  `json:"lanes,omitempty"` // 0 when untagged
	// MaxSpeed is the speed limit in km/h in force on the way: the maxspeed
	// tag when present and parsable, else the class default (SpeedTagged false).
	MaxSpeed    float64 `json:"max_speed"`
	SpeedTagged bool    `json:"speed_tagged"`
}

// Place kinds kept from the extract besides the roads.
const (
	PlaceBusStop        = "bus_stop"        // highway=bus_stop
	PlaceBusStation     = "bus_station"     // amenity=bus_station (客运站/公交站场)
	PlaceRailStation    = "rail_station"    // railway=station|halt
	PlaceTransitStation = "transit_station" // public_transport=station
	PlacePlace          = "place"           // place=* (suburb, neighbourhood, ...)
)

// Place is a point of interest kept from the extract: bus stops, stations
// and named places. The demo data puts passenger stations at these.
type Place struct {
	OSMID  int64  `json:"osm_id"` // negative for a place drawn as a way (the way id, negated)
	Kind   string `json:"kind"`
	Name   string `json:"name,omitempty"`
	NameEn string `json:"name_en,omitempty"`
	Point  Point  `json:"point"`
}

// Graph is a routable road network in compressed sparse row form: the
// directed edges leaving node v are first[v]..first[v+1]-1. An edge is one
// straight segment between two consecutive nodes of a way, so edge geometry
// is exact and every position on a road lies on exactly one segment.
//
// A Graph is immutable after Load and safe for concurrent use; a Router is
// not (each goroutine takes its own).
type Graph struct {
	ways    []Way
	osmNode []int64
	coord   []Point
	first   []int32
	from    []int32
	to      []int32
	way     []int32
	length  []float32 // metres
	time    []float32 // seconds at the way's speed limit
	twin    []int32   // the opposite edge of the same segment, or -1
	core    []bool    // node belongs to the largest strongly connected component
	places  []Place

	index    rtree.RTreeG[int32] // one entry per segment (planar metres), data = an edge of it
	proj     planar
	maxSpeed float64 // fastest edge speed, m/s (A* time heuristic)
	coreSize int
}

type buildEdge struct {
	from, to int32
	way      int32
	length   float32
	time     float32
	pair     int32 // index in the build list of the opposite edge, or -1
}

func build(ways []rawWay, coords map[int64]Point, places []Place) (*Graph, error) {
	g := &Graph{places: places}
	nodeIdx := make(map[int64]int32, len(coords)/2)
	node := func(osm int64) int32 {
		if i, ok := nodeIdx[osm]; ok {
			return i
		}
		i := int32(len(g.coord))
		nodeIdx[osm] = i
		g.osmNode = append(g.osmNode, osm)
		g.coord = append(g.coord, coords[osm])
		return i
	}
	var edges []buildEdge
	for _, rw := range ways {
		wi := int32(len(g.ways))
		w := rw.way
		speed := w.MaxSpeed / 3.6
		segs := 0
		for i := 1; i < len(rw.nodes); i++ {
			a, b := rw.nodes[i-1], rw.nodes[i]
			pa, okA := coords[a]
			pb, okB := coords[b]
			if !okA || !okB || a == b {
				continue // node outside the extract, or a repeated node
			}
			ia, ib := node(a), node(b)
			l := Distance(pa, pb)
			e := buildEdge{way: wi, length: float32(l), time: float32(l / speed), pair: -1}
			fwd, rev := -1, -1
			if w.Oneway != OnewayReverse {
				e.from, e.to = ia, ib
				fwd = len(edges)
				edges = append(edges, e)
			}
			if w.Oneway != OnewayForward {
				e.from, e.to = ib, ia
				rev = len(edges)
				edges = append(edges, e)
			}
			if fwd >= 0 && rev >= 0 {
				edges[fwd].pair, edges[rev].pair = int32(rev), int32(fwd)
			}
			segs++
			if speed > g.maxSpeed {
				g.maxSpeed = speed
			}
		}
		// wi is the index the way gets if kept; a way without a single
		// segment inside the extract is dropped and has no edges.
		if segs > 0 {
			g.ways = append(g.ways, w)
		}
	}
	if len(edges) == 0 {
		return nil, errors.New("no drivable road in the input")
	}
	n := len(g.coord)
	g.first = make([]int32, n+1)
	for _, e := range edges {
		g.first[e.from+1]++
	}
	for i := 1; i <= n; i++ {
		g.first[i] += g.first[i-1]
	}
	m := len(edges)
	pos := make([]int32, m) // build index → final edge id
	next := append([]int32(nil), g.first[:n]...)
	for i, e := range edges {
		pos[i] = next[e.from]
		next[e.from]++
	}
	g.from = make([]int32, m)
	g.to = make([]int32, m)
	g.way = make([]int32, m)
	g.length = make([]float32, m)
	g.time = make([]float32, m)
	g.twin = make([]int32, m)
	for i, e := range edges {
		k := pos[i]
		g.from[k], g.to[k], g.way[k] = e.from, e.to, e.way
		g.length[k], g.time[k] = e.length, e.time
		g.twin[k] = -1
		if e.pair >= 0 {
			g.twin[k] = pos[e.pair]
		}
	}
	g.markCore()
	g.buildIndex()
	return g, nil
}

// markCore finds the largest strongly connected component (iterative
// Tarjan). Extracts cut at a bounding box leave dead ends and fragments from
// which no route leads back; snapping for routing stays inside the core.
func (g *Graph) markCore() {
	n := len(g.coord)
	index := make([]int32, n)
	low := make([]int32, n)
	onStack := make([]bool, n)
	comp := make([]int32, n)
	for i := range index {
		index[i] = -1
	}
	type frame struct{ v, ei int32 }
	var calls []frame
	var stack []int32
	counter, ncomp := int32(0), int32(0)
	var sizes []int
	for s := int32(0); s < int32(n); s++ {
		if index[s] >= 0 {
			continue
		}
		index[s], low[s] = counter, counter
		counter++
		stack = append(stack, s)
		onStack[s] = true
		calls = append(calls, frame{s, g.first[s]})
		for len(calls) > 0 {
			f := &calls[len(calls)-1]
			if f.ei < g.first[f.v+1] {
				w := g.to[f.ei]
				f.ei++
				if index[w] < 0 {
					index[w], low[w] = counter, counter
					counter++
					stack = append(stack, w)
					onStack[w] = true
					calls = append(calls, frame{w, g.first[w]})
				} else if onStack[w] && index[w] < low[f.v] {
					low[f.v] = index[w]
				}
				continue
			}
			v := f.v
			calls = calls[:len(calls)-1]
			if len(calls) > 0 {
				p := calls[len(calls)-1].v
				if low[v] < low[p] {
					low[p] = low[v]
				}
			}
			if low[v] == index[v] {
				size := 0
				for {
					w := stack[len(stack)-1]
					stack = stack[:len(stack)-1]
					onStack[w] = false
					comp[w] = ncomp
					size++
					if w == v {
						break
					}
				}
				sizes = append(sizes, size)
				ncomp++
			}
		}
	}
	best := int32(0)
	for c, s := range sizes {
		if s > sizes[best] {
			best = int32(c)
		}
	}
	g.core = make([]bool, n)
	for v := range comp {
		if comp[v] == best {
			g.core[v] = true
			g.coreSize++
		}
	}
}

func (g *Graph) buildIndex() {
	var sum float64
	for _, p := range g.coord {
		sum += p.Lat
	}
	g.proj = newPlanar(sum / float64(len(g.coord)))
	for e := range g.from {
		t := g.twin[e]
		if t >= 0 && t < int32(e) {
			continue // the segment is already indexed through its twin
		}
		a, b := g.proj.xy(g.coord[g.from[e]]), g.proj.xy(g.coord[g.to[e]])
		g.index.Insert(
			[2]float64{math.Min(a[0], b[0]), math.Min(a[1], b[1])},
			[2]float64{math.Max(a[0], b[0]), math.Max(a[1], b[1])},
			int32(e))
	}
}

// NumNodes returns the number of nodes.
func (g *Graph) NumNodes() int { return len(g.coord) }

// NumEdges returns the number of directed edges.
func (g *Graph) NumEdges() int { return len(g.from) }

// NumWays returns the number of drivable ways loaded.
func (g *Graph) NumWays() int { return len(g.ways) }

// CoreSize returns the number of nodes in the largest strongly connected
// component: the part of the network where every node reaches every other.
func (g *Graph) CoreSize() int { return g.coreSize }

// InCore reports whether node v lies in the largest strongly connected component.
func (g *Graph) InCore(v NodeID) bool { return g.core[v] }

// Way returns way w.
func (g *Graph) Way(w WayID) Way { return g.ways[w] }

// Ways returns every loaded way; the slice must not be modified.
func (g *Graph) Ways() []Way { return g.ways }

// Places returns the bus stops, stations and named places of the extract;
// the slice must not be modified.
func (g *Graph) Places() []Place { return g.places }

// Node returns the coordinates of node v.
func (g *Graph) Node(v NodeID) Point { return g.coord[v] }

// NodeOSMID returns the OpenStreetMap id of node v.
func (g *Graph) NodeOSMID(v NodeID) int64 { return g.osmNode[v] }

// Edge describes a directed edge.
type Edge struct {
	ID     EdgeID
	From   NodeID
	To     NodeID
	Way    WayID
	Length float64 // metres
	Time   float64 // seconds at the speed limit
	// Twin is the edge of the same segment in the opposite direction, or -1
	// on a one-way road.
	Twin EdgeID
}

// Edge returns edge e.
func (g *Graph) Edge(e EdgeID) Edge {
	return Edge{ID: e, From: NodeID(g.from[e]), To: NodeID(g.to[e]), Way: WayID(g.way[e]),
		Length: float64(g.length[e]), Time: float64(g.time[e]), Twin: EdgeID(g.twin[e])}
}

// EdgeWay returns the way edge e belongs to.
func (g *Graph) EdgeWay(e EdgeID) Way { return g.ways[g.way[e]] }

// OutEdges returns the range [lo, hi) of edge ids leaving v.
func (g *Graph) OutEdges(v NodeID) (lo, hi EdgeID) {
	return EdgeID(g.first[v]), EdgeID(g.first[v+1])
}

// EdgePoint returns the point at offset metres from the start of edge e.
func (g *Graph) EdgePoint(e EdgeID, offset float64) Point {
	l := float64(g.length[e])
	t := 0.0
	if l > 0 {
		t = math.Max(0, math.Min(1, offset/l))
	}
	return lerp(g.coord[g.from[e]], g.coord[g.to[e]], t)
}

// Bounds returns the south-west and north-east corners of the nodes.
func (g *Graph) Bounds() (sw, ne Point) {
	sw = Point{Lat: 90, Lon: 180}
	ne = Point{Lat: -90, Lon: -180}
	for _, p := range g.coord {
		sw.Lat, sw.Lon = math.Min(sw.Lat, p.Lat), math.Min(sw.Lon, p.Lon)
		ne.Lat, ne.Lon = math.Max(ne.Lat, p.Lat), math.Max(ne.Lon, p.Lon)
	}
	return sw, ne
}
