package tracks

import (
	"math"
	"time"

	"github.com/jiaotong-platform/jiaotong/internal/platform/civil"
)

// distance returns the great-circle distance in metres between two points.
func distance(a, b *Point) float64 {
	const r = 6_371_008.8
	lat1, lat2 := float64(a.Lat)/1e6*math.Pi/180, float64(b.Lat)/1e6*math.Pi/180
	dlat := lat2 - lat1
	dlon := float64(b.Lon-a.Lon) / 1e6 * math.Pi / 180
	h := math.Sin(dlat/2)*math.Sin(dlat/2) + math.Cos(lat1)*math.Cos(lat2)*math.Sin(dlon/2)*math.Sin(dlon/2)
	return 2 * r * math.Asin(math.Min(1, math.Sqrt(h)))
}

// Simplify returns the points that keep the shape of the track within
// tolerance metres (Douglas-Peucker on a local equirectangular projection),
// always keeping the first and last point.
func Simplify(pts []Point, tolerance float64) []Point {
	if len(pts) < 3 || tolerance <= 0 {
		return pts
	}
	keep := make([]bool, len(pts))
	keep[0], keep[len(pts)-1] = true, true
	cos := math.Cos(float64(pts[0].Lat) / 1e6 * math.Pi / 180)
	xy := func(p *Point) (float64, float64) {
		return float64(p.Lon) / 1e6 * 111_320 * cos, float64(p.Lat) / 1e6 * 110_574
	}
	type span struct{ i, j int }
	stack := []span{{0, len(pts) - 1}}
	for len(stack) > 0 {
		s := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		ax, ay := xy(&pts[s.i])
		bx, by := xy(&pts[s.j])
		dx, dy := bx-ax, by-ay
		l2 := dx*dx + dy*dy
		worst, at := -1.0, -1
		for k := s.i + 1; k < s.j; k++ {
			px, py := xy(&pts[k])
			var d float64
			if l2 == 0 {
				d = math.Hypot(px-ax, py-ay)
			} else {
				t := math.Max(0, math.Min(1, ((px-ax)*dx+(py-ay)*dy)/l2))
				d = math.Hypot(px-(ax+t*dx), py-(ay+t*dy))
			}
			if d > worst {
				worst, at = d, k
			}
		}
		if worst > tolerance {
			keep[at] = true
			stack = append(stack, span{s.i, at}, span{at, s.j})
		}
	}
	out := make([]Point, 0, len(pts)/4)
	for i := range pts {
		if keep[i] {
			out = append(out, pts[i])
		}
	}
	return out
}

// Mileage is the distance driven over a range and where it comes from.
type Mileage struct {
	Km float64 `json:"km"`
	// Source is "odometer" when the terminal's odometer item was present,
	// monotonic and plausible, else "geometry" (sum of great-circle
	// distances, leaving out drift jumps).
	Source      string  `json:"source" enum:"odometer,geometry"`
	GeometryKm  float64 `json:"geometry_km"`
	OdometerKm  float64 `json:"odometer_km,omitempty"`
	Points      int     `json:"points"`
	DriftPoints int     `json:"drift_points"`
}

// computeMileage prefers the odometer when it is trustworthy: present on at
// least 90 % of the points, never decreasing, no step faster than MaxSpeed,
// and within a factor of 1.5 of the geometric distance when that is over
// 1 km (terminals wired to the wrong pulse ratio fail this).
func computeMileage(pts []Point, cfg ReportConfig) Mileage {
	m := Mileage{Source: "geometry", Points: len(pts)}
	m.GeometryKm, m.DriftPoints = geometryKm(pts, cfg)
	withOdo := 0
	trustworthy := true
	var first, last *Point
	for i := range pts {
		p := &pts[i]
		if p.Has&HasMileage == 0 {
			continue
		}
		withOdo++
		if last != nil {
			if p.Mileage < last.Mileage {
				trustworthy = false
			}
			dt := float64(p.Time-last.Time) / 3.6e6 // hours
			if step := float64(p.Mileage-last.Mileage) / 10; dt > 0 && step/dt > cfg.MaxSpeed && step > 1 {
				trustworthy = false
			}
		} else {
			first = p
		}
		last = p
	}
	if first == nil || withOdo*10 < len(pts)*9 || !trustworthy {
		m.Km = m.GeometryKm
		return m
	}
	odo := float64(last.Mileage-first.Mileage) / 10
	m.OdometerKm = odo
	if m.GeometryKm > 1 && (odo > m.GeometryKm*1.5 || odo < m.GeometryKm/1.5) {
		m.Km = m.GeometryKm
		return m
	}
	m.Km, m.Source = odo, "odometer"
	return m
}

// isDrift reports whether moving from a to b implies an impossible speed.
func isDrift(a, b *Point, cfg ReportConfig) bool {
	d := distance(a, b)
	dt := float64(b.Time-a.Time) / 1000
	if dt <= 0 {
		return d > 100
	}
	return d/dt*3.6 > cfg.MaxSpeed && d > 100
}

// geometryKm sums distances between consecutive points, skipping drift:
// a point reached at an impossible speed is ignored (the next point is
// measured from the last good one).
func geometryKm(pts []Point, cfg ReportConfig) (float64, int) {
	total, drift := 0.0, 0
	if len(pts) == 0 {
		return 0, 0
	}
	good := &pts[0]
	for i := 1; i < len(pts); i++ {
		p := &pts[i]
		if isDrift(good, p, cfg) {
			drift++
			continue
		}
		total += distance(good, p)
		good = p
	}
	return total / 1000, drift
}

// Stop is a standstill of at least ReportConfig.MinStop.
type Stop struct {
	Start    time.Time `json:"start"`
	End      time.Time `json:"end"`
	Minutes  float64   `json:"minutes"`
	Lat      float64   `json:"lat"`
	Lon      float64   `json:"lon"`
	NoSignal bool      `json:"no_signal" doc:"true when the stop is a silence of the terminal (no reports) rather than reports at speed zero"`
}

// Trip is a movement between two stops.
type Trip struct {
	Start       time.Time `json:"start"`
	End         time.Time `json:"end"`
	Km          float64   `json:"km"`
	MaxSpeedKmh float64   `json:"max_speed_kmh"`
	Points      int       `json:"points"`
}

// tripsAndStops splits a track into stops (speed at or below StopSpeed for
// at least MinStop, or a silence of at least MinStop without moving more
// than 200 m: terminals often stop reporting when the engine is off) and
// the trips between them.
func tripsAndStops(pts []Point, cfg ReportConfig) ([]Trip, []Stop) {
	var trips []Trip
	var stops []Stop
	stopSpeed := uint16(cfg.StopSpeed * 10)
	minStop := cfg.MinStop.Milliseconds()
	tripStart := 0
	closeTrip := func(end int) {
		if end-tripStart < 2 {
			return
		}
		seg := pts[tripStart : end+1]
		km, _ := geometryKm(seg, cfg)
		if km < 0.05 {
			return
		}
		tr := Trip{Start: time.UnixMilli(seg[0].Time), End: time.UnixMilli(seg[len(seg)-1].Time), Km: km, Points: len(seg)}
		for _, p := range seg {
			tr.MaxSpeedKmh = math.Max(tr.MaxSpeedKmh, float64(p.Speed)/10)
		}
		trips = append(trips, tr)
	}
	for i := 0; i < len(pts); {
		// A silence long enough, without moving, is a stop.
		if i > 0 && pts[i].Time-pts[i-1].Time >= minStop && distance(&pts[i-1], &pts[i]) < 200 {
			closeTrip(i - 1)
			stops = append(stops, makeStop(&pts[i-1], &pts[i], true))
			tripStart = i
			i++
			continue
		}
		if pts[i].Speed > stopSpeed {
			i++
			continue
		}
		j := i
		for j+1 < len(pts) && pts[j+1].Speed <= stopSpeed && pts[j+1].Time-pts[j].Time < minStop {
			j++
		}
		if pts[j].Time-pts[i].Time >= minStop {
			closeTrip(i)
			stops = append(stops, makeStop(&pts[i], &pts[j], false))
			tripStart = j
		}
		i = j + 1
	}
	closeTrip(len(pts) - 1)
	return trips, stops
}

func makeStop(a, b *Point, silent bool) Stop {
	return Stop{
		Start: time.UnixMilli(a.Time), End: time.UnixMilli(b.Time),
		Minutes: float64(b.Time-a.Time) / 60_000,
		Lat:     float64(a.Lat) / 1e6, Lon: float64(a.Lon) / 1e6, NoSignal: silent,
	}
}

// Daily is the summary of one vehicle on one day (China Standard Time).
type Daily struct {
	Date           civil.Date `json:"date"`
	Points         int        `json:"points"`
	Km             float64    `json:"km"`
	DrivingMinutes float64    `json:"driving_minutes" doc:"time between consecutive reports while moving, gaps longer than the gap threshold left out"`
	MaxSpeedKmh    float64    `json:"max_speed_kmh"`
	Alarms         int        `json:"alarms" doc:"alarm bits that went from clear to set"`
	First          time.Time  `json:"first"`
	Last           time.Time  `json:"last"`
}

// dailySummaries groups a track by CST day.
func dailySummaries(pts []Point, cfg ReportConfig) []Daily {
	var out []Daily
	stopSpeed := uint16(cfg.StopSpeed * 10)
	for i := 0; i < len(pts); {
		day := civil.Of(time.UnixMilli(pts[i].Time).In(civil.CST))
		j := i
		for j < len(pts) && civil.Of(time.UnixMilli(pts[j].Time).In(civil.CST)) == day {
			j++
		}
		seg := pts[i:j]
		d := Daily{Date: day, Points: len(seg), First: time.UnixMilli(seg[0].Time), Last: time.UnixMilli(seg[len(seg)-1].Time)}
		d.Km = computeMileage(seg, cfg).Km
		var prevAlarm uint32
		if i > 0 {
			prevAlarm = pts[i-1].Alarm
		}
		for k := range seg {
			p := &seg[k]
			d.MaxSpeedKmh = math.Max(d.MaxSpeedKmh, float64(p.Speed)/10)
			d.Alarms += popcount(p.Alarm &^ prevAlarm)
			prevAlarm = p.Alarm
			if k > 0 {
				dt := p.Time - seg[k-1].Time
				if dt <= cfg.Gap.Milliseconds() && (p.Speed > stopSpeed || seg[k-1].Speed > stopSpeed) {
					d.DrivingMinutes += float64(dt) / 60_000
				}
			}
		}
		out = append(out, d)
		i = j
	}
	return out
}

func popcount(x uint32) int {
	n := 0
	for x != 0 {
		x &= x - 1
		n++
	}
	return n
}

// QualityMark is a data-quality problem of a track.
type QualityMark struct {
	Kind     string    `json:"kind" enum:"gap,drift" doc:"gap: no report for longer than the gap threshold; drift: a jump implying an impossible speed"`
	Start    time.Time `json:"start"`
	End      time.Time `json:"end"`
	Minutes  float64   `json:"minutes,omitempty"`
	Metres   float64   `json:"metres,omitempty"`
	SpeedKmh float64   `json:"speed_kmh,omitempty"`
}

// qualityMarks finds gaps and drift jumps.
func qualityMarks(pts []Point, cfg ReportConfig) []QualityMark {
	var out []QualityMark
	gap := cfg.Gap.Milliseconds()
	for i := 1; i < len(pts); i++ {
		a, b := &pts[i-1], &pts[i]
		if dt := b.Time - a.Time; dt > gap {
			out = append(out, QualityMark{Kind: "gap", Start: time.UnixMilli(a.Time), End: time.UnixMilli(b.Time), Minutes: float64(dt) / 60_000})
		}
		if isDrift(a, b, cfg) {
			d := distance(a, b)
			dt := math.Max(float64(b.Time-a.Time)/1000, 0.001)
			out = append(out, QualityMark{Kind: "drift", Start: time.UnixMilli(a.Time), End: time.UnixMilli(b.Time), Metres: d, SpeedKmh: d / dt * 3.6})
		}
	}
	return out
}
