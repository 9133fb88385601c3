package waybill_test

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"sync"
	"testing"
	"time"

	"github.com/jiaotong-platform/jiaotong/internal/gateway"
	"github.com/jiaotong-platform/jiaotong/internal/monitor"
	"github.com/jiaotong-platform/jiaotong/internal/platform/access"
	"github.com/jiaotong-platform/jiaotong/internal/platform/apperr"
	"github.com/jiaotong-platform/jiaotong/internal/platform/audit"
	"github.com/jiaotong-platform/jiaotong/internal/platform/civil"
	"github.com/jiaotong-platform/jiaotong/internal/platform/sqldb"
	"github.com/jiaotong-platform/jiaotong/internal/platform/sqldb/sqldbtest"
	"github.com/jiaotong-platform/jiaotong/internal/protocol/jt808"
	"github.com/jiaotong-platform/jiaotong/internal/registry"
	"github.com/jiaotong-platform/jiaotong/internal/roadnet"
	"github.com/jiaotong-platform/jiaotong/internal/sim"
	"github.com/jiaotong-platform/jiaotong/internal/waybill"
)

// The cross-check tests drive the simulator's hazmat trip (sim.HazmatTrip)
// through the real monitor (alarm store, zones) and check which waybill_*
// alarms come out. The positions go straight to CrossChecks.Process here;
// crosscheck_e2e_test.go runs the same trip through the gateway.

var (
	xcWorldOnce sync.Once
	xcWorld     *sim.World
	xcWorldErr  error
)

func xcChengdu(t *testing.T) *sim.World {
	xcWorldOnce.Do(func() { xcWorld, xcWorldErr = sim.Chengdu() })
	if xcWorldErr != nil {
		t.Skip("no road network:", xcWorldErr)
	}
	return xcWorld
}

func xcQuiet() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }

// xcVehicles serves fixed registry vehicles (the registry has its own
// tests; here only the category, region and operator matter).
type xcVehicles map[int64]*registry.Vehicle

func (r xcVehicles) Vehicle(_ context.Context, id int64) (*registry.Vehicle, error) {
	if v, ok := r[id]; ok {
		return v, nil
	}
	return nil, apperr.NotFound("vehicle", id)
}

func (r xcVehicles) Routes(context.Context, registry.Filter) ([]registry.Route, int, error) {
	return nil, 0, nil
}

func (r xcVehicles) add(id int64, cat registry.VehicleCategory, region string, op int64) {
	r[id] = &registry.Vehicle{Meta: registry.Meta{ID: id}, VehicleFields: registry.VehicleFields{
		Plate: fmt.Sprintf("川A%05d", id), Category: cat, OperatorID: op, Region: region}}
}

// xcTrips is an in-memory TripSource: the waybills the test issued, and
// the departures and arrivals the cross-checks reported.
type xcTrips struct {
	mu       sync.Mutex
	trips    map[int64]*waybill.TripView
	departed []string
	arrived  []string
}

func (s *xcTrips) ActiveTrip(_ context.Context, vehicle int64) (*waybill.TripView, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if t := s.trips[vehicle]; t != nil {
		c := *t
		return &c, nil
	}
	return nil, nil
}

func (s *xcTrips) Departed(_ context.Context, t *waybill.TripView, _ time.Time) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.departed = append(s.departed, t.Number)
	if cur := s.trips[t.VehicleID]; cur != nil {
		cur.State = waybill.StateViewInTransit
	}
	return nil
}

func (s *xcTrips) Arrived(_ context.Context, t *waybill.TripView, _ time.Time) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.arrived = append(s.arrived, t.Number)
	return nil
}

type xcEnv struct {
	db    *sqldb.DB
	mon   *monitor.Service
	reg   xcVehicles
	trips *xcTrips
	cfg   waybill.WatchConfig
}

func newXCEnv(t *testing.T, db *sqldb.DB) *xcEnv {
	t.Helper()
	if err := db.Migrate(t.Context(), audit.Module(), monitor.Module(), waybill.CrossCheckModule()); err != nil {
		t.Fatal(err)
	}
	reg := xcVehicles{}
	return &xcEnv{db: db, reg: reg, trips: &xcTrips{trips: map[int64]*waybill.TripView{}},
		mon: monitor.New(db, nil, reg, nil, monitor.Config{NoRoadNetwork: true}, xcQuiet())}
}

func (e *xcEnv) checks() *waybill.CrossChecks {
	return waybill.NewCrossChecks(e.db, nil, e.trips, e.mon, e.mon, e.reg, e.cfg, xcQuiet())
}

func (e *xcEnv) alarms(t *testing.T) []monitor.Alarm {
	t.Helper()
	as, _, err := e.mon.Alarms(access.With(t.Context(), access.System), monitor.AlarmFilter{Sort: "start_at", Limit: 1000})
	if err != nil {
		t.Fatal(err)
	}
	return as
}

func (e *xcEnv) zone(t *testing.T, name, purpose string, centre roadnet.Point, radius float64) {
	t.Helper()
	if _, err := e.mon.SaveGeofence(access.With(t.Context(), access.System), 0, monitor.GeofenceFields{Name: name, Kind: monitor.FenceCircle,
		Purpose: purpose, Center: []float64{centre.Lon, centre.Lat}, RadiusM: radius, Categories: []string{"hazmat"},
		Region: "510104", Enabled: true}); err != nil {
		t.Fatal(err)
	}
}

// tripPositions drives a vehicle's track for the given simulated time and
// returns its live reports as the gateway would publish them.
func xcTripPositions(t *testing.T, w *sim.World, v sim.Vehicle, start time.Time, dur time.Duration) []gateway.Position {
	t.Helper()
	tr := sim.NewTrack(w, &v, 0, 1, start, sim.TrackOptions{Interval: 15 * time.Second})
	r := w.G.NewRouter()
	var ps []gateway.Position
	for {
		out := tr.Next(r)
		if out.At.Sub(start) > dur {
			return ps
		}
		if l := out.Location; l != nil {
			ps = append(ps, xcPositionOf(v.ID, l, out.At))
		}
	}
}

func xcPositionOf(vehicle int64, loc *jt808.Location, at time.Time) gateway.Position {
	return gateway.Position{VehicleID: vehicle, DeviceTime: at, ReceiveTime: at, Lat: loc.Lat, Lon: loc.Lon, Speed: loc.Speed,
		Heading: loc.Direction, Status: uint32(loc.Status), Alarm: uint32(loc.Alarm)}
}

// matchingTrip is the waybill of a hazmat trip: its places, its route and
// a time window around the simulated start.
func xcMatchingTrip(vehicle int64, trip *sim.HazmatTrip, start time.Time) *waybill.TripView {
	tv := &waybill.TripView{WaybillID: 1, Number: "WB-TEST-1", State: waybill.StateViewIssued, VehicleID: vehicle, OperatorID: 7,
		Region: "510104", CorridorM: 300,
		Loading:          waybill.PlaceView{Name: "装货地", Lon: trip.Loading.Lon, Lat: trip.Loading.Lat, RadiusM: 300},
		Unloading:        waybill.PlaceView{Name: "卸货地", Lon: trip.Unloading.Lon, Lat: trip.Unloading.Lat, RadiusM: 300},
		PlannedDeparture: start.Add(20 * time.Minute), PlannedArrival: start.Add(90 * time.Minute)}
	for _, p := range trip.Route {
		tv.Route = append(tv.Route, [2]float64{p.Lon, p.Lat})
	}
	return tv
}

func xcRulesOf(as []monitor.Alarm) map[monitor.Rule]int {
	out := map[monitor.Rule]int{}
	for _, a := range as {
		out[a.Rule]++
	}
	return out
}

func xcDescribe(as []monitor.Alarm) string {
	s := ""
	for _, a := range as {
		end := "ongoing"
		if a.EndAt != nil {
			end = a.EndAt.In(civil.CST).Format("15:04:05")
		}
		s += fmt.Sprintf("\n  v%d %s %s %s-%s limit %v peak %v", a.VehicleID, a.Rule, a.Subject,
			a.StartAt.In(civil.CST).Format("15:04:05"), end, a.Limit, a.Peak)
	}
	return s
}

var xcStart = time.Date(2026, 11, 20, 9, 0, 0, 0, civil.CST)

// TestCrossChecksHazmatTrip runs the simulator's hazmat trip in each
// variant the checks must tell apart.
func TestCrossChecksHazmatTrip(t *testing.T) {
	w := xcChengdu(t)
	plan, err := sim.PlanHazmatTrip(w, 11, 3000, 6000)
	if err != nil {
		t.Fatal(err)
	}
	const id = 101
	type variant struct {
		name    string
		trip    func(*sim.HazmatTrip)                           // changes the driven trip
		waybill func(*waybill.TripView) *waybill.TripView       // the waybill issued (nil: none)
		zones   func(t *testing.T, e *xcEnv, h *sim.HazmatTrip) // zones to create
		want    map[monitor.Rule]int
		moves   bool // departure and arrival reported
	}
	issued := func(tv *waybill.TripView) *waybill.TripView { return tv }
	variants := []variant{
		{name: "no waybill", want: map[monitor.Rule]int{monitor.RuleWaybillMissing: 1}},
		{name: "valid waybill", waybill: issued, want: map[monitor.Rule]int{}, moves: true},
		{name: "detour", waybill: issued, want: map[monitor.Rule]int{monitor.RuleWaybillRouteDeviation: 1},
			trip: func(h *sim.HazmatTrip) {
				p, ok := h.DetourPoint(w, 3)
				if !ok {
					t.Fatal("no detour point")
				}
				h.Detour = &p
			}},
		{name: "forbidden zone", waybill: issued, want: map[monitor.Rule]int{monitor.RuleWaybillForbiddenZone: 1},
			zones: func(t *testing.T, e *xcEnv, h *sim.HazmatTrip) {
				e.zone(t, "危化品禁行区", monitor.PurposeHazmatForbidden, h.PointAlong(0.5), 250)
			}},
		{name: "outside the time window", want: map[monitor.Rule]int{monitor.RuleWaybillTimeWindow: 1},
			waybill: func(tv *waybill.TripView) *waybill.TripView {
				tv.PlannedDeparture, tv.PlannedArrival = xcStart.Add(-6*time.Hour), xcStart.Add(-4*time.Hour)
				return tv
			}},
		{name: "sensitive stop", waybill: issued, want: map[monitor.Rule]int{monitor.RuleWaybillSensitiveStop: 1},
			trip: func(h *sim.HazmatTrip) {
				p := h.PointAlong(0.5)
				h.StopAt, h.StopFor = &p, 15*time.Minute
			},
			zones: func(t *testing.T, e *xcEnv, h *sim.HazmatTrip) {
				e.zone(t, "学校", monitor.PurposeSensitive, h.PointAlong(0.5), 250)
				// A short stop in another sensitive area is allowed.
				e.zone(t, "水源地", monitor.PurposeSensitive, h.Unloading, 100)
			}},
	}
	for _, vt := range variants {
		t.Run(vt.name, func(t *testing.T) {
			sqldbtest.Run(t, func(t *testing.T, db *sqldb.DB) {
				e := newXCEnv(t, db)
				e.reg.add(id, registry.CategoryHazmat, "510104", 7)
				h := *plan
				if vt.trip != nil {
					vt.trip(&h)
				}
				if vt.waybill != nil {
					e.trips.trips[id] = vt.waybill(xcMatchingTrip(id, plan, xcStart))
				}
				if vt.zones != nil {
					vt.zones(t, e, &h)
				}
				v := sim.Vehicle{ID: id, Plate: "川A00101", Category: registry.CategoryHazmat, TerminalPhone: "13900000101", Trip: &h}
				ps := xcTripPositions(t, w, v, xcStart, 2*time.Hour)
				c := e.checks()
				for i := 0; i < len(ps); i += 25 {
					if err := c.Process(t.Context(), ps[i:min(i+25, len(ps))]); err != nil {
						t.Fatal(err)
					}
				}
				as := e.alarms(t)
				got := xcRulesOf(as)
				if fmt.Sprint(got) != fmt.Sprint(vt.want) {
					t.Errorf("alarms %v, want %v:%s", got, vt.want, xcDescribe(as))
				}
				for _, a := range as {
					if a.Ongoing {
						t.Errorf("alarm still ongoing after the trip:%s", xcDescribe([]monitor.Alarm{a}))
					}
					if a.Rule == monitor.RuleWaybillForbiddenZone && a.Message != "川A00101 进入危货禁行区：危化品禁行区" {
						t.Errorf("message %q", a.Message)
					}
				}
				if vt.moves {
					if fmt.Sprint(e.trips.departed, e.trips.arrived) != "[WB-TEST-1] [WB-TEST-1]" {
						t.Errorf("departed %v, arrived %v", e.trips.departed, e.trips.arrived)
					}
				}
			})
		})
	}
}

// TestCrossChecksRestart stops the cross-checks in the middle of the trip
// without a waybill and starts a new instance from the saved state, which
// is handed the last positions of the first part again (a batch delivered
// again after a crash): the alarm and the day's movement come out exactly
// as in an uninterrupted run, and every alarm event is written once.
func TestCrossChecksRestart(t *testing.T) {
	w := xcChengdu(t)
	plan, err := sim.PlanHazmatTrip(w, 11, 3000, 6000)
	if err != nil {
		t.Fatal(err)
	}
	const id = 102
	v := sim.Vehicle{ID: id, Plate: "川A00102", Category: registry.CategoryHazmat, TerminalPhone: "13900000102", Trip: plan}
	ps := xcTripPositions(t, w, v, xcStart, 2*time.Hour)
	type result struct {
		alarms   string
		movement string
		events   string
	}
	run := func(t *testing.T, db *sqldb.DB, cuts ...int) result {
		e := newXCEnv(t, db)
		e.reg.add(id, registry.CategoryHazmat, "510104", 7)
		from := 0
		for _, cut := range append(cuts, len(ps)) {
			c := e.checks() // a new instance: state from SQL only
			for i := from; i < cut; i += 10 {
				if err := c.Process(t.Context(), ps[i:min(i+10, cut)]); err != nil {
					t.Fatal(err)
				}
			}
			from = max(0, cut-17) // the next instance sees the tail again
		}
		var r result
		for _, a := range e.alarms(t) {
			r.alarms += fmt.Sprintf("%s %s %v %v %v;", a.Rule, a.Subject, a.StartAt.UnixMilli(), a.EndAt, a.Peak)
		}
		rows, err := db.Read().QueryContext(t.Context(), `SELECT day, vehicle_id, moved_ms, loaded_ms, covered_ms FROM waybill_movement_days ORDER BY day`)
		if err != nil {
			t.Fatal(err)
		}
		defer rows.Close()
		for rows.Next() {
			var day string
			var vid, moved, loaded, covered int64
			if err := rows.Scan(&day, &vid, &moved, &loaded, &covered); err != nil {
				t.Fatal(err)
			}
			r.movement += fmt.Sprintf("%s v%d %d %d %d;", day, vid, moved, loaded, covered)
		}
		evs, err := db.Read().QueryContext(t.Context(), `SELECT event_type FROM monitor_outbox WHERE target = 'bus' ORDER BY id`)
		if err != nil {
			t.Fatal(err)
		}
		defer evs.Close()
		for evs.Next() {
			var s string
			if err := evs.Scan(&s); err != nil {
				t.Fatal(err)
			}
			r.events += s + ";"
		}
		return r
	}
	sqldbtest.Run(t, func(t *testing.T, db *sqldb.DB) {
		whole := run(t, db)
		if whole.alarms == "" || whole.movement == "" {
			t.Fatalf("the uninterrupted run found nothing: %+v", whole)
		}
		if whole.events != "alarm.raised;alarm.ended;" {
			t.Errorf("events of the uninterrupted run: %s", whole.events)
		}
		// A second database for the interrupted run.
		sqldbtest.Run(t, func(t *testing.T, db2 *sqldb.DB) {
			if db2.Dialect() != db.Dialect() {
				t.Skip("compared on the same dialect")
			}
			n := len(ps)
			got := run(t, db2, n/3, n/2, 2*n/3)
			if got != whole {
				t.Errorf("after restarts:\n  %+v\nuninterrupted:\n  %+v", got, whole)
			}
		})
	})
}

// TestWaybillMissingNeedsTransport: a tanker that creeps loaded across its
// depot for half a minute and then stands loaded for hours is not
// transporting without a waybill; one in stop-and-go traffic is.
func TestWaybillMissingNeedsTransport(t *testing.T) {
	sqldbtest.Run(t, func(t *testing.T, db *sqldb.DB) {
		e := newXCEnv(t, db)
		e.reg.add(1, registry.CategoryHazmat, "510104", 7)
		e.reg.add(2, registry.CategoryHazmat, "510104", 7)
		pos := func(v int64, at time.Time, kmh float64, lon float64) gateway.Position {
			return gateway.Position{VehicleID: v, DeviceTime: at, ReceiveTime: at, Lat: 30_660_000, Lon: int32(lon * 1e6),
				Speed: uint16(kmh * 10), Status: 1<<1 | 1 | 3<<8}
		}
		t0 := xcStart.Add(time.Hour)
		var ps []gateway.Position
		ps = append(ps, pos(1, t0, 8, 104.0), pos(1, t0.Add(30*time.Second), 8, 104.0001))
		for i := 1; i <= 24; i++ {
			ps = append(ps, pos(1, t0.Add(30*time.Second+time.Duration(i)*5*time.Minute), 0, 104.0001))
		}
		for i := 0; i < 20; i++ {
			kmh := 20.0
			if i%2 == 1 {
				kmh = 0
			}
			ps = append(ps, pos(2, t0.Add(time.Duration(i)*30*time.Second), kmh, 104.0+float64(i)*0.001))
		}
		if err := e.checks().Process(t.Context(), ps); err != nil {
			t.Fatal(err)
		}
		as := e.alarms(t)
		if len(as) != 1 || as[0].VehicleID != 2 || as[0].Rule != monitor.RuleWaybillMissing {
			t.Errorf("want one waybill_missing of vehicle 2:%s", xcDescribe(as))
		}
	})
}
