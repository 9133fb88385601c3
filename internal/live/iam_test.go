package live_test

import (
	"context"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/coder/websocket"

	"github.com/jiaotong-platform/jiaotong/internal/iam"
	"github.com/jiaotong-platform/jiaotong/internal/live"
	"github.com/jiaotong-platform/jiaotong/internal/platform/access"
)

// newIAMFixture is the live fixture behind the real identity service, with
// a monitoring officer of Jinjiang (510104), jinjiang.monitor, whose
// password is officerPassword.
func newIAMFixture(t *testing.T, cfg live.Config) (*fixture, *iam.Service) {
	t.Helper()
	var idm *iam.Service
	f := newFixtureWith(t, cfg, func(f *fixture) func(http.Handler) http.Handler {
		if err := f.db.Migrate(context.Background(), iam.Module()); err != nil {
			t.Fatalf("migrate iam: %v", err)
		}
		idm = iam.New(f.db, iam.Config{Password: iam.PasswordParams{Memory: 64, Iterations: 1, Parallelism: 1}},
			slog.New(slog.DiscardHandler), f.reg)
		return idm.Middleware
	})
	sys := access.With(context.Background(), access.System)
	if _, err := idm.CreateUser(sys, iam.UserInput{Username: "jinjiang.monitor", DisplayName: "锦江区监控员",
		Roles: []access.Role{access.RoleMonitor}, Scope: access.Scope{Region: "510104"}, Password: officerPassword}); err != nil {
		t.Fatalf("create user: %v", err)
	}
	return f, idm
}

const officerPassword = "Jinjiang-Watch-2026"

// TestCountyOfficerThroughIAM is the acceptance check with the real
// identity service: a monitoring officer of Jinjiang (510104) logs in, opens
// the live WebSocket from the console page with the session cookie, and
// receives the alarms of Jinjiang's vehicles, never those of Qingyang
// (510105). A foreign page riding on the same cookie is refused.
func TestCountyOfficerThroughIAM(t *testing.T) {
	f, idm := newIAMFixture(t, live.Config{PositionInterval: -1})
	login, err := idm.Login(context.Background(), "jinjiang.monitor", officerPassword)
	if err != nil {
		t.Fatalf("login: %v", err)
	}
	cookie := iam.CookieName + "=" + login.Token
	host := strings.TrimPrefix(f.srv.URL, "http://")

	// The console page (same origin) with the session cookie.
	h := http.Header{"Cookie": {cookie}, "Origin": {"http://" + host}}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	conn, _, err := websocket.Dial(ctx, f.wsURL(), &websocket.DialOptions{HTTPHeader: h})
	if err != nil {
		t.Fatalf("dial with the session cookie: %v", err)
	}
	officer := newWSClient(conn)
	t.Cleanup(officer.close)
	if m, ok := officer.next(10 * time.Second); !ok || m.Type != "ready" || !strings.Contains(string(m.raw), `"region":"510104"`) {
		t.Fatalf("first message = %s, want ready with the county scope", m.raw)
	}
	officer.subscribe(t, `{"type":"subscribe","topics":["alarms"]}`)

	admin := f.dial(t, "admin:", nil)
	admin.subscribe(t, `{"type":"subscribe","topics":["alarms"]}`)
	now := time.Now()
	order := []string{"qingyang-c", "jinjiang-a", "qingyang-c", "jinjiang-b", "qingyang-c"}
	for _, name := range order {
		f.publishEvent(t, "alarm", f.alarm(name, "critical", now))
	}
	for range order {
		if _, ok := admin.next(10 * time.Second); !ok {
			t.Fatal("administrator did not receive every alarm")
		}
	}
	var got []int64
	for _, m := range officer.drain(t, `{"type":"subscribe","topics":["alarms"]}`) {
		got = append(got, m.VehicleID)
	}
	want := []int64{f.vehicles["jinjiang-a"].id, f.vehicles["jinjiang-b"].id}
	if len(got) != len(want) || got[0] != want[0] || got[1] != want[1] {
		t.Errorf("officer received alarms of vehicles %v, want %v (Jinjiang's only)", got, want)
	}

	// A foreign page in the officer's browser sends the cookie too.
	evil := http.Header{"Cookie": {cookie}, "Origin": {"https://phish.example.com"}}
	if c, resp, err := websocket.Dial(ctx, f.wsURL(), &websocket.DialOptions{HTTPHeader: evil}); err == nil {
		c.CloseNow()
		t.Error("cross-site upgrade with the session cookie accepted")
	} else if resp == nil || resp.StatusCode != http.StatusForbidden {
		t.Errorf("cross-site upgrade: %v, want 403", err)
	}
}

// TestLogoutEndsLiveConnection: a console that logs out (or whose session is
// ended otherwise) loses its open live connection too, instead of streaming
// positions until the browser tab closes.
func TestLogoutEndsLiveConnection(t *testing.T) {
	f, idm := newIAMFixture(t, live.Config{PositionInterval: -1, RecheckEvery: 50 * time.Millisecond})
	dial := func() (*wsClient, string) {
		login, err := idm.Login(context.Background(), "jinjiang.monitor", officerPassword)
		if err != nil {
			t.Fatalf("login: %v", err)
		}
		h := http.Header{"Cookie": {iam.CookieName + "=" + login.Token}, "Origin": {f.srv.URL}}
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		conn, _, err := websocket.Dial(ctx, f.wsURL(), &websocket.DialOptions{HTTPHeader: h})
		if err != nil {
			t.Fatalf("dial: %v", err)
		}
		c := newWSClient(conn)
		t.Cleanup(c.close)
		if m, ok := c.next(10 * time.Second); !ok || m.Type != "ready" {
			t.Fatalf("first message = %s, want ready", m.raw)
		}
		c.subscribe(t, `{"type":"subscribe","topics":["alarms"]}`)
		return c, login.Token
	}
	leaving, leavingToken := dial()
	staying, _ := dial()

	// Log the first console out through the identity middleware, as the
	// console's logout request does.
	logout := idm.Middleware(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if err := idm.Logout(r.Context()); err != nil {
			t.Errorf("logout: %v", err)
		}
	}))
	req := httptest.NewRequest(http.MethodGet, "/logout", nil)
	req.AddCookie(&http.Cookie{Name: iam.CookieName, Value: leavingToken})
	logout.ServeHTTP(httptest.NewRecorder(), req)

	select {
	case <-leaving.done:
	case <-time.After(30 * time.Second):
		t.Fatal("the logged-out console's live connection is still open")
	}
	if leaving.status != websocket.StatusPolicyViolation {
		t.Errorf("close status = %v, want policy violation", leaving.status)
	}

	// The other session is untouched: it still receives alarms.
	f.publishEvent(t, "alarm", f.alarm("jinjiang-a", "critical", time.Now()))
	if m, ok := staying.next(30 * time.Second); !ok || !strings.HasPrefix(m.Type, "alarm") {
		t.Errorf("the other console got %q (open %v), want the alarm", m.Type, ok)
	}
}
