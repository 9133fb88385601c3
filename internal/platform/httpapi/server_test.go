package httpapi_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/danielgtaylor/huma/v2"

	"github.com/jiaotong-platform/jiaotong/internal/platform/apperr"
	"github.com/jiaotong-platform/jiaotong/internal/platform/civil"
	"github.com/jiaotong-platform/jiaotong/internal/platform/httpapi"
	"github.com/jiaotong-platform/jiaotong/internal/platform/obs"
)

type widget struct {
	Name  string     `json:"name" minLength:"1" maxLength:"20"`
	Until civil.Date `json:"until,omitempty"`
}

type widgetIn struct {
	Body widget
}

type widgetOut struct {
	Body widget
}

type listIn struct {
	httpapi.ListParams
}

type listOut struct {
	Body httpapi.Page[widget]
}

func newServer(t *testing.T) *httptest.Server {
	t.Helper()
	s := httpapi.New(httpapi.Options{Registry: obs.NewRegistry(), Version: "test", Logger: slog.New(slog.DiscardHandler)})
	s.AddReadyCheck("db", func(context.Context) error { return nil })
	huma.Register(s.API, huma.Operation{OperationID: "create-widget", Method: http.MethodPost, Path: "/widgets"},
		func(ctx context.Context, in *widgetIn) (*widgetOut, error) {
			switch in.Body.Name {
			case "dup":
				return nil, apperr.Conflict("widget dup exists")
			case "bad":
				inv := &apperr.Invalid{}
				inv.Add("name", "must not be bad", "bad")
				inv.Add("until", "must be in the future", nil)
				return nil, fmt.Errorf("widgets: create: %w", inv.Err())
			case "boom":
				return nil, errors.New("database password=hunter2 unreachable")
			case "panic":
				panic("handler bug")
			}
			return &widgetOut{Body: in.Body}, nil
		})
	huma.Register(s.API, huma.Operation{OperationID: "list-widgets", Method: http.MethodGet, Path: "/widgets"},
		func(ctx context.Context, in *listIn) (*listOut, error) {
			if _, err := in.OrderBy(map[string]string{"name": "name"}, "id"); err != nil {
				return nil, err
			}
			return &listOut{Body: httpapi.NewPage([]widget(nil), 0, in.ListParams)}, nil
		})
	ts := httptest.NewServer(s.Handler())
	t.Cleanup(ts.Close)
	return ts
}

type problem struct {
	Status int    `json:"status"`
	Title  string `json:"title"`
	Detail string `json:"detail"`
	Errors []struct {
		Location string `json:"location"`
		Message  string `json:"message"`
	} `json:"errors"`
}

func do(t *testing.T, method, url, body string) (*http.Response, problem, string) {
	t.Helper()
	req, _ := http.NewRequest(method, url, strings.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	var p problem
	_ = json.Unmarshal(raw, &p)
	return resp, p, string(raw)
}

func TestProblems(t *testing.T) {
	ts := newServer(t)
	tests := []struct {
		name, method, path, body string
		status                   int
		locations                []string
		notInBody                string
	}{
		{name: "ok", method: "POST", path: "/api/v1/widgets", body: `{"name":"a","until":"2027-01-31"}`, status: 200},
		{name: "unknown field", method: "POST", path: "/api/v1/widgets", body: `{"name":"a","colour":"red"}`, status: 422, locations: []string{"body.colour"}},
		{name: "schema violation", method: "POST", path: "/api/v1/widgets", body: `{"name":""}`, status: 422, locations: []string{"body.name"}},
		{name: "malformed json", method: "POST", path: "/api/v1/widgets", body: `{"name":`, status: 400},
		{name: "domain validation names every field", method: "POST", path: "/api/v1/widgets", body: `{"name":"bad"}`, status: 422, locations: []string{"body.name", "body.until"}},
		{name: "conflict", method: "POST", path: "/api/v1/widgets", body: `{"name":"dup"}`, status: 409},
		{name: "internal error is hidden", method: "POST", path: "/api/v1/widgets", body: `{"name":"boom"}`, status: 500, notInBody: "hunter2"},
		{name: "panic becomes 500", method: "POST", path: "/api/v1/widgets", body: `{"name":"panic"}`, status: 500, notInBody: "handler bug"},
		{name: "oversized body", method: "POST", path: "/api/v1/widgets", body: `{"name":"` + strings.Repeat("x", httpapi.DefaultMaxBodyBytes+10) + `"}`, status: 413},
		{name: "bad sort field", method: "GET", path: "/api/v1/widgets?sort=-secret", status: 422, locations: []string{"query.sort"}},
		{name: "page size over limit", method: "GET", path: "/api/v1/widgets?page_size=100000", status: 422, locations: []string{"query.page_size"}},
		{name: "unknown api path", method: "GET", path: "/api/v1/nothing-here", status: 404},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			resp, p, raw := do(t, tt.method, ts.URL+tt.path, tt.body)
			if resp.StatusCode != tt.status {
				t.Fatalf("status %d, want %d: %s", resp.StatusCode, tt.status, raw)
			}
			if tt.status >= 400 && !strings.HasPrefix(resp.Header.Get("Content-Type"), "application/problem+json") {
				t.Errorf("content type %q, want application/problem+json", resp.Header.Get("Content-Type"))
			}
			for _, loc := range tt.locations {
				found := false
				for _, e := range p.Errors {
					found = found || e.Location == loc
				}
				if !found {
					t.Errorf("no error at %s in %s", loc, raw)
				}
			}
			if tt.notInBody != "" && strings.Contains(raw, tt.notInBody) {
				t.Errorf("response leaks %q: %s", tt.notInBody, raw)
			}
		})
	}
}

func TestOperationalEndpoints(t *testing.T) {
	ts := newServer(t)
	for _, path := range []string{"/healthz", "/readyz", "/metrics", "/api/v1/openapi.json"} {
		resp, _, raw := do(t, "GET", ts.URL+path, "")
		if resp.StatusCode != 200 {
			t.Errorf("%s: status %d", path, resp.StatusCode)
		}
		switch path {
		case "/metrics":
			if !strings.Contains(raw, "go_goroutines") || !strings.Contains(raw, "jiaotong_http_requests_total") {
				t.Errorf("/metrics lacks Go runtime or HTTP metrics")
			}
		case "/api/v1/openapi.json":
			var doc struct {
				OpenAPI string         `json:"openapi"`
				Paths   map[string]any `json:"paths"`
			}
			if err := json.Unmarshal([]byte(raw), &doc); err != nil {
				t.Fatal(err)
			}
			if doc.OpenAPI != "3.1.0" || doc.Paths["/api/v1/widgets"] == nil {
				t.Errorf("openapi %q with paths %v", doc.OpenAPI, doc.Paths)
			}
		}
	}
}
