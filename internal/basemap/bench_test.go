package basemap

import (
	"context"
	"fmt"
	"testing"
)

// BenchmarkTile cuts the tile over 春熙路 at each zoom from the index,
// without the cache: the cost of a first request.
func BenchmarkTile(b *testing.B) {
	s := chengdu()
	if _, _, err := s.tileset(context.Background(), false); err != nil {
		b.Fatal(err)
	}
	for z := 12; z <= MaxZoom; z++ {
		x, y := tileOf(104.0776, 30.6570, z)
		b.Run(fmt.Sprintf("z%d", z), func(b *testing.B) {
			var size int
			for b.Loop() {
				raw, err := s.Render(context.Background(), z, x, y)
				if err != nil || len(raw) == 0 {
					b.Fatal(err)
				}
				size = len(raw)
			}
			b.ReportMetric(float64(size), "bytes/tile")
		})
	}
}

// BenchmarkPregenerateChengdu cuts and compresses every tile of the
// embedded extract from zoom 0 to 16, from a fresh cache.
func BenchmarkPregenerateChengdu(b *testing.B) {
	s := New(nil, Config{CacheBytes: 512 << 20}, quiet)
	if _, _, err := s.tileset(context.Background(), false); err != nil {
		b.Fatal(err)
	}
	var n, d int
	for b.Loop() {
		s.mu.Lock()
		s.cache.clear()
		s.mu.Unlock()
		var err error
		if n, d, err = s.Pregenerate(context.Background(), 0, MaxZoom); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(n), "tiles")
	b.ReportMetric(float64(d), "tiles_with_data")
}

// BenchmarkReadChengdu reads the extract into features and indexes them:
// the start-up cost.
func BenchmarkReadChengdu(b *testing.B) {
	for b.Loop() {
		s := New(nil, Config{}, quiet)
		if _, _, err := s.tileset(context.Background(), false); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkGlyphRange renders the Latin-1 glyph range from the Go font
// (parsing the font included): the cost of the first label request.
func BenchmarkGlyphRange(b *testing.B) {
	for b.Loop() {
		var g glyphs
		if _, err := g.Range(FontRegular, 0); err != nil {
			b.Fatal(err)
		}
	}
}
