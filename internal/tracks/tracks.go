// Package tracks is the track store (轨迹): it keeps every position of every
// vehicle for months as compressed per-vehicle chunks in SQL, and answers
// track, playback, mileage, trip and stop, daily summary, data-quality and
// "who was here" queries over them.
//
// Positions arrive as batches on the gateway's POSITIONS stream. The
// consumer appends them to an in-memory head per vehicle (kept in time
// order, so late and blind-area points land where they belong); a sealing
// loop turns heads into chunks (package chunk) and writes them in batched
// transactions. Chunks of one vehicle may overlap in time when late points
// arrive after their hour was sealed: readers merge them by time.
//
// Crash recovery needs no flush on shutdown. The store keeps its own
// checkpoint, written in the same transaction as the chunks: the stream
// sequence to replay from (the oldest sequence still held only in a head),
// and per vehicle the highest sequence already sealed. After a restart the
// consumer replays from the checkpoint and skips, per vehicle, what is
// already sealed: no gap and no duplicate.
//
// Retention deletes chunks older than Config.Retention (default 190 days) in
// small batches, so writers are never blocked for long.
package tracks

import (
	"context"
	"embed"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/jiaotong-platform/jiaotong/internal/platform/bus"
	"github.com/jiaotong-platform/jiaotong/internal/platform/sqldb"
	"github.com/jiaotong-platform/jiaotong/internal/registry"
)

//go:embed migrations
var migrations embed.FS

// Module is the track store's schema, migrated at start-up with the others.
func Module() sqldb.Module {
	return sqldb.NewModule("tracks", migrations)
}

// Vehicles looks up a vehicle within the caller's data scope; the
// registry's Service satisfies it. A vehicle outside the scope is reported
// as not found (or forbidden), and the track store then answers the same.
type Vehicles interface {
	Vehicle(ctx context.Context, id int64) (*registry.Vehicle, error)
}

// chunkSpan bounds the time a chunk covers, so range queries can bound
// their index scans on start time. It is part of the stored data's
// contract: do not shrink it once chunks exist.
const chunkSpan = time.Hour

// Config tunes the track store. Zero fields take the defaults of
// DefaultConfig.
type Config struct {
	// Stream and SubjectPrefix name the positions stream (gateway config).
	Stream        string
	SubjectPrefix string
	// Partitions restricts the consumer to these partitions (all when
	// empty): the unit of scale-out when several nodes share the work.
	Partitions []int
	// Consumer names this consumer's checkpoint; nodes owning different
	// partitions need different names.
	Consumer string

	// ChunkPoints is the most points a chunk holds (at most 65,536).
	ChunkPoints int
	// HeadAge is how long a vehicle's head collects points before it is
	// sealed; it bounds both memory and the replay after a crash.
	HeadAge time.Duration
	// SealEvery is how often the sealing loop looks for heads to seal.
	SealEvery time.Duration
	// SealBatch is the most chunks written in one transaction.
	SealBatch int

	// Retention is how long chunks are kept (by device time).
	Retention time.Duration
	// RetentionEvery is how often expired chunks are deleted, and
	// RetentionBatch how many rows one delete statement removes.
	RetentionEvery time.Duration
	RetentionBatch int

	// Reports tunes trips, stops, mileage and data-quality marks.
	Reports ReportConfig
}

// ReportConfig tunes the derived reports.
type ReportConfig struct {
	// StopSpeed is the speed (km/h) at or below which a vehicle counts as
	// standing; MinStop the shortest standstill reported as a stop.
	StopSpeed float64
	MinStop   time.Duration
	// Gap is the longest interval between two reports that still counts as
	// continuous data; longer ones are marked as gaps.
	Gap time.Duration
	// MaxSpeed (km/h) is the fastest plausible movement between two
	// reports; a jump implying more is marked as drift and left out of
	// geometric distances.
	MaxSpeed float64
}

// DefaultConfig returns the defaults.
func DefaultConfig() Config {
	return Config{
		Stream:         "POSITIONS",
		SubjectPrefix:  "pos",
		Consumer:       "tracks",
		ChunkPoints:    720,
		HeadAge:        time.Hour,
		SealEvery:      2 * time.Second,
		SealBatch:      500,
		Retention:      190 * 24 * time.Hour,
		RetentionEvery: time.Hour,
		RetentionBatch: 500,
		Reports: ReportConfig{
			StopSpeed: 3,
			MinStop:   5 * time.Minute,
			Gap:       10 * time.Minute,
			MaxSpeed:  220,
		},
	}
}

func (c Config) withDefaults() Config {
	d := DefaultConfig()
	if c.Stream == "" {
		c.Stream = d.Stream
	}
	if c.SubjectPrefix == "" {
		c.SubjectPrefix = d.SubjectPrefix
	}
	if c.Consumer == "" {
		c.Consumer = d.Consumer
	}
	setInt := func(v *int, def int) {
		if *v <= 0 {
			*v = def
		}
	}
	setDur := func(v *time.Duration, def time.Duration) {
		if *v <= 0 {
			*v = def
		}
	}
	setInt(&c.ChunkPoints, d.ChunkPoints)
	c.ChunkPoints = min(c.ChunkPoints, 1<<16)
	setDur(&c.HeadAge, d.HeadAge)
	setDur(&c.SealEvery, d.SealEvery)
	setInt(&c.SealBatch, d.SealBatch)
	setDur(&c.Retention, d.Retention)
	setDur(&c.RetentionEvery, d.RetentionEvery)
	setInt(&c.RetentionBatch, d.RetentionBatch)
	if c.Reports.StopSpeed <= 0 {
		c.Reports.StopSpeed = d.Reports.StopSpeed
	}
	setDur(&c.Reports.MinStop, d.Reports.MinStop)
	setDur(&c.Reports.Gap, d.Reports.Gap)
	if c.Reports.MaxSpeed <= 0 {
		c.Reports.MaxSpeed = d.Reports.MaxSpeed
	}
	return c
}

// Validate reports every problem of the configuration at once.
func (c Config) Validate() error {
	var errs []error
	if c.ChunkPoints < 0 || c.ChunkPoints > 1<<16 {
		errs = append(errs, fmt.Errorf("tracks: chunk points %d outside 1..65536", c.ChunkPoints))
	}
	if c.Retention < 0 {
		errs = append(errs, errors.New("tracks: retention must not be negative"))
	}
	for _, p := range c.Partitions {
		if p < 0 {
			errs = append(errs, fmt.Errorf("tracks: partition %d is negative", p))
		}
	}
	return errors.Join(errs...)
}

// Service is the track store: ingest, sealing, retention and queries.
type Service struct {
	db       *sqldb.DB
	events   *bus.Bus
	vehicles Vehicles
	cfg      Config
	logger   *slog.Logger
	heads    *heads
	now      func() time.Time
}

// New builds the track store. bus may be nil for a store that only
// answers queries (Run then fails).
func New(db *sqldb.DB, b *bus.Bus, vehicles Vehicles, cfg Config, logger *slog.Logger) *Service {
	if logger == nil {
		logger = slog.Default()
	}
	return &Service{
		db: db, events: b, vehicles: vehicles, cfg: cfg.withDefaults(), logger: logger,
		heads: newHeads(), now: time.Now,
	}
}

// Config returns the effective configuration (defaults applied).
func (s *Service) Config() Config { return s.cfg }
