package basemap

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/jiaotong-platform/jiaotong/internal/platform/apperr"
	"github.com/jiaotong-platform/jiaotong/internal/platform/sqldb"
)

// Boundary is an administrative area imported from GeoJSON, in WGS-84.
type Boundary struct {
	ID         int64     `json:"id"`
	Name       string    `json:"name"`
	Adcode     string    `json:"adcode,omitempty"`
	AdminLevel int       `json:"admin_level"`
	Datum      string    `json:"source_datum"`
	ImportedAt time.Time `json:"imported_at"`
	// Polygons are rings of [lon, lat], each polygon its exterior ring
	// followed by its holes (the GeoJSON MultiPolygon layout).
	Polygons [][][][2]float64 `json:"-"`
}

// ImportResult says what an import did.
type ImportResult struct {
	Imported int `json:"imported"`
	// Skipped counts features whose geometry is not an area (lines, points).
	Skipped int `json:"skipped"`
}

// geojson is the subset of RFC 7946 the import reads.
type geojsonObject struct {
	Type       string          `json:"type"`
	Features   []geojsonObject `json:"features"`
	Geometry   *geojsonObject  `json:"geometry"`
	Properties map[string]any  `json:"properties"`
	// Coordinates stay raw until the type says their depth.
	Coordinates json.RawMessage `json:"coordinates"`
}

// ParseBoundaries reads a GeoJSON FeatureCollection (or one Feature) of
// Polygon and MultiPolygon features with name and adcode properties,
// converting from datum (wgs84 or gcj02) to WGS-84. A problem is reported
// as apperr.Invalid naming the feature (features[3].geometry...).
func ParseBoundaries(data []byte, datum string) ([]Boundary, int, error) {
	if datum == "" {
		datum = DatumWGS84
	}
	if datum != DatumWGS84 && datum != DatumGCJ02 {
		return nil, 0, apperr.Field("datum", "must be wgs84 or gcj02", datum)
	}
	var root geojsonObject
	if err := json.Unmarshal(data, &root); err != nil {
		return nil, 0, apperr.Field("file", "not GeoJSON: "+err.Error(), nil)
	}
	var feats []geojsonObject
	prefix := "features"
	switch root.Type {
	case "FeatureCollection":
		feats = root.Features
	case "Feature":
		feats, prefix = []geojsonObject{root}, "feature"
	default:
		return nil, 0, apperr.Field("type", "must be FeatureCollection or Feature", root.Type)
	}
	var (
		out     []Boundary
		skipped int
		inv     apperr.Invalid
	)
	for i, f := range feats {
		field := prefix
		if root.Type == "FeatureCollection" {
			field = fmt.Sprintf("features[%d]", i)
		}
		if f.Geometry == nil {
			inv.Add(field+".geometry", "missing", nil)
			continue
		}
		var polys [][][][2]float64
		var err error
		switch f.Geometry.Type {
		case "Polygon":
			var p [][][2]float64
			if p, err = decodeRings(f.Geometry.Coordinates); err == nil {
				polys = [][][][2]float64{p}
			}
		case "MultiPolygon":
			var raw []json.RawMessage
			if err = json.Unmarshal(f.Geometry.Coordinates, &raw); err == nil {
				for _, r := range raw {
					p, perr := decodeRings(r)
					if perr != nil {
						err = perr
						break
					}
					polys = append(polys, p)
				}
			}
		default:
			skipped++
			continue
		}
		if err != nil {
			inv.Add(field+".geometry.coordinates", err.Error(), nil)
			continue
		}
		b := Boundary{Datum: datum, Polygons: polys}
		b.Name = propString(f.Properties, "name")
		b.Adcode = propString(f.Properties, "adcode")
		if b.Name == "" && b.Adcode == "" {
			inv.Add(field+".properties.name", "a boundary needs a name or an adcode", nil)
			continue
		}
		b.AdminLevel = adminLevel(f.Properties, b.Adcode)
		if datum == DatumGCJ02 {
			for _, p := range b.Polygons {
				for _, r := range p {
					for k, c := range r {
						lon, lat := ToWGS84(c[0], c[1])
						r[k] = [2]float64{lon, lat}
					}
				}
			}
		}
		out = append(out, b)
	}
	if err := inv.Err(); err != nil {
		return nil, 0, err
	}
	if len(out) == 0 {
		return nil, skipped, apperr.Field("features", "no Polygon or MultiPolygon feature", nil)
	}
	return out, skipped, nil
}

// decodeRings reads Polygon coordinates: rings of at least four positions,
// closed, within longitude and latitude bounds.
func decodeRings(raw json.RawMessage) ([][][2]float64, error) {
	var rings [][][]float64
	if err := json.Unmarshal(raw, &rings); err != nil {
		return nil, errors.New("not a list of rings of [lon, lat] positions")
	}
	if len(rings) == 0 {
		return nil, errors.New("a polygon needs an exterior ring")
	}
	out := make([][][2]float64, len(rings))
	for i, r := range rings {
		if len(r) < 4 {
			return nil, fmt.Errorf("ring %d has %d positions, a ring needs at least 4", i, len(r))
		}
		out[i] = make([][2]float64, len(r))
		for j, c := range r {
			if len(c) < 2 || !(c[0] >= -180 && c[0] <= 180 && c[1] >= -90 && c[1] <= 90) {
				return nil, fmt.Errorf("ring %d position %d: not a longitude and latitude in range", i, j)
			}
			out[i][j] = [2]float64{c[0], c[1]}
		}
		if out[i][0] != out[i][len(r)-1] {
			out[i] = append(out[i], out[i][0]) // close it, as RFC 7946 asks of the writer
		}
	}
	return out, nil
}

func propString(p map[string]any, key string) string {
	switch v := p[key].(type) {
	case string:
		return strings.TrimSpace(v)
	case float64:
		if v == math.Trunc(v) {
			return strconv.FormatInt(int64(v), 10)
		}
		return strconv.FormatFloat(v, 'f', -1, 64)
	}
	return ""
}

// adminLevel is the OSM admin_level of a boundary: from admin_level, else
// the DataV-style level name, else the shape of the GB/T 2260 code.
func adminLevel(p map[string]any, adcode string) int {
	if s := propString(p, "admin_level"); s != "" {
		if n, err := strconv.Atoi(s); err == nil && n >= 1 && n <= 12 {
			return n
		}
	}
	switch propString(p, "level") {
	case "country":
		return 2
	case "province":
		return 4
	case "city":
		return 5
	case "district":
		return 6
	case "street", "township":
		return 8
	}
	switch {
	case len(adcode) == 6 && strings.HasSuffix(adcode, "0000"):
		return 4
	case len(adcode) == 6 && strings.HasSuffix(adcode, "00"):
		return 5
	case len(adcode) >= 6:
		return 6
	}
	return 6
}

// boundaryStore keeps the imported boundaries in SQL.
type boundaryStore struct{ db *sqldb.DB }

// Save stores the boundaries, replacing earlier imports of the same areas
// (same adcode, or same name when there is none), all in one transaction.
func (s boundaryStore) Save(ctx context.Context, bs []Boundary) error {
	now := time.Now().UnixMilli()
	err := s.db.InTx(ctx, func(tx *sqldb.Tx) error {
		for _, b := range bs {
			geom, err := json.Marshal(b.Polygons)
			if err != nil {
				return err
			}
			key := b.Adcode
			if key == "" {
				key = "name:" + b.Name
			}
			if _, err := tx.ExecContext(ctx, `DELETE FROM basemap_boundary WHERE key = $1`, key); err != nil {
				return err
			}
			if _, err := tx.ExecContext(ctx, `INSERT INTO basemap_boundary (key, name, adcode, admin_level, source_datum, geometry, imported_ms)
				VALUES ($1, $2, $3, $4, $5, $6, $7)`, key, b.Name, b.Adcode, b.AdminLevel, b.Datum, string(geom), now); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("basemap: save boundaries: %w", sqldb.MapError(err))
	}
	return nil
}

// All returns every stored boundary, geometry included, in id order.
func (s boundaryStore) All(ctx context.Context) ([]Boundary, error) {
	rows, err := s.db.Read().QueryContext(ctx, `SELECT id, name, adcode, admin_level, source_datum, geometry, imported_ms
		FROM basemap_boundary ORDER BY id`)
	if err != nil {
		return nil, fmt.Errorf("basemap: list boundaries: %w", sqldb.MapError(err))
	}
	defer rows.Close()
	var out []Boundary
	for rows.Next() {
		var (
			b    Boundary
			geom string
			ms   int64
		)
		if err := rows.Scan(&b.ID, &b.Name, &b.Adcode, &b.AdminLevel, &b.Datum, &geom, &ms); err != nil {
			return nil, fmt.Errorf("basemap: list boundaries: %w", err)
		}
		if err := json.Unmarshal([]byte(geom), &b.Polygons); err != nil {
			return nil, fmt.Errorf("basemap: boundary %d: geometry: %w", b.ID, err)
		}
		b.ImportedAt = time.UnixMilli(ms).UTC()
		out = append(out, b)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("basemap: list boundaries: %w", err)
	}
	return out, nil
}

// Version identifies the stored set: it changes with every import, so a
// server notices imports made by another process (`jiaotong import
// boundaries`) and rebuilds its tiles.
func (s boundaryStore) Version(ctx context.Context) (string, error) {
	var (
		n  int64
		ms sql.NullInt64
		id sql.NullInt64
	)
	if err := s.db.Read().QueryRowContext(ctx, `SELECT COUNT(*), MAX(imported_ms), MAX(id) FROM basemap_boundary`).Scan(&n, &ms, &id); err != nil {
		return "", fmt.Errorf("basemap: boundaries version: %w", sqldb.MapError(err))
	}
	return fmt.Sprintf("%d-%d-%d", n, ms.Int64, id.Int64), nil
}

// boundaryFeatures turns imported boundaries into tile features: their
// rings as lines in the boundaries layer and a name point in
// boundary_labels (at the centre of the largest polygon's box).
func boundaryFeatures(bs []Boundary) []*feature {
	var out []*feature
	for _, b := range bs {
		id := uint64(b.ID)<<8 | 0xb0
		bestArea, best := -1.0, bbox{}
		for _, poly := range b.Polygons {
			for i, ring := range poly {
				line := make([]wpt, len(ring))
				for k, c := range ring {
					line[k] = project(c[0], c[1])
				}
				out = append(out, boundaryLine(id, b.AdminLevel, "import", b.Name, b.Adcode, line).finish())
				if i == 0 {
					if a := worldRingArea(line); a > bestArea {
						bestArea, best = a, out[len(out)-1].Box
					}
				}
			}
		}
		if b.Name != "" && bestArea > 0 {
			c := wpt{(best.MinX + best.MaxX) / 2, (best.MinY + best.MaxY) / 2}
			ps := []prop{{"name", b.Name}, {"admin_level", int64(b.AdminLevel)}}
			if b.Adcode != "" {
				ps = append(ps, prop{"adcode", b.Adcode})
			}
			out = append(out, (&feature{Layer: LayerBoundaryLabels, Type: geomPoint, ID: id | 1, MinZoom: boundaryMinZoom(b.AdminLevel),
				Rank: -b.AdminLevel, Props: ps, Parts: [][]wpt{{c}}}).finish())
		}
	}
	return out
}
