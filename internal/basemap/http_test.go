package basemap

import (
	"bytes"
	"compress/gzip"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"
)

func server(t *testing.T, s *Service) *httptest.Server {
	t.Helper()
	mux := http.NewServeMux()
	s.Mount(mux)
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	return srv
}

func get(t *testing.T, url string, header map[string]string) (*http.Response, []byte) {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, url, nil)
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range header {
		req.Header.Set(k, v)
	}
	// The transport's own gzip handling would hide Content-Encoding.
	tr := &http.Transport{DisableCompression: true}
	defer tr.CloseIdleConnections()
	resp, err := (&http.Client{Transport: tr}).Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp, body
}

func TestTileHTTP(t *testing.T) {
	srv := server(t, chengdu())
	x, y := tileOf(104.0776, 30.6570, 14)
	url := fmt.Sprintf("%s%s/tiles/14/%d/%d.pbf", srv.URL, Prefix, x, y)

	resp, body := get(t, url, map[string]string{"Accept-Encoding": "gzip, deflate"})
	if resp.StatusCode != 200 || resp.Header.Get("Content-Type") != "application/vnd.mapbox-vector-tile" ||
		resp.Header.Get("Content-Encoding") != "gzip" || resp.Header.Get("ETag") == "" || !strings.Contains(resp.Header.Get("Cache-Control"), "max-age") {
		t.Fatalf("tile: %d %v", resp.StatusCode, resp.Header)
	}
	zr, err := gzip.NewReader(bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	raw, _ := io.ReadAll(zr)
	ls, err := DecodeTile(raw)
	if err != nil || len(ls) < 5 {
		t.Fatalf("served tile: %d layers, %v", len(ls), err)
	}

	// Revalidation: 304 for the same ETag.
	etag := resp.Header.Get("ETag")
	resp, body = get(t, url, map[string]string{"If-None-Match": etag})
	if resp.StatusCode != http.StatusNotModified || len(body) != 0 {
		t.Errorf("If-None-Match: %d, %d bytes", resp.StatusCode, len(body))
	}
	// A client without gzip gets the plain tile, same ETag.
	resp, body = get(t, url, nil)
	if resp.StatusCode != 200 || resp.Header.Get("Content-Encoding") != "" || !bytes.Equal(body, raw) || resp.Header.Get("ETag") != etag {
		t.Errorf("identity tile: %d, encoding %q, %d bytes", resp.StatusCode, resp.Header.Get("Content-Encoding"), len(body))
	}
	// .mvt and no extension work too.
	if resp, _ := get(t, strings.TrimSuffix(url, ".pbf"), nil); resp.StatusCode != 200 {
		t.Errorf("tile without extension: %d", resp.StatusCode)
	}

	// No data: 204, no body.
	resp, body = get(t, srv.URL+Prefix+"/tiles/14/0/0.pbf", nil)
	if resp.StatusCode != http.StatusNoContent || len(body) != 0 {
		t.Errorf("empty tile: %d, %d bytes", resp.StatusCode, len(body))
	}

	// Not a tile: 404 problem+json.
	for _, path := range []string{"/tiles/17/0/0.pbf", "/tiles/2/4/0.pbf", "/tiles/2/0/-1.pbf", "/tiles/a/0/0.pbf", "/tiles/2/0/x.pbf"} {
		resp, body := get(t, srv.URL+Prefix+path, nil)
		var p struct {
			Status int    `json:"status"`
			Detail string `json:"detail"`
		}
		if resp.StatusCode != 404 || resp.Header.Get("Content-Type") != "application/problem+json" || json.Unmarshal(body, &p) != nil || p.Status != 404 {
			t.Errorf("%s: %d %s %s", path, resp.StatusCode, resp.Header.Get("Content-Type"), body)
		}
	}
}

func TestStyleHTTP(t *testing.T) {
	srv := server(t, chengdu())
	for _, theme := range Themes {
		resp, body := get(t, srv.URL+Prefix+"/styles/"+theme+".json", nil)
		if resp.StatusCode != 200 || resp.Header.Get("Content-Type") != "application/json" {
			t.Fatalf("style %s: %d", theme, resp.StatusCode)
		}
		checkStyle(t, body, true)
		resp, _ = get(t, srv.URL+Prefix+"/styles/"+theme+".json", map[string]string{"If-None-Match": resp.Header.Get("ETag")})
		if resp.StatusCode != http.StatusNotModified {
			t.Errorf("style revalidation: %d", resp.StatusCode)
		}
	}
	if resp, _ := get(t, srv.URL+Prefix+"/styles/neon.json", nil); resp.StatusCode != 404 {
		t.Errorf("unknown style: %d", resp.StatusCode)
	}
}

// checkStyle validates the structure MapLibre requires of a style and that
// every URL stays on the page's origin.
func checkStyle(t *testing.T, body []byte, selfHosted bool) map[string]any {
	t.Helper()
	var st struct {
		Version  int                       `json:"version"`
		Glyphs   string                    `json:"glyphs"`
		Sources  map[string]map[string]any `json:"sources"`
		Layers   []map[string]any          `json:"layers"`
		Metadata map[string]any            `json:"metadata"`
	}
	if err := json.Unmarshal(body, &st); err != nil {
		t.Fatal(err)
	}
	if st.Version != 8 || !strings.HasPrefix(st.Glyphs, "/") || !strings.Contains(st.Glyphs, "{fontstack}") || !strings.Contains(st.Glyphs, "{range}") {
		t.Errorf("version %d, glyphs %q", st.Version, st.Glyphs)
	}
	ids := map[string]bool{}
	known := []string{LayerWater, LayerWaterway, LayerLanduse, LayerBuildings, LayerRoads, LayerBoundaries, LayerPlaces, LayerBoundaryLabels}
	for _, l := range st.Layers {
		id, _ := l["id"].(string)
		typ, _ := l["type"].(string)
		if id == "" || ids[id] || !slices.Contains([]string{"background", "fill", "line", "symbol", "raster", "circle"}, typ) {
			t.Errorf("layer %v: missing or repeated id, or unknown type", l)
		}
		ids[id] = true
		if typ == "background" {
			continue
		}
		src, _ := l["source"].(string)
		if _, ok := st.Sources[src]; !ok {
			t.Errorf("layer %s: source %q not defined", id, src)
		}
		if sl, ok := l["source-layer"].(string); ok && !slices.Contains(known, sl) {
			t.Errorf("layer %s: source-layer %q is not a tile layer", id, sl)
		}
		if typ == "symbol" {
			layout := l["layout"].(map[string]any)
			if fonts, _ := layout["text-font"].([]any); len(fonts) == 0 || (fonts[0] != FontRegular && fonts[0] != FontBold) {
				t.Errorf("layer %s: text-font %v is not a served font", id, layout["text-font"])
			}
		}
	}
	if selfHosted {
		src := st.Sources["basemap"]
		tiles, _ := src["tiles"].([]any)
		if src["type"] != "vector" || len(tiles) != 1 || !strings.HasPrefix(tiles[0].(string), Prefix+"/tiles/") {
			t.Errorf("basemap source %v", src)
		}
		if !strings.Contains(src["attribution"].(string), "OpenStreetMap") {
			t.Errorf("attribution %v", src["attribution"])
		}
		for _, want := range []string{"water", "road-primary", "buildings", "boundaries", "place-labels", "road-labels"} {
			if !ids[want] {
				t.Errorf("style has no layer %s", want)
			}
		}
	}
	return st.Metadata
}

func TestStyleExternalTiles(t *testing.T) {
	s := New(nil, Config{External: ExternalTiles{URL: "https://t0.example.cn/img/{z}/{x}/{y}", Datum: DatumGCJ02, Attribution: "Example 审图号"}}, nil)
	srv := server(t, s)
	resp, body := get(t, srv.URL+Prefix+"/styles/dark.json", nil)
	if resp.StatusCode != 200 {
		t.Fatal(resp.StatusCode)
	}
	meta := checkStyle(t, body, false)
	if meta["jiaotong:datum"] != DatumGCJ02 {
		t.Errorf("metadata %v: the console must learn the tiles are GCJ-02", meta)
	}
	if !strings.Contains(string(body), `"type":"raster"`) || !strings.Contains(string(body), "t0.example.cn") || strings.Contains(string(body), Prefix+"/tiles/") {
		t.Errorf("external style %s", body)
	}
	// The self-hosted tiles are off then.
	if resp, _ := get(t, srv.URL+Prefix+"/tiles/0/0/0.pbf", nil); resp.StatusCode != 404 {
		t.Errorf("self-hosted tile with external tiles configured: %d", resp.StatusCode)
	}
}

// decodeGlyphs reads a glyph PBF: stack name, range and glyphs by code point.
func decodeGlyphs(t *testing.T, b []byte) (name, rng string, glyphs map[int]map[int]uint64, bitmaps map[int][]byte) {
	t.Helper()
	glyphs, bitmaps = map[int]map[int]uint64{}, map[int][]byte{}
	r := pread{b}
	num, _, _, stack, ok, err := r.field()
	if err != nil || !ok || num != 1 {
		t.Fatalf("glyphs: %v %v %d", err, ok, num)
	}
	sr := pread{stack}
	for {
		num, _, _, data, ok, err := sr.field()
		if err != nil {
			t.Fatal(err)
		}
		if !ok {
			break
		}
		switch num {
		case 1:
			name = string(data)
		case 2:
			rng = string(data)
		case 3:
			g := map[int]uint64{}
			gr := pread{data}
			var bm []byte
			for {
				n, _, v, d, ok, err := gr.field()
				if err != nil {
					t.Fatal(err)
				}
				if !ok {
					break
				}
				if n == 2 {
					bm = d
				} else {
					g[n] = v
				}
			}
			glyphs[int(g[1])] = g
			bitmaps[int(g[1])] = bm
		}
	}
	return name, rng, glyphs, bitmaps
}

func TestGlyphsHTTP(t *testing.T) {
	srv := server(t, chengdu())
	resp, body := get(t, srv.URL+Prefix+"/fonts/Go%20Regular/0-255.pbf", nil)
	if resp.StatusCode != 200 || resp.Header.Get("Content-Type") != "application/x-protobuf" {
		t.Fatalf("glyphs: %d", resp.StatusCode)
	}
	name, rng, gs, bms := decodeGlyphs(t, body)
	if name != FontRegular || rng != "0-255" || len(gs) < 180 {
		t.Fatalf("stack %q range %q with %d glyphs", name, rng, len(gs))
	}
	a := gs['A']
	w, h := int(a[3]), int(a[4])
	if w < 10 || h < 10 || a[7] < 10 || len(bms['A']) != (w+2*glyphBorder)*(h+2*glyphBorder) {
		t.Fatalf("glyph A: %v with %d bitmap bytes", a, len(bms['A']))
	}
	// The distance field: inside the stroke high, far outside 0, the
	// border's corners empty.
	if bms['A'][0] != 0 || slices.Max(bms['A']) < 200 {
		t.Errorf("glyph A bitmap range %d..%d", slices.Min(bms['A']), slices.Max(bms['A']))
	}
	if g := gs[' ']; g == nil || g[7] == 0 {
		t.Errorf("space: %v", g)
	}
	// Full-width punctuation in Chinese names: drawn from the ASCII glyphs.
	_, rng, gs, _ = decodeGlyphs(t, mustGet(t, srv.URL+Prefix+"/fonts/Go%20Bold,Go%20Regular/65280-65535.pbf"))
	if rng != "65280-65535" || gs[0xff08] == nil || gs[0xff08][7] != glyphSize {
		t.Errorf("full-width （: %v", gs[0xff08])
	}
	for _, bad := range []string{"/fonts/Go%20Regular/1-256.pbf", "/fonts/Go%20Regular/0-511.pbf", "/fonts/Go%20Regular/65536-65791.pbf", "/fonts/Go%20Regular/x.pbf"} {
		if resp, _ := get(t, srv.URL+Prefix+bad, nil); resp.StatusCode != 404 {
			t.Errorf("%s: %d", bad, resp.StatusCode)
		}
	}
}

func mustGet(t *testing.T, url string) []byte {
	t.Helper()
	resp, body := get(t, url, nil)
	if resp.StatusCode != 200 {
		t.Fatalf("%s: %d", url, resp.StatusCode)
	}
	return body
}
