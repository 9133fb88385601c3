package monitor

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/jiaotong-platform/jiaotong/internal/gateway"
	"github.com/jiaotong-platform/jiaotong/internal/platform/access"
	"github.com/jiaotong-platform/jiaotong/internal/platform/apperr"
	"github.com/jiaotong-platform/jiaotong/internal/platform/audit"
	"github.com/jiaotong-platform/jiaotong/internal/platform/bus"
	"github.com/jiaotong-platform/jiaotong/internal/platform/bus/bustest"
	"github.com/jiaotong-platform/jiaotong/internal/platform/sqldb"
	"github.com/jiaotong-platform/jiaotong/internal/platform/sqldb/sqldbtest"
	"github.com/jiaotong-platform/jiaotong/internal/registry"
	"github.com/jiaotong-platform/jiaotong/internal/registry/registrytest"
)

// staticRegistry serves fixed vehicles (the registry has its own tests;
// here only the monitor's use of the data matters).
type staticRegistry map[int64]*registry.Vehicle

func (r staticRegistry) Vehicle(_ context.Context, id int64) (*registry.Vehicle, error) {
	if v, ok := r[id]; ok {
		return v, nil
	}
	return nil, apperr.NotFound("vehicle", id)
}

func (r staticRegistry) Routes(context.Context, registry.Filter) ([]registry.Route, int, error) {
	return nil, 0, nil
}

func testRegistry() staticRegistry {
	v := func(id int64, plate string, op int64, region string) *registry.Vehicle {
		return &registry.Vehicle{Meta: registry.Meta{ID: id}, VehicleFields: registry.VehicleFields{Plate: plate,
			Category: registry.CategoryCoach, OperatorID: op, Region: region}}
	}
	return staticRegistry{1: v(1, "川A12345", 7, "510104"), 2: v(2, "川A54321", 8, "510105")}
}

func quiet() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }

func migrated(t *testing.T, db *sqldb.DB) {
	t.Helper()
	if err := db.Migrate(t.Context(), audit.Module(), Module()); err != nil {
		t.Fatal(err)
	}
}

func publish(t *testing.T, b *bus.Bus, ps []gateway.Position) {
	t.Helper()
	for i := 0; i < len(ps); i += 7 {
		chunk := ps[i:min(i+7, len(ps))]
		if _, err := b.Publish(t.Context(), "pos.0", gateway.AppendPositions(nil, chunk)); err != nil {
			t.Fatal(err)
		}
	}
}

// runUntil runs a service until cond holds, then stops it gracefully.
func runUntil(t *testing.T, s *Service, cond func() bool) {
	t.Helper()
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan error, 1)
	go func() { done <- s.Run(ctx) }()
	deadline := time.Now().Add(20 * time.Second)
	for !cond() {
		select {
		case err := <-done:
			t.Fatalf("monitor stopped: %v", err)
		default:
		}
		if time.Now().After(deadline) {
			cancel()
			<-done
			t.Fatalf("condition not reached: last %v", lastDev(s, 1))
		}
		time.Sleep(20 * time.Millisecond)
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
}

func lastDev(s *Service, id int64) time.Time {
	s.eng.mu.RLock()
	defer s.eng.mu.RUnlock()
	if st := s.eng.vehicles[id]; st != nil {
		return time.UnixMilli(st.LastDev)
	}
	return time.Time{}
}

// storedAll reports whether s has stored the alarm changes of every
// position in the stream (its checkpoint moves only after they commit) and
// delivered their events.
func storedAll(t *testing.T, s *Service, b *bus.Bus, db *sqldb.DB) bool {
	st, err := b.StreamState(t.Context(), "POSITIONS")
	if err != nil {
		t.Fatal(err)
	}
	s.procMu.Lock()
	seq := s.lastSeq
	s.procMu.Unlock()
	return seq >= st.LastSeq && outboxEmpty(t, db)
}

func outboxEmpty(t *testing.T, db *sqldb.DB) bool {
	var n int
	if err := db.Read().QueryRowContext(t.Context(), `SELECT COUNT(*) FROM monitor_outbox`).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n == 0
}

type alarmRow struct {
	Rule       Rule
	Start, End string
	Peak       float64
}

func storedAlarms(t *testing.T, db *sqldb.DB) []alarmRow {
	var out []alarmRow
	_, err := listAlarms(t.Context(), db, access.All, AlarmFilter{Sort: "start_at"}, func(a *Alarm) error {
		r := alarmRow{Rule: a.Rule, Start: clock(a.StartAt.UnixMilli()), Peak: a.Peak}
		if a.EndAt != nil {
			r.End = clock(a.EndAt.UnixMilli())
		}
		out = append(out, r)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// TestRestartLosesNothingDuplicatesNothing stops the monitor after the first
// part of a run, lets a second instance store the alarms of the second
// part, then rewinds the snapshot to the end of the first part (a crash
// before the next snapshot): the third instance replays the second part and
// must neither duplicate nor lose an alarm or an event.
func TestRestartLosesNothingDuplicatesNothing(t *testing.T) {
	sqldbtest.Run(t, func(t *testing.T, db *sqldb.DB) {
		migrated(t, db)
		b := bustest.StartEmbedded(t)
		if err := b.EnsureStream(t.Context(), bus.StreamConfig{Name: "POSITIONS", Subjects: []string{"pos.>"}}); err != nil {
			t.Fatal(err)
		}
		all := track(1, at(10, 0), 30*time.Second,
			seg{dur: 10 * time.Minute, speed: 80}, seg{dur: 3 * time.Minute, speed: 118}, seg{dur: 2 * time.Minute, speed: 80},
			seg{dur: time.Minute, speed: 125}, seg{dur: 14 * time.Minute, speed: 80})
		part1, part2, part3 := all[:22], all[22:40], all[40:]
		cfg := Config{ReplayFromStart: true, NoRoadNetwork: true, SnapshotEvery: time.Hour, OfflineCheckEvery: time.Hour, OutboxPoll: 50 * time.Millisecond}
		newSvc := func() *Service { return New(db, b, testRegistry(), nil, cfg, quiet()) }

		publish(t, b, part1)
		s1 := newSvc()
		runUntil(t, s1, func() bool { return storedAll(t, s1, b, db) })
		var saved []struct {
			id    int64
			state string
		}
		rows, err := db.Read().QueryContext(t.Context(), `SELECT vehicle_id, state FROM monitor_vehicle_states`)
		if err != nil {
			t.Fatal(err)
		}
		for rows.Next() {
			var r struct {
				id    int64
				state string
			}
			if err := rows.Scan(&r.id, &r.state); err != nil {
				t.Fatal(err)
			}
			saved = append(saved, r)
		}
		rows.Close()
		var seq int64
		if err := db.Read().QueryRowContext(t.Context(), `SELECT seq FROM monitor_checkpoints`).Scan(&seq); err != nil {
			t.Fatal(err)
		}

		publish(t, b, part2)
		s2 := newSvc()
		runUntil(t, s2, func() bool { return storedAll(t, s2, b, db) })

		// Crash: the alarms of part 2 are stored, the snapshot is not.
		states := map[int64][]byte{}
		for _, r := range saved {
			states[r.id] = []byte(r.state)
		}
		if err := saveSnapshot(t.Context(), db, states, uint64(seq)); err != nil {
			t.Fatal(err)
		}

		publish(t, b, part3)
		s3 := newSvc()
		runUntil(t, s3, func() bool { return storedAll(t, s3, b, db) })

		want := []alarmRow{
			{Rule: RuleOverspeed, Start: "10:10:00", End: "10:13:00", Peak: 118},
			{Rule: RuleOverspeed, Start: "10:15:00", End: "10:16:00", Peak: 125},
		}
		if diff := cmp.Diff(want, storedAlarms(t, db)); diff != "" {
			t.Errorf("alarms (-want +got):\n%s", diff)
		}
		// Events on EVENTS: each lifecycle change once.
		info, err := b.StreamState(t.Context(), "EVENTS")
		if err != nil {
			t.Fatal(err)
		}
		count := map[string]int{}
		for seq := info.FirstSeq; seq <= info.LastSeq && seq > 0; seq++ {
			m, err := b.GetMsg(t.Context(), "EVENTS", seq)
			if err != nil {
				t.Fatal(err)
			}
			var ev Event
			if err := json.Unmarshal(m.Data, &ev); err != nil {
				t.Fatal(err)
			}
			if ev.Type != EventVehicleState {
				count[ev.Type]++
			}
		}
		if diff := cmp.Diff(map[string]int{EventAlarmRaised: 2, EventAlarmEnded: 2}, count); diff != "" {
			t.Errorf("alarm events (-want +got):\n%s", diff)
		}
	})
}

// TestInterruptedStoreIsReplayed: when shutdown interrupts the store of a
// batch's alarm changes, the engine has already moved past those positions.
// The process must not snapshot that state (a restart would take the
// positions as seen and never raise their alarms); the next start replays
// them from the last checkpoint instead.
func TestInterruptedStoreIsReplayed(t *testing.T) {
	sqldbtest.Run(t, func(t *testing.T, db *sqldb.DB) {
		migrated(t, db)
		b := bustest.StartEmbedded(t)
		if err := b.EnsureStream(t.Context(), bus.StreamConfig{Name: "POSITIONS", Subjects: []string{"pos.>"}}); err != nil {
			t.Fatal(err)
		}
		all := track(1, at(10, 0), 30*time.Second,
			seg{dur: 5 * time.Minute, speed: 80}, seg{dur: 3 * time.Minute, speed: 118}, seg{dur: 5 * time.Minute, speed: 80})
		calm, rest := all[:10], all[10:]
		cfg := Config{ReplayFromStart: true, NoRoadNetwork: true, SnapshotEvery: time.Hour, OfflineCheckEvery: time.Hour, OutboxPoll: 50 * time.Millisecond}
		newSvc := func() *Service { return New(db, b, testRegistry(), nil, cfg, quiet()) }

		publish(t, b, calm)
		s1 := newSvc()
		runUntil(t, s1, func() bool { return storedAll(t, s1, b, db) })
		checkpoint := func() uint64 {
			var seq int64
			if err := db.Read().QueryRowContext(t.Context(), `SELECT seq FROM monitor_checkpoints`).Scan(&seq); err != nil {
				t.Fatal(err)
			}
			return uint64(seq)
		}
		before := checkpoint()

		// The overspeed part reaches s1, whose store is cut off by shutdown.
		publish(t, b, rest)
		st, err := b.StreamState(t.Context(), "POSITIONS")
		if err != nil {
			t.Fatal(err)
		}
		var msgs []*bus.Msg
		for seq := before + 1; seq <= st.LastSeq; seq++ {
			m, err := b.GetMsg(t.Context(), "POSITIONS", seq)
			if err != nil {
				t.Fatal(err)
			}
			msgs = append(msgs, m)
		}
		stopped, cancel := context.WithCancel(t.Context())
		cancel()
		if err := s1.handleBatch(stopped, msgs); err == nil {
			t.Fatal("store with a cancelled context succeeded; the test needs it to fail")
		}
		if err := s1.snapshot(t.Context()); err != nil {
			t.Fatal(err)
		}
		if got := checkpoint(); got != before {
			t.Fatalf("checkpoint moved from %d to %d although the changes were not stored", before, got)
		}

		s2 := newSvc()
		runUntil(t, s2, func() bool { return storedAll(t, s2, b, db) })
		want := []alarmRow{{Rule: RuleOverspeed, Start: "10:05:00", End: "10:08:00", Peak: 118}}
		if diff := cmp.Diff(want, storedAlarms(t, db)); diff != "" {
			t.Errorf("alarms (-want +got):\n%s", diff)
		}
	})
}

type sentText struct {
	Terminal, Text string
}

type fakeCommands struct {
	mu   sync.Mutex
	sent []sentText
}

func (f *fakeCommands) Command(ctx context.Context, terminal string, req *gateway.CommandRequest) (*gateway.CommandResult, error) {
	if _, err := access.Require(ctx, access.PermTerminalCommand); err != nil {
		return nil, err
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	f.sent = append(f.sent, sentText{terminal, req.Text.Text})
	return &gateway.CommandResult{Kind: req.Kind, ResultLabel: "success"}, nil
}

func TestAlarmLifecycleHTTP(t *testing.T) {
	sqldbtest.Run(t, func(t *testing.T, db *sqldb.DB) {
		migrated(t, db)
		if err := seedRuleSets(t.Context(), db); err != nil {
			t.Fatal(err)
		}
		cmds := &fakeCommands{}
		s := New(db, nil, testRegistry(), cmds, Config{NoRoadNetwork: true}, quiet())
		if err := s.reloadRules(t.Context()); err != nil {
			t.Fatal(err)
		}
		// Vehicle 1 (enterprise 7, 510104) overspeeds.
		ps := track(1, at(10, 0), 30*time.Second, seg{dur: 2 * time.Minute, speed: 80}, seg{dur: 2 * time.Minute, speed: 120},
			seg{dur: time.Minute, speed: 80})
		info := s.vehicleInfo(t.Context(), 1)
		var changes []change
		for i := range ps {
			changes = s.eng.Process(&ps[i], info, changes)
		}
		if err := s.store(t.Context(), changes); err != nil {
			t.Fatal(err)
		}
		ts := apiServer(t, s)
		call := func(who, method, path string, body any) (int, map[string]any) {
			t.Helper()
			status, raw := callAPI(t, ts, who, method, path, body)
			return status, jsonObject(raw)
		}
		const (
			own      = "enterprise:510104:7"
			other    = "enterprise:510105:8"
			county   = "monitor:510105"
			city     = "regulator:510100"
			readonly = "readonly:510104"
		)
		status, page := call(own, "GET", "/alarms?rule=overspeed", nil)
		if status != 200 || page["total"].(float64) != 1 {
			t.Fatalf("own enterprise list: %d %v", status, page)
		}
		id := int64(page["items"].([]any)[0].(map[string]any)["id"].(float64))
		path := fmt.Sprintf("/alarms/%d", id)

		steps := []struct {
			name, who, method, path string
			body                    any
			status                  int
			state                   string
		}{
			{"anonymous", "", "GET", path, nil, 401, ""},
			{"other enterprise cannot see it", other, "GET", path, nil, 404, ""},
			{"other county cannot see it", county, "GET", path, nil, 404, ""},
			{"read-only cannot acknowledge", readonly, "POST", path + "/acknowledge", map[string]any{}, 403, ""},
			{"enterprise acknowledges", own, "POST", path + "/acknowledge", map[string]any{"notes": "已看到"}, 200, "acknowledged"},
			{"twice is a conflict", own, "POST", path + "/acknowledge", map[string]any{}, 409, ""},
			{"enterprise cannot close", own, "POST", path + "/close", map[string]any{}, 403, ""},
			{"enterprise handles with a text", own, "POST", path + "/handle",
				map[string]any{"action": "已下发语音提醒", "text": "您已超速，请减速慢行"}, 200, "handled"},
			{"regulator of another county cannot close", county, "POST", path + "/close", map[string]any{}, 404, ""},
			{"city regulator closes", city, "POST", path + "/close", map[string]any{"notes": "处理得当"}, 200, "closed"},
			{"closed stays closed", city, "POST", path + "/close", map[string]any{}, 409, ""},
		}
		for _, st := range steps {
			status, body := call(st.who, st.method, st.path, st.body)
			if status != st.status {
				t.Errorf("%s: status %d, want %d (%v)", st.name, status, st.status, body)
				continue
			}
			if st.state != "" && body["state"] != st.state {
				t.Errorf("%s: state %v, want %s", st.name, body["state"], st.state)
			}
		}
		if diff := cmp.Diff([]sentText{{"v1", "您已超速，请减速慢行"}}, cmds.sent); diff != "" {
			t.Errorf("texts sent (-want +got):\n%s", diff)
		}
		if status, page := call(other, "GET", "/alarms", nil); status != 200 || page["total"].(float64) != 0 {
			t.Errorf("other enterprise sees %v", page)
		}
		// Export.
		req, _ := http.NewRequest("GET", ts.URL+"/api/v1/alarms/export?format=xlsx", nil)
		req.Header.Set(registrytest.Header, city)
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		xlsx, _ := io.ReadAll(res.Body)
		res.Body.Close()
		if res.StatusCode != 200 || !bytes.HasPrefix(xlsx, []byte("PK")) {
			t.Errorf("export: %d, %d bytes", res.StatusCode, len(xlsx))
		}
		// Rules: an enterprise cannot change them, the city can for its region.
		params := DefaultParams("coach")
		params.Overspeed.Limits["default"] = 90
		if status, _ := call(own, "PUT", "/monitor/rules", map[string]any{"region": "510104", "category": "coach", "params": params}); status != 403 {
			t.Errorf("enterprise put rules: %d", status)
		}
		if status, body := call(city, "PUT", "/monitor/rules", map[string]any{"region": "510100", "category": "coach", "params": params}); status != 200 {
			t.Errorf("city put rules: %d %v", status, body)
		}
		if got := s.eng.book.resolve("510104", "coach").limits[0]; got != 90 {
			t.Errorf("resolved limit %v, want 90", got)
		}
		// Live state is scoped too.
		if status, _ := call(other, "GET", "/vehicles/1/state", nil); status != 404 {
			t.Errorf("other enterprise state: %d", status)
		}
		if status, body := call(own, "GET", "/vehicles/1/state", nil); status != 200 || body["plate"] != "川A12345" {
			t.Errorf("own state: %d %v", status, body)
		}
	})
}
