package app

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	"github.com/jiaotong-platform/jiaotong/internal/platform/access"
	"github.com/jiaotong-platform/jiaotong/internal/roadnet"
	"github.com/jiaotong-platform/jiaotong/internal/sim"
	"github.com/jiaotong-platform/jiaotong/internal/waybill"
)

// buildCrossChecks builds the e-waybill cross-checks: a consumer of the
// positions that compares hazardous goods vehicles with their active
// waybill. It reads waybills through the waybill service, reports alarms
// into the monitor's lifecycle and reads the monitor's hazmat-forbidden and
// sensitive zones; the registry says which vehicles carry dangerous goods.
// It runs in the processes with the monitor role.
func (a *App) buildCrossChecks(logger *slog.Logger) {
	cfg := waybill.DefaultWatchConfig()
	cfg.PositionsStream = a.Config.NATS.Stream(positionsStream)
	a.CrossChecks = waybill.NewCrossChecks(a.DB, a.Bus, waybill.TripsOf(a.Waybill, a.DB), a.Monitor, a.Monitor, a.Registry, cfg, logger)
	a.Waybill.OnChange(func(waybill.Event) { a.CrossChecks.ForgetTrips() })
	waybill.RegisterCrossChecks(a.HTTP.API, a.CrossChecks)
}

// withWaybillTrips makes each demo tanker with an active waybill drive that
// waybill's trip (sim.HazmatTrip: load, leave at the planned departure,
// drive loaded to the unloading place, unload) instead of free trips, so the demo shows the cross-checks both
// ways: these tankers raise no waybill alarm, while the others, which
// report a load on every other trip, raise waybill_missing.
func (a *App) withWaybillTrips(ctx context.Context, fleet []sim.Vehicle) error {
	active, err := a.Waybill.Active(access.With(ctx, access.System))
	if err != nil {
		return fmt.Errorf("app: demo fleet: %w", err)
	}
	byVehicle := map[int64]*waybill.Waybill{}
	for i := range active {
		byVehicle[active[i].VehicleID] = &active[i]
	}
	for i := range fleet {
		w := byVehicle[fleet[i].ID]
		if w == nil || fleet[i].Route != nil {
			continue
		}
		trip := &sim.HazmatTrip{Loading: roadnet.Point{Lon: w.Loading.Lon, Lat: w.Loading.Lat},
			Unloading: roadnet.Point{Lon: w.Unloading.Lon, Lat: w.Unloading.Lat}, LoadFor: 15 * time.Minute, UnloadFor: 15 * time.Minute,
			DepartAt: w.DepartureAt}
		for _, p := range w.Route.Polyline {
			trip.Route = append(trip.Route, roadnet.Point{Lon: p[0], Lat: p[1]})
		}
		fleet[i].Trip = trip
	}
	return nil
}
