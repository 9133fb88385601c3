package live_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/coder/websocket"
	"github.com/google/go-cmp/cmp"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/jiaotong-platform/jiaotong/internal/live"
	"github.com/jiaotong-platform/jiaotong/internal/platform/wshub"
)

// TestScopeAndFilters publishes positions, alarms and vehicle states of
// vehicles in two counties and checks what every kind of console receives:
// the data scope always applies, the client's own filters narrow it further.
func TestScopeAndFilters(t *testing.T) {
	f := newFixture(t, live.Config{PositionInterval: -1})
	id := func(name string) int64 { return f.vehicles[name].id }
	opA := f.ops["op-a"]
	cases := []struct {
		name, principal, subscription string
		want                          []string // "type vehicle-name", sorted
	}{
		{"county officer sees only the county", "monitor:510104", `{"type":"subscribe"}`,
			[]string{"alarm.raised jinjiang-a", "alarm.raised jinjiang-b", "position jinjiang-a", "position jinjiang-b", "vehicle.state jinjiang-a"}},
		{"the neighbouring county sees its own", "monitor:510105", `{"type":"subscribe"}`,
			[]string{"alarm.raised qingyang-c", "position qingyang-c", "vehicle.state qingyang-c"}},
		{"city officer sees both counties", "monitor:510100", `{"type":"subscribe"}`,
			[]string{"alarm.raised jinjiang-a", "alarm.raised jinjiang-b", "alarm.raised qingyang-c",
				"position jinjiang-a", "position jinjiang-b", "position qingyang-c", "vehicle.state jinjiang-a", "vehicle.state qingyang-c"}},
		{"enterprise user sees only its vehicles", fmt.Sprintf("enterprise:510104:%d", opA), `{"type":"subscribe"}`,
			[]string{"alarm.raised jinjiang-a", "position jinjiang-a", "vehicle.state jinjiang-a"}},
		{"a vehicle set cannot widen the scope", fmt.Sprintf("enterprise:510104:%d", opA),
			fmt.Sprintf(`{"type":"subscribe","vehicle_ids":[%d,%d]}`, id("jinjiang-b"), id("qingyang-c")), nil},
		{"vehicle set", "monitor:510104", fmt.Sprintf(`{"type":"subscribe","vehicle_ids":[%d]}`, id("jinjiang-b")),
			[]string{"alarm.raised jinjiang-b", "position jinjiang-b"}},
		{"viewport filters what has a position; states without one pass", "monitor:510100",
			`{"type":"subscribe","bbox":[104.07,30.65,104.09,30.66]}`,
			[]string{"alarm.raised jinjiang-a", "position jinjiang-a", "vehicle.state jinjiang-a", "vehicle.state qingyang-c"}},
		{"critical alarms only", "monitor:510100", `{"type":"subscribe","topics":["alarms"],"severities":["critical"]}`,
			[]string{"alarm.raised jinjiang-a", "alarm.raised qingyang-c"}},
		{"positions only", "regulator:510100", `{"type":"subscribe","topics":["positions"]}`,
			[]string{"position jinjiang-a", "position jinjiang-b", "position qingyang-c"}},
	}
	clients := make([]*wsClient, len(cases))
	for i, tc := range cases {
		clients[i] = f.dial(t, tc.principal, nil)
		clients[i].subscribe(t, tc.subscription)
	}
	admin := f.dial(t, "admin:", nil)
	admin.subscribe(t, `{"type":"subscribe"}`)

	now := time.Now()
	f.publishPositions(t, f.position("jinjiang-a", now), f.position("jinjiang-b", now), f.position("qingyang-c", now))
	f.publishEvent(t, "alarm", f.alarm("jinjiang-a", "critical", now))
	f.publishEvent(t, "alarm", f.alarm("jinjiang-b", "minor", now))
	f.publishEvent(t, "alarm", f.alarm("qingyang-c", "critical", now))
	for _, name := range []string{"jinjiang-a", "qingyang-c"} {
		op := map[string]string{"jinjiang-a": "op-a", "qingyang-c": "op-c"}[name]
		f.publishEvent(t, "vehicle", map[string]any{"type": "vehicle.state", "at": now.UTC(), "vehicle_id": id(name),
			"region": f.vehicles[name].region, "operator_id": f.ops[op], "data": map[string]any{"online": true}})
	}
	// The administrator sees everything: once it has, every broadcast is done.
	for seen := 0; seen < 8; seen++ {
		if _, ok := admin.next(10 * time.Second); !ok {
			t.Fatalf("administrator received %d of 8 messages", seen)
		}
	}

	names := map[int64]string{}
	for name, v := range f.vehicles {
		names[v.id] = name
	}
	for i, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			var got []string
			for _, m := range clients[i].drain(t, tc.subscription) {
				got = append(got, m.Type+" "+names[m.VehicleID])
			}
			slices.Sort(got)
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("received (-want +got):\n%s", diff)
			}
		})
	}
}

func TestPositionMessage(t *testing.T) {
	f := newFixture(t, live.Config{PositionInterval: -1})
	c := f.dial(t, "monitor:510104", nil)
	c.subscribe(t, `{"type":"subscribe","topics":["positions"]}`)
	at := time.Date(2026, 11, 21, 10, 0, 0, 250_000_000, time.UTC)
	p := f.position("jinjiang-a", at)
	p.ReceiveTime = at.Add(1500 * time.Millisecond)
	p.Alarm = 1 // emergency
	p.Lat, p.Lon = -30_657_010, 104_066_000
	f.publishPositions(t, p)
	m, ok := c.next(10 * time.Second)
	if !ok {
		t.Fatal("no position")
	}
	var got map[string]any
	if err := json.Unmarshal(m.raw, &got); err != nil {
		t.Fatal(err)
	}
	v := f.vehicles["jinjiang-a"]
	want := map[string]any{"type": "position", "vehicle_id": float64(v.id), "plate": v.plate, "lat": -30.65701, "lon": 104.066,
		"speed": 61.5, "heading": float64(90), "altitude": float64(0), "time": "2026-11-21T10:00:00.250Z",
		"received": "2026-11-21T10:00:01.750Z", "alarm": float64(1), "status": float64(3)}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("position (-want +got):\n%s\nraw: %s", diff, m.raw)
	}
}

// Positions of one vehicle reach a client at most once per interval: with
// an interval of an hour, only the first of a burst arrives.
func TestPositionsThrottledPerVehicle(t *testing.T) {
	f := newFixture(t, live.Config{PositionInterval: time.Hour})
	c := f.dial(t, "monitor:510104", nil)
	c.subscribe(t, `{"type":"subscribe","topics":["positions"]}`)
	admin := f.dial(t, "admin:", nil)
	admin.subscribe(t, `{"type":"subscribe","topics":["positions"]}`)
	now := time.Now().Truncate(time.Millisecond)
	for i := range 5 {
		f.publishPositions(t, f.position("jinjiang-a", now.Add(time.Duration(i)*time.Second)), f.position("jinjiang-b", now))
	}
	// A position of a vehicle out of the console's scope, published last,
	// tells when everything before has been broadcast.
	f.publishPositions(t, f.position("qingyang-c", now))
	for {
		m, ok := admin.next(10 * time.Second)
		if !ok {
			t.Fatal("the marker position did not arrive")
		}
		if m.VehicleID == f.vehicles["qingyang-c"].id {
			break
		}
	}
	// Exactly one position per vehicle: the first taken for sending (a
	// newer one may have replaced it while it waited), the rest held back.
	var got []string
	for _, m := range c.drain(t, `{"type":"subscribe","topics":["positions"]}`) {
		got = append(got, fmt.Sprintf("%s %d", m.Type, m.VehicleID))
	}
	want := []string{fmt.Sprintf("position %d", f.vehicles["jinjiang-a"].id), fmt.Sprintf("position %d", f.vehicles["jinjiang-b"].id)}
	slices.Sort(got)
	slices.Sort(want)
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("received (-want +got):\n%s", diff)
	}
}

func TestInvalidSubscriptionIsAnsweredNotFatal(t *testing.T) {
	f := newFixture(t, live.Config{PositionInterval: -1})
	c := f.dial(t, "monitor:510104", nil)
	cases := []struct{ msg, location string }{
		{`{"type":"subscribe","bbox":[104.1,30.6,104.0]}`, "bbox"},
		{`{"type":"subscribe","bbox":[104.1,30.6,104.0,30.7]}`, "bbox"},
		{`{"type":"subscribe","topics":["weather"]}`, "topics[0]"},
		{`{"type":"subscribe","severities":["urgent"]}`, "severities[0]"},
		{`{"type":"subscribe","vehicle_ids":[0]}`, "vehicle_ids[0]"},
		{`{"type":"subscribe","region":"510105"}`, "body"},
		{`{"type":"watch"}`, "type"},
		{`not json`, "body"},
	}
	for _, tc := range cases {
		t.Run(tc.msg, func(t *testing.T) {
			c.send(t, tc.msg)
			m, ok := c.next(10 * time.Second)
			if !ok || m.Type != "error" {
				t.Fatalf("answer = %s, want an error", m.raw)
			}
			if len(m.Errors) == 0 || m.Errors[0]["location"] != tc.location {
				t.Errorf("error = %s, want location %q", m.raw, tc.location)
			}
		})
	}
	// The connection is still usable.
	c.subscribe(t, `{"type":"subscribe","topics":["alarms"]}`)
	f.publishEvent(t, "alarm", f.alarm("jinjiang-a", "major", time.Now()))
	if m, ok := c.next(10 * time.Second); !ok || m.Type != "alarm.raised" {
		t.Errorf("after errors: %s, want the alarm", m.raw)
	}
}

func TestHandshakeRefusals(t *testing.T) {
	f := newFixture(t, live.Config{})
	host := strings.TrimPrefix(f.srv.URL, "http://")
	cases := []struct {
		name, principal, origin string
		status                  int
	}{
		{"anonymous", "", "", http.StatusUnauthorized},
		{"without monitor permission", "nobody:510104", "", http.StatusForbidden},
		{"cross-site page", "monitor:510104", "https://evil.example.com", http.StatusForbidden},
		{"cross-site page on the same host name, other port", "monitor:510104", "http://127.0.0.1:1", http.StatusForbidden},
		{"origin null", "monitor:510104", "null", http.StatusForbidden},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			h := http.Header{}
			if tc.principal != "" {
				h.Set("X-Test-Principal", tc.principal)
			}
			if tc.origin != "" {
				h.Set("Origin", tc.origin)
			}
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			conn, resp, err := websocket.Dial(ctx, f.wsURL(), &websocket.DialOptions{HTTPHeader: h})
			if err == nil {
				conn.CloseNow()
				t.Fatal("upgrade accepted")
			}
			if resp == nil {
				t.Fatalf("no response: %v", err)
			}
			if resp.StatusCode != tc.status {
				t.Errorf("status = %d, want %d", resp.StatusCode, tc.status)
			}
			if ct := resp.Header.Get("Content-Type"); ct != "application/problem+json" {
				t.Errorf("content type = %q, want problem+json", ct)
			}
		})
	}
	t.Run("same-origin page", func(t *testing.T) {
		c := f.dial(t, "monitor:510104", http.Header{"Origin": {"http://" + host}})
		c.subscribe(t, `{"type":"subscribe"}`)
	})
}

// A console that stops reading is dropped; the others keep receiving
// everything.
func TestSlowClientDroppedWithoutStallingOthers(t *testing.T) {
	reg := prometheus.NewRegistry()
	f := newFixture(t, live.Config{PositionInterval: -1, Registerer: reg, Hub: wshub.Config{QueueSize: 16}})
	fast := f.dial(t, "monitor:510104", nil)
	fast.subscribe(t, `{"type":"subscribe","topics":["alarms"]}`)

	// The slow console subscribes, then never reads again.
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	slow, _, err := websocket.Dial(ctx, f.wsURL(), &websocket.DialOptions{HTTPHeader: http.Header{"X-Test-Principal": {"monitor:510104"}}})
	if err != nil {
		t.Fatal(err)
	}
	defer slow.CloseNow()
	if err := slow.Write(ctx, websocket.MessageText, []byte(`{"type":"subscribe","topics":["alarms"]}`)); err != nil {
		t.Fatal(err)
	}

	// Large alarms fill the slow console's socket buffers quickly.
	padding := strings.Repeat("告警", 8<<10)
	const n = 300
	received := 0
	for i := range n {
		a := f.alarm("jinjiang-a", "critical", time.Now())
		a["data"] = map[string]any{"seq": i, "padding": padding}
		f.publishEvent(t, "alarm", a)
		// Read in step, so only the slow console falls behind.
		for {
			m, ok := fast.next(10 * time.Second)
			if !ok {
				t.Fatalf("fast console stalled after %d alarms", received)
			}
			if m.Type == "alarm.raised" {
				received++
				break
			}
		}
	}
	if received != n {
		t.Errorf("fast console received %d of %d alarms", received, n)
	}
	if got := counterSum(t, reg, "jiaotong_wshub_clients_dropped_total"); got != 1 {
		t.Errorf("dropped clients = %v, want 1", got)
	}
	// Reading at last, the slow console finds the policy-violation close.
	rctx, rcancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer rcancel()
	slow.SetReadLimit(1 << 20)
	for {
		if _, _, err := slow.Read(rctx); err != nil {
			if code := websocket.CloseStatus(err); code != websocket.StatusPolicyViolation {
				t.Errorf("slow console closed with %v (%v), want policy violation", code, err)
			}
			break
		}
	}
}

func counterSum(t testing.TB, reg *prometheus.Registry, name string) float64 {
	t.Helper()
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	var sum float64
	for _, mf := range mfs {
		if mf.GetName() == name {
			for _, m := range mf.GetMetric() {
				sum += m.GetCounter().GetValue()
			}
		}
	}
	return sum
}

// TestPlatformChecksReachTheEnterprise: a platform check (查岗) addressed to
// one enterprise reaches that enterprise's console and the regulators above
// it, not another enterprise.
func TestPlatformChecksReachTheEnterprise(t *testing.T) {
	f := newFixture(t, live.Config{PositionInterval: -1})
	opA, opC := f.ops["op-a"], f.ops["op-c"]
	addressed := f.dial(t, fmt.Sprintf("enterprise:510104:%d", opA), nil)
	addressed.subscribe(t, `{"type":"subscribe","topics":["checks"]}`)
	other := f.dial(t, fmt.Sprintf("enterprise:510105:%d", opC), nil)
	other.subscribe(t, `{"type":"subscribe","topics":["checks"]}`)
	city := f.dial(t, "regulator:510100", nil)
	city.subscribe(t, `{"type":"subscribe","topics":["checks"]}`)

	f.publishEvent(t, "check", map[string]any{"type": "check.sent", "at": time.Now().UTC(), "region": "510104",
		"operator_id": opA, "data": map[string]any{"question": "请报告当前在线车辆数"}})
	for name, c := range map[string]*wsClient{"addressed enterprise": addressed, "city regulator": city} {
		m, ok := c.next(10 * time.Second)
		if !ok || m.Type != "check.sent" {
			t.Errorf("%s: got %+v, %v; want the check", name, m, ok)
		}
	}
	if m, ok := other.next(500 * time.Millisecond); ok {
		t.Errorf("another enterprise received %s", m.raw)
	}
}
