package roadnet

import (
	"bytes"
	"io"
	"math/rand/v2"
	"os"
	"testing"

	"github.com/jiaotong-platform/jiaotong/internal/roadnet/chengduosm"
)

// BenchmarkLoad parses the gzip-compressed Chengdu extract and builds the
// graph, spatial index and strongly connected components.
func BenchmarkLoad(b *testing.B) {
	data := chengduosm.Compressed()
	b.SetBytes(3465459) // uncompressed XML
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Load(bytes.NewReader(data)); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkLoadFormats loads the same Chengdu extract from each input
// format Load accepts, graph building included: gzip and plain XML, and the
// PBF forms of testdata/ (dense nodes with zlib as osmium writes by default,
// plain nodes with zlib, dense nodes uncompressed).
func BenchmarkLoadFormats(b *testing.B) {
	gz := chengduosm.Compressed()
	zr, err := chengduosm.Open()
	if err != nil {
		b.Fatal(err)
	}
	xml, err := io.ReadAll(zr)
	if err != nil {
		b.Fatal(err)
	}
	inputs := []struct {
		name string
		data []byte
	}{{"xml.gz", gz}, {"xml", xml}}
	for _, f := range []struct{ name, file string }{
		{"pbf", "testdata/chengdu.osm.pbf"},
		{"pbf-nodense", "testdata/chengdu-nodense.osm.pbf"},
		{"pbf-uncompressed", "testdata/chengdu-uncompressed.osm.pbf"},
	} {
		data, err := os.ReadFile(f.file)
		if err != nil {
			b.Fatal(err)
		}
		inputs = append(inputs, struct {
			name string
			data []byte
		}{f.name, data})
	}
	for _, in := range inputs {
		b.Run(in.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if _, err := Load(bytes.NewReader(in.data)); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(len(in.data)), "input-bytes")
		})
	}
}

// BenchmarkRouteAcross routes between opposite corners of the extract
// (昭觉寺汽车站 in the north-east to 高升桥 in the south-west, about 9 km).
func BenchmarkRouteAcross(b *testing.B) {
	g := chengduGraph(b)
	from, _ := g.NearestNode(zhaojuesiBus)
	to, _ := g.NearestNode(Point{Lat: 30.6428, Lon: 104.0396})
	for _, m := range []struct {
		name string
		m    Metric
	}{{"time", ByTime}, {"distance", ByDistance}} {
		b.Run(m.name, func(b *testing.B) {
			r := g.NewRouter()
			b.ReportAllocs()
			for b.Loop() {
				if _, err := r.Route(from, to, m.m); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkRoutePoints routes between random points of the extract,
// snapping both ends first.
func BenchmarkRoutePoints(b *testing.B) {
	g := chengduGraph(b)
	pts := randomPoints(256)
	r := g.NewRouter()
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		a, c := pts[i%len(pts)], pts[(i+1)%len(pts)]
		if _, err := r.RoutePoints(a, c, ByTime); err != nil {
			b.Fatal(err)
		}
		i++
	}
}

// BenchmarkNearestEdge snaps random points of the bounding box.
func BenchmarkNearestEdge(b *testing.B) {
	g := chengduGraph(b)
	pts := randomPoints(1024)
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		if _, ok := g.NearestEdge(pts[i%len(pts)]); !ok {
			b.Fatal("no edge")
		}
		i++
	}
}

func randomPoints(n int) []Point {
	rng := rand.New(rand.NewPCG(7, 7))
	pts := make([]Point, n)
	for i := range pts {
		pts[i] = Point{Lat: 30.6528 + rng.Float64()*0.0751, Lon: 104.0421 + rng.Float64()*0.0875}
	}
	return pts
}
