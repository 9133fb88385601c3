package app

import (
	"log/slog"

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
