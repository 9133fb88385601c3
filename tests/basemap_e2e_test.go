package tests

import (
	"bytes"
	"context"
	"fmt"
	"image"
	"image/color"
	"image/draw"
	pngenc "image/png"
	"io"
	"math"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/chromedp/cdproto/fetch"
	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/chromedp"

	"github.com/jiaotong-platform/jiaotong/internal/basemap"
	"github.com/jiaotong-platform/jiaotong/internal/demo"
)

// offline cuts the browser off from every host but the platform's: each
// request to another host fails (as on an intranet without internet) and is
// recorded. Dedicated workers (MapLibre's tile workers) are covered too.
type offline struct {
	mu      sync.Mutex
	blocked []string
}

// offlineBrowser is browser() on a machine whose network reaches only
// localhost: Chromium resolves every other host name to nothing, so a
// request to the internet fails in the page and in its workers alike.
func offlineBrowser(t *testing.T) context.Context {
	t.Helper()
	return startBrowser(t, []chromedp.ExecAllocatorOption{
		chromedp.Flag("host-resolver-rules", "MAP * ~NOTFOUND, EXCLUDE localhost, EXCLUDE 127.0.0.1"),
	}, func(kind, msg string) {
		// The map reports style, tile and glyph errors as "map: …"
		// warnings; MapLibre's own validation messages are errors.
		if kind == "page exception" || strings.Contains(msg, "map:") ||
			strings.Contains(strings.ToLower(msg), "style") || strings.Contains(msg, "glyph") {
			t.Errorf("%s: %s", kind, msg)
		} else {
			t.Logf("%s: %s", kind, msg)
		}
	})
}

func localHost(u string) bool {
	p, err := url.Parse(u)
	if err != nil {
		return false
	}
	if p.Scheme == "data" || p.Scheme == "blob" || p.Scheme == "about" {
		return true
	}
	h := p.Hostname()
	return h == "127.0.0.1" || h == "localhost" || h == "::1"
}

func cutOffline(t *testing.T, ctx context.Context) *offline {
	t.Helper()
	o := &offline{}
	record := func(u string) {
		o.mu.Lock()
		o.blocked = append(o.blocked, u)
		o.mu.Unlock()
	}
	err := chromedp.Listen(ctx, func(ev any) {
		switch ev := ev.(type) {
		case *fetch.EventRequestPaused:
			u, id := ev.Request.URL, ev.RequestID
			// Commands cannot be sent from the listener itself.
			go func() {
				if localHost(u) {
					_, _ = chromedp.Call(ctx, fetch.ContinueRequest, fetch.ContinueRequestParams{RequestID: id})
					return
				}
				record(u)
				_, _ = chromedp.Call(ctx, fetch.FailRequest, fetch.FailRequestParams{RequestID: id, ErrorReason: network.ErrorReasonInternetDisconnected})
			}()
		case *network.EventRequestWillBeSent:
			if !localHost(ev.Request.URL) {
				record(ev.Request.URL)
			}
		}
	})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := chromedp.Call(ctx, network.Enable, network.EnableParams{}); err != nil {
		t.Fatal(err)
	}
	if _, err := chromedp.Call(ctx, fetch.Enable, fetch.EnableParams{Patterns: []*fetch.RequestPattern{{URLPattern: "*"}}}); err != nil {
		t.Fatal(err)
	}
	return o
}

func (o *offline) check(t *testing.T) {
	t.Helper()
	o.mu.Lock()
	defer o.mu.Unlock()
	for _, u := range o.blocked {
		t.Errorf("the page requested a host other than the platform: %s", u)
	}
}

// tileRequests reads the platform's count of basemap tile requests by
// result ("data", "empty", "not_modified", "not_found", "error"): what the
// browser's tile workers fetched.
func tileRequests(t *testing.T, base string) map[string]float64 {
	t.Helper()
	resp, err := http.Get(base + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	out := map[string]float64{}
	for _, line := range strings.Split(string(body), "\n") {
		rest, ok := strings.CutPrefix(line, `jiaotong_basemap_tile_requests_total{result="`)
		if !ok {
			continue
		}
		result, value, _ := strings.Cut(rest, `"}`)
		var n float64
		if _, err := fmt.Sscan(strings.TrimSpace(value), &n); err == nil {
			out[result] = n
		}
	}
	return out
}

// The live map shows the self-hosted Chengdu basemap with the machine cut
// off from everything but the platform: tiles, style and glyphs all come
// from the platform, the dark theme is one click away and remembered, and
// the vehicles stay drawn on top of it.
func TestIntegrationBasemapOffline(t *testing.T) {
	if testing.Short() {
		t.Skip("starts the platform and a browser")
	}
	ctx := offlineBrowser(t)
	p := start(t, testConfig(t))
	defer screenshotOnFailure(t, ctx)
	offline := cutOffline(t, ctx)

	// Served without logging in, as MapLibre's workers fetch it.
	resp, err := http.Get(p.URL + "/api/v1/basemap/styles/light.json")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || strings.Contains(string(body), "http://") || strings.Contains(string(body), "https://") {
		t.Fatalf("light style: %d, absolute URLs in %s", resp.StatusCode, body)
	}

	must(t, ctx, "open the console", chromedp.Navigate(p.URL+"/#/login"))
	must(t, ctx, "login form", chromedp.WaitVisible(chromedp.ID("loginForm")))
	typeInto(t, ctx, "username", "jinjiang.monitor")
	typeInto(t, ctx, "password", demo.UserPassword)
	must(t, ctx, "submit", chromedp.Click(chromedp.CSS(`#loginForm button[type=submit]`)))
	must(t, ctx, "console shown", chromedp.WaitVisible(chromedp.ID("app")))
	waitFor(t, ctx, "map menu", `document.querySelector('[data-menu="map"]') !== null`)
	must(t, ctx, "open the map", chromedp.Click(chromedp.CSS(`[data-menu="map"]`)))

	waitLong(t, ctx, "basemap drawn", `Number(document.getElementById("map")?.dataset.basemapFeatures) > 0`, 60*time.Second)
	waitLong(t, ctx, "vehicles drawn on the basemap", `Number(document.getElementById("map").dataset.rendered) > 0`, 60*time.Second)
	if theme := must(t, ctx, "theme", chromedp.Evaluate[string](`document.getElementById("map").dataset.basemap`)); theme != "light" {
		t.Errorf("default basemap theme %q, want light", theme)
	}
	attrib := must(t, ctx, "attribution", chromedp.Evaluate[string](`document.querySelector("#map .maplibregl-ctrl-attrib")?.textContent ?? ""`))
	if !strings.Contains(attrib, "OpenStreetMap") {
		t.Errorf("attribution %q does not credit OpenStreetMap", attrib)
	}
	screenshot(t, ctx, "1-light")

	// Dark for the wall screen; the vehicles stay, drawn over the new style.
	must(t, ctx, "switch to dark", chromedp.Click(chromedp.CSS(`#map .jt-basemap-theme`)))
	waitFor(t, ctx, "dark theme", `document.getElementById("map").dataset.basemap === "dark"`)
	waitLong(t, ctx, "dark basemap drawn", `Number(document.getElementById("map").dataset.basemapFeatures) > 0`, 30*time.Second)
	waitLong(t, ctx, "vehicles still drawn", `Number(document.getElementById("map").dataset.rendered) > 0`, 30*time.Second)
	screenshot(t, ctx, "2-dark")

	// Remembered across a reload.
	must(t, ctx, "reload", chromedp.Reload())
	waitLong(t, ctx, "map again", `document.getElementById("map")?.dataset.basemap === "dark" && Number(document.getElementById("map").dataset.basemapFeatures) > 0`, 60*time.Second)

	offline.check(t)
	tiles := tileRequests(t, p.URL)
	if tiles["data"] == 0 || tiles["not_found"] > 0 || tiles["error"] > 0 {
		t.Errorf("tile requests by result %v: want tiles with data served and none refused", tiles)
	}
	t.Logf("tile requests by result %v", tiles)
}

// `jiaotong import boundaries` converts a GCJ-02 file and stores it; the
// platform started on the same data dir draws it in its tiles, and a broken
// file is refused naming the feature, importing nothing.
func TestIntegrationImportBoundariesCommand(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the binary")
	}
	dir := t.TempDir()
	fixture := filepath.Join("..", "internal", "basemap", "testdata", "boundaries-fixture.geojson")
	out, err := exec.Command(binary(t), "import", "boundaries", fixture, "--datum", "gcj02", "--data-dir", dir).CombinedOutput()
	if err != nil || !strings.Contains(string(out), "2 boundaries imported") || !strings.Contains(string(out), "1 features skipped") {
		t.Fatalf("import: %v\n%s", err, out)
	}
	bad := filepath.Join(t.TempDir(), "bad.geojson")
	if err := os.WriteFile(bad, []byte(`{"type":"FeatureCollection","features":[{"type":"Feature","properties":{"name":"x"},"geometry":{"type":"Polygon","coordinates":[[[104,30],[105,30]]]}}]}`), 0o600); err != nil {
		t.Fatal(err)
	}
	out, err = exec.Command(binary(t), "import", "boundaries", bad, "--data-dir", dir).CombinedOutput()
	if err == nil || !strings.Contains(string(out), "features[0].geometry.coordinates") {
		t.Errorf("bad file: %v\n%s", err, out)
	}
	out, err = exec.Command(binary(t), "import", "boundaries", fixture, "--datum", "bd09", "--data-dir", dir).CombinedOutput()
	if err == nil || !strings.Contains(string(out), "datum") {
		t.Errorf("unknown datum: %v\n%s", err, out)
	}

	cfg := testConfig(t)
	cfg.DataDir = dir
	cfg.Demo = false
	p := start(t, cfg)
	// Tile 11/1616/840 holds both made-up areas near central Chengdu.
	resp, err := http.Get(p.URL + "/api/v1/basemap/tiles/11/1616/840.pbf")
	if err != nil {
		t.Fatal(err)
	}
	raw, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Fatalf("tile: %d", resp.StatusCode)
	}
	layers, err := basemap.DecodeTile(raw)
	if err != nil {
		t.Fatal(err)
	}
	adcodes := map[any]bool{}
	for _, l := range layers {
		if l.Name == basemap.LayerBoundaries {
			for _, f := range l.Features {
				adcodes[f.Props["adcode"]] = true
			}
		}
	}
	if !adcodes["990101"] || !adcodes["990102"] {
		t.Errorf("imported boundaries in the tile: %v", adcodes)
	}
}

// With an external GCJ-02 tile source configured, the map draws its tiles
// and shifts the platform's WGS-84 positions to GCJ-02 for display: a parked
// vehicle is drawn where its GCJ-02 position is, a few hundred metres from
// its WGS-84 one. The tile source here is a local test server.
func TestIntegrationBasemapExternalGCJ02(t *testing.T) {
	if testing.Short() {
		t.Skip("starts the platform and a browser")
	}
	var tileHits atomic.Int64
	png := tilePNG(t)
	tiles := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		tileHits.Add(1)
		// MapLibre fetches raster tiles with fetch(): a tile service on
		// another origin must allow CORS, as public ones do.
		w.Header().Set("Access-Control-Allow-Origin", "*")
		w.Header().Set("Content-Type", "image/png")
		_, _ = w.Write(png)
	}))
	defer tiles.Close()

	ctx := offlineBrowser(t)
	cfg := testConfig(t)
	cfg.Basemap.TilesURL = tiles.URL + "/gcj/{z}/{x}/{y}.png"
	cfg.Basemap.TilesDatum = "gcj02"
	cfg.Basemap.TilesAttribution = "测试底图"
	p := start(t, cfg)
	defer screenshotOnFailure(t, ctx)
	offline := cutOffline(t, ctx)

	must(t, ctx, "open the console", chromedp.Navigate(p.URL+"/#/login"))
	must(t, ctx, "login form", chromedp.WaitVisible(chromedp.ID("loginForm")))
	typeInto(t, ctx, "username", "jinjiang.monitor")
	typeInto(t, ctx, "password", demo.UserPassword)
	must(t, ctx, "submit", chromedp.Click(chromedp.CSS(`#loginForm button[type=submit]`)))
	must(t, ctx, "console shown", chromedp.WaitVisible(chromedp.ID("app")))
	waitFor(t, ctx, "map menu", `document.querySelector('[data-menu="map"]') !== null`)
	must(t, ctx, "open the map", chromedp.Click(chromedp.CSS(`[data-menu="map"]`)))
	waitLong(t, ctx, "map in GCJ-02", `document.getElementById("map")?.dataset.datum === "gcj02"`, 60*time.Second)
	waitLong(t, ctx, "parked vehicles drawn", `(() => { const m = document.getElementById("map").jtMap;
		return !!m.getLayer("vehicles-dot") && m.queryRenderedFeatures({layers: ["vehicles-dot"]}).some(f => f.properties.mode === "parked") })()`, 60*time.Second)
	if tileHits.Load() == 0 {
		t.Error("no tile fetched from the external source")
	}
	attrib := must(t, ctx, "attribution", chromedp.Evaluate[string](`document.querySelector("#map .maplibregl-ctrl-attrib")?.textContent ?? ""`))
	if !strings.Contains(attrib, "测试底图") {
		t.Errorf("attribution %q does not credit the tile provider", attrib)
	}

	drawn := must(t, ctx, "parked vehicles on screen", chromedp.Evaluate[[][3]float64](`document.getElementById("map").jtMap
		.queryRenderedFeatures({layers: ["vehicles-dot"]}).filter(f => f.properties.mode === "parked")
		.map(f => [f.properties.id, f.geometry.coordinates[0], f.geometry.coordinates[1]])`))
	c := login(t, p.URL, "jinjiang.monitor", demo.UserPassword)
	var states struct {
		Items []struct {
			VehicleID int64   `json:"vehicle_id"`
			Lat       float64 `json:"lat"`
			Lon       float64 `json:"lon"`
		} `json:"items"`
	}
	if status := c.do("GET", "/api/v1/monitor/live-states?page_size=500", nil, &states); status != 200 {
		t.Fatalf("live states: %d", status)
	}
	wgs := map[int64][2]float64{}
	for _, s := range states.Items {
		wgs[s.VehicleID] = [2]float64{s.Lon, s.Lat}
	}
	checked, worst := 0, 0.0
	var pick [3]float64
	for _, d := range drawn {
		w, ok := wgs[int64(d[0])]
		if !ok {
			continue
		}
		gLon, gLat := basemap.ToGCJ02(w[0], w[1])
		toGCJ, toWGS := metresApart(d[1], d[2], gLon, gLat), metresApart(d[1], d[2], w[0], w[1])
		// Rendered positions are quantised to the tile grid: a few metres.
		if toGCJ > 20 || toWGS < 200 {
			t.Errorf("vehicle %v drawn %.0f m from its GCJ-02 position and %.0f m from its WGS-84 one", d[0], toGCJ, toWGS)
		}
		checked++
		worst = max(worst, toGCJ)
		pick = [3]float64{d[0], w[0], w[1]}
	}
	t.Logf("%d parked vehicles drawn within %.1f m of their GCJ-02 positions", checked, worst)
	if checked == 0 {
		t.Fatalf("no parked vehicle to compare (%d drawn, %d states)", len(drawn), len(wgs))
	}

	// Camera targets are WGS-84 too: centred on the vehicle's WGS-84
	// position, the map shows the vehicle in the middle.
	idle := `new Promise(r => { const m = document.getElementById("map").jtMap; m.once("idle", () => r(true)); m.triggerRepaint() })`
	must(t, ctx, "centre on the vehicle", chromedp.Evaluate[bool](fmt.Sprintf(`document.getElementById("map").jtMap.jumpTo({center: [%f, %f], zoom: 15}), true`, pick[1], pick[2])))
	must(t, ctx, "map idle", chromedp.Evaluate[bool](idle, chromedp.EvalAwaitPromise))
	drawnNear := func(dx, dy float64) string {
		return fmt.Sprintf(`(() => { const m = document.getElementById("map").jtMap, c = m.getCanvas();
			const x = c.clientWidth / 2 + %f, y = c.clientHeight / 2 + %f;
			return m.queryRenderedFeatures([[x - 10, y - 10], [x + 10, y + 10]], {layers: ["vehicles-dot"]}).some(f => f.properties.id === %d) })()`, dx, dy, int64(pick[0]))
	}
	if !must(t, ctx, "vehicle in the middle", chromedp.Evaluate[bool](drawnNear(0, 0))) {
		t.Errorf("vehicle %v not drawn at the centre after jumpTo its WGS-84 position", pick[0])
	}
	// A double click zooms in around the clicked point, which stays put:
	// the vehicle in the middle ends up twice as far from it.
	rect := must(t, ctx, "canvas position", chromedp.Evaluate[[2]float64](`(() => { const r = document.getElementById("map").jtMap.getCanvas().getBoundingClientRect();
		return [r.left + r.width / 2, r.top + r.height / 2] })()`))
	ax, ay := rect[0]+120, rect[1]+60
	must(t, ctx, "click", chromedp.MouseClickXY(ax, ay, chromedp.ClickCount(1)))
	must(t, ctx, "double click", chromedp.MouseClickXY(ax, ay, chromedp.ClickCount(2)))
	waitFor(t, ctx, "zoomed in", `document.getElementById("map").jtMap.getZoom() > 15.9`)
	must(t, ctx, "map idle", chromedp.Evaluate[bool](idle, chromedp.EvalAwaitPromise))
	if !must(t, ctx, "vehicle after the zoom", chromedp.Evaluate[bool](drawnNear(-120, -60))) {
		t.Errorf("after a double click, vehicle %v is not where zooming around the click puts it", pick[0])
	}
	offline.check(t)
	screenshot(t, ctx, "gcj02")
}

func metresApart(lon1, lat1, lon2, lat2 float64) float64 {
	const r = 6371008.8
	x := (lon2 - lon1) * math.Pi / 180 * math.Cos((lat1+lat2)/2*math.Pi/180)
	y := (lat2 - lat1) * math.Pi / 180
	return r * math.Hypot(x, y)
}

// tilePNG is a tile image: a light grey square.
func tilePNG(t *testing.T) []byte {
	t.Helper()
	img := image.NewRGBA(image.Rect(0, 0, 256, 256))
	draw.Draw(img, img.Bounds(), &image.Uniform{color.RGBA{0xdd, 0xe4, 0xea, 0xff}}, image.Point{}, draw.Src)
	var buf bytes.Buffer
	if err := pngenc.Encode(&buf, img); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// Every page of the console loads completely with the machine cut off from
// everything but the platform: scripts, styles, fonts, images (the waybill's
// QR code), data and map; no request leaves the machine and no page throws.
func TestIntegrationConsoleEveryPageOffline(t *testing.T) {
	if testing.Short() {
		t.Skip("starts the platform and a browser")
	}
	ctx := offlineBrowser(t)
	p := start(t, testConfig(t))
	defer screenshotOnFailure(t, ctx)
	offline := cutOffline(t, ctx)

	must(t, ctx, "open the console", chromedp.Navigate(p.URL+"/login"))
	must(t, ctx, "login form", chromedp.WaitVisible(chromedp.ID("loginForm")))
	typeInto(t, ctx, "username", "admin")
	typeInto(t, ctx, "password", adminPassword)
	must(t, ctx, "submit", chromedp.Click(chromedp.CSS(`#loginForm button[type=submit]`)))
	waitFor(t, ctx, "console shown", `location.pathname !== "/login" && document.querySelector("[data-menu]") !== null`)

	pages := []string{"/", "/map", "/alarms", "/playback", "/dashboard", "/checks", "/waybills", "/waybills/new",
		"/waybills/1", "/waybills/1/print", "/bigscreen"}
	for _, entity := range []string{"vehicles", "operators", "practitioners", "stations", "routes", "vessels"} {
		pages = append(pages, "/registry/"+entity)
	}
	// Loaded: the route is the one asked for, the document and its fonts are
	// complete, every image has decoded, nothing is still loading, and any
	// map on the page has drawn its basemap.
	loaded := `location.pathname === %q && document.readyState === "complete" && document.fonts.status === "loaded" &&
		[...document.images].every(i => i.complete && i.naturalWidth > 0) &&
		document.querySelector(".el-loading-mask:not([style*='display: none'])") === null &&
		document.body.innerText.trim().length > 20 &&
		[...document.querySelectorAll("[data-basemap]")].every(m => Number(m.dataset.basemapFeatures) > 0)`
	for _, page := range pages {
		must(t, ctx, "open "+page, chromedp.Navigate(p.URL+page))
		waitLong(t, ctx, page+" loaded", fmt.Sprintf(loaded, page), 60*time.Second)
		screenshot(t, ctx, strings.Trim(strings.ReplaceAll(page, "/", "-"), "-"))
	}
	offline.check(t)
}
