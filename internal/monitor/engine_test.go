package monitor

import (
	"fmt"
	"math"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/jiaotong-platform/jiaotong/internal/gateway"
	"github.com/jiaotong-platform/jiaotong/internal/platform/civil"
	"github.com/jiaotong-platform/jiaotong/internal/registry"
)

// seg is a stretch of a generated track: dur at speed km/h (0 = parked),
// with optional alarm bits and position offsets.
type seg struct {
	dur   time.Duration
	speed float64
	alarm uint32
	north float64 // metres north of the straight east-bound line
}

const fixedStatus = 1<<0 | 1<<1 // ACC on, fixed

// track generates positions every step from start, driving east from a
// point in Chengdu along the segments.
func track(vehicle int64, start time.Time, step time.Duration, segs ...seg) []gateway.Position {
	var out []gateway.Position
	lat0, lon0 := 30.60, 104.00
	x := 0.0 // metres east
	t := start
	for _, s := range segs {
		for el := time.Duration(0); el < s.dur; el += step {
			lat := lat0 + s.north/metresPerDegLat
			lon := lon0 + x/(metresPerDegLat*math.Cos(lat0*math.Pi/180))
			out = append(out, gateway.Position{VehicleID: vehicle, DeviceTime: t, ReceiveTime: t.Add(time.Second),
				Lat: int32(math.Round(lat * 1e6)), Lon: int32(math.Round(lon * 1e6)), Speed: uint16(s.speed * 10),
				Heading: 90, Alarm: s.alarm, Status: fixedStatus})
			x += s.speed / 3.6 * step.Seconds()
			t = t.Add(step)
		}
	}
	return out
}

type got struct {
	Rule       Rule
	Subject    string
	Start, End string // local clock HH:MM:SS; End "" when still ongoing
	Peak       float64
}

func runEngine(e *Engine, info *VehicleInfo, ps []gateway.Position) []got {
	var out []got
	open := map[string]int{}
	for i := range ps {
		for _, c := range e.Process(&ps[i], info, nil) {
			k := c.alarm.key() + fmt.Sprint(c.alarm.Start)
			switch c.kind {
			case changeRaise:
				open[k] = len(out)
				out = append(out, got{Rule: c.alarm.Rule, Subject: c.alarm.Subject, Start: clock(c.alarm.Start), Peak: c.alarm.Peak})
			case changeUpdate:
				out[open[k]].Peak = c.alarm.Peak
			case changeEnd:
				out[open[k]].End = clock(c.end)
				out[open[k]].Peak = c.alarm.Peak
			}
		}
	}
	return out
}

func clock(ms int64) string { return time.UnixMilli(ms).In(civil.CST).Format("15:04:05") }

func at(h, m int) time.Time { return time.Date(2026, 11, 20, h, m, 0, 0, civil.CST) }

func TestRules(t *testing.T) {
	coach := &VehicleInfo{ID: 1, Plate: "川A12345", Category: registry.CategoryCoach, OperatorID: 7, Region: "510104",
		Route: &RouteInfo{ID: 3, Code: "R1", DistanceKm: 300}}
	hazmat := &VehicleInfo{ID: 1, Plate: "川A00001", Category: registry.CategoryHazmat, OperatorID: 7, Region: "510104"}
	withCorridor := *coach
	withCorridor.Route = RouteFromGeometry(3, "R1", 300, 200, [][]float64{{104.0, 30.6}, {104.5, 30.6}})
	shuttle := *coach
	shuttle.Route = &RouteInfo{ID: 4, Code: "AIR1", DistanceKm: 40}
	forbidden := Geofence{ID: 9, GeofenceFields: GeofenceFields{Name: "危化品禁行区", Kind: FenceCircle, Purpose: PurposeForbidden,
		Center: []float64{104.0 + 3000/(metresPerDegLat*math.Cos(30.6*math.Pi/180)), 30.6}, RadiusM: 500,
		Categories: []string{"hazmat"}, Region: "510104", Enabled: true}}

	tests := []struct {
		name   string
		info   *VehicleInfo
		fences []Geofence
		ps     []gateway.Position
		want   []got
	}{
		{"clean coach day run", coach, nil,
			track(1, at(10, 0), 30*time.Second, seg{dur: time.Hour, speed: 80}, seg{dur: 30 * time.Minute}, seg{dur: time.Hour, speed: 90}), nil},
		{"overspeed by day", coach, nil,
			track(1, at(10, 0), 30*time.Second, seg{dur: 10 * time.Minute, speed: 80}, seg{dur: 2 * time.Minute, speed: 118},
				seg{dur: 10 * time.Minute, speed: 80}),
			[]got{{Rule: RuleOverspeed, Start: "10:10:00", End: "10:12:00", Peak: 118}}},
		{"night limit is 80 % for buses", coach, nil,
			track(1, at(23, 0), 30*time.Second, seg{dur: 10 * time.Minute, speed: 70}, seg{dur: 2 * time.Minute, speed: 95},
				seg{dur: 10 * time.Minute, speed: 70}),
			[]got{{Rule: RuleOverspeed, Start: "23:10:00", End: "23:12:00", Peak: 95}}},
		{"a single point over the limit is no overspeed", coach, nil,
			track(1, at(10, 0), 30*time.Second, seg{dur: 5 * time.Minute, speed: 80}, seg{dur: 30 * time.Second, speed: 120},
				seg{dur: 5 * time.Minute, speed: 80}), nil},
		{"hazmat limit 60 off expressways", hazmat, nil,
			track(1, at(10, 0), 30*time.Second, seg{dur: 5 * time.Minute, speed: 60}, seg{dur: time.Minute, speed: 75},
				seg{dur: 5 * time.Minute, speed: 60}),
			[]got{{Rule: RuleOverspeed, Start: "10:05:00", End: "10:06:00", Peak: 75}}},
		{"continuous driving over 4 h", coach, nil,
			track(1, at(8, 0), time.Minute, seg{dur: 4*time.Hour + 30*time.Minute, speed: 60}, seg{dur: 30 * time.Minute}),
			[]got{{Rule: RuleFatigue, Start: "12:00:00", End: "12:30:00", Peak: 4*3600 + 30*60}}},
		{"a 10 minute stop does not reset the block", coach, nil,
			track(1, at(8, 0), time.Minute, seg{dur: 3 * time.Hour, speed: 60}, seg{dur: 10 * time.Minute},
				seg{dur: 90 * time.Minute, speed: 60}, seg{dur: 25 * time.Minute}),
			[]got{{Rule: RuleFatigue, Start: "12:00:00", End: "12:40:00", Peak: 4*3600 + 40*60}}},
		{"a 20 minute rest resets it", coach, nil,
			track(1, at(8, 0), time.Minute, seg{dur: 3 * time.Hour, speed: 60}, seg{dur: 21 * time.Minute},
				seg{dur: 3 * time.Hour, speed: 60}, seg{dur: 25 * time.Minute}), nil},
		{"coach moving between 02:00 and 05:00", coach, nil,
			track(1, at(1, 40), time.Minute, seg{dur: 30 * time.Minute, speed: 50}, seg{dur: 25 * time.Minute}),
			[]got{{Rule: RuleEarlyMorning, Start: "02:00:00", End: "02:10:00", Peak: 50}}},
		{"airport shuttle is exempt from 02:00-05:00", &shuttle, nil,
			track(1, at(1, 40), time.Minute, seg{dur: 30 * time.Minute, speed: 50}, seg{dur: 25 * time.Minute}), nil},
		{"route deviation", &withCorridor, nil,
			track(1, at(10, 0), 30*time.Second, seg{dur: 5 * time.Minute, speed: 60}, seg{dur: 3 * time.Minute, speed: 60, north: 400},
				seg{dur: 5 * time.Minute, speed: 60}),
			[]got{{Rule: RuleRouteDeviation, Subject: "3", Start: "10:05:00", End: "10:08:00", Peak: 400}}},
		{"hazmat in a forbidden zone", hazmat, []Geofence{forbidden},
			track(1, at(10, 0), 30*time.Second, seg{dur: 10 * time.Minute, speed: 40}),
			[]got{{Rule: RuleFenceForbidden, Subject: "fence:9", Start: "10:04:00", End: "10:05:30", Peak: 40}}},
		{"a forbidden zone for hazmat ignores coaches", coach, []Geofence{forbidden},
			track(1, at(10, 0), 30*time.Second, seg{dur: 10 * time.Minute, speed: 40}), nil},
		{"SOS first", coach, nil,
			track(1, at(10, 0), 30*time.Second, seg{dur: 2 * time.Minute, speed: 40}, seg{dur: time.Minute, speed: 0, alarm: 1},
				seg{dur: 2 * time.Minute, speed: 0}),
			[]got{{Rule: RuleSOS, Start: "10:02:00", End: "10:03:00"}}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			e := NewEngine(nil, tc.fences, nil, civil.CST)
			if diff := cmp.Diff(tc.want, runEngine(e, tc.info, tc.ps)); diff != "" {
				t.Errorf("alarms (-want +got):\n%s", diff)
			}
		})
	}
}

// TestHistoryRaisesNothingLive replays an overspeed as blind-area re-sends
// and as out-of-order points: neither may start a live alarm.
func TestHistoryRaisesNothingLive(t *testing.T) {
	info := &VehicleInfo{ID: 1, Plate: "川A12345", Category: registry.CategoryCoach, Region: "510104"}
	fast := track(1, at(10, 0), 30*time.Second, seg{dur: 5 * time.Minute, speed: 130})

	t.Run("blind area", func(t *testing.T) {
		e := NewEngine(nil, nil, nil, civil.CST)
		ps := track(1, at(10, 10), 30*time.Second, seg{dur: 5 * time.Minute, speed: 60})
		for i := range fast {
			fast[i].BlindArea = true
			fast[i].ReceiveTime = at(10, 20)
		}
		ps = append(ps, fast...)
		if g := runEngine(e, info, ps); len(g) != 0 {
			t.Errorf("blind-area points raised %v", g)
		}
	})
	t.Run("out of order", func(t *testing.T) {
		e := NewEngine(nil, nil, nil, civil.CST)
		late := track(1, at(10, 10), 30*time.Second, seg{dur: 5 * time.Minute, speed: 60})
		ps := append(late, track(1, at(10, 0), 30*time.Second, seg{dur: 5 * time.Minute, speed: 130})...)
		if g := runEngine(e, info, ps); len(g) != 0 {
			t.Errorf("late points raised %v", g)
		}
	})
}

func TestDataQuality(t *testing.T) {
	info := &VehicleInfo{ID: 1, Plate: "川A12345", Category: registry.CategoryTruck, Region: "510104"}
	ps := track(1, at(10, 0), 30*time.Second, seg{dur: 5 * time.Minute, speed: 50})
	jump := ps[3]
	jump.DeviceTime, jump.ReceiveTime = ps[9].DeviceTime.Add(10*time.Second), ps[9].ReceiveTime.Add(10*time.Second)
	jump.Lat += 50_000 // 5.5 km north in 10 s
	zero := ps[9]
	zero.DeviceTime, zero.ReceiveTime = jump.DeviceTime.Add(5*time.Second), jump.ReceiveTime.Add(5*time.Second)
	zero.Lat, zero.Lon = 0, 0
	future := ps[9]
	future.DeviceTime = ps[9].ReceiveTime.Add(time.Hour)
	future.ReceiveTime = zero.ReceiveTime.Add(time.Second)
	next := track(1, at(10, 6), 30*time.Second, seg{dur: 2 * time.Minute, speed: 50})
	all := append(append(ps[:10:10], jump, zero, future), next...)
	e := NewEngine(nil, nil, nil, civil.CST)
	want := []got{
		{Rule: RuleDrift, Start: "10:04:40", End: "10:06:00", Peak: jumpSpeed(ps[9], jump)},
		{Rule: RuleInvalidPosition, Start: "10:04:45", End: "10:06:00"},
		{Rule: RuleClockSkew, Start: "10:04:47", End: "10:06:01", Peak: 3584},
	}
	if diff := cmp.Diff(want, runEngine(e, info, all)); diff != "" {
		t.Errorf("quality alarms (-want +got):\n%s", diff)
	}
}

func jumpSpeed(a, b gateway.Position) float64 {
	d := haversine(a, b)
	return d / b.DeviceTime.Sub(a.DeviceTime).Seconds() * 3.6
}

func haversine(a, b gateway.Position) float64 {
	return distanceMicro(a.Lat, a.Lon, b.Lat, b.Lon)
}

// TestUndatedReport: a report whose own time does not parse is dated on
// receipt by the gateway and flagged; the engine counts it as received but
// not qualified and uses it for no rule.
func TestUndatedReport(t *testing.T) {
	info := &VehicleInfo{ID: 1, Plate: "川A12345", Category: registry.CategoryTruck, Region: "510104"}
	ps := track(1, at(10, 0), 30*time.Second, seg{dur: 3 * time.Minute, speed: 50})
	ps[3].UndatedDevice = true
	ps[3].Speed = 1500 // 150 km/h: would be an overspeed if it were used
	e := NewEngine(nil, nil, nil, civil.CST)
	want := []got{{Rule: RuleInvalidPosition, Start: "10:01:30", End: "10:02:00"}}
	if diff := cmp.Diff(want, runEngine(e, info, ps)); diff != "" {
		t.Errorf("alarms (-want +got):\n%s", diff)
	}
	st := e.state(1)
	if st.Received != int64(len(ps)) || st.Qualified != int64(len(ps)-1) {
		t.Errorf("received %d qualified %d, want %d and %d", st.Received, st.Qualified, len(ps), len(ps)-1)
	}
}
