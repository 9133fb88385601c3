package demo

import (
	"context"
	"testing"

	"github.com/jiaotong-platform/jiaotong/internal/platform/access"
	"github.com/jiaotong-platform/jiaotong/internal/platform/audit"
	"github.com/jiaotong-platform/jiaotong/internal/platform/civil"
	"github.com/jiaotong-platform/jiaotong/internal/platform/sqldb/sqldbtest"
	"github.com/jiaotong-platform/jiaotong/internal/registry"
	"github.com/jiaotong-platform/jiaotong/internal/waybill"
)

// TestSeedWaybills seeds the registry and the waybills: every planned
// waybill passes the real issue checks and ends in its state, and a second
// call adds nothing.
func TestSeedWaybills(t *testing.T) {
	db := sqldbtest.OpenSQLite(t)
	ctx := context.Background()
	if err := db.Migrate(ctx, audit.Module(), registry.Module(), waybill.Module()); err != nil {
		t.Fatal(err)
	}
	reg := registry.New(db, nil)
	svc := waybill.New(db, reg, nil)
	ds := Generate(DefaultSeed)
	if len(ds.Waybills) != len(waybillSpecs) {
		t.Fatalf("planned %d waybills of %d", len(ds.Waybills), len(waybillSpecs))
	}
	if again := GenerateAt(DefaultSeed, civil.Today()); len(again.Waybills) != len(ds.Waybills) ||
		again.Waybills[1].Goods[0].Quantity != ds.Waybills[1].Goods[0].Quantity || len(again.Waybills[1].Route.Polyline) < 2 {
		t.Fatal("waybill plan not deterministic")
	}
	if err := Seed(ctx, reg, ds); err != nil {
		t.Fatal(err)
	}
	if err := SeedWaybills(ctx, reg, svc, ds); err != nil {
		t.Fatalf("seed waybills: %v", err)
	}
	if err := SeedWaybills(ctx, reg, svc, ds); err != nil {
		t.Fatalf("seed waybills again: %v", err)
	}
	sys := access.With(ctx, access.System)
	items, total, err := svc.List(sys, waybill.Filter{Limit: 100})
	if err != nil || total != len(ds.Waybills) {
		t.Fatalf("%d waybills (%v), want %d", total, err, len(ds.Waybills))
	}
	states := map[waybill.State]int{}
	for _, w := range items {
		states[w.State]++
	}
	for _, s := range waybill.States {
		if states[s] == 0 {
			t.Errorf("no demo waybill in state %s (%v)", s, states)
		}
	}
	// the enterprise user's company has waybills of its own
	ent := access.With(ctx, &access.Principal{Username: "ent", Roles: []access.Role{access.RoleEnterprise},
		Scope: access.Scope{Region: ds.Users[2].Region, OperatorID: ds.Users[2].OperatorID}})
	if _, n, err := svc.List(ent, waybill.Filter{}); err != nil || n == 0 {
		t.Errorf("enterprise user sees %d waybills (%v)", n, err)
	}
}
