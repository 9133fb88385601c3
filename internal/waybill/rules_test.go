package waybill_test

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/jiaotong-platform/jiaotong/internal/platform/apperr"
	"github.com/jiaotong-platform/jiaotong/internal/platform/civil"
	"github.com/jiaotong-platform/jiaotong/internal/platform/sqldb/sqldbtest"
	"github.com/jiaotong-platform/jiaotong/internal/registry"
	"github.com/jiaotong-platform/jiaotong/internal/waybill"
)

// TestIssueRules breaks one rule at a time: issuing must fail with that
// rule, and only that rule, named in the errors (location waybill.<field>,
// message "[rule] ...", value the rule).
func TestIssueRules(t *testing.T) {
	e := newEnv(t, sqldbtest.OpenSQLite(t))
	ctx := systemCtx()
	c := e.carrier("510104")
	past := civil.Today().AddDays(-1)

	// changes to registry records, each on a fresh carrier so cases do not interfere
	updateVehicle := func(c *carrier, v *registry.Vehicle, fn func(*registry.VehicleFields)) {
		f := v.VehicleFields
		fn(&f)
		if _, err := e.reg.UpdateVehicle(ctx, v.ID, 0, f); err != nil {
			t.Fatalf("update vehicle: %v", err)
		}
	}
	updatePerson := func(p *registry.Practitioner, fn func(*registry.PractitionerFields)) {
		f := p.PractitionerFields
		fn(&f)
		if _, err := e.reg.UpdatePractitioner(ctx, p.ID, 0, f); err != nil {
			t.Fatalf("update practitioner: %v", err)
		}
	}
	updateOperator := func(c *carrier, fn func(*registry.OperatorFields)) {
		f := c.op.OperatorFields
		fn(&f)
		if _, err := e.reg.UpdateOperator(ctx, c.op.ID, 0, f); err != nil {
			t.Fatalf("update operator: %v", err)
		}
	}

	cases := []struct {
		name  string
		rule  waybill.Rule
		field string
		// setup returns the waybill to issue; it may change the registry
		setup func(c *carrier) waybill.Fields
	}{
		{"unknown UN number", waybill.RuleUNNumber, "goods[0].un_number", func(c *carrier) waybill.Fields {
			f := c.fields()
			f.Goods[0].UNNumber = "9999"
			return f
		}},
		{"UN number no longer in use", waybill.RuleUNNumber, "goods[0].un_number", func(c *carrier) waybill.Fields {
			f := c.fields()
			f.Goods[0].UNNumber = "3001"
			return f
		}},
		{"class does not match the UN number", waybill.RuleUNClass, "goods[0].class", func(c *carrier) waybill.Fields {
			f := c.fields()
			f.Goods[0].Class = "8" // gasoline is class 3
			return f
		}},
		{"carrier not licensed for the class", waybill.RuleCarrierScope, "goods[0].class", func(c *carrier) waybill.Fields {
			updateOperator(c, func(o *registry.OperatorFields) { o.HazmatClasses = []string{"8"} })
			return c.fields()
		}},
		{"carrier licence expired", waybill.RuleCarrierLicence, "operator_id", func(c *carrier) waybill.Fields {
			updateOperator(c, func(o *registry.OperatorFields) { o.LicenceValidUntil = past })
			return c.fields()
		}},
		{"vehicle of another carrier", waybill.RuleVehicleCarrier, "vehicle_id", func(c *carrier) waybill.Fields {
			other := e.carrier(c.region)
			f := c.fields()
			f.VehicleID = other.tanker.ID
			return f
		}},
		{"vehicle not approved for the class", waybill.RuleVehicleHazmat, "vehicle_id", func(c *carrier) waybill.Fields {
			updateVehicle(c, c.tanker, func(v *registry.VehicleFields) { v.HazmatClasses = []string{"8"} })
			return c.fields()
		}},
		{"not a dangerous-goods vehicle", waybill.RuleVehicleHazmat, "vehicle_id", func(c *carrier) waybill.Fields {
			updateVehicle(c, c.tanker, func(v *registry.VehicleFields) { v.Category = registry.CategoryTruck })
			return c.fields()
		}},
		{"vehicle certificate expires during the trip", waybill.RuleVehicleCert, "vehicle_id", func(c *carrier) waybill.Fields {
			updateVehicle(c, c.tanker, func(v *registry.VehicleFields) { v.TransportCertUntil = civil.Today().AddDays(1) })
			f := c.fields()
			f.ArrivalAt = f.DepartureAt.Add(72 * time.Hour)
			return f
		}},
		{"trailer not approved for the class", waybill.RuleTrailerHazmat, "trailer_id", func(c *carrier) waybill.Fields {
			updateVehicle(c, c.trailer, func(v *registry.VehicleFields) { v.HazmatClasses = []string{"2.1"} })
			f := c.fields()
			f.VehicleID, f.TrailerID = c.tractor.ID, c.trailer.ID
			return f
		}},
		{"trailer certificate expired", waybill.RuleTrailerCert, "trailer_id", func(c *carrier) waybill.Fields {
			updateVehicle(c, c.trailer, func(v *registry.VehicleFields) { v.TransportCertUntil = past })
			f := c.fields()
			f.VehicleID, f.TrailerID = c.tractor.ID, c.trailer.ID
			return f
		}},
		{"driver with an escort's qualification", waybill.RuleDriver, "driver_id", func(c *carrier) waybill.Fields {
			updatePerson(c.driver, func(p *registry.PractitionerFields) { p.Category = registry.QualHazmatEscort })
			return c.fields()
		}},
		{"driver qualification expired", waybill.RuleDriver, "driver_id", func(c *carrier) waybill.Fields {
			updatePerson(c.driver, func(p *registry.PractitionerFields) { p.CertUntil = past })
			return c.fields()
		}},
		{"no escort", waybill.RuleEscort, "escort_id", func(c *carrier) waybill.Fields {
			f := c.fields()
			f.EscortID = 0
			return f
		}},
		{"escort without a dangerous-goods qualification", waybill.RuleEscort, "escort_id", func(c *carrier) waybill.Fields {
			updatePerson(c.escort, func(p *registry.PractitionerFields) { p.Category = registry.QualFreightDriver })
			return c.fields()
		}},
		{"over the rated load", waybill.RuleRatedLoad, "goods", func(c *carrier) waybill.Fields {
			f := c.fields()
			f.Goods[0].Quantity = 18
			f.Goods = append(f.Goods, waybill.GoodsLine{UNNumber: "1203", Name: "汽油", Class: "3", Quantity: 3000, Unit: waybill.UnitLitre,
				DensityKgL: 0.75}) // 18 t + 2.25 t > 20 t
			return f
		}},
		{"incompatible classes in one load", waybill.RuleIncompatible, "goods[1].class", func(c *carrier) waybill.Fields {
			f := c.fields()
			f.VehicleID, f.TrailerID = c.tractor.ID, c.trailer.ID
			// LPG (2.1) travels fine with gasoline; an oxidiser (5.1) would not
			updateOperator(c, func(o *registry.OperatorFields) { o.HazmatClasses = []string{"2", "3", "5"} })
			updateVehicle(c, c.trailer, func(v *registry.VehicleFields) { v.HazmatClasses = []string{"2", "3", "5"} })
			f.Goods = append(f.Goods, waybill.GoodsLine{UNNumber: "1942", Name: "硝酸铵", Class: "5.1", PackingGroup: "III", Quantity: 2, Unit: waybill.UnitTonne})
			return f
		}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			c := e.carrier("510104")
			w, err := e.svc.Create(ctx, tc.setup(c))
			if err != nil {
				t.Fatalf("create: %v", err)
			}
			_, err = e.svc.Issue(ctx, w.ID, 0)
			if !errors.Is(err, apperr.ErrInvalid) {
				t.Fatalf("issue: %v, want a refusal naming %s", err, tc.rule)
			}
			fields := apperr.Fields(err)
			for _, f := range fields {
				if f.Value != string(tc.rule) {
					t.Errorf("also violated: %s %s", f.Field, f.Reason)
				}
			}
			found := false
			for _, f := range fields {
				if f.Value == string(tc.rule) && f.Field == "waybill."+tc.field && strings.HasPrefix(f.Reason, "["+string(tc.rule)+"] ") {
					found = true
				}
			}
			if !found {
				t.Fatalf("errors %+v do not name rule %s at waybill.%s", fields, tc.rule, tc.field)
			}
			// nothing half-written: still a draft without token
			got, err := e.svc.Get(ctx, w.ID)
			if err != nil || got.State != waybill.StateDraft || got.Token != "" || got.Version != 1 {
				t.Fatalf("after a refused issue: %v %+v", err, got)
			}
		})
	}

	// every rule of the list has a case (the warning aside)
	tested := map[waybill.Rule]bool{waybill.RuleQuantityUnknown: true}
	for _, tc := range cases {
		tested[tc.rule] = true
	}
	for _, r := range waybill.Rules {
		if !tested[r.Rule] {
			t.Errorf("rule %s has no test", r.Rule)
		}
	}

	t.Run("LPG declared 2.1 on a trailer approved for class 2", func(t *testing.T) {
		c := e.carrier("510104")
		f := c.fields()
		f.VehicleID, f.TrailerID = c.tractor.ID, c.trailer.ID
		f.Goods = []waybill.GoodsLine{{UNNumber: "UN1075", Name: "液化石油气", Class: "2.1", Quantity: 12, Unit: waybill.UnitTonne}}
		w := e.issued(f)
		if w.TrailerPlate != c.trailer.Plate {
			t.Fatalf("trailer plate %q", w.TrailerPlate)
		}
	})
	t.Run("a volume without density is a warning, not a refusal", func(t *testing.T) {
		c := e.carrier("510104")
		f := c.fields()
		f.Goods[0].Quantity, f.Goods[0].Unit = 20000, waybill.UnitLitre
		w := e.issued(f)
		if len(w.Warnings) != 1 || w.Warnings[0].Rule != waybill.RuleQuantityUnknown || w.Warnings[0].Field != "goods[0].quantity" {
			t.Fatalf("warnings %+v", w.Warnings)
		}
	})
	t.Run("several violations are reported together", func(t *testing.T) {
		c := e.carrier("510104")
		f := c.fields()
		f.Goods[0].UNNumber = "9999"
		f.DriverID, f.EscortID = 0, 0
		w, err := e.svc.Create(ctx, f)
		if err != nil {
			t.Fatal(err)
		}
		_, err = e.svc.Issue(ctx, w.ID, 0)
		rules := map[any]bool{}
		for _, f := range apperr.Fields(err) {
			rules[f.Value] = true
		}
		if !rules[string(waybill.RuleUNNumber)] || !rules[string(waybill.RuleDriver)] || !rules[string(waybill.RuleEscort)] {
			t.Fatalf("rules %v from %v", rules, err)
		}
	})
	t.Run("draft fields are checked at create", func(t *testing.T) {
		f := c.fields()
		f.Goods[0].UNNumber, f.Goods[0].Unit, f.Loading.Lon, f.Loading.Lat = "12", "bags", 0, 0
		f.ArrivalAt = f.DepartureAt.Add(-time.Hour)
		_, err := e.svc.Create(ctx, f)
		got := map[string]bool{}
		for _, fe := range apperr.Fields(err) {
			got[fe.Field] = true
		}
		for _, want := range []string{"goods[0].un_number", "goods[0].unit", "loading.lon", "arrival_at"} {
			if !got[want] {
				t.Errorf("%s not reported: %v", want, err)
			}
		}
	})
}

func TestUNList(t *testing.T) {
	for _, tc := range []struct{ number, class, division string }{
		{"1203", "3", "3"}, {"1075", "2", "2.1"}, {"1017", "2", "2.3"}, {"1066", "2", "2.2"}, {"1073", "2", "2.2"},
		{"0336", "1", "1.4"}, {"1830", "8", "8"}, {"1942", "5.1", "5.1"},
	} {
		e := waybill.LookupUN(tc.number)
		if e == nil || e.Class != tc.class || e.Division != tc.division || !e.InUse || e.ClassLabel == "" {
			t.Errorf("UN%s: %+v, want class %s division %s", tc.number, e, tc.class, tc.division)
		}
	}
	if e := waybill.LookupUN("3001"); e == nil || e.InUse {
		t.Errorf("UN3001 (withdrawn): %+v", e)
	}
	if res := waybill.SearchUN("120", 5); len(res) != 5 || !strings.HasPrefix(res[0].Number, "120") {
		t.Errorf("search 120: %+v", res)
	}
	if res := waybill.SearchUN("gasoline", 5); len(res) == 0 || res[0].Number != "1203" {
		t.Errorf("search gasoline: %+v", res)
	}
	// every class the registry accepts has a label here
	for _, c := range registry.HazmatClassCodes {
		if waybill.ClassLabel(c) == "" {
			t.Errorf("class %s has no label", c)
		}
	}
}
