package waybill_test

import (
	"context"
	"net"

	"path/filepath"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/jiaotong-platform/jiaotong/internal/gateway"
	"github.com/jiaotong-platform/jiaotong/internal/monitor"
	"github.com/jiaotong-platform/jiaotong/internal/platform/access"
	"github.com/jiaotong-platform/jiaotong/internal/platform/bus"
	"github.com/jiaotong-platform/jiaotong/internal/platform/bus/bustest"
	"github.com/jiaotong-platform/jiaotong/internal/platform/civil"
	"github.com/jiaotong-platform/jiaotong/internal/platform/sqldb"
	"github.com/jiaotong-platform/jiaotong/internal/registry"
	"github.com/jiaotong-platform/jiaotong/internal/registry/registrytest"
	"github.com/jiaotong-platform/jiaotong/internal/sim"
	"github.com/jiaotong-platform/jiaotong/internal/waybill"
)

// TestIntegrationHazmatTripThroughTheGateway is the acceptance
// test: the simulator's hazmat tanker drives its trip as a JT/T 808
// terminal through the real gateway into JetStream, and the cross-checks
// consume the stream with the real waybill service and monitor. Without a
// waybill the trip raises waybill_missing; the same trip under a valid,
// issued waybill along its planned route raises no waybill alarm, is moved
// to in transit when it leaves the loading place and proposed for
// delivery when it stops at the unloading place. The run without a waybill
// restarts the cross-checks in the middle of the alarm: it is raised and
// ended once.
func TestIntegrationHazmatTripThroughTheGateway(t *testing.T) {
	if testing.Short() {
		t.Skip("simulator integration test: skipped with -short")
	}
	w := xcChengdu(t)
	plan, err := sim.PlanHazmatTrip(w, 11, 3000, 6000)
	if err != nil {
		t.Fatal(err)
	}
	b := bustest.StartEmbedded(t)
	// Simulated time starts in the future: a waybill is issued for a trip
	// that has not started yet.
	start := time.Now().Add(2 * time.Hour).Truncate(time.Minute)

	for _, withWaybill := range []bool{false, true} {
		name := "without a waybill"
		if withWaybill {
			name = "with a valid waybill"
		}
		t.Run(name, func(t *testing.T) {
			ctx, cancel := context.WithCancel(t.Context())
			defer cancel()
			db, err := sqldb.Open(ctx, sqldb.Options{SQLitePath: filepath.Join(t.TempDir(), "test.db"), Logger: xcQuiet()})
			if err != nil {
				t.Fatal(err)
			}
			defer db.Close()
			e := newEnv(t, db) // registry and waybill service (fixture_test.go)
			if err := db.Migrate(ctx, monitor.Module(), waybill.CrossCheckModule()); err != nil {
				t.Fatal(err)
			}
			sys := access.With(ctx, access.System)
			c := e.carrier("510104")
			tanker, err := e.reg.CreateVehicle(sys, registry.VehicleFields{Plate: registrytest.Plate("川", "A", 90001),
				PlateColor: registry.PlateYellow, VIN: registrytest.VIN(90001), Category: registry.CategoryHazmat, RatedLoadKg: 20000,
				Axles: 3, OperatorID: c.op.ID, Region: "510104", TransportCertNo: "510100510104", TransportCertUntil: civil.Today().AddDays(300),
				HazmatClasses: []string{"3"}, TerminalPhone: "13900090001"})
			if err != nil {
				t.Fatalf("tanker: %v", err)
			}
			var wb *waybill.Waybill
			if withWaybill {
				f := c.fields()
				f.VehicleID = tanker.ID
				tv := xcMatchingTrip(tanker.ID, plan, start)
				f.Loading = waybill.Place{Name: "彭州油库", Lon: plan.Loading.Lon, Lat: plan.Loading.Lat, RadiusM: 300,
					WindowStart: start, WindowEnd: start.Add(30 * time.Minute)}
				f.Unloading = waybill.Place{Name: "温江加油站", Lon: plan.Unloading.Lon, Lat: plan.Unloading.Lat, RadiusM: 300}
				f.DepartureAt, f.ArrivalAt = tv.PlannedDeparture, tv.PlannedArrival
				f.Route = waybill.Route{Polyline: tv.Route, CorridorWidthM: 300}
				wb = e.issued(f)
			}

			mon := monitor.New(db, b, e.reg, nil, monitor.Config{NoRoadNetwork: true}, xcQuiet())
			prefix := bustest.Prefix(t, b)
			gcfg := gateway.Config{Stream: prefix + "_POSITIONS", SubjectPrefix: prefix + ".pos", Partitions: 2,
				AuthSecret: []byte("test secret of the gateway, 32 b")}
			g, err := gateway.New(gcfg, b, e.reg, xcQuiet(), nil)
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
			v := sim.VehicleOf(tanker, nil)
			v.Trip = plan
			fleet, err := sim.NewFleet(w, []sim.Vehicle{v}, sim.Config{Server: ln.Addr().String(), Seed: 1, Start: start,
				Speedup: 600, Interval: 15 * time.Second, Heartbeat: time.Second})
			if err != nil {
				t.Fatal(err)
			}
			fctx, fcancel := context.WithTimeout(ctx, 75*time.Minute/600)
			defer fcancel()
			if err := fleet.Run(fctx); err != nil {
				t.Fatal(err)
			}

			// The gateway's stream, message by message, with the latest
			// device time of each.
			type stored struct {
				data []byte
				dev  time.Time
			}
			var msgs []stored
			var last time.Time
			st, err := b.StreamState(ctx, gcfg.Stream)
			if err != nil {
				t.Fatal(err)
			}
			for seq := st.FirstSeq; seq <= st.LastSeq && seq > 0; seq++ {
				m, err := b.GetMsg(ctx, gcfg.Stream, seq)
				if err != nil {
					t.Fatal(err)
				}
				ps, err := gateway.DecodePositions(m.Data, nil)
				if err != nil {
					t.Fatal(err)
				}
				var dev time.Time
				for _, p := range ps {
					if !p.BlindArea && p.DeviceTime.After(dev) {
						dev = p.DeviceTime
					}
				}
				msgs = append(msgs, stored{m.Data, dev})
				if dev.After(last) {
					last = dev
				}
			}
			if last.Sub(start) < 50*time.Minute {
				t.Fatalf("the gateway stored positions up to %v only", last.Sub(start))
			}

			// The cross-checks consume a copy of the stream fed in parts.
			// Without a waybill the first instance is stopped in the middle
			// of the loaded drive, with the alarm open; a new instance on the
			// same durable consumer takes over, and the last messages before
			// the stop are delivered again: nothing may be raised twice.
			xcStream, xcSubject := prefix+"_XCPOS", prefix+".xcpos.0"
			if err := b.EnsureStream(ctx, bus.StreamConfig{Name: xcStream, Subjects: []string{prefix + ".xcpos.>"}}); err != nil {
				t.Fatal(err)
			}
			feed := func(from, to int) time.Time {
				var upTo time.Time
				for _, m := range msgs[from:to] {
					if _, err := b.Publish(ctx, xcSubject, m.data); err != nil {
						t.Fatal(err)
					}
					if m.dev.After(upTo) {
						upTo = m.dev
					}
				}
				return upTo
			}
			var cc *waybill.CrossChecks
			var ccMu sync.Mutex
			e.svc.OnChange(func(waybill.Event) {
				ccMu.Lock()
				defer ccMu.Unlock()
				if cc != nil {
					cc.ForgetTrips()
				}
			})
			runChecks := func(until time.Time) {
				cctx, ccancel := context.WithCancel(ctx)
				defer ccancel()
				c := waybill.NewCrossChecks(db, b, waybill.TripsOf(e.svc, db), mon, mon, e.reg, waybill.WatchConfig{
					PositionsStream: xcStream, Durable: prefix + "-crosschecks", ReplayFromStart: true}, xcQuiet())
				ccMu.Lock()
				cc = c
				ccMu.Unlock()
				done := make(chan error, 1)
				go func() { done <- c.Run(cctx) }()
				deadline := time.Now().Add(30 * time.Second)
				for c.LastDeviceTime(tanker.ID).Before(until) {
					select {
					case err := <-done:
						t.Fatalf("cross-checks stopped: %v", err)
					default:
					}
					if time.Now().After(deadline) {
						t.Fatalf("cross-checks at %v, want %v", c.LastDeviceTime(tanker.ID), until)
					}
					time.Sleep(10 * time.Millisecond)
				}
				ccancel()
				if err := <-done; err != nil {
					t.Fatal(err)
				}
			}
			from := 0
			if !withWaybill {
				mid := 0
				for mid < len(msgs) && msgs[mid].dev.Sub(start) < 20*time.Minute {
					mid++
				}
				runChecks(feed(0, mid))
				from = max(0, mid-3)
			}
			feed(from, len(msgs))
			runChecks(last)

			sys = access.With(t.Context(), access.System)
			alarms, _, err := mon.Alarms(sys, monitor.AlarmFilter{Sort: "start_at", Limit: 100})
			if err != nil {
				t.Fatal(err)
			}
			got := xcRulesOf(alarms)
			if !withWaybill {
				if len(alarms) != 1 || got[monitor.RuleWaybillMissing] != 1 || alarms[0].VehicleID != tanker.ID || alarms[0].Ongoing {
					t.Fatalf("want one ended waybill_missing alarm:%s", xcDescribe(alarms))
				}
				var raised, ended int
				if err := db.Read().QueryRowContext(sys, `SELECT
					COUNT(CASE WHEN event_type = 'alarm.raised' THEN 1 END), COUNT(CASE WHEN event_type = 'alarm.ended' THEN 1 END)
					FROM monitor_outbox WHERE target = 'bus'`).Scan(&raised, &ended); err != nil {
					t.Fatal(err)
				}
				if raised != 1 || ended != 1 {
					t.Errorf("events: %d raised, %d ended, want one each", raised, ended)
				}
				return
			}
			if len(alarms) != 0 {
				t.Errorf("a valid waybill raised:%s", xcDescribe(alarms))
			}
			now, err := e.svc.Get(sys, wb.ID)
			if err != nil {
				t.Fatal(err)
			}
			if now.State != waybill.StateInTransit {
				t.Errorf("waybill %s is %s, want in_transit after the departure", now.Number, now.State)
			}
			props, err := cc.DeliveryProposals(sys, 10)
			if err != nil {
				t.Fatal(err)
			}
			if len(props) != 1 || props[0].WaybillID != wb.ID {
				t.Errorf("delivery proposals %+v", props)
			}
			hist, _, err := e.svc.History(sys, wb.ID, 50, 0)
			if err != nil {
				t.Fatal(err)
			}
			var actions []string
			for _, h := range hist {
				actions = append(actions, h.Action)
			}
			if !slices.Contains(actions, "propose_delivery") {
				t.Errorf("waybill history %v has no delivery proposal", actions)
			}
		})
	}
}
