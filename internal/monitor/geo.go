package monitor

import (
	"fmt"
	"math"
	"slices"
	"time"

	"github.com/tidwall/rtree"

	"github.com/jiaotong-platform/jiaotong/internal/platform/apperr"
	"github.com/jiaotong-platform/jiaotong/internal/platform/region"
)

// Geofence kinds.
const (
	FencePolygon  = "polygon"
	FenceCircle   = "circle"
	FenceCorridor = "corridor"
)

// Geofence purposes: what being inside means.
const (
	PurposeWatch       = "watch"        // enter/exit events, dwell limit, area speed limit
	PurposeForbidden   = "forbidden"    // must not be inside (e.g. hazmat-restricted area)
	PurposeCharterArea = "charter_area" // approved area of a charter bus: must stay inside
	// Zones of the hazardous goods cross-checks, evaluated by the waybill
	// module (not by the engine, which would otherwise raise a second,
	// generic alarm for the same fact): an area closed to hazmat vehicles
	// (危险货物运输车辆禁行区) and a sensitive area (敏感区域: schools,
	// water sources, dense housing) where a hazmat vehicle must not stop long.
	PurposeHazmatForbidden = "hazmat_forbidden"
	PurposeSensitive       = "sensitive"
)

// engineFence reports whether the engine evaluates fences of a purpose
// itself for every vehicle (the others are areas of other rules).
func engineFence(purpose string) bool {
	return purpose == PurposeWatch || purpose == PurposeForbidden
}

// TimeWindow restricts a geofence to a daily window (local time) and
// weekdays; empty Start/End means all day, empty Days every day.
type TimeWindow struct {
	Start string `json:"start,omitempty" pattern:"^([01][0-9]|2[0-3]):[0-5][0-9]$"`
	End   string `json:"end,omitempty" pattern:"^([01][0-9]|2[0-3]):[0-5][0-9]$"`
	Days  []int  `json:"days,omitempty" doc:"ISO weekdays 1 (Monday) to 7"`
}

// GeofenceFields are the editable fields of a geofence.
type GeofenceFields struct {
	Name    string `json:"name" minLength:"1" maxLength:"100"`
	Kind    string `json:"kind" enum:"polygon,circle,corridor"`
	Purpose string `json:"purpose" enum:"watch,forbidden,charter_area,hazmat_forbidden,sensitive" doc:"hazmat_forbidden and sensitive zones are checked by the e-waybill cross-checks (hazmat vehicles only)"`
	// Coordinates: the polygon ring or the corridor centre line, [lon, lat]
	// WGS-84; Center and RadiusM: the circle; WidthM: the corridor.
	Coordinates [][]float64 `json:"coordinates,omitempty" maxItems:"10000"`
	Center      []float64   `json:"center,omitempty" minItems:"2" maxItems:"2" doc:"[lon, lat] of a circle"`
	RadiusM     float64     `json:"radius_m,omitempty" minimum:"0"`
	WidthM      float64     `json:"width_m,omitempty" minimum:"0"`

	AlertEnter    bool        `json:"alert_enter,omitempty"`
	AlertExit     bool        `json:"alert_exit,omitempty"`
	MaxDwellS     int         `json:"max_dwell_s,omitempty" minimum:"0" doc:"inside longer than this raises fence_dwell (0: no limit)"`
	SpeedLimitKmh float64     `json:"speed_limit_kmh,omitempty" minimum:"0" maximum:"200" doc:"area speed limit (0: none)"`
	Window        *TimeWindow `json:"window,omitempty"`

	// Which vehicles the fence applies to; empty lists mean all.
	Categories []string `json:"categories,omitempty"`
	VehicleIDs []int64  `json:"vehicle_ids,omitempty"`
	OperatorID int64    `json:"operator_id,omitempty" minimum:"0" doc:"only this enterprise's vehicles (0: all)"`
	Region     string   `json:"region" minLength:"6" maxLength:"6" doc:"owning authority's region (data scope)"`
	Enabled    bool     `json:"enabled"`
}

// Geofence is a stored geofence.
type Geofence struct {
	ID int64 `json:"id" readOnly:"true"`
	GeofenceFields
	Version   int64     `json:"version" readOnly:"true"`
	UpdatedAt time.Time `json:"updated_at" readOnly:"true"`
}

// Validate checks the geometry and the fields.
func (f *GeofenceFields) Validate() error {
	var inv apperr.Invalid
	okPoint := func(field string, p []float64) bool {
		if len(p) != 2 || math.IsNaN(p[0]) || math.IsNaN(p[1]) || p[0] < -180 || p[0] > 180 || p[1] < -90 || p[1] > 90 {
			inv.Add(field, "must be [lon, lat] in WGS-84 degrees", p)
			return false
		}
		return true
	}
	switch f.Kind {
	case FencePolygon:
		if len(f.Coordinates) < 3 {
			inv.Add("coordinates", "a polygon needs at least 3 points", len(f.Coordinates))
		}
	case FenceCorridor:
		if len(f.Coordinates) < 2 {
			inv.Add("coordinates", "a corridor needs at least 2 points", len(f.Coordinates))
		}
		if f.WidthM <= 0 {
			inv.Add("width_m", "a corridor needs a positive width", f.WidthM)
		}
	case FenceCircle:
		if f.Center == nil {
			inv.Add("center", "a circle needs a center", nil)
		} else {
			okPoint("center", f.Center)
		}
		if f.RadiusM <= 0 {
			inv.Add("radius_m", "a circle needs a positive radius", f.RadiusM)
		}
	default:
		inv.Add("kind", "must be polygon, circle or corridor", f.Kind)
	}
	for i, p := range f.Coordinates {
		if !okPoint(fmt.Sprintf("coordinates[%d]", i), p) {
			break
		}
	}
	switch f.Purpose {
	case PurposeWatch, PurposeForbidden, PurposeCharterArea, PurposeHazmatForbidden, PurposeSensitive:
	default:
		inv.Add("purpose", "must be watch, forbidden, charter_area, hazmat_forbidden or sensitive", f.Purpose)
	}
	if !region.Valid(f.Region) {
		inv.Add("region", "unknown GB/T 2260 region code", f.Region)
	}
	for i, c := range f.Categories {
		if !validCategory(c) {
			inv.Add(fmt.Sprintf("categories[%d]", i), "unknown vehicle category", c)
		}
	}
	if w := f.Window; w != nil {
		if (w.Start == "") != (w.End == "") {
			inv.Add("window", "start and end go together", w)
		}
		if w.Start != "" {
			if _, err := parseClock(w.Start); err != nil {
				inv.Add("window.start", err.Error(), w.Start)
			}
			if _, err := parseClock(w.End); err != nil {
				inv.Add("window.end", err.Error(), w.End)
			}
		}
		for i, d := range w.Days {
			if d < 1 || d > 7 {
				inv.Add(fmt.Sprintf("window.days[%d]", i), "must be 1 (Monday) to 7", d)
			}
		}
	}
	return inv.Err()
}

// Local planar frame: metres east and north of (0, lat0), good to a few
// metres over a city-sized shape.
const metresPerDegLat = 111_320.0

type shape struct {
	kind   string
	kx     float64      // metres per degree of longitude at the shape's latitude
	pts    [][2]float64 // planar vertices (x east, y north), metres
	cx, cy float64      // circle centre
	r      float64      // circle radius or corridor half-width, metres
	min    [2]float64   // bounding box in degrees (lon, lat), grown by r
	max    [2]float64
}

func newShape(kind string, coords [][]float64, center []float64, radius, width float64) *shape {
	s := &shape{kind: kind}
	lat0 := 0.0
	switch kind {
	case FenceCircle:
		lat0 = center[1]
	default:
		for _, c := range coords {
			lat0 += c[1]
		}
		lat0 /= float64(len(coords))
	}
	s.kx = metresPerDegLat * math.Cos(lat0*math.Pi/180)
	s.min = [2]float64{math.Inf(1), math.Inf(1)}
	s.max = [2]float64{math.Inf(-1), math.Inf(-1)}
	grow := func(lon, lat float64) {
		s.min[0], s.min[1] = math.Min(s.min[0], lon), math.Min(s.min[1], lat)
		s.max[0], s.max[1] = math.Max(s.max[0], lon), math.Max(s.max[1], lat)
	}
	switch kind {
	case FenceCircle:
		s.cx, s.cy = s.xy(center[1], center[0])
		s.r = radius
		grow(center[0], center[1])
	default:
		for _, c := range coords {
			x, y := s.xy(c[1], c[0])
			s.pts = append(s.pts, [2]float64{x, y})
			grow(c[0], c[1])
		}
		if kind == FenceCorridor {
			s.r = width / 2
		}
	}
	if s.r > 0 {
		dLat := s.r / metresPerDegLat
		dLon := s.r / s.kx
		s.min[0], s.min[1] = s.min[0]-dLon, s.min[1]-dLat
		s.max[0], s.max[1] = s.max[0]+dLon, s.max[1]+dLat
	}
	return s
}

func (s *shape) xy(lat, lon float64) (float64, float64) {
	return lon * s.kx, lat * metresPerDegLat
}

// contains reports whether the point lies inside the shape.
func (s *shape) contains(lat, lon float64) bool {
	if lon < s.min[0] || lon > s.max[0] || lat < s.min[1] || lat > s.max[1] {
		return false
	}
	x, y := s.xy(lat, lon)
	switch s.kind {
	case FenceCircle:
		dx, dy := x-s.cx, y-s.cy
		return dx*dx+dy*dy <= s.r*s.r
	case FenceCorridor:
		return s.lineDistance(x, y) <= s.r
	}
	// Ray casting over the ring (closed implicitly).
	in := false
	n := len(s.pts)
	for i, j := 0, n-1; i < n; j, i = i, i+1 {
		a, b := s.pts[i], s.pts[j]
		if (a[1] > y) != (b[1] > y) && x < (b[0]-a[0])*(y-a[1])/(b[1]-a[1])+a[0] {
			in = !in
		}
	}
	return in
}

// distance returns the metres from the point to the corridor centre line.
func (s *shape) distance(lat, lon float64) float64 {
	x, y := s.xy(lat, lon)
	return s.lineDistance(x, y)
}

func (s *shape) lineDistance(x, y float64) float64 {
	best := math.Inf(1)
	for i := 1; i < len(s.pts); i++ {
		a, b := s.pts[i-1], s.pts[i]
		dx, dy := b[0]-a[0], b[1]-a[1]
		t := 0.0
		if l2 := dx*dx + dy*dy; l2 > 0 {
			t = math.Max(0, math.Min(1, ((x-a[0])*dx+(y-a[1])*dy)/l2))
		}
		px, py := a[0]+t*dx-x, a[1]+t*dy-y
		best = math.Min(best, px*px+py*py)
	}
	return math.Sqrt(best)
}

// fence is a compiled geofence.
type fence struct {
	g              *Geofence
	subject        string // the alarm subject, "fence:<id>"
	shape          *shape
	winFrom, winTo int // minutes after midnight; equal = all day
	days           uint8
	categories     []string
	vehicles       map[int64]bool
}

func compileFence(g *Geofence) *fence {
	f := &fence{g: g, subject: fenceSubject(g.ID), shape: newShape(g.Kind, g.Coordinates, g.Center, g.RadiusM, g.WidthM),
		categories: g.Categories}
	if w := g.Window; w != nil {
		f.winFrom, _ = parseClock(w.Start)
		f.winTo, _ = parseClock(w.End)
		for _, d := range w.Days {
			f.days |= 1 << (d - 1)
		}
	}
	if len(g.VehicleIDs) > 0 {
		f.vehicles = map[int64]bool{}
		for _, v := range g.VehicleIDs {
			f.vehicles[v] = true
		}
	}
	return f
}

// appliesTo reports whether the fence concerns the vehicle.
func (f *fence) appliesTo(v *VehicleInfo) bool {
	if f.vehicles != nil && !f.vehicles[v.ID] {
		return false
	}
	if f.g.OperatorID != 0 && f.g.OperatorID != v.OperatorID {
		return false
	}
	return len(f.categories) == 0 || slices.Contains(f.categories, string(v.Category))
}

// active reports whether the fence's time window holds at a local time
// given as minutes after midnight and time.Weekday (0 Sunday).
func (f *fence) active(minute, weekday int) bool {
	if f.days != 0 {
		if weekday == 0 {
			weekday = 7
		}
		if f.days&(1<<(weekday-1)) == 0 {
			return false
		}
	}
	if f.winFrom == f.winTo {
		return true
	}
	return inWindow(minute, f.winFrom, f.winTo)
}

// fenceIndex is an R-tree of the enabled fences' bounding boxes, so a
// position tests only the few fences whose box holds it. It is immutable:
// an edit builds a new index and swaps it in.
type fenceIndex struct {
	tree     rtree.RTreeGN[float64, *fence]
	byID     map[int64]*fence
	charter  map[int64][]*fence // charter areas by vehicle id (fences listing vehicles)
	charterA []*fence           // charter areas for all vehicles matching by operator/category
}

func newFenceIndex(gs []Geofence) *fenceIndex {
	ix := &fenceIndex{byID: map[int64]*fence{}, charter: map[int64][]*fence{}}
	for i := range gs {
		g := &gs[i]
		if !g.Enabled {
			continue
		}
		f := compileFence(g)
		ix.byID[g.ID] = f
		ix.tree.Insert(f.shape.min, f.shape.max, f)
		if g.Purpose == PurposeCharterArea {
			if len(g.VehicleIDs) > 0 {
				for _, v := range g.VehicleIDs {
					ix.charter[v] = append(ix.charter[v], f)
				}
			} else {
				ix.charterA = append(ix.charterA, f)
			}
		}
	}
	return ix
}

// search calls fn for every fence whose shape contains the point.
func (ix *fenceIndex) search(lat, lon float64, fn func(*fence)) {
	pt := [2]float64{lon, lat}
	ix.tree.Search(pt, pt, func(_, _ [2]float64, f *fence) bool {
		if f.shape.contains(lat, lon) {
			fn(f)
		}
		return true
	})
}

// fenceBoxM is the half-side of the square around a vehicle whose
// candidate fences it keeps (see fenceCache).
const fenceBoxM = 250.0

// fenceCache holds a vehicle's candidate fences: those whose bounding box
// meets a square around the place where the R-tree was last searched. Any
// fence containing a point of the square is among them, so while the
// vehicle stays inside the square a position tests a handful of shapes
// instead of walking the tree, which matters where many fences overlap.
type fenceCache struct {
	ix       *fenceIndex
	min, max [2]float64 // the square, lon/lat degrees
	fences   []*fence   // in tree order, as a point search would give them
}

// searchCached calls fn for every fence whose shape contains the point,
// in the order of search, refreshing the vehicle's candidates when the
// point left their square or the index was replaced.
func (ix *fenceIndex) searchCached(c *fenceCache, lat, lon float64, fn func(*fence)) {
	if ix.tree.Len() == 0 {
		return
	}
	if c.ix != ix || lon < c.min[0] || lon > c.max[0] || lat < c.min[1] || lat > c.max[1] {
		dLat := fenceBoxM / metresPerDegLat
		dLon := fenceBoxM / (metresPerDegLat * math.Cos(lat*math.Pi/180))
		c.ix = ix
		c.min, c.max = [2]float64{lon - dLon, lat - dLat}, [2]float64{lon + dLon, lat + dLat}
		clear(c.fences)
		c.fences = c.fences[:0]
		ix.tree.Search(c.min, c.max, func(_, _ [2]float64, f *fence) bool {
			c.fences = append(c.fences, f)
			return true
		})
	}
	for _, f := range c.fences {
		if f.shape.contains(lat, lon) {
			fn(f)
		}
	}
}

// charterAreas returns the approved areas of a vehicle (nil: none).
func (ix *fenceIndex) charterAreas(v *VehicleInfo) []*fence {
	out := ix.charter[v.ID]
	for _, f := range ix.charterA {
		if f.appliesTo(v) {
			out = append(out[:len(out):len(out)], f)
		}
	}
	return out
}
