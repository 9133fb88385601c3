package basemap

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"sync"
	"testing"

	"github.com/jiaotong-platform/jiaotong/internal/platform/apperr"
	"github.com/jiaotong-platform/jiaotong/internal/platform/sqldb"
	"github.com/jiaotong-platform/jiaotong/internal/platform/sqldb/sqldbtest"
)

func migrated(t *testing.T, db *sqldb.DB) *sqldb.DB {
	t.Helper()
	if err := db.Migrate(context.Background(), Module()); err != nil {
		t.Fatal(err)
	}
	return db
}

func TestParseBoundariesFixture(t *testing.T) {
	data, err := os.ReadFile(filepath.Join("testdata", "boundaries-fixture.geojson"))
	if err != nil {
		t.Fatal(err)
	}
	bs, skipped, err := ParseBoundaries(data, DatumGCJ02)
	if err != nil {
		t.Fatal(err)
	}
	if len(bs) != 2 || skipped != 1 {
		t.Fatalf("%d boundaries, %d skipped; want 2 and the line skipped", len(bs), skipped)
	}
	a, b := bs[0], bs[1]
	if a.Name != "示例区甲" || a.Adcode != "990101" || a.AdminLevel != 6 || len(a.Polygons) != 1 || len(a.Polygons[0]) != 2 {
		t.Errorf("first boundary %+v", a)
	}
	// adcode given as a string, no level: the code's shape says a county.
	if b.Name != "示例区乙" || b.Adcode != "990102" || b.AdminLevel != 6 || len(b.Polygons) != 2 {
		t.Errorf("second boundary %+v", b)
	}
	// The unclosed triangle was closed.
	if r := b.Polygons[0][0]; r[0] != r[len(r)-1] {
		t.Errorf("ring not closed: %v", r)
	}
	// Converted: the corner moved to the WGS-84 point whose GCJ-02 image is
	// the file's corner.
	c := a.Polygons[0][0][0]
	gLon, gLat := ToGCJ02(c[0], c[1])
	if metres(gLon, gLat, 104.05, 30.64) > 0.01 {
		t.Errorf("corner %v maps back to %v, %v, not the file's 104.05, 30.64", c, gLon, gLat)
	}
	if d := metres(c[0], c[1], 104.05, 30.64); d < 200 {
		t.Errorf("GCJ-02 corner moved only %.0f m", d)
	}
	// The same file read as WGS-84 is taken as is.
	w, _, err := ParseBoundaries(data, DatumWGS84)
	if err != nil || w[0].Polygons[0][0][0] != [2]float64{104.05, 30.64} {
		t.Errorf("WGS-84 read: %v, %v", err, w)
	}
}

func TestParseBoundariesRejectsBadInput(t *testing.T) {
	for _, c := range []struct {
		name, json, datum, field string
	}{
		{"datum", `{"type":"FeatureCollection","features":[]}`, "bd09", "datum"},
		{"not json", `{`, "", "file"},
		{"geometry only", `{"type":"Polygon","coordinates":[]}`, "", "type"},
		{"no areas", `{"type":"FeatureCollection","features":[{"type":"Feature","properties":{"name":"x"},"geometry":{"type":"Point","coordinates":[104,30]}}]}`, "", "features"},
		{"short ring", `{"type":"FeatureCollection","features":[{"type":"Feature","properties":{"name":"x"},"geometry":{"type":"Polygon","coordinates":[[[104,30],[105,30],[104,30]]]}}]}`, "", "features[0].geometry.coordinates"},
		{"out of range", `{"type":"FeatureCollection","features":[{"type":"Feature","properties":{"name":"x"},"geometry":{"type":"Polygon","coordinates":[[[104,30],[105,95],[105,31],[104,30]]]}}]}`, "", "features[0].geometry.coordinates"},
		{"no name", `{"type":"FeatureCollection","features":[{"type":"Feature","properties":{},"geometry":{"type":"Polygon","coordinates":[[[104,30],[105,30],[105,31],[104,30]]]}}]}`, "", "features[0].properties.name"},
		{"no geometry", `{"type":"FeatureCollection","features":[{"type":"Feature","properties":{"name":"x"}}]}`, "", "features[0].geometry"},
	} {
		t.Run(c.name, func(t *testing.T) {
			_, _, err := ParseBoundaries([]byte(c.json), c.datum)
			if !errors.Is(err, apperr.ErrInvalid) {
				t.Fatalf("err %v, want invalid", err)
			}
			fs := apperr.Fields(err)
			if len(fs) == 0 || fs[0].Field != c.field {
				t.Errorf("fields %v, want %s", fs, c.field)
			}
		})
	}
}

// Imported boundaries are stored, replace earlier imports of the same area,
// and appear in the tiles with their adcode.
func TestImportBoundaries(t *testing.T) {
	sqldbtest.Run(t, func(t *testing.T, db *sqldb.DB) {
		ctx := context.Background()
		s := New(migrated(t, db), Config{}, quiet)
		data, err := os.ReadFile(filepath.Join("testdata", "boundaries-fixture.geojson"))
		if err != nil {
			t.Fatal(err)
		}
		// 104.0625° E is a tile edge at zooms up to 12: this tile holds both
		// areas and the first one's label.
		x, y := tileOf(104.10, 30.66, 11)
		if got := find(render(t, s, 11, x, y)[LayerBoundaries], "source", "import"); len(got) != 0 {
			t.Fatalf("imported boundaries before any import: %v", got)
		}
		res, err := s.Import(ctx, data, DatumGCJ02)
		if err != nil || res.Imported != 2 || res.Skipped != 1 {
			t.Fatalf("import: %+v, %v", res, err)
		}
		// Again: the same two areas are replaced, not duplicated.
		if _, err := s.Import(ctx, data, DatumGCJ02); err != nil {
			t.Fatal(err)
		}
		bs, err := s.Boundaries(ctx)
		if err != nil || len(bs) != 2 {
			t.Fatalf("stored %d boundaries, %v", len(bs), err)
		}
		if bs[0].Datum != DatumGCJ02 || bs[0].ImportedAt.IsZero() || len(bs[0].Polygons[0]) != 2 {
			t.Errorf("stored boundary %+v", bs[0])
		}
		ls := render(t, s, 11, x, y)
		got := find(ls[LayerBoundaries], "adcode", "990101")
		if len(got) != 2 { // exterior and hole
			t.Fatalf("%d boundary lines of 990101 in the tile, want 2", len(got))
		}
		if got[0].Props["source"] != "import" || got[0].Props["admin_level"] != int64(6) || got[0].Props["name"] != "示例区甲" {
			t.Errorf("boundary props %v", got[0].Props)
		}
		if labels := find(ls[LayerBoundaryLabels], "name", "示例区甲"); len(labels) != 1 {
			t.Errorf("boundary label: %v", labels)
		}

		// A second service on the same database (another process after
		// `jiaotong import boundaries`) sees them at its next refresh.
		other := New(db, Config{}, quiet)
		if _, _, err := other.tileset(ctx, true); err != nil {
			t.Fatal(err)
		}
		if len(find(render(t, other, 11, x, y)[LayerBoundaries], "adcode", "990102")) == 0 {
			t.Error("the other service does not draw the imported boundary")
		}
	})
}

// The real district boundaries of Chengdu (DataV, GCJ-02; not openly
// licensed, so read from the shared data when present, never copied).
func TestImportDataVChengdu(t *testing.T) {
	path := filepath.Join("..", "..", "..", "shared", "data", "china-admin", "geojson", "city", "成都市.json")
	data, err := os.ReadFile(path)
	if err != nil {
		t.Skipf("SKIP DataV boundaries not available: %v", err)
	}
	db := migrated(t, sqldbtest.OpenSQLite(t))
	s := New(db, Config{}, quiet)
	res, err := s.Import(context.Background(), data, DatumGCJ02)
	if err != nil {
		t.Fatal(err)
	}
	if res.Imported < 19 {
		t.Fatalf("imported %d districts of Chengdu", res.Imported)
	}
	bs, err := s.Boundaries(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	var jinjiang *Boundary
	for i := range bs {
		if bs[i].Adcode == "510104" {
			jinjiang = &bs[i]
		}
	}
	if jinjiang == nil || jinjiang.Name != "锦江区" || jinjiang.AdminLevel != 6 {
		t.Fatalf("锦江区 (510104) not imported as a district: %+v", jinjiang)
	}
	// 春熙路 (WGS-84, from OpenStreetMap) lies inside 锦江区 once converted.
	in := false
	p := project(104.0776, 30.6570)
	for _, poly := range jinjiang.Polygons {
		ring := make([]wpt, len(poly[0]))
		for i, c := range poly[0] {
			ring[i] = project(c[0], c[1])
		}
		in = in || pointInRing(p, ring)
	}
	if !in {
		t.Error("春熙路 is not inside the converted 锦江区")
	}
	x, y := tileOf(104.0776, 30.6570, 12)
	if len(find(render(t, s, 12, x, y)[LayerBoundaries], "adcode", "510104")) == 0 {
		t.Error("锦江区 is not drawn in its tile")
	}
}

// Tiles are served while an import rebuilds the index; afterwards every
// tile comes from the new generation.
func TestTilesDuringImport(t *testing.T) {
	ctx := context.Background()
	s := New(migrated(t, sqldbtest.OpenSQLite(t)), Config{}, quiet)
	data, err := os.ReadFile(filepath.Join("testdata", "boundaries-fixture.geojson"))
	if err != nil {
		t.Fatal(err)
	}
	x, y := tileOf(104.10, 30.66, 11)
	before, err := s.tile(ctx, 11, x, y)
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	errs := make(chan error, 4)
	for g := range 4 {
		wg.Go(func() {
			for i := range 40 {
				if _, err := s.tile(ctx, 13, 6464+(i+g)%6, 3362+i%5); err != nil {
					errs <- err
					return
				}
			}
		})
	}
	if _, err := s.Import(ctx, data, DatumGCJ02); err != nil {
		t.Fatal(err)
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	after, err := s.tile(ctx, 11, x, y)
	if err != nil {
		t.Fatal(err)
	}
	if after.etag == before.etag || len(after.gz) <= len(before.gz) {
		t.Errorf("tile after the import: etag %s (before %s), %d bytes (before %d)", after.etag, before.etag, len(after.gz), len(before.gz))
	}
}
