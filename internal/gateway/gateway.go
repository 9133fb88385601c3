// Package gateway is the JT/T 808 terminal gateway: a TCP server holding one
// session per terminal, which registers and authenticates terminals against
// the registry, publishes their positions to the POSITIONS stream of the
// event log in batches, answers a position only once the stream has stored
// it, and carries downlink commands from the API to terminals and their
// replies back.
//
// # Acknowledged means durable
//
// A 0x0200 report (or a 0x0704 batch) gets its 0x8001 general response only
// after JetStream acknowledged the stream message holding its positions; see
// pipeline.go for how positions of many terminals share one message and how
// back-pressure reaches the sockets.
//
// # Authentication codes
//
// The code handed out in 0x8100 is derived, not stored: the first 12
// characters of base32(HMAC-SHA256(secret, phone "|" vehicle id)). The secret
// is Config.AuthSecret (the app keeps it in a key file in the data
// directory), so a restarted gateway, or another gateway instance with the
// same secret, accepts the codes it issued without re-registration, and a
// phone moved to another vehicle gets a new code. Deregistration (0x0003)
// ends the session; the terminal registers again and receives the same code.
//
// # Offline terminals
//
// A command to a terminal without an authenticated session is refused at
// once with 409 Conflict ("terminal offline"), not queued: commands such as
// a text message or temporary tracking are operator actions whose meaning
// fades quickly, and an operator seeing the refusal can retry.
//
// # Lock order
//
// partition.mu → (nothing); session.mu → (nothing); Gateway.mu → session.mu
// only for reads of a session's fields in listings. Publisher goroutines call
// session methods without holding partition.mu.
package gateway

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base32"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"strconv"
	"sync"
	"syscall"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/jiaotong-platform/jiaotong/internal/platform/apperr"
	"github.com/jiaotong-platform/jiaotong/internal/platform/bus"
	"github.com/jiaotong-platform/jiaotong/internal/protocol/jt808"
	"github.com/jiaotong-platform/jiaotong/internal/registry"
)

// Config tunes the gateway. Zero fields take the defaults of DefaultConfig.
type Config struct {
	// Stream and SubjectPrefix name the positions stream and its subjects
	// (SubjectPrefix.<partition>); change them when several platforms share
	// one NATS cluster.
	Stream        string
	SubjectPrefix string
	// Partitions is the number of position partitions (subjects); a vehicle
	// always maps to Partition(vehicleID, Partitions).
	Partitions int
	// Retention bounds how long the stream keeps positions.
	Retention time.Duration

	// A batch is flushed when it holds MaxBatchPositions positions or
	// MaxBatchBytes bytes, or LingerTime after its first position.
	MaxBatchPositions int
	MaxBatchBytes     int
	LingerTime        time.Duration
	// MaxInflight is the number of flushed batches per partition that may
	// wait for the stream before readers block (back-pressure).
	MaxInflight int

	// IdleTimeout closes a connection that sent nothing for that long
	// (default three heartbeat intervals of 60 s).
	IdleTimeout time.Duration
	// MaxFrame is the largest escaped frame accepted.
	MaxFrame int
	// MaxReadBuffer caps the per-connection read buffer, which starts small
	// and grows only for terminals that send in bursts.
	MaxReadBuffer int
	// MaxWriteQueue is the most unsent reply bytes a connection may hold; a
	// terminal that does not read its replies is disconnected beyond it.
	MaxWriteQueue int
	// WriteTimeout bounds one blocked write to a terminal.
	WriteTimeout time.Duration
	// MaxBadFrames consecutive malformed frames close the connection.
	MaxBadFrames int

	// CommandTimeout is how long a downlink command waits for the reply.
	CommandTimeout time.Duration
	// ReassemblyTimeout drops an incomplete subpackaged message.
	ReassemblyTimeout time.Duration

	// AuthSecret keys the authentication codes (see the package doc).
	AuthSecret []byte
}

// DefaultConfig returns the defaults.
func DefaultConfig() Config {
	return Config{
		Stream:            "POSITIONS",
		SubjectPrefix:     "pos",
		Partitions:        16,
		Retention:         30 * 24 * time.Hour,
		MaxBatchPositions: 256,
		MaxBatchBytes:     64 << 10,
		LingerTime:        5 * time.Millisecond,
		MaxInflight:       4,
		IdleTimeout:       180 * time.Second,
		MaxFrame:          jt808.MaxFrameSize,
		MaxReadBuffer:     64 << 10,
		MaxWriteQueue:     64 << 10,
		WriteTimeout:      10 * time.Second,
		MaxBadFrames:      32,
		CommandTimeout:    30 * time.Second,
		ReassemblyTimeout: 60 * time.Second,
	}
}

func (c Config) withDefaults() Config {
	d := DefaultConfig()
	set := func(v *int, def int) {
		if *v <= 0 {
			*v = def
		}
	}
	setD := func(v *time.Duration, def time.Duration) {
		if *v <= 0 {
			*v = def
		}
	}
	if c.Stream == "" {
		c.Stream = d.Stream
	}
	if c.SubjectPrefix == "" {
		c.SubjectPrefix = d.SubjectPrefix
	}
	set(&c.Partitions, d.Partitions)
	setD(&c.Retention, d.Retention)
	set(&c.MaxBatchPositions, d.MaxBatchPositions)
	set(&c.MaxBatchBytes, d.MaxBatchBytes)
	setD(&c.LingerTime, d.LingerTime)
	set(&c.MaxInflight, d.MaxInflight)
	setD(&c.IdleTimeout, d.IdleTimeout)
	set(&c.MaxFrame, d.MaxFrame)
	set(&c.MaxReadBuffer, d.MaxReadBuffer)
	set(&c.MaxWriteQueue, d.MaxWriteQueue)
	setD(&c.WriteTimeout, d.WriteTimeout)
	set(&c.MaxBadFrames, d.MaxBadFrames)
	setD(&c.CommandTimeout, d.CommandTimeout)
	setD(&c.ReassemblyTimeout, d.ReassemblyTimeout)
	return c
}

// Vehicles is what the gateway needs of the registry: the unscoped terminal
// lookup for sessions and the scoped vehicle read for the API.
type Vehicles interface {
	VehicleByTerminalPhone(ctx context.Context, phone string) (registry.VehicleRef, error)
	Vehicle(ctx context.Context, id int64) (*registry.Vehicle, error)
}

// Gateway is the JT/T 808 server. Create it with New, run it with Serve.
type Gateway struct {
	cfg      Config
	bus      *bus.Bus
	vehicles Vehicles
	logger   *slog.Logger
	m        *metrics
	pl       *pipeline
	now      func() time.Time

	mu       sync.RWMutex
	sessions map[string]*session   // authenticated, by phone key
	conns    map[*session]struct{} // every open connection
	closing  bool
	connWG   sync.WaitGroup
}

// New builds a gateway publishing to b. reg may be nil (no metrics).
func New(cfg Config, b *bus.Bus, vehicles Vehicles, logger *slog.Logger, reg prometheus.Registerer) (*Gateway, error) {
	cfg = cfg.withDefaults()
	if len(cfg.AuthSecret) < 16 {
		return nil, fmt.Errorf("gateway: %w", apperr.Field("auth_secret", "must be at least 16 bytes", len(cfg.AuthSecret)))
	}
	if logger == nil {
		logger = slog.Default()
	}
	g := &Gateway{
		cfg:      cfg,
		bus:      b,
		vehicles: vehicles,
		logger:   logger,
		m:        newMetrics(reg),
		now:      time.Now,
		sessions: map[string]*session{},
		conns:    map[*session]struct{}{},
	}
	g.pl = newPipeline(b, cfg, g.m)
	return g, nil
}

// Config returns the effective configuration (defaults applied).
func (g *Gateway) Config() Config { return g.cfg }

// Serve declares the positions stream, accepts terminals on ln until ctx
// ends, then closes every connection, publishes what was already read and
// returns. The listener is closed on return.
func (g *Gateway) Serve(ctx context.Context, ln net.Listener) error {
	defer ln.Close()
	if err := ensureStream(ctx, g.bus, g.cfg); err != nil {
		return err
	}
	plCtx, stopPipeline := context.WithCancel(context.WithoutCancel(ctx))
	var plWG sync.WaitGroup
	for _, pt := range g.pl.parts {
		plWG.Go(func() { pt.run(plCtx) })
	}
	g.logger.Info("gateway: listening", slog.String("addr", ln.Addr().String()),
		slog.String("stream", g.cfg.Stream), slog.Int("partitions", g.cfg.Partitions))

	stop := context.AfterFunc(ctx, func() { ln.Close() })
	defer stop()
	var err error
	var delay time.Duration
	for {
		c, aerr := ln.Accept()
		if aerr != nil {
			if ctx.Err() != nil {
				break
			}
			var ne net.Error
			if errors.As(aerr, &ne) && ne.Timeout() || errors.Is(aerr, syscall.EMFILE) || errors.Is(aerr, syscall.ENFILE) {
				delay = min(max(2*delay, 5*time.Millisecond), time.Second)
				g.logger.Warn("gateway: accept", slog.Any("err", aerr), slog.Duration("retry_in", delay))
				time.Sleep(delay)
				continue
			}
			err = fmt.Errorf("gateway: accept: %w", aerr)
			break
		}
		delay = 0
		g.startConn(c)
	}

	// Shutdown: close every connection, wait for the read loops, then let
	// the publishers publish what they hold and stop.
	g.mu.Lock()
	g.closing = true
	for s := range g.conns {
		s.close("shutdown")
	}
	g.mu.Unlock()
	g.connWG.Wait()
	stopPipeline()
	plWG.Wait()
	for _, pt := range g.pl.parts {
		pt.timer.Stop()
	}
	g.logger.Info("gateway: stopped")
	return err
}

func (g *Gateway) startConn(c net.Conn) {
	s := newSession(g, c)
	g.mu.Lock()
	if g.closing {
		g.mu.Unlock()
		c.Close()
		return
	}
	g.conns[s] = struct{}{}
	g.connWG.Add(1)
	g.mu.Unlock()
	g.m.connected.Inc()
	go func() {
		defer g.connWG.Done()
		s.serve()
		g.m.connected.Dec()
		g.mu.Lock()
		delete(g.conns, s)
		if g.sessions[s.key] == s {
			delete(g.sessions, s.key)
			g.m.authenticated.Dec()
		}
		g.mu.Unlock()
	}()
}

// bind makes s the authenticated session of its phone, closing an older
// connection of the same terminal.
func (g *Gateway) bind(s *session) {
	g.mu.Lock()
	old := g.sessions[s.key]
	g.sessions[s.key] = s
	if old == nil {
		g.m.authenticated.Inc()
	}
	g.mu.Unlock()
	if old != nil && old != s {
		old.close("replaced by a newer connection")
	}
}

// unbind removes s as the authenticated session of its phone.
func (g *Gateway) unbind(s *session) {
	g.mu.Lock()
	if g.sessions[s.key] == s {
		delete(g.sessions, s.key)
		g.m.authenticated.Dec()
	}
	g.mu.Unlock()
}

func (g *Gateway) session(phoneKey string) *session {
	g.mu.RLock()
	defer g.mu.RUnlock()
	return g.sessions[phoneKey]
}

// AuthCode returns the authentication code the gateway issues to the
// terminal with phone key (leading zeros stripped) on vehicleID.
func (g *Gateway) AuthCode(phoneKey string, vehicleID int64) string {
	mac := hmac.New(sha256.New, g.cfg.AuthSecret)
	mac.Write([]byte(phoneKey))
	mac.Write([]byte{'|'})
	mac.Write(strconv.AppendInt(nil, vehicleID, 10))
	sum := mac.Sum(nil)
	return base32.StdEncoding.EncodeToString(sum)[:12]
}
