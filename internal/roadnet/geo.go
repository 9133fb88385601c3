package roadnet

import "math"

// EarthRadius is the mean Earth radius in metres used by every distance here
// (the IUGG mean radius; haversine on a sphere is within 0.5% of the WGS-84
// ellipsoid, far below GPS noise at city scale).
const EarthRadius = 6371008.8

// Point is a WGS-84 position in decimal degrees. The graph keeps float64
// degrees: OpenStreetMap carries 7 decimals (about 1 cm) and routing
// arithmetic wants floats anyway. Protocol code that holds integer
// micro-degrees (JT/T 808) converts at the edge with FromMicro / Micro.
type Point struct {
	Lat float64 `json:"lat"`
	Lon float64 `json:"lon"`
}

// FromMicro converts integer micro-degrees (1e-6°, the JT/T 808 unit) to a Point.
func FromMicro(lat, lon int64) Point {
	return Point{Lat: float64(lat) / 1e6, Lon: float64(lon) / 1e6}
}

// Micro returns the point in integer micro-degrees, rounded to nearest.
func (p Point) Micro() (lat, lon int64) {
	return int64(math.Round(p.Lat * 1e6)), int64(math.Round(p.Lon * 1e6))
}

func rad(deg float64) float64 { return deg * math.Pi / 180 }

// Distance returns the great-circle (haversine) distance between a and b in metres.
func Distance(a, b Point) float64 {
	dLat := rad(b.Lat - a.Lat)
	dLon := rad(b.Lon - a.Lon)
	s1 := math.Sin(dLat / 2)
	s2 := math.Sin(dLon / 2)
	h := s1*s1 + math.Cos(rad(a.Lat))*math.Cos(rad(b.Lat))*s2*s2
	return 2 * EarthRadius * math.Asin(math.Sqrt(math.Min(1, h)))
}

// Bearing returns the initial course from a to b in degrees clockwise from
// true north, in [0, 360): the "heading" field of a position report.
func Bearing(a, b Point) float64 {
	φ1, φ2 := rad(a.Lat), rad(b.Lat)
	dλ := rad(b.Lon - a.Lon)
	y := math.Sin(dλ) * math.Cos(φ2)
	x := math.Cos(φ1)*math.Sin(φ2) - math.Sin(φ1)*math.Cos(φ2)*math.Cos(dλ)
	deg := math.Atan2(y, x) * 180 / math.Pi
	if deg < 0 {
		deg += 360
	}
	return deg
}

// lerp returns the point at fraction t of the straight segment a→b. At city
// scale the difference between a rhumb line, a great circle and a straight
// line in degrees is below a millimetre per segment.
func lerp(a, b Point, t float64) Point {
	return Point{Lat: a.Lat + (b.Lat-a.Lat)*t, Lon: a.Lon + (b.Lon-a.Lon)*t}
}

// Polyline is a path geometry with cumulative distances, so that a point at
// any distance along it is found by binary search. The simulator walks
// vehicles along one of these.
type Polyline struct {
	Points []Point
	// cum[i] is the distance in metres from Points[0] to Points[i].
	cum []float64
}

// NewPolyline measures pts (it keeps the slice; do not modify it afterwards).
func NewPolyline(pts []Point) *Polyline {
	cum := make([]float64, len(pts))
	for i := 1; i < len(pts); i++ {
		cum[i] = cum[i-1] + Distance(pts[i-1], pts[i])
	}
	return &Polyline{Points: pts, cum: cum}
}

// Length returns the total length in metres.
func (pl *Polyline) Length() float64 {
	if len(pl.cum) == 0 {
		return 0
	}
	return pl.cum[len(pl.cum)-1]
}

// At returns the point at distance d metres from the start and the heading
// of the segment it lies on. d is clamped to [0, Length()].
func (pl *Polyline) At(d float64) (p Point, heading float64) {
	n := len(pl.Points)
	switch n {
	case 0:
		return Point{}, 0
	case 1:
		return pl.Points[0], 0
	}
	if d <= 0 {
		return pl.Points[0], Bearing(pl.Points[0], pl.Points[1])
	}
	if d >= pl.Length() {
		return pl.Points[n-1], Bearing(pl.Points[n-2], pl.Points[n-1])
	}
	// First index whose cumulative distance exceeds d.
	lo, hi := 1, n-1
	for lo < hi {
		mid := (lo + hi) / 2
		if pl.cum[mid] > d {
			hi = mid
		} else {
			lo = mid + 1
		}
	}
	a, b := pl.Points[lo-1], pl.Points[lo]
	seg := pl.cum[lo] - pl.cum[lo-1]
	t := 0.0
	if seg > 0 {
		t = (d - pl.cum[lo-1]) / seg
	}
	return lerp(a, b, t), Bearing(a, b)
}

// Length returns the length in metres of the polyline through pts.
func Length(pts []Point) float64 {
	var sum float64
	for i := 1; i < len(pts); i++ {
		sum += Distance(pts[i-1], pts[i])
	}
	return sum
}

// Interpolate returns the point at distance d metres along pts (clamped to
// its ends). For repeated look-ups on the same geometry use a Polyline.
func Interpolate(pts []Point, d float64) Point {
	if len(pts) == 0 {
		return Point{}
	}
	if d <= 0 {
		return pts[0]
	}
	for i := 1; i < len(pts); i++ {
		seg := Distance(pts[i-1], pts[i])
		if d <= seg {
			if seg == 0 {
				return pts[i]
			}
			return lerp(pts[i-1], pts[i], d/seg)
		}
		d -= seg
	}
	return pts[len(pts)-1]
}

// planar is a local equirectangular projection around a reference latitude,
// in metres. Over a city (tens of kilometres) its distance error is well
// under 0.1%, good enough to rank segments by distance; reported distances
// are recomputed with haversine.
type planar struct{ kx, ky float64 }

func newPlanar(lat0 float64) planar {
	ky := EarthRadius * math.Pi / 180
	return planar{kx: ky * math.Cos(rad(lat0)), ky: ky}
}

func (pr planar) xy(p Point) [2]float64 { return [2]float64{p.Lon * pr.kx, p.Lat * pr.ky} }

func (pr planar) point(xy [2]float64) Point { return Point{Lat: xy[1] / pr.ky, Lon: xy[0] / pr.kx} }

// projectSegment returns the fraction t in [0,1] of the closest point to p on
// segment a→b and the squared planar distance to it.
func projectSegment(p, a, b [2]float64) (t, d2 float64) {
	dx, dy := b[0]-a[0], b[1]-a[1]
	l2 := dx*dx + dy*dy
	if l2 > 0 {
		t = ((p[0]-a[0])*dx + (p[1]-a[1])*dy) / l2
		t = math.Max(0, math.Min(1, t))
	}
	cx, cy := a[0]+t*dx-p[0], a[1]+t*dy-p[1]
	return t, cx*cx + cy*cy
}
