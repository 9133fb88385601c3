package app

import (
	"context"
	"fmt"
	"log/slog"
	"os"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/jiaotong-platform/jiaotong/internal/basemap"
	"github.com/jiaotong-platform/jiaotong/internal/platform/config"
	"github.com/jiaotong-platform/jiaotong/internal/platform/sqldb"
)

// newBasemap builds the self-hosted map from the configuration; reg (may be
// nil) receives its metrics.
func newBasemap(db *sqldb.DB, cfg config.Config, logger *slog.Logger, reg prometheus.Registerer) *basemap.Service {
	return basemap.New(db, basemap.Config{
		OSMFile:    cfg.Basemap.OSM,
		Registerer: reg,
		External: basemap.ExternalTiles{
			URL:         cfg.Basemap.TilesURL,
			Datum:       cfg.Basemap.TilesDatum,
			Attribution: cfg.Basemap.TilesAttribution,
		},
	}, logger)
}

// ImportBoundaries loads administrative boundaries from a GeoJSON file in
// datum (wgs84 or gcj02) into the basemap, for `jiaotong import boundaries`.
// A running platform picks them up within half a minute.
func ImportBoundaries(ctx context.Context, cfg config.Config, logger *slog.Logger, path, datum string) (basemap.ImportResult, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return basemap.ImportResult{}, fmt.Errorf("read %s: %w", path, err)
	}
	db, err := openDB(ctx, cfg, logger)
	if err != nil {
		return basemap.ImportResult{}, err
	}
	defer db.Close()
	if err := db.Migrate(ctx, modules()...); err != nil {
		return basemap.ImportResult{}, fmt.Errorf("migrate: %w", err)
	}
	return newBasemap(db, cfg, logger, nil).Import(ctx, data, datum)
}
