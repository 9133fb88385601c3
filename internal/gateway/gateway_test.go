package gateway_test

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

	"github.com/google/go-cmp/cmp"

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
)

// harness is a gateway on 127.0.0.1:0 with a real registry (SQLite) and
// event log.
type harness struct {
	t        *testing.T
	g        *gateway.Gateway
	bus      *bus.Bus
	reg      *registry.Service
	addr     string
	cfg      gateway.Config
	vehicles []*registry.Vehicle // terminal phones 13900000001...
	operator *registry.Operator
}

func testLogger() *slog.Logger {
	if os.Getenv("JIAOTONG_TEST_LOG") == "1" {
		return slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelDebug}))
	}
	return slog.New(slog.DiscardHandler)
}

func newRegistry(t testing.TB, nVehicles int) (*registry.Service, *registry.Operator, []*registry.Vehicle) {
	t.Helper()
	ctx := context.Background()
	db, err := sqldb.Open(ctx, sqldb.Options{SQLitePath: filepath.Join(t.TempDir(), "test.db"), Logger: testLogger()})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	if err := db.Migrate(ctx, audit.Module(), registry.Module()); err != nil {
		t.Fatal(err)
	}
	reg := registry.New(db, testLogger())
	sys := access.With(ctx, access.System)
	op, err := reg.CreateOperator(sys, registry.OperatorFields{Name: "成都测试客运", CreditCode: registrytest.CreditCode("510104", 1),
		Region: "510104", Scopes: []registry.BusinessScope{registry.ScopeScheduledCoach}})
	if err != nil {
		t.Fatalf("create operator: %v", err)
	}
	var vs []*registry.Vehicle
	for i := 1; i <= nVehicles; i++ {
		v, err := reg.CreateVehicle(sys, registry.VehicleFields{Plate: registrytest.Plate("川", "A", i), PlateColor: registry.PlateYellow,
			VIN: registrytest.VIN(i), Category: registry.CategoryCoach, Seats: 45, OperatorID: op.ID, Region: "510104",
			TransportCertNo: "510104000001", TransportCertUntil: civil.Today().AddDays(400), TerminalPhone: phoneOf(i)})
		if err != nil {
			t.Fatalf("create vehicle %d: %v", i, err)
		}
		vs = append(vs, v)
	}
	return reg, op, vs
}

func phoneOf(i int) string { return fmt.Sprintf("139%08d", i) }

func startGateway(t *testing.T, b *bus.Bus, nVehicles int, tune func(*gateway.Config)) *harness {
	t.Helper()
	reg, op, vs := newRegistry(t, nVehicles)
	prefix := bustest.Prefix(t, b)
	cfg := gateway.Config{
		Stream: prefix + "_POSITIONS", SubjectPrefix: prefix + ".pos", Partitions: 4,
		AuthSecret: []byte("test secret of the gateway, 32 b"), CommandTimeout: 5 * time.Second,
	}
	if tune != nil {
		tune(&cfg)
	}
	g, err := gateway.New(cfg, b, reg, testLogger(), nil)
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- g.Serve(ctx, ln) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("gateway serve: %v", err)
		}
	})
	h := &harness{t: t, g: g, bus: b, reg: reg, addr: ln.Addr().String(), cfg: g.Config(), vehicles: vs, operator: op}
	h.waitStream()
	return h
}

// waitStream waits until Serve declared the stream.
func (h *harness) waitStream() {
	for range 500 {
		if _, err := h.bus.StreamState(context.Background(), h.cfg.Stream); err == nil {
			return
		}
		time.Sleep(10 * time.Millisecond)
	}
	h.t.Fatalf("stream %s never appeared", h.cfg.Stream)
}

// storedPositions reads every position of the stream.
func storedPositions(t testing.TB, b *bus.Bus, stream string) []gateway.Position {
	t.Helper()
	ctx := context.Background()
	st, err := b.StreamState(ctx, stream)
	if err != nil {
		t.Fatalf("stream state: %v", err)
	}
	var out []gateway.Position
	for seq := st.FirstSeq; seq <= st.LastSeq && seq > 0; seq++ {
		m, err := b.GetMsg(ctx, stream, seq)
		if err != nil {
			t.Fatalf("get message %d: %v", seq, err)
		}
		if out, err = gateway.DecodePositions(m.Data, out); err != nil {
			t.Fatalf("decode batch %d: %v", seq, err)
		}
	}
	return out
}

// key identifies a position in comparisons.
type posKey struct {
	Vehicle  int64
	Lat, Lon int32
	Speed    uint16
	Device   int64
	Blind    bool
	Mileage  uint32
	Version  gateway.ProtocolVersion
}

func keyOf(p gateway.Position) posKey {
	return posKey{p.VehicleID, p.Lat, p.Lon, p.Speed, p.DeviceTime.Unix(), p.BlindArea, p.Mileage, p.Version}
}

func sortKeys(ks []posKey) {
	slices.SortFunc(ks, func(a, b posKey) int {
		if c := cmpInt(a.Vehicle, b.Vehicle); c != 0 {
			return c
		}
		if c := cmpInt(a.Device, b.Device); c != 0 {
			return c
		}
		return cmpInt(int64(a.Speed), int64(b.Speed))
	})
}

func cmpInt(a, b int64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

func TestIntegrationTerminalsOfEveryVersion(t *testing.T) {
	bustest.Run(t, func(t *testing.T, b *bus.Bus) {
		h := startGateway(t, b, 4, nil)
		base := time.Date(2026, 11, 3, 8, 0, 0, 0, time.UTC)
		var want []posKey
		versions := []jt808.Version{jt808.V2011, jt808.V2013, jt808.V2019}
		for i, v := range versions {
			veh := h.vehicles[i]
			tm := dialTerminal(t, h.addr, phoneOf(i+1), v)
			tm.login(veh.Plate)

			// Pipelined reports: every one is answered, in order, after
			// it is stored.
			const n = 25
			var serials []uint16
			for k := range n {
				at := base.Add(time.Duration(k) * time.Second)
				serials = append(serials, tm.send(location(k, at)))
				want = append(want, posKey{veh.ID, 30_657_400 + int32(k)*10, 104_065_800 - int32(k)*7, uint16(400 + k), at.Unix(), false, 1<<16 | uint32(k), gateway.ProtocolVersion(v)})
			}
			for _, s := range serials {
				if r := tm.response(s, jt808.MsgLocation); r != jt808.ResultOK {
					t.Fatalf("%s: location result %d", v, r)
				}
			}

			// A blind-area batch from an hour earlier.
			batch := &jt808.LocationBatch{Type: jt808.BatchBlindArea}
			for k := range 5 {
				at := base.Add(-time.Hour + time.Duration(k)*time.Minute)
				batch.Items = append(batch.Items, *location(100+k, at))
				want = append(want, posKey{veh.ID, 30_657_400 + int32(100+k)*10, 104_065_800 - int32(100+k)*7, uint16(500 + k), at.Unix(), true, 1<<16 | uint32(100+k), gateway.ProtocolVersion(v)})
			}
			s := tm.send(batch)
			if r := tm.response(s, jt808.MsgLocationBatch); r != jt808.ResultOK {
				t.Fatalf("%s: batch result %d", v, r)
			}
			s = tm.send(&jt808.Heartbeat{})
			if r := tm.response(s, jt808.MsgHeartbeat); r != jt808.ResultOK {
				t.Fatalf("%s: heartbeat result %d", v, r)
			}
		}

		var got []posKey
		stored := storedPositions(t, b, h.cfg.Stream)
		for _, p := range stored {
			got = append(got, keyOf(p))
		}
		sortKeys(want)
		sortKeys(got)
		if diff := cmp.Diff(want, got); diff != "" {
			t.Fatalf("positions in the stream (-want +got):\n%s", diff)
		}
		for _, p := range stored {
			if p.Phone == "" || p.Has&gateway.HasSatellites == 0 || p.Satellites != 12 || len(p.Extra) == 0 {
				t.Fatalf("position lost its items: %+v", p)
			}
		}
	})
}

func TestRegistrationAndAuthenticationRules(t *testing.T) {
	b := bustest.StartEmbedded(t)
	h := startGateway(t, b, 2, nil)

	t.Run("unknown terminal", func(t *testing.T) {
		tm := dialTerminal(t, h.addr, "13912345678", jt808.V2013)
		if res, code := tm.register("川A99999"); res != jt808.RegisterNoSuchTerminal || code != "" {
			t.Fatalf("register of an unknown phone: result %d code %q, want %d", res, code, jt808.RegisterNoSuchTerminal)
		}
	})
	t.Run("plate of another vehicle", func(t *testing.T) {
		tm := dialTerminal(t, h.addr, phoneOf(1), jt808.V2013)
		if res, _ := tm.register(h.vehicles[1].Plate); res != jt808.RegisterNoSuchVehicle {
			t.Fatalf("register with a foreign plate: result %d, want %d", res, jt808.RegisterNoSuchVehicle)
		}
	})
	t.Run("position before authentication", func(t *testing.T) {
		tm := dialTerminal(t, h.addr, phoneOf(1), jt808.V2013)
		s := tm.send(location(1, time.Now()))
		if r := tm.response(s, jt808.MsgLocation); r != jt808.ResultFailure {
			t.Fatalf("unauthenticated position: result %d, want failure", r)
		}
	})
	t.Run("wrong auth code", func(t *testing.T) {
		tm := dialTerminal(t, h.addr, phoneOf(1), jt808.V2019)
		s := tm.send(&jt808.Auth{Code: "WRONGCODE123"})
		if r := tm.response(s, jt808.MsgAuth); r != jt808.ResultFailure {
			t.Fatalf("wrong code: result %d, want failure", r)
		}
	})
	t.Run("code survives a restart of the gateway", func(t *testing.T) {
		// The code is derived from the secret: a fresh gateway value
		// with the same secret issues and accepts the same code.
		other, err := gateway.New(h.cfg, b, h.reg, testLogger(), nil)
		if err != nil {
			t.Fatal(err)
		}
		key := registry.NormalizeTerminalPhone(phoneOf(2))
		if other.AuthCode(key, h.vehicles[1].ID) != h.g.AuthCode(key, h.vehicles[1].ID) {
			t.Fatal("auth codes differ between two gateways with one secret")
		}
		tm := dialTerminal(t, h.addr, phoneOf(2), jt808.V2013)
		s := tm.send(&jt808.Auth{Code: other.AuthCode(key, h.vehicles[1].ID)})
		if r := tm.response(s, jt808.MsgAuth); r != jt808.ResultOK {
			t.Fatalf("auth without registering again: result %d", r)
		}
	})
	t.Run("newer connection replaces the older", func(t *testing.T) {
		old := dialTerminal(t, h.addr, phoneOf(1), jt808.V2013)
		old.login(h.vehicles[0].Plate)
		fresh := dialTerminal(t, h.addr, phoneOf(1), jt808.V2013)
		fresh.login(h.vehicles[0].Plate)
		if _, _, err := old.tryNext(5 * time.Second); err == nil {
			t.Fatal("the older connection still receives messages")
		}
		s := fresh.send(location(1, time.Now()))
		if r := fresh.response(s, jt808.MsgLocation); r != jt808.ResultOK {
			t.Fatalf("new connection's position: %d", r)
		}
	})
	t.Run("unknown message id", func(t *testing.T) {
		tm := dialTerminal(t, h.addr, phoneOf(2), jt808.V2013)
		tm.login(h.vehicles[1].Plate)
		s := tm.send(&jt808.Raw{ID: 0x0F77, Data: []byte{1, 2, 3}})
		if r := tm.response(s, 0x0F77); r != jt808.ResultNotSupported {
			t.Fatalf("unknown id: result %d, want not supported", r)
		}
	})
}

func TestFloodingAndMalformedClientsDoNotDisturbOthers(t *testing.T) {
	b := bustest.StartEmbedded(t)
	h := startGateway(t, b, 3, nil)
	good := dialTerminal(t, h.addr, phoneOf(1), jt808.V2013)
	good.login(h.vehicles[0].Plate)

	// A client sending garbage and frames with bad check codes is
	// disconnected after MaxBadFrames.
	bad, err := net.Dial("tcp", h.addr)
	if err != nil {
		t.Fatal(err)
	}
	defer bad.Close()
	go func() {
		junk := []byte{0x7e, 0x02, 0x00, 0x00, 0x01, 0x01, 0x39, 0, 0, 0, 3, 0, 1, 0x55, 0x7e}
		for range 1000 {
			if _, err := bad.Write(junk); err != nil {
				return
			}
		}
	}()

	// A flooding terminal pipelines thousands of reports without reading
	// its replies.
	flood := dialTerminal(t, h.addr, phoneOf(2), jt808.V2013)
	flood.login(h.vehicles[1].Plate)
	go func() {
		var burst []byte
		for k := range 200 {
			f, _ := flood.frame(location(k, time.Now()))
			burst = append(burst, f...)
		}
		for range 50 {
			_ = flood.c.SetWriteDeadline(time.Now().Add(5 * time.Second))
			if _, err := flood.c.Write(burst); err != nil {
				return
			}
		}
	}()

	for k := range 50 {
		s := good.send(location(k, time.Now()))
		if r := good.response(s, jt808.MsgLocation); r != jt808.ResultOK {
			t.Fatalf("well-behaved terminal: result %d", r)
		}
	}
	// The garbage sender was cut off.
	_ = bad.SetReadDeadline(time.Now().Add(10 * time.Second))
	buf := make([]byte, 4096)
	for {
		if _, err := bad.Read(buf); err != nil {
			break
		}
	}
}

func TestSubpackagedBatchIsReassembled(t *testing.T) {
	b := bustest.StartEmbedded(t)
	h := startGateway(t, b, 1, nil)
	tm := dialTerminal(t, h.addr, phoneOf(1), jt808.V2013)
	tm.login(h.vehicles[0].Plate)

	// A 0x0704 batch too long for one frame, sent in three packages with
	// the second one first missing.
	batch := &jt808.LocationBatch{Type: jt808.BatchNormal}
	for k := range 40 {
		batch.Items = append(batch.Items, *location(k, time.Date(2026, 11, 3, 9, 0, k, 0, time.UTC)))
	}
	body, err := batch.AppendBody(nil, jt808.V2013)
	if err != nil {
		t.Fatal(err)
	}
	var parts [][]byte
	for len(body) > 0 {
		n := min(len(body), 500)
		parts = append(parts, body[:n])
		body = body[n:]
	}
	first := tm.serial
	frag := func(i int) []byte {
		hd := jt808.Header{Version: jt808.V2013, Phone: tm.phone, Serial: first + uint16(i), Subpackage: true,
			Total: uint16(len(parts)), Index: uint16(i + 1)}
		f, err := jt808.Encode(nil, hd, &jt808.Raw{ID: jt808.MsgLocationBatch, Data: parts[i]})
		if err != nil {
			t.Fatal(err)
		}
		return f
	}
	tm.serial += uint16(len(parts))
	tm.write(frag(0))
	tm.response(first, jt808.MsgLocationBatch)
	last := len(parts) - 1
	tm.write(frag(last))
	tm.response(first+uint16(last), jt808.MsgLocationBatch)
	hd, req := tm.next()
	rr, ok := req.(*jt808.ResendRequest)
	if !ok || rr.OriginalSerial != first || len(rr.Indexes) != last-1 || rr.Indexes[0] != 2 {
		t.Fatalf("expected a 0x8003 for the missing package, got %s %+v", jt808.MsgIDString(hd.MsgID), req)
	}
	for i := 1; i < last-1; i++ {
		tm.write(frag(i))
		tm.response(first+uint16(i), jt808.MsgLocationBatch)
	}
	// The completing package is answered once the joined batch is stored.
	tm.write(frag(last - 1))
	if r := tm.response(first+uint16(last-1), jt808.MsgLocationBatch); r != jt808.ResultOK {
		t.Fatalf("joined batch: result %d", r)
	}
	if got := storedPositions(t, b, h.cfg.Stream); len(got) != 40 {
		t.Fatalf("stream holds %d positions, want 40", len(got))
	}
}

func TestRepliesAfterAQuietPeriod(t *testing.T) {
	b := bustest.StartEmbedded(t)
	h := startGateway(t, b, 1, func(c *gateway.Config) { c.WriteTimeout = 50 * time.Millisecond })
	tm := dialTerminal(t, h.addr, phoneOf(1), jt808.V2013)
	tm.login(h.vehicles[0].Plate)
	// Longer than the write timeout of the replies sent so far.
	time.Sleep(200 * time.Millisecond)
	s := tm.send(location(1, time.Now()))
	if r := tm.response(s, jt808.MsgLocation); r != jt808.ResultOK {
		t.Fatalf("position after a quiet period: result %d", r)
	}
}
