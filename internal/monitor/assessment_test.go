package monitor

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"math"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/jiaotong-platform/jiaotong/internal/gateway"
	"github.com/jiaotong-platform/jiaotong/internal/platform/access"
	"github.com/jiaotong-platform/jiaotong/internal/platform/apperr"
	"github.com/jiaotong-platform/jiaotong/internal/platform/audit"
	"github.com/jiaotong-platform/jiaotong/internal/platform/bus"
	"github.com/jiaotong-platform/jiaotong/internal/platform/bus/bustest"
	"github.com/jiaotong-platform/jiaotong/internal/platform/civil"
	"github.com/jiaotong-platform/jiaotong/internal/platform/sqldb"
	"github.com/jiaotong-platform/jiaotong/internal/platform/sqldb/sqldbtest"
	"github.com/jiaotong-platform/jiaotong/internal/registry"
	"github.com/jiaotong-platform/jiaotong/internal/registry/registrytest"
	"github.com/jiaotong-platform/jiaotong/internal/roadnet"
)

// directoryRegistry is a registry with enterprises and a fleet: the
// monitor's Registry and Directory (the registry has its own tests).
type directoryRegistry struct {
	vehicles  []registry.Vehicle
	operators []registry.Operator
}

func (r *directoryRegistry) Vehicle(_ context.Context, id int64) (*registry.Vehicle, error) {
	for i := range r.vehicles {
		if r.vehicles[i].ID == id {
			v := r.vehicles[i]
			return &v, nil
		}
	}
	return nil, apperr.NotFound("vehicle", id)
}

func (r *directoryRegistry) Routes(context.Context, registry.Filter) ([]registry.Route, int, error) {
	return nil, 0, nil
}

func (r *directoryRegistry) Operator(_ context.Context, id int64) (*registry.Operator, error) {
	for i := range r.operators {
		if r.operators[i].ID == id {
			o := r.operators[i]
			return &o, nil
		}
	}
	return nil, apperr.NotFound("operator", id)
}

func page[T any](all []T, f registry.Filter) ([]T, int, error) {
	off := min(f.Offset, len(all))
	end := len(all)
	if f.Limit > 0 {
		end = min(off+f.Limit, len(all))
	}
	return all[off:end], len(all), nil
}

func (r *directoryRegistry) Operators(_ context.Context, f registry.Filter) ([]registry.Operator, int, error) {
	var out []registry.Operator
	for _, o := range r.operators {
		if strings.HasPrefix(o.Region, access.RegionPrefix(f.Region)) && (f.Status == "" || string(o.Status) == f.Status) {
			out = append(out, o)
		}
	}
	return page(out, f)
}

func (r *directoryRegistry) Vehicles(_ context.Context, f registry.Filter) ([]registry.Vehicle, int, error) {
	var out []registry.Vehicle
	for _, v := range r.vehicles {
		if f.Status == "" || string(v.Status) == f.Status {
			out = append(out, v)
		}
	}
	return page(out, f)
}

func (r *directoryRegistry) addOperator(id int64, name, region string, status registry.OperatorStatus) {
	r.operators = append(r.operators, registry.Operator{Meta: registry.Meta{ID: id},
		OperatorFields: registry.OperatorFields{Name: name, Region: region, Status: status}})
}

func (r *directoryRegistry) addVehicle(id, op int64, region string, cat registry.VehicleCategory) {
	r.vehicles = append(r.vehicles, registry.Vehicle{Meta: registry.Meta{ID: id}, VehicleFields: registry.VehicleFields{
		Plate: fmt.Sprintf("川A%05d", id), Category: cat, OperatorID: op, Region: region, Status: registry.VehicleInService}})
}

// The two enterprises of these tests: 7 in Jinjiang (510104), 8 in
// Qingyang (510105), both in Chengdu (510100); 9 in Jinjiang is suspended.
func assessmentRegistry() *directoryRegistry {
	r := &directoryRegistry{}
	r.addOperator(7, "锦江运输公司", "510104", registry.OperatorActive)
	r.addOperator(8, "青羊危运公司", "510105", registry.OperatorActive)
	r.addOperator(9, "停业公司", "510104", registry.OperatorSuspended)
	for _, id := range []int64{1, 2, 3, 8} {
		r.addVehicle(id, 7, "510104", registry.CategoryHeavyTruck)
	}
	for _, id := range []int64{4, 5, 6} {
		r.addVehicle(id, 8, "510105", registry.CategoryHeavyTruck)
	}
	// A taxi is not a key vehicle: never counted.
	r.addVehicle(50, 7, "510104", registry.CategoryTaxi)
	return r
}

// leg is a stretch of a generated day: dur at speed km/h (0 = parked).
type leg struct {
	dur   time.Duration
	speed float64
}

// drive generates a position every step from start, driving east along a
// parallel from a point in Chengdu; distances use the same Earth radius as
// the monitor, so the track mileage is speed × time.
func drive(vehicle int64, start time.Time, step time.Duration, legs ...leg) []gateway.Position {
	const lat0, lon0 = 30.60, 104.00
	perDeg := roadnet.EarthRadius * math.Pi / 180
	var out []gateway.Position
	x, t := 0.0, start
	for _, l := range legs {
		for el := time.Duration(0); el < l.dur; el += step {
			lon := lon0 + x/(perDeg*math.Cos(lat0*math.Pi/180))
			out = append(out, gateway.Position{VehicleID: vehicle, DeviceTime: t, ReceiveTime: t.Add(time.Second),
				Lat: int32(math.Round(lat0 * 1e6)), Lon: int32(math.Round(lon * 1e6)), Speed: uint16(l.speed * 10),
				Heading: 90, Status: fixedStatus})
			x += l.speed / 3.6 * step.Seconds()
			t = t.Add(step)
		}
	}
	return out
}

func on(day, h, m, sec int) time.Time { return time.Date(2026, 11, day, h, m, sec, 0, civil.CST) }

// simulatedDay is a day (2026-11-20) of a handful of vehicles whose
// indicators are computed by hand in TestIndicatorsOfASimulatedDay.
func simulatedDay() []gateway.Position {
	step := 30 * time.Second
	var ps []gateway.Position
	// 1: clean hour at 60 km/h: 120 reports, 59.5 km.
	ps = append(ps, drive(1, on(20, 10, 0, 0), step, leg{time.Hour, 60})...)
	// 2: an hour at 60 km/h with no report from 10:30 to 10:39:30: 100
	// reports, 59.5 km of which the 10.5 km leg 10:29:30 → 10:40 is a gap.
	for _, p := range drive(2, on(20, 10, 0, 0), step, leg{time.Hour, 60}) {
		if p.DeviceTime.Before(on(20, 10, 30, 0)) || !p.DeviceTime.Before(on(20, 10, 40, 0)) {
			ps = append(ps, p)
		}
	}
	// 3: two overspeeds (120 km/h for 3 min, 125 km/h for 1 min; limit
	// 100 + 10 %) and three unfixed reports: 83 reports, 80 qualified,
	// (40×80 + 6×120 + 14×80 + 2×125 + 17×80) km/h × 30 s = 55.4167 km.
	v3 := drive(3, on(20, 10, 0, 0), step, leg{20 * time.Minute, 80}, leg{3 * time.Minute, 120}, leg{7 * time.Minute, 80},
		leg{time.Minute, 125}, leg{9 * time.Minute, 80})
	for _, sec := range []int{10, 20, 40} {
		bad := v3[70]
		bad.DeviceTime, bad.ReceiveTime = on(20, 10, 35, sec), on(20, 10, 35, sec+1)
		bad.Status = 1 // ACC on, not fixed
		v3 = append(v3, bad)
	}
	slices.SortStableFunc(v3, func(a, b gateway.Position) int { return a.DeviceTime.Compare(b.DeviceTime) })
	ps = append(ps, v3...)
	// 4: an hour at 50 km/h from 09:00 with the 09:30 report 20 km off
	// (drift): 120 reports, 119 qualified, 3570 s × 50 km/h = 49.5833 km.
	v4 := drive(4, on(20, 9, 0, 0), step, leg{time.Hour, 50})
	v4[60].Lat += int32(math.Round(20_000 / (roadnet.EarthRadius * math.Pi / 180) * 1e6))
	ps = append(ps, v4...)
	// 5: 4 h 30 min at 60 km/h from 05:00, then parked for 30 min: the
	// continuous-driving limit (4 h) is passed from 09:00 to the rest at
	// 09:30: 1800 s of fatigue; 600 reports, 270 km.
	ps = append(ps, drive(5, on(20, 5, 0, 0), step, leg{4*time.Hour + 30*time.Minute, 60}, leg{30 * time.Minute, 0})...)
	// 6 is registered and never reports. 8 reported the day before only
	// (in the network, not online). 99 is not registered.
	ps = append(ps, drive(8, on(19, 15, 0, 0), step, leg{90 * time.Second, 40})...)
	ps = append(ps, drive(99, on(20, 12, 0, 0), step, leg{90 * time.Second, 40})...)
	return ps
}

type clockT struct{ ms atomic.Int64 }

func (c *clockT) set(t time.Time)         { c.ms.Store(t.UnixMilli()) }
func (c *clockT) now() time.Time          { return time.UnixMilli(c.ms.Load()) }
func (c *clockT) advance(d time.Duration) { c.ms.Add(d.Milliseconds()) }

func as(ctx context.Context, who string, region string, op int64, roles ...access.Role) context.Context {
	return access.With(ctx, registrytest.Principal(who, region, op, roles...))
}

// indicatorView is the part of Indicators compared with hand-computed
// values.
type indicatorView struct {
	Unit                                                          string
	Registered, InNetwork, Online, Reports, Qualified             int64
	MileageKm, CompleteKm                                         float64
	Drifting, OverspeedCount, FatigueS                            int64
	ChecksDue, ChecksOnTime, ChecksLate, ChecksMissed             int64
	NetworkRate, OnlineRate, TrackCompleteness, DataQualification float64
	DriftRate, OverspeedPerVehicle, FatiguePerVehicleS            float64
	CheckResponseRate, MeanCheckResponseS                         float64
}

func deref(p *float64) float64 {
	if p == nil {
		return -1
	}
	return *p
}

func view(rows []Indicators) []indicatorView {
	var out []indicatorView
	for _, r := range rows {
		out = append(out, indicatorView{Unit: r.Unit, Registered: r.Registered, InNetwork: r.InNetwork, Online: r.Online,
			Reports: r.Reports, Qualified: r.Qualified, MileageKm: r.MileageKm, CompleteKm: r.CompleteKm, Drifting: r.Drifting,
			OverspeedCount: r.OverspeedCount, FatigueS: r.FatigueS, ChecksDue: r.ChecksDue, ChecksOnTime: r.ChecksOnTime,
			ChecksLate: r.ChecksLate, ChecksMissed: r.ChecksMissed, NetworkRate: deref(r.NetworkRate), OnlineRate: deref(r.OnlineRate),
			TrackCompleteness: deref(r.TrackCompleteness), DataQualification: deref(r.DataQualification), DriftRate: deref(r.DriftRate),
			OverspeedPerVehicle: deref(r.OverspeedPerVehicle), FatiguePerVehicleS: deref(r.FatiguePerVehicleS),
			CheckResponseRate: deref(r.CheckResponseRate), MeanCheckResponseS: deref(r.MeanCheckResponseS)})
	}
	return out
}

// runAll runs the monitor over everything in POSITIONS and stops it (the
// final snapshot flushes the indicator counters).
func runAll(t *testing.T, s *Service, b *bus.Bus) {
	t.Helper()
	st, err := b.StreamState(t.Context(), "POSITIONS")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan error, 1)
	go func() { done <- s.Run(ctx) }()
	select {
	case <-s.Ready():
	case err := <-done:
		t.Fatalf("monitor stopped: %v", err)
	}
	deadline := time.Now().Add(30 * time.Second)
	for {
		s.procMu.Lock()
		seq := s.lastSeq
		s.procMu.Unlock()
		if seq >= st.LastSeq {
			break
		}
		if time.Now().After(deadline) {
			cancel()
			<-done
			t.Fatalf("monitor processed up to %d of %d", seq, st.LastSeq)
		}
		time.Sleep(20 * time.Millisecond)
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
}

func TestIndicatorsOfASimulatedDay(t *testing.T) {
	sqldbtest.Run(t, func(t *testing.T, db *sqldb.DB) {
		migrated(t, db)
		b := bustest.StartEmbedded(t)
		if err := b.EnsureStream(t.Context(), bus.StreamConfig{Name: "POSITIONS", Subjects: []string{"pos.>"}}); err != nil {
			t.Fatal(err)
		}
		publish(t, b, simulatedDay())
		clock := &clockT{}
		clock.set(on(20, 10, 0, 0))
		s := New(db, b, assessmentRegistry(), nil, Config{ReplayFromStart: true, NoRoadNetwork: true, SnapshotEvery: time.Hour,
			OfflineCheckEvery: time.Hour, OutboxPoll: time.Hour}, quiet())
		s.now = clock.now
		runAll(t, s, b)

		// Platform checks of the day: 7 answers in 5 min, 8 answers one
		// late (15 min, limit 10) and misses another.
		ctx := as(t.Context(), "reg", "", 0, access.RoleRegulator)
		send := func(op int64) int64 {
			out, err := s.SendCheck(ctx, CheckSend{Question: "请报告值班人员", OperatorID: op})
			if err != nil {
				t.Fatal(err)
			}
			return out.Checks[0].ID
		}
		c7, c8 := send(7), send(8)
		clock.set(on(20, 11, 0, 0))
		send(8)
		clock.set(on(20, 10, 5, 0))
		if _, err := s.AnswerCheck(as(t.Context(), "e7", "510104", 7, access.RoleEnterprise), c7, "在岗"); err != nil {
			t.Fatal(err)
		}
		clock.set(on(20, 10, 15, 0))
		if _, err := s.AnswerCheck(as(t.Context(), "e8", "510105", 8, access.RoleEnterprise), c8, "在岗"); err != nil {
			t.Fatal(err)
		}
		clock.set(on(21, 12, 0, 0))
		if n, err := s.SweepChecks(t.Context()); err != nil || n != 1 {
			t.Fatalf("sweep: %d, %v", n, err)
		}
		if _, err := s.RollupIndicators(t.Context(), civil.Date{Year: 2026, Month: 11, Day: 20}); err != nil {
			t.Fatal(err)
		}

		// Hand-computed: see simulatedDay.
		const (
			km1, km2, km3, km4, km5 = 59.5, 59.5, 6650.0 / 120, 3570.0 * 50 / 3600, 270.0
			gap                     = 10.5
		)
		op7 := indicatorView{Unit: "7", Registered: 4, InNetwork: 4, Online: 3, Reports: 303, Qualified: 300,
			MileageKm: km1 + km2 + km3, CompleteKm: km1 + km2 + km3 - gap, OverspeedCount: 2,
			ChecksDue: 1, ChecksOnTime: 1,
			NetworkRate: 1, OnlineRate: 3.0 / 4, TrackCompleteness: (km1 + km2 + km3 - gap) / (km1 + km2 + km3),
			DataQualification: 300.0 / 303, DriftRate: 0, OverspeedPerVehicle: 2.0 / 3, FatiguePerVehicleS: 0,
			CheckResponseRate: 1, MeanCheckResponseS: 300}
		op8 := indicatorView{Unit: "8", Registered: 3, InNetwork: 2, Online: 2, Reports: 720, Qualified: 719,
			MileageKm: km4 + km5, CompleteKm: km4 + km5, Drifting: 1, FatigueS: 1800,
			ChecksDue: 2, ChecksLate: 1, ChecksMissed: 1,
			NetworkRate: 2.0 / 3, OnlineRate: 1, TrackCompleteness: 1, DataQualification: 719.0 / 720, DriftRate: 0.5,
			OverspeedPerVehicle: 0, FatiguePerVehicleS: 900, CheckResponseRate: 0, MeanCheckResponseS: 900}
		all := km1 + km2 + km3 + km4 + km5
		platform := indicatorView{Unit: "", Registered: 7, InNetwork: 6, Online: 5, Reports: 1023, Qualified: 1019,
			MileageKm: all, CompleteKm: all - gap, Drifting: 1, OverspeedCount: 2, FatigueS: 1800,
			ChecksDue: 3, ChecksOnTime: 1, ChecksLate: 1, ChecksMissed: 1,
			NetworkRate: 6.0 / 7, OnlineRate: 5.0 / 6, TrackCompleteness: (all - gap) / all, DataQualification: 1019.0 / 1023,
			DriftRate: 0.2, OverspeedPerVehicle: 0.4, FatiguePerVehicleS: 360, CheckResponseRate: 1.0 / 3, MeanCheckResponseS: 600}
		unit := func(v indicatorView, u string) indicatorView { v.Unit = u; return v }
		approx := cmpopts.EquateApprox(1e-5, 1e-9)
		day := civil.Date{Year: 2026, Month: 11, Day: 20}
		national := as(t.Context(), "nat", "", 0, access.RoleRegulator)
		for _, tc := range []struct {
			level string
			want  []indicatorView
		}{
			{LevelPlatform, []indicatorView{platform}},
			{LevelRegion, []indicatorView{unit(platform, "510000"), unit(platform, "510100"), unit(op7, "510104"), unit(op8, "510105")}},
			{LevelOperator, []indicatorView{op7, op8}},
		} {
			t.Run(tc.level, func(t *testing.T) {
				rows, err := s.IndicatorRows(national, IndicatorFilter{From: day, To: day, Level: tc.level})
				if err != nil {
					t.Fatal(err)
				}
				if diff := cmp.Diff(tc.want, view(rows), approx); diff != "" {
					t.Errorf("indicators (-want +got):\n%s", diff)
				}
			})
		}
		// The day before: only vehicle 8 was online.
		rows, err := s.IndicatorRows(national, IndicatorFilter{From: day.AddDays(-1), To: day, Level: LevelOperator, OperatorID: 7, Total: true})
		if err != nil {
			t.Fatal(err)
		}
		if len(rows) != 1 || rows[0].Days != 1 || rows[0].Online != 3 {
			// 11-19 was never rolled up: only one day of rows.
			t.Errorf("range total: %+v", rows)
		}
		if _, err := s.RollupIndicators(t.Context(), day.AddDays(-1)); err != nil {
			t.Fatal(err)
		}
		rows, err = s.IndicatorRows(national, IndicatorFilter{From: day.AddDays(-1), To: day, Level: LevelOperator, OperatorID: 7, Total: true})
		if err != nil {
			t.Fatal(err)
		}
		if len(rows) != 1 || rows[0].Days != 2 || rows[0].Online != 4 || rows[0].InNetwork != 5 || deref(rows[0].OnlineRate) != 0.8 {
			t.Errorf("range total over two days: %+v", rows)
		}

		// Scope through HTTP.
		ts := apiServer(t, s)
		get := func(who, path string) (int, []byte) { return callAPI(t, ts, who, "GET", path, nil) }
		units := func(body []byte) []string {
			var rows []Indicators
			if err := json.Unmarshal(body, &rows); err != nil {
				t.Fatalf("%v: %s", err, body)
			}
			var out []string
			for _, r := range rows {
				out = append(out, r.Unit)
			}
			return out
		}
		q := "/monitor/indicators?from=2026-11-20&level="
		for _, tc := range []struct {
			name, who, level string
			status           int
			units            []string
		}{
			{"anonymous", "", "region", 401, nil},
			{"enterprise sees itself", "enterprise:510104:7", "operator", 200, []string{"7"}},
			{"enterprise default level", "enterprise:510104:7", "", 200, []string{"7"}},
			{"enterprise cannot see regions", "enterprise:510104:7", "region", 403, nil},
			{"county sees its county", "monitor:510105", "region", 200, []string{"510105"}},
			{"county sees its enterprises", "monitor:510105", "operator", 200, []string{"8"}},
			{"city sees the city and counties", "regulator:510100", "region", 200, []string{"510100", "510104", "510105"}},
			{"city cannot see the platform", "regulator:510100", "platform", 403, nil},
			{"nation sees the platform", "regulator:", "platform", 200, []string{""}},
		} {
			t.Run(tc.name, func(t *testing.T) {
				status, body := get(tc.who, q+tc.level)
				if status != tc.status {
					t.Fatalf("status %d, want %d: %s", status, tc.status, body)
				}
				if tc.status == 200 {
					if diff := cmp.Diff(tc.units, units(body)); diff != "" {
						t.Errorf("units (-want +got):\n%s", diff)
					}
				}
			})
		}
		status, body := get("regulator:510100", "/monitor/indicators/export?from=2026-11-20&level=operator&format=csv")
		if status != 200 || !bytes.Contains(body, []byte("入网率")) || bytes.Count(body, []byte("\n")) != 3 {
			t.Errorf("CSV export: %d\n%s", status, body)
		}
		status, body = get("regulator:510100", "/monitor/indicators/export?from=2026-11-20&level=region")
		if status != 200 || !bytes.HasPrefix(body, []byte("PK")) {
			t.Errorf("XLSX export: %d, %d bytes", status, len(body))
		}
	})
}

func TestPlatformCheckLifecycle(t *testing.T) {
	sqldbtest.Run(t, func(t *testing.T, db *sqldb.DB) {
		migrated(t, db)
		clock := &clockT{}
		start := on(20, 9, 0, 0)
		clock.set(start)
		s := New(db, nil, assessmentRegistry(), nil, Config{NoRoadNetwork: true}, quiet())
		s.now = clock.now
		ts := apiServer(t, s)
		call := func(who, method, path string, body any) (int, map[string]any) {
			t.Helper()
			status, raw := callAPI(t, ts, who, method, path, body)
			return status, jsonObject(raw)
		}
		const (
			city = "regulator:510100"
			qy   = "monitor:510105"
			ent7 = "enterprise:510104:7"
			ent8 = "enterprise:510105:8"
		)
		// A region-wide check reaches the active enterprises of Chengdu.
		status, sent := call(city, "POST", "/platform-checks", map[string]any{"question": "请报告当前值班人员姓名", "region": "510100"})
		if status != 201 {
			t.Fatalf("send: %d %v", status, sent)
		}
		checks := sent["checks"].([]any)
		byOp := map[int64]int64{}
		for _, c := range checks {
			m := c.(map[string]any)
			byOp[int64(m["operator_id"].(float64))] = int64(m["id"].(float64))
		}
		if diff := cmp.Diff(map[int64]bool{7: true, 8: true}, map[int64]bool{7: byOp[7] != 0, 8: byOp[8] != 0}); diff != "" || len(checks) != 2 {
			t.Fatalf("addressed enterprises: %v", byOp)
		}
		c7, c8 := fmt.Sprintf("/platform-checks/%d", byOp[7]), fmt.Sprintf("/platform-checks/%d", byOp[8])

		type step struct {
			name, who, method, path string
			body                    any
			advance                 time.Duration
			status                  int
			check                   func(map[string]any) string
		}
		field := func(k string, want any) func(map[string]any) string {
			return func(m map[string]any) string {
				if fmt.Sprint(m[k]) != fmt.Sprint(want) {
					return fmt.Sprintf("%s = %v, want %v", k, m[k], want)
				}
				return ""
			}
		}
		total := func(n int) func(map[string]any) string { return field("total", n) }
		steps := []step{
			{name: "enterprise cannot send", who: ent7, method: "POST", path: "/platform-checks", body: map[string]any{"question": "x", "operator_id": 8}, status: 403},
			{name: "county cannot ask outside its county", who: qy, method: "POST", path: "/platform-checks", body: map[string]any{"question": "x", "operator_id": 7}, status: 422},
			{name: "county cannot ask another region", who: qy, method: "POST", path: "/platform-checks", body: map[string]any{"question": "x", "region": "510104"}, status: 422},
			{name: "suspended enterprise", who: city, method: "POST", path: "/platform-checks", body: map[string]any{"question": "x", "operator_id": 9}, status: 422},
			{name: "operator and region", who: city, method: "POST", path: "/platform-checks", body: map[string]any{"question": "x", "operator_id": 7, "region": "510100"}, status: 422},
			{name: "too short a limit", who: city, method: "POST", path: "/platform-checks", body: map[string]any{"question": "x", "operator_id": 7, "limit_s": 10}, status: 422},
			{name: "anonymous", method: "GET", path: "/platform-checks", status: 401},
			{name: "enterprise 7 lists its pending check", who: ent7, method: "GET", path: "/platform-checks?status=pending", status: 200, check: total(1)},
			{name: "city lists both", who: city, method: "GET", path: "/platform-checks", status: 200, check: total(2)},
			{name: "county lists its own", who: qy, method: "GET", path: "/platform-checks", status: 200, check: total(1)},
			{name: "enterprise 8 cannot see 7's check", who: ent8, method: "GET", path: c7, status: 404},
			{name: "enterprise 8 cannot answer 7's check", who: ent8, method: "POST", path: c7 + "/answer", body: map[string]any{"answer": "在岗"}, status: 404},
			{name: "the regulator cannot answer for 7", who: city, method: "POST", path: c7 + "/answer", body: map[string]any{"answer": "在岗"}, status: 403},
			{name: "7 answers in 5 minutes", who: ent7, method: "POST", path: c7 + "/answer", body: map[string]any{"answer": "值班员张三在岗"},
				advance: 5 * time.Minute, status: 200, check: field("status", "answered")},
			{name: "7 cannot answer twice", who: ent7, method: "POST", path: c7 + "/answer", body: map[string]any{"answer": "again"}, status: 409},
			{name: "8 is overdue at 12 minutes", who: ent8, method: "GET", path: c8, advance: 7 * time.Minute, status: 200, check: field("overdue", true)},
			{name: "8 answers late", who: ent8, method: "POST", path: c8 + "/answer", body: map[string]any{"answer": "李四在岗"}, status: 200, check: field("status", "late")},
			{name: "a second check to 8", who: city, method: "POST", path: "/platform-checks", body: map[string]any{"question": "请回复", "operator_id": 8, "limit_s": 120}, status: 201},
		}
		run := func(steps []step) {
			for _, st := range steps {
				clock.advance(st.advance)
				status, body := call(st.who, st.method, st.path, st.body)
				if status != st.status {
					t.Errorf("%s: status %d, want %d (%v)", st.name, status, st.status, body)
					continue
				}
				if st.check != nil {
					if msg := st.check(body); msg != "" {
						t.Errorf("%s: %s", st.name, msg)
					}
				}
			}
		}
		run(steps)
		_, list := call(ent8, "GET", "/platform-checks?status=pending", nil)
		third := fmt.Sprintf("/platform-checks/%v", list["items"].([]any)[0].(map[string]any)["id"])

		// A day later the second check has expired: the sweep misses it.
		clock.advance(24*time.Hour + time.Minute)
		if n, err := s.SweepChecks(t.Context()); err != nil || n != 1 {
			t.Fatalf("sweep: %d, %v", n, err)
		}
		if n, err := s.SweepChecks(t.Context()); err != nil || n != 0 {
			t.Fatalf("second sweep: %d, %v", n, err)
		}
		run([]step{
			{name: "a missed check cannot be answered", who: ent8, method: "POST", path: third + "/answer", body: map[string]any{"answer": "迟到"}, status: 409},
			{name: "it shows as missed", who: ent8, method: "GET", path: third, status: 200, check: field("status", "missed")},
		})

		// Response figures.
		status, stats := call(city, "GET", "/platform-checks/stats?from=2026-11-20&to=2026-11-20&group=operator", nil)
		if status != 200 {
			t.Fatalf("stats: %d %v", status, stats)
		}
		type figure struct {
			Group                                  string
			Sent, Answered, Late, Missed, Due      int
			ResponseRate, AnswerRate, MeanResponse float64
		}
		figures := func(m map[string]any) []figure {
			var out []figure
			raw, _ := json.Marshal(m["list"])
			var cs []CheckStats
			if err := json.Unmarshal(raw, &cs); err != nil {
				t.Fatal(err)
			}
			for _, c := range cs {
				out = append(out, figure{c.Group, c.Sent, c.Answered, c.Late, c.Missed, c.Due, deref(c.ResponseRate), deref(c.AnswerRate), deref(c.MeanResponse)})
			}
			return out
		}
		want := []figure{{"7", 1, 1, 0, 0, 1, 1, 1, 300}, {"8", 2, 0, 1, 1, 2, 0, 0.5, 720}}
		if diff := cmp.Diff(want, figures(stats)); diff != "" {
			t.Errorf("stats by operator (-want +got):\n%s", diff)
		}
		_, stats = call(city, "GET", "/platform-checks/stats?from=2026-11-20&to=2026-11-21&group=region", nil)
		want = []figure{{"510104", 1, 1, 0, 0, 1, 1, 1, 300}, {"510105", 2, 0, 1, 1, 2, 0, 0.5, 720}}
		if diff := cmp.Diff(want, figures(stats)); diff != "" {
			t.Errorf("stats by region (-want +got):\n%s", diff)
		}
		_, stats = call(ent7, "GET", "/platform-checks/stats?from=2026-11-20&to=2026-11-20", nil)
		if got := figures(stats); len(got) != 1 || got[0].Group != "7" {
			t.Errorf("enterprise 7 sees %v", got)
		}

		// Every change is audited and published once.
		entries, _, err := audit.List(t.Context(), db, audit.Filter{Entity: "platform_check", Limit: 100})
		if err != nil {
			t.Fatal(err)
		}
		actions := map[string]int{}
		for _, e := range entries {
			actions[e.Action]++
		}
		if diff := cmp.Diff(map[string]int{"send": 3, "answer": 2, "miss": 1}, actions); diff != "" {
			t.Errorf("audit (-want +got):\n%s", diff)
		}
		rows, err := db.Read().QueryContext(t.Context(), `SELECT event_type, subject FROM monitor_outbox WHERE target = 'bus' ORDER BY id`)
		if err != nil {
			t.Fatal(err)
		}
		events := map[string]int{}
		for rows.Next() {
			var typ, subject string
			if err := rows.Scan(&typ, &subject); err != nil {
				t.Fatal(err)
			}
			if subject != "evt.check" {
				t.Errorf("%s published on %s", typ, subject)
			}
			events[typ]++
		}
		rows.Close()
		if diff := cmp.Diff(map[string]int{EventCheckSent: 3, EventCheckAnswered: 2, EventCheckMissed: 1}, events); diff != "" {
			t.Errorf("events (-want +got):\n%s", diff)
		}
	})
}

func TestWebhooksCRUD(t *testing.T) {
	sqldbtest.Run(t, func(t *testing.T, db *sqldb.DB) {
		migrated(t, db)
		s := New(db, nil, assessmentRegistry(), nil, Config{NoRoadNetwork: true}, quiet())
		ts := apiServer(t, s)
		call := func(who, method, path string, body any) (int, string) {
			t.Helper()
			status, raw := callAPI(t, ts, who, method, path, body)
			return status, string(raw)
		}
		const (
			admin     = "admin:"
			cityAdmin = "admin:510100"
			regulator = "regulator:"
		)
		hook := map[string]any{"name": "企业平台", "url": "https://example.test/hook", "event_types": []string{"check.*", "alarm.raised"}}
		if status, _ := call(regulator, "POST", "/monitor/webhooks", hook); status != 403 {
			t.Errorf("regulator creates: %d", status)
		}
		status, body := call(admin, "POST", "/monitor/webhooks", hook)
		if status != 201 {
			t.Fatalf("create: %d %s", status, body)
		}
		var created WebhookCreated
		if err := json.Unmarshal([]byte(body), &created); err != nil {
			t.Fatal(err)
		}
		if len(created.Secret) < 32 || !created.Enabled || created.MinSeverity != SeverityInfo {
			t.Errorf("created: %s", body)
		}
		path := fmt.Sprintf("/monitor/webhooks/%d", created.ID)
		for _, p := range []string{"/monitor/webhooks", path} {
			if status, body := call(admin, "GET", p, nil); status != 200 || strings.Contains(body, created.Secret) || strings.Contains(body, `"secret"`) {
				t.Errorf("GET %s shows the secret or fails: %d %s", p, status, body)
			}
		}
		for _, tc := range []struct {
			name   string
			body   map[string]any
			status int
			field  string
		}{
			{"bad URL", map[string]any{"name": "x", "url": "ftp://example.test/x"}, 422, "url"},
			{"unknown event type", map[string]any{"name": "x", "url": "https://example.test/x", "event_types": []string{"alarm.raised", "nope"}}, 422, "event_types[1]"},
			{"short secret", map[string]any{"name": "x", "url": "https://example.test/x", "secret": "short"}, 422, "secret"},
			{"unknown region", map[string]any{"name": "x", "url": "https://example.test/x", "region": "999999"}, 422, "region"},
		} {
			t.Run(tc.name, func(t *testing.T) {
				status, body := call(admin, "POST", "/monitor/webhooks", tc.body)
				if status != tc.status || !strings.Contains(body, tc.field) {
					t.Errorf("%d %s", status, body)
				}
			})
		}
		// A city administrator sees and creates hooks of its city only.
		if status, body := call(cityAdmin, "GET", path, nil); status != 404 {
			t.Errorf("city admin sees a national hook: %d %s", status, body)
		}
		if status, body := call(cityAdmin, "POST", "/monitor/webhooks", map[string]any{"name": "x", "url": "https://example.test/x", "region": "510000"}); status != 422 {
			t.Errorf("city admin creates a provincial hook: %d %s", status, body)
		}
		status, body = call(cityAdmin, "POST", "/monitor/webhooks", map[string]any{"name": "成都", "url": "https://example.test/cd"})
		if status != 201 || !strings.Contains(body, `"region":"510100"`) {
			t.Errorf("city admin's hook takes its region: %d %s", status, body)
		}

		// The outbox worker's list: a check event goes to the subscribed hook.
		ctx := as(t.Context(), "reg", "", 0, access.RoleRegulator)
		if _, err := s.SendCheck(ctx, CheckSend{Question: "在岗吗", OperatorID: 7}); err != nil {
			t.Fatal(err)
		}
		var n int
		if err := db.Read().QueryRowContext(t.Context(), `SELECT COUNT(*) FROM monitor_outbox WHERE target = $1 AND event_type = 'check.sent'`,
			fmt.Sprintf("webhook:%d", created.ID)).Scan(&n); err != nil || n != 1 {
			t.Errorf("deliveries to the hook: %d, %v", n, err)
		}

		// Update keeps the secret unless a new one is given; disable.
		upd := map[string]any{"name": "企业平台2", "url": "https://example.test/hook2", "event_types": []string{"alarm.*"}, "enabled": false}
		if status, body := call(admin, "PUT", path, upd); status != 200 || !strings.Contains(body, `"enabled":false`) || strings.Contains(body, created.Secret) {
			t.Errorf("update: %d %s", status, body)
		}
		w, err := getWebhook(t.Context(), db.Read(), created.ID)
		if err != nil || w.Secret != created.Secret || w.URL != "https://example.test/hook2" {
			t.Errorf("stored after update: %+v, %v", w, err)
		}
		upd["secret"] = "0123456789abcdef-new"
		if status, _ := call(admin, "PUT", path, upd); status != 200 {
			t.Errorf("rotate: %d", status)
		}
		if w, _ := getWebhook(t.Context(), db.Read(), created.ID); w.Secret != "0123456789abcdef-new" {
			t.Errorf("secret not replaced")
		}
		if status, _ := call(admin, "DELETE", path, nil); status != 204 {
			t.Errorf("delete: %d", status)
		}
		if status, _ := call(admin, "GET", path, nil); status != 404 {
			t.Errorf("after delete: %d", status)
		}
		if err := db.Read().QueryRowContext(t.Context(), `SELECT COUNT(*) FROM monitor_outbox WHERE target = $1`,
			fmt.Sprintf("webhook:%d", created.ID)).Scan(&n); err != nil || n != 0 {
			t.Errorf("deliveries left after delete: %d, %v", n, err)
		}
		entries, _, err := audit.List(t.Context(), db, audit.Filter{Entity: "webhook", Limit: 100})
		if err != nil {
			t.Fatal(err)
		}
		for _, e := range entries {
			if strings.Contains(string(e.After)+string(e.Before), created.Secret) || strings.Contains(string(e.After)+string(e.Before), "abcdef-new") {
				t.Errorf("audit entry %s carries a secret", e.Action)
			}
		}
		if len(entries) != 5 {
			t.Errorf("%d audit entries, want 5 (2 creates, 2 updates, 1 delete)", len(entries))
		}
		// The worker's view follows the table.
		s.hooksMu.RLock()
		n = len(s.webhooks)
		s.hooksMu.RUnlock()
		if n != 1 {
			t.Errorf("%d webhooks loaded, want 1", n)
		}
	})
}
