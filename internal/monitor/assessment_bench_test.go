package monitor

import (
	"testing"

	"github.com/jiaotong-platform/jiaotong/internal/platform/civil"
	"github.com/jiaotong-platform/jiaotong/internal/platform/region"
	"github.com/jiaotong-platform/jiaotong/internal/platform/sqldb"
	"github.com/jiaotong-platform/jiaotong/internal/platform/sqldb/sqldbtest"
)

const benchVehicles, benchOperators = 100_000, 2_000

// benchFleet spreads 100,000 vehicles of 2,000 enterprises over the
// counties of Chengdu, with one day of counters each.
func benchFleet() (*Fleet, map[dayKey]*vehicleDay, map[int64]string) {
	var counties []string
	for _, r := range region.Children("510100") {
		counties = append(counties, r.Code)
	}
	f := &Fleet{OperatorRegions: map[int64]string{}}
	days := map[dayKey]*vehicleDay{}
	net := map[int64]string{}
	for op := int64(1); op <= benchOperators; op++ {
		f.OperatorRegions[op] = counties[int(op)%len(counties)]
	}
	for id := int64(1); id <= benchVehicles; id++ {
		op := 1 + id%benchOperators
		reg := f.OperatorRegions[op]
		f.Vehicles = append(f.Vehicles, FleetVehicle{ID: id, OperatorID: op, Region: reg})
		if id%50 == 0 {
			continue // never reported
		}
		net[id] = "2026-11-01"
		if id%10 == 0 {
			continue // not online that day
		}
		days[dayKey{"2026-11-20", id}] = &vehicleDay{operator: op, region: reg, reports: 2880, qualified: 2870 + id%10,
			drift: id % 7 / 6, mileage: 300_000, incomplete: float64(id%5) * 1000, overspeed: id % 3, fatigueS: id % 4 * 600,
			first: 1, last: 2}
	}
	return f, days, net
}

// BenchmarkIndicatorRollup measures the daily roll-up for 100,000 vehicles
// (issue figure: ≤ 5 s): read one day of counters and the network days,
// aggregate per enterprise, county, city, province and platform, replace
// the day's rows.
func BenchmarkIndicatorRollup(b *testing.B) {
	for _, d := range []struct {
		name string
		open func(testing.TB) *sqldb.DB
	}{{"sqlite", sqldbtest.OpenSQLite}, {"postgres", sqldbtest.OpenPostgres}} {
		b.Run(d.name, func(b *testing.B) {
			db := d.open(b)
			if err := db.Migrate(b.Context(), Module()); err != nil {
				b.Fatal(err)
			}
			fleet, days, net := benchFleet()
			if err := writeCounters(b.Context(), db, days, net); err != nil {
				b.Fatal(err)
			}
			s := New(db, nil, nil, nil, Config{NoRoadNetwork: true}, quiet())
			day := civil.Date{Year: 2026, Month: 11, Day: 20}
			var rows int
			b.ReportAllocs()
			for b.Loop() {
				n, err := s.rollupDay(b.Context(), day, fleet)
				if err != nil {
					b.Fatal(err)
				}
				rows = n
			}
			b.ReportMetric(float64(rows), "rows")
		})
	}
}

// BenchmarkIndicatorFlush measures one flush of a day's counters for
// 100,000 vehicles (what a snapshot writes when every vehicle reported
// since the last one).
func BenchmarkIndicatorFlush(b *testing.B) {
	for _, d := range []struct {
		name string
		open func(testing.TB) *sqldb.DB
	}{{"sqlite", sqldbtest.OpenSQLite}, {"postgres", sqldbtest.OpenPostgres}} {
		b.Run(d.name, func(b *testing.B) {
			db := d.open(b)
			if err := db.Migrate(b.Context(), Module()); err != nil {
				b.Fatal(err)
			}
			_, days, _ := benchFleet()
			b.ReportAllocs()
			for b.Loop() {
				if err := writeCounters(b.Context(), db, days, nil); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(len(days)), "vehicle-days")
		})
	}
}
