package monitor

import (
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/jiaotong-platform/jiaotong/internal/platform/access"
	"github.com/jiaotong-platform/jiaotong/internal/platform/apperr"
	"github.com/jiaotong-platform/jiaotong/internal/platform/sqldb"
	"github.com/jiaotong-platform/jiaotong/internal/platform/sqldb/sqldbtest"
)

func outboxTypes(t *testing.T, db *sqldb.DB) []string {
	t.Helper()
	rows, err := db.Read().QueryContext(t.Context(), `SELECT event_type FROM monitor_outbox WHERE target = 'bus' ORDER BY id`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var s string
		if err := rows.Scan(&s); err != nil {
			t.Fatal(err)
		}
		out = append(out, s)
	}
	return out
}

// TestReportExternal runs an alarm of another module through the
// lifecycle: raised, moved forward, ended, each once however often the
// same state is reported, then handled and closed like any other alarm.
func TestReportExternal(t *testing.T) {
	sqldbtest.Run(t, func(t *testing.T, db *sqldb.DB) {
		migrated(t, db)
		s := New(db, nil, testRegistry(), nil, Config{NoRoadNetwork: true}, quiet())
		ctx := t.Context()
		start := at(10, 0)
		x := ExternalAlarm{VehicleID: 1, Rule: RuleWaybillRouteDeviation, Subject: "waybill:W1", StartAt: start, LastAt: start,
			Lat: 30.66, Lon: 104.06, Limit: 500, Peak: 650, Unit: "m", Details: map[string]any{"waybill": "W1"}}
		report := func(x ExternalAlarm) {
			t.Helper()
			if err := s.ReportExternal(ctx, []ExternalAlarm{x}); err != nil {
				t.Fatal(err)
			}
		}
		report(x)
		report(x) // replay: nothing
		x.LastAt, x.Peak = start.Add(time.Minute), 900
		report(x)
		report(x)
		end := start.Add(2 * time.Minute)
		x.LastAt, x.EndAt = end, &end
		report(x)
		report(x)
		if diff := cmp.Diff([]string{EventAlarmRaised, EventAlarmUpdated, EventAlarmEnded}, outboxTypes(t, db)); diff != "" {
			t.Errorf("events (-want +got):\n%s", diff)
		}
		// An episode only ever reported ended is raised and ended at once.
		s2 := start.Add(time.Hour)
		e2 := s2.Add(30 * time.Second)
		report(ExternalAlarm{VehicleID: 1, Rule: RuleWaybillMissing, StartAt: s2, LastAt: e2, EndAt: &e2})

		as := listAlarmsAll(t, db)
		if len(as) != 2 {
			t.Fatalf("%d alarms, want 2: %+v", len(as), as)
		}
		dev := as[1]
		if dev.Rule != RuleWaybillRouteDeviation || dev.Severity != SeverityMinor || dev.Ongoing || dev.Peak != 900 ||
			dev.DurationS != 120 || dev.Plate != "川A12345" || dev.OperatorID != 7 || dev.Region != "510104" ||
			dev.RuleLabel != "偏离运单路线" || dev.Details["waybill"] != "W1" {
			t.Errorf("deviation alarm: %+v", dev)
		}
		if m := as[0]; m.Rule != RuleWaybillMissing || m.Severity != SeverityMajor || m.Ongoing || m.DurationS != 30 {
			t.Errorf("missing alarm: %+v", m)
		}

		// The people's lifecycle and scope are the usual ones.
		ts := apiServer(t, s)
		path := fmt.Sprintf("/alarms/%d", dev.ID)
		if st, raw := callAPI(t, ts, "enterprise:510104:7", "POST", path+"/handle", map[string]any{"action": "已联系驾驶员"}); st != 200 {
			t.Errorf("handle: %d %s", st, raw)
		}
		if st, raw := callAPI(t, ts, "regulator:510100", "POST", path+"/close", map[string]any{"notes": "ok"}); st != 200 {
			t.Errorf("close: %d %s", st, raw)
		}
		if st, raw := callAPI(t, ts, "enterprise:510105:8", "GET", path, nil); st != 404 {
			t.Errorf("other enterprise: %d %s", st, raw)
		}
		st, raw := callAPI(t, ts, "regulator:510100", "GET", "/alarms?rule=waybill_missing", nil)
		if st != 200 || jsonObject(raw)["total"].(float64) != 1 {
			t.Errorf("filter by rule: %d %s", st, raw)
		}

		// A rule of the engine cannot be reported from outside.
		err := s.ReportExternal(ctx, []ExternalAlarm{{VehicleID: 1, Rule: RuleOverspeed, StartAt: start}})
		if !errors.Is(err, apperr.ErrInvalid) {
			t.Errorf("engine rule: %v", err)
		}
	})
}

func listAlarmsAll(t *testing.T, db *sqldb.DB) []Alarm {
	t.Helper()
	var out []Alarm
	if _, err := listAlarms(t.Context(), db, access.All, AlarmFilter{Sort: "-start_at"}, func(a *Alarm) error { out = append(out, *a); return nil }); err != nil {
		t.Fatal(err)
	}
	return out
}

// TestZoneSet: the zones of other modules are tested with the engine's
// geometry, windows and vehicle filters, and the engine itself ignores them.
func TestZoneSet(t *testing.T) {
	gs := []Geofence{
		{ID: 1, GeofenceFields: GeofenceFields{Name: "school", Kind: FenceCircle, Purpose: PurposeSensitive, Center: []float64{104.06, 30.66},
			RadiusM: 300, Region: "510104", Enabled: true}},
		{ID: 2, GeofenceFields: GeofenceFields{Name: "centre", Kind: FencePolygon, Purpose: PurposeHazmatForbidden,
			Coordinates: [][]float64{{104.05, 30.65}, {104.07, 30.65}, {104.07, 30.67}, {104.05, 30.67}},
			Window:      &TimeWindow{Start: "07:00", End: "21:00"}, Categories: []string{"hazmat"}, Region: "510104", Enabled: true}},
	}
	z := NewZoneSet(gs, nil)
	hazmat := &VehicleInfo{ID: 9, Category: "hazmat"}
	coach := &VehicleInfo{ID: 8, Category: "coach"}
	names := func(fs []*Geofence) []string {
		var out []string
		for _, f := range fs {
			out = append(out, f.Name)
		}
		return out
	}
	day := time.Date(2026, 5, 6, 10, 0, 0, 0, time.FixedZone("CST", 8*3600))
	if got := names(z.Containing(30.66, 104.06, day, hazmat)); len(got) != 2 {
		t.Errorf("hazmat by day: %v", got)
	}
	if got := names(z.Containing(30.66, 104.06, day, coach)); !cmp.Equal(got, []string{"school"}) {
		t.Errorf("coach: %v", got)
	}
	if got := names(z.Containing(30.66, 104.06, day.Add(12*time.Hour), hazmat)); !cmp.Equal(got, []string{"school"}) {
		t.Errorf("hazmat at night: %v", got)
	}
	if got := z.Containing(30.70, 104.06, day, hazmat); len(got) != 0 {
		t.Errorf("outside: %v", names(got))
	}
	// The engine does not raise fence alarms for them.
	e := NewEngine(nil, gs, nil, nil)
	ps := track(9, at(10, 0), 30*time.Second, seg{dur: 5 * time.Minute, speed: 0})
	for i := range ps {
		ps[i].Lat, ps[i].Lon = 30_660_000, 104_060_000
	}
	var changes []change
	for i := range ps {
		changes = e.Process(&ps[i], hazmat, changes)
	}
	for _, c := range changes {
		if c.kind == changeRaise {
			t.Errorf("engine raised %s", c.alarm.Rule)
		}
	}
}

// TestZonesByPurpose: the zones of the cross-checks are edited through the
// geofence API like any fence and read back by purpose, unscoped.
func TestZonesByPurpose(t *testing.T) {
	sqldbtest.Run(t, func(t *testing.T, db *sqldb.DB) {
		migrated(t, db)
		s := New(db, nil, testRegistry(), nil, Config{NoRoadNetwork: true}, quiet())
		ts := apiServer(t, s)
		fence := func(name, purpose string) map[string]any {
			return map[string]any{"name": name, "kind": "circle", "purpose": purpose, "center": []float64{104.06, 30.66},
				"radius_m": 300, "region": "510104", "enabled": true}
		}
		for _, f := range []map[string]any{fence("禁行区", PurposeHazmatForbidden), fence("学校", PurposeSensitive), fence("观察", PurposeWatch)} {
			if st, raw := callAPI(t, ts, "regulator:510104", "POST", "/monitor/geofences", f); st != 201 {
				t.Fatalf("create %v: %d %s", f["name"], st, raw)
			}
		}
		if st, raw := callAPI(t, ts, "regulator:510104", "POST", "/monitor/geofences", fence("x", "nowhere")); st != 422 {
			t.Errorf("unknown purpose: %d %s", st, raw)
		}
		gs, err := s.ZonesByPurpose(t.Context(), PurposeHazmatForbidden, PurposeSensitive)
		if err != nil {
			t.Fatal(err)
		}
		var names []string
		for _, g := range gs {
			names = append(names, g.Name)
		}
		if diff := cmp.Diff([]string{"禁行区", "学校"}, names); diff != "" {
			t.Errorf("zones (-want +got):\n%s", diff)
		}
	})
}
