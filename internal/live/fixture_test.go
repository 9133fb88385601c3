package live_test

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/coder/websocket"
	"github.com/prometheus/client_golang/prometheus"
	"go.uber.org/goleak"

	"github.com/jiaotong-platform/jiaotong/internal/gateway"
	"github.com/jiaotong-platform/jiaotong/internal/live"
	"github.com/jiaotong-platform/jiaotong/internal/platform/access"
	"github.com/jiaotong-platform/jiaotong/internal/platform/audit"
	"github.com/jiaotong-platform/jiaotong/internal/platform/bus"
	"github.com/jiaotong-platform/jiaotong/internal/platform/bus/bustest"
	"github.com/jiaotong-platform/jiaotong/internal/platform/civil"
	"github.com/jiaotong-platform/jiaotong/internal/platform/httpapi"
	"github.com/jiaotong-platform/jiaotong/internal/platform/sqldb"
	"github.com/jiaotong-platform/jiaotong/internal/platform/sqldb/sqldbtest"
	"github.com/jiaotong-platform/jiaotong/internal/registry"
	"github.com/jiaotong-platform/jiaotong/internal/registry/registrytest"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// fixture is a live service on an embedded bus and a SQLite registry, served
// by the platform's HTTP server with test authentication
// (registrytest.Authenticate) in place of iam.
type fixture struct {
	bus    *bus.Bus
	db     *sqldb.DB
	reg    *registry.Service
	svc    *live.Service
	srv    *httptest.Server
	prefix string
	// operators and vehicles by name
	ops      map[string]int64
	vehicles map[string]fixtureVehicle
}

type fixtureVehicle struct {
	id       int64
	region   string
	plate    string
	lat, lon int32 // micro-degrees
}

// The registry of every test: two enterprises in Jinjiang (锦江区 510104),
// one in Qingyang (青羊区 510105).
var fixtureVehicles = []struct {
	name, op, region string
	lat, lon         int32
}{
	{"jinjiang-a", "op-a", "510104", 30_657_000, 104_081_000},
	{"jinjiang-b", "op-b", "510104", 30_640_000, 104_100_000},
	{"qingyang-c", "op-c", "510105", 30_674_000, 104_010_000},
}

func newFixture(t testing.TB, cfg live.Config) *fixture {
	t.Helper()
	return newFixtureWith(t, cfg, nil)
}

// newFixtureWith is newFixture with extra authentication middleware, made
// by auth once the registry exists; it runs inside the test middleware, so
// requests it does not authenticate keep the X-Test-Principal one.
func newFixtureWith(t testing.TB, cfg live.Config, auth func(f *fixture) func(http.Handler) http.Handler) *fixture {
	t.Helper()
	ctx := access.With(context.Background(), access.System)
	f := &fixture{bus: bustest.StartEmbedded(t), ops: map[string]int64{}, vehicles: map[string]fixtureVehicle{}}
	f.prefix = bustest.Prefix(t, f.bus)
	for _, sc := range []bus.StreamConfig{
		{Name: f.prefix + "_POS", Subjects: []string{f.prefix + ".pos.>"}, Storage: bus.MemoryStorage},
		{Name: f.prefix + "_EVT", Subjects: []string{f.prefix + ".evt.>"}, Storage: bus.MemoryStorage},
	} {
		if err := f.bus.EnsureStream(ctx, sc); err != nil {
			t.Fatal(err)
		}
	}

	db := sqldbtest.OpenSQLite(t)
	f.db = db
	if err := db.Migrate(ctx, audit.Module(), registry.Module()); err != nil {
		t.Fatalf("migrate: %v", err)
	}
	f.reg = registry.New(db, slog.New(slog.DiscardHandler))
	for i, name := range []string{"op-a", "op-b", "op-c"} {
		region := "510104"
		if name == "op-c" {
			region = "510105"
		}
		op, err := f.reg.CreateOperator(ctx, registry.OperatorFields{Name: "成都客运" + name, CreditCode: registrytest.CreditCode(region, i+1),
			Region: region, Scopes: []registry.BusinessScope{registry.ScopeScheduledCoach},
			LicenceNo: "川交运管许可成字" + region, LicenceValidUntil: civil.Today().AddDays(100)})
		if err != nil {
			t.Fatalf("create operator: %v", err)
		}
		f.ops[name] = op.ID
	}
	for i, fv := range fixtureVehicles {
		v := f.createVehicle(t, f.ops[fv.op], fv.region, i+1)
		f.vehicles[fv.name] = fixtureVehicle{id: v.ID, region: fv.region, plate: v.Plate, lat: fv.lat, lon: fv.lon}
	}

	cfg.PositionsStream = f.prefix + "_POS"
	cfg.EventsStream = f.prefix + "_EVT"
	cfg.EventsSubjectPrefix = f.prefix + ".evt"
	if cfg.Registerer == nil {
		cfg.Registerer = prometheus.NewRegistry()
	}
	f.svc = live.New(f.bus, f.reg, cfg, slog.New(slog.DiscardHandler))

	api := httpapi.New(httpapi.Options{Logger: slog.New(slog.DiscardHandler)})
	api.Use(registrytest.Authenticate)
	if auth != nil {
		api.Use(auth(f))
	}
	f.svc.Mount(api.Mux)
	f.srv = httptest.NewServer(api.Handler())

	runCtx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	wg.Go(func() {
		if err := f.svc.Run(runCtx); err != nil {
			t.Errorf("live: run: %v", err)
		}
	})
	t.Cleanup(func() {
		cancel()
		wg.Wait()
		f.srv.Close()
	})
	f.sync(t)
	return f
}

func (f *fixture) createVehicle(t testing.TB, operatorID int64, region string, n int) *registry.Vehicle {
	t.Helper()
	v, err := f.reg.CreateVehicle(access.With(context.Background(), access.System), registry.VehicleFields{
		Plate: registrytest.Plate("川", "A", n), PlateColor: registry.PlateYellow, VIN: registrytest.VIN(n),
		Category: registry.CategoryCoach, Seats: 45, Axles: 2, OperatorID: operatorID, Region: region,
		TransportCertNo: "510100" + region, TransportCertUntil: civil.Today().AddDays(400)})
	if err != nil {
		t.Fatalf("create vehicle: %v", err)
	}
	return v
}

// sync waits until both stream consumers of the service are running: the
// consumers start at new messages, so what a test publishes before would be
// missed. It probes with a position and an event a national administrator
// receives.
func (f *fixture) sync(t testing.TB) {
	t.Helper()
	admin := f.dial(t, "admin:", nil)
	admin.subscribe(t, `{"type":"subscribe"}`)
	v := f.vehicles["jinjiang-a"]
	var sawPos, sawEvent bool
	deadline := time.Now().Add(30 * time.Second)
	for !(sawPos && sawEvent) {
		if time.Now().After(deadline) {
			t.Fatal("live service did not start consuming within 30s")
		}
		if !sawPos {
			f.publishPositions(t, f.position("jinjiang-a", time.Now()))
		}
		if !sawEvent {
			f.publishEvent(t, "vehicle", map[string]any{"type": "vehicle.state", "vehicle_id": v.id, "region": v.region,
				"operator_id": f.ops["op-a"], "at": time.Now().UTC(), "data": map[string]any{"probe": true}})
		}
		for {
			m, ok := admin.next(100 * time.Millisecond)
			if !ok {
				break
			}
			switch m.Type {
			case "position":
				sawPos = true
			case "vehicle.state":
				sawEvent = true
			}
		}
	}
	admin.close()
}

// position builds a live position of the named vehicle at time at.
func (f *fixture) position(name string, at time.Time) gateway.Position {
	v := f.vehicles[name]
	return gateway.Position{VehicleID: v.id, Phone: fmt.Sprint(13900000000 + v.id), DeviceTime: at, ReceiveTime: at,
		Lat: v.lat, Lon: v.lon, Speed: 615, Heading: 90, Status: 3}
}

func (f *fixture) publishPositions(t testing.TB, ps ...gateway.Position) {
	t.Helper()
	if _, err := f.bus.Publish(context.Background(), f.prefix+".pos.0", gateway.AppendPositions(nil, ps)); err != nil {
		t.Fatalf("publish positions: %v", err)
	}
}

// publishEvent publishes an event envelope on <prefix>.evt.<kind>.
func (f *fixture) publishEvent(t testing.TB, kind string, env map[string]any) {
	t.Helper()
	data, err := json.Marshal(env)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.bus.Publish(context.Background(), f.prefix+".evt."+kind, data); err != nil {
		t.Fatalf("publish event: %v", err)
	}
}

// alarm builds an alarm event of the named vehicle as the monitor would.
func (f *fixture) alarm(name, severity string, at time.Time) map[string]any {
	v := f.vehicles[name]
	op := map[string]string{"jinjiang-a": "op-a", "jinjiang-b": "op-b", "qingyang-c": "op-c"}[name]
	return map[string]any{"type": "alarm.raised", "at": at.UTC().Format("2006-01-02T15:04:05.000Z07:00"),
		"vehicle_id": v.id, "plate": v.plate, "region": v.region, "operator_id": f.ops[op],
		"lat": float64(v.lat) / 1e6, "lon": float64(v.lon) / 1e6, "severity": severity,
		"data": map[string]any{"rule": "overspeed", "speed": 98.5}}
}

// wsURL is the live endpoint as a ws:// URL.
func (f *fixture) wsURL() string { return "ws" + strings.TrimPrefix(f.srv.URL, "http") + live.Path }

// dial connects as principal ("role:region[:operator]", see
// registrytest.Authenticate) and waits for the ready message.
func (f *fixture) dial(t testing.TB, principal string, header http.Header) *wsClient {
	t.Helper()
	if header == nil {
		header = http.Header{}
	}
	header.Set(registrytest.Header, principal)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	conn, resp, err := websocket.Dial(ctx, f.wsURL(), &websocket.DialOptions{HTTPHeader: header})
	if err != nil {
		status := 0
		if resp != nil {
			status = resp.StatusCode
		}
		t.Fatalf("dial as %q: %v (status %d)", principal, err, status)
	}
	c := newWSClient(conn)
	t.Cleanup(c.close)
	if m, ok := c.next(10 * time.Second); !ok || m.Type != "ready" {
		t.Fatalf("first message = %+v, want ready", m)
	}
	return c
}

// serverMsg is a message from the server with the fields tests look at.
type serverMsg struct {
	Type      string           `json:"type"`
	VehicleID int64            `json:"vehicle_id"`
	Plate     string           `json:"plate"`
	Severity  string           `json:"severity"`
	Lat       float64          `json:"lat"`
	Lon       float64          `json:"lon"`
	Time      time.Time        `json:"time"`
	Received  time.Time        `json:"received"`
	At        time.Time        `json:"at"`
	Errors    []map[string]any `json:"errors"`
	Data      json.RawMessage  `json:"data"`

	raw     []byte
	arrived time.Time
}

// wsClient reads a connection on a goroutine of its own, so tests can wait
// for messages with a deadline without cancelling the connection.
type wsClient struct {
	conn   *websocket.Conn
	in     chan serverMsg
	done   chan struct{}
	status websocket.StatusCode // close status, once done
	once   sync.Once
}

func newWSClient(conn *websocket.Conn) *wsClient {
	conn.SetReadLimit(1 << 20)
	c := &wsClient{conn: conn, in: make(chan serverMsg, 100_000), done: make(chan struct{})}
	go func() {
		defer close(c.done)
		defer close(c.in)
		for {
			_, data, err := conn.Read(context.Background())
			if err != nil {
				c.status = websocket.CloseStatus(err)
				return
			}
			m := serverMsg{raw: data, arrived: time.Now()}
			if err := json.Unmarshal(data, &m); err != nil {
				m.Type = "undecodable: " + err.Error()
			}
			select {
			case c.in <- m:
			default: // the test stopped reading; drop
			}
		}
	}()
	return c
}

// next returns the next message, or false after wait or when the
// connection ended.
func (c *wsClient) next(wait time.Duration) (serverMsg, bool) {
	select {
	case m, ok := <-c.in:
		return m, ok
	case <-time.After(wait):
		return serverMsg{}, false
	}
}

func (c *wsClient) send(t testing.TB, text string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := c.conn.Write(ctx, websocket.MessageText, []byte(text)); err != nil {
		t.Fatalf("send: %v", err)
	}
}

// subscribe sends a subscription and waits for its confirmation.
func (c *wsClient) subscribe(t testing.TB, text string) {
	t.Helper()
	c.send(t, text)
	for {
		m, ok := c.next(10 * time.Second)
		if !ok {
			t.Fatalf("no answer to %s", text)
		}
		switch m.Type {
		case "subscribed":
			return
		case "error":
			t.Fatalf("subscription %s refused: %s", text, m.raw)
		}
	}
}

// drain sends a subscription again and returns every message received
// before its confirmation: once the service has broadcast everything, that
// is all the client was sent (the hub keeps broadcast order).
func (c *wsClient) drain(t testing.TB, subscription string) []serverMsg {
	t.Helper()
	c.send(t, subscription)
	var got []serverMsg
	for {
		m, ok := c.next(10 * time.Second)
		if !ok {
			t.Fatalf("no confirmation of %s", subscription)
		}
		if m.Type == "subscribed" {
			return got
		}
		got = append(got, m)
	}
}

func (c *wsClient) close() {
	c.once.Do(func() {
		_ = c.conn.Close(websocket.StatusNormalClosure, "")
		<-c.done
	})
}
