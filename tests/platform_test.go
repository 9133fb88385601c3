// Package tests holds black-box suites: the whole platform started in-process
// on 127.0.0.1:0, driven over HTTP the way the console and scripts drive it.
package tests

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/cookiejar"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jiaotong-platform/jiaotong/internal/app"
	"github.com/jiaotong-platform/jiaotong/internal/demo"
	"github.com/jiaotong-platform/jiaotong/internal/platform/bus/bustest"
	"github.com/jiaotong-platform/jiaotong/internal/platform/config"
	"github.com/jiaotong-platform/jiaotong/internal/platform/sqldb/sqldbtest"
)

const adminPassword = "Adm1n-Secret-2026"

// platform is a running instance under test.
type platform struct {
	URL    string
	Stdout *strings.Builder
	App    *app.App // the running instance, for suites that set up data directly
	stop   func() error
}

// start runs the platform with cfg until the test ends (or stop is called).
func start(t *testing.T, cfg config.Config) *platform {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	out := &strings.Builder{}
	ctx, cancel := context.WithCancel(context.Background())
	logger := slog.New(slog.DiscardHandler)
	a, err := app.New(ctx, cfg, app.Options{Logger: logger, Stdout: out, Version: "test"})
	if err != nil {
		cancel()
		t.Fatalf("app.New: %v", err)
	}
	done := make(chan struct{})
	var serveErr error
	go func() { serveErr = a.Serve(ctx, ln); close(done) }()
	p := &platform{URL: "http://" + ln.Addr().String(), Stdout: out, App: a}
	var once sync.Once
	p.stop = func() error {
		once.Do(func() {
			cancel()
			<-done
			a.Close()
		})
		return serveErr
	}
	t.Cleanup(func() { _ = p.stop() })
	// Serve bootstraps before it accepts; wait until it answers.
	deadline := time.Now().Add(60 * time.Second)
	probe := &http.Client{Timeout: 2 * time.Second}
	for {
		resp, err := probe.Get(p.URL + "/readyz")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return p
			}
		}
		select {
		case <-done:
			t.Fatalf("platform stopped during start-up: %v", serveErr)
		default:
		}
		if time.Now().After(deadline) {
			t.Fatalf("platform not ready: %v", err)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func testConfig(t *testing.T) config.Config {
	cfg := config.Default()
	cfg.DataDir = t.TempDir()
	cfg.Demo = true
	cfg.JT808.Addr = "127.0.0.1:0"
	cfg.Auth.AdminPassword = adminPassword
	if err := cfg.Validate(); err != nil {
		t.Fatal(err)
	}
	return cfg
}

// client is a console user: cookie jar plus the session's CSRF token.
type client struct {
	t    *testing.T
	base string
	http *http.Client
	csrf string
}

func login(t *testing.T, base, username, password string) *client {
	t.Helper()
	jar, _ := cookiejar.New(nil)
	c := &client{t: t, base: base, http: &http.Client{Jar: jar}}
	var me struct {
		CSRFToken string `json:"csrf_token"`
	}
	if status := c.do("POST", "/api/v1/auth/login", map[string]string{"username": username, "password": password}, &me); status != 200 {
		t.Fatalf("login %s: status %d", username, status)
	}
	c.csrf = me.CSRFToken
	return c
}

func (c *client) do(method, path string, body, out any) int {
	c.t.Helper()
	var r io.Reader
	if body != nil {
		b, _ := json.Marshal(body)
		r = strings.NewReader(string(b))
	}
	req, _ := http.NewRequest(method, c.base+path, r)
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if method != "GET" && c.csrf != "" {
		req.Header.Set("X-CSRF-Token", c.csrf)
	}
	resp, err := c.http.Do(req)
	if err != nil {
		c.t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	if out != nil && resp.StatusCode < 300 {
		if err := json.Unmarshal(raw, out); err != nil {
			c.t.Fatalf("%s %s: decode %s: %v", method, path, raw, err)
		}
	}
	return resp.StatusCode
}

type page struct {
	Total int               `json:"total"`
	Items []json.RawMessage `json:"items"`
}

func TestIntegrationDemoPlatform(t *testing.T) {
	if testing.Short() {
		t.Skip("starts the whole platform")
	}
	cfg := testConfig(t)
	p := start(t, cfg)

	t.Run("start-up prints the console address and the logins", func(t *testing.T) {
		out := p.Stdout.String()
		for _, want := range []string{p.URL + "/", "administrator: admin", "demo login:", demo.UserPassword} {
			if !strings.Contains(out, want) {
				t.Errorf("start-up output lacks %q:\n%s", want, out)
			}
		}
		if strings.Contains(out, adminPassword) {
			t.Errorf("start-up output shows the configured admin password")
		}
	})

	t.Run("console is served", func(t *testing.T) {
		for _, path := range []string{"/", "/vehicles/123"} { // a client-side route falls back to index.html
			resp, err := http.Get(p.URL + path)
			if err != nil {
				t.Fatal(err)
			}
			b, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if resp.StatusCode != 200 || !strings.Contains(string(b), "交通") {
				t.Errorf("%s: status %d, console not served", path, resp.StatusCode)
			}
		}
	})

	t.Run("anonymous API access is refused", func(t *testing.T) {
		resp, err := http.Get(p.URL + "/api/v1/vehicles")
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusUnauthorized || !strings.HasPrefix(resp.Header.Get("Content-Type"), "application/problem+json") {
			t.Errorf("anonymous list: %d %s", resp.StatusCode, resp.Header.Get("Content-Type"))
		}
	})

	admin := login(t, p.URL, "admin", adminPassword)
	var all page
	admin.do("GET", "/api/v1/vehicles?page_size=1", nil, &all)
	if all.Total < 200 {
		t.Fatalf("admin sees %d demo vehicles, want a few hundred", all.Total)
	}

	t.Run("a county user sees only its county", func(t *testing.T) {
		county := login(t, p.URL, "jinjiang.monitor", demo.UserPassword)
		var mine page
		county.do("GET", "/api/v1/vehicles?page_size=500", nil, &mine)
		if mine.Total == 0 || mine.Total >= all.Total {
			t.Fatalf("county user sees %d of %d vehicles", mine.Total, all.Total)
		}
		for _, raw := range mine.Items {
			var v struct {
				Region string `json:"region"`
			}
			_ = json.Unmarshal(raw, &v)
			if v.Region != "510104" {
				t.Errorf("county user sees a vehicle of region %s", v.Region)
			}
		}
		var other page
		admin.do("GET", "/api/v1/vehicles?region=510106&page_size=1", nil, &other)
		if len(other.Items) == 0 {
			t.Skip("demo has no vehicle in 510106")
		}
		var v struct {
			ID int64 `json:"id"`
		}
		_ = json.Unmarshal(other.Items[0], &v)
		if status := county.do("GET", "/api/v1/vehicles/"+itoa(v.ID), nil, nil); status != http.StatusNotFound {
			t.Errorf("county user reading another county's vehicle: status %d, want 404", status)
		}
	})

	t.Run("terminals of all three editions report through the gateway", func(t *testing.T) {
		// The demo fleet's simulated terminals speak 2011, 2013 and 2019.
		var sessions []struct {
			Phone        string `json:"phone"`
			Version      string `json:"version"`
			Acknowledged int    `json:"acknowledged"`
		}
		editions := map[string]bool{}
		acked := 0
		for deadline := time.Now().Add(60 * time.Second); time.Now().Before(deadline); time.Sleep(500 * time.Millisecond) {
			if status := admin.do("GET", "/api/v1/terminals/sessions", nil, &sessions); status != 200 {
				t.Fatalf("sessions: status %d", status)
			}
			clear(editions)
			acked = 0
			for _, s := range sessions {
				editions[s.Version] = true
				acked += s.Acknowledged
			}
			if len(editions) == 3 && acked > 0 {
				break
			}
		}
		if len(editions) != 3 || acked == 0 {
			t.Fatalf("sessions of editions %v with %d positions acknowledged; want 2011, 2013 and 2019 reporting", editions, acked)
		}

		// A text to a terminal reaches it, and its reply reaches the caller.
		var res struct {
			ReplyMsgID string `json:"reply_msg_id"`
			Result     int    `json:"result"`
		}
		status := admin.do("POST", "/api/v1/terminals/"+sessions[0].Phone+"/commands",
			map[string]any{"kind": "text", "text": map[string]any{"text": "请立即停车休息", "tts": true}}, &res)
		if status != 200 || res.ReplyMsgID != "0x0001" || res.Result != 0 {
			t.Errorf("text command: status %d, reply %+v", status, res)
		}
	})

	t.Run("changes need the CSRF token", func(t *testing.T) {
		saved := admin.csrf
		admin.csrf = ""
		defer func() { admin.csrf = saved }()
		if status := admin.do("POST", "/api/v1/auth/logout", nil, nil); status != http.StatusForbidden {
			t.Errorf("logout without CSRF token: status %d, want 403", status)
		}
	})

	t.Run("openapi describes every module", func(t *testing.T) {
		var doc struct {
			Paths map[string]any `json:"paths"`
		}
		admin.do("GET", "/api/v1/openapi.json", nil, &doc)
		for _, path := range []string{"/api/v1/auth/login", "/api/v1/users", "/api/v1/audit", "/api/v1/vehicles",
			"/api/v1/operators/{id}", "/api/v1/registry/expiring", "/api/v1/registry/{entity}/import"} {
			if doc.Paths[path] == nil {
				t.Errorf("openapi lacks %s", path)
			}
		}
	})

	// Graceful shutdown, then a restart on the same data: nothing is seeded
	// twice and the administrator keeps the password set at first start.
	if err := p.stop(); err != nil {
		t.Fatalf("shutdown: %v", err)
	}
	cfg.Auth.AdminPassword = "" // would generate a new one if the admin were created again
	p2 := start(t, cfg)
	if strings.Contains(p2.Stdout.String(), "generated") {
		t.Errorf("restart created the administrator again:\n%s", p2.Stdout.String())
	}
	admin2 := login(t, p2.URL, "admin", adminPassword)
	var again page
	admin2.do("GET", "/api/v1/vehicles?page_size=1", nil, &again)
	if again.Total != all.Total {
		t.Errorf("after restart %d vehicles, before %d", again.Total, all.Total)
	}
}

// TestIntegrationScaleOut runs the same platform on PostgreSQL and the
// external NATS JetStream, the deployment of a province that outgrew one
// machine.
func TestIntegrationScaleOut(t *testing.T) {
	if testing.Short() {
		t.Skip("starts the whole platform")
	}
	cfg := testConfig(t)
	cfg.Postgres = sqldbtest.PostgresSchemaDSN(t)
	cfg.NATS.URL = bustest.ExternalURL(t)
	// Streams of its own on the shared server, deleted when the test ends.
	cfg.NATS.Prefix = bustest.Prefix(t, bustest.ConnectExternal(t))
	p := start(t, cfg)
	if !strings.Contains(p.Stdout.String(), "postgres") || !strings.Contains(p.Stdout.String(), "external") {
		t.Errorf("start-up does not report PostgreSQL and external NATS:\n%s", p.Stdout.String())
	}
	admin := login(t, p.URL, "admin", adminPassword)
	var all page
	admin.do("GET", "/api/v1/vehicles?page_size=1", nil, &all)
	if all.Total < 200 {
		t.Fatalf("admin sees %d demo vehicles on PostgreSQL", all.Total)
	}
}

func itoa(n int64) string {
	b, _ := json.Marshal(n)
	return string(b)
}
