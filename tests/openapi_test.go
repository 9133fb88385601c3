package tests

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"log/slog"
	"net/http/httptest"
	"os"
	"testing"

	"github.com/jiaotong-platform/jiaotong/internal/app"
	"github.com/jiaotong-platform/jiaotong/internal/platform/config"
)

var update = flag.Bool("update", false, "rewrite golden files")

// TestOpenAPIDocument keeps docs/openapi.json equal to the document the
// platform serves, so a change to the API shows in review as a change to
// that file. Refresh it with: go test ./tests -run TestOpenAPIDocument -update
func TestOpenAPIDocument(t *testing.T) {
	cfg := config.Default()
	cfg.DataDir = t.TempDir()
	a, err := app.New(context.Background(), cfg, app.Options{Logger: slog.New(slog.DiscardHandler), Version: "dev"})
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	rec := httptest.NewRecorder()
	a.HTTP.Handler().ServeHTTP(rec, httptest.NewRequest("GET", "/api/v1/openapi.json", nil))
	if rec.Code != 200 {
		t.Fatalf("GET /api/v1/openapi.json: %d", rec.Code)
	}
	var doc any
	if err := json.Unmarshal(rec.Body.Bytes(), &doc); err != nil {
		t.Fatal(err)
	}
	got, _ := json.MarshalIndent(doc, "", "  ")
	got = append(got, '\n')
	const golden = "../docs/openapi.json"
	if *update {
		if err := os.WriteFile(golden, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatalf("%v (create it with -update)", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s is out of date with the API; run: go test ./tests -run TestOpenAPIDocument -update", golden)
	}
}

// TestProfilerIsForAdministrators: --http-pprof serves Go's profiler, but
// only to administrators.
func TestProfilerIsForAdministrators(t *testing.T) {
	cfg := config.Default()
	cfg.DataDir = t.TempDir()
	cfg.HTTP.Pprof = true
	cfg.Auth.AdminPassword = adminPassword
	ctx := context.Background()
	a, err := app.New(ctx, cfg, app.Options{Logger: slog.New(slog.DiscardHandler), Version: "dev"})
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	if _, err := a.Bootstrap(ctx); err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(a.HTTP.Handler())
	defer srv.Close()

	resp, err := srv.Client().Get(srv.URL + "/debug/pprof/")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 401 {
		t.Errorf("anonymous profiler request: %d, want 401", resp.StatusCode)
	}
	admin := login(t, srv.URL, "admin", adminPassword)
	if status := admin.do("GET", "/debug/pprof/cmdline", nil, nil); status != 200 {
		t.Errorf("administrator's profiler request: %d, want 200", status)
	}
}
