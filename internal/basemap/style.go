package basemap

import "slices"

// Style themes.
const (
	ThemeLight = "light"
	ThemeDark  = "dark"
)

// Themes lists the styles the server offers.
var Themes = []string{ThemeLight, ThemeDark}

// palette is the colours of a theme.
type palette struct {
	background, water, waterway, park, wood, grass, residential, commercial, industrial, institution, sport string
	building, buildingLine                                                                                  string
	motorway, trunk, primary, secondary, tertiary, minor, service, path, rail, casing                       string
	boundary, boundaryMajor                                                                                 string
	label, labelHalo, placeLabel, roadLabel                                                                 string
}

var palettes = map[string]palette{
	// Light: quiet greys so the coloured vehicles and alarms stand out.
	ThemeLight: {
		background: "#f2f3f0", water: "#aad3df", waterway: "#8cc1d6", park: "#d4ebc8", wood: "#c8e0b8", grass: "#e0efd4",
		residential: "#ebe8e4", commercial: "#f2e4e4", industrial: "#e8e3ec", institution: "#efe9d6", sport: "#d8eed8",
		building: "#dcd7d0", buildingLine: "#cbc4bb",
		motorway: "#f3b27a", trunk: "#f7c98f", primary: "#fcdca4", secondary: "#fdf0c2", tertiary: "#ffffff",
		minor: "#ffffff", service: "#ffffff", path: "#c0b8ae", rail: "#a9a9a9", casing: "#c9c2b8",
		boundary: "#9a7fb5", boundaryMajor: "#7a5a9c",
		label: "#4a4f57", labelHalo: "#ffffff", placeLabel: "#2d3440", roadLabel: "#5b5f66",
	},
	// Dark: for wall screens in a monitoring centre; low contrast roads,
	// bright enough labels, nothing that competes with alarm red.
	ThemeDark: {
		background: "#0e1726", water: "#163552", waterway: "#1d4a70", park: "#13291f", wood: "#12261c", grass: "#15291f",
		residential: "#131e2e", commercial: "#1a1f33", industrial: "#171b2c", institution: "#1b2233", sport: "#142a22",
		building: "#1c2739", buildingLine: "#24324a",
		motorway: "#5c6f8c", trunk: "#53647f", primary: "#46566e", secondary: "#3b4a60", tertiary: "#334155",
		minor: "#2a3547", service: "#243042", path: "#2a3547", rail: "#3d4a5e", casing: "#0a111d",
		boundary: "#7d6aa8", boundaryMajor: "#a08bd0",
		label: "#9fb0c6", labelHalo: "#0e1726", placeLabel: "#c7d3e3", roadLabel: "#8797ad",
	},
}

// ExternalTiles is an optional raster tile source drawn instead of the
// self-hosted basemap (天地图, a provincial map service …).
type ExternalTiles struct {
	// URL is an XYZ tile URL template with {z}, {x} and {y}, any query
	// parameters the provider needs (a 天地图 tk key …) written out; MapLibre
	// expands no {s} subdomain placeholder.
	URL string
	// Datum of the tiles: wgs84 (天地图 uses CGCS2000, which is WGS-84
	// within centimetres) or gcj02 (AMap, Tencent): the console then shifts
	// its own WGS-84 data to GCJ-02 for display.
	Datum       string
	Attribution string
	// TileSize in pixels; 256 by default.
	TileSize int
}

// StyleOptions are the inputs of a style document.
type StyleOptions struct {
	Theme string
	// Prefix is the path under which the basemap is served
	// ("/api/v1/basemap"); URLs are relative to the page's origin.
	Prefix      string
	Attribution string
	External    *ExternalTiles
}

// Style returns the MapLibre style document of a theme. metadata
// "jiaotong:datum" tells the console the datum of what the style draws.
func Style(o StyleOptions) map[string]any {
	p, ok := palettes[o.Theme]
	if !ok {
		p = palettes[ThemeLight]
	}
	datum := DatumWGS84
	sources := map[string]any{}
	layers := []any{
		map[string]any{"id": "background", "type": "background", "paint": map[string]any{"background-color": p.background}},
	}
	if o.External != nil && o.External.URL != "" {
		if o.External.Datum == DatumGCJ02 {
			datum = DatumGCJ02
		}
		size := o.External.TileSize
		if size == 0 {
			size = 256
		}
		sources["external"] = map[string]any{"type": "raster", "tiles": []string{o.External.URL}, "tileSize": size,
			"attribution": o.External.Attribution, "maxzoom": 18}
		raster := map[string]any{"id": "external", "type": "raster", "source": "external"}
		if o.Theme == ThemeDark {
			// Dim a daylight raster for the wall screen.
			raster["paint"] = map[string]any{"raster-brightness-max": 0.55, "raster-saturation": -0.6, "raster-contrast": 0.1}
		}
		layers = append(layers, raster)
	} else {
		sources["basemap"] = map[string]any{
			"type":        "vector",
			"tiles":       []string{o.Prefix + "/tiles/{z}/{x}/{y}.pbf"},
			"minzoom":     0,
			"maxzoom":     MaxZoom,
			"attribution": o.Attribution,
		}
		layers = append(layers, vectorLayers(p)...)
	}
	return map[string]any{
		"version":  8,
		"name":     "Jiaotong " + o.Theme,
		"metadata": map[string]any{"jiaotong:datum": datum, "jiaotong:theme": o.Theme},
		"glyphs":   o.Prefix + "/fonts/{fontstack}/{range}.pbf",
		"sources":  sources,
		"layers":   layers,
	}
}

func vectorLayers(p palette) []any {
	src := "basemap"
	layer := func(id, typ, srcLayer string, minzoom float64, filter any, layout, paint map[string]any) map[string]any {
		l := map[string]any{"id": id, "type": typ, "source": src, "source-layer": srcLayer}
		if minzoom > 0 {
			l["minzoom"] = minzoom
		}
		if filter != nil {
			l["filter"] = filter
		}
		if layout != nil {
			l["layout"] = layout
		}
		if paint != nil {
			l["paint"] = paint
		}
		return l
	}
	classIs := func(cs ...string) any {
		return []any{"match", []any{"get", "class"}, cs, true, false}
	}
	zoomed := func(pairs ...float64) any {
		e := []any{"interpolate", []any{"exponential", 1.5}, []any{"zoom"}}
		for _, v := range pairs {
			e = append(e, v)
		}
		return e
	}
	name := []any{"coalesce", []any{"get", "name_zh"}, []any{"get", "name"}}
	roundJoin := map[string]any{"line-join": "round", "line-cap": "round"}
	landColor := []any{"match", []any{"get", "class"},
		"park", p.park, "wood", p.wood, "grass", p.grass, "residential", p.residential, "commercial", p.commercial,
		"industrial", p.industrial, "institution", p.institution, "sport", p.sport, p.residential}
	out := []any{
		layer("landuse", "fill", LayerLanduse, 0, nil, nil, map[string]any{"fill-color": landColor}),
		layer("water", "fill", LayerWater, 0, nil, nil, map[string]any{"fill-color": p.water}),
		layer("waterway", "line", LayerWaterway, 0, nil, roundJoin, map[string]any{"line-color": p.waterway,
			"line-width": zoomed(8, 0.5, 14, 2, 18, 6)}),
		layer("buildings", "fill", LayerBuildings, 14, nil, nil, map[string]any{"fill-color": p.building, "fill-outline-color": p.buildingLine,
			"fill-opacity": []any{"interpolate", []any{"linear"}, []any{"zoom"}, 14, 0.4, 16, 1}}),
		layer("road-path", "line", LayerRoads, 14, classIs("path"), nil, map[string]any{"line-color": p.path,
			"line-width": zoomed(14, 0.5, 18, 2), "line-dasharray": []any{2, 1}}),
		layer("road-rail", "line", LayerRoads, 10, classIs("rail"), nil, map[string]any{"line-color": p.rail,
			"line-width": zoomed(10, 0.5, 16, 2), "line-dasharray": []any{3, 2}}),
	}
	type roadStyle struct {
		classes []string
		color   string
		width   []float64
	}
	roads := []roadStyle{
		{[]string{"service"}, p.service, []float64{14, 0.5, 18, 8}},
		{[]string{"minor"}, p.minor, []float64{12, 0.5, 14, 2, 18, 14}},
		{[]string{"tertiary"}, p.tertiary, []float64{10, 0.6, 14, 3, 18, 18}},
		{[]string{"secondary"}, p.secondary, []float64{9, 0.6, 14, 4, 18, 22}},
		{[]string{"primary"}, p.primary, []float64{8, 0.7, 14, 5, 18, 26}},
		{[]string{"trunk", "motorway"}, p.trunk, []float64{5, 0.6, 14, 6, 18, 30}},
	}
	// Casings first (below every road), then the fills.
	for _, r := range roads {
		w := slices.Clone(r.width)
		for i := 1; i < len(w); i += 2 {
			w[i] += 1.5
		}
		out = append(out, layer("road-"+r.classes[0]+"-casing", "line", LayerRoads, r.width[0]+2, classIs(r.classes...), roundJoin,
			map[string]any{"line-color": p.casing, "line-width": zoomed(w...)}))
	}
	for _, r := range roads {
		color := any(r.color)
		if r.classes[0] == "trunk" {
			color = []any{"match", []any{"get", "class"}, "motorway", p.motorway, p.trunk}
		}
		out = append(out, layer("road-"+r.classes[0], "line", LayerRoads, 0, classIs(r.classes...), roundJoin,
			map[string]any{"line-color": color, "line-width": zoomed(r.width...)}))
	}
	out = append(out,
		layer("boundaries", "line", LayerBoundaries, 0, nil, roundJoin, map[string]any{
			"line-color":     []any{"case", []any{"<=", []any{"get", "admin_level"}, 4}, p.boundaryMajor, p.boundary},
			"line-width":     []any{"interpolate", []any{"linear"}, []any{"zoom"}, 4, 0.6, 12, 1.6, 16, 2.4},
			"line-dasharray": []any{3, 2},
			"line-opacity":   0.8,
		}),
		layer("road-labels", "symbol", LayerRoads, 13, classIs("trunk", "motorway", "primary", "secondary", "tertiary", "minor"), map[string]any{
			"symbol-placement": "line", "text-field": name, "text-font": []string{FontRegular},
			"text-size": []any{"interpolate", []any{"linear"}, []any{"zoom"}, 13, 10, 18, 14}, "text-max-angle": 30,
		}, map[string]any{"text-color": p.roadLabel, "text-halo-color": p.labelHalo, "text-halo-width": 1.4}),
		layer("boundary-labels", "symbol", LayerBoundaryLabels, 0, nil, map[string]any{
			"text-field": []any{"get", "name"}, "text-font": []string{FontBold},
			"text-size": []any{"interpolate", []any{"linear"}, []any{"zoom"}, 6, 11, 12, 14},
		}, map[string]any{"text-color": p.boundaryMajor, "text-halo-color": p.labelHalo, "text-halo-width": 1.5, "text-opacity": 0.85}),
		layer("place-labels", "symbol", LayerPlaces, 0, nil, map[string]any{
			"text-field": name, "text-font": []string{FontRegular},
			"text-size":       []any{"interpolate", []any{"linear"}, []any{"zoom"}, 8, []any{"-", 16, []any{"get", "rank"}}, 16, []any{"-", 22, []any{"get", "rank"}}},
			"symbol-sort-key": []any{"get", "rank"},
			"text-max-width":  8,
		}, map[string]any{"text-color": p.placeLabel, "text-halo-color": p.labelHalo, "text-halo-width": 1.6}),
	)
	return out
}
