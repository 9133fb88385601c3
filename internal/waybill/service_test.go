package waybill_test

import (
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/jiaotong-platform/jiaotong/internal/platform/access"
	"github.com/jiaotong-platform/jiaotong/internal/platform/apperr"
	"github.com/jiaotong-platform/jiaotong/internal/platform/audit"
	"github.com/jiaotong-platform/jiaotong/internal/platform/civil"
	"github.com/jiaotong-platform/jiaotong/internal/platform/sqldb"
	"github.com/jiaotong-platform/jiaotong/internal/platform/sqldb/sqldbtest"
	"github.com/jiaotong-platform/jiaotong/internal/registry"
	"github.com/jiaotong-platform/jiaotong/internal/registry/registrytest"
	"github.com/jiaotong-platform/jiaotong/internal/waybill"
)

func TestStore(t *testing.T) {
	sqldbtest.Run(t, func(t *testing.T, db *sqldb.DB) {
		e := newEnv(t, db)
		ctx := systemCtx()
		c := e.carrier("510104")

		// create a draft: names copied from the registry, number from region and id
		w, err := e.svc.Create(ctx, c.fields())
		if err != nil {
			t.Fatalf("create: %v", err)
		}
		if w.State != waybill.StateDraft || w.Version != 1 || w.Region != "510104" || w.Plate != c.tanker.Plate ||
			w.DriverName != "王驾驶" || w.OperatorName != c.op.Name || !strings.HasPrefix(w.Number, "510104") || w.Token != "" {
			t.Fatalf("created %+v", w)
		}
		if w.Loading.RadiusM != waybill.DefaultRadiusM || w.Route.CorridorWidthM != waybill.DefaultCorridorWidthM {
			t.Errorf("defaults not applied: %+v %+v", w.Loading, w.Route)
		}
		got, err := e.svc.Get(ctx, w.ID)
		if err != nil {
			t.Fatal(err)
		}
		if got.Number != w.Number || len(got.Goods) != 1 || got.Goods[0].UNNumber != "1203" || !got.DepartureAt.Equal(w.DepartureAt) ||
			len(got.Route.Polyline) != 3 || got.StateLabel != "草稿" {
			t.Fatalf("read back %+v", got)
		}

		// update with a stale version is a conflict; with the right one it works
		f := c.fields()
		f.Remarks = "夜间禁止通行路段绕行"
		if _, err := e.svc.Update(ctx, w.ID, 99, f); !errors.Is(err, apperr.ErrConflict) {
			t.Fatalf("stale update: %v", err)
		}
		w, err = e.svc.Update(ctx, w.ID, 1, f)
		if err != nil || w.Version != 2 || w.Remarks != f.Remarks {
			t.Fatalf("update: %v %+v", err, w)
		}

		// issue: signed, active for the vehicle
		w, err = e.svc.Issue(ctx, w.ID, 2)
		if err != nil {
			t.Fatalf("issue: %v", err)
		}
		if w.State != waybill.StateIssued || w.Token == "" || w.IssuedAt.IsZero() {
			t.Fatalf("issued %+v", w)
		}
		active, err := e.svc.ActiveForVehicle(ctx, c.tanker.ID)
		if err != nil || active == nil || active.ID != w.ID {
			t.Fatalf("active for vehicle: %v %+v", err, active)
		}
		if none, err := e.svc.ActiveForVehicle(ctx, c.tractor.ID); err != nil || none != nil {
			t.Fatalf("active for a vehicle without waybill: %v %+v", err, none)
		}
		// an issued waybill is no longer editable
		if _, err := e.svc.Update(ctx, w.ID, 0, f); !errors.Is(err, apperr.ErrConflict) {
			t.Fatalf("update of an issued waybill: %v", err)
		}

		// one active waybill per vehicle
		second, err := e.svc.Create(ctx, c.fields())
		if err != nil {
			t.Fatal(err)
		}
		_, err = e.svc.Issue(ctx, second.ID, 0)
		if !errors.Is(err, apperr.ErrConflict) || !strings.Contains(err.Error(), w.Number) {
			t.Fatalf("second active waybill of the vehicle: %v", err)
		}
		// the store refuses it too, whoever writes
		if _, err := db.Write().ExecContext(ctx, "UPDATE waybills SET state = 'issued' WHERE id = $1", second.ID); !sqldb.IsUniqueViolation(err) {
			t.Fatalf("store accepted two active waybills for one vehicle: %v", err)
		}
		// once delivered, the vehicle is free again
		for _, s := range []waybill.State{waybill.StateLoading, waybill.StateInTransit, waybill.StateDelivered} {
			if w, err = e.svc.Transition(ctx, w.ID, s, "测试"); err != nil || w.State != s {
				t.Fatalf("to %s: %v", s, err)
			}
		}
		if _, err := e.svc.Issue(ctx, second.ID, 0); err != nil {
			t.Fatalf("issue after delivery: %v", err)
		}

		// list filters
		list := func(f waybill.Filter) []string {
			t.Helper()
			items, total, err := e.svc.List(ctx, f)
			if err != nil {
				t.Fatalf("list %+v: %v", f, err)
			}
			if total != len(items) {
				t.Fatalf("total %d for %d items", total, len(items))
			}
			var out []string
			for _, w := range items {
				out = append(out, w.Number)
			}
			return out
		}
		if got := list(waybill.Filter{}); len(got) != 2 {
			t.Errorf("all: %v", got)
		}
		if got := list(waybill.Filter{State: waybill.StateDelivered}); len(got) != 1 || got[0] != w.Number {
			t.Errorf("delivered: %v", got)
		}
		if got := list(waybill.Filter{UNNumber: "UN1203"}); len(got) != 2 {
			t.Errorf("UN 1203: %v", got)
		}
		if got := list(waybill.Filter{UNNumber: "1075"}); len(got) != 0 {
			t.Errorf("UN 1075: %v", got)
		}
		if got := list(waybill.Filter{Plate: c.tanker.Plate[3:]}); len(got) != 2 {
			t.Errorf("plate: %v", got)
		}
		if got := list(waybill.Filter{Plate: "川Z"}); len(got) != 0 {
			t.Errorf("other plate: %v", got)
		}
		today := civil.Of(w.DepartureAt.In(civil.CST))
		if got := list(waybill.Filter{From: today, To: today}); len(got) != 2 {
			t.Errorf("today: %v", got)
		}
		if got := list(waybill.Filter{From: today.AddDays(1)}); len(got) != 0 {
			t.Errorf("tomorrow: %v", got)
		}
		if got := list(waybill.Filter{Region: "510105"}); len(got) != 0 {
			t.Errorf("other region: %v", got)
		}
		if got := list(waybill.Filter{VehicleID: c.tanker.ID, Sort: "-departure_at,number", Q: w.Number}); len(got) != 1 {
			t.Errorf("vehicle and q: %v", got)
		}

		// every change audited
		entries, _, err := audit.List(ctx, db, audit.Filter{Entity: "waybill"})
		if err != nil {
			t.Fatal(err)
		}
		actions := map[string]int{}
		for _, en := range entries {
			actions[en.Action]++
		}
		want := map[string]int{"create": 2, "update": 1, "issue": 2, "transition": 3}
		for k, n := range want {
			if actions[k] != n {
				t.Errorf("audit %s: %d entries, want %d (%v)", k, actions[k], n, actions)
			}
		}
		hist, total, err := e.svc.History(ctx, w.ID, 50, 0)
		if err != nil || total != 6 || hist[0].Action != "transition" {
			t.Errorf("history: %v %d", err, total)
		}
	})
}

func TestStateMachine(t *testing.T) {
	e := newEnv(t, sqldbtest.OpenSQLite(t))
	ctx := systemCtx()
	c := e.carrier("510104")

	for _, tc := range []struct{ from, to waybill.State }{
		{waybill.StateDraft, waybill.StateLoading}, {waybill.StateDraft, waybill.StateInTransit}, {waybill.StateDraft, waybill.StateDelivered},
		{waybill.StateIssued, waybill.StateDelivered}, {waybill.StateIssued, waybill.StateDraft}, {waybill.StateLoading, waybill.StateIssued},
		{waybill.StateInTransit, waybill.StateCancelled}, {waybill.StateInTransit, waybill.StateLoading},
		{waybill.StateDelivered, waybill.StateCancelled}, {waybill.StateCancelled, waybill.StateIssued},
	} {
		if waybill.CanMove(tc.from, tc.to) {
			t.Errorf("%s → %s allowed", tc.from, tc.to)
		}
	}

	// a draft cancelled
	d, err := e.svc.Create(ctx, c.fields())
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.svc.Transition(ctx, d.ID, waybill.StateInTransit, ""); !errors.Is(err, apperr.ErrConflict) {
		t.Fatalf("draft to in transit: %v", err)
	}
	d, err = e.svc.Cancel(ctx, d.ID, d.Version, "托运人取消")
	if err != nil || d.State != waybill.StateCancelled || d.CancelReason != "托运人取消" {
		t.Fatalf("cancel draft: %v %+v", err, d)
	}
	if _, err := e.svc.Issue(ctx, d.ID, 0); !errors.Is(err, apperr.ErrConflict) {
		t.Fatalf("issue a cancelled waybill: %v", err)
	}

	// issued → in transit (loading skipped) → delivered; no way back
	w := e.issued(c.fields())
	if _, err := e.svc.Transition(ctx, w.ID, waybill.StateInTransit, "驶离装货地"); err != nil {
		t.Fatal(err)
	}
	if _, err := e.svc.Cancel(ctx, w.ID, 0, "x"); !errors.Is(err, apperr.ErrConflict) {
		t.Fatalf("cancel in transit: %v", err)
	}
	if _, err := e.svc.Transition(ctx, w.ID, waybill.StateDelivered, ""); err != nil {
		t.Fatal(err)
	}
	if _, err := e.svc.Transition(ctx, w.ID, "parked", ""); !errors.Is(err, apperr.ErrInvalid) {
		t.Fatalf("unknown state: %v", err)
	}

	// Transition to issued runs the issue checks (a system principal drives it)
	d2, err := e.svc.Create(ctx, c.fields())
	if err != nil {
		t.Fatal(err)
	}
	if w, err := e.svc.Transition(ctx, d2.ID, waybill.StateIssued, ""); err != nil || w.Token == "" {
		t.Fatalf("transition to issued: %v", err)
	}
	// issued → loading → cancelled frees the vehicle
	if _, err := e.svc.Transition(ctx, d2.ID, waybill.StateLoading, ""); err != nil {
		t.Fatal(err)
	}
	if _, err := e.svc.Transition(ctx, d2.ID, waybill.StateCancelled, "装货失败"); err != nil {
		t.Fatal(err)
	}
	if a, err := e.svc.ActiveForVehicle(ctx, c.tanker.ID); err != nil || a != nil {
		t.Fatalf("active after cancel: %v %+v", err, a)
	}

	// a trailer is on one active waybill at a time too
	tractor2, err := e.reg.CreateVehicle(ctx, registry.VehicleFields{Plate: registrytest.Plate("川", "A", 9001), PlateColor: registry.PlateYellow,
		VIN: registrytest.VIN(9001), Category: registry.CategoryTractor, OperatorID: c.op.ID, Region: c.region,
		TransportCertNo: "T9001", TransportCertUntil: civil.Today().AddDays(100)})
	if err != nil {
		t.Fatal(err)
	}
	tf := c.fields()
	tf.VehicleID, tf.TrailerID = c.tractor.ID, c.trailer.ID
	e.issued(tf)
	tf.VehicleID = tractor2.ID
	busy, err := e.svc.Create(ctx, tf)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.svc.Issue(ctx, busy.ID, 0); !errors.Is(err, apperr.ErrConflict) || !strings.Contains(err.Error(), c.trailer.Plate) {
		t.Fatalf("trailer on two active waybills: %v", err)
	}

	// OnChange hears every change
	var events []waybill.Event
	e.svc.OnChange(func(ev waybill.Event) { events = append(events, ev) })
	w = e.issued(c.fields())
	if len(events) != 2 || events[1].From != waybill.StateDraft || events[1].To != waybill.StateIssued || events[1].VehicleID != c.tanker.ID {
		t.Fatalf("events %+v", events)
	}

	// a reader may not change anything
	reader := access.With(ctx, registrytest.Principal("reader", "", 0, access.RoleRegulator))
	if _, err := e.svc.Transition(reader, w.ID, waybill.StateLoading, ""); !errors.Is(err, apperr.ErrForbidden) {
		t.Fatalf("regulator moved a waybill: %v", err)
	}
	if _, err := e.svc.Get(reader, w.ID); err != nil {
		t.Fatalf("regulator read: %v", err)
	}
}

func TestStats(t *testing.T) {
	sqldbtest.Run(t, func(t *testing.T, db *sqldb.DB) {
		e := newEnv(t, db)
		ctx := systemCtx()
		a, b := e.carrier("510104"), e.carrier("510105")
		day := func(w *waybill.Waybill) civil.Date { return civil.Of(w.DepartureAt.In(civil.CST)) }

		// a: gasoline in the tanker today; LPG and gasoline on the trailer tomorrow
		w1 := e.issued(a.fields())
		f := a.fields()
		f.VehicleID, f.TrailerID = a.tractor.ID, a.trailer.ID
		f.DepartureAt, f.ArrivalAt = f.DepartureAt.Add(24*time.Hour), f.ArrivalAt.Add(24*time.Hour)
		f.Goods = append(f.Goods, waybill.GoodsLine{UNNumber: "1075", Name: "液化石油气", Class: "2", Quantity: 5, Unit: waybill.UnitTonne})
		w2 := e.issued(f)
		if _, err := e.svc.Transition(ctx, w2.ID, waybill.StateInTransit, ""); err != nil {
			t.Fatal(err)
		}
		// b: one delivered today, one draft and one cancelled (not counted but in by_state)
		w3 := e.issued(b.fields())
		for _, s := range []waybill.State{waybill.StateInTransit, waybill.StateDelivered} {
			if _, err := e.svc.Transition(ctx, w3.ID, s, ""); err != nil {
				t.Fatal(err)
			}
		}
		if _, err := e.svc.Create(ctx, b.fields()); err != nil {
			t.Fatal(err)
		}
		d, err := e.svc.Create(ctx, b.fields())
		if err != nil {
			t.Fatal(err)
		}
		if _, err := e.svc.Cancel(ctx, d.ID, 0, "取消"); err != nil {
			t.Fatal(err)
		}

		first := day(w1)
		st, err := e.svc.Stats(ctx, waybill.Filter{From: first.AddDays(-1), To: first.AddDays(2)})
		if err != nil {
			t.Fatal(err)
		}
		if st.Total != 3 || len(st.ByDay) != 4 {
			t.Fatalf("stats %+v", st)
		}
		perDay := map[civil.Date]int{}
		for _, dc := range st.ByDay {
			perDay[dc.Date] = dc.Count
		}
		wantDay := map[civil.Date]int{first.AddDays(-1): 0, day(w1): 0, day(w2): 0, first.AddDays(2): 0}
		wantDay[day(w1)]++
		wantDay[day(w2)]++
		wantDay[day(w3)]++
		if diff := fmt.Sprint(perDay); diff != fmt.Sprint(wantDay) {
			t.Errorf("per day %v, want %v", perDay, wantDay)
		}
		classes := map[string]int{}
		for _, c := range st.ByClass {
			classes[c.Class] = c.Count
			if c.Label == "" {
				t.Errorf("class %s without label", c.Class)
			}
		}
		if classes["3"] != 3 || classes["2.1"] != 1 || len(classes) != 2 { // LPG declared "2" counts as its division
			t.Errorf("per class %v", classes)
		}
		if len(st.ByOperator) != 2 || st.ByOperator[0].OperatorID != a.op.ID || st.ByOperator[0].Count != 2 || st.ByOperator[1].Count != 1 {
			t.Errorf("per operator %+v", st.ByOperator)
		}
		states := map[waybill.State]int{}
		for _, s := range st.ByState {
			states[s.State] = s.Count
		}
		if states[waybill.StateDraft] != 1 || states[waybill.StateCancelled] != 1 || states[waybill.StateDelivered] != 1 ||
			states[waybill.StateInTransit] != 1 || states[waybill.StateIssued] != 1 {
			t.Errorf("per state %v", states)
		}
		// scope and filters
		county := access.With(ctx, registrytest.Principal("county", "510105", 0, access.RoleRegulator))
		if st, err := e.svc.Stats(county, waybill.Filter{From: first.AddDays(-1), To: first.AddDays(2)}); err != nil || st.Total != 1 {
			t.Errorf("county stats: %v %+v", err, st)
		}
		if st, err := e.svc.Stats(ctx, waybill.Filter{From: first.AddDays(1), To: first.AddDays(1), OperatorID: a.op.ID}); err != nil || st.Total != 1 {
			t.Errorf("one day of one carrier: %v %+v", err, st)
		}
	})
}
