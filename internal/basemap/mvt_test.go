package basemap

import (
	"math"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestMVTRoundTrip(t *testing.T) {
	roads := newLayerEncoder("roads")
	roads.add(tileFeature{ID: 7, Type: geomLine, Props: []prop{{"class", "primary"}, {"name", "总府路"}, {"link", true}},
		Parts: [][]tpt{{{-10, 5}, {100, 200}, {4100, 4000}}, {{1, 1}, {2, 2}}}})
	roads.add(tileFeature{ID: 8, Type: geomLine, Props: []prop{{"class", "primary"}, {"lanes", int64(-3)}, {"width", 7.5}}, Parts: [][]tpt{{{0, 0}, {10, 0}}}})
	roads.add(tileFeature{ID: 9, Type: geomLine, Parts: [][]tpt{{{5, 5}}}}) // one point: not a line, dropped
	water := newLayerEncoder("water")
	water.add(tileFeature{ID: 1, Type: geomPolygon, Props: []prop{{"rank", int64(12)}},
		Parts: [][]tpt{{{0, 0}, {100, 0}, {100, 100}, {0, 100}}, {{10, 10}, {10, 20}, {20, 20}}}})
	places := newLayerEncoder("places")
	places.add(tileFeature{ID: 2, Type: geomPoint, Props: []prop{{"name", "锦江区"}}, Parts: [][]tpt{{{2048, 2048}}}})
	empty := newLayerEncoder("empty")

	ls, err := DecodeTile(encodeTile([]*layerEncoder{roads, water, empty, places}))
	if err != nil {
		t.Fatal(err)
	}
	want := []DecodedLayer{
		{Name: "roads", Extent: Extent, Features: []DecodedFeature{
			{ID: 7, Type: geomLine, Props: map[string]any{"class": "primary", "name": "总府路", "link": true},
				Parts: [][]tpt{{{-10, 5}, {100, 200}, {4100, 4000}}, {{1, 1}, {2, 2}}}},
			{ID: 8, Type: geomLine, Props: map[string]any{"class": "primary", "lanes": int64(-3), "width": 7.5}, Parts: [][]tpt{{{0, 0}, {10, 0}}}},
		}},
		{Name: "water", Extent: Extent, Features: []DecodedFeature{
			{ID: 1, Type: geomPolygon, Props: map[string]any{"rank": int64(12)}, Parts: [][]tpt{{{0, 0}, {100, 0}, {100, 100}, {0, 100}}, {{10, 10}, {10, 20}, {20, 20}}}},
		}},
		{Name: "places", Extent: Extent, Features: []DecodedFeature{
			{ID: 2, Type: geomPoint, Props: map[string]any{"name": "锦江区"}, Parts: [][]tpt{{{2048, 2048}}}},
		}},
	}
	if diff := cmp.Diff(want, ls, cmp.AllowUnexported(tpt{})); diff != "" {
		t.Errorf("decoded tile (-want +got):\n%s", diff)
	}
	// Keys and values are interned: "class"/"primary" are stored once.
	if len(roads.keys) != 5 || len(roads.values) != 5 {
		t.Errorf("roads layer has %d keys and %d values, want 5 and 5", len(roads.keys), len(roads.values))
	}
	if _, err := DecodeTile([]byte{0x1a, 0x05, 0x01}); err == nil {
		t.Error("a truncated tile decoded")
	}
}

func TestClipLine(t *testing.T) {
	// In, out through the right edge, back in: two pieces cut at the edge.
	pieces := clipLine([]fpt{{10, 10}, {200, 10}, {200, 50}, {10, 50}}, 0, 100)
	want := [][]fpt{{{10, 10}, {100, 10}}, {{100, 50}, {10, 50}}}
	if diff := cmp.Diff(want, pieces); diff != "" {
		t.Errorf("pieces (-want +got):\n%s", diff)
	}
	if got := clipLine([]fpt{{-50, -50}, {-10, 200}}, 0, 100); len(got) != 0 {
		t.Errorf("a line outside gave %v", got)
	}
	// A diagonal crossing the whole square is cut at both ends.
	got := clipLine([]fpt{{-50, -50}, {150, 150}}, 0, 100)
	if len(got) != 1 || got[0][0] != (fpt{0, 0}) || got[0][1] != (fpt{100, 100}) {
		t.Errorf("diagonal clipped to %v", got)
	}
}

func TestClipRing(t *testing.T) {
	// A square overlapping the clip box's corner keeps the overlap only.
	r := clipRing([]fpt{{50, 50}, {150, 50}, {150, 150}, {50, 150}}, 0, 100)
	var area float64
	for i := range r {
		j := (i + 1) % len(r)
		area += r[i].X*r[j].Y - r[j].X*r[i].Y
	}
	if math.Abs(area/2) != 2500 {
		t.Errorf("clipped ring %v has area %v, want 2500", r, math.Abs(area/2))
	}
	for _, p := range r {
		if p.X < 0 || p.X > 100 || p.Y < 0 || p.Y > 100 {
			t.Fatalf("point %v outside", p)
		}
	}
	if got := clipRing([]fpt{{200, 200}, {300, 200}, {300, 300}}, 0, 100); len(got) != 0 {
		t.Errorf("a ring outside gave %v", got)
	}
}

func TestSimplify(t *testing.T) {
	line := []fpt{{0, 0}, {1, 0.1}, {2, -0.1}, {3, 0}, {3, 10}}
	got := simplify(line, 0.5)
	want := []fpt{{0, 0}, {3, 0}, {3, 10}}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("simplified (-want +got):\n%s", diff)
	}
}

func TestProjection(t *testing.T) {
	for _, c := range [][2]float64{{104.0665, 30.5723}, {-122.4, 37.8}, {0, 0}, {179.9, -60}} {
		lon, lat := unproject(project(c[0], c[1]))
		if math.Abs(lon-c[0]) > 1e-9 || math.Abs(lat-c[1]) > 1e-9 {
			t.Errorf("%v → %v, %v", c, lon, lat)
		}
	}
	if p := project(0, 0); p != (wpt{0.5, 0.5}) {
		t.Errorf("project(0, 0) = %v", p)
	}
}
