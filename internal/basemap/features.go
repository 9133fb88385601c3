package basemap

import (
	"fmt"
	"io"
	"strconv"
	"strings"

	"github.com/jiaotong-platform/jiaotong/internal/roadnet"
)

// Layer names of the tiles, shared with the styles.
const (
	LayerWater      = "water"
	LayerWaterway   = "waterway"
	LayerLanduse    = "landuse"
	LayerBuildings  = "buildings"
	LayerRoads      = "roads"
	LayerBoundaries = "boundaries"
	LayerPlaces     = "places"
	// LayerBoundaryLabels holds one name point per imported boundary area.
	LayerBoundaryLabels = "boundary_labels"
)

// layerOrder is the order of the layers in a tile (bottom first).
var layerOrder = []string{LayerLanduse, LayerWater, LayerWaterway, LayerBuildings, LayerRoads, LayerBoundaries, LayerPlaces, LayerBoundaryLabels}

// feature is one map feature in world coordinates, kept in memory.
type feature struct {
	Layer   string
	Type    int // geomPoint, geomLine or geomPolygon
	ID      uint64
	MinZoom int
	Props   []prop
	// Point features: Parts[0] is the one point. Lines: each part a line.
	// Polygons: Polys, each an exterior ring followed by its holes.
	Parts [][]wpt
	Polys [][][]wpt
	Box   bbox
	// Area of a polygon in world units, to drop the invisible ones.
	Area float64
	// Rank orders features within a layer (drawn later = higher).
	Rank int
}

func (f *feature) finish() *feature {
	f.Box = emptyBBox()
	for _, p := range f.Parts {
		for _, q := range p {
			f.Box.add(q)
		}
	}
	for _, poly := range f.Polys {
		for _, q := range poly[0] {
			f.Box.add(q)
		}
		f.Area += worldRingArea(poly[0])
	}
	return f
}

// Road classes of the roads layer (the class attribute).
var roadClasses = map[string]struct {
	class   string
	minZoom int
	rank    int
}{
	"motorway": {"motorway", 5, 9}, "trunk": {"trunk", 6, 8}, "primary": {"primary", 8, 7},
	"secondary": {"secondary", 9, 6}, "tertiary": {"tertiary", 10, 5},
	"unclassified": {"minor", 12, 4}, "residential": {"minor", 12, 4}, "living_street": {"minor", 13, 4},
	"road": {"minor", 12, 4}, "service": {"service", 14, 3},
	"pedestrian": {"path", 14, 2}, "footway": {"path", 14, 2}, "path": {"path", 14, 2},
	"cycleway": {"path", 14, 2}, "steps": {"path", 15, 2}, "track": {"path", 14, 2}, "bridleway": {"path", 15, 2},
}

// Place classes of the places layer and the zoom from which they show.
var placeClasses = map[string]struct{ minZoom, rank int }{
	"country": {2, 1}, "state": {4, 2}, "province": {4, 2}, "city": {5, 3}, "town": {8, 4},
	"district": {10, 5}, "county": {9, 5}, "suburb": {11, 6}, "village": {12, 7}, "quarter": {13, 8},
	"neighbourhood": {13, 8}, "locality": {14, 9}, "hamlet": {14, 9}, "square": {15, 9}, "isolated_dwelling": {15, 10},
}

// landClass returns the landuse layer's class of an area, or "".
func landClass(t map[string]string) (class string, minZoom int) {
	switch v := t["leisure"]; v {
	case "park", "garden", "nature_reserve":
		return "park", 10
	case "pitch", "stadium", "playground", "sports_centre", "track":
		return "sport", 13
	}
	switch v := t["natural"]; v {
	case "wood", "scrub", "grassland", "heath":
		return "wood", 10
	}
	switch v := t["landuse"]; v {
	case "forest":
		return "wood", 10
	case "grass", "meadow", "village_green", "recreation_ground", "orchard", "farmland", "allotments", "cemetery":
		return "grass", 11
	case "residential":
		return "residential", 12
	case "commercial", "retail":
		return "commercial", 12
	case "industrial", "railway", "construction", "brownfield", "garages":
		return "industrial", 12
	}
	switch t["amenity"] {
	case "university", "school", "college", "hospital":
		return "institution", 12
	}
	return "", 0
}

func isWaterArea(t map[string]string) bool {
	return t["natural"] == "water" || t["waterway"] == "riverbank" || t["water"] != "" ||
		t["landuse"] == "reservoir" || t["landuse"] == "basin" || t["leisure"] == "swimming_pool"
}

var waterwayZoom = map[string]int{"river": 8, "canal": 10, "stream": 13, "drain": 14, "ditch": 14}

// names returns the name attributes of an element: name, name_zh (the
// Chinese name, falling back to name) and name_en when present.
func names(t map[string]string) []prop {
	var ps []prop
	if n := t["name"]; n != "" {
		ps = append(ps, prop{"name", n})
	}
	if n := t["name:zh"]; n != "" {
		ps = append(ps, prop{"name_zh", n})
	} else if n := t["name"]; n != "" {
		ps = append(ps, prop{"name_zh", n})
	}
	if n := t["name:en"]; n != "" {
		ps = append(ps, prop{"name_en", n})
	}
	return ps
}

func toWorld(pts []roadnet.Point) []wpt {
	out := make([]wpt, len(pts))
	for i, p := range pts {
		out[i] = project(p.Lon, p.Lat)
	}
	return out
}

func closed(nodes []int64) bool { return len(nodes) >= 4 && nodes[0] == nodes[len(nodes)-1] }

// osmReader turns OSM elements into features.
type osmReader struct {
	features []*feature
	// ways keeps every way's geometry until the relations, which come last.
	ways map[int64]roadnet.Element
	// boundaryWays records the ways already drawn as a boundary, with the
	// lowest admin_level seen: a border shared by two districts is drawn once.
	boundaryWays map[int64]int
	rels         []roadnet.Element
}

// ReadOSM reads OpenStreetMap data (XML or PBF, optionally gzipped) into
// basemap features.
func readOSMFeatures(r io.Reader) ([]*feature, error) {
	o := &osmReader{ways: map[int64]roadnet.Element{}, boundaryWays: map[int64]int{}}
	if err := roadnet.ReadElements(r, o.element); err != nil {
		return nil, fmt.Errorf("basemap: read osm: %w", err)
	}
	for _, rel := range o.rels {
		o.relation(rel)
	}
	return o.features, nil
}

func (o *osmReader) add(f *feature) { o.features = append(o.features, f.finish()) }

func (o *osmReader) element(e roadnet.Element) error {
	switch e.Kind {
	case roadnet.NodeElement:
		o.node(e)
	case roadnet.WayElement:
		o.ways[e.ID] = e
		if len(e.Tags) > 0 && len(e.Coords) >= 2 {
			o.way(e)
		}
	case roadnet.RelationElement:
		o.rels = append(o.rels, e)
	}
	return nil
}

func (o *osmReader) node(e roadnet.Element) {
	t := e.Tags
	pc, ok := placeClasses[t["place"]]
	if !ok || t["name"] == "" {
		return
	}
	ps := append([]prop{{"class", t["place"]}, {"rank", int64(pc.rank)}}, names(t)...)
	o.add(&feature{Layer: LayerPlaces, Type: geomPoint, ID: uint64(e.ID) << 2, MinZoom: pc.minZoom, Rank: -pc.rank,
		Props: ps, Parts: [][]wpt{{project(e.Point.Lon, e.Point.Lat)}}})
}

func (o *osmReader) way(e roadnet.Element) {
	t := e.Tags
	id := uint64(e.ID)<<2 | 1
	line := toWorld(e.Coords)
	area := closed(e.Nodes) && len(e.Coords) == len(e.Nodes) && t["area"] != "no"
	if hw := t["highway"]; hw != "" && t["area"] != "yes" {
		base, link := strings.CutSuffix(hw, "_link")
		if rc, ok := roadClasses[base]; ok {
			ps := []prop{{"class", rc.class}}
			if link {
				ps = append(ps, prop{"link", true})
			}
			if yes(t["bridge"]) {
				ps = append(ps, prop{"bridge", true})
			}
			if yes(t["tunnel"]) {
				ps = append(ps, prop{"tunnel", true})
			}
			if r := t["ref"]; r != "" {
				ps = append(ps, prop{"ref", r})
			}
			ps = append(ps, names(t)...)
			mz := rc.minZoom
			if link {
				mz = max(mz, 11)
			}
			o.add(&feature{Layer: LayerRoads, Type: geomLine, ID: id, MinZoom: mz, Rank: rc.rank, Props: ps, Parts: [][]wpt{line}})
		}
		return
	}
	if rw := t["railway"]; rw == "rail" || rw == "subway" || rw == "light_rail" || rw == "tram" || rw == "monorail" {
		if rw == "subway" && t["tunnel"] != "no" && t["tunnel"] != "" {
			return // underground lines would cross the city as noise
		}
		ps := append([]prop{{"class", "rail"}, {"subclass", rw}}, names(t)...)
		o.add(&feature{Layer: LayerRoads, Type: geomLine, ID: id, MinZoom: 10, Rank: 1, Props: ps, Parts: [][]wpt{line}})
		return
	}
	if ww := t["waterway"]; waterwayZoom[ww] > 0 && !area {
		ps := append([]prop{{"class", ww}}, names(t)...)
		o.add(&feature{Layer: LayerWaterway, Type: geomLine, ID: id, MinZoom: waterwayZoom[ww], Props: ps, Parts: [][]wpt{line}})
		return
	}
	if t["boundary"] == "administrative" {
		if lvl, err := strconv.Atoi(t["admin_level"]); err == nil {
			o.boundaryWays[e.ID] = lvl
			o.add(boundaryLine(id, lvl, "osm", t["name"], "", line))
		}
		return
	}
	if area {
		o.area(id, t, [][][]wpt{{line}})
	}
}

func yes(v string) bool { return v != "" && v != "no" && v != "0" && v != "false" }

// area classifies a tagged area (a closed way or a multipolygon relation).
func (o *osmReader) area(id uint64, t map[string]string, polys [][][]wpt) {
	switch {
	case isWaterArea(t):
		o.add(&feature{Layer: LayerWater, Type: geomPolygon, ID: id, MinZoom: 6, Props: append([]prop{{"class", "water"}}, names(t)...), Polys: polys})
	case t["building"] != "" && t["building"] != "no":
		o.add(&feature{Layer: LayerBuildings, Type: geomPolygon, ID: id, MinZoom: 14, Polys: polys})
	default:
		if c, mz := landClass(t); c != "" {
			o.add(&feature{Layer: LayerLanduse, Type: geomPolygon, ID: id, MinZoom: mz, Props: append([]prop{{"class", c}}, names(t)...), Polys: polys})
		}
	}
}

func boundaryMinZoom(level int) int {
	switch {
	case level <= 4:
		return 2
	case level <= 6:
		return 6
	default:
		return 10
	}
}

func boundaryLine(id uint64, level int, source, name, adcode string, line []wpt) *feature {
	ps := []prop{{"admin_level", int64(level)}, {"source", source}}
	if name != "" {
		ps = append(ps, prop{"name", name})
	}
	if adcode != "" {
		ps = append(ps, prop{"adcode", adcode})
	}
	return &feature{Layer: LayerBoundaries, Type: geomLine, ID: id, MinZoom: boundaryMinZoom(level), Rank: -level, Props: ps, Parts: [][]wpt{line}}
}

func (o *osmReader) relation(e roadnet.Element) {
	t := e.Tags
	id := uint64(e.ID)<<2 | 2
	switch {
	case t["type"] == "boundary" || t["boundary"] == "administrative":
		lvl, err := strconv.Atoi(t["admin_level"])
		if err != nil || t["boundary"] != "administrative" {
			return
		}
		for _, m := range e.Members {
			w, ok := o.ways[m.Ref]
			if m.Type != "way" || !ok || len(w.Coords) < 2 {
				continue
			}
			if prev, seen := o.boundaryWays[m.Ref]; seen && prev <= lvl {
				continue
			}
			o.boundaryWays[m.Ref] = lvl
			o.add(boundaryLine(uint64(m.Ref)<<2|3, lvl, "osm", t["name"], "", toWorld(w.Coords)))
		}
	case t["type"] == "multipolygon":
		var outer, inner [][]roadnet.Point
		for _, m := range e.Members {
			w, ok := o.ways[m.Ref]
			if m.Type != "way" || !ok || len(w.Coords) != len(w.Nodes) || len(w.Coords) < 2 {
				continue
			}
			if m.Role == "inner" {
				inner = append(inner, w.Coords)
			} else {
				outer = append(outer, w.Coords)
			}
		}
		polys := assemblePolygons(joinRings(outer), joinRings(inner))
		if len(polys) > 0 {
			o.area(id, t, polys)
		}
	}
}

// joinRings joins way pieces end to end into closed rings; pieces that do
// not close (cut by the extract's border) are dropped.
func joinRings(pieces [][]roadnet.Point) [][]wpt {
	var rings [][]wpt
	used := make([]bool, len(pieces))
	for i := range pieces {
		if used[i] {
			continue
		}
		used[i] = true
		ring := append([]roadnet.Point(nil), pieces[i]...)
		for ring[0] != ring[len(ring)-1] {
			end := ring[len(ring)-1]
			found := false
			for j := range pieces {
				if used[j] {
					continue
				}
				p := pieces[j]
				switch end {
				case p[0]:
					ring = append(ring, p[1:]...)
				case p[len(p)-1]:
					for k := len(p) - 2; k >= 0; k-- {
						ring = append(ring, p[k])
					}
				default:
					continue
				}
				used[j], found = true, true
				break
			}
			if !found {
				break
			}
		}
		if len(ring) >= 4 && ring[0] == ring[len(ring)-1] {
			rings = append(rings, toWorld(ring))
		}
	}
	return rings
}

// assemblePolygons gives each inner ring to the outer ring containing it.
func assemblePolygons(outer, inner [][]wpt) [][][]wpt {
	polys := make([][][]wpt, len(outer))
	for i, o := range outer {
		polys[i] = [][]wpt{o}
	}
	for _, in := range inner {
		for i, o := range outer {
			if pointInRing(in[0], o) {
				polys[i] = append(polys[i], in)
				break
			}
		}
	}
	return polys
}
