package basemap

import "math"

// wpt is a point in normalised Web Mercator "world" coordinates: x and y in
// [0, 1], y down, so a tile at zoom z spans 1/2^z of each.
type wpt struct{ X, Y float64 }

// maxLat is the latitude where Web Mercator's square world ends.
const maxLat = 85.05112878

// project converts WGS-84 longitude and latitude to world coordinates.
func project(lon, lat float64) wpt {
	lat = math.Max(-maxLat, math.Min(maxLat, lat))
	s := math.Sin(lat * math.Pi / 180)
	return wpt{
		X: (lon + 180) / 360,
		Y: 0.5 - math.Log((1+s)/(1-s))/(4*math.Pi),
	}
}

// unproject is project's inverse.
func unproject(p wpt) (lon, lat float64) {
	lon = p.X*360 - 180
	lat = math.Atan(math.Sinh(math.Pi*(1-2*p.Y))) * 180 / math.Pi
	return lon, lat
}

// bbox is a rectangle in world coordinates.
type bbox struct{ MinX, MinY, MaxX, MaxY float64 }

func emptyBBox() bbox { return bbox{math.Inf(1), math.Inf(1), math.Inf(-1), math.Inf(-1)} }

func (b *bbox) add(p wpt) {
	b.MinX, b.MinY = math.Min(b.MinX, p.X), math.Min(b.MinY, p.Y)
	b.MaxX, b.MaxY = math.Max(b.MaxX, p.X), math.Max(b.MaxY, p.Y)
}

func (b bbox) intersects(o bbox) bool {
	return b.MinX <= o.MaxX && o.MinX <= b.MaxX && b.MinY <= o.MaxY && o.MinY <= b.MaxY
}

func (b bbox) valid() bool { return b.MinX <= b.MaxX && b.MinY <= b.MaxY }

// tileBounds is the world rectangle of tile z/x/y grown by buf tile units.
func tileBounds(z, x, y int, buf float64) bbox {
	n := math.Exp2(float64(z))
	pad := buf / Extent
	return bbox{
		MinX: (float64(x) - pad) / n, MinY: (float64(y) - pad) / n,
		MaxX: (float64(x) + 1 + pad) / n, MaxY: (float64(y) + 1 + pad) / n,
	}
}

// fpt is a point in tile coordinates before rounding.
type fpt struct{ X, Y float64 }

// toTile maps world points into the tile's coordinate system.
type toTile struct{ scale, ox, oy float64 }

func newToTile(z, x, y int) toTile {
	n := math.Exp2(float64(z))
	return toTile{scale: n * Extent, ox: float64(x) * Extent, oy: float64(y) * Extent}
}

func (t toTile) apply(p wpt) fpt { return fpt{p.X*t.scale - t.ox, p.Y*t.scale - t.oy} }

// clipLine cuts a line to the rectangle [lo, hi]², returning the pieces
// inside (Liang–Barsky per segment, consecutive pieces joined).
func clipLine(pts []fpt, lo, hi float64) [][]fpt {
	var (
		out [][]fpt
		cur []fpt
	)
	for i := 0; i+1 < len(pts); i++ {
		a, b := pts[i], pts[i+1]
		ca, cb, ok := clipSegment(a, b, lo, hi)
		if !ok {
			if cur != nil {
				out = append(out, cur)
				cur = nil
			}
			continue
		}
		if cur == nil {
			cur = append(cur, ca)
		}
		cur = append(cur, cb)
		if cb != b { // left the rectangle
			out = append(out, cur)
			cur = nil
		}
	}
	if cur != nil {
		out = append(out, cur)
	}
	return out
}

func clipSegment(a, b fpt, lo, hi float64) (fpt, fpt, bool) {
	t0, t1 := 0.0, 1.0
	dx, dy := b.X-a.X, b.Y-a.Y
	for _, c := range [4][2]float64{{-dx, a.X - lo}, {dx, hi - a.X}, {-dy, a.Y - lo}, {dy, hi - a.Y}} {
		p, q := c[0], c[1]
		if p == 0 {
			if q < 0 {
				return a, b, false
			}
			continue
		}
		r := q / p
		if p < 0 {
			if r > t1 {
				return a, b, false
			}
			t0 = math.Max(t0, r)
		} else {
			if r < t0 {
				return a, b, false
			}
			t1 = math.Min(t1, r)
		}
	}
	ca, cb := a, b
	if t0 > 0 {
		ca = fpt{a.X + t0*dx, a.Y + t0*dy}
	}
	if t1 < 1 {
		cb = fpt{a.X + t1*dx, a.Y + t1*dy}
	}
	return ca, cb, true
}

// clipRing cuts a closed ring (first point not repeated) to the rectangle
// [lo, hi]² (Sutherland–Hodgman). The result runs along the rectangle's
// edges where the ring left it, which the buffer keeps out of sight.
func clipRing(ring []fpt, lo, hi float64) []fpt {
	out := ring
	for edge := range 4 {
		in := out
		if len(in) == 0 {
			return nil
		}
		out = make([]fpt, 0, len(in)+4)
		inside := func(p fpt) bool {
			switch edge {
			case 0:
				return p.X >= lo
			case 1:
				return p.X <= hi
			case 2:
				return p.Y >= lo
			default:
				return p.Y <= hi
			}
		}
		cross := func(a, b fpt) fpt {
			var t float64
			switch edge {
			case 0:
				t = (lo - a.X) / (b.X - a.X)
			case 1:
				t = (hi - a.X) / (b.X - a.X)
			case 2:
				t = (lo - a.Y) / (b.Y - a.Y)
			default:
				t = (hi - a.Y) / (b.Y - a.Y)
			}
			return fpt{a.X + t*(b.X-a.X), a.Y + t*(b.Y-a.Y)}
		}
		prev := in[len(in)-1]
		for _, p := range in {
			switch pin, qin := inside(p), inside(prev); {
			case pin && qin:
				out = append(out, p)
			case pin && !qin:
				out = append(out, cross(prev, p), p)
			case !pin && qin:
				out = append(out, cross(prev, p))
			}
			prev = p
		}
	}
	return out
}

// simplify removes points closer than tol to the line through their
// neighbours (Douglas–Peucker), keeping the ends.
func simplify(pts []fpt, tol float64) []fpt {
	if len(pts) <= 2 || tol <= 0 {
		return pts
	}
	keep := make([]bool, len(pts))
	keep[0], keep[len(pts)-1] = true, true
	type span struct{ a, b int }
	stack := []span{{0, len(pts) - 1}}
	tol2 := tol * tol
	for len(stack) > 0 {
		s := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		best, bi := -1.0, -1
		for i := s.a + 1; i < s.b; i++ {
			if d := segDist2(pts[i], pts[s.a], pts[s.b]); d > best {
				best, bi = d, i
			}
		}
		if bi >= 0 && best > tol2 {
			keep[bi] = true
			stack = append(stack, span{s.a, bi}, span{bi, s.b})
		}
	}
	out := pts[:0:0]
	for i, p := range pts {
		if keep[i] {
			out = append(out, p)
		}
	}
	return out
}

func segDist2(p, a, b fpt) float64 {
	dx, dy := b.X-a.X, b.Y-a.Y
	if dx == 0 && dy == 0 {
		return (p.X-a.X)*(p.X-a.X) + (p.Y-a.Y)*(p.Y-a.Y)
	}
	t := ((p.X-a.X)*dx + (p.Y-a.Y)*dy) / (dx*dx + dy*dy)
	t = math.Max(0, math.Min(1, t))
	x, y := a.X+t*dx-p.X, a.Y+t*dy-p.Y
	return x*x + y*y
}

// round snaps to integer tile coordinates, dropping repeated points.
func round(pts []fpt) []tpt {
	out := make([]tpt, 0, len(pts))
	for _, p := range pts {
		q := tpt{int32(math.Round(p.X)), int32(math.Round(p.Y))}
		if len(out) > 0 && out[len(out)-1] == q {
			continue
		}
		out = append(out, q)
	}
	return out
}

// ringArea is the shoelace area of a ring in tile coordinates: positive
// for a ring that is clockwise on screen (y down), as MVT wants exteriors.
func ringArea(r []tpt) float64 {
	var s float64
	for i := range r {
		j := (i + 1) % len(r)
		s += float64(r[i].X)*float64(r[j].Y) - float64(r[j].X)*float64(r[i].Y)
	}
	return s / 2
}

// worldRingArea is the absolute area of a ring in world units.
func worldRingArea(r []wpt) float64 {
	var s float64
	for i := range r {
		j := (i + 1) % len(r)
		s += r[i].X*r[j].Y - r[j].X*r[i].Y
	}
	return math.Abs(s / 2)
}

// pointInRing is the even-odd test.
func pointInRing(p wpt, r []wpt) bool {
	in := false
	for i, j := 0, len(r)-1; i < len(r); j, i = i, i+1 {
		a, b := r[i], r[j]
		if (a.Y > p.Y) != (b.Y > p.Y) && p.X < (b.X-a.X)*(p.Y-a.Y)/(b.Y-a.Y)+a.X {
			in = !in
		}
	}
	return in
}
