package tests

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/jiaotong-platform/jiaotong/internal/platform/access"
	"github.com/jiaotong-platform/jiaotong/internal/platform/civil"
	"github.com/jiaotong-platform/jiaotong/internal/registry"
	"github.com/jiaotong-platform/jiaotong/internal/registry/registrytest"
	"github.com/jiaotong-platform/jiaotong/internal/sim"
)

// The live map with 5,000 vehicles. By default the test checks that the
// whole fleet reaches the map and is drawn (as clusters when zoomed out);
// with JIAOTONG_BENCH_MAP=1 it also measures the page's frame times while
// positions stream in, for docs/benchmarks.md:
//
//	JIAOTONG_BENCH_MAP=1 go test ./tests -run '^TestIntegrationConsoleMapFleetInBrowser$' -v -timeout 20m
//
// No figure is asserted: it depends on the machine (a headless browser
// draws WebGL in software); the figures are recorded in docs/benchmarks.md.
const (
	mapBenchEnv     = "JIAOTONG_BENCH_MAP"
	mapFleetSize    = 5_000
	mapFleetPhones  = "147"
	mapBenchWindow  = 20 * time.Second
	mapFleetRuntime = 15 * time.Minute // the load process's upper bound; it is killed when the test ends
)

// createMapFleet registers n trucks of one Chengdu enterprise, four at a time.
func createMapFleet(t *testing.T, reg *registry.Service, n int) []sim.Vehicle {
	t.Helper()
	sys := access.With(context.Background(), access.System)
	op, err := reg.CreateOperator(sys, registry.OperatorFields{Name: "成都地图压测货运", CreditCode: registrytest.CreditCode("510104", 909),
		Region: "510104", Scopes: []registry.BusinessScope{registry.ScopeGeneralFreight},
		LicenceNo: "川交运管许可成字510104909", LicenceValidUntil: civil.Today().AddDays(400)})
	if err != nil {
		t.Fatalf("create operator: %v", err)
	}
	began := time.Now()
	out := make([]sim.Vehicle, n)
	var wg sync.WaitGroup
	var mu sync.Mutex
	var firstErr error
	const workers = 4
	for w := range workers {
		wg.Go(func() {
			for i := w; i < n; i += workers {
				v, err := reg.CreateVehicle(sys, registry.VehicleFields{Plate: registrytest.Plate("川", "A", 20000+i), PlateColor: registry.PlateYellow,
					VIN: registrytest.VIN(20000 + i), Category: registry.CategoryTruck, RatedLoadKg: 18000, OperatorID: op.ID, Region: "510104",
					TransportCertNo: fmt.Sprintf("510104%06d", 20000+i), TransportCertUntil: civil.Today().AddDays(400),
					TerminalPhone: fmt.Sprintf("%s%08d", mapFleetPhones, i+1)})
				if err != nil {
					mu.Lock()
					if firstErr == nil {
						firstErr = fmt.Errorf("vehicle %d: %w", i, err)
					}
					mu.Unlock()
					return
				}
				out[i] = sim.VehicleOf(v, nil)
			}
		})
	}
	wg.Wait()
	if firstErr != nil {
		t.Fatalf("create fleet: %v", firstErr)
	}
	t.Logf("registered %d vehicles in %s", n, time.Since(began).Round(time.Millisecond))
	return out
}

// startLoad runs the terminals in a child process (this test binary, the
// load process of TestAlarmLatency): 5,000 connections on each side would
// crowd one process's file descriptors.
func startLoad(t *testing.T, gateway string, vehicles []sim.Vehicle, interval time.Duration) {
	t.Helper()
	dir := t.TempDir()
	raw, err := json.Marshal(alarmLoadConfig{Server: gateway, Vehicles: vehicles, Interval: interval, Duration: mapFleetRuntime,
		Report: filepath.Join(dir, "report.json")})
	if err != nil {
		t.Fatal(err)
	}
	cfgPath := filepath.Join(dir, "load.json")
	if err := os.WriteFile(cfgPath, raw, 0o600); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(os.Args[0], "-test.run=^TestAlarmLatencyLoad$", "-test.timeout=0")
	cmd.Env = append(os.Environ(), alarmLoadEnv+"="+cfgPath, alarmLatencyEnv+"=", mapBenchEnv+"=")
	var out strings.Builder
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Start(); err != nil {
		t.Fatalf("start load process: %v", err)
	}
	done := make(chan struct{})
	go func() { _ = cmd.Wait(); close(done) }()
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		<-done
		if t.Failed() {
			t.Logf("load process output:\n%s", out.String())
		}
	})
}

// frameStats measures the page's frame times with requestAnimationFrame
// for the window and returns them with the live positions received meanwhile.
const frameStats = `(async (ms) => {
	const mapEl = document.getElementById("map");
	const updates0 = Number(mapEl.dataset.liveUpdates);
	const times = [];
	let last = performance.now();
	const end = last + ms;
	await new Promise((done) => {
		const step = (now) => { times.push(now - last); last = now; if (now < end) requestAnimationFrame(step); else done(); };
		requestAnimationFrame(step);
	});
	times.shift();
	times.sort((a, b) => a - b);
	const q = (p) => times[Math.min(times.length - 1, Math.floor(p * times.length))];
	return { frames: times.length, p50: q(0.5), p95: q(0.95), p99: q(0.99), max: times[times.length - 1],
		over50: times.filter((x) => x > 50).length, updates: Number(mapEl.dataset.liveUpdates) - updates0,
		rendered: Number(mapEl.dataset.rendered) };
})`

type frameFigures struct {
	Frames   int     `json:"frames"`
	P50      float64 `json:"p50"`
	P95      float64 `json:"p95"`
	P99      float64 `json:"p99"`
	Max      float64 `json:"max"`
	Over50   int     `json:"over50"`
	Updates  int     `json:"updates"`
	Rendered int     `json:"rendered"`
}

func TestIntegrationConsoleMapFleetInBrowser(t *testing.T) {
	if testing.Short() {
		t.Skip("starts the platform, 5,000 terminals and a browser")
	}
	bench := os.Getenv(mapBenchEnv) == "1"
	ctx := browser(t)
	cfg := testConfig(t)
	cfg.Demo = false // only the fleet under test
	p := start(t, cfg)
	defer screenshotOnFailure(t, ctx)
	fleet := createMapFleet(t, p.App.Registry, mapFleetSize)
	// Each terminal reports every 10 s (500 positions a second in all), a
	// busy real fleet; JIAOTONG_BENCH_MAP_INTERVAL (a Go duration) changes it.
	interval := 10 * time.Second
	if v := os.Getenv("JIAOTONG_BENCH_MAP_INTERVAL"); v != "" {
		d, err := time.ParseDuration(v)
		if err != nil {
			t.Fatalf("JIAOTONG_BENCH_MAP_INTERVAL: %v", err)
		}
		interval = d
	}
	startLoad(t, jt808Address(t, p.Stdout.String()), fleet, interval)

	// Every terminal has reported once before the page loads the live states.
	admin := login(t, p.URL, "admin", adminPassword)
	deadline := time.Now().Add(5 * time.Minute)
	for {
		var states page
		admin.do("GET", "/api/v1/monitor/live-states?page_size=1&state=online", nil, &states)
		if states.Total >= mapFleetSize {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("only %d of %d vehicles online", states.Total, mapFleetSize)
		}
		time.Sleep(time.Second)
	}

	must(t, ctx, "open the map", chromedp.Navigate(p.URL+"/map"))
	logIn(t, ctx, "admin", adminPassword)
	waitLong(t, ctx, "the whole fleet on the map", `Number(document.getElementById("map")?.dataset.vehicles) === `+fmt.Sprint(mapFleetSize), 60*time.Second)
	waitLong(t, ctx, "vehicles drawn", `Number(document.getElementById("map").dataset.rendered) > 0`, 60*time.Second)
	waitLong(t, ctx, "positions arriving live", `Number(document.getElementById("map").dataset.liveUpdates) > 0`, 60*time.Second)
	screenshot(t, ctx, "1-fleet")

	measure := func(view string) {
		if !bench {
			return
		}
		var f frameFigures
		raw := must(t, ctx, "frame times "+view, chromedp.Evaluate[json.RawMessage](frameStats+`(`+fmt.Sprint(mapBenchWindow.Milliseconds())+`)`, chromedp.EvalAwaitPromise))
		if err := json.Unmarshal(raw, &f); err != nil {
			t.Fatalf("frame figures %s: %v", raw, err)
		}
		t.Logf("map frame times, %d vehicles reporting every %s, %s: %d frames in %s (%.1f fps), p50 %.1f ms, p95 %.1f ms, p99 %.1f ms, max %.1f ms, %d frames over 50 ms; %d live positions received, %d vehicles drawn; load average %s",
			mapFleetSize, interval, view, f.Frames, mapBenchWindow, float64(f.Frames)/mapBenchWindow.Seconds(), f.P50, f.P95, f.P99, f.Max, f.Over50, f.Updates, f.Rendered, loadAverage())
	}
	measure("whole fleet in view, every vehicle a symbol")

	// Zoomed out the fleet merges into clusters whose counts add up to it.
	for i := 0; i < 5; i++ {
		must(t, ctx, "zoom out", chromedp.Click(chromedp.CSS(`.maplibregl-ctrl-zoom-out`)))
	}
	waitLong(t, ctx, "clusters count the whole fleet", `(() => {
		const labels = [...document.querySelectorAll("#map .cluster-label")].map(l => Number(l.textContent));
		return labels.some(n => n > 1) && labels.reduce((a, b) => a + b, 0) + Number(document.getElementById("map").dataset.rendered) === `+fmt.Sprint(mapFleetSize)+`
	})()`, 60*time.Second)
	screenshot(t, ctx, "2-clusters")
	measure("zoomed out, clustered")

	// A vehicle of the 5,000 is found by its plate and its card opens.
	plate := fleet[mapFleetSize/2].Plate
	typeInto(t, ctx, "plateSearch", plate)
	must(t, ctx, "search", chromedp.Click(chromedp.ID("plateGo")))
	must(t, ctx, "vehicle card", chromedp.WaitVisible(chromedp.ID("vehicleCard")))
	waitFor(t, ctx, "the plate on the card", `document.querySelector("#vehicleCard .plate")?.textContent === `+fmt.Sprintf("%q", plate))
	screenshot(t, ctx, "3-card")
	measure("one vehicle opened, zoomed in")
}
