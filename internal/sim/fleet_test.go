package sim_test

import (
	"context"
	"fmt"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/jiaotong-platform/jiaotong/internal/gateway"
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

// platform is a real gateway on 127.0.0.1:0 with a registry on SQLite and
// an embedded JetStream.
type platform struct {
	g        *gateway.Gateway
	bus      *bus.Bus
	addr     string
	stream   string
	vehicles []sim.Vehicle
}

var cats = []registry.VehicleCategory{registry.CategoryTaxi, registry.CategoryBus, registry.CategoryCoach,
	registry.CategoryCharter, registry.CategoryHazmat, registry.CategoryHeavyTruck, registry.CategoryTruck}

func startPlatform(t *testing.T, n int) *platform {
	t.Helper()
	ctx := context.Background()
	db, err := sqldb.Open(ctx, sqldb.Options{SQLitePath: filepath.Join(t.TempDir(), "sim.db"), Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	if err := db.Migrate(ctx, audit.Module(), registry.Module()); err != nil {
		t.Fatal(err)
	}
	reg := registry.New(db, slog.New(slog.DiscardHandler))
	sys := access.With(ctx, access.System)
	op, err := reg.CreateOperator(sys, registry.OperatorFields{Name: "成都仿真运输有限公司", CreditCode: registrytest.CreditCode("510104", 7),
		Region: "510104", Scopes: []registry.BusinessScope{registry.ScopeScheduledCoach, registry.ScopeCharter,
			registry.ScopeTaxi, registry.ScopeBus, registry.ScopeHazmat, registry.ScopeGeneralFreight}})
	if err != nil {
		t.Fatalf("create operator: %v", err)
	}
	p := &platform{}
	for i := 1; i <= n; i++ {
		c := cats[i%len(cats)]
		f := registry.VehicleFields{Plate: registrytest.Plate("川", "A", i), PlateColor: registry.PlateYellow,
			VIN: registrytest.VIN(i), Category: c, OperatorID: op.ID, Region: "510104",
			TransportCertNo: "510104000001", TransportCertUntil: civil.Today().AddDays(400),
			TerminalPhone: fmt.Sprintf("1390000%04d", i)}
		if c.Passenger() {
			f.Seats = 40
		} else {
			f.RatedLoadKg = 20000
		}
		if c == registry.CategoryTaxi {
			f.PlateColor, f.Seats = registry.PlateBlue, 5
		}
		v, err := reg.CreateVehicle(sys, f)
		if err != nil {
			t.Fatalf("create vehicle %d: %v", i, err)
		}
		p.vehicles = append(p.vehicles, sim.VehicleOf(v, nil))
	}
	p.bus = bustest.StartEmbedded(t)
	prefix := bustest.Prefix(t, p.bus)
	p.stream = prefix + "_POSITIONS"
	g, err := gateway.New(gateway.Config{Stream: p.stream, SubjectPrefix: prefix + ".pos", Partitions: 4,
		AuthSecret: []byte("secret of the simulator test gw")}, p.bus, reg, slog.New(slog.DiscardHandler), nil)
	if err != nil {
		t.Fatal(err)
	}
	p.g = g
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p.addr = ln.Addr().String()
	gctx, cancel := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() { done <- g.Serve(gctx, ln) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("gateway: %v", err)
		}
	})
	return p
}

func (p *platform) stored(t *testing.T) []gateway.Position {
	t.Helper()
	ctx := context.Background()
	st, err := p.bus.StreamState(ctx, p.stream)
	if err != nil {
		t.Fatalf("stream state: %v", err)
	}
	var out []gateway.Position
	for seq := st.FirstSeq; seq <= st.LastSeq && seq > 0; seq++ {
		m, err := p.bus.GetMsg(ctx, p.stream, seq)
		if err != nil {
			t.Fatalf("get %d: %v", seq, err)
		}
		if out, err = gateway.DecodePositions(m.Data, out); err != nil {
			t.Fatalf("decode %d: %v", seq, err)
		}
	}
	return out
}

// TestFleetAgainstGateway drives 60 vehicles in all three protocol
// editions through a real gateway for half a simulated hour: every
// terminal registers and authenticates, positions are acknowledged after
// they are stored, the stored positions lie on roads at lawful speeds
// (scenario vehicles aside), blind-area batches arrive marked as such, and
// a text message from the platform is answered.
func TestFleetAgainstGateway(t *testing.T) {
	if testing.Short() {
		t.Skip("end-to-end run")
	}
	// The figure: a thousand vehicles driven against a running
	// gateway, positions on the roads and within their limits.
	const vehicles = 1000
	p := startPlatform(t, vehicles)
	w, err := sim.Chengdu()
	if err != nil {
		t.Fatal(err)
	}
	mix, _ := sim.ParseMix("blindarea=10,sos=10")
	fleet, err := sim.NewFleet(w, p.vehicles, sim.Config{
		Server: p.addr, Seed: 11, Start: time.Date(2026, 3, 10, 10, 0, 0, 0, time.Local), Speedup: 600,
		Interval: 10 * time.Second, Scenarios: mix, Versions: sim.VersionMix{V2011: 34, V2013: 33, V2019: 33},
	})
	if err != nil {
		t.Fatal(err)
	}
	scen := map[string]sim.Scenario{}
	for _, tr := range fleet.Tracks() {
		scen[registry.NormalizeTerminalPhone(tr.Vehicle().TerminalPhone)] = tr.Scenarios()
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- fleet.Run(ctx) }()
	st := fleet.Stats()
	deadline := time.Now().Add(20 * time.Second)
	for st.Connected.Load() < vehicles && time.Now().Before(deadline) {
		time.Sleep(20 * time.Millisecond)
	}
	if st.Connected.Load() < vehicles {
		t.Fatalf("%d of %d terminals connected (errors %d)", st.Connected.Load(), vehicles, st.Errors.Load())
	}
	reply, err := p.g.Send(ctx, p.vehicles[0].TerminalPhone, &jt808.TextMessage{Flag: jt808.TextDisplay, Text: "请注意行车安全"})
	if err != nil {
		t.Fatalf("text message: %v", err)
	}
	t.Logf("text reply: %+v", reply)
	time.Sleep(3 * time.Second) // half an hour simulated
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	t.Logf("sent %d acked %d rejected %d dropped %d errors %d texts %d; ack p50 %s p99 %s",
		st.Sent.Load(), st.Acked.Load(), st.Rejected.Load(), st.Dropped.Load(), st.Errors.Load(), st.Texts.Load(),
		st.Latency.Quantile(0.5), st.Latency.Quantile(0.99))
	if st.Texts.Load() != 1 {
		t.Errorf("%d text messages answered, want 1", st.Texts.Load())
	}
	if st.Acked.Load() < 1000 || st.Rejected.Load() != 0 {
		t.Errorf("acked %d rejected %d", st.Acked.Load(), st.Rejected.Load())
	}
	ps := p.stored(t)
	if int64(len(ps)) < st.Acked.Load() {
		t.Errorf("%d positions stored, %d acknowledged", len(ps), st.Acked.Load())
	}
	var dists []float64
	var blind, sos, fast int
	for _, pos := range ps {
		sc := scen[pos.Phone]
		if pos.BlindArea {
			blind++
			if !sc.Has(sim.BlindArea) {
				t.Errorf("blind-area record from %s (%s)", pos.Phone, sc)
			}
			if !pos.DeviceTime.Before(pos.ReceiveTime) {
				t.Errorf("blind-area record not in the past")
			}
		}
		if pos.Alarm&1 != 0 {
			sos++
		}
		pt := roadnet.FromMicro(int64(pos.Lat), int64(pos.Lon))
		s, _ := w.G.NearestEdge(pt)
		dists = append(dists, s.Distance)
		// Near an intersection the nearest road may be the crossing one.
		ed := w.G.Edge(s.Edge)
		nearNode := min(roadnet.Distance(pt, w.G.Node(ed.From)), roadnet.Distance(pt, w.G.Node(ed.To))) < 30
		if float64(pos.Speed)/10 > w.G.EdgeWay(s.Edge).MaxSpeed && !nearNode {
			fast++
		}
	}
	slices.Sort(dists)
	if m := dists[len(dists)/2]; m >= 5 {
		t.Errorf("median distance of stored positions to the road %.1f m", m)
	}
	if fast > len(ps)/100 {
		t.Errorf("%d of %d stored positions faster than their road allows", fast, len(ps))
	}
	if blind == 0 || sos == 0 {
		t.Errorf("%d blind-area records, %d with the SOS bit", blind, sos)
	}
	t.Logf("%d stored, median distance %.2f m, %d blind-area, %d SOS", len(ps), dists[len(dists)/2], blind, sos)
}

// TestLoadAgainstGateway runs both load modes briefly against a real
// gateway from four source addresses and measures this test process as
// the server (the gateway runs inside it).
func TestLoadAgainstGateway(t *testing.T) {
	if testing.Short() {
		t.Skip("end-to-end run")
	}
	p := startPlatform(t, 40)
	for _, tc := range []struct {
		name     string
		pipeline int
	}{{"rate", 0}, {"pipelined", 4}} {
		t.Run(tc.name, func(t *testing.T) {
			rep, err := sim.RunLoad(context.Background(), sim.LoadConfig{
				Server: p.addr, Vehicles: p.vehicles, Interval: 100 * time.Millisecond, Pipeline: tc.pipeline,
				Duration: time.Second, SourceIPs: sim.SourceIPs(4), ServerPID: os.Getpid(),
			})
			if err != nil {
				t.Fatal(err)
			}
			t.Logf("\n%s", rep)
			if rep.Connected != 40 || rep.PositionsAcked == 0 || rep.PositionsAcked != rep.PositionsSent || rep.Errors != 0 {
				t.Errorf("report %+v", rep)
			}
			if rep.AckLatencyP50Ms <= 0 || rep.AckLatencyMaxMs < rep.AckLatencyP99Ms || rep.ServerPeakRSSKB <= 0 || rep.ServerCPUSeconds <= 0 {
				t.Errorf("measurements %+v", rep)
			}
		})
	}
}
