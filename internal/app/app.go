// Package app is the composition root: it opens storage and the event log,
// builds every module, wires them together and runs them until the context
// ends. Nothing else in the platform knows how the parts fit.
package app

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"slices"
	"sync"

	"golang.org/x/sync/errgroup"

	"github.com/jiaotong-platform/jiaotong/internal/basemap"
	"github.com/jiaotong-platform/jiaotong/internal/demo"
	"github.com/jiaotong-platform/jiaotong/internal/gateway"
	"github.com/jiaotong-platform/jiaotong/internal/iam"
	"github.com/jiaotong-platform/jiaotong/internal/live"
	"github.com/jiaotong-platform/jiaotong/internal/monitor"
	"github.com/jiaotong-platform/jiaotong/internal/platform/access"
	"github.com/jiaotong-platform/jiaotong/internal/platform/audit"
	"github.com/jiaotong-platform/jiaotong/internal/platform/bus"
	"github.com/jiaotong-platform/jiaotong/internal/platform/config"
	"github.com/jiaotong-platform/jiaotong/internal/platform/httpapi"
	"github.com/jiaotong-platform/jiaotong/internal/platform/obs"
	"github.com/jiaotong-platform/jiaotong/internal/platform/sqldb"
	"github.com/jiaotong-platform/jiaotong/internal/registry"
	"github.com/jiaotong-platform/jiaotong/internal/sim"
	"github.com/jiaotong-platform/jiaotong/internal/tracks"
	"github.com/jiaotong-platform/jiaotong/internal/waybill"
	"github.com/jiaotong-platform/jiaotong/web/console"
)

// Options are the process-level inputs of Run besides the configuration.
type Options struct {
	Logger  *slog.Logger
	Stdout  io.Writer // where the console address and login are printed
	Version string
	// HTTPListener, when set, is used instead of listening on cfg.HTTP.Addr
	// (tests pass 127.0.0.1:0).
	HTTPListener net.Listener
	// JT808Listener, when set, is used instead of listening on cfg.JT808.Addr.
	JT808Listener net.Listener
}

// App is a running platform instance.
type App struct {
	Config   config.Config
	DB       *sqldb.DB
	Bus      *bus.Bus
	HTTP     *httpapi.Server
	IAM      *iam.Service
	Registry *registry.Service
	Gateway  *gateway.Gateway // nil unless the process has the gateway role
	Tracks   *tracks.Service
	Monitor  *monitor.Service
	Live     *live.Service
	Waybill  *waybill.Service
	// CrossChecks compares hazmat vehicles' positions with their waybills.
	CrossChecks *waybill.CrossChecks
	Basemap     *basemap.Service

	logger    *slog.Logger
	stdout    io.Writer
	closeOnce sync.Once

	jt808Listener net.Listener
	closers       []func() error
}

// modules lists every module's schema, in dependency order.
func modules() []sqldb.Module {
	return []sqldb.Module{audit.Module(), iam.Module(), registry.Module(), tracks.Module(), monitor.Module(), basemap.Module(), waybill.Module(),
		waybill.CrossCheckModule()}
}

// New opens storage and the event log, migrates the schema and builds every
// module. Call Close when done (Run does).
func New(ctx context.Context, cfg config.Config, opts Options) (a *App, err error) {
	logger := opts.Logger
	if logger == nil {
		logger = slog.Default()
	}
	stdout := opts.Stdout
	if stdout == nil {
		stdout = io.Discard
	}
	a = &App{Config: cfg, logger: logger, stdout: stdout, jt808Listener: opts.JT808Listener}
	defer func() {
		if err != nil {
			a.Close()
		}
	}()

	a.DB, err = openDB(ctx, cfg, logger)
	if err != nil {
		return nil, err
	}
	a.closers = append(a.closers, a.DB.Close)
	if err := a.DB.Migrate(ctx, modules()...); err != nil {
		return nil, fmt.Errorf("app: migrate: %w", err)
	}

	reg := obs.NewRegistry()
	if cfg.NATS.URL != "" {
		a.Bus, err = bus.Connect(ctx, cfg.NATS.URL, bus.WithLogger(logger), bus.WithRegisterer(reg))
	} else {
		a.Bus, err = bus.StartEmbedded(ctx, bus.EmbeddedOptions{StoreDir: cfg.NATSStoreDir(), Listen: cfg.NATS.Listen, Logger: logger},
			bus.WithRegisterer(reg))
	}
	if err != nil {
		return nil, fmt.Errorf("app: event log: %w", err)
	}
	a.closers = append(a.closers, a.Bus.Close)

	a.HTTP = httpapi.New(httpapi.Options{Logger: logger, Registry: reg, Version: opts.Version})
	a.HTTP.AddReadyCheck("database", a.DB.Ping)
	a.HTTP.AddReadyCheck("event-log", a.Bus.Ping)

	a.Registry = registry.New(a.DB, logger.With("module", "registry"))
	a.IAM = iam.New(a.DB, iam.Config{
		SessionIdle:      cfg.Auth.SessionIdle,
		SessionLifetime:  cfg.Auth.SessionLifetime,
		LockoutThreshold: cfg.Auth.LockoutAfter,
		LockoutDuration:  cfg.Auth.LockoutFor,
		SecureCookie:     cfg.HTTP.SecureCookies,
	}, logger, a.Registry)

	a.HTTP.Use(a.IAM.Middleware)
	iam.Register(a.HTTP.API, a.IAM)
	registry.Register(a.HTTP.API, a.Registry)
	if cfg.HasRole("gateway") {
		if a.Gateway, err = newGateway(cfg, a.Bus, a.Registry, logger, reg); err != nil {
			return nil, err
		}
		gateway.Register(a.HTTP.API, a.Gateway)
	}
	a.buildStreamModules(logger, reg)
	if err := a.buildWaybill(ctx, logger); err != nil {
		return nil, err
	}
	a.buildCrossChecks(logger)
	a.Basemap = newBasemap(a.DB, cfg, logger, reg)
	a.Basemap.Mount(a.HTTP.Mux)
	if cfg.HTTP.Pprof {
		mountPprof(a.HTTP.Mux)
	}
	console.Mount(a.HTTP.Mux)
	return a, nil
}

func openDB(ctx context.Context, cfg config.Config, logger *slog.Logger) (*sqldb.DB, error) {
	if cfg.Postgres == "" {
		if err := os.MkdirAll(cfg.DataDir, 0o750); err != nil {
			return nil, fmt.Errorf("app: create data dir: %w", err)
		}
	}
	db, err := sqldb.Open(ctx, sqldb.Options{Postgres: cfg.Postgres, SQLitePath: cfg.SQLitePath(), Logger: logger})
	if err != nil {
		return nil, fmt.Errorf("app: %w", err)
	}
	return db, nil
}

// Close stops the modules and closes the event log and the database.
func (a *App) Close() {
	a.closeOnce.Do(func() {
		for _, c := range slices.Backward(a.closers) {
			if err := c(); err != nil {
				a.logger.Warn("app: close", slog.Any("err", err))
			}
		}
	})
}

// Bootstrap makes a fresh installation usable: the first administrator and,
// with --demo, the Chengdu demo dataset and its users. It returns the lines
// to show the person who started the platform.
func (a *App) Bootstrap(ctx context.Context) ([]string, error) {
	var lines []string
	user, generated, created, err := a.IAM.EnsureAdmin(ctx, a.Config.Auth.AdminPassword)
	if err != nil {
		return nil, fmt.Errorf("app: bootstrap admin: %w", err)
	}
	switch {
	case created && generated != "":
		lines = append(lines, fmt.Sprintf("administrator: %s / %s   (generated; shown only this once — change it after logging in)", user, generated))
	case created:
		lines = append(lines, fmt.Sprintf("administrator: %s / (the password in JIAOTONG_ADMIN_PASSWORD)", user))
	default:
		lines = append(lines, fmt.Sprintf("administrator: %s (password set at first start)", user))
	}
	if a.Config.Demo {
		demoLines, err := a.seedDemo(ctx)
		if err != nil {
			return nil, err
		}
		lines = append(lines, demoLines...)
	}
	return lines, nil
}

func (a *App) seedDemo(ctx context.Context) ([]string, error) {
	ds := demo.Generate(demo.DefaultSeed)
	if err := demo.Seed(ctx, a.Registry, ds); err != nil {
		return nil, fmt.Errorf("app: demo data: %w", err)
	}
	if err := demo.SeedWaybills(ctx, a.Registry, a.Waybill, ds); err != nil {
		return nil, fmt.Errorf("app: demo waybills: %w", err)
	}
	sys := access.With(ctx, access.System)
	if _, err := a.IAM.SeedOrgUnits(sys, "510000"); err != nil {
		return nil, fmt.Errorf("app: demo org units: %w", err)
	}
	var lines []string
	for _, u := range ds.Users {
		if _, err := a.IAM.EnsureUser(sys, u.User()); err != nil {
			return nil, fmt.Errorf("app: demo user %s: %w", u.Username, err)
		}
		lines = append(lines, fmt.Sprintf("demo login:    %s / %s   (%s)", u.Username, demo.UserPassword, u.Description))
	}
	return lines, nil
}

// Run builds the platform, serves until ctx ends and shuts down gracefully.
func Run(ctx context.Context, cfg config.Config, opts Options) error {
	a, err := New(ctx, cfg, opts)
	if err != nil {
		return err
	}
	defer a.Close()
	return a.Serve(ctx, opts.HTTPListener)
}

// Serve bootstraps, prints where to find the console and runs every part
// until ctx ends or one of them fails.
func (a *App) Serve(ctx context.Context, ln net.Listener) error {
	jln := a.jt808Listener
	closeListeners := func() {
		for _, l := range []net.Listener{ln, jln} {
			if l != nil {
				l.Close()
			}
		}
	}
	lines, err := a.Bootstrap(ctx)
	if err != nil {
		closeListeners()
		return err
	}
	if ln == nil {
		if ln, err = net.Listen("tcp", a.Config.HTTP.Addr); err != nil {
			closeListeners()
			return fmt.Errorf("app: listen on %s: %w", a.Config.HTTP.Addr, err)
		}
	}
	var fleet []sim.Vehicle
	if a.Gateway != nil {
		if jln == nil {
			if jln, err = net.Listen("tcp", a.Config.JT808.Addr); err != nil {
				closeListeners()
				return fmt.Errorf("app: listen on %s: %w", a.Config.JT808.Addr, err)
			}
		}
		if a.Config.Demo {
			if fleet, err = a.demoFleet(ctx); err != nil {
				closeListeners()
				return err
			}
		}
	}

	fmt.Fprintf(a.stdout, "\nJiaotong (交通) is running.\n  console:       %s\n", ConsoleURL(ln.Addr()))
	for _, l := range lines {
		fmt.Fprintln(a.stdout, "  "+l)
	}
	fmt.Fprintf(a.stdout, "  API:           %sapi/v1/openapi.json\n", ConsoleURL(ln.Addr()))
	if jln != nil {
		fmt.Fprintf(a.stdout, "  JT/T 808:      %s\n", jln.Addr())
	}
	if len(fleet) > 0 {
		fmt.Fprintf(a.stdout, "  demo fleet:    %d simulated terminals driving Chengdu's roads\n", len(fleet))
	}
	fmt.Fprintf(a.stdout, "  storage:       %s, event log: %s\n\n", a.DB.Dialect(), a.busLabel())

	g, gctx := errgroup.WithContext(ctx)
	if a.Gateway != nil {
		g.Go(func() error { return a.Gateway.Serve(gctx, jln) })
	}
	if len(fleet) > 0 {
		g.Go(func() error { return sim.RunDemo(gctx, jln.Addr().String(), fleet, a.logger.With("module", "sim")) })
	}
	if a.Config.HasRole("tracks") {
		g.Go(func() error { return a.Tracks.Run(gctx) })
	}
	if a.Config.HasRole("monitor") {
		g.Go(func() error { return a.Monitor.Run(gctx) })
		g.Go(func() error { return a.CrossChecks.Run(gctx) })
	}
	if a.Config.HasRole("api") {
		g.Go(func() error { return a.Live.Run(gctx) })
		g.Go(func() error { return a.Basemap.Run(gctx) })
	}
	g.Go(func() error { return a.HTTP.Serve(gctx, ln, a.Config.HTTP.ShutdownGrace) })
	err = g.Wait()
	if errors.Is(err, http.ErrServerClosed) || errors.Is(err, context.Canceled) {
		err = nil
	}
	a.logger.Info("jiaotong stopped")
	return err
}

func (a *App) busLabel() string {
	if a.Config.NATS.URL != "" {
		return "NATS JetStream (external)"
	}
	return "NATS JetStream (embedded)"
}

// ConsoleURL is the address a browser opens for listener address addr.
func ConsoleURL(addr net.Addr) string {
	host, port, err := net.SplitHostPort(addr.String())
	if err != nil {
		return "http://" + addr.String() + "/"
	}
	if ip := net.ParseIP(host); ip == nil || ip.IsUnspecified() {
		host = "127.0.0.1"
	}
	return "http://" + net.JoinHostPort(host, port) + "/"
}
