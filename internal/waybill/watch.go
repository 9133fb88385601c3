package waybill

// The e-waybill cross-checks (电子运单与动态监控比对): a consumer of the
// gateway's positions that compares what a hazardous goods vehicle does
// with its active waybill, raises the five waybill_* alarms through the
// monitor's alarm lifecycle, moves the waybill along (departure, arrival)
// and books the loaded movement of each vehicle and day from which the
// e-waybill coverage statistic is computed (coverage.go). The checks, their
// thresholds and the coverage definition are documented in
// docs/waybill-crosschecks.md.

import (
	"context"
	"embed"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"math"
	"slices"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/jiaotong-platform/jiaotong/internal/gateway"
	"github.com/jiaotong-platform/jiaotong/internal/monitor"
	"github.com/jiaotong-platform/jiaotong/internal/platform/access"
	"github.com/jiaotong-platform/jiaotong/internal/platform/apperr"
	"github.com/jiaotong-platform/jiaotong/internal/platform/bus"
	"github.com/jiaotong-platform/jiaotong/internal/platform/civil"
	"github.com/jiaotong-platform/jiaotong/internal/platform/sqldb"
	"github.com/jiaotong-platform/jiaotong/internal/protocol/jt808"
	"github.com/jiaotong-platform/jiaotong/internal/registry"
	"github.com/jiaotong-platform/jiaotong/internal/roadnet"
)

//go:embed watchmigrations
var watchMigrations embed.FS

// CrossCheckModule is the schema of the cross-checks (their per-vehicle
// state and the daily movement behind the coverage statistic). It is a
// module of its own so its versions do not interleave with the waybill
// store's.
func CrossCheckModule() sqldb.Module {
	sub, err := fs.Sub(watchMigrations, "watchmigrations")
	if err != nil {
		panic(err) // the embedded folder exists
	}
	return sqldb.Module{Name: "waybill_crosschecks", Migrations: sub}
}

// --- what the cross-checks need of other modules ---

// AlarmSink takes the cross-check alarms into the monitor's alarm
// lifecycle; *monitor.Service implements it.
type AlarmSink interface {
	ReportExternal(ctx context.Context, alarms []monitor.ExternalAlarm) error
}

// ZoneSource lists the hazmat-forbidden and sensitive zones (geofences of
// purpose hazmat_forbidden and sensitive, edited in the monitor's geofence
// API); *monitor.Service implements it.
type ZoneSource interface {
	ZonesByPurpose(ctx context.Context, purposes ...string) ([]monitor.Geofence, error)
}

// VehicleLookup tells which vehicles carry dangerous goods;
// *registry.Service implements it (called with access.System).
type VehicleLookup interface {
	Vehicle(ctx context.Context, id int64) (*registry.Vehicle, error)
}

// TripSource is what the cross-checks need of the waybill store: the
// active waybill of a vehicle, seen as a TripView, and the two moves the
// positions justify. Departed and Arrived may be called again for the same
// waybill after a restart and must then do nothing.
type TripSource interface {
	// ActiveTrip returns the waybill the vehicle (as tractor or trailer)
	// travels under now, nil when there is none.
	ActiveTrip(ctx context.Context, vehicleID int64) (*TripView, error)
	// Departed: the vehicle left the loading place loaded (issued or
	// loading → in_transit).
	Departed(ctx context.Context, trip *TripView, at time.Time) error
	// Arrived: the vehicle stopped at the unloading place; delivery is
	// proposed, the shipper or consignee confirms it.
	Arrived(ctx context.Context, trip *TripView, at time.Time) error
}

// TripView is the part of a waybill the cross-checks use.
type TripView struct {
	WaybillID  int64
	Number     string
	State      string // issued, loading, in_transit
	VehicleID  int64
	TrailerID  int64
	OperatorID int64
	Region     string
	Loading    PlaceView
	Unloading  PlaceView
	// Route is the planned route, [lon, lat] WGS-84, and CorridorM the
	// width of the corridor around it (0: the configured default).
	Route     [][2]float64
	CorridorM float64
	// PlannedDeparture and PlannedArrival bound the trip in time with the
	// places' windows (zero: unknown).
	PlannedDeparture time.Time
	PlannedArrival   time.Time
}

// PlaceView is a loading or unloading place.
type PlaceView struct {
	Name    string
	Lon     float64
	Lat     float64
	RadiusM float64
	// From and To is the place's time window (zero: none).
	From time.Time
	To   time.Time
}

// window returns the trip's time window: the earliest and latest of the
// planned departure and arrival and the places' windows.
func (t *TripView) window() (from, to time.Time, ok bool) {
	for _, v := range []time.Time{t.PlannedDeparture, t.Loading.From, t.Loading.To, t.Unloading.From, t.Unloading.To, t.PlannedArrival} {
		if v.IsZero() {
			continue
		}
		if from.IsZero() || v.Before(from) {
			from = v
		}
		if to.IsZero() || v.After(to) {
			to = v
		}
	}
	return from, to, !from.IsZero() && to.After(from)
}

// --- configuration ---

// WatchConfig tunes the cross-checks; zero fields take the defaults of
// DefaultWatchConfig.
type WatchConfig struct {
	// PositionsStream is the gateway's stream, Durable the consumer's name
	// (its checkpoint in JetStream).
	PositionsStream string
	Durable         string
	// ReplayFromStart makes a new consumer start at the first position
	// still in the stream instead of the next new one.
	ReplayFromStart bool
	Batch           int
	// Categories are the vehicle categories checked; a tractor (半挂牵引车)
	// counts only when the registry lists dangerous-goods classes for it.
	Categories []registry.VehicleCategory
	// MovingKmh: at or above this speed the vehicle moves.
	MovingKmh float64
	// MissingMinS: moving loaded without a waybill this long raises
	// waybill_missing (a single stray load bit does not).
	MissingMinS int
	// RouteToleranceM is the allowed distance from the planned route when
	// the waybill gives no corridor width (otherwise half the width);
	// DeviationMinS how long the vehicle must be beyond it.
	RouteToleranceM float64
	DeviationMinS   int
	// WindowToleranceS widens the waybill's time window on both sides.
	WindowToleranceS int
	// SensitiveStopS is the longest stop of a loaded vehicle in a
	// sensitive area whose geofence sets no dwell limit.
	SensitiveStopS int
	// PlaceRadiusM is the radius of a loading or unloading place that
	// gives none.
	PlaceRadiusM float64
	// MaxGapS caps the time one pair of positions adds to the movement
	// totals (a longer gap is coverage loss, not known movement).
	MaxGapS int
	// VehicleCacheTTL, TripCacheTTL and ZoneReload bound how stale the
	// registry data, a vehicle's active waybill and the zones may be.
	VehicleCacheTTL time.Duration
	TripCacheTTL    time.Duration
	ZoneReload      time.Duration
	// Location is the civil time zone of the days (China Standard Time).
	Location *time.Location
}

// DefaultWatchConfig returns the defaults.
func DefaultWatchConfig() WatchConfig {
	return WatchConfig{PositionsStream: "POSITIONS", Durable: "waybill-crosschecks", Batch: 100,
		Categories: []registry.VehicleCategory{registry.CategoryHazmat, registry.CategoryTractor},
		MovingKmh:  5, MissingMinS: 60, RouteToleranceM: 500, DeviationMinS: 60, WindowToleranceS: 3600,
		SensitiveStopS: 600, PlaceRadiusM: 500, MaxGapS: 300,
		VehicleCacheTTL: 5 * time.Minute, TripCacheTTL: 30 * time.Second, ZoneReload: 30 * time.Second, Location: civil.CST}
}

func (c WatchConfig) withDefaults() WatchConfig {
	d := DefaultWatchConfig()
	if c.PositionsStream == "" {
		c.PositionsStream = d.PositionsStream
	}
	if c.Durable == "" {
		c.Durable = d.Durable
	}
	if c.Batch <= 0 {
		c.Batch = d.Batch
	}
	if len(c.Categories) == 0 {
		c.Categories = d.Categories
	}
	setF := func(v *float64, def float64) {
		if *v <= 0 {
			*v = def
		}
	}
	setI := func(v *int, def int) {
		if *v <= 0 {
			*v = def
		}
	}
	setD := func(v *time.Duration, def time.Duration) {
		if *v <= 0 {
			*v = def
		}
	}
	setF(&c.MovingKmh, d.MovingKmh)
	setI(&c.MissingMinS, d.MissingMinS)
	setF(&c.RouteToleranceM, d.RouteToleranceM)
	setI(&c.DeviationMinS, d.DeviationMinS)
	setI(&c.WindowToleranceS, d.WindowToleranceS)
	setI(&c.SensitiveStopS, d.SensitiveStopS)
	setF(&c.PlaceRadiusM, d.PlaceRadiusM)
	setI(&c.MaxGapS, d.MaxGapS)
	setD(&c.VehicleCacheTTL, d.VehicleCacheTTL)
	setD(&c.TripCacheTTL, d.TripCacheTTL)
	setD(&c.ZoneReload, d.ZoneReload)
	if c.Location == nil {
		c.Location = d.Location
	}
	return c
}

// --- the watcher ---

// CrossChecks runs the cross-checks. Create it with NewCrossChecks, run it
// with Run; Coverage answers the statistic.
type CrossChecks struct {
	db     *sqldb.DB
	bus    *bus.Bus
	trips  TripSource
	alarms AlarmSink
	zones  ZoneSource
	reg    VehicleLookup
	cfg    WatchConfig
	logger *slog.Logger

	// mu guards the state below; one batch is processed at a time.
	mu          sync.Mutex
	stateLoaded bool
	vehicles    map[int64]*watchState
	info        map[int64]*cachedVehicle
	tripCache   map[int64]*cachedTrip
	forbidden   *monitor.ZoneSet
	sensitive   *monitor.ZoneSet
	zonesAt     time.Time
	now         func() time.Time

	// tripGen is bumped by ForgetTrips, which the waybill service calls
	// from inside Transition, possibly while a batch holds mu: a counter,
	// not a lock, makes the cached active waybills stale.
	tripGen atomic.Int64

	ready    chan struct{}
	readyOne sync.Once
}

type cachedVehicle struct {
	info *monitor.VehicleInfo // nil: not checked
	// withTripOnly: a tractor the registry approves for no dangerous goods
	// is checked only while it travels under a waybill (hauling a hazmat
	// trailer); otherwise its load is ordinary freight.
	withTripOnly bool
	at           time.Time
}

type cachedTrip struct {
	trip *TripView
	at   time.Time
	gen  int64
}

// NewCrossChecks returns the cross-checks. trips is the waybill store
// (TripsOf adapts the waybill service), alarms and zones the monitor, reg
// the registry.
func NewCrossChecks(db *sqldb.DB, b *bus.Bus, trips TripSource, alarms AlarmSink, zones ZoneSource, reg VehicleLookup,
	cfg WatchConfig, logger *slog.Logger) *CrossChecks {
	if logger == nil {
		logger = slog.Default()
	}
	return &CrossChecks{db: db, bus: b, trips: trips, alarms: alarms, zones: zones, reg: reg, cfg: cfg.withDefaults(),
		logger: logger.With("module", "waybill.crosschecks"), vehicles: map[int64]*watchState{},
		info: map[int64]*cachedVehicle{}, tripCache: map[int64]*cachedTrip{}, now: time.Now, ready: make(chan struct{})}
}

// Ready is closed once Run has loaded its state and started consuming.
func (c *CrossChecks) Ready() <-chan struct{} { return c.ready }

// Run loads the saved state and consumes positions until ctx ends.
//
// The consumer is durable: JetStream keeps its checkpoint. The state of
// every vehicle touched by a batch (open episodes, last device time, day
// totals) is written to SQL before the batch is acknowledged, so a batch
// delivered again after a crash finds its positions at or before the
// vehicles' last device time and skips them: no episode starts twice, no
// movement is counted twice. Alarms are reported before the state is
// saved; a report repeated after a crash carries the same natural key and
// changes nothing (monitor.ExternalAlarm).
func (c *CrossChecks) Run(ctx context.Context) error {
	c.mu.Lock()
	err := c.loadState(ctx)
	n := len(c.vehicles)
	c.mu.Unlock()
	if err != nil {
		return err
	}
	if err := c.bus.WaitStream(ctx, c.cfg.PositionsStream); err != nil {
		if ctx.Err() != nil {
			return nil
		}
		return fmt.Errorf("waybill: cross-checks: wait for %s: %w", c.cfg.PositionsStream, err)
	}
	cc := bus.ConsumerConfig{Stream: c.cfg.PositionsStream, Durable: c.cfg.Durable,
		Description: "waybill: e-waybill cross-checks and coverage", Batch: c.cfg.Batch, AckWait: time.Minute,
		DeliverPolicy: bus.DeliverNew}
	if c.cfg.ReplayFromStart {
		cc.DeliverPolicy = bus.DeliverAll
	}
	c.logger.Info("waybill: cross-checks starting", slog.Int("vehicles", n))
	c.readyOne.Do(func() { close(c.ready) })
	err = c.bus.ConsumeBatch(ctx, cc, c.handleBatch)
	if err != nil && ctx.Err() == nil {
		return fmt.Errorf("waybill: cross-checks: consume %s: %w", c.cfg.PositionsStream, err)
	}
	return nil
}

func (c *CrossChecks) handleBatch(ctx context.Context, msgs []*bus.Msg) error {
	var ps []gateway.Position
	for _, m := range msgs {
		before := len(ps)
		var err error
		if ps, err = gateway.DecodePositions(m.Data, ps); err != nil {
			c.logger.Error("waybill: undecodable position batch", slog.Uint64("seq", m.Sequence), slog.Any("err", err))
			ps = ps[:before]
		}
	}
	return c.Process(ctx, ps)
}

// Process evaluates positions in order and stores what they changed; the
// consumer calls it with each batch, tests may call it directly.
func (c *CrossChecks) Process(ctx context.Context, ps []gateway.Position) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if err := c.loadState(ctx); err != nil {
		return err
	}
	c.reloadZones(ctx)
	out := &watchOutput{dirty: map[int64]bool{}}
	for i := range ps {
		p := &ps[i]
		info, withTripOnly := c.vehicleInfo(ctx, p.VehicleID)
		if info == nil {
			continue
		}
		c.evaluate(ctx, p, info, withTripOnly, out)
	}
	if len(out.alarms) > 0 {
		if err := retry(ctx, c.logger, "report alarms", func() error { return c.alarms.ReportExternal(ctx, out.alarms) }); err != nil {
			return err
		}
	}
	if len(out.dirty) == 0 {
		return nil
	}
	return retry(ctx, c.logger, "save state", func() error { return saveWatchStates(ctx, c.db, c.vehicles, out.dirty, out.days) })
}

// retry runs fn until it succeeds or ctx ends: the in-memory state has
// moved on, so the positions cannot simply be delivered again.
func retry(ctx context.Context, logger *slog.Logger, what string, fn func() error) error {
	delay := 100 * time.Millisecond
	for {
		err := fn()
		if err == nil {
			return nil
		}
		if errors.Is(err, apperr.ErrInvalid) {
			return bus.Permanent(err)
		}
		logger.Warn("waybill: cross-checks: "+what+", retrying", slog.Any("err", err))
		select {
		case <-ctx.Done():
			return err
		case <-time.After(delay):
		}
		delay = min(delay*2, 10*time.Second)
	}
}

// loadState reads the saved state once, before the first position.
func (c *CrossChecks) loadState(ctx context.Context) error {
	if c.stateLoaded {
		return nil
	}
	states, err := loadWatchStates(ctx, c.db)
	if err != nil {
		return err
	}
	c.vehicles, c.stateLoaded = states, true
	return nil
}

func (c *CrossChecks) reloadZones(ctx context.Context) {
	now := c.now()
	if c.zones == nil || (!c.zonesAt.IsZero() && now.Sub(c.zonesAt) < c.cfg.ZoneReload) {
		return
	}
	gs, err := c.zones.ZonesByPurpose(ctx, monitor.PurposeHazmatForbidden, monitor.PurposeSensitive)
	if err != nil {
		c.logger.Warn("waybill: cross-checks: load zones", slog.Any("err", err))
		return
	}
	var forb, sens []monitor.Geofence
	for _, g := range gs {
		if g.Purpose == monitor.PurposeHazmatForbidden {
			forb = append(forb, g)
		} else {
			sens = append(sens, g)
		}
	}
	c.forbidden, c.sensitive = monitor.NewZoneSet(forb, c.cfg.Location), monitor.NewZoneSet(sens, c.cfg.Location)
	c.zonesAt = now
}

// ReloadZones makes the next batch read the zones again (after an edit).
func (c *CrossChecks) ReloadZones() {
	c.mu.Lock()
	c.zonesAt = time.Time{}
	c.mu.Unlock()
}

// vehicleInfo returns the registry data of a checked vehicle, nil for the
// others (cached either way).
func (c *CrossChecks) vehicleInfo(ctx context.Context, id int64) (*monitor.VehicleInfo, bool) {
	now := c.now()
	if e := c.info[id]; e != nil && now.Sub(e.at) < c.cfg.VehicleCacheTTL {
		return e.info, e.withTripOnly
	}
	v, err := c.reg.Vehicle(access.With(ctx, access.System), id)
	if err != nil {
		if !errors.Is(err, apperr.ErrNotFound) {
			c.logger.Warn("waybill: cross-checks: registry lookup", slog.Int64("vehicle", id), slog.Any("err", err))
			if e := c.info[id]; e != nil {
				return e.info, e.withTripOnly
			}
			return nil, false
		}
		c.info[id] = &cachedVehicle{at: now}
		return nil, false
	}
	e := &cachedVehicle{at: now}
	if slices.Contains(c.cfg.Categories, v.Category) {
		e.info = &monitor.VehicleInfo{ID: v.ID, Plate: v.Plate, Category: v.Category, OperatorID: v.OperatorID, Region: v.Region}
		e.withTripOnly = v.Category == registry.CategoryTractor && len(v.HazmatClasses) == 0
	}
	c.info[id] = e
	return e.info, e.withTripOnly
}

// activeTrip returns the vehicle's active waybill, cached for
// TripCacheTTL (and forgotten when the cross-checks move it).
func (c *CrossChecks) activeTrip(ctx context.Context, id int64) *TripView {
	now := c.now()
	gen := c.tripGen.Load()
	if e := c.tripCache[id]; e != nil && e.gen == gen && now.Sub(e.at) < c.cfg.TripCacheTTL {
		return e.trip
	}
	t, err := c.trips.ActiveTrip(access.With(ctx, access.System), id)
	if err != nil {
		c.logger.Warn("waybill: cross-checks: active waybill", slog.Int64("vehicle", id), slog.Any("err", err))
		if e := c.tripCache[id]; e != nil {
			return e.trip
		}
		return nil
	}
	c.tripCache[id] = &cachedTrip{trip: t, at: now, gen: gen}
	return t
}

// LastDeviceTime returns the device time of the last position of a
// vehicle the cross-checks evaluated (zero: none), so a caller can tell
// when they caught up.
func (c *CrossChecks) LastDeviceTime(vehicleID int64) time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	if st := c.vehicles[vehicleID]; st != nil && st.LastDev > 0 {
		return time.UnixMilli(st.LastDev)
	}
	return time.Time{}
}

// ForgetTrips makes the cached active waybills stale (a waybill was
// issued, changed or cancelled: wire it to Service.OnChange). It never
// blocks.
func (c *CrossChecks) ForgetTrips() { c.tripGen.Add(1) }

// --- evaluation ---

// watchState is what the cross-checks remember of a vehicle; its JSON
// form is saved after every batch.
type watchState struct {
	LastDev   int64   `json:"last_dev"`
	Lat       float64 `json:"lat"`
	Lon       float64 `json:"lon"`
	Moving    bool    `json:"moving"`
	Loaded    bool    `json:"loaded"`
	WithTrip  bool    `json:"with_trip"`
	StopStart int64   `json:"stop_start"`          // device ms the current stop began, 0 while moving
	Uncounted bool    `json:"uncounted,omitempty"` // a tractor without a waybill: its movement is not booked

	Open map[string]*episode `json:"open,omitempty"`

	Departed int64 `json:"departed,omitempty"` // waybill whose departure was reported
	Arrived  int64 `json:"arrived,omitempty"`  // waybill whose arrival was reported

	// The day's movement (coverage.go), for the civil day Day.
	Day        string `json:"day"`
	Region     string `json:"region"`
	OperatorID int64  `json:"operator_id"`
	MovedMs    int64  `json:"moved_ms"`
	LoadedMs   int64  `json:"loaded_ms"`
	CoveredMs  int64  `json:"covered_ms"`
}

// episode is one violation of a check on one vehicle: pending until it
// lasted the check's minimum, then raised until it ends.
type episode struct {
	Rule    monitor.Rule   `json:"rule"`
	Subject string         `json:"subject,omitempty"`
	Start   int64          `json:"start"`
	Last    int64          `json:"last"`
	Lat     float64        `json:"lat"`
	Lon     float64        `json:"lon"`
	Limit   float64        `json:"limit"`
	Peak    float64        `json:"peak"`
	Unit    string         `json:"unit,omitempty"`
	Details map[string]any `json:"details,omitempty"`
	Note    string         `json:"note,omitempty"`
	Raised  bool           `json:"raised"`
}

func (e *episode) alarm(vehicle int64) monitor.ExternalAlarm {
	return monitor.ExternalAlarm{VehicleID: vehicle, Rule: e.Rule, Subject: e.Subject, StartAt: time.UnixMilli(e.Start),
		LastAt: time.UnixMilli(e.Last), Lat: e.Lat, Lon: e.Lon, Limit: e.Limit, Peak: e.Peak, Unit: e.Unit, Details: e.Details, Note: e.Note}
}

type watchOutput struct {
	alarms []monitor.ExternalAlarm
	dirty  map[int64]bool
	days   []movementDay // days that ended within the batch
}

// movementDay is one row of waybill_movement_days.
type movementDay struct {
	day                    string
	vehicle                int64
	region                 string
	operator               int64
	moved, loaded, covered int64
}

// step is the evaluation of one position of one vehicle.
type step struct {
	st       *watchState
	vehicle  int64
	t        int64
	lat, lon float64
	out      *watchOutput
	seen     map[string]bool // episodes whose condition was evaluated at this position
}

// episode advances the episode rule|subject: cond says whether the
// violation holds now; start is its start when it opens, minDur the
// pending time in ms.
func (x *step) episode(rule monitor.Rule, subject string, cond bool, start, minDur int64, limit, value float64, unit string,
	details map[string]any) {
	key := string(rule) + "|" + subject
	x.seen[key] = true
	e := x.st.Open[key]
	if !cond {
		if e != nil {
			x.end(key, e)
		}
		return
	}
	if e == nil {
		e = &episode{Rule: rule, Subject: subject, Start: start, Last: x.t, Lat: x.lat, Lon: x.lon, Limit: limit, Peak: value,
			Unit: unit, Details: details, Note: noteOf(details)}
		if x.st.Open == nil {
			x.st.Open = map[string]*episode{}
		}
		x.st.Open[key] = e
	}
	e.Last = max(e.Last, x.t)
	grew := value > e.Peak
	if grew {
		e.Peak = value
	}
	if !e.Raised {
		if e.Last-e.Start >= minDur {
			e.Raised = true
			x.out.alarms = append(x.out.alarms, e.alarm(x.vehicle))
		}
		return
	}
	if grew {
		x.out.alarms = append(x.out.alarms, e.alarm(x.vehicle))
	}
}

func (x *step) end(key string, e *episode) {
	if e.Raised {
		a := e.alarm(x.vehicle)
		end := time.UnixMilli(max(x.t, e.Start))
		a.EndAt = &end
		x.out.alarms = append(x.out.alarms, a)
	}
	delete(x.st.Open, key)
}

// endUnseen ends the open episodes of rule not evaluated at this position
// (a zone left, a waybill no longer active).
func (x *step) endUnseen(rule monitor.Rule) {
	for key, e := range x.st.Open {
		if e.Rule == rule && !x.seen[key] {
			x.end(key, e)
		}
	}
}

func (c *CrossChecks) evaluate(ctx context.Context, p *gateway.Position, info *monitor.VehicleInfo, withTripOnly bool, out *watchOutput) {
	st := c.vehicles[p.VehicleID]
	if st == nil {
		st = &watchState{}
		c.vehicles[p.VehicleID] = st
	}
	dev := p.DeviceTime.UnixMilli()
	status := jt808.Status(p.Status)
	lat, lon := float64(p.Lat)/1e6, float64(p.Lon)/1e6
	// History (blind-area re-sends, out of order, already processed) and
	// positions without a fix change nothing: the checks run on the live
	// sequence of device times, like the monitor's rules.
	if p.BlindArea || dev <= st.LastDev || !status.Fixed() || (p.Lat == 0 && p.Lon == 0) {
		return
	}
	speed := float64(p.Speed) / 10
	moving := speed >= c.cfg.MovingKmh
	loaded := status.Load() != 0
	trip := c.activeTrip(ctx, p.VehicleID)
	at := p.DeviceTime
	// A vehicle checked only under a waybill is, without one, out of the
	// checks and of the coverage: what it carries is not known to be
	// dangerous goods.
	outside := withTripOnly && trip == nil
	if outside {
		loaded = false
	}

	out.dirty[p.VehicleID] = true
	// Movement totals of the day, for the interval since the last position
	// (in the state that held during it).
	day := at.In(c.cfg.Location).Format(time.DateOnly)
	if st.Day != day {
		if st.Day != "" {
			// The previous day may end inside this batch: keep its totals.
			out.days = append(out.days, movementDay{day: st.Day, vehicle: p.VehicleID, region: st.Region, operator: st.OperatorID,
				moved: st.MovedMs, loaded: st.LoadedMs, covered: st.CoveredMs})
		}
		st.Day, st.MovedMs, st.LoadedMs, st.CoveredMs = day, 0, 0, 0
	}
	st.Region, st.OperatorID = info.Region, info.OperatorID
	if st.LastDev > 0 && st.Moving && !st.Uncounted {
		// The interval is booked on the day of its end.
		dt := min(dev-st.LastDev, int64(c.cfg.MaxGapS)*1000)
		st.MovedMs += dt
		if st.Loaded {
			st.LoadedMs += dt
			if st.WithTrip {
				st.CoveredMs += dt
			}
		}
	}
	if moving {
		st.StopStart = 0
	} else if st.StopStart == 0 {
		st.StopStart = dev
		if st.LastDev > 0 && !st.Moving {
			st.StopStart = st.LastDev
		}
	}

	x := &step{st: st, vehicle: p.VehicleID, t: dev, lat: lat, lon: lon, out: out, seen: map[string]bool{}}

	// 1. Loaded without a waybill (无运单运输). Once raised it lasts while
	// the vehicle stays loaded without one, stops included.
	// Until raised it is pending: it is raised only by a moving position
	// (a vehicle that crept loaded across its depot and parked is not
	// transporting), and a pending one is dropped after a stop of
	// pendingStop.
	open := func(rule monitor.Rule, subject string) bool { return st.Open[string(rule)+"|"+subject] != nil }
	missing := loaded && trip == nil && (moving || open(monitor.RuleWaybillMissing, ""))
	minDur := int64(c.cfg.MissingMinS) * 1000
	if e := st.Open[string(monitor.RuleWaybillMissing)+"|"]; e != nil && !e.Raised && !moving {
		minDur = math.MaxInt64
		if dev-st.StopStart > pendingStop.Milliseconds() {
			missing = false
		}
	}
	x.episode(monitor.RuleWaybillMissing, "", missing, dev, minDur, 0, 0, "", nil)

	if trip != nil {
		subj := "waybill:" + trip.Number
		details := map[string]any{"waybill_id": trip.WaybillID, "waybill_number": trip.Number}
		// 2. Off the planned route (偏离运单路线).
		if len(trip.Route) >= 2 {
			allowed := c.cfg.RouteToleranceM
			if trip.CorridorM > 0 {
				allowed = trip.CorridorM / 2
			}
			d := routeDistance(trip.Route, lat, lon)
			off := loaded && d > allowed && (moving || open(monitor.RuleWaybillRouteDeviation, subj))
			x.episode(monitor.RuleWaybillRouteDeviation, subj, off, dev, int64(c.cfg.DeviationMinS)*1000, allowed, math.Round(d), "m", details)
		}
		// 4. Outside the waybill's time window (超出运单时间窗).
		if from, to, ok := trip.window(); ok {
			tol := time.Duration(c.cfg.WindowToleranceS) * time.Second
			outside := 0.0
			switch {
			case at.Before(from.Add(-tol)):
				outside = from.Add(-tol).Sub(at).Seconds()
			case at.After(to.Add(tol)):
				outside = at.Sub(to.Add(tol)).Seconds()
			}
			cond := loaded && outside > 0 && (moving || open(monitor.RuleWaybillTimeWindow, subj))
			x.episode(monitor.RuleWaybillTimeWindow, subj, cond, dev, 0, float64(c.cfg.WindowToleranceS), math.Round(outside), "s", details)
		}
		c.moveTrip(ctx, x, trip, loaded, moving)
	}
	x.endUnseen(monitor.RuleWaybillRouteDeviation)
	x.endUnseen(monitor.RuleWaybillTimeWindow)

	// 3. Inside a zone closed to hazmat vehicles (进入危货禁行区), loaded
	// or not: a tank is not clean when it is empty.
	var forbidden []*monitor.Geofence
	if !outside {
		forbidden = c.forbidden.Containing(lat, lon, at, info)
	}
	for _, z := range forbidden {
		x.episode(monitor.RuleWaybillForbiddenZone, zoneSubject(z), true, dev, 0, 0, 0, "",
			map[string]any{"zone_id": z.ID, "zone_name": z.Name})
	}
	x.endUnseen(monitor.RuleWaybillForbiddenZone)

	// 5. A loaded vehicle stopped too long in a sensitive area (敏感区域停留超时).
	if loaded && !moving {
		for _, z := range c.sensitive.Containing(lat, lon, at, info) {
			limS := c.cfg.SensitiveStopS
			if z.MaxDwellS > 0 {
				limS = z.MaxDwellS
			}
			lim := int64(limS) * 1000
			stopped := dev - st.StopStart
			x.episode(monitor.RuleWaybillSensitiveStop, zoneSubject(z), stopped > lim, st.StopStart+lim, 0, float64(limS),
				float64(stopped/1000), "s", map[string]any{"zone_id": z.ID, "zone_name": z.Name})
		}
	}
	x.endUnseen(monitor.RuleWaybillSensitiveStop)

	st.LastDev, st.Lat, st.Lon, st.Moving, st.Loaded, st.WithTrip, st.Uncounted = dev, lat, lon, moving, loaded, trip != nil, outside
}

// moveTrip reports the departure (moving loaded, away from the loading
// place) and the arrival (stopped at the unloading place) of the trip,
// once each.
func (c *CrossChecks) moveTrip(ctx context.Context, x *step, trip *TripView, loaded, moving bool) {
	st := x.st
	radius := func(p PlaceView) float64 {
		if p.RadiusM > 0 {
			return p.RadiusM
		}
		return c.cfg.PlaceRadiusM
	}
	here := roadnet.Point{Lat: x.lat, Lon: x.lon}
	at := time.UnixMilli(x.t)
	sctx := access.With(ctx, access.System)
	if st.Departed != trip.WaybillID && loaded && moving && (trip.State == StateViewIssued || trip.State == StateViewLoading) &&
		roadnet.Distance(here, roadnet.Point{Lat: trip.Loading.Lat, Lon: trip.Loading.Lon}) > radius(trip.Loading) {
		if err := c.trips.Departed(sctx, trip, at); err != nil {
			c.logger.Warn("waybill: cross-checks: departure", slog.String("waybill", trip.Number), slog.Any("err", err))
		} else {
			st.Departed = trip.WaybillID
			delete(c.tripCache, x.vehicle)
		}
	}
	if st.Arrived != trip.WaybillID && !moving && (trip.State == StateViewInTransit || st.Departed == trip.WaybillID) &&
		roadnet.Distance(here, roadnet.Point{Lat: trip.Unloading.Lat, Lon: trip.Unloading.Lon}) <= radius(trip.Unloading) {
		if err := c.trips.Arrived(sctx, trip, at); err != nil {
			c.logger.Warn("waybill: cross-checks: arrival", slog.String("waybill", trip.Number), slog.Any("err", err))
		} else {
			st.Arrived = trip.WaybillID
			delete(c.tripCache, x.vehicle)
		}
	}
}

// pendingStop ends a waybill_missing episode not yet raised: the vehicle
// moved loaded only briefly, then parked.
const pendingStop = 10 * time.Minute

// Waybill states as TripView.State names them.
const (
	StateViewIssued    = "issued"
	StateViewLoading   = "loading"
	StateViewInTransit = "in_transit"
)

// noteOf is the human part of an alarm's message: the zone or the waybill.
func noteOf(details map[string]any) string {
	if n, ok := details["zone_name"].(string); ok && n != "" {
		return n
	}
	if n, ok := details["waybill_number"].(string); ok && n != "" {
		return "运单 " + n
	}
	return ""
}

func zoneSubject(z *monitor.Geofence) string { return "fence:" + strconv.FormatInt(z.ID, 10) }

// routeDistance is the distance in metres from a point to a [lon, lat]
// polyline (local planar frame, good to metres over a city).
func routeDistance(route [][2]float64, lat, lon float64) float64 {
	const mPerDeg = 111_320.0
	kx := mPerDeg * math.Cos(lat*math.Pi/180)
	best := math.Inf(1)
	for i := 1; i < len(route); i++ {
		ax, ay := (route[i-1][0]-lon)*kx, (route[i-1][1]-lat)*mPerDeg
		bx, by := (route[i][0]-lon)*kx, (route[i][1]-lat)*mPerDeg
		dx, dy := bx-ax, by-ay
		t := 0.0
		if l2 := dx*dx + dy*dy; l2 > 0 {
			t = math.Max(0, math.Min(1, -(ax*dx+ay*dy)/l2))
		}
		best = math.Min(best, math.Hypot(ax+t*dx, ay+t*dy))
	}
	return best
}

// --- state storage ---

func loadWatchStates(ctx context.Context, db *sqldb.DB) (map[int64]*watchState, error) {
	rows, err := db.Read().QueryContext(ctx, `SELECT vehicle_id, state FROM waybill_watch_states`)
	if err != nil {
		return nil, fmt.Errorf("waybill: load cross-check state: %w", err)
	}
	defer rows.Close()
	out := map[int64]*watchState{}
	for rows.Next() {
		var id int64
		var raw string
		if err := rows.Scan(&id, &raw); err != nil {
			return nil, fmt.Errorf("waybill: load cross-check state: %w", err)
		}
		var st watchState
		if err := json.Unmarshal([]byte(raw), &st); err != nil {
			return nil, fmt.Errorf("waybill: cross-check state of vehicle %d: %w", id, err)
		}
		out[id] = &st
	}
	return out, rows.Err()
}

// saveWatchStates writes the dirty vehicles' state and their day's
// movement in one transaction.
func saveWatchStates(ctx context.Context, db *sqldb.DB, states map[int64]*watchState, dirty map[int64]bool, ended []movementDay) error {
	return db.InTx(ctx, func(tx *sqldb.Tx) error {
		days := ended
		for id := range dirty {
			if st := states[id]; st != nil && st.Day != "" {
				days = append(days, movementDay{day: st.Day, vehicle: id, region: st.Region, operator: st.OperatorID,
					moved: st.MovedMs, loaded: st.LoadedMs, covered: st.CoveredMs})
			}
		}
		for _, d := range days {
			if _, err := tx.ExecContext(ctx, `INSERT INTO waybill_movement_days (day, vehicle_id, region, operator_id, moved_ms, loaded_ms, covered_ms)
				VALUES ($1, $2, $3, $4, $5, $6, $7)
				ON CONFLICT (day, vehicle_id) DO UPDATE SET region = excluded.region, operator_id = excluded.operator_id,
				moved_ms = excluded.moved_ms, loaded_ms = excluded.loaded_ms, covered_ms = excluded.covered_ms`,
				d.day, d.vehicle, d.region, d.operator, d.moved, d.loaded, d.covered); err != nil {
				return fmt.Errorf("waybill: save movement: %w", err)
			}
		}
		for id := range dirty {
			st := states[id]
			if st == nil {
				continue
			}
			b, err := json.Marshal(st)
			if err != nil {
				return err
			}
			if _, err := tx.ExecContext(ctx, `INSERT INTO waybill_watch_states (vehicle_id, state, last_dev) VALUES ($1, $2, $3)
				ON CONFLICT (vehicle_id) DO UPDATE SET state = excluded.state, last_dev = excluded.last_dev`, id, string(b), st.LastDev); err != nil {
				return fmt.Errorf("waybill: save cross-check state: %w", err)
			}
		}
		return nil
	})
}
