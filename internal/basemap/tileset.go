package basemap

import (
	"cmp"
	"slices"

	"github.com/tidwall/rtree"
)

// MaxZoom is the deepest zoom the server generates; the map overzooms
// beyond it (vector tiles stay sharp).
const MaxZoom = 16

// tileBuffer is how far (in tile units) geometry reaches past the tile's
// edge, so that lines and outlines join without seams.
const tileBuffer = 64

// simplifyTolerance (tile units; 4096 units span 512 screen pixels) removes
// detail finer than about a quarter of a pixel.
const simplifyTolerance = 2

// tileset is an immutable index of features, one R-tree per layer.
type tileset struct {
	layers map[string]*rtree.RTreeG[*feature]
	bounds bbox
	count  int
}

func newTileset(features []*feature) *tileset {
	// Stable order: lower rank first, so major roads are drawn on top of
	// minor ones within the layer, then by id for reproducible tiles.
	fs := slices.Clone(features)
	slices.SortStableFunc(fs, func(a, b *feature) int {
		if c := cmp.Compare(a.Rank, b.Rank); c != 0 {
			return c
		}
		return cmp.Compare(a.ID, b.ID)
	})
	ts := &tileset{layers: map[string]*rtree.RTreeG[*feature]{}, bounds: emptyBBox()}
	for _, f := range fs {
		if !f.Box.valid() {
			continue
		}
		tr := ts.layers[f.Layer]
		if tr == nil {
			tr = &rtree.RTreeG[*feature]{}
			ts.layers[f.Layer] = tr
		}
		tr.Insert([2]float64{f.Box.MinX, f.Box.MinY}, [2]float64{f.Box.MaxX, f.Box.MaxY}, f)
		ts.bounds.add(wpt{f.Box.MinX, f.Box.MinY})
		ts.bounds.add(wpt{f.Box.MaxX, f.Box.MaxY})
		ts.count++
	}
	return ts
}

// validTile reports whether z/x/y names a tile this server may generate.
func validTile(z, x, y int) bool {
	if z < 0 || z > MaxZoom {
		return false
	}
	n := 1 << z
	return x >= 0 && x < n && y >= 0 && y < n
}

// render encodes tile z/x/y; nil means the tile has no features.
func (ts *tileset) render(z, x, y int) []byte {
	box := tileBounds(z, x, y, tileBuffer)
	if !box.intersects(ts.bounds) {
		return nil
	}
	tr := newToTile(z, x, y)
	lo, hi := float64(-tileBuffer), float64(Extent+tileBuffer)
	// Polygons smaller than about a pixel are not drawn.
	minArea := 64.0 / (tr.scale * tr.scale)
	var encs []*layerEncoder
	var hits []*feature
	for _, name := range layerOrder {
		t := ts.layers[name]
		if t == nil {
			continue
		}
		hits = hits[:0]
		t.Search([2]float64{box.MinX, box.MinY}, [2]float64{box.MaxX, box.MaxY}, func(_, _ [2]float64, f *feature) bool {
			if f.MinZoom <= z && (f.Type != geomPolygon || f.Area >= minArea) {
				hits = append(hits, f)
			}
			return true
		})
		if len(hits) == 0 {
			continue
		}
		// The R-tree returns hits in its own order; draw in the layer's.
		slices.SortStableFunc(hits, func(a, b *feature) int {
			if c := cmp.Compare(a.Rank, b.Rank); c != 0 {
				return c
			}
			return cmp.Compare(a.ID, b.ID)
		})
		enc := newLayerEncoder(name)
		for _, f := range hits {
			if tf, ok := clipFeature(f, tr, lo, hi); ok {
				enc.add(tf)
			}
		}
		encs = append(encs, enc)
	}
	out := encodeTile(encs)
	if len(out) == 0 {
		return nil
	}
	return out
}

// clipFeature projects a feature into the tile, clips and simplifies it.
func clipFeature(f *feature, tr toTile, lo, hi float64) (tileFeature, bool) {
	tf := tileFeature{ID: f.ID, Type: f.Type, Props: f.Props}
	buf := make([]fpt, 0, 64)
	switch f.Type {
	case geomPoint:
		var pts []tpt
		for _, p := range f.Parts[0] {
			q := tr.apply(p)
			if q.X >= lo && q.X <= hi && q.Y >= lo && q.Y <= hi {
				pts = append(pts, round([]fpt{q})...)
			}
		}
		if len(pts) == 0 {
			return tf, false
		}
		tf.Parts = [][]tpt{pts}
	case geomLine:
		for _, part := range f.Parts {
			buf = buf[:0]
			for _, p := range part {
				buf = append(buf, tr.apply(p))
			}
			for _, piece := range clipLine(buf, lo, hi) {
				if r := round(simplify(piece, simplifyTolerance)); len(r) >= 2 {
					tf.Parts = append(tf.Parts, r)
				}
			}
		}
	case geomPolygon:
		for _, poly := range f.Polys {
			for i, ring := range poly {
				buf = buf[:0]
				for _, p := range ring[:len(ring)-1] { // rings are stored closed
					buf = append(buf, tr.apply(p))
				}
				c := clipRing(buf, lo, hi)
				if len(c) < 3 {
					if i == 0 {
						break // no exterior, so no holes either
					}
					continue
				}
				c = append(c, c[0])
				r := round(simplify(c, simplifyTolerance))
				if len(r) > 1 && r[0] == r[len(r)-1] {
					r = r[:len(r)-1]
				}
				a := ringArea(r)
				if len(r) < 3 || a == 0 {
					if i == 0 {
						break
					}
					continue
				}
				// Exterior clockwise (positive), holes the other way.
				if (i == 0) != (a > 0) {
					slices.Reverse(r)
				}
				tf.Parts = append(tf.Parts, r)
			}
		}
	}
	return tf, len(tf.Parts) > 0
}
