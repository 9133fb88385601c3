package monitor

import (
	"encoding/json"
	"fmt"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/jiaotong-platform/jiaotong/internal/platform/sqldb"
	"github.com/jiaotong-platform/jiaotong/internal/platform/sqldb/sqldbtest"
)

// The dashboard's alarm aggregates count by China day (an alarm at 23:30
// UTC belongs to the next day), fill the days without alarms, rank regions
// and enterprises, and stay inside the caller's scope.
func TestAlarmStatistics(t *testing.T) {
	sqldbtest.Run(t, func(t *testing.T, db *sqldb.DB) {
		migrated(t, db)
		s := New(db, nil, assessmentRegistry(), nil, Config{NoRoadNetwork: true}, quiet())
		ts := apiServer(t, s)
		type alarm struct {
			vehicle, op int64
			region      string
			rule        Rule
			severity    string
			start       time.Time
			state       string
			ongoing     int
		}
		seed := []alarm{
			{1, 7, "510104", RuleOverspeed, "major", on(18, 10, 0, 0), "raised", 1},
			{2, 7, "510104", RuleOverspeed, "major", on(18, 11, 0, 0), "closed", 0},
			{3, 7, "510104", RuleSOS, "critical", on(20, 7, 0, 0), "handled", 0},
			// 23:30 UTC on the 19th is 07:30 on the 20th in China.
			{4, 8, "510105", RuleFatigue, "major", time.Date(2026, 11, 19, 23, 30, 0, 0, time.UTC), "raised", 1},
			{5, 8, "510105", RuleOverspeed, "major", on(20, 9, 0, 0), "raised", 0},
			{6, 8, "510105", RuleOverspeed, "major", on(20, 10, 0, 0), "raised", 0},
			// Outside the period.
			{1, 7, "510104", RuleOverspeed, "major", on(10, 10, 0, 0), "raised", 0},
		}
		for i, a := range seed {
			ms := a.start.UnixMilli()
			if _, err := db.Write().ExecContext(t.Context(), `INSERT INTO monitor_alarms (vehicle_id, operator_id, region, rule, subject,
				severity, start_at, last_at, ongoing, state, created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $7, $8, $9, $7, $7)`,
				a.vehicle, a.op, a.region, string(a.rule), fmt.Sprint(i), a.severity, ms, a.ongoing, a.state); err != nil {
				t.Fatal(err)
			}
		}
		get := func(who, query string) []AlarmCount {
			t.Helper()
			status, raw := callAPI(t, ts, who, "GET", "/monitor/alarm-stats?"+query, nil)
			if status != 200 {
				t.Fatalf("%s %s: %d %s", who, query, status, raw)
			}
			var out []AlarmCount
			if err := json.Unmarshal(raw, &out); err != nil {
				t.Fatal(err)
			}
			return out
		}
		type row struct {
			Key                            string
			Count, Critical, Open, Ongoing int64
		}
		view := func(in []AlarmCount) []row {
			out := []row{}
			for _, c := range in {
				out = append(out, row{c.Key, c.Count, c.Critical, c.Open, c.Ongoing})
			}
			return out
		}
		const city = "regulator:510100"
		if diff := cmp.Diff([]row{{"2026-11-18", 2, 0, 1, 1}, {"2026-11-19", 0, 0, 0, 0}, {"2026-11-20", 4, 1, 4, 1}},
			view(get(city, "from=2026-11-18&to=2026-11-20&group=day"))); diff != "" {
			t.Errorf("per day (-want +got):\n%s", diff)
		}
		regions := get(city, "from=2026-11-18&to=2026-11-20&group=region")
		if diff := cmp.Diff([]row{{"510104", 3, 1, 2, 1}, {"510105", 3, 0, 3, 1}}, view(regions)); diff != "" {
			t.Errorf("per region (-want +got):\n%s", diff)
		}
		if regions[0].Label != "锦江区" {
			t.Errorf("region label %q, want 锦江区", regions[0].Label)
		}
		ops := get(city, "from=2026-11-18&to=2026-11-20&group=operator&limit=1")
		if len(ops) != 1 || ops[0].OperatorID != 7 || ops[0].Label != "锦江运输公司" {
			t.Errorf("top enterprise %+v, want 锦江运输公司 (7; ties by key)", ops)
		}
		rules := get(city, "from=2026-11-18&to=2026-11-20&group=rule")
		if len(rules) != 3 || rules[0].Key != string(RuleOverspeed) || rules[0].Count != 4 || rules[0].Label == "" {
			t.Errorf("per rule %+v, want overspeed first with 4", rules)
		}
		// An enterprise counts its own alarms only; a county its county's.
		if diff := cmp.Diff([]row{{"8", 3, 0, 3, 1}}, view(get("enterprise:510105:8", "from=2026-11-18&to=2026-11-20&group=operator"))); diff != "" {
			t.Errorf("enterprise scope (-want +got):\n%s", diff)
		}
		if diff := cmp.Diff([]row{{"510104", 3, 1, 2, 1}}, view(get("monitor:510104", "from=2026-11-18&to=2026-11-20&group=region"))); diff != "" {
			t.Errorf("county scope (-want +got):\n%s", diff)
		}

		for _, bad := range []struct{ query, field string }{
			{"from=2026-11-20&to=2026-11-18", "to"},
			{"from=2026-11-20&region=999999", "region"},
			{"from=2026-11-20&group=plate", "group"},
		} {
			status, raw := callAPI(t, ts, city, "GET", "/monitor/alarm-stats?"+bad.query, nil)
			if status != 422 || !json.Valid(raw) || !containsField(raw, bad.field) {
				t.Errorf("%s: %d %s, want 422 naming %s", bad.query, status, raw, bad.field)
			}
		}
		if status, _ := callAPI(t, ts, "", "GET", "/monitor/alarm-stats?from=2026-11-20", nil); status != 401 {
			t.Errorf("anonymous: %d, want 401", status)
		}
	})
}

func containsField(raw []byte, field string) bool {
	var p struct {
		Errors []struct {
			Location string `json:"location"`
		} `json:"errors"`
	}
	_ = json.Unmarshal(raw, &p)
	for _, e := range p.Errors {
		if e.Location == field || e.Location == "query."+field || e.Location == "body."+field {
			return true
		}
	}
	return false
}
