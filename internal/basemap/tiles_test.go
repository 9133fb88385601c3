package basemap

import (
	"context"
	"log/slog"
	"math"
	"sync"
	"testing"
)

// quiet keeps the tests' output to their own messages.
var quiet = slog.New(slog.DiscardHandler)

// chengdu is the basemap of the embedded extract, shared by the tests.
var chengdu = sync.OnceValue(func() *Service { return New(nil, Config{}, quiet) })

// tileOf returns the tile at zoom z containing a WGS-84 position.
func tileOf(lon, lat float64, z int) (x, y int) {
	p := project(lon, lat)
	n := math.Exp2(float64(z))
	return int(p.X * n), int(p.Y * n)
}

func render(t *testing.T, s *Service, z, x, y int) map[string]DecodedLayer {
	t.Helper()
	raw, err := s.Render(context.Background(), z, x, y)
	if err != nil {
		t.Fatal(err)
	}
	ls, err := DecodeTile(raw)
	if err != nil {
		t.Fatalf("tile %d/%d/%d does not decode: %v", z, x, y, err)
	}
	out := map[string]DecodedLayer{}
	for _, l := range ls {
		if _, dup := out[l.Name]; dup {
			t.Errorf("layer %s twice in the tile", l.Name)
		}
		if l.Extent != Extent {
			t.Errorf("layer %s extent %d", l.Name, l.Extent)
		}
		out[l.Name] = l
	}
	return out
}

func find(l DecodedLayer, key string, val any) []DecodedFeature {
	var out []DecodedFeature
	for _, f := range l.Features {
		if f.Props[key] == val {
			out = append(out, f)
		}
	}
	return out
}

// The z14 tile of central Chengdu (春熙路, 总府路) holds every layer, with
// the roads' classes and names from OpenStreetMap.
func TestChengduTileLayersAndAttributes(t *testing.T) {
	x, y := tileOf(104.0776, 30.6570, 14) // 总府路 at 春熙路
	if x != 12928 || y != 6724 {
		t.Fatalf("tile of 总府路 is %d/%d, want 12928/6724", x, y)
	}
	ls := render(t, chengdu(), 14, x, y)
	for _, name := range []string{LayerRoads, LayerBuildings, LayerWater, LayerWaterway, LayerLanduse, LayerPlaces} {
		if len(ls[name].Features) == 0 {
			t.Errorf("layer %s missing or empty in 14/%d/%d", name, x, y)
		}
	}
	zongfu := find(ls[LayerRoads], "name", "总府路")
	if len(zongfu) == 0 {
		t.Fatal("总府路 is not in its tile")
	}
	for _, f := range zongfu {
		if f.Type != geomLine || f.Props["class"] != "primary" || f.Props["name_en"] != "Zongfu Lu" {
			t.Errorf("总府路: type %d, props %v; want a primary road line with name_en Zongfu Lu", f.Type, f.Props)
		}
	}
	if len(find(ls[LayerRoads], "name", "人民中路一段")) == 0 || find(ls[LayerRoads], "name", "人民中路一段")[0].Props["class"] != "secondary" {
		t.Error("人民中路一段 is not a secondary road of the tile")
	}
	jinjiang := find(ls[LayerPlaces], "name", "锦江区")
	if len(jinjiang) != 1 || jinjiang[0].Props["class"] != "suburb" || jinjiang[0].Props["name_zh"] != "锦江区" || jinjiang[0].Type != geomPoint {
		t.Errorf("place 锦江区: %+v", jinjiang)
	}
	if len(find(ls[LayerWaterway], "class", "river")) == 0 {
		t.Error("the river (锦江) is not in the waterway layer")
	}
	for _, f := range ls[LayerBuildings].Features {
		if f.Type != geomPolygon {
			t.Fatalf("building of type %d", f.Type)
		}
	}
}

// Every coordinate stays within the tile plus its buffer, polygons are wound
// as MVT requires, and a road crossing a tile edge is in both neighbours.
func TestTilesClipped(t *testing.T) {
	s := chengdu()
	x, y := tileOf(104.0776, 30.6570, 15)
	for _, tc := range [][2]int{{x, y}, {x + 1, y}} {
		ls := render(t, s, 15, tc[0], tc[1])
		for name, l := range ls {
			for _, f := range l.Features {
				for _, part := range f.Parts {
					for _, p := range part {
						if p.X < -tileBuffer || p.X > Extent+tileBuffer || p.Y < -tileBuffer || p.Y > Extent+tileBuffer {
							t.Fatalf("layer %s feature %d point %v outside the buffered tile", name, f.ID, p)
						}
					}
					if f.Type == geomPolygon && len(part) < 3 {
						t.Fatalf("layer %s feature %d: ring of %d points", name, f.ID, len(part))
					}
				}
				if f.Type == geomPolygon && ringArea(f.Parts[0]) <= 0 {
					t.Errorf("layer %s feature %d: first ring is not an exterior (clockwise) ring", name, f.ID)
				}
			}
		}
	}
	left, right := render(t, s, 15, x, y)[LayerRoads], render(t, s, 15, x+1, y)[LayerRoads]
	ids := map[uint64]bool{}
	for _, f := range left.Features {
		ids[f.ID] = true
	}
	shared := 0
	for _, f := range right.Features {
		if ids[f.ID] {
			shared++
		}
	}
	if shared == 0 {
		t.Error("no road continues from one tile into its neighbour")
	}
}

func TestZoomFiltering(t *testing.T) {
	s := chengdu()
	x, y := tileOf(104.0776, 30.6570, 11)
	ls := render(t, s, 11, x, y)
	if len(ls[LayerBuildings].Features) > 0 {
		t.Error("buildings at zoom 11")
	}
	classes := map[any]bool{}
	for _, f := range ls[LayerRoads].Features {
		classes[f.Props["class"]] = true
	}
	if !classes["primary"] || !classes["trunk"] || classes["minor"] || classes["service"] || classes["path"] {
		t.Errorf("road classes at zoom 11: %v; want the main roads only", classes)
	}
	// Zoomed out to the province, the trunk roads remain and nothing finer.
	x, y = tileOf(104.0776, 30.6570, 7)
	for _, f := range render(t, s, 7, x, y)[LayerRoads].Features {
		if c := f.Props["class"]; c != "trunk" && c != "motorway" {
			t.Errorf("a %v road at zoom 7", c)
		}
	}
	x, y = tileOf(104.0776, 30.6570, 6)
	if len(render(t, s, 6, x, y)[LayerRoads].Features) == 0 {
		t.Error("no trunk roads at zoom 6")
	}
}

func TestEmptyAndInvalidTiles(t *testing.T) {
	s := chengdu()
	raw, err := s.Render(context.Background(), 14, 0, 0)
	if err != nil || raw != nil {
		t.Fatalf("a tile far from the data: %d bytes, %v; want none", len(raw), err)
	}
	x, y := tileOf(104.0776, 30.6570, 16)
	if raw, _ := s.Render(context.Background(), 16, x+200, y); raw != nil {
		t.Error("a tile beyond the extract has data")
	}
	for _, c := range [][3]int{{17, 0, 0}, {-1, 0, 0}, {3, 8, 0}, {3, 0, -1}} {
		if _, err := s.Render(context.Background(), c[0], c[1], c[2]); err == nil {
			t.Errorf("tile %v accepted", c)
		}
	}
}

func TestPregenerateFillsCache(t *testing.T) {
	s := New(nil, Config{}, quiet)
	n, withData, err := s.Pregenerate(context.Background(), 10, 12)
	if err != nil || n == 0 || withData == 0 || withData > n {
		t.Fatalf("pregenerate: %d tiles, %d with data, %v", n, withData, err)
	}
	s.mu.Lock()
	cached := s.cache.ll.Len()
	s.mu.Unlock()
	if cached != n {
		t.Errorf("%d tiles in the cache after generating %d", cached, n)
	}
}

func TestTileCacheEvicts(t *testing.T) {
	c := newTileCache(1000)
	for i := range 100 {
		c.put(tileKey{1, 10, i, 0}, tile{gz: make([]byte, 100), etag: "x"})
	}
	if c.size > 1000 || c.ll.Len() != len(c.m) || c.ll.Len() == 0 {
		t.Fatalf("size %d, %d entries, %d keys", c.size, c.ll.Len(), len(c.m))
	}
	if _, ok := c.get(tileKey{1, 10, 99, 0}); !ok {
		t.Error("the newest tile was evicted")
	}
	if _, ok := c.get(tileKey{1, 10, 0, 0}); ok {
		t.Error("the oldest tile was kept past the budget")
	}
}

// Another extract can be configured; the PBF of the same data gives the
// same tiles as the embedded XML.
func TestOSMFileConfigured(t *testing.T) {
	pbf := New(nil, Config{OSMFile: "../roadnet/testdata/chengdu.osm.pbf"}, quiet)
	x, y := tileOf(104.0776, 30.6570, 14)
	a, err := pbf.Render(context.Background(), 14, x, y)
	if err != nil {
		t.Fatal(err)
	}
	b, err := chengdu().Render(context.Background(), 14, x, y)
	if err != nil {
		t.Fatal(err)
	}
	if len(a) == 0 || string(a) != string(b) {
		t.Errorf("tile from the PBF (%d bytes) differs from the tile from the XML (%d bytes)", len(a), len(b))
	}
	missing := New(nil, Config{OSMFile: "no-such-file.osm.pbf"}, quiet)
	if _, err := missing.Render(context.Background(), 14, x, y); err == nil {
		t.Error("a missing OSM file gave tiles")
	}
}
