package monitor

import (
	"math"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/jiaotong-platform/jiaotong/internal/gateway"
	"github.com/jiaotong-platform/jiaotong/internal/platform/civil"
	"github.com/jiaotong-platform/jiaotong/internal/registry"
)

// episode is an alarm as the engine reported it, with dates, for rules
// that span days.
type episode struct {
	Rule       Rule
	Subject    string
	Start, End string // "01-02 15:04:05" local; End "" while ongoing
	Limit      float64
	Peak       float64
}

// recorder folds engine changes into episodes.
type recorder struct {
	got  []episode
	open map[string]int
}

func stamp(ms int64) string { return time.UnixMilli(ms).In(civil.CST).Format("01-02 15:04:05") }

func (r *recorder) add(cs []change) {
	if r.open == nil {
		r.open = map[string]int{}
	}
	for _, c := range cs {
		k := c.alarm.key() + "|" + stamp(c.alarm.Start)
		switch c.kind {
		case changeRaise:
			r.open[k] = len(r.got)
			r.got = append(r.got, episode{Rule: c.alarm.Rule, Subject: c.alarm.Subject, Start: stamp(c.alarm.Start),
				Limit: c.alarm.Limit, Peak: c.alarm.Peak})
		case changeUpdate:
			r.got[r.open[k]].Peak = c.alarm.Peak
		case changeEnd:
			r.got[r.open[k]].End = stamp(c.end)
			r.got[r.open[k]].Peak = c.alarm.Peak
		}
	}
}

func (r *recorder) run(e *Engine, info *VehicleInfo, ps []gateway.Position) []episode {
	for i := range ps {
		r.add(e.Process(&ps[i], info, nil))
	}
	return r.got
}

// east returns the longitude x metres east of the tracks' origin.
func east(x float64) float64 { return 104.0 + x/(metresPerDegLat*math.Cos(30.6*math.Pi/180)) }

var (
	coachInfo   = &VehicleInfo{ID: 1, Plate: "川A12345", Category: registry.CategoryCoach, OperatorID: 7, Region: "510104", Route: &RouteInfo{ID: 3, Code: "R1", DistanceKm: 300}}
	hazmatInfo  = &VehicleInfo{ID: 1, Plate: "川A00001", Category: registry.CategoryHazmat, OperatorID: 7, Region: "510104"}
	charterInfo = &VehicleInfo{ID: 1, Plate: "川A0C001", Category: registry.CategoryCharter, OperatorID: 7, Region: "510104"}
)

// TestOffline runs the offline rule on an injected platform clock: a
// vehicle that stops reporting while driving is offline once the limit
// passed, from its last report until it reports again; a vehicle parked
// with the engine off may go quiet.
func TestOffline(t *testing.T) {
	driving := track(1, at(10, 0), 30*time.Second, seg{dur: 10 * time.Minute, speed: 60})
	back := track(1, at(10, 40), 30*time.Second, seg{dur: 2 * time.Minute, speed: 60})
	parked := track(1, at(10, 0), 30*time.Second, seg{dur: 5 * time.Minute, speed: 60}, seg{dur: 5 * time.Minute})
	for i := range parked {
		if parked[i].Speed == 0 {
			parked[i].Status = 1 << 1 // fixed, ACC off
		}
	}
	lastRecv := driving[len(driving)-1].ReceiveTime // 10:09:31

	tests := []struct {
		name   string
		before []gateway.Position
		checks []time.Time // platform clock of each offline check
		after  []gateway.Position
		want   []episode
	}{
		{"silent while driving", driving, []time.Time{lastRecv.Add(9 * time.Minute), lastRecv.Add(10*time.Minute + time.Second), lastRecv.Add(20 * time.Minute)}, back,
			[]episode{{Rule: RuleOffline, Start: "11-20 10:09:31", End: "11-20 10:40:01", Limit: 600, Peak: 600}}},
		{"silent while driving, not yet back", driving, []time.Time{lastRecv.Add(11 * time.Minute)}, nil,
			[]episode{{Rule: RuleOffline, Start: "11-20 10:09:31", Limit: 600, Peak: 600}}},
		{"checks before the limit", driving, []time.Time{lastRecv.Add(5 * time.Minute), lastRecv.Add(10 * time.Minute)}, back, nil},
		{"parked with the engine off", parked, []time.Time{lastRecv.Add(30 * time.Minute)}, back, nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			e := NewEngine(nil, nil, nil, civil.CST)
			var r recorder
			r.run(e, coachInfo, tc.before)
			for _, now := range tc.checks {
				r.add(e.CheckOffline(now, nil))
			}
			r.run(e, coachInfo, tc.after)
			if diff := cmp.Diff(tc.want, r.got); diff != "" {
				t.Errorf("alarms (-want +got):\n%s", diff)
			}
		})
	}
}

// TestGeofenceRules: a watch fence with enter and exit events and a dwell
// limit, and forbidden zones restricted to a daily window and weekdays.
// The track crosses a 500 m circle 3 km east of its start: inside from
// 10:04:00 to 10:05:00, outside again at 10:05:30.
func TestGeofenceRules(t *testing.T) {
	circle := func(id int64, purpose string) Geofence {
		return Geofence{ID: id, GeofenceFields: GeofenceFields{Name: "区域", Kind: FenceCircle, Purpose: purpose,
			Center: []float64{east(3000), 30.6}, RadiusM: 500, Region: "510104", Enabled: true}}
	}
	watch := circle(5, PurposeWatch)
	watch.AlertEnter, watch.AlertExit, watch.MaxDwellS = true, true, 45
	quiet := circle(6, PurposeWatch) // no events asked for
	rush := circle(7, PurposeForbidden)
	rush.Categories = []string{"hazmat"}
	rush.Window = &TimeWindow{Start: "07:00", End: "09:00"}
	weekdays := circle(8, PurposeForbidden)
	weekdays.Window = &TimeWindow{Days: []int{1, 2, 3, 4, 5}}
	cross := func(start time.Time) []gateway.Position {
		return track(1, start, 30*time.Second, seg{dur: 10 * time.Minute, speed: 40})
	}
	saturday := time.Date(2026, 11, 21, 10, 0, 0, 0, civil.CST) // 2026-11-20 is a Friday

	tests := []struct {
		name   string
		info   *VehicleInfo
		fences []Geofence
		ps     []gateway.Position
		want   []episode
	}{
		{"enter, inside too long, exit", coachInfo, []Geofence{watch}, cross(at(10, 0)), []episode{
			{Rule: RuleFenceEnter, Subject: "fence:5", Start: "11-20 10:04:00", End: "11-20 10:04:00"},
			{Rule: RuleFenceDwell, Subject: "fence:5", Start: "11-20 10:04:45", End: "11-20 10:05:30", Limit: 45, Peak: 60},
			{Rule: RuleFenceExit, Subject: "fence:5", Start: "11-20 10:05:30", End: "11-20 10:05:30"},
		}},
		{"a fence without alerts is silent", coachInfo, []Geofence{quiet}, cross(at(10, 0)), nil},
		{"passing by outside", coachInfo, []Geofence{watch}, track(1, at(10, 0), 30*time.Second, seg{dur: 10 * time.Minute, speed: 40, north: 700}), nil},
		{"forbidden in the morning window", hazmatInfo, []Geofence{rush}, cross(at(8, 0)), []episode{
			{Rule: RuleFenceForbidden, Subject: "fence:7", Start: "11-20 08:04:00", End: "11-20 08:05:30", Peak: 40},
		}},
		{"allowed outside the window", hazmatInfo, []Geofence{rush}, cross(at(10, 0)), nil},
		{"window ends while inside", hazmatInfo, []Geofence{rush}, cross(at(8, 55)), []episode{
			{Rule: RuleFenceForbidden, Subject: "fence:7", Start: "11-20 08:59:00", End: "11-20 09:00:00", Peak: 40},
		}},
		{"weekday restriction on a Friday", coachInfo, []Geofence{weekdays}, cross(at(10, 0)), []episode{
			{Rule: RuleFenceForbidden, Subject: "fence:8", Start: "11-20 10:04:00", End: "11-20 10:05:30", Peak: 40},
		}},
		{"weekday restriction on a Saturday", coachInfo, []Geofence{weekdays}, cross(saturday), nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var r recorder
			got := r.run(NewEngine(nil, tc.fences, nil, civil.CST), tc.info, tc.ps)
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("alarms (-want +got):\n%s", diff)
			}
		})
	}
}

// TestCharterOutOfArea: a charter bus assigned an approved area (a 2 km
// circle) leaves it for three minutes; the alarm starts at the first
// position outside and ends at the first one back inside.
func TestCharterOutOfArea(t *testing.T) {
	area := Geofence{ID: 11, GeofenceFields: GeofenceFields{Name: "包车批准区域", Kind: FenceCircle, Purpose: PurposeCharterArea,
		Center: []float64{104.0, 30.6}, RadiusM: 2000, VehicleIDs: []int64{1}, Region: "510104", Enabled: true}}
	out := track(1, at(10, 0), 30*time.Second,
		seg{dur: 2 * time.Minute, speed: 10}, seg{dur: 30 * time.Second, speed: 10, north: 900}, seg{dur: 30 * time.Second, speed: 10, north: 1500},
		seg{dur: 3 * time.Minute, speed: 10, north: 2700},
		seg{dur: 30 * time.Second, speed: 10, north: 1500}, seg{dur: 30 * time.Second, speed: 10, north: 900}, seg{dur: 3 * time.Minute, speed: 10})
	inside := track(1, at(10, 0), 30*time.Second,
		seg{dur: 2 * time.Minute, speed: 10}, seg{dur: 4 * time.Minute, speed: 10, north: 900}, seg{dur: 3 * time.Minute, speed: 10})
	short := track(1, at(10, 0), 30*time.Second,
		seg{dur: 2 * time.Minute, speed: 10}, seg{dur: 30 * time.Second, speed: 10, north: 900}, seg{dur: 30 * time.Second, speed: 10, north: 1800},
		seg{dur: 30 * time.Second, speed: 10, north: 2700}, seg{dur: 3 * time.Minute, speed: 10, north: 1800})
	otherBus := *charterInfo
	otherBus.ID = 2

	tests := []struct {
		name string
		info *VehicleInfo
		ps   []gateway.Position
		want []episode
	}{
		{"leaves the area", charterInfo, out, []episode{{Rule: RuleOutOfArea, Start: "11-20 10:03:00", End: "11-20 10:06:00", Peak: 10}}},
		{"stays inside", charterInfo, inside, nil},
		{"out for less than the minimum duration", charterInfo, short, nil},
		{"a bus without an approved area", &otherBus, out, nil},
		{"a coach is judged by its route, not an area", coachInfo, out, nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var r recorder
			ps := append([]gateway.Position(nil), tc.ps...)
			for i := range ps {
				ps[i].VehicleID = tc.info.ID
			}
			got := r.run(NewEngine(nil, []Geofence{area}, nil, civil.CST), tc.info, ps)
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("alarms (-want +got):\n%s", diff)
			}
		})
	}
}

// days drives a coach the same day plan for n days from 2026-11-14 06:00:
// two blocks of driving with a 30 minute rest between, parked otherwise
// (slowly, so a week of driving stays inside China).
func days(n int, first, second time.Duration) []gateway.Position {
	var segs []seg
	for range n {
		segs = append(segs, seg{dur: first, speed: 10}, seg{dur: 30 * time.Minute},
			seg{dur: second, speed: 10}, seg{dur: 24*time.Hour - first - second - 30*time.Minute})
	}
	return track(1, time.Date(2026, 11, 14, 6, 0, 0, 0, civil.CST), 5*time.Minute, segs...)
}

// TestCumulativeDriving: the 24-hour (8 h) and 7-day (44 h) limits for bus
// drivers, and the 2-hour continuous limit inside the night window.
func TestCumulativeDriving(t *testing.T) {
	tests := []struct {
		name string
		ps   []gateway.Position
		want []episode
	}{
		{"9 h in a day", track(1, at(6, 0), time.Minute,
			seg{dur: 210 * time.Minute, speed: 60}, seg{dur: 30 * time.Minute}, seg{dur: 210 * time.Minute, speed: 60},
			seg{dur: 30 * time.Minute}, seg{dur: 2 * time.Hour, speed: 60}, seg{dur: 30 * time.Minute}),
			[]episode{{Rule: RuleFatigue24h, Start: "11-20 15:01:00", End: "11-20 16:00:00", Limit: 8 * 3600, Peak: 9 * 3600}}},
		{"7 h 45 min in a day", track(1, at(6, 0), time.Minute,
			seg{dur: 210 * time.Minute, speed: 60}, seg{dur: 30 * time.Minute}, seg{dur: 210 * time.Minute, speed: 60},
			seg{dur: 30 * time.Minute}, seg{dur: 45 * time.Minute, speed: 60}, seg{dur: 30 * time.Minute}), nil},
		{"7 h a day for 7 days", days(7, 210*time.Minute, 210*time.Minute), []episode{
			{Rule: RuleFatigue7d, Start: "11-20 08:05:00", End: "11-20 09:30:00", Limit: 44 * 3600, Peak: 158400 + 90*60},
			{Rule: RuleFatigue7d, Start: "11-20 10:05:00", End: "11-20 13:30:00", Limit: 44 * 3600, Peak: 49 * 3600},
		}},
		{"6 h a day for 7 days", days(7, 3*time.Hour, 3*time.Hour), nil},
		{"2 h 15 min continuous at night", track(1, at(22, 30), time.Minute, seg{dur: 135 * time.Minute, speed: 60}, seg{dur: 30 * time.Minute}),
			[]episode{{Rule: RuleFatigueNight, Start: "11-21 00:30:00", End: "11-21 00:45:00", Limit: 2 * 3600, Peak: 135 * 60}}},
		{"2 h 15 min continuous, 1 h 15 min of it at night", track(1, at(21, 0), time.Minute, seg{dur: 135 * time.Minute, speed: 60}, seg{dur: 30 * time.Minute}), nil},
		{"two night blocks with a rest between", track(1, at(22, 30), time.Minute, seg{dur: 90 * time.Minute, speed: 60}, seg{dur: 25 * time.Minute},
			seg{dur: 90 * time.Minute, speed: 60}, seg{dur: 30 * time.Minute}), nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var r recorder
			got := r.run(NewEngine(nil, nil, nil, civil.CST), coachInfo, tc.ps)
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("alarms (-want +got):\n%s", diff)
			}
		})
	}
}
