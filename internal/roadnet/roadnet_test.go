package roadnet

import (
	"compress/gzip"
	"container/heap"
	"encoding/json"
	"errors"
	"math"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// chengduGraph loads the embedded Chengdu extract once per test binary.
func chengduGraph(tb testing.TB) *Graph {
	tb.Helper()
	g, err := Chengdu()
	if err != nil {
		tb.Fatalf("load chengdu: %v", err)
	}
	return g
}

// Real places of central Chengdu used by several tests.
var (
	tianfuSquare  = Point{Lat: 30.6574, Lon: 104.0658} // 天府广场
	northRailway  = Point{Lat: 30.6960, Lon: 104.0735} // 火车北站
	zhaojuesiBus  = Point{Lat: 30.7073, Lon: 104.1021} // 昭觉寺汽车站
	xinnanmenBus  = Point{Lat: 30.6513, Lon: 104.0731} // 新南门汽车站
	shunchengMid  = Point{Lat: 30.6555457, Lon: 104.0670869}
	shunchengName = "顺城大街"
)

func TestChengduExtract(t *testing.T) {
	g := chengduGraph(t)
	// 2,081 drivable ways in the extract, less one living_street drawn as an
	// area (area=yes), which is a square, not a road.
	if got := g.NumWays(); got != 2080 {
		t.Errorf("NumWays = %d, want 2080", got)
	}
	if g.CoreSize() < g.NumNodes()*3/4 {
		t.Errorf("largest strongly connected component has %d of %d nodes, want most of them", g.CoreSize(), g.NumNodes())
	}
	classes := map[Class]int{}
	tagged := 0
	for _, w := range g.Ways() {
		classes[w.Class]++
		if w.SpeedTagged {
			tagged++
		}
		if w.MaxSpeed <= 0 {
			t.Fatalf("way %d has no speed", w.OSMID)
		}
	}
	if classes[ClassPrimary] != 341 || classes[ClassResidential] != 465 {
		t.Errorf("primary %d residential %d, want 341 and 465", classes[ClassPrimary], classes[ClassResidential])
	}
	if tagged != 22 {
		t.Errorf("%d ways with maxspeed, want 22", tagged)
	}
	found := map[string]bool{}
	for _, p := range g.Places() {
		if p.Kind == PlaceBusStation || p.Kind == PlaceBusStop {
			found[p.Name] = true
		}
	}
	for _, name := range []string{"城北客运站", "昭觉寺汽车站", "五块石客运站", "新南门汽车站"} {
		if !found[name] {
			t.Errorf("place %s not loaded", name)
		}
	}
}

func TestRouteBetweenKnownPoints(t *testing.T) {
	g := chengduGraph(t)
	r := g.NewRouter()
	straight := Distance(tianfuSquare, northRailway)
	byTime, err := r.RoutePoints(tianfuSquare, northRailway, ByTime)
	if err != nil {
		t.Fatal(err)
	}
	byDist, err := r.RoutePoints(tianfuSquare, northRailway, ByDistance)
	if err != nil {
		t.Fatal(err)
	}
	for name, p := range map[string]Path{"by time": byTime, "by distance": byDist} {
		t.Run(name, func(t *testing.T) {
			if p.Length < straight || p.Length > 1.6*straight {
				t.Errorf("length %.0f m for a straight-line distance of %.0f m", p.Length, straight)
			}
			// Average speed between 20 and 80 km/h.
			if v := p.Length / p.Time * 3.6; v < 20 || v > 80 {
				t.Errorf("average speed %.1f km/h", v)
			}
			checkPath(t, g, p)
		})
	}
	if byDist.Length > byTime.Length+1e-6 {
		t.Errorf("shortest by distance %.1f m is longer than the fastest %.1f m", byDist.Length, byTime.Length)
	}
	if byTime.Time > byDist.Time+1e-6 {
		t.Errorf("fastest %.1f s is slower than the shortest %.1f s", byTime.Time, byDist.Time)
	}
}

// checkPath verifies that p is a connected walk whose geometry, length and
// interpolation agree.
func checkPath(t *testing.T, g *Graph, p Path) {
	t.Helper()
	for i := 1; i < len(p.Edges); i++ {
		if g.Edge(p.Edges[i-1]).To != g.Edge(p.Edges[i]).From {
			t.Fatalf("edges %d and %d are not connected", p.Edges[i-1], p.Edges[i])
		}
	}
	geom := g.Geometry(p)
	if l := Length(geom); math.Abs(l-p.Length) > 0.5 {
		t.Errorf("geometry length %.2f m, path length %.2f m", l, p.Length)
	}
	if d := Distance(g.Locate(p, 0).Point, p.From); d > 0.01 {
		t.Errorf("Locate(0) is %.2f m from the start", d)
	}
	if d := Distance(g.Locate(p, p.Length).Point, p.To); d > 0.01 {
		t.Errorf("Locate(end) is %.2f m from the end", d)
	}
	pl := NewPolyline(geom)
	for _, frac := range []float64{0.1, 0.5, 0.9} {
		d := frac * p.Length
		a := g.Locate(p, d).Point
		b, _ := pl.At(d)
		if dist := Distance(a, b); dist > 1 {
			t.Errorf("at %.0f m Locate and Polyline.At differ by %.2f m", d, dist)
		}
		if c := Interpolate(geom, d); Distance(b, c) > 0.01 {
			t.Errorf("at %.0f m Interpolate and Polyline.At differ", d)
		}
	}
}

func TestOnewayRespected(t *testing.T) {
	g := chengduGraph(t)
	r := g.NewRouter()
	tests := []struct {
		name     string
		from, to int64 // OSM nodes in the permitted direction
	}{
		{"东御街 oneway=yes", 441187183, 872833772},
		{"二环路北三段 oneway=-1", 1072698542, 5484841942},
	}
	byOSM := map[int64]NodeID{}
	for v := NodeID(0); int(v) < g.NumNodes(); v++ {
		byOSM[g.NodeOSMID(v)] = v
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			a, b := byOSM[tc.from], byOSM[tc.to]
			lo, hi := g.OutEdges(a)
			var seg Edge
			for e := lo; e < hi; e++ {
				if g.Edge(e).To == b {
					seg = g.Edge(e)
				}
			}
			if seg.Length == 0 {
				t.Fatal("no edge in the permitted direction")
			}
			if seg.Twin >= 0 {
				t.Fatal("one-way segment has a reverse edge")
			}
			lo, hi = g.OutEdges(b)
			for e := lo; e < hi; e++ {
				if g.Edge(e).To == a {
					t.Fatal("edge against the one-way direction")
				}
			}
			fwd, err := r.Route(a, b, ByDistance)
			if err != nil {
				t.Fatal(err)
			}
			if len(fwd.Edges) != 1 || math.Abs(fwd.Length-seg.Length) > 1e-3 {
				t.Errorf("forward route %v (%.1f m), want the single segment of %.1f m", fwd.Edges, fwd.Length, seg.Length)
			}
			back, err := r.Route(b, a, ByDistance)
			if err != nil {
				t.Fatal(err)
			}
			if back.Length <= seg.Length*1.2 {
				t.Errorf("way back is %.1f m for a %.1f m one-way segment: it must go round", back.Length, seg.Length)
			}
			checkPath(t, g, back)
		})
	}
}

func TestNearestEdgeOnKnownRoad(t *testing.T) {
	g := chengduGraph(t)
	s, ok := g.NearestEdge(shunchengMid)
	if !ok {
		t.Fatal("no edge")
	}
	if w := g.EdgeWay(s.Edge); w.Name != shunchengName || w.Class != ClassPrimary || w.Lanes != 4 || w.Oneway != OnewayForward {
		t.Errorf("nearest way %+v, want 顺城大街 (primary, 4 lanes, one-way)", w)
	}
	if s.Distance > 10 {
		t.Errorf("distance %.1f m, want under 10 m", s.Distance)
	}
	if d := Distance(s.Point, g.EdgePoint(s.Edge, s.Offset)); d > 0.01 {
		t.Errorf("offset and point disagree by %.3f m", d)
	}
	// A point on a node of the road is at distance zero.
	on, _ := g.NearestEdge(Point{Lat: 30.6548869, Lon: 104.0664771})
	if on.Distance > 0.01 {
		t.Errorf("point on a road node at %.3f m", on.Distance)
	}
}

// TestAStarMatchesDijkstra compares routes with a plain Dijkstra written
// independently here, over random pairs of core nodes.
func TestAStarMatchesDijkstra(t *testing.T) {
	g := chengduGraph(t)
	r := g.NewRouter()
	rng := rand.New(rand.NewPCG(1, 2))
	var core []NodeID
	for v := NodeID(0); int(v) < g.NumNodes(); v++ {
		if g.InCore(v) {
			core = append(core, v)
		}
	}
	for i := 0; i < 20; i++ {
		a, b := core[rng.IntN(len(core))], core[rng.IntN(len(core))]
		for _, m := range []Metric{ByTime, ByDistance} {
			want := dijkstra(g, a, b, m)
			p, err := r.Route(a, b, m)
			if err != nil {
				t.Fatalf("route %d→%d: %v", a, b, err)
			}
			got := p.Time
			if m == ByDistance {
				got = p.Length
			}
			if math.Abs(got-want) > 1e-3*math.Max(1, want) {
				t.Errorf("route %d→%d metric %d: cost %.3f, Dijkstra %.3f", a, b, m, got, want)
			}
		}
	}
}

type dItem struct {
	v NodeID
	d float64
}
type dHeap []dItem

func (h dHeap) Len() int           { return len(h) }
func (h dHeap) Less(i, j int) bool { return h[i].d < h[j].d }
func (h dHeap) Swap(i, j int)      { h[i], h[j] = h[j], h[i] }
func (h *dHeap) Push(x any)        { *h = append(*h, x.(dItem)) }
func (h *dHeap) Pop() any          { old := *h; x := old[len(old)-1]; *h = old[:len(old)-1]; return x }

func dijkstra(g *Graph, a, b NodeID, m Metric) float64 {
	dist := map[NodeID]float64{a: 0}
	h := &dHeap{{a, 0}}
	for h.Len() > 0 {
		it := heap.Pop(h).(dItem)
		if it.d > dist[it.v] {
			continue
		}
		if it.v == b {
			return it.d
		}
		lo, hi := g.OutEdges(it.v)
		for e := lo; e < hi; e++ {
			ed := g.Edge(e)
			c := ed.Time
			if m == ByDistance {
				c = ed.Length
			}
			if d, ok := dist[ed.To]; !ok || it.d+c < d {
				dist[ed.To] = it.d + c
				heap.Push(h, dItem{ed.To, it.d + c})
			}
		}
	}
	return math.Inf(1)
}

func TestRouteSnapsSameSegment(t *testing.T) {
	g := chengduGraph(t)
	r := g.NewRouter()
	s, _ := g.NearestEdge(shunchengMid)
	e := g.Edge(s.Edge)
	ahead := Snap{Edge: s.Edge, Offset: math.Min(e.Length, s.Offset+50), Point: g.EdgePoint(s.Edge, s.Offset+50)}
	p, err := r.RouteSnaps(s, ahead, ByDistance)
	if err != nil {
		t.Fatal(err)
	}
	if len(p.Edges) != 1 || math.Abs(p.Length-(ahead.Offset-s.Offset)) > 1e-6 {
		t.Errorf("along one-way segment: %d edges, %.1f m", len(p.Edges), p.Length)
	}
	// Going back on a one-way street needs a detour.
	back, err := r.RouteSnaps(ahead, s, ByDistance)
	if err != nil {
		t.Fatal(err)
	}
	if back.Length < 100 {
		t.Errorf("back along a one-way street in %.1f m", back.Length)
	}
	checkPath(t, g, back)
}

func TestRouterReuseAllocations(t *testing.T) {
	g := chengduGraph(t)
	r := g.NewRouter()
	a, _ := g.NearestNode(zhaojuesiBus)
	b, _ := g.NearestNode(xinnanmenBus)
	if _, err := r.Route(a, b, ByTime); err != nil {
		t.Fatal(err)
	}
	allocs := testing.AllocsPerRun(5, func() {
		if _, err := r.Route(a, b, ByTime); err != nil {
			t.Fatal(err)
		}
	})
	if allocs > 2 {
		t.Errorf("%.0f allocations per query, want at most 2 (the returned path)", allocs)
	}
}

func TestNoRoute(t *testing.T) {
	g := chengduGraph(t)
	r := g.NewRouter()
	var outside NodeID = -1
	for v := NodeID(0); int(v) < g.NumNodes(); v++ {
		if !g.InCore(v) {
			lo, hi := g.OutEdges(v)
			if lo == hi { // a dead end: nothing leaves it
				outside = v
				break
			}
		}
	}
	if outside < 0 {
		t.Skip("no dead end in the extract")
	}
	core, _ := g.NearestNode(tianfuSquare)
	if _, err := r.Route(outside, core, ByTime); !errors.Is(err, ErrNoRoute) {
		t.Errorf("route from a dead end: %v, want ErrNoRoute", err)
	}
	if _, err := r.Route(core, NodeID(g.NumNodes()), ByTime); err == nil {
		t.Error("route to a node out of range succeeded")
	}
}

const sampleOSM = `<?xml version='1.0' encoding='UTF-8'?>
<osm version="0.6">
 <node id="1" lat="30.0000" lon="104.0000"/>
 <node id="2" lat="30.0010" lon="104.0000"/>
 <node id="3" lat="30.0020" lon="104.0000"><tag k="highway" v="bus_stop"/><tag k="name" v="测试站"/></node>
 <node id="4" lat="30.0020" lon="104.0010"/>
 <way id="10"><nd ref="1"/><nd ref="2"/><nd ref="3"/>
  <tag k="highway" v="primary"/><tag k="name" v="测试路"/><tag k="name:en" v="Test Road"/>
  <tag k="maxspeed" v="30 mph"/><tag k="lanes" v="3"/></way>
 <way id="11"><nd ref="3"/><nd ref="4"/><tag k="highway" v="motorway"/></way>
 <way id="12"><nd ref="4"/><nd ref="2"/><tag k="highway" v="residential"/><tag k="oneway" v="-1"/></way>
 <way id="13"><nd ref="2"/><nd ref="4"/><tag k="highway" v="footway"/></way>
 <way id="14"><nd ref="1"/><nd ref="4"/><tag k="highway" v="tertiary"/><tag k="junction" v="roundabout"/><tag k="oneway" v="no"/></way>
 <way id="15"><nd ref="1"/><nd ref="99"/><tag k="highway" v="service"/></way>
</osm>`

func TestLoadTags(t *testing.T) {
	g, err := Load(strings.NewReader(sampleOSM))
	if err != nil {
		t.Fatal(err)
	}
	want := []Way{
		{OSMID: 10, Class: ClassPrimary, Name: "测试路", NameEn: "Test Road", Lanes: 3, MaxSpeed: 48.3, SpeedTagged: true},
		{OSMID: 11, Class: ClassMotorway, Oneway: OnewayForward, MaxSpeed: 100},
		{OSMID: 12, Class: ClassResidential, Oneway: OnewayReverse, MaxSpeed: 30},
		{OSMID: 14, Class: ClassTertiary, MaxSpeed: 40},
	}
	if diff := cmp.Diff(want, g.Ways()); diff != "" {
		t.Errorf("ways (-want +got):\n%s", diff)
	}
	// 10: 2 segments × 2, 11: 1, 12: 1, 14: 1 × 2; 15 references a missing node.
	if g.NumEdges() != 8 || g.NumNodes() != 4 {
		t.Errorf("%d edges %d nodes, want 8 and 4", g.NumEdges(), g.NumNodes())
	}
	if len(g.Places()) != 1 || g.Places()[0].Name != "测试站" {
		t.Errorf("places %+v", g.Places())
	}
	r := g.NewRouter()
	n := map[int64]NodeID{}
	for v := NodeID(0); int(v) < g.NumNodes(); v++ {
		n[g.NodeOSMID(v)] = v
	}
	// Way 12 (4→2 drawn, oneway=-1) may only be driven 2→4.
	p, err := r.Route(n[2], n[4], ByDistance)
	if err != nil || len(p.Edges) != 1 {
		t.Errorf("2→4 over the reverse one-way: %v %v", p.Edges, err)
	}
	// 4→2: the motorway 3→4 is one-way, so go 4→1 (roundabout tagged
	// oneway=no) then 1→2.
	p, err = r.Route(n[4], n[2], ByDistance)
	if err != nil || len(p.Edges) != 2 || g.Edge(p.Edges[0]).To != n[1] {
		t.Errorf("4→2: %v %v", p.Edges, err)
	}
}

func TestLoadGzipAndErrors(t *testing.T) {
	var buf strings.Builder
	zw := gzip.NewWriter(&buf)
	zw.Write([]byte(sampleOSM))
	zw.Close()
	if g, err := Load(strings.NewReader(buf.String())); err != nil || g.NumWays() != 4 {
		t.Errorf("gzip input: %v", err)
	}
	tests := map[string]string{
		"empty":        "",
		"not osm":      "<html></html>",
		"bad lat":      `<osm><node id="1" lat="x" lon="1"/></osm>`,
		"out of range": `<osm><node id="1" lat="95" lon="1"/></osm>`,
		"NaN lat":      `<osm><node id="1" lat="NaN" lon="1"/><node id="2" lat="1" lon="1"/><way id="3"><nd ref="1"/><nd ref="2"/><tag k="highway" v="primary"/></way></osm>`,
		"no roads":     `<osm><node id="1" lat="1" lon="1"/></osm>`,
		"truncated":    `<osm><node id="1" lat="1" lon="1">`,
		"bad gzip":     "\x1f\x8b garbage",
	}
	for name, in := range tests {
		t.Run(name, func(t *testing.T) {
			if _, err := Load(strings.NewReader(in)); err == nil {
				t.Error("no error")
			}
		})
	}
}

func TestParseMaxspeed(t *testing.T) {
	tests := []struct {
		in   string
		want float64
		ok   bool
	}{
		{"60", 60, true},
		{"60 km/h", 60, true},
		{"60kmh", 60, true},
		{"30 mph", 48.3, true},
		{"40;60", 40, true},
		{"none", 0, false},
		{"CN:urban", 0, false},
		{"", 0, false},
		{"-5", 0, false},
	}
	for _, tc := range tests {
		t.Run(tc.in, func(t *testing.T) {
			got, ok := ParseMaxspeed(tc.in)
			if got != tc.want || ok != tc.ok {
				t.Errorf("ParseMaxspeed(%q) = %v, %v; want %v, %v", tc.in, got, ok, tc.want, tc.ok)
			}
		})
	}
}

func TestPolyline(t *testing.T) {
	pts := []Point{{30, 104}, {30.001, 104}, {30.001, 104.001}}
	pl := NewPolyline(pts)
	if math.Abs(pl.Length()-Length(pts)) > 1e-9 {
		t.Fatal("lengths disagree")
	}
	first := Distance(pts[0], pts[1])
	p, heading := pl.At(first / 2)
	if Distance(p, Point{30.0005, 104}) > 0.01 || math.Abs(heading) > 1e-6 {
		t.Errorf("midpoint of the first segment: %v heading %.2f", p, heading)
	}
	p, heading = pl.At(first + 1)
	if math.Abs(heading-90) > 0.1 || p.Lat != 30.001 {
		t.Errorf("on the second segment: %v heading %.2f", p, heading)
	}
	if p, _ := pl.At(-5); p != pts[0] {
		t.Error("negative distance not clamped")
	}
	if p, _ := pl.At(1e9); p != pts[2] {
		t.Error("distance past the end not clamped")
	}
	if Interpolate(pts, 1e9) != pts[2] || Interpolate(nil, 1) != (Point{}) {
		t.Error("Interpolate clamps")
	}
}

func TestClassText(t *testing.T) {
	b, err := json.Marshal(Way{Class: ClassPrimaryLink})
	if err != nil || !strings.Contains(string(b), `"class":"primary_link"`) {
		t.Fatalf("marshal: %s %v", b, err)
	}
	var w Way
	if err := json.Unmarshal(b, &w); err != nil || w.Class != ClassPrimaryLink {
		t.Errorf("unmarshal: %+v %v", w, err)
	}
	if err := json.Unmarshal([]byte(`{"class":"footway"}`), &w); err == nil {
		t.Error("footway accepted as a road class")
	}
}

func TestMicro(t *testing.T) {
	p := FromMicro(30657400, 104065800)
	if lat, lon := p.Micro(); lat != 30657400 || lon != 104065800 {
		t.Errorf("round trip %d %d", lat, lon)
	}
}
