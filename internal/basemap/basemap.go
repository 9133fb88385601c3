// Package basemap is the platform's self-hosted map: it cuts Mapbox Vector
// Tiles from OpenStreetMap data (the embedded central-Chengdu extract unless
// another file is configured) and administrative boundaries imported from
// GeoJSON, serves light and dark MapLibre styles and the glyphs their
// labels need, so the console shows a complete map on a network with no
// internet at all. An external raster tile service can replace the
// self-hosted tiles; see docs/basemap.md.
package basemap

import (
	"bytes"
	"compress/gzip"
	"container/list"
	"context"
	"embed"
	"fmt"
	"hash/fnv"
	"io"
	"log/slog"
	"os"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/jiaotong-platform/jiaotong/internal/platform/sqldb"
	"github.com/jiaotong-platform/jiaotong/internal/roadnet"
)

//go:embed migrations
var migrations embed.FS

// Module is the basemap's schema (imported boundaries).
func Module() sqldb.Module { return sqldb.NewModule("basemap", migrations) }

// Config configures the basemap.
type Config struct {
	// OSMFile is the OpenStreetMap extract (.osm, .osm.gz or .osm.pbf) the
	// tiles are cut from; empty means the embedded Chengdu extract.
	OSMFile string
	// Attribution is shown for the self-hosted tiles; it defaults to the
	// OpenStreetMap notice the ODbL requires.
	Attribution string
	// External, when its URL is set, replaces the self-hosted tiles.
	External ExternalTiles
	// CacheBytes bounds the in-memory tile cache (64 MiB by default).
	CacheBytes int
	// WarmMaxZoom is the deepest zoom generated in the background at start
	// (13 by default, -1 for none); deeper tiles are made on first request.
	WarmMaxZoom int
	// Registerer receives the basemap's metrics (tile requests by result,
	// generation time); nil registers nothing.
	Registerer prometheus.Registerer
}

// metrics counts what the tile handler answered, so that an operator (and
// the offline browser test) sees the maps being served.
type metrics struct {
	requests *prometheus.CounterVec
	render   prometheus.Histogram
}

func newMetrics(reg prometheus.Registerer) *metrics {
	m := &metrics{
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "jiaotong_basemap_tile_requests_total",
			Help: "Basemap tile requests by result: data, empty (204), not_modified (304), not_found, error.",
		}, []string{"result"}),
		render: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name:    "jiaotong_basemap_tile_render_seconds",
			Help:    "Time to cut and compress one basemap tile (cache misses).",
			Buckets: []float64{0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25},
		}),
	}
	if reg != nil {
		reg.MustRegister(m.requests, m.render)
	}
	return m
}

// Service generates and serves the basemap.
type Service struct {
	cfg    Config
	store  *boundaryStore
	logger *slog.Logger
	glyphs glyphs

	osmOnce  sync.Once
	osm      []*feature
	osmErr   error
	mu       sync.Mutex // guards ts, tsVer, gen and the cache
	ts       *tileset
	tsVer    string
	gen      uint64
	cache    *tileCache
	building sync.Mutex // one tileset build at a time
	metrics  *metrics
}

// New returns the basemap service. db may be nil (no imported boundaries).
func New(db *sqldb.DB, cfg Config, logger *slog.Logger) *Service {
	if logger == nil {
		logger = slog.Default()
	}
	if cfg.Attribution == "" {
		cfg.Attribution = roadnet.ChengduAttribution
	}
	if cfg.CacheBytes <= 0 {
		cfg.CacheBytes = 64 << 20
	}
	if cfg.WarmMaxZoom == 0 {
		cfg.WarmMaxZoom = 13
	}
	s := &Service{cfg: cfg, logger: logger.With("module", "basemap"), cache: newTileCache(cfg.CacheBytes), metrics: newMetrics(cfg.Registerer)}
	if db != nil {
		s.store = &boundaryStore{db}
	}
	return s
}

// External reports the configured external tile source, if any.
func (s *Service) External() *ExternalTiles {
	if s.cfg.External.URL == "" {
		return nil
	}
	e := s.cfg.External
	return &e
}

func (s *Service) loadOSM() ([]*feature, error) {
	s.osmOnce.Do(func() {
		start := time.Now()
		var r io.Reader
		if s.cfg.OSMFile == "" {
			r = bytes.NewReader(roadnet.ChengduOSM())
		} else {
			f, err := os.Open(s.cfg.OSMFile)
			if err != nil {
				s.osmErr = fmt.Errorf("basemap: %w", err)
				return
			}
			defer f.Close()
			r = f
		}
		s.osm, s.osmErr = readOSMFeatures(r)
		if s.osmErr == nil {
			src := s.cfg.OSMFile
			if src == "" {
				src = "embedded Chengdu extract"
			}
			s.logger.Info("basemap: OpenStreetMap data read", slog.String("source", src),
				slog.Int("features", len(s.osm)), slog.Duration("took", time.Since(start)))
		}
	})
	return s.osm, s.osmErr
}

// tileset returns the current index and its generation, building it on
// first use or when the stored boundaries changed since (checked when
// refresh is set).
func (s *Service) tileset(ctx context.Context, refresh bool) (*tileset, uint64, error) {
	s.mu.Lock()
	ts, gen := s.ts, s.gen
	s.mu.Unlock()
	if ts != nil && !refresh {
		return ts, gen, nil
	}
	s.building.Lock()
	defer s.building.Unlock()
	ver := ""
	if s.store != nil {
		v, err := s.store.Version(ctx)
		if err != nil {
			if ts != nil {
				return ts, gen, nil // keep serving what we have
			}
			return nil, 0, err
		}
		ver = v
	}
	s.mu.Lock()
	if s.ts != nil && s.tsVer == ver {
		ts, gen = s.ts, s.gen
		s.mu.Unlock()
		return ts, gen, nil
	}
	s.mu.Unlock()
	osm, err := s.loadOSM()
	if err != nil {
		return nil, 0, err
	}
	features := osm
	if s.store != nil {
		bs, err := s.store.All(ctx)
		if err != nil {
			return nil, 0, err
		}
		features = append(append([]*feature(nil), osm...), boundaryFeatures(bs)...)
	}
	nts := newTileset(features)
	s.mu.Lock()
	s.ts, s.tsVer = nts, ver
	s.gen++
	gen = s.gen
	s.cache.clear()
	s.mu.Unlock()
	return nts, gen, nil
}

// tile is one generated tile as served: gzip-compressed MVT (empty when
// the tile has no features) and its entity tag.
type tile struct {
	gz   []byte
	etag string
}

// Tile returns tile z/x/y, from the cache or freshly cut.
func (s *Service) tile(ctx context.Context, z, x, y int) (tile, error) {
	ts, gen, err := s.tileset(ctx, false)
	if err != nil {
		return tile{}, err
	}
	key := tileKey{gen, z, x, y}
	s.mu.Lock()
	t, ok := s.cache.get(key)
	s.mu.Unlock()
	if ok {
		return t, nil
	}
	start := time.Now()
	raw := ts.render(z, x, y)
	t = tile{etag: fmt.Sprintf(`"%d-%x"`, gen, fnvSum(raw))}
	if len(raw) > 0 {
		var buf bytes.Buffer
		zw, _ := gzip.NewWriterLevel(&buf, gzip.BestSpeed)
		_, _ = zw.Write(raw)
		_ = zw.Close()
		t.gz = buf.Bytes()
	}
	s.metrics.render.Observe(time.Since(start).Seconds())
	s.mu.Lock()
	if s.gen == gen {
		s.cache.put(key, t)
	}
	s.mu.Unlock()
	return t, nil
}

// Render returns the uncompressed MVT of tile z/x/y (nil when empty); for
// tools and benchmarks, bypassing the cache.
func (s *Service) Render(ctx context.Context, z, x, y int) ([]byte, error) {
	if !validTile(z, x, y) {
		return nil, fmt.Errorf("basemap: no tile %d/%d/%d", z, x, y)
	}
	ts, _, err := s.tileset(ctx, false)
	if err != nil {
		return nil, err
	}
	return ts.render(z, x, y), nil
}

func fnvSum(b []byte) uint64 {
	h := fnv.New64a()
	h.Write(b)
	return h.Sum64()
}

// Bounds returns the WGS-84 box of the data: west, south, east, north.
func (s *Service) Bounds(ctx context.Context) ([4]float64, error) {
	ts, _, err := s.tileset(ctx, false)
	if err != nil {
		return [4]float64{}, err
	}
	w, n := unproject(wpt{ts.bounds.MinX, ts.bounds.MinY})
	e, so := unproject(wpt{ts.bounds.MaxX, ts.bounds.MaxY})
	return [4]float64{w, so, e, n}, nil
}

// Pregenerate cuts every tile from minZoom to maxZoom that touches the
// data, into the cache, and returns how many tiles it made and how many had
// data. It logs progress at each zoom.
func (s *Service) Pregenerate(ctx context.Context, minZoom, maxZoom int) (tiles, withData int, err error) {
	ts, _, err := s.tileset(ctx, false)
	if err != nil {
		return 0, 0, err
	}
	for z := max(minZoom, 0); z <= min(maxZoom, MaxZoom); z++ {
		x0, y0, x1, y1 := tileRange(ts.bounds, z)
		start, n := time.Now(), 0
		for x := x0; x <= x1; x++ {
			for y := y0; y <= y1; y++ {
				if err := ctx.Err(); err != nil {
					return tiles, withData, err
				}
				t, err := s.tile(ctx, z, x, y)
				if err != nil {
					return tiles, withData, err
				}
				tiles++
				if len(t.gz) > 0 {
					withData++
					n++
				}
			}
		}
		// Progress: a large extract takes a while at its deeper zooms.
		level := slog.LevelDebug
		if time.Since(start) > time.Second {
			level = slog.LevelInfo
		}
		s.logger.Log(ctx, level, "basemap: zoom generated", slog.Int("zoom", z), slog.Int("tiles", (x1-x0+1)*(y1-y0+1)),
			slog.Int("with_data", n), slog.Duration("took", time.Since(start)))
	}
	return tiles, withData, nil
}

// tileRange is the range of tiles at zoom z covering b.
func tileRange(b bbox, z int) (x0, y0, x1, y1 int) {
	n := float64(int(1) << z)
	clamp := func(v float64) int { return max(0, min(int(v*n), (1<<z)-1)) }
	return clamp(b.MinX), clamp(b.MinY), clamp(b.MaxX), clamp(b.MaxY)
}

// Run warms the cache in the background, then watches for boundaries
// imported by another process, until ctx ends.
func (s *Service) Run(ctx context.Context) error {
	if s.cfg.External.URL == "" && s.cfg.WarmMaxZoom >= 0 {
		start := time.Now()
		n, d, err := s.Pregenerate(ctx, 0, s.cfg.WarmMaxZoom)
		if err != nil && ctx.Err() == nil {
			s.logger.Warn("basemap: warm-up failed", slog.Any("err", err))
		} else if err == nil {
			s.logger.Info("basemap: tiles generated", slog.Int("max_zoom", s.cfg.WarmMaxZoom), slog.Int("tiles", n),
				slog.Int("with_data", d), slog.Duration("took", time.Since(start)))
		}
	}
	tick := time.NewTicker(30 * time.Second)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-tick.C:
			if _, _, err := s.tileset(ctx, true); err != nil && ctx.Err() == nil {
				s.logger.Warn("basemap: refresh", slog.Any("err", err))
			}
		}
	}
}

// Import parses a GeoJSON file of boundaries in datum, stores them and
// rebuilds the tiles.
func (s *Service) Import(ctx context.Context, data []byte, datum string) (ImportResult, error) {
	if s.store == nil {
		return ImportResult{}, fmt.Errorf("basemap: import: no database")
	}
	bs, skipped, err := ParseBoundaries(data, datum)
	if err != nil {
		return ImportResult{}, fmt.Errorf("basemap: import: %w", err)
	}
	if err := s.store.Save(ctx, bs); err != nil {
		return ImportResult{}, err
	}
	if _, _, err := s.tileset(ctx, true); err != nil {
		return ImportResult{}, err
	}
	s.logger.Info("basemap: boundaries imported", slog.Int("boundaries", len(bs)), slog.Int("skipped", skipped), slog.String("datum", datum))
	return ImportResult{Imported: len(bs), Skipped: skipped}, nil
}

// Boundaries lists the imported boundaries (geometry included).
func (s *Service) Boundaries(ctx context.Context) ([]Boundary, error) {
	if s.store == nil {
		return nil, nil
	}
	return s.store.All(ctx)
}

// tileKey names a cached tile of one tileset generation.
type tileKey struct {
	gen     uint64
	z, x, y int
}

// tileCache is a least-recently-used cache bounded by bytes. Not safe for
// concurrent use: the Service holds mu around it.
type tileCache struct {
	max, size int
	ll        *list.List
	m         map[tileKey]*list.Element
}

type cacheEntry struct {
	key tileKey
	t   tile
}

func newTileCache(maxBytes int) *tileCache {
	return &tileCache{max: maxBytes, ll: list.New(), m: map[tileKey]*list.Element{}}
}

func (c *tileCache) get(k tileKey) (tile, bool) {
	if e, ok := c.m[k]; ok {
		c.ll.MoveToFront(e)
		return e.Value.(*cacheEntry).t, true
	}
	return tile{}, false
}

func entrySize(t tile) int { return len(t.gz) + len(t.etag) + 64 }

func (c *tileCache) put(k tileKey, t tile) {
	if e, ok := c.m[k]; ok {
		c.size -= entrySize(e.Value.(*cacheEntry).t)
		e.Value.(*cacheEntry).t = t
		c.size += entrySize(t)
		c.ll.MoveToFront(e)
	} else {
		c.m[k] = c.ll.PushFront(&cacheEntry{k, t})
		c.size += entrySize(t)
	}
	for c.size > c.max && c.ll.Len() > 1 {
		e := c.ll.Back()
		ce := e.Value.(*cacheEntry)
		c.ll.Remove(e)
		delete(c.m, ce.key)
		c.size -= entrySize(ce.t)
	}
}

func (c *tileCache) clear() {
	c.ll.Init()
	clear(c.m)
	c.size = 0
}
