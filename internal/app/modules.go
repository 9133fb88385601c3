package app

import (
	"context"
	"fmt"
	"log/slog"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/jiaotong-platform/jiaotong/internal/gateway"
	"github.com/jiaotong-platform/jiaotong/internal/live"
	"github.com/jiaotong-platform/jiaotong/internal/monitor"
	"github.com/jiaotong-platform/jiaotong/internal/platform/access"
	"github.com/jiaotong-platform/jiaotong/internal/registry"
	"github.com/jiaotong-platform/jiaotong/internal/sim"
	"github.com/jiaotong-platform/jiaotong/internal/tracks"
)

// Stream names every module uses; the --nats-prefix namespace is applied to
// all of them in one place.
const (
	positionsStream = "POSITIONS"
	positionsPrefix = "pos"
	eventsStream    = "EVENTS"
	eventsPrefix    = "evt"
)

// buildStreamModules builds the modules that live on the event log: the
// track store and the monitor consume positions, the live hub pushes
// positions and monitor events to consoles. Their HTTP operations are
// registered in every process; their loops run only in the processes whose
// role says so (see Serve).
func (a *App) buildStreamModules(logger *slog.Logger, metrics prometheus.Registerer) {
	n := a.Config.NATS

	tcfg := tracks.DefaultConfig()
	tcfg.Stream, tcfg.SubjectPrefix = n.Stream(positionsStream), n.Subject(positionsPrefix)
	tcfg.Retention = a.Config.TrackRetention
	a.Tracks = tracks.New(a.DB, a.Bus, a.Registry, tcfg, logger.With("module", "tracks"))
	tracks.Register(a.HTTP.API, a.Tracks)

	mcfg := monitor.DefaultConfig()
	mcfg.PositionsStream, mcfg.PositionsPrefix = n.Stream(positionsStream), n.Subject(positionsPrefix)
	mcfg.EventsStream, mcfg.EventsPrefix = n.Stream(eventsStream), n.Subject(eventsPrefix)
	var cmds monitor.Commands // stays nil (not a typed nil) without a gateway in this process
	if a.Gateway != nil {
		cmds = a.Gateway
	}
	a.Monitor = monitor.New(a.DB, a.Bus, a.Registry, cmds, mcfg, logger)
	monitor.Register(a.HTTP.API, a.Monitor)

	a.Live = live.New(a.Bus, a.Registry, live.Config{
		PositionsStream:     n.Stream(positionsStream),
		EventsStream:        n.Stream(eventsStream),
		EventsSubjectPrefix: n.Subject(eventsPrefix),
		Registerer:          metrics,
	}, logger)
	a.Live.Mount(a.HTTP.Mux)

	gateway.RegisterExplainer(a.HTTP.API)
}

// demoFleet returns the demo vehicles as simulated terminals, with the
// coaches on their registered routes and the tankers with an active
// waybill on its trip.
func (a *App) demoFleet(ctx context.Context) ([]sim.Vehicle, error) {
	ctx = access.With(ctx, access.System)
	vehicles, err := listAll(ctx, a.Registry.Vehicles)
	if err != nil {
		return nil, fmt.Errorf("app: demo fleet: %w", err)
	}
	routes, err := listAll(ctx, a.Registry.Routes)
	if err != nil {
		return nil, fmt.Errorf("app: demo fleet: %w", err)
	}
	stations, err := listAll(ctx, a.Registry.Stations)
	if err != nil {
		return nil, fmt.Errorf("app: demo fleet: %w", err)
	}
	fleet := sim.FleetOf(vehicles, routes, stations)
	if err := a.withWaybillTrips(ctx, fleet); err != nil {
		return nil, err
	}
	return fleet, nil
}

// listAll pages through a registry list.
func listAll[T any](ctx context.Context, list func(context.Context, registry.Filter) ([]T, int, error)) ([]T, error) {
	const page = 500
	var out []T
	for {
		items, total, err := list(ctx, registry.Filter{Limit: page, Offset: len(out)})
		if err != nil {
			return nil, err
		}
		out = append(out, items...)
		if len(items) < page || len(out) >= total {
			return out, nil
		}
	}
}
