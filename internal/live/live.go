// Package live pushes what happens now to the consoles: vehicle positions
// from the POSITIONS stream and alarm and vehicle-state events from the
// EVENTS stream, over one WebSocket at GET /api/v1/live.
//
// A client says what it wants with subscribe messages (topics, a vehicle
// set, a map viewport, alarm severities); the server always narrows that to
// the principal's data scope (access.Scope): a county monitoring officer
// (监控员) sees the vehicles of the county, an enterprise user those of the
// enterprise. Positions are sent at most once per vehicle per
// Config.PositionInterval to each client, the latest winning. The protocol
// is described at the top of protocol.go.
//
// Live data is not history: the service reads both streams with ephemeral
// consumers that start at new messages, and a client that cannot keep up is
// dropped (see internal/platform/wshub) rather than slowing the others.
package live

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"sync"
	"sync/atomic"
	"time"

	"github.com/coder/websocket"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/jiaotong-platform/jiaotong/internal/platform/access"
	"github.com/jiaotong-platform/jiaotong/internal/platform/apperr"
	"github.com/jiaotong-platform/jiaotong/internal/platform/bus"
	"github.com/jiaotong-platform/jiaotong/internal/platform/httpapi"
	"github.com/jiaotong-platform/jiaotong/internal/platform/wshub"
	"github.com/jiaotong-platform/jiaotong/internal/registry"
)

// Path is where Mount serves the WebSocket.
const Path = httpapi.Prefix + "/live"

// VehicleLookup resolves a vehicle id to its registry record, for the region
// and enterprise that decide who may see it and the plate shown on the map.
// *registry.Service satisfies it; the service calls it as access.System.
type VehicleLookup interface {
	Vehicle(ctx context.Context, id int64) (*registry.Vehicle, error)
}

var _ VehicleLookup = (*registry.Service)(nil)

// Config tunes the service. Zero fields take the defaults named below.
type Config struct {
	// PositionsStream is the gateway's positions stream (default
	// "POSITIONS"); every subject of it is read.
	PositionsStream string
	// EventsStream (default "EVENTS") and EventsSubjectPrefix (default
	// "evt") name the monitor's event stream: alarms on <prefix>.alarm,
	// vehicle states on <prefix>.vehicle.
	EventsStream        string
	EventsSubjectPrefix string

	// PositionInterval is the least time between two positions of one
	// vehicle to one client (default 1s); negative sends every position a
	// client can take (waiting ones are still replaced by newer ones).
	PositionInterval time.Duration
	// VehicleTTL is how long a looked-up vehicle is trusted (default 1m);
	// a vehicle moved to another region or enterprise is seen with its new
	// scope after at most that long.
	VehicleTTL time.Duration
	// AllowedOrigins lists further browser origins allowed to connect, as
	// host patterns ("console.example.gov.cn", "*.example.gov.cn"). A page
	// served by the platform itself (Origin host = request Host) is always
	// allowed; any other origin is refused, so a foreign site cannot ride on
	// a user's session cookie (cross-site WebSocket hijacking).
	AllowedOrigins []string
	// MaxVehicles caps the vehicle set of one subscription (default 10000).
	MaxVehicles int
	// RecheckEvery is how often an open connection re-checks the credential
	// it was opened with (default 30s): a connection whose session was
	// logged out or expired, or whose token was revoked, is closed then.
	RecheckEvery time.Duration

	// Hub tunes the WebSocket hub (queue sizes, keep-alive); its Name,
	// KeyInterval, Registerer and Logger are set by the service.
	Hub wshub.Config
	// Registerer receives the hub's and the service's metrics.
	Registerer prometheus.Registerer
}

func (c *Config) defaults() {
	if c.RecheckEvery <= 0 {
		c.RecheckEvery = 30 * time.Second
	}
	if c.PositionsStream == "" {
		c.PositionsStream = "POSITIONS"
	}
	if c.EventsStream == "" {
		c.EventsStream = "EVENTS"
	}
	if c.EventsSubjectPrefix == "" {
		c.EventsSubjectPrefix = "evt"
	}
	if c.PositionInterval == 0 {
		c.PositionInterval = time.Second
	}
	if c.VehicleTTL <= 0 {
		c.VehicleTTL = time.Minute
	}
	if c.MaxVehicles <= 0 {
		c.MaxVehicles = 10_000
	}
}

// Service is the live push: two stream readers feeding one hub.
type Service struct {
	bus      *bus.Bus
	cfg      Config
	log      *slog.Logger
	hub      *wshub.Hub[meta]
	vehicles *vehicleCache
	m        *metrics

	closeOnce     sync.Once
	lastLookupErr atomic.Int64 // unix nanoseconds of the last logged lookup failure
}

// New builds the service; Run starts reading the streams and Mount serves
// the WebSocket.
func New(b *bus.Bus, vehicles VehicleLookup, cfg Config, logger *slog.Logger) *Service {
	cfg.defaults()
	if logger == nil {
		logger = slog.Default()
	}
	log := logger.With(slog.String("module", "live"))
	hc := cfg.Hub
	hc.Name = "live"
	hc.KeyInterval = cfg.PositionInterval
	hc.Registerer = cfg.Registerer
	hc.Logger = log
	return &Service{
		bus:      b,
		cfg:      cfg,
		log:      log,
		hub:      wshub.New[meta](hc),
		vehicles: newVehicleCache(vehicles, cfg.VehicleTTL),
		m:        newMetrics(cfg.Registerer),
	}
}

// Mount serves GET /api/v1/live on mux. The request must already carry the
// principal (the iam middleware runs first).
func (s *Service) Mount(mux *http.ServeMux) {
	mux.HandleFunc("GET "+Path, s.serveLive)
}

// Run reads the positions and events streams until ctx ends, then closes
// every client (StatusGoingAway). A stream that does not exist yet (its
// owner has not started) is waited for; a broken consumer is restarted.
func (s *Service) Run(ctx context.Context) error {
	var wg sync.WaitGroup
	wg.Go(func() {
		s.consumeLoop(ctx, bus.ConsumerConfig{
			Stream:        s.cfg.PositionsStream,
			Description:   "live: positions for the consoles",
			DeliverPolicy: bus.DeliverNew,
			MaxAckPending: 10_000,
			Batch:         256,
		}, s.handlePositions)
	})
	wg.Go(func() {
		p := s.cfg.EventsSubjectPrefix
		s.consumeLoop(ctx, bus.ConsumerConfig{
			Stream:         s.cfg.EventsStream,
			Description:    "live: alarms, vehicle states and platform checks for the consoles",
			FilterSubjects: []string{p + ".alarm", p + ".vehicle", p + ".check"},
			DeliverPolicy:  bus.DeliverNew,
			MaxAckPending:  10_000,
			Batch:          256,
		}, s.handleEvent)
	})
	<-ctx.Done()
	wg.Wait()
	return s.Close()
}

// Close disconnects every client (StatusGoingAway) and refuses new ones,
// waiting a few seconds at most for the close handshakes. Run calls it when
// its context ends.
func (s *Service) Close() error {
	var err error
	s.closeOnce.Do(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		if cerr := s.hub.Close(ctx); cerr != nil {
			err = fmt.Errorf("live: close: %w", cerr)
		}
	})
	return err
}

// consumeLoop runs one consumer, restarting it after failures with a
// growing delay, until ctx ends or the bus is closed.
func (s *Service) consumeLoop(ctx context.Context, cfg bus.ConsumerConfig, h bus.Handler) {
	delay := 250 * time.Millisecond
	for {
		// The stream's owner (gateway, monitor) may start after us.
		if err := s.bus.WaitStream(ctx, cfg.Stream); err != nil && ctx.Err() != nil {
			return
		}
		err := s.bus.Consume(ctx, cfg, h)
		if ctx.Err() != nil {
			return
		}
		if errors.Is(err, bus.ErrClosed) {
			s.log.Warn("live: bus closed, no more live data", slog.String("stream", cfg.Stream))
			return
		}
		s.log.Warn("live: stream consumer stopped, retrying", slog.String("stream", cfg.Stream),
			slog.Duration("retry_in", delay), slog.Any("err", err))
		select {
		case <-ctx.Done():
			return
		case <-time.After(delay):
		}
		delay = min(2*delay, 10*time.Second)
	}
}

// serveLive authenticates and upgrades one console connection.
func (s *Service) serveLive(w http.ResponseWriter, r *http.Request) {
	if err := checkOrigin(r, s.cfg.AllowedOrigins); err != nil {
		httpapi.WriteProblem(w, r, err)
		return
	}
	p, err := access.Require(r.Context(), access.PermMonitorRead)
	if err != nil {
		httpapi.WriteProblem(w, r, err)
		return
	}
	conn, err := websocket.Accept(w, r, &websocket.AcceptOptions{
		OriginPatterns:  s.cfg.AllowedOrigins,
		CompressionMode: websocket.CompressionDisabled,
	})
	if err != nil {
		// Accept has answered (not a WebSocket handshake, bad version...).
		return
	}
	sess := newSession(p, s.cfg.MaxVehicles)
	s.log.Debug("live: client connected", slog.String("user", p.Username), slog.String("region", p.Scope.Region),
		slog.Int64("operator_id", p.Scope.OperatorID))
	h := sess.handler()
	if check := access.CredentialCheckFrom(r.Context()); check != nil {
		done := make(chan struct{})
		defer close(done)
		open := h.Open
		h.Open = func(c *wshub.Client[meta]) {
			if open != nil {
				open(c)
			}
			go s.recheck(r.Context(), done, check, c)
		}
	}
	_ = s.hub.Serve(r.Context(), conn, h)
}

// recheck closes c once the credential it connected with is gone. A failed
// check for another reason (the database briefly unreachable) keeps the
// connection: the next tick tries again.
func (s *Service) recheck(ctx context.Context, done <-chan struct{}, check access.CredentialCheck, c *wshub.Client[meta]) {
	t := time.NewTicker(s.cfg.RecheckEvery)
	defer t.Stop()
	for {
		select {
		case <-done:
			return
		case <-ctx.Done():
			return
		case <-t.C:
		}
		err := check(ctx)
		switch {
		case err == nil:
		case errors.Is(err, apperr.ErrUnauthorized):
			s.log.Debug("live: credential ended, closing", slog.Any("err", err))
			c.Close(websocket.StatusPolicyViolation, "session ended: log in again")
			return
		default:
			s.log.Warn("live: re-check credential", slog.Any("err", err))
		}
	}
}
