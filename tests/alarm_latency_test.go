package tests

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/coder/websocket"

	"github.com/jiaotong-platform/jiaotong/internal/live"
	"github.com/jiaotong-platform/jiaotong/internal/platform/access"
	"github.com/jiaotong-platform/jiaotong/internal/platform/civil"
	"github.com/jiaotong-platform/jiaotong/internal/protocol/jt808"
	"github.com/jiaotong-platform/jiaotong/internal/registry"
	"github.com/jiaotong-platform/jiaotong/internal/registry/registrytest"
	"github.com/jiaotong-platform/jiaotong/internal/sim"
)

// The alarm latency figure of the monitoring issue: from an emergency (SOS)
// frame written by a terminal to the "alarm.raised" event read by a console
// on /api/v1/live, while 10,000 other terminals report once a second.
//
// It takes minutes and the whole machine, so it runs only on request:
//
//	JIAOTONG_BENCH_ALARM_LATENCY=1 go test ./tests -run '^TestAlarmLatency$' -v -timeout 30m
//
// The background load runs in a child process (this test binary again):
// 10,000 terminals plus the gateway's 10,000 ends would not fit one
// process's file descriptor limit, and a separate load generator is what a
// real deployment sees anyway.
const (
	alarmLatencyEnv   = "JIAOTONG_BENCH_ALARM_LATENCY"
	alarmLoadEnv      = "JIAOTONG_ALARM_LOAD_CONFIG" // set for the child process only
	loadVehicles      = 10_000
	probeVehicles     = 10
	probePeriod       = 2 * time.Second
	measureWindow     = 50 * time.Second
	loadSettle        = 5 * time.Second // load running before the probes start
	alarmWaitAfterEnd = 3 * time.Second
)

// alarmLoadConfig is what the parent hands the load process.
type alarmLoadConfig struct {
	Server   string        `json:"server"`
	Vehicles []sim.Vehicle `json:"vehicles"`
	Interval time.Duration `json:"interval"`
	Duration time.Duration `json:"duration"`
	Report   string        `json:"report"` // file the LoadReport is written to
}

func TestAlarmLatency(t *testing.T) {
	if os.Getenv(alarmLatencyEnv) != "1" {
		t.Skipf("a benchmark of several minutes; set %s=1 to run it", alarmLatencyEnv)
	}
	t.Logf("load average at start: %s", loadAverage())
	cfg := testConfig(t)
	cfg.Demo = false
	p := start(t, cfg)
	a := p.App
	gatewayAddr := jt808Address(t, p.Stdout.String())

	load, probes := createFleet(t, a.Registry)

	// The console: the administrator's session cookie, same-origin upgrade.
	admin := login(t, p.URL, "admin", adminPassword)
	ws := dialLive(t, admin, p.URL)
	ids := make([]int64, len(probes))
	for i, v := range probes {
		ids[i] = v.ID
	}
	sub, _ := json.Marshal(map[string]any{"type": "subscribe", "topics": []string{"alarms"}, "vehicle_ids": ids})
	ctx := context.Background()
	if err := ws.Write(ctx, websocket.MessageText, sub); err != nil {
		t.Fatalf("subscribe: %v", err)
	}
	awaitMessage(t, ws, "subscribed")

	// Background load in a child process.
	dir := t.TempDir()
	lc := alarmLoadConfig{Server: gatewayAddr, Vehicles: load, Interval: time.Second,
		Duration: loadSettle + measureWindow + alarmWaitAfterEnd + 2*probePeriod, Report: filepath.Join(dir, "report.json")}
	raw, err := json.Marshal(lc)
	if err != nil {
		t.Fatal(err)
	}
	cfgPath := filepath.Join(dir, "load.json")
	if err := os.WriteFile(cfgPath, raw, 0o600); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(os.Args[0], "-test.run=^TestAlarmLatencyLoad$")
	cmd.Env = append(os.Environ(), alarmLoadEnv+"="+cfgPath, alarmLatencyEnv+"=")
	var childOut strings.Builder
	cmd.Stdout, cmd.Stderr = &childOut, &childOut
	if err := cmd.Start(); err != nil {
		t.Fatalf("start load process: %v", err)
	}
	loadDone := make(chan error, 1)
	go func() { loadDone <- cmd.Wait() }()
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		<-loadDone
	})

	// Wait until every load terminal is connected, then let the rate settle.
	connectStart := time.Now()
	for {
		n := len(a.Gateway.Sessions(access.Scope{}))
		if n >= loadVehicles {
			break
		}
		select {
		case err := <-loadDone:
			loadDone <- err
			t.Fatalf("load process ended before connecting (%d sessions): %v\n%s", n, err, childOut.String())
		default:
		}
		if time.Since(connectStart) > 5*time.Minute {
			t.Fatalf("only %d of %d load terminals connected", n, loadVehicles)
		}
		time.Sleep(500 * time.Millisecond)
	}
	t.Logf("%d load terminals connected in %s", loadVehicles, time.Since(connectStart).Round(time.Millisecond))
	time.Sleep(loadSettle)

	// Collect alarm.raised of the probes.
	// An alarm is matched to its SOS frame by vehicle and start (the
	// frame's device time, whole seconds; a probe's SOS frames are a period
	// apart).
	type sosKey struct{ vehicle, second int64 }
	var mu sync.Mutex
	pending := map[sosKey]time.Time{} // SOS frame → wall time just before its write
	var latencies []time.Duration
	unmatched := 0
	go func() {
		for {
			_, data, err := ws.Read(context.Background())
			arrived := time.Now()
			if err != nil {
				return
			}
			var m struct {
				Type      string `json:"type"`
				VehicleID int64  `json:"vehicle_id"`
				Data      struct {
					Rule    string    `json:"rule"`
					StartAt time.Time `json:"start_at"`
				} `json:"data"`
			}
			if json.Unmarshal(data, &m) != nil || m.Type != "alarm.raised" || m.Data.Rule != "sos" {
				continue
			}
			mu.Lock()
			key := sosKey{m.VehicleID, m.Data.StartAt.Unix()}
			if t0, ok := pending[key]; ok {
				latencies = append(latencies, arrived.Sub(t0))
				delete(pending, key)
			} else {
				unmatched++
			}
			mu.Unlock()
		}
	}()

	// The probes: each raises an SOS, clears it a period later, repeats.
	loadAvgBefore := loadAverage()
	var wg sync.WaitGroup
	end := time.Now().Add(measureWindow)
	for i, v := range probes {
		term, err := connectProbe(gatewayAddr, v)
		if err != nil {
			t.Fatalf("probe %s: %v", v.TerminalPhone, err)
		}
		defer term.close()
		wg.Go(func() {
			// Stagger the probes over the period.
			time.Sleep(time.Duration(i) * probePeriod / probeVehicles)
			for time.Now().Before(end) {
				mu.Lock()
				t0 := time.Now()
				pending[sosKey{v.ID, t0.Unix()}] = t0
				mu.Unlock()
				if err := term.location(1, t0); err != nil {
					t.Errorf("probe %s: %v", v.TerminalPhone, err)
					return
				}
				time.Sleep(probePeriod / 2)
				if err := term.location(0, time.Now()); err != nil {
					t.Errorf("probe %s: %v", v.TerminalPhone, err)
					return
				}
				time.Sleep(probePeriod / 2)
			}
		})
	}
	wg.Wait()
	time.Sleep(alarmWaitAfterEnd)
	loadAvgAfter := loadAverage()

	// The load report.
	select {
	case err := <-loadDone:
		loadDone <- err
		if err != nil {
			t.Fatalf("load process: %v\n%s", err, childOut.String())
		}
	case <-time.After(2 * time.Minute):
		t.Fatalf("load process did not finish\n%s", childOut.String())
	}
	var rep sim.LoadReport
	if raw, err := os.ReadFile(lc.Report); err != nil {
		t.Fatalf("load report: %v\n%s", err, childOut.String())
	} else if err := json.Unmarshal(raw, &rep); err != nil {
		t.Fatalf("load report: %v", err)
	}

	mu.Lock()
	defer mu.Unlock()
	missed := len(pending) // SOS frames whose alarm never arrived
	if len(latencies) == 0 {
		t.Fatalf("no alarm received (unmatched %d, missed %d)", unmatched, missed)
	}
	slices.Sort(latencies)
	q := func(p float64) time.Duration { return latencies[int(p*float64(len(latencies)-1)+0.5)] }
	t.Logf("background load: %d terminals, %d connected, %.0f positions/s acknowledged over %.1f s (sent %d, acked %d, rejected %d, errors %d; ack p50 %.1f ms, p99 %.1f ms)",
		rep.Terminals, rep.Connected, rep.AckedPerSecond, rep.DurationS, rep.PositionsSent, rep.PositionsAcked,
		rep.PositionsRejected, rep.Errors, rep.AckLatencyP50Ms, rep.AckLatencyP99Ms)
	t.Logf("alarm latency, SOS frame written → alarm.raised read on %s: samples %d, p50 %s, p99 %s, max %s (missed %d, unmatched %d)",
		live.Path, len(latencies), q(0.50).Round(10*time.Microsecond), q(0.99).Round(10*time.Microsecond),
		latencies[len(latencies)-1].Round(10*time.Microsecond), missed, unmatched)
	over := 0
	for _, d := range latencies {
		if d > 100*time.Millisecond {
			over++
		}
	}
	t.Logf("samples over 100 ms: %d (%.1f%%); slowest five: %v", over, 100*float64(over)/float64(len(latencies)),
		latencies[max(0, len(latencies)-5):])
	t.Logf("load average: before probes %s; after %s", loadAvgBefore, loadAvgAfter)
	if len(latencies) < 100 {
		t.Errorf("only %d samples, want at least 100", len(latencies))
	}
}

// TestAlarmLatencyLoad is the load process of TestAlarmLatency; it runs only
// when that test starts it.
func TestAlarmLatencyLoad(t *testing.T) {
	path := os.Getenv(alarmLoadEnv)
	if path == "" {
		t.Skip("the load process of TestAlarmLatency")
	}
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var lc alarmLoadConfig
	if err := json.Unmarshal(raw, &lc); err != nil {
		t.Fatal(err)
	}
	rep, err := sim.RunLoad(context.Background(), sim.LoadConfig{Server: lc.Server, Vehicles: lc.Vehicles,
		Interval: lc.Interval, Duration: lc.Duration})
	if err != nil {
		t.Fatal(err)
	}
	out, _ := json.Marshal(rep)
	if err := os.WriteFile(lc.Report, out, 0o600); err != nil {
		t.Fatal(err)
	}
}

// createFleet registers the load vehicles and the probe vehicles of one
// freight enterprise in Chengdu.
func createFleet(t *testing.T, reg *registry.Service) (load, probes []sim.Vehicle) {
	t.Helper()
	sys := access.With(context.Background(), access.System)
	op, err := reg.CreateOperator(sys, registry.OperatorFields{Name: "成都压测货运", CreditCode: registrytest.CreditCode("510104", 808),
		Region: "510104", Scopes: []registry.BusinessScope{registry.ScopeGeneralFreight},
		LicenceNo: "川交运管许可成字510104", LicenceValidUntil: civil.Today().AddDays(400)})
	if err != nil {
		t.Fatalf("create operator: %v", err)
	}
	began := time.Now()
	create := func(n int, phone string) sim.Vehicle {
		v, err := reg.CreateVehicle(sys, registry.VehicleFields{Plate: registrytest.Plate("川", "A", n), PlateColor: registry.PlateYellow,
			VIN: registrytest.VIN(n), Category: registry.CategoryTruck, RatedLoadKg: 18000, OperatorID: op.ID, Region: "510104",
			TransportCertNo: fmt.Sprintf("510104%06d", n), TransportCertUntil: civil.Today().AddDays(400), TerminalPhone: phone})
		if err != nil {
			t.Fatalf("create vehicle %d: %v", n, err)
		}
		return sim.VehicleOf(v, nil)
	}
	load = make([]sim.Vehicle, loadVehicles)
	var wg sync.WaitGroup
	const workers = 4
	for w := range workers {
		wg.Go(func() {
			for i := w; i < loadVehicles; i += workers {
				load[i] = create(i+1, fmt.Sprintf("145%08d", i+1))
			}
		})
	}
	wg.Wait()
	for i := range probeVehicles {
		probes = append(probes, create(loadVehicles+i+1, fmt.Sprintf("146%08d", i+1)))
	}
	t.Logf("registered %d vehicles in %s", len(load)+len(probes), time.Since(began).Round(time.Millisecond))
	return load, probes
}

// jt808Address reads the gateway's address from the start-up output.
func jt808Address(t *testing.T, out string) string {
	t.Helper()
	for line := range strings.SplitSeq(out, "\n") {
		if _, addr, ok := strings.Cut(line, "JT/T 808:"); ok {
			return strings.TrimSpace(addr)
		}
	}
	t.Fatalf("start-up output names no JT/T 808 address:\n%s", out)
	return ""
}

// dialLive opens the live WebSocket as the logged-in client, the way the
// console page does (session cookie, same origin).
func dialLive(t *testing.T, c *client, base string) *websocket.Conn {
	t.Helper()
	u, _ := url.Parse(base)
	var cookies []string
	for _, ck := range c.http.Jar.Cookies(u) {
		cookies = append(cookies, ck.Name+"="+ck.Value)
	}
	h := http.Header{"Cookie": {strings.Join(cookies, "; ")}, "Origin": {"http://" + u.Host}}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	conn, _, err := websocket.Dial(ctx, "ws://"+u.Host+live.Path, &websocket.DialOptions{HTTPHeader: h})
	if err != nil {
		t.Fatalf("dial %s: %v", live.Path, err)
	}
	conn.SetReadLimit(1 << 20)
	t.Cleanup(func() { conn.CloseNow() })
	awaitMessage(t, conn, "ready")
	return conn
}

// awaitMessage reads until a message of the given type.
func awaitMessage(t *testing.T, conn *websocket.Conn, typ string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	for {
		_, data, err := conn.Read(ctx)
		if err != nil {
			t.Fatalf("waiting for %q: %v", typ, err)
		}
		var m struct {
			Type string `json:"type"`
		}
		if json.Unmarshal(data, &m) == nil && m.Type == typ {
			return
		}
	}
}

// probe is a hand-driven JT/T 808-2013 terminal.
type probe struct {
	conn   net.Conn
	phone  jt808.Phone
	mu     sync.Mutex
	serial uint16
	wbuf   []byte
}

// connectProbe registers (0x0100 → 0x8100) and authenticates (0x0102 →
// 0x8001), then discards what the platform sends.
func connectProbe(addr string, v sim.Vehicle) (*probe, error) {
	phone, err := jt808.ParsePhone(v.TerminalPhone, jt808.V2013)
	if err != nil {
		return nil, err
	}
	conn, err := net.DialTimeout("tcp", addr, 10*time.Second)
	if err != nil {
		return nil, err
	}
	p := &probe{conn: conn, phone: phone}
	sp := jt808.NewSplitter(0)
	rbuf := make([]byte, 512)
	_ = conn.SetReadDeadline(time.Now().Add(30 * time.Second))
	await := func(match func(jt808.Header, jt808.Body) bool) (jt808.Body, error) {
		for {
			for {
				frame, err := sp.Next()
				if errors.Is(err, jt808.ErrNeedMore) {
					break
				}
				if err != nil {
					continue
				}
				pkt, err := jt808.Unpack(frame)
				if err != nil {
					continue
				}
				h, body, err := jt808.ParseHeader(pkt)
				if err != nil {
					continue
				}
				h.Version = jt808.V2013
				b, err := jt808.DecodeBody(&h, body)
				if err == nil && match(h, b) {
					return b, nil
				}
			}
			n, err := conn.Read(rbuf)
			if err != nil {
				return nil, err
			}
			sp.Feed(rbuf[:n])
		}
	}
	fail := func(err error) (*probe, error) {
		conn.Close()
		return nil, err
	}
	if err := p.send(&jt808.Register{ProvinceID: 51, CityID: 100, Manufacturer: "PROBE", Model: "P-808",
		TerminalID: "P" + v.TerminalPhone[len(v.TerminalPhone)-6:], PlateColor: uint8(v.PlateColor), Plate: v.Plate}); err != nil {
		return fail(err)
	}
	b, err := await(func(h jt808.Header, _ jt808.Body) bool { return h.MsgID == jt808.MsgRegisterResponse })
	if err != nil {
		return fail(fmt.Errorf("register: %w", err))
	}
	rr := b.(*jt808.RegisterResponse)
	if rr.Result != jt808.RegisterOK {
		return fail(fmt.Errorf("register refused: result %d", rr.Result))
	}
	if err := p.send(&jt808.Auth{Code: rr.AuthCode}); err != nil {
		return fail(err)
	}
	b, err = await(func(_ jt808.Header, b jt808.Body) bool {
		r, ok := b.(*jt808.PlatformResponse)
		return ok && r.ReplyID == jt808.MsgAuth
	})
	if err != nil {
		return fail(fmt.Errorf("authenticate: %w", err))
	}
	if r := b.(*jt808.PlatformResponse); r.Result != jt808.ResultOK {
		return fail(fmt.Errorf("authentication refused: result %d", r.Result))
	}
	_ = conn.SetReadDeadline(time.Time{})
	go func() {
		buf := make([]byte, 4096)
		for {
			if _, err := conn.Read(buf); err != nil {
				return
			}
		}
	}()
	return p, nil
}

func (p *probe) send(body jt808.Body) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.serial++
	var err error
	p.wbuf, err = jt808.Encode(p.wbuf[:0], jt808.Header{Version: jt808.V2013, Phone: p.phone, Serial: p.serial}, body)
	if err != nil {
		return err
	}
	_ = p.conn.SetWriteDeadline(time.Now().Add(10 * time.Second))
	_, err = p.conn.Write(p.wbuf)
	return err
}

// location reports a parked vehicle in central Chengdu with the given alarm
// word (bit 0: emergency) at device time at.
func (p *probe) location(alarm jt808.Alarm, at time.Time) error {
	return p.send(&jt808.Location{Alarm: alarm, Status: 3, Lat: 30_657_000, Lon: 104_066_000, Altitude: 500,
		Time: jt808.BCDTimeOf(at)})
}

func (p *probe) close() { p.conn.Close() }

func loadAverage() string {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return "unknown"
	}
	f := strings.Fields(string(b))
	if len(f) < 3 {
		return "unknown"
	}
	return strings.Join(f[:3], " ")
}
