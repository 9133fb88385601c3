package waybill_test

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/jiaotong-platform/jiaotong/internal/gateway"
	"github.com/jiaotong-platform/jiaotong/internal/monitor"
	"github.com/jiaotong-platform/jiaotong/internal/platform/access"
	"github.com/jiaotong-platform/jiaotong/internal/platform/civil"
	"github.com/jiaotong-platform/jiaotong/internal/platform/httpapi"
	"github.com/jiaotong-platform/jiaotong/internal/platform/sqldb"
	"github.com/jiaotong-platform/jiaotong/internal/platform/sqldb/sqldbtest"
	"github.com/jiaotong-platform/jiaotong/internal/registry"
	"github.com/jiaotong-platform/jiaotong/internal/registry/registrytest"
	"github.com/jiaotong-platform/jiaotong/internal/waybill"
)

// drive returns the reports of a vehicle moving east at 36 km/h for the
// given minutes from at (one every 30 s), then one stopped report; loaded
// sets the load bits (full).
func xcDrive(vehicle int64, at time.Time, minutes int, loaded bool, lonStart float64) []gateway.Position {
	status := uint32(1<<1 | 1) // fixed, ACC on
	if loaded {
		status |= 3 << 8
	}
	var ps []gateway.Position
	lon := lonStart
	for i := 0; i <= 2*minutes; i++ {
		speed := uint16(360)
		if i == 2*minutes {
			speed = 0
		}
		ps = append(ps, gateway.Position{VehicleID: vehicle, DeviceTime: at, ReceiveTime: at, Lat: 30_660_000, Lon: int32(lon * 1e6),
			Speed: speed, Status: status})
		at = at.Add(30 * time.Second)
		lon += 300 / (111_320 * 0.86) // 300 m east at 30.66°N
	}
	return ps
}

// TestCoverageOfADay builds a small day by hand and compares the statistic
// with the values computed by hand:
//
//	v1 hazmat 510104: moves loaded with a waybill (and again the next day)
//	v2 hazmat 510104: moves loaded with a waybill, later empty
//	v3 hazmat 510105: moves loaded without a waybill
//	v4 hazmat 510105: moves empty only
//	v5 coach  510104: load bits set, but not a dangerous-goods vehicle
//	v6 hazmat 510104: reports parked all day
//	v7-v9: tractors on 22 Nov (see below)
//
// 20 Nov: 4 vehicles moved, 3 loaded, 2 of them under a waybill: 2/3.
func TestCoverageOfADay(t *testing.T) {
	sqldbtest.Run(t, func(t *testing.T, db *sqldb.DB) {
		e := newXCEnv(t, db)
		e.reg.add(1, registry.CategoryHazmat, "510104", 7)
		e.reg.add(2, registry.CategoryHazmat, "510104", 7)
		e.reg.add(3, registry.CategoryHazmat, "510105", 8)
		e.reg.add(4, registry.CategoryHazmat, "510105", 8)
		e.reg.add(5, registry.CategoryCoach, "510104", 9)
		e.reg.add(6, registry.CategoryHazmat, "510104", 7)
		e.trips.trips[1] = &waybill.TripView{WaybillID: 11, Number: "WB-1", State: waybill.StateViewInTransit, VehicleID: 1}
		e.trips.trips[2] = &waybill.TripView{WaybillID: 12, Number: "WB-2", State: waybill.StateViewInTransit, VehicleID: 2}
		day := func(d, h, m int) time.Time { return time.Date(2026, 11, d, h, m, 0, 0, civil.CST) }
		var ps []gateway.Position
		ps = append(ps, xcDrive(1, day(20, 10, 0), 30, true, 104.00)...)
		ps = append(ps, xcDrive(2, day(20, 14, 0), 20, true, 104.00)...)
		ps = append(ps, xcDrive(2, day(20, 15, 0), 10, false, 104.05)...)
		ps = append(ps, xcDrive(3, day(20, 11, 0), 30, true, 104.00)...)
		ps = append(ps, xcDrive(4, day(20, 9, 0), 30, false, 104.00)...)
		ps = append(ps, xcDrive(5, day(20, 9, 0), 30, true, 104.00)...)
		ps = append(ps, xcDrive(6, day(20, 8, 0), 0, true, 104.00)...)
		ps = append(ps, xcDrive(6, day(20, 18, 0), 0, true, 104.00)...)
		ps = append(ps, xcDrive(1, day(21, 8, 0), 10, true, 104.10)...)
		// 22 Nov, tractors (半挂牵引车): v7 approved for no dangerous goods
		// and without a waybill is ordinary freight, out of the statistic;
		// v8, the same with a waybill, hauls a hazmat trailer; v9 is
		// approved for class 3 and moves loaded without a waybill.
		for _, id := range []int64{7, 8, 9} {
			e.reg.add(id, registry.CategoryTractor, "510104", 7)
		}
		e.reg[9].HazmatClasses = []string{"3"}
		e.trips.trips[8] = &waybill.TripView{WaybillID: 18, Number: "WB-8", State: waybill.StateViewInTransit, VehicleID: 8}
		for _, id := range []int64{7, 8, 9} {
			ps = append(ps, xcDrive(id, day(22, 9, 0), 20, true, 104.00)...)
		}
		c := e.checks()
		// Per vehicle in device-time order, in batches of mixed vehicles.
		if err := c.Process(t.Context(), ps); err != nil {
			t.Fatal(err)
		}
		sys := access.With(t.Context(), access.System)
		f := func(v float64) *float64 { return &v }
		q := waybill.CoverageQuery{From: civil.Of(day(20, 0, 0)), To: civil.Of(day(21, 0, 0))}
		rep, err := c.Coverage(sys, q)
		if err != nil {
			t.Fatal(err)
		}
		want := []waybill.CoverageRow{
			{Day: "2026-11-20", Region: "510104", Moved: 2, Loaded: 2, Covered: 2, Coverage: f(1)},
			{Day: "2026-11-20", Region: "510105", Moved: 2, Loaded: 1, Covered: 0, Uncovered: 1, Coverage: f(0)},
			{Day: "2026-11-21", Region: "510104", Moved: 1, Loaded: 1, Covered: 1, Coverage: f(1)},
		}
		if diff := cmp.Diff(want, rep.Rows); diff != "" {
			t.Errorf("per day and region (-want +got):\n%s", diff)
		}
		if diff := cmp.Diff(waybill.CoverageRow{Moved: 5, Loaded: 4, Covered: 3, Uncovered: 1, Coverage: f(0.75)}, rep.Total); diff != "" {
			t.Errorf("total (-want +got):\n%s", diff)
		}
		q.GroupBy = "day"
		if rep, err = c.Coverage(sys, q); err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(waybill.CoverageRow{Day: "2026-11-20", Moved: 4, Loaded: 3, Covered: 2, Uncovered: 1, Coverage: f(2.0 / 3)},
			rep.Rows[0]); diff != "" {
			t.Errorf("20 Nov (-want +got):\n%s", diff)
		}
		q.GroupBy, q.Level = "region", "city"
		if rep, err = c.Coverage(sys, q); err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff([]waybill.CoverageRow{{Region: "510100", Moved: 5, Loaded: 4, Covered: 3, Uncovered: 1, Coverage: f(0.75)}},
			rep.Rows); diff != "" {
			t.Errorf("per city (-want +got):\n%s", diff)
		}

		rep, err = c.Coverage(sys, waybill.CoverageQuery{From: civil.Of(day(22, 0, 0)), To: civil.Of(day(22, 0, 0))})
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff([]waybill.CoverageRow{{Day: "2026-11-22", Region: "510104", Moved: 2, Loaded: 2, Covered: 1, Uncovered: 1,
			Coverage: f(0.5)}}, rep.Rows); diff != "" {
			t.Errorf("tractors (-want +got):\n%s", diff)
		}
		missing := map[int64]int{}
		for _, a := range e.alarms(t) {
			if a.Rule == monitor.RuleWaybillMissing {
				missing[a.VehicleID]++
			}
		}
		if diff := cmp.Diff(map[int64]int{3: 1, 9: 1}, missing); diff != "" {
			t.Errorf("waybill_missing per vehicle (-want +got):\n%s", diff)
		}

		// Over HTTP, in the caller's scope.
		srv := httpapi.New(httpapi.Options{})
		srv.Use(registrytest.Authenticate)
		waybill.RegisterCrossChecks(srv.API, c)
		ts := httptest.NewServer(srv.Handler())
		defer ts.Close()
		get := func(who, query string) (int, map[string]any) {
			req, _ := http.NewRequest("GET", ts.URL+"/api/v1/waybills/statistics/coverage?"+query, nil)
			req.Header.Set(registrytest.Header, who)
			res, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			defer res.Body.Close()
			raw, _ := io.ReadAll(res.Body)
			var m map[string]any
			_ = json.Unmarshal(raw, &m)
			return res.StatusCode, m
		}
		status, body := get("enterprise:510105:8", "from=2026-11-20&to=2026-11-21")
		if status != 200 {
			t.Fatalf("enterprise: %d %v", status, body)
		}
		if tot := body["total"].(map[string]any); tot["loaded_vehicles"] != 1.0 || tot["covered_vehicles"] != 0.0 || tot["coverage"] != 0.0 {
			t.Errorf("enterprise 8 sees %v", tot)
		}
		if status, body := get("regulator:510104", "from=2026-11-20&to=2026-11-21&region=510105"); status != 422 {
			t.Errorf("region outside the scope: %d %v", status, body)
		}
		if status, body := get("regulator:510100", "from=2026-11-21&to=2026-11-20"); status != 422 {
			t.Errorf("to before from: %d %v", status, body)
		}
		if status, body := get("regulator:510100", "from=2026-11-20&to=2026-11-20&group_by=day"); status != 200 ||
			body["rows"].([]any)[0].(map[string]any)["coverage"].(float64) != 2.0/3 {
			t.Errorf("city regulator: %d %v", status, body)
		}
	})
}
