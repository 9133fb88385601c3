package app

import (
	"context"
	"fmt"
	"log/slog"

	"github.com/jiaotong-platform/jiaotong/internal/roadnet"
	"github.com/jiaotong-platform/jiaotong/internal/waybill"
)

// buildWaybill builds the dangerous-goods e-waybill module: it reads the
// registry through the waybill.Registry interface, creates the platform's
// SM2 key pair on first start (stored in the database, so every process of
// a cluster signs with the same key) and mounts the public verification
// page its QR codes open.
func (a *App) buildWaybill(ctx context.Context, logger *slog.Logger) error {
	a.Waybill = waybill.New(a.DB, a.Registry, logger.With("module", "waybill"))
	if err := a.Waybill.Init(ctx); err != nil {
		return fmt.Errorf("app: waybill signing key: %w", err)
	}
	waybill.Register(a.HTTP.API, a.Waybill)
	waybill.RegisterConsole(a.HTTP.API, roadnet.Chengdu)
	waybill.MountPublic(a.HTTP.Mux, a.Waybill)
	return nil
}
