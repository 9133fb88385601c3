package sim_test

import (
	"context"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"

	"github.com/jiaotong-platform/jiaotong/internal/platform/access"
	"github.com/jiaotong-platform/jiaotong/internal/platform/audit"
	"github.com/jiaotong-platform/jiaotong/internal/platform/httpapi"
	"github.com/jiaotong-platform/jiaotong/internal/platform/sqldb"
	"github.com/jiaotong-platform/jiaotong/internal/registry"
	"github.com/jiaotong-platform/jiaotong/internal/registry/registrytest"
	"github.com/jiaotong-platform/jiaotong/internal/sim"
)

// TestClientCreatesAndReadsVehicles runs the API client against the real
// registry API: vehicles it creates pass the registry's validation, a
// second run skips the existing ones, and reading returns them with their
// terminal phones.
func TestClientCreatesAndReadsVehicles(t *testing.T) {
	ctx := context.Background()
	db, err := sqldb.Open(ctx, sqldb.Options{SQLitePath: filepath.Join(t.TempDir(), "api.db"), Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	if err := db.Migrate(ctx, audit.Module(), registry.Module()); err != nil {
		t.Fatal(err)
	}
	reg := registry.New(db, slog.New(slog.DiscardHandler))
	if _, err := reg.CreateOperator(access.With(ctx, access.System), registry.OperatorFields{Name: "成都仿真客运有限公司",
		CreditCode: registrytest.CreditCode("510104", 9), Region: "510104",
		Scopes: []registry.BusinessScope{registry.ScopeTaxi, registry.ScopeGeneralFreight, registry.ScopeCharter}}); err != nil {
		t.Fatal(err)
	}
	srv := httpapi.New(httpapi.Options{Logger: slog.New(slog.DiscardHandler)})
	registry.Register(srv.API, reg)
	// The bearer token stands for an administrator of Chengdu here.
	bearer := func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if strings.TrimPrefix(r.Header.Get("Authorization"), "Bearer ") == "jt_test" {
				r.Header.Set(registrytest.Header, "admin:5101")
			}
			registrytest.Authenticate(next).ServeHTTP(w, r)
		})
	}
	ts := httptest.NewServer(bearer(srv.Handler()))
	defer ts.Close()
	c := sim.NewTokenClient(ts.URL, "jt_test")
	n, err := c.CreateVehicles(ctx, 12, 1)
	if err != nil || n != 12 {
		t.Fatalf("created %d: %v", n, err)
	}
	if n, err := c.CreateVehicles(ctx, 14, 1); err != nil || n != 2 {
		t.Fatalf("second run created %d, want 2: %v", n, err)
	}
	vs, err := c.Vehicles(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(vs) != 14 {
		t.Fatalf("read %d vehicles, want 14", len(vs))
	}
	for i, v := range vs {
		if v.TerminalPhone == "" || v.ID == 0 || v.Category == "" {
			t.Errorf("vehicle %d: %+v", i, v)
		}
	}
	if _, err := sim.NewTokenClient(ts.URL, "wrong").Vehicles(ctx); err == nil {
		t.Error("an unknown token read vehicles")
	}
}
