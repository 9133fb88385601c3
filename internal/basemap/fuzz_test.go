package basemap

import (
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/jiaotong-platform/jiaotong/internal/platform/apperr"
)

// Any file given to the boundaries import is either taken or refused as
// invalid input, never a panic or another kind of error; what is taken has
// closed rings within range.
func FuzzParseBoundaries(f *testing.F) {
	if b, err := os.ReadFile(filepath.Join("testdata", "boundaries-fixture.geojson")); err == nil {
		f.Add(b, true)
	}
	f.Add([]byte(`{"type":"Feature","properties":{"adcode":510104},"geometry":{"type":"MultiPolygon","coordinates":[[[[104,30],[105,30],[105,31],[104,30]]]]}}`), false)
	f.Add([]byte(`{"type":"FeatureCollection","features":[{"type":"Feature","properties":{"name":"x"},"geometry":{"type":"Polygon","coordinates":[[[1e400,0]]]}}]}`), true)
	f.Fuzz(func(t *testing.T, data []byte, gcj bool) {
		datum := DatumWGS84
		if gcj {
			datum = DatumGCJ02
		}
		bs, _, err := ParseBoundaries(data, datum)
		if err != nil {
			if !errors.Is(err, apperr.ErrInvalid) {
				t.Fatalf("error of another kind: %v", err)
			}
			return
		}
		for _, b := range bs {
			if b.Name == "" && b.Adcode == "" {
				t.Fatal("boundary without name or adcode")
			}
			for _, p := range b.Polygons {
				for _, r := range p {
					if len(r) < 4 || r[0] != r[len(r)-1] {
						t.Fatalf("ring %v", r)
					}
					for _, c := range r {
						if !(c[0] >= -180 && c[0] <= 180 && c[1] >= -90 && c[1] <= 90) {
							t.Fatalf("position %v out of range", c)
						}
					}
				}
			}
		}
	})
}

// Decoding arbitrary bytes as a tile never panics.
func FuzzDecodeTile(f *testing.F) {
	enc := newLayerEncoder("roads")
	enc.add(tileFeature{ID: 1, Type: geomLine, Props: []prop{{"class", "primary"}}, Parts: [][]tpt{{{0, 0}, {10, 10}}}})
	f.Add(encodeTile([]*layerEncoder{enc}))
	f.Fuzz(func(t *testing.T, data []byte) {
		_, _ = DecodeTile(data)
	})
}
