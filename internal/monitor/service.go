package monitor

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/jiaotong-platform/jiaotong/internal/gateway"
	"github.com/jiaotong-platform/jiaotong/internal/platform/access"
	"github.com/jiaotong-platform/jiaotong/internal/platform/apperr"
	"github.com/jiaotong-platform/jiaotong/internal/platform/bus"
	"github.com/jiaotong-platform/jiaotong/internal/platform/sqldb"
	"github.com/jiaotong-platform/jiaotong/internal/registry"
	"github.com/jiaotong-platform/jiaotong/internal/roadnet"
)

// Service is the monitor: create it with New, run it with Run, expose it
// with Register.
type Service struct {
	db     *sqldb.DB
	bus    *bus.Bus
	reg    Registry
	cmds   Commands
	cfg    Config
	logger *slog.Logger
	graph  *roadnet.Graph

	eng *Engine
	// procMu serialises the engine's writers (consumer and offline timer)
	// with their SQL writes, so alarm changes are stored in engine order.
	procMu sync.Mutex

	cacheMu sync.Mutex
	cache   map[int64]*cachedVehicle
	routes  map[int64]*cachedRoutes // by operator

	hooksMu  sync.RWMutex
	webhooks []Webhook

	wake     chan struct{}
	caughtUp atomic.Bool
	ready    chan struct{}
	readyOne sync.Once

	lastSeq  uint64
	dirty    map[int64]bool
	lastSnap time.Time
	// ahead is set once alarm changes the engine has made could not be
	// stored (the store was interrupted by shutdown): the in-memory state is
	// then ahead of SQL, and snapshotting it would make a restart treat the
	// unstored positions as already seen and lose their alarms. From then
	// on this process writes no snapshot; the next start replays from the
	// last good checkpoint and makes the same changes again.
	ahead bool
	now   func() time.Time

	kpi *indicatorCounters // day counters of the indicators; procMu guards them
}

type cachedVehicle struct {
	info *VehicleInfo // nil: not in the registry
	at   time.Time
}

type cachedRoutes struct {
	routes []registry.Route
	at     time.Time
}

// New returns a monitor. reg resolves vehicles (category, operator, region,
// route); cmds sends texts to drivers and may be nil (then handling with a
// text fails with ErrUnavailable). cfg.Graph, when nil, is loaded from the
// built-in Chengdu network by Run.
func New(db *sqldb.DB, b *bus.Bus, reg Registry, cmds Commands, cfg Config, logger *slog.Logger) *Service {
	if logger == nil {
		logger = slog.Default()
	}
	cfg = cfg.withDefaults()
	s := &Service{db: db, bus: b, reg: reg, cmds: cmds, cfg: cfg, logger: logger.With("module", "monitor"),
		graph: cfg.Graph, cache: map[int64]*cachedVehicle{}, routes: map[int64]*cachedRoutes{},
		wake: make(chan struct{}, 1), ready: make(chan struct{}), dirty: map[int64]bool{}, now: time.Now}
	s.eng = NewEngine(cfg.Graph, nil, nil, cfg.Location)
	return s
}

// Ready is closed once Run has loaded its state and started consuming.
func (s *Service) Ready() <-chan struct{} { return s.ready }

// Run loads rules, fences and the last snapshot, then consumes positions,
// runs the offline timer and delivers events until ctx ends. On return it
// writes a final snapshot.
func (s *Service) Run(ctx context.Context) error {
	if s.graph == nil && !s.cfg.NoRoadNetwork {
		g, err := roadnet.Chengdu()
		if err != nil {
			s.logger.Warn("monitor: no road network, road classes unknown", slog.Any("err", err))
		} else {
			s.graph = g
			s.eng.mu.Lock()
			s.eng.setGraph(g)
			s.eng.mu.Unlock()
		}
	}
	if err := seedRuleSets(ctx, s.db); err != nil {
		return err
	}
	if err := s.reloadRules(ctx); err != nil {
		return err
	}
	if err := s.reloadFences(ctx); err != nil {
		return err
	}
	if err := s.reloadWebhooks(ctx); err != nil {
		return err
	}
	states, seq, err := loadSnapshot(ctx, s.db)
	if err != nil {
		return err
	}
	s.eng.mu.Lock()
	s.eng.vehicles = states
	s.eng.mu.Unlock()
	s.lastSeq = seq
	s.lastSnap = s.now()
	if err := s.bus.EnsureStream(ctx, bus.StreamConfig{Name: s.cfg.EventsStream, Subjects: []string{s.cfg.EventsPrefix + ".>"},
		Description: "monitor events: alarm lifecycle and vehicle state (JSON envelopes)", MaxAge: 7 * 24 * time.Hour,
		Duplicates: 2 * time.Minute}); err != nil {
		return fmt.Errorf("monitor: %w", err)
	}

	cc := bus.ConsumerConfig{Stream: s.cfg.PositionsStream, Description: "monitor: live state and rules",
		Batch: s.cfg.Batch, AckWait: time.Minute}
	for _, p := range s.cfg.Partitions {
		cc.FilterSubjects = append(cc.FilterSubjects, s.cfg.PositionsPrefix+"."+strconv.Itoa(p))
	}
	switch {
	case seq > 0:
		cc.DeliverPolicy, cc.StartSeq = bus.DeliverByStartSeq, seq+1
	case s.cfg.ReplayFromStart:
		cc.DeliverPolicy = bus.DeliverAll
	default:
		cc.DeliverPolicy = bus.DeliverNew
	}
	if err := s.bus.WaitStream(ctx, s.cfg.PositionsStream); err != nil {
		if ctx.Err() != nil {
			return nil
		}
		return fmt.Errorf("monitor: wait for %s: %w", s.cfg.PositionsStream, err)
	}
	s.logger.Info("monitor: starting", slog.Int("vehicles", len(states)), slog.Uint64("from_seq", seq+1))

	parent := ctx
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var wg sync.WaitGroup
	wg.Go(func() { s.outboxLoop(ctx) })
	wg.Go(func() { s.offlineLoop(ctx) })
	wg.Go(func() { s.backgroundLoop(ctx) })
	s.readyOne.Do(func() { close(s.ready) })
	// The checkpoint lives with the snapshot in SQL, so the consumer is
	// re-created at it on every start (an ephemeral consumer: a durable's
	// own acknowledgements could run ahead of the last snapshot, and the
	// positions in between would never reach the restored state).
	err = s.bus.ConsumeBatch(ctx, cc, s.handleBatch)
	cancel()
	wg.Wait()
	sctx, scancel := context.WithTimeout(context.WithoutCancel(ctx), 30*time.Second)
	defer scancel()
	if serr := s.snapshot(sctx); serr != nil {
		s.logger.Error("monitor: final snapshot", slog.Any("err", serr))
	}
	if err != nil && parent.Err() == nil {
		return fmt.Errorf("monitor: consume %s: %w", s.cfg.PositionsStream, err)
	}
	return nil
}

// handleBatch processes one batch of position messages in stream order.
func (s *Service) handleBatch(ctx context.Context, msgs []*bus.Msg) error {
	var ps []gateway.Position
	type item struct {
		seq uint64
		n   int
	}
	var bounds []item
	for _, m := range msgs {
		if m.Sequence <= s.lastSeq {
			continue // already in the restored state
		}
		var err error
		before := len(ps)
		ps, err = gateway.DecodePositions(m.Data, ps)
		if err != nil {
			s.logger.Error("monitor: undecodable position batch", slog.Uint64("seq", m.Sequence), slog.Any("err", err))
			ps = ps[:before]
		}
		bounds = append(bounds, item{m.Sequence, len(ps)})
	}
	if len(bounds) == 0 {
		return nil
	}
	infos := s.vehicleInfos(ctx, ps)
	s.procMu.Lock()
	defer s.procMu.Unlock()
	var changes []change
	s.eng.mu.Lock()
	for i := range ps {
		changes = s.processCounted(&ps[i], infos[ps[i].VehicleID], changes)
		s.dirty[ps[i].VehicleID] = true
	}
	s.eng.mu.Unlock()
	if err := s.storeRetrying(ctx, changes); err != nil {
		s.ahead = true
		return err
	}
	s.lastSeq = bounds[len(bounds)-1].seq
	s.caughtUp.Store(len(msgs) < s.cfg.Batch)
	if s.now().Sub(s.lastSnap) >= s.cfg.SnapshotEvery {
		if err := s.snapshotLocked(ctx); err != nil {
			s.logger.Warn("monitor: snapshot", slog.Any("err", err))
		}
	}
	return nil
}

// StoredSeq is the positions stream sequence up to which every alarm change
// is stored: the checkpoint the next snapshot will record. Replay after a
// restart starts at most from here.
func (s *Service) StoredSeq() uint64 {
	s.procMu.Lock()
	defer s.procMu.Unlock()
	return s.lastSeq
}

// storeRetrying writes changes until it succeeds or ctx ends: the engine
// has already moved on, so the positions cannot simply be redelivered.
func (s *Service) storeRetrying(ctx context.Context, changes []change) error {
	delay := 100 * time.Millisecond
	for {
		err := s.store(ctx, changes)
		if err == nil {
			return nil
		}
		s.logger.Warn("monitor: store alarm changes, retrying", slog.Any("err", err))
		select {
		case <-ctx.Done():
			return err
		case <-time.After(delay):
		}
		delay = min(delay*2, 10*time.Second)
	}
}

// snapshot writes the dirty vehicles' state with the checkpoint.
func (s *Service) snapshot(ctx context.Context) error {
	s.procMu.Lock()
	defer s.procMu.Unlock()
	return s.snapshotLocked(ctx)
}

func (s *Service) snapshotLocked(ctx context.Context) error {
	if s.ahead {
		s.logger.Warn("monitor: snapshot skipped: alarm changes were not stored; the next start replays them",
			slog.Uint64("checkpoint_seq", s.lastSeq))
		return nil
	}
	states := map[int64][]byte{}
	s.eng.mu.RLock()
	for id := range s.dirty {
		if st := s.eng.vehicles[id]; st != nil {
			b, err := json.Marshal(st)
			if err != nil {
				s.eng.mu.RUnlock()
				return err
			}
			states[id] = b
		}
	}
	s.eng.mu.RUnlock()
	if err := saveSnapshot(ctx, s.db, states, s.lastSeq); err != nil {
		return err
	}
	if err := s.flushIndicatorCounters(ctx); err != nil {
		s.logger.Warn("monitor: flush indicator counters", slog.Any("err", err))
	}
	clear(s.dirty)
	s.lastSnap = s.now()
	return nil
}

func (s *Service) offlineLoop(ctx context.Context) {
	t := time.NewTicker(s.cfg.OfflineCheckEvery)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			if err := s.CheckOffline(ctx); err != nil {
				s.logger.Warn("monitor: offline check", slog.Any("err", err))
			}
		}
	}
}

// CheckOffline runs the offline rule now; the timer calls it, and only once
// the consumer has caught up with the stream.
func (s *Service) CheckOffline(ctx context.Context) error {
	if !s.caughtUp.Load() {
		return nil
	}
	s.procMu.Lock()
	defer s.procMu.Unlock()
	s.eng.mu.Lock()
	changes := s.eng.CheckOffline(s.now(), nil)
	for _, c := range changes {
		s.dirty[c.vehicle] = true
	}
	s.eng.mu.Unlock()
	if err := s.storeRetrying(ctx, changes); err != nil {
		s.ahead = true
		return err
	}
	return nil
}

// --- registry cache ---

func (s *Service) vehicleInfos(ctx context.Context, ps []gateway.Position) map[int64]*VehicleInfo {
	out := map[int64]*VehicleInfo{}
	for i := range ps {
		id := ps[i].VehicleID
		if _, ok := out[id]; !ok {
			out[id] = s.vehicleInfo(ctx, id)
		}
	}
	return out
}

// vehicleInfo returns the registry data of a vehicle, cached for
// VehicleCacheTTL; a failing registry keeps the stale entry.
func (s *Service) vehicleInfo(ctx context.Context, id int64) *VehicleInfo {
	now := s.now()
	s.cacheMu.Lock()
	c := s.cache[id]
	s.cacheMu.Unlock()
	if c != nil && now.Sub(c.at) < s.cfg.VehicleCacheTTL {
		return c.info
	}
	if s.reg == nil {
		return nil
	}
	sctx := access.With(ctx, access.System)
	v, err := s.reg.Vehicle(sctx, id)
	if err != nil {
		if !errors.Is(err, apperr.ErrNotFound) {
			s.logger.Warn("monitor: registry lookup", slog.Int64("vehicle", id), slog.Any("err", err))
			if c != nil {
				return c.info
			}
			return nil
		}
		s.cacheMu.Lock()
		s.cache[id] = &cachedVehicle{at: now}
		s.cacheMu.Unlock()
		return nil
	}
	info := &VehicleInfo{ID: v.ID, Plate: v.Plate, Category: v.Category, OperatorID: v.OperatorID, Region: v.Region}
	info.Route = s.routeOf(sctx, v)
	s.cacheMu.Lock()
	s.cache[id] = &cachedVehicle{info: info, at: now}
	s.cacheMu.Unlock()
	return info
}

func (s *Service) routeOf(ctx context.Context, v *registry.Vehicle) *RouteInfo {
	now := s.now()
	s.cacheMu.Lock()
	cr := s.routes[v.OperatorID]
	s.cacheMu.Unlock()
	if cr == nil || now.Sub(cr.at) >= s.cfg.VehicleCacheTTL {
		rs, _, err := s.reg.Routes(ctx, registry.Filter{OperatorID: v.OperatorID, Limit: 10000})
		if err != nil {
			s.logger.Warn("monitor: registry routes", slog.Int64("operator", v.OperatorID), slog.Any("err", err))
			if cr == nil {
				return nil
			}
		} else {
			cr = &cachedRoutes{routes: rs, at: now}
			s.cacheMu.Lock()
			s.routes[v.OperatorID] = cr
			s.cacheMu.Unlock()
		}
	}
	for i := range cr.routes {
		r := &cr.routes[i]
		if !slices.Contains(r.VehicleIDs, v.ID) {
			continue
		}
		ri := &RouteInfo{ID: r.ID, Code: r.Code, DistanceKm: r.DistanceKm, WidthM: float64(r.CorridorWidthM)}
		if c := r.Corridor; c != nil && len(c.Coordinates) >= 2 {
			ri.corridor = newShape(FenceCorridor, c.Coordinates, nil, 0, ri.WidthM)
		}
		return ri
	}
	return nil
}

// RouteFromGeometry builds a RouteInfo for tests and tools: a corridor
// centre line of [lon, lat] points and its width.
func RouteFromGeometry(id int64, code string, distanceKm, widthM float64, line [][]float64) *RouteInfo {
	ri := &RouteInfo{ID: id, Code: code, DistanceKm: distanceKm, WidthM: widthM}
	if len(line) >= 2 {
		ri.corridor = newShape(FenceCorridor, line, nil, 0, widthM)
	}
	return ri
}

// --- reloads ---

func (s *Service) reloadRules(ctx context.Context) error {
	sets, err := listRuleSets(ctx, s.db.Read())
	if err != nil {
		return err
	}
	s.eng.mu.Lock()
	s.eng.setRules(sets)
	s.eng.mu.Unlock()
	return nil
}

func (s *Service) reloadFences(ctx context.Context) error {
	gs, err := listGeofences(ctx, s.db.Read(), access.All, true)
	if err != nil {
		return err
	}
	s.eng.mu.Lock()
	s.eng.setFences(gs)
	s.eng.mu.Unlock()
	return nil
}

// errNoCommands is returned when no command sender was wired in.
var errNoCommands = fmt.Errorf("monitor: sending texts to terminals is not available: %w", apperr.ErrUnavailable)

// nullMs turns an optional time into a nullable column value.
func nullMs(t *time.Time) sql.NullInt64 {
	if t == nil {
		return sql.NullInt64{}
	}
	return sql.NullInt64{Int64: t.UnixMilli(), Valid: true}
}
