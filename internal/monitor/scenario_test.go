package monitor_test

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/jiaotong-platform/jiaotong/internal/gateway"
	"github.com/jiaotong-platform/jiaotong/internal/monitor"
	"github.com/jiaotong-platform/jiaotong/internal/platform/access"
	"github.com/jiaotong-platform/jiaotong/internal/platform/audit"
	"github.com/jiaotong-platform/jiaotong/internal/platform/bus"
	"github.com/jiaotong-platform/jiaotong/internal/platform/bus/bustest"
	"github.com/jiaotong-platform/jiaotong/internal/platform/civil"
	"github.com/jiaotong-platform/jiaotong/internal/platform/sqldb"
	"github.com/jiaotong-platform/jiaotong/internal/protocol/jt808"
	"github.com/jiaotong-platform/jiaotong/internal/registry"
	"github.com/jiaotong-platform/jiaotong/internal/registry/registrytest"
	"github.com/jiaotong-platform/jiaotong/internal/roadnet"
	"github.com/jiaotong-platform/jiaotong/internal/sim"
)

// The scenario tests run simulated terminals (internal/sim) against the
// real gateway on 127.0.0.1:0, which writes positions to an embedded
// JetStream; the monitor consumes them and its alarms are compared with
// what the simulator really sent (its Observe hook).
//
// Simulated time runs `speedup` times faster than real time. Device times
// are simulated; the gateway stamps receive times on the wall clock, so a
// relay between the gateway's stream and the monitor's maps each receive
// time onto the simulated clock the same way the simulator maps device
// times, and the monitor runs on the simulated clock (SetClock). Without
// it every position would look minutes out of date to the receive-time
// checks and the offline rule could not be tested at all.

var (
	worldOnce sync.Once
	world     *sim.World
	worldErr  error
)

func chengdu(t *testing.T) *sim.World {
	worldOnce.Do(func() { world, worldErr = sim.Chengdu() })
	if worldErr != nil {
		t.Skip("no road network:", worldErr)
	}
	return world
}

func quietLogger() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }

// sent is one live report or re-sent position as the simulator sent it.
type sent struct {
	vehicle int64
	at      time.Time // simulated time of sending
	dev     time.Time // device time in the report (zero when unparsable)
	blind   bool
	loc     jt808.Location
	truth   sim.Truth
	offline time.Duration
}

type runResult struct {
	alarms []monitor.Alarm
	sent   []sent
	start  time.Time
	// tracks are the fleet's tracks, one per vehicle in order; route is
	// the scheduled route of the vehicles (route runs only).
	tracks []*sim.Track
	route  *sim.Route
	// mon is the stopped monitor, for its stored indicators.
	mon *monitor.Service
	// received and receivedBlind count the positions the gateway wrote
	// (all, and blind-area re-sends).
	received, receivedBlind int
	// arrived holds the device times (ms) of each vehicle's live reports
	// the gateway received: reports a terminal makes while it is not yet
	// connected never reach the platform.
	arrived map[int64]map[int64]bool
	// recvAt is the simulated receive time the platform gave each live
	// report (vehicle → device time ms), undatedAt that of each undated
	// report in order. Rules on the platform clock are checked against
	// these, not against the sending time: how long a frame takes to reach
	// the gateway depends on the machine's load, multiplied by the speed-up.
	recvAt    map[int64]map[int64]time.Time
	undatedAt map[int64][]time.Time
}

// receivedAt returns the simulated receive time of a live, dated report.
func (r runResult) receivedAt(s sent) time.Time {
	return r.recvAt[s.vehicle][s.dev.UnixMilli()]
}

type scenarioRun struct {
	category registry.VehicleCategory
	vehicles int
	mix      sim.Mix
	start    time.Time     // simulated
	duration time.Duration // simulated
	speedup  float64
	seed     int64
	// tune adjusts the rule set of the vehicles' category (nil: national defaults).
	tune func(*monitor.Params)
	// route registers a scheduled route (stations, corridor) served by
	// every vehicle; charterAreas stores each charter bus's approved area
	// (the track's ApprovedArea) as its charter_area geofence.
	route        bool
	charterAreas bool
}

// runScenario registers the vehicles, starts gateway, relay and monitor,
// drives the fleet for the simulated duration and returns the alarms
// stored once the monitor has processed every position.
func runScenario(t *testing.T, b *bus.Bus, sr scenarioRun) runResult {
	t.Helper()
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	w := chengdu(t)

	db, err := sqldb.Open(ctx, sqldb.Options{SQLitePath: filepath.Join(t.TempDir(), "test.db"), Logger: quietLogger()})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	if err := db.Migrate(ctx, audit.Module(), registry.Module(), monitor.Module()); err != nil {
		t.Fatal(err)
	}
	reg := registry.New(db, quietLogger())
	sys := access.With(ctx, access.System)
	scope := registry.ScopeScheduledCoach
	if sr.category == registry.CategoryCharter {
		scope = registry.ScopeCharter
	}
	op, err := reg.CreateOperator(sys, registry.OperatorFields{Name: "成都仿真运输", CreditCode: registrytest.CreditCode("510104", 1),
		Region: "510104", Scopes: []registry.BusinessScope{scope}})
	if err != nil {
		t.Fatalf("create operator: %v", err)
	}
	var vehicles []sim.Vehicle
	var ids []int64
	for i := 1; i <= sr.vehicles; i++ {
		v, err := reg.CreateVehicle(sys, registry.VehicleFields{Plate: registrytest.Plate("川", "A", i), PlateColor: registry.PlateYellow,
			VIN: registrytest.VIN(i), Category: sr.category, Seats: 45, OperatorID: op.ID, Region: "510104",
			TransportCertNo: "510104000001", TransportCertUntil: civil.Today().AddDays(400), TerminalPhone: fmt.Sprintf("139%08d", i)})
		if err != nil {
			t.Fatalf("create vehicle %d: %v", i, err)
		}
		vehicles = append(vehicles, sim.VehicleOf(v, nil))
		ids = append(ids, v.ID)
	}
	var route *sim.Route
	if sr.route {
		route = createRoute(t, sys, reg, w, op.ID, ids)
		for i := range vehicles {
			vehicles[i].Route = route
		}
	}

	// Gateway.
	prefix := bustest.Prefix(t, b)
	gcfg := gateway.Config{Stream: prefix + "_POSITIONS", SubjectPrefix: prefix + ".pos", Partitions: 2,
		AuthSecret: []byte("test secret of the gateway, 32 b")}
	g, err := gateway.New(gcfg, b, reg, quietLogger(), nil)
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	defer wg.Wait()
	defer cancel()
	wg.Go(func() {
		if err := g.Serve(ctx, ln); err != nil {
			t.Errorf("gateway: %v", err)
		}
	})
	if err := b.WaitStream(ctx, gcfg.Stream); err != nil {
		t.Fatal(err)
	}

	// Simulated clock: fixed when the fleet starts.
	var clockMu sync.Mutex
	var realStart time.Time
	simAt := func(real time.Time) time.Time {
		clockMu.Lock()
		defer clockMu.Unlock()
		if realStart.IsZero() {
			return sr.start
		}
		return sr.start.Add(time.Duration(float64(real.Sub(realStart)) * sr.speedup))
	}

	// Relay: gateway stream → simulated receive times → monitor stream.
	simStream, simPrefix := prefix+"_SIMPOS", prefix+".simpos"
	if err := b.EnsureStream(ctx, bus.StreamConfig{Name: simStream, Subjects: []string{simPrefix + ".>"}}); err != nil {
		t.Fatal(err)
	}
	var relayMu sync.Mutex
	relayed := map[int64]time.Time{} // vehicle → latest simulated receive time
	var relayedSeq uint64
	var received, receivedBlind int
	arrived := map[int64]map[int64]bool{}
	recvAt := map[int64]map[int64]time.Time{}
	undatedAt := map[int64][]time.Time{}
	wg.Go(func() {
		err := b.ConsumeBatch(ctx, bus.ConsumerConfig{Stream: gcfg.Stream, DeliverPolicy: bus.DeliverAll, Batch: 200},
			func(ctx context.Context, msgs []*bus.Msg) error {
				for _, m := range msgs {
					ps, err := gateway.DecodePositions(m.Data, nil)
					if err != nil {
						return err
					}
					relayMu.Lock()
					for i := range ps {
						if ps[i].UndatedDevice {
							// An unparsable device time: the gateway dated
							// the report on its own (wall) clock.
							ps[i].DeviceTime = simAt(ps[i].DeviceTime)
						}
						ps[i].ReceiveTime = simAt(ps[i].ReceiveTime)
						received++
						id := ps[i].VehicleID
						switch {
						case ps[i].BlindArea:
							receivedBlind++
						case ps[i].UndatedDevice:
							undatedAt[id] = append(undatedAt[id], ps[i].ReceiveTime)
						default:
							if arrived[id] == nil {
								arrived[id] = map[int64]bool{}
								recvAt[id] = map[int64]time.Time{}
							}
							arrived[id][ps[i].DeviceTime.UnixMilli()] = true
							recvAt[id][ps[i].DeviceTime.UnixMilli()] = ps[i].ReceiveTime
						}
						if ps[i].ReceiveTime.After(relayed[ps[i].VehicleID]) {
							relayed[ps[i].VehicleID] = ps[i].ReceiveTime
						}
					}
					relayMu.Unlock()
					if _, err := b.Publish(ctx, simPrefix+".0", gateway.AppendPositions(nil, ps)); err != nil {
						return err
					}
					relayMu.Lock()
					relayedSeq = m.Sequence
					relayMu.Unlock()
				}
				return nil
			})
		if err != nil && ctx.Err() == nil {
			t.Errorf("relay: %v", err)
		}
	})

	// Monitor.
	mon := monitor.New(db, b, reg, nil, monitor.Config{PositionsStream: simStream, PositionsPrefix: simPrefix,
		EventsStream: prefix + "_EVENTS", EventsPrefix: prefix + ".evt", ReplayFromStart: true, Graph: w.G,
		OfflineCheckEvery: 20 * time.Millisecond, OutboxPoll: 50 * time.Millisecond}, quietLogger())
	mon.SetClock(func() time.Time { return simAt(time.Now()) })
	if sr.tune != nil {
		p := monitor.DefaultParams(string(sr.category))
		sr.tune(&p)
		if _, err := mon.PutRuleSet(sys, monitor.RuleSet{Region: "", Category: string(sr.category), Params: p}, 0); err != nil {
			t.Fatalf("rule set: %v", err)
		}
	}
	monCtx, monCancel := context.WithCancel(ctx)
	monDone := make(chan error, 1)
	go func() { monDone <- mon.Run(monCtx) }()
	select {
	case <-mon.Ready():
	case err := <-monDone:
		t.Fatalf("monitor: %v", err)
	}

	// Fleet.
	var sentMu sync.Mutex
	var out []sent
	fcfg := sim.Config{Server: ln.Addr().String(), Seed: sr.seed, Start: sr.start, Speedup: sr.speedup, Scenarios: sr.mix,
		Heartbeat: time.Second,
		Observe: func(v *sim.Vehicle, o sim.Output) {
			rec := func(l *jt808.Location, blind bool) {
				s := sent{vehicle: v.ID, at: o.At, blind: blind, loc: *l, truth: o.Truth}
				if d, err := l.Time.Time(); err == nil {
					s.dev = d
				}
				sentMu.Lock()
				out = append(out, s)
				sentMu.Unlock()
			}
			for _, bt := range o.Batches {
				for i := range bt.Items {
					rec(&bt.Items[i], true)
				}
			}
			if o.Location != nil {
				rec(o.Location, false)
				if o.Offline > 0 {
					sentMu.Lock()
					out[len(out)-1].offline = o.Offline
					sentMu.Unlock()
				}
			}
		}}
	fleet, err := sim.NewFleet(w, vehicles, fcfg)
	if err != nil {
		t.Fatal(err)
	}
	if sr.charterAreas {
		for _, tr := range fleet.Tracks() {
			c, r, ok := tr.ApprovedArea()
			if !ok {
				t.Fatalf("vehicle %d has no approved area", tr.Vehicle().ID)
			}
			if _, err := mon.SaveGeofence(sys, 0, monitor.GeofenceFields{Name: fmt.Sprintf("包车批准区域 %s", tr.Vehicle().Plate),
				Kind: monitor.FenceCircle, Purpose: monitor.PurposeCharterArea, Center: []float64{c.Lon, c.Lat}, RadiusM: r,
				VehicleIDs: []int64{tr.Vehicle().ID}, Region: "510104", Enabled: true}); err != nil {
				t.Fatalf("approved area: %v", err)
			}
		}
	}
	fctx, fcancel := context.WithTimeout(ctx, time.Duration(float64(sr.duration)/sr.speedup))
	defer fcancel()
	clockMu.Lock()
	realStart = time.Now()
	clockMu.Unlock()
	if err := fleet.Run(fctx); err != nil {
		t.Fatal(err)
	}

	// Wait until the relay forwarded the gateway's stream and the monitor
	// stored the alarm changes of every position it forwarded.
	deadline := time.Now().Add(20 * time.Second)
	for {
		st, err := b.StreamState(ctx, gcfg.Stream)
		if err != nil {
			t.Fatal(err)
		}
		relayMu.Lock()
		done := relayedSeq >= st.LastSeq
		want := map[int64]time.Time{}
		for k, v := range relayed {
			want[k] = v
		}
		relayMu.Unlock()
		for id, at := range want {
			ls, err := mon.VehicleState(sys, id)
			if err != nil || ls.ReceivedAt == nil || ls.ReceivedAt.Before(at.Truncate(time.Millisecond)) {
				done = false
				break
			}
		}
		if done {
			sim, err := b.StreamState(ctx, simStream)
			if err != nil {
				t.Fatal(err)
			}
			done = mon.StoredSeq() >= sim.LastSeq
		}
		if done {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("monitor did not catch up: relayed %d of %d", relayedSeq, st.LastSeq)
		}
		time.Sleep(20 * time.Millisecond)
	}
	monCancel()
	if err := <-monDone; err != nil {
		t.Fatalf("monitor: %v", err)
	}
	alarms, _, err := mon.Alarms(sys, monitor.AlarmFilter{Sort: "start_at", Limit: 10000})
	if err != nil {
		t.Fatal(err)
	}
	sentMu.Lock()
	defer sentMu.Unlock()
	relayMu.Lock()
	defer relayMu.Unlock()
	return runResult{received: received, receivedBlind: receivedBlind, arrived: arrived, recvAt: recvAt, undatedAt: undatedAt, alarms: alarms, sent: append([]sent(nil), out...), start: sr.start, tracks: fleet.Tracks(), route: route, mon: mon}
}

// createRoute registers a scheduled route through three stations of
// central Chengdu along the fastest road path, served by the vehicles, and
// returns it as the simulator drives it.
func createRoute(t *testing.T, ctx context.Context, reg *registry.Service, w *sim.World, operator int64, vehicles []int64) *sim.Route {
	t.Helper()
	pts := []roadnet.Point{{Lat: 30.6960, Lon: 104.0735}, {Lat: 30.6574, Lon: 104.0658}, {Lat: 30.6700, Lon: 104.1050}}
	router := w.G.NewRouter()
	var line [][]float64
	var km float64
	for i := 1; i < len(pts); i++ {
		p, err := router.RoutePoints(pts[i-1], pts[i], roadnet.ByTime)
		if err != nil {
			t.Fatalf("route: %v", err)
		}
		km += p.Length / 1000
		for _, q := range w.G.Geometry(p) {
			line = append(line, []float64{q.Lon, q.Lat})
		}
	}
	stations := map[int64]roadnet.Point{}
	var ids []int64
	for i, p := range pts {
		st, err := reg.CreateStation(ctx, registry.StationFields{Name: fmt.Sprintf("仿真站%d", i+1), Level: registry.StationSimple,
			Lon: p.Lon, Lat: p.Lat, Region: "510104"})
		if err != nil {
			t.Fatalf("create station: %v", err)
		}
		stations[st.ID] = p
		ids = append(ids, st.ID)
	}
	rt, err := reg.CreateRoute(ctx, registry.RouteFields{Code: "SIM-1", Name: "仿真班线", OperatorID: operator, Region: "510104",
		OriginStationID: ids[0], DestinationStationID: ids[2], Stops: ids[1:2], LineClass: registry.LineClass4,
		Corridor: &registry.CorridorGeometry{Type: "LineString", Coordinates: line}, CorridorWidthM: 500, DistanceKm: km,
		VehicleIDs: vehicles})
	if err != nil {
		t.Fatalf("create route: %v", err)
	}
	return sim.RouteOf(rt, stations)
}

func describeAlarms(as []monitor.Alarm) string {
	s := ""
	for _, a := range as {
		end := "ongoing"
		if a.EndAt != nil {
			end = a.EndAt.In(civil.CST).Format("15:04:05")
		}
		s += fmt.Sprintf("\n  v%d %s %s %s-%s limit %v peak %v", a.VehicleID, a.Rule, a.Subject,
			a.StartAt.In(civil.CST).Format("01-02 15:04:05"), end, a.Limit, a.Peak)
	}
	return s
}

func only(as []monitor.Alarm, rules ...monitor.Rule) (match, other []monitor.Alarm) {
	for _, a := range as {
		ok := false
		for _, r := range rules {
			ok = ok || a.Rule == r
		}
		if ok {
			match = append(match, a)
		} else {
			other = append(other, a)
		}
	}
	return match, other
}

// live returns the live reports of a vehicle that reached the platform,
// in device-time order (those with an unparsable time are kept).
func (r runResult) live(vehicle int64) []sent {
	var out []sent
	for _, s := range r.sent {
		if s.vehicle == vehicle && !s.blind && (s.dev.IsZero() || r.arrived[vehicle][s.dev.UnixMilli()]) {
			out = append(out, s)
		}
	}
	return out
}

func at(day, h, m int) time.Time { return time.Date(2026, 11, day, h, m, 0, 0, civil.CST) }

func skipShort(t *testing.T) {
	if testing.Short() {
		t.Skip("simulator integration test: skipped with -short")
	}
}

// TestIntegrationScenarioSOS: the emergency bit is set for three minutes;
// the alarm starts at the first report carrying it and ends at the first
// report without it.
func TestIntegrationScenarioSOS(t *testing.T) {
	skipShort(t)
	b := bustest.StartEmbedded(t)
	run := scenarioRun{category: registry.CategoryCoach, vehicles: 2, start: at(20, 10, 0), duration: 30 * time.Minute,
		speedup: 600, seed: 5, mix: sim.Mix{sim.SOS: 100}}
	res := runScenario(t, b, run)
	sos, other := only(res.alarms, monitor.RuleSOS)
	if len(other) > 0 {
		t.Errorf("other alarms:%s", describeAlarms(other))
	}
	for v := int64(1); v <= 2; v++ {
		var first, end time.Time
		for _, s := range res.live(v) {
			if s.loc.Alarm&1 != 0 && first.IsZero() {
				first = s.dev
			}
			if s.loc.Alarm&1 == 0 && !first.IsZero() && end.IsZero() {
				end = s.dev
			}
		}
		var got []monitor.Alarm
		for _, a := range sos {
			if a.VehicleID == v {
				got = append(got, a)
			}
		}
		if first.IsZero() || len(got) != 1 {
			t.Fatalf("vehicle %d: emergency bit first sent at %v; SOS alarms:%s", v, first, describeAlarms(got))
		}
		a := got[0]
		if !a.StartAt.Equal(first) || a.EndAt == nil || !a.EndAt.Equal(end) || a.Severity != monitor.SeverityCritical {
			t.Errorf("vehicle %d: SOS %v-%v %s, want %v-%v critical", v, a.StartAt, a.EndAt, a.Severity, first, end)
		}
	}
}

// TestIntegrationScenarioOverspeed: drivers 20-35 % over every road's
// limit. Each overspeed alarm starts at a report above the limit plus
// tolerance, ends at a later report, and its peak is the highest speed
// reported in between.
func TestIntegrationScenarioOverspeed(t *testing.T) {
	skipShort(t)
	b := bustest.StartEmbedded(t)
	res := runScenario(t, b, scenarioRun{category: registry.CategoryCoach, vehicles: 2, start: at(20, 10, 0), duration: 30 * time.Minute,
		speedup: 600, seed: 7, mix: sim.Mix{sim.Overspeed: 100}})
	over, other := only(res.alarms, monitor.RuleOverspeed)
	if len(other) > 0 {
		t.Errorf("other alarms:%s", describeAlarms(other))
	}
	perVehicle := map[int64]int{}
	for _, a := range over {
		perVehicle[a.VehicleID]++
		var startOK bool
		peak := 0.0
		for _, s := range res.live(a.VehicleID) {
			kmh := float64(s.loc.Speed) / 10
			if s.dev.Equal(a.StartAt) {
				startOK = kmh > a.Limit*1.1
			}
			end := a.LastAt
			if a.EndAt != nil {
				end = *a.EndAt
			}
			if !s.dev.Before(a.StartAt) && s.dev.Before(end.Add(time.Millisecond)) && kmh > peak && (a.EndAt == nil || s.dev.Before(*a.EndAt)) {
				peak = kmh
			}
		}
		if !startOK || peak != a.Peak || a.Limit <= 0 || a.Limit > 100 {
			t.Errorf("alarm %s: start report over the limit %v, peak reported %v", describeAlarms([]monitor.Alarm{a}), startOK, peak)
		}
		if a.EndAt != nil && a.EndAt.Sub(a.StartAt) < 10*time.Second {
			t.Errorf("alarm shorter than the minimum duration:%s", describeAlarms([]monitor.Alarm{a}))
		}
	}
	if perVehicle[1] == 0 || perVehicle[2] == 0 {
		t.Errorf("overspeed alarms per vehicle %v, want some for both", perVehicle)
	}
}

// TestIntegrationScenarioCoach0205: a long-distance coach moving after
// 02:00. Each alarm starts at a report in the window with the coach moving
// (the first at the first such report), ends at the next report with it
// standing (at lights, the minimum duration is not reached again at once),
// and its peak is the highest speed reported in between.
func TestIntegrationScenarioCoach0205(t *testing.T) {
	skipShort(t)
	b := bustest.StartEmbedded(t)
	res := runScenario(t, b, scenarioRun{category: registry.CategoryCoach, vehicles: 1, start: at(20, 1, 45), duration: 40 * time.Minute,
		speedup: 600, seed: 3, mix: sim.Mix{sim.Coach0205: 100}})
	early, other := only(res.alarms, monitor.RuleEarlyMorning)
	if len(other) > 0 {
		t.Errorf("other alarms:%s", describeAlarms(other))
	}
	live := res.live(1)
	var first time.Time
	for _, s := range live {
		if !s.dev.Before(at(20, 2, 0)) && s.loc.Speed >= 50 {
			first = s.dev
			break
		}
	}
	if len(early) == 0 || first.IsZero() || !early[0].StartAt.Equal(first) {
		t.Fatalf("moving from %v; 02:00-05:00 alarms:%s", first, describeAlarms(early))
	}
	for _, a := range early {
		var end time.Time
		peak := 0.0
		startMoving := false
		for _, s := range live {
			if s.dev.Equal(a.StartAt) {
				startMoving = s.loc.Speed >= 50
			}
			if s.dev.Before(a.StartAt) || !end.IsZero() {
				continue
			}
			if s.loc.Speed < 50 {
				end = s.dev
				continue
			}
			peak = max(peak, float64(s.loc.Speed)/10)
		}
		if !startMoving || a.EndAt == nil || !a.EndAt.Equal(end) || a.Peak != peak || a.Severity != monitor.SeverityMajor {
			t.Errorf("alarm%s, want end %v peak %v", describeAlarms([]monitor.Alarm{a}), end.In(civil.CST), peak)
		}
	}
}

// TestIntegrationScenarioOffline: the terminal drops off while driving for
// 30-90 minutes. The offline alarm (platform clock) starts at the last
// report before the silence and ends at the first one after it.
func TestIntegrationScenarioOffline(t *testing.T) {
	skipShort(t)
	b := bustest.StartEmbedded(t)
	res := runScenario(t, b, scenarioRun{category: registry.CategoryCoach, vehicles: 1, start: at(20, 10, 0), duration: 2 * time.Hour,
		speedup: 1200, seed: 11, mix: sim.Mix{sim.Offline: 100}})
	off, other := only(res.alarms, monitor.RuleOffline)
	if len(other) > 0 {
		t.Errorf("other alarms:%s", describeAlarms(other))
	}
	var silentFrom, backAt time.Time
	live := res.live(1)
	for i, s := range live {
		if s.offline > 0 && i+1 < len(live) {
			silentFrom, backAt = res.receivedAt(s), res.receivedAt(live[i+1])
			break
		}
	}
	if silentFrom.IsZero() || len(off) < 1 {
		t.Fatalf("silent from %v to %v; offline alarms:%s", silentFrom, backAt, describeAlarms(off))
	}
	a := off[0]
	// Receive times are stored to the millisecond.
	near := func(x, y time.Time) bool { d := x.Sub(y).Abs(); return d < time.Second }
	if !near(a.StartAt, silentFrom) || a.EndAt == nil || !near(*a.EndAt, backAt) || a.Limit != 600 {
		t.Errorf("offline alarm%s, want from %v to %v", describeAlarms(off), silentFrom.In(civil.CST), backAt.In(civil.CST))
	}
}

// TestIntegrationScenarioControl drives the same vehicles without any
// scenario over a day part with every rule in play: no alarm at all.
func TestIntegrationScenarioControl(t *testing.T) {
	skipShort(t)
	b := bustest.StartEmbedded(t)
	for _, cat := range []registry.VehicleCategory{registry.CategoryCoach, registry.CategoryCharter} {
		t.Run(string(cat), func(t *testing.T) {
			res := runScenario(t, b, scenarioRun{category: cat, vehicles: 3, start: at(20, 10, 0), duration: 40 * time.Minute,
				speedup: 600, seed: 5})
			if len(res.alarms) > 0 {
				t.Errorf("clean run raised alarms:%s", describeAlarms(res.alarms))
			}
			if len(res.sent) < 3*40*60/30/2 {
				t.Errorf("only %d reports sent", len(res.sent))
			}
		})
	}
}
