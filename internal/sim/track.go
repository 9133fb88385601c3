package sim

import (
	"math"
	"math/rand/v2"
	"time"

	"github.com/jiaotong-platform/jiaotong/internal/protocol/jt808"
	"github.com/jiaotong-platform/jiaotong/internal/roadnet"
)

// Driving rules the generator follows (and the scenarios break).
const (
	// RestMin is the shortest stop that counts as rest for the fatigue
	// rule; FatigueLimit is the longest continuous driving allowed.
	RestMin      = 20 * time.Minute
	FatigueLimit = 4 * time.Hour
	// restEvery is when a law-abiding driver takes a rest.
	restEvery = 3 * time.Hour
	// parkedACCOff is the stop length from which the engine is switched off.
	parkedACCOff = 5 * time.Minute
	// lookahead is how far ahead a driver plans braking, in metres.
	lookahead = 200.0
	// step is the integration step of the motion model, in seconds.
	step = 1.0
)

var cst = time.FixedZone("CST", 8*3600)

// TrackOptions tune a generator.
type TrackOptions struct {
	// Interval is the report interval while the engine runs (default 30 s);
	// ParkedInterval while parked with the engine off (default 5 min).
	Interval       time.Duration
	ParkedInterval time.Duration
}

func (o TrackOptions) withDefaults() TrackOptions {
	if o.Interval <= 0 {
		o.Interval = 30 * time.Second
	}
	if o.ParkedInterval <= 0 {
		o.ParkedInterval = 5 * time.Minute
	}
	return o
}

// Output is what a terminal sends at one report time.
type Output struct {
	// At is the simulated time of sending.
	At time.Time
	// Batches are blind-area re-sends (0x0704 type 1) to send first.
	Batches []*jt808.LocationBatch
	// Location is the live 0x0200 report; nil while the signal is lost.
	Location *jt808.Location
	// Offline, when positive, asks the terminal to drop its connection
	// after sending and stay silent that long (simulated time).
	Offline time.Duration
	// Truth is where the vehicle really is, for tests and statistics.
	Truth Truth
}

// Truth is the vehicle's real state at an output.
type Truth struct {
	Point    roadnet.Point
	SpeedKmh float64
	// LimitKmh is the speed limit of the road the vehicle is on.
	LimitKmh float64
	Edge     roadnet.EdgeID
	Parked   bool
}

// waypoint is a point a trip passes through, with the stop made there.
type waypoint struct {
	to      roadnet.Point
	dwellLo time.Duration
	dwellHi time.Duration
	running bool // the stop keeps the engine on (a stop on the way, not parking)
}

// Track generates the reports of one vehicle: it drives shortest-path trips
// (or its route) on the road network at its category's speeds, stops at
// lights and stations, rests, and applies its scenarios to the motion and
// to the data its terminal sends. A Track is not safe for concurrent use;
// everything it does follows from its seed and the simulated time.
type Track struct {
	w    *World
	veh  *Vehicle
	sc   Scenario
	prof profile
	opts TrackOptions
	rng  *rand.Rand

	now  time.Time // simulated time of the motion state
	next time.Time // next report time

	// motion on the current leg
	path    roadnet.Path
	ei      int
	off     float64
	speed   float64 // m/s
	factor  float64
	decided []int8    // per edge end: 0 undecided, 1 go through, 2 stop
	dwellAt []float64 // dwell planned at each decided stop, seconds
	legs    []waypoint
	legStop waypoint // the stop at the end of the current leg

	dwell       float64 // seconds left standing
	dwellTotal  float64 // length of the current stand
	parked      bool
	spanStart   time.Time // start of the current continuous driving
	odo         float64
	nextBusStop float64 // odometer of the next bus stop (routeless buses)

	trips   int
	reverse bool
	// load state: loaded on every other free trip of a goods vehicle; on a
	// hazmat trip between the end of loading and the end of unloading
	loaded      bool
	tripPhase   int
	loadedFrom  time.Time
	loadedUntil time.Time
	home        roadnet.Point
	areaR       float64

	// terminal behaviour
	reports     int
	blindFrom   time.Time
	blindUntil  time.Time
	blindBuf    []jt808.Location
	driftFrom   time.Time
	driftUntil  time.Time
	driftE      float64
	driftN      float64
	nextJump    time.Time
	sosFrom     time.Time
	sosUntil    time.Time
	nextOffline time.Time
	invalidKind int
}

// NewTrack places vehicle v on the network at start (its first report comes
// within one interval of it) with its scenarios. seed and the terminal phone
// determine everything that follows.
func NewTrack(w *World, v *Vehicle, sc Scenario, seed int64, start time.Time, opts TrackOptions) *Track {
	opts = opts.withDefaults()
	t := &Track{
		w: w, veh: v, sc: sc, prof: profileOf(v.Category), opts: opts,
		rng: rand.New(rand.NewPCG(uint64(seed), hashString(v.TerminalPhone)^uint64(v.ID))),
		now: start, spanStart: start,
	}
	t.next = start.Add(time.Duration(t.rng.Int64N(int64(opts.Interval))))
	t.areaR = 2500
	// Start somewhere on the network: a route's terminus, a charter's home
	// area near the centre, or anywhere.
	var startPt roadnet.Point
	switch {
	case v.Trip != nil:
		startPt = v.Trip.Loading
	case v.Route != nil:
		t.reverse = t.rng.IntN(2) == 1
		sts := v.Route.Stations
		startPt = sts[0]
		if t.reverse {
			startPt = sts[len(sts)-1]
		}
	case sc.Has(OffArea) || eligible(OffArea, v):
		startPt = t.randomNode(func(p roadnet.Point) bool { return roadnet.Distance(p, w.centre) < 1500 })
		t.home = startPt
	default:
		startPt = t.randomNode(nil)
	}
	snap, _ := w.G.NearestRoutable(startPt)
	t.path = roadnet.Path{Edges: []roadnet.EdgeID{snap.Edge}, StartOffset: snap.Offset, EndOffset: snap.Offset,
		From: snap.Point, To: snap.Point}
	t.resetDecisions()
	t.off = snap.Offset
	t.nextBusStop = t.prof.stopEvery
	// Scenario clocks.
	minutes := func(lo, hi int) time.Duration { return time.Duration(lo+t.rng.IntN(hi-lo+1)) * time.Minute }
	t.blindFrom = start.Add(minutes(5, 15))
	t.driftFrom = start.Add(minutes(2, 10))
	t.nextJump = start.Add(minutes(8, 20))
	t.sosFrom = start.Add(minutes(5, 20))
	t.nextOffline = start.Add(minutes(10, 30))
	return t
}

// Vehicle returns the vehicle the track drives.
func (t *Track) Vehicle() *Vehicle { return t.veh }

// Scenarios returns the track's scenarios.
func (t *Track) Scenarios() Scenario { return t.sc }

// NextAt returns the simulated time of the next output.
func (t *Track) NextAt() time.Time { return t.next }

// ApprovedArea returns the circle a charter bus is approved to operate in
// (its centre and radius in metres); ok is false for other vehicles.
func (t *Track) ApprovedArea() (centre roadnet.Point, radiusM float64, ok bool) {
	if t.home == (roadnet.Point{}) {
		return roadnet.Point{}, 0, false
	}
	return t.home, t.areaR, true
}

func (t *Track) randomNode(accept func(roadnet.Point) bool) roadnet.Point {
	core := t.w.core
	var p roadnet.Point
	for range 500 {
		p = t.w.G.Node(core[t.rng.IntN(len(core))])
		if accept == nil || accept(p) {
			return p
		}
	}
	return p
}

func (t *Track) uniform(lo, hi float64) float64 { return lo + t.rng.Float64()*(hi-lo) }

func (t *Track) durationIn(lo, hi time.Duration) time.Duration {
	if hi <= lo {
		return lo
	}
	return lo + time.Duration(t.rng.Int64N(int64(hi-lo)))
}

// Next advances the simulation to the next report time and returns what the
// terminal sends then. r is the caller's router (one per goroutine).
func (t *Track) Next(r *roadnet.Router) Output {
	at := t.next
	for t.now.Before(at) {
		dt := math.Min(step, at.Sub(t.now).Seconds())
		t.advance(r, dt)
		t.now = t.now.Add(time.Duration(dt * float64(time.Second)))
	}
	out := t.report(at)
	interval := t.opts.Interval
	if t.parked {
		interval = t.opts.ParkedInterval
		if rest := time.Duration(t.dwell * float64(time.Second)); rest < interval {
			interval = max(t.opts.Interval, rest)
		}
	}
	t.next = at.Add(interval + out.Offline)
	return out
}

// --- motion ---------------------------------------------------------------

func (t *Track) resetDecisions() {
	n := len(t.path.Edges)
	t.decided = append(t.decided[:0], make([]int8, n)...)
	t.dwellAt = append(t.dwellAt[:0], make([]float64, n)...)
}

func (t *Track) span(i int) (lo, hi float64) {
	e := t.w.G.Edge(t.path.Edges[i])
	lo, hi = 0, e.Length
	if i == 0 {
		lo = t.path.StartOffset
	}
	if i == len(t.path.Edges)-1 {
		hi = t.path.EndOffset
	}
	return lo, math.Max(lo, hi)
}

// roadLimit is the posted limit of edge index i in km/h.
func (t *Track) roadLimit(i int) float64 { return t.w.G.EdgeWay(t.path.Edges[i]).MaxSpeed }

// target is the speed the driver aims at on edge index i, in m/s.
func (t *Track) target(i int) float64 {
	road := t.roadLimit(i)
	if t.sc.Has(Overspeed) {
		return road * t.factor / 3.6
	}
	return math.Min(road, t.prof.capKmh) * t.factor / 3.6
}

// decide fixes, once, whether the vehicle stops at the end of edge index i
// and for how long; odoAt is the odometer there.
func (t *Track) decide(i int, odoAt float64) (stop bool, dwell float64) {
	if t.decided[i] == 0 {
		t.decided[i] = 1
		last := i == len(t.path.Edges)-1
		switch {
		case last:
			if t.legStop.dwellHi > 0 {
				t.decided[i] = 2
			}
		case t.w.Signal(t.w.G.Edge(t.path.Edges[i]).To) && t.rng.Float64() < 0.45:
			t.decided[i] = 2
			t.dwellAt[i] = t.uniform(8, 55)
		case t.prof.stopEvery > 0 && t.veh.Route == nil && odoAt >= t.nextBusStop:
			t.decided[i] = 2
			t.dwellAt[i] = t.uniform(15, 35)
			t.nextBusStop = odoAt + t.prof.stopEvery*t.uniform(0.7, 1.3)
		}
	}
	return t.decided[i] == 2, t.dwellAt[i]
}

// allowed is the highest speed from which the driver can still meet every
// stop and lower limit within the lookahead, in m/s.
func (t *Track) allowed() float64 {
	v := t.target(t.ei)
	_, hi := t.span(t.ei)
	d := hi - t.off
	b := t.prof.decel
	for i := t.ei; i < len(t.path.Edges) && d < lookahead; i++ {
		if stop, _ := t.decide(i, t.odo+d); stop {
			// Creep the last metres so the vehicle reaches the stop line.
			return math.Min(v, math.Sqrt(2*b*d)+1)
		}
		if i+1 < len(t.path.Edges) {
			if nv := t.target(i + 1); nv < v {
				v = math.Min(v, math.Sqrt(nv*nv+2*b*d))
			}
			lo, hi := t.span(i + 1)
			d += hi - lo
		}
	}
	return v
}

// advance moves the simulation dt seconds forward.
func (t *Track) advance(r *roadnet.Router, dt float64) {
	if t.dwell > 0 {
		t.dwell -= dt
		t.speed = 0
		if t.dwell > 0 {
			return
		}
		if t.dwellTotal >= RestMin.Seconds() {
			t.spanStart = t.now.Add(time.Duration(dt * float64(time.Second)))
		}
		t.dwell, t.dwellTotal, t.parked = 0, 0, false
	}
	if t.ei >= len(t.path.Edges)-1 {
		if _, hi := t.span(t.ei); t.off >= hi-0.01 {
			t.arrive(r)
			if t.dwell > 0 {
				return
			}
		}
	}
	target := t.allowed()
	if t.speed < target {
		t.speed = math.Min(target, t.speed+t.prof.accel*dt)
	} else {
		t.speed = math.Max(target, t.speed-2*t.prof.decel*dt)
	}
	if lim := t.target(t.ei); t.speed > lim {
		t.speed = lim
	}
	d := t.speed * dt
	for d > 0 {
		_, hi := t.span(t.ei)
		if rest := hi - t.off; d < rest {
			t.off += d
			t.odo += d
			return
		} else {
			t.off = hi
			t.odo += rest
			d -= rest
		}
		stop, dwell := t.decide(t.ei, t.odo)
		if t.ei == len(t.path.Edges)-1 {
			if stop {
				t.speed = 0
			}
			t.arrive(r)
			return
		}
		if stop {
			t.speed = 0
			t.stand(dwell, false)
			t.ei++
			t.off, _ = t.span(t.ei)
			return
		}
		t.ei++
		t.off, _ = t.span(t.ei)
		t.speed = math.Min(t.speed, t.target(t.ei))
	}
}

// stand stops the vehicle for seconds; parked switches the engine off.
func (t *Track) stand(seconds float64, parked bool) {
	t.speed = 0
	t.dwell = seconds
	t.dwellTotal = seconds
	t.parked = parked && seconds >= parkedACCOff.Seconds()
}

// arrive handles the end of the current leg: the stop there, then the next
// leg or a new trip.
func (t *Track) arrive(r *roadnet.Router) {
	if t.legStop.dwellHi > 0 {
		d := t.durationIn(t.legStop.dwellLo, t.legStop.dwellHi)
		running := t.legStop.running
		t.legStop = waypoint{}
		t.stand(d.Seconds(), !running)
		// Plan the next leg now, so the stand is followed by driving.
	}
	for len(t.legs) > 0 {
		wp := t.legs[0]
		t.legs = t.legs[1:]
		if t.routeTo(r, wp) {
			return
		}
	}
	t.planTrip(r)
}

// here is the vehicle's position as a snap for routing.
func (t *Track) here() roadnet.Snap {
	e := t.path.Edges[t.ei]
	return roadnet.Snap{Edge: e, Offset: t.off, Point: t.w.G.EdgePoint(e, t.off)}
}

// routeTo makes the shortest path to wp the current leg.
func (t *Track) routeTo(r *roadnet.Router, wp waypoint) bool {
	dst, ok := t.w.G.NearestRoutable(wp.to)
	if !ok {
		return false
	}
	p, err := r.RouteSnaps(t.here(), dst, roadnet.ByTime)
	if err != nil || len(p.Edges) == 0 || p.Length < 1 {
		return false
	}
	// A pass-through point on the far carriageway of a one-way pair would
	// need a loop to reach; skip it rather than leave the corridor.
	if wp.dwellHi == 0 && p.Length > 1.5*roadnet.Distance(t.here().Point, dst.Point)+400 {
		return false
	}
	t.path = p
	t.ei = 0
	t.off = p.StartOffset
	t.legStop = wp
	t.resetDecisions()
	return true
}

// planTrip starts the next trip, after the rest the rules (and scenarios)
// call for.
func (t *Track) planTrip(r *roadnet.Router) {
	if t.veh.Trip != nil {
		t.planHazmat(r)
		return
	}
	if rest := t.restNeeded(); rest.Seconds() > t.dwell {
		t.stand(rest.Seconds(), true)
	}
	t.trips++
	t.loaded = carriesGoods(t.veh.Category) && t.trips%2 == 0
	t.factor = t.uniform(t.prof.factorLo, t.prof.factorHi)
	if t.sc.Has(Overspeed) {
		t.factor = t.uniform(1.2, 1.35)
	}
	parkLo, parkHi := t.prof.parkLo, t.prof.parkHi
	if t.sc.Has(Fatigue) {
		parkLo, parkHi = time.Minute, 5*time.Minute
	}
	var wps []waypoint
	if t.veh.Route != nil {
		wps = t.routeTrip(parkLo, parkHi)
		t.reverse = !t.reverse
	} else {
		dest := t.destination()
		wps = []waypoint{{to: dest, dwellLo: parkLo, dwellHi: parkHi}}
	}
	t.legs = wps
	for len(t.legs) > 0 {
		wp := t.legs[0]
		t.legs = t.legs[1:]
		if t.routeTo(r, wp) {
			return
		}
	}
	// Nowhere to go from here (should not happen on the core): wait.
	t.stand(parkHi.Seconds(), true)
}

// restNeeded returns the rest due before the next trip: the night rest of
// the category, or a break after restEvery of driving.
func (t *Track) restNeeded() time.Duration {
	if t.sc.Has(Fatigue) {
		return 0
	}
	if t.prof.nightFrom != t.prof.nightTo && !t.sc.Has(Night) && !t.sc.Has(Coach0205) {
		local := t.now.In(cst)
		h := local.Hour()
		if h >= t.prof.nightFrom || h < t.prof.nightTo {
			end := time.Date(local.Year(), local.Month(), local.Day(), t.prof.nightTo, 0, 0, 0, cst)
			if h >= t.prof.nightFrom {
				end = end.AddDate(0, 0, 1)
			}
			return end.Sub(t.now) + t.durationIn(0, 30*time.Minute)
		}
	}
	if t.now.Sub(t.spanStart) >= restEvery {
		return t.durationIn(RestMin+5*time.Minute, 40*time.Minute)
	}
	return 0
}

// destination picks the end of a free trip: 1–7 km away, inside a
// charter's approved area unless the trip is one that leaves it.
func (t *Track) destination() roadnet.Point {
	here := t.here().Point
	if t.home != (roadnet.Point{}) {
		if t.sc.Has(OffArea) && t.trips%2 == 1 {
			return t.randomNode(func(p roadnet.Point) bool {
				d := roadnet.Distance(p, t.home)
				return d > t.areaR+800 && d < t.areaR+3500
			})
		}
		return t.randomNode(func(p roadnet.Point) bool {
			return roadnet.Distance(p, t.home) < t.areaR-1000 && roadnet.Distance(p, here) > 800
		})
	}
	return t.randomNode(func(p roadnet.Point) bool {
		d := roadnet.Distance(p, here)
		return d > 1000 && d < 7000
	})
}

// routeTrip lays out one run of the vehicle's route: corridor points every
// ~700 m to keep the path on the corridor, stations with their stops, and
// for OffRoute a detour well outside the corridor half way.
func (t *Track) routeTrip(parkLo, parkHi time.Duration) []waypoint {
	rt := t.veh.Route
	corr := rt.Corridor
	sts := rt.Stations
	if t.reverse {
		corr = reversed(corr)
		sts = reversed(sts)
	}
	pl := roadnet.NewPolyline(corr)
	type mark struct {
		at float64
		wp waypoint
	}
	var marks []mark
	for i, s := range sts[1:] {
		wp := waypoint{to: s, dwellLo: time.Minute, dwellHi: 3 * time.Minute}
		if i == len(sts)-2 {
			wp = waypoint{to: s, dwellLo: parkLo, dwellHi: parkHi}
		}
		marks = append(marks, mark{along(s, corr), wp})
	}
	const every = 700.0
	for d := every; d < pl.Length()-every/2; d += every {
		p, _ := pl.At(d)
		near := false
		for _, m := range marks {
			if math.Abs(m.at-d) < 200 {
				near = true
			}
		}
		if !near {
			marks = append(marks, mark{d, waypoint{to: p}})
		}
	}
	if t.sc.Has(OffRoute) {
		mid, _ := pl.At(pl.Length() / 2)
		minOff := math.Max(1000, 2.5*rt.WidthM)
		detour := t.randomNode(func(p roadnet.Point) bool {
			d := distToPolyline(p, corr)
			return d > minOff && d < minOff+2500 && roadnet.Distance(p, mid) < minOff+3000
		})
		if distToPolyline(detour, corr) > minOff {
			marks = append(marks, mark{pl.Length() / 2, waypoint{to: detour}})
		}
	}
	// Order by distance along the corridor (insertion sort: few marks).
	for i := 1; i < len(marks); i++ {
		for j := i; j > 0 && marks[j].at < marks[j-1].at; j-- {
			marks[j], marks[j-1] = marks[j-1], marks[j]
		}
	}
	out := make([]waypoint, len(marks))
	for i, m := range marks {
		out[i] = m.wp
	}
	return out
}

func reversed[T any](s []T) []T {
	out := make([]T, len(s))
	for i, v := range s {
		out[len(s)-1-i] = v
	}
	return out
}

// along returns how far along the polyline pts the point nearest to p lies.
func along(p roadnet.Point, pts []roadnet.Point) float64 {
	best, bestAt, acc := math.Inf(1), 0.0, 0.0
	for i := 1; i < len(pts); i++ {
		seg := roadnet.Distance(pts[i-1], pts[i])
		d := distToPolyline(p, pts[i-1:i+1])
		if d < best {
			best = d
			bestAt = acc + math.Min(seg, roadnet.Distance(pts[i-1], p))
		}
		acc += seg
	}
	return bestAt
}

// --- reports --------------------------------------------------------------

func (t *Track) truth() Truth {
	e := t.path.Edges[t.ei]
	return Truth{
		Point:    t.w.G.EdgePoint(e, t.off),
		SpeedKmh: t.speed * 3.6,
		LimitKmh: t.roadLimit(t.ei),
		Edge:     e,
		Parked:   t.parked,
	}
}

// report builds the output at time at from the current state.
func (t *Track) report(at time.Time) Output {
	tr := t.truth()
	out := Output{At: at, Truth: tr}
	t.reports++
	ed := t.w.G.Edge(tr.Edge)
	heading := roadnet.Bearing(t.w.G.Node(ed.From), t.w.G.Node(ed.To))
	loc := jt808.Location{
		Altitude:  uint16(495 + t.rng.IntN(15)),
		Speed:     uint16(tr.SpeedKmh * 10),
		Direction: uint16(int(math.Round(heading))%360+360) % 360,
		Time:      jt808.BCDTimeOf(at),
		Status:    jt808.Status(1 << 1), // positioned
	}
	if !t.parked {
		loc.Status |= 1 // ACC on
	}
	loc.Status = withLoad(loc.Status, t.loadState(at))
	pt := tr.Point
	if t.sc.Has(Drift) {
		pt = t.drift(at, pt)
	}
	lat, lon := pt.Micro()
	loc.Lat, loc.Lon = int32(lat), int32(lon)
	if t.sc.Has(SOS) {
		if !at.Before(t.sosFrom) && at.Before(t.sosFrom.Add(3*time.Minute)) {
			loc.Alarm |= 1 // bit 0: emergency alarm (紧急报警)
		} else if !at.Before(t.sosFrom.Add(3 * time.Minute)) {
			t.sosFrom = at.Add(t.durationIn(45*time.Minute, 75*time.Minute))
		}
	}
	loc.Items = []jt808.Item{
		{ID: jt808.ItemMileage, Value: be32(uint32(t.odo / 100))},
		{ID: jt808.ItemSignalStrength, Value: []byte{byte(18 + t.rng.IntN(12))}},
		{ID: jt808.ItemSatellites, Value: []byte{byte(8 + t.rng.IntN(8))}},
	}
	if t.sc.Has(Invalid) && t.reports%10 == 0 {
		t.invalidate(&loc, at)
	}
	if t.sc.Has(BlindArea) {
		switch {
		case !at.Before(t.blindFrom) && at.Before(t.blindUntil):
			t.blindBuf = append(t.blindBuf, loc)
			return out
		case !at.Before(t.blindFrom) && t.blindUntil.IsZero():
			// The signal goes now.
			t.blindUntil = at.Add(t.durationIn(3*time.Minute, 8*time.Minute))
			t.blindBuf = append(t.blindBuf[:0], loc)
			return out
		case !t.blindUntil.IsZero() && !at.Before(t.blindUntil):
			// Back in coverage: re-send what was recorded, 15 per batch.
			for buf := t.blindBuf; len(buf) > 0; {
				n := min(15, len(buf))
				out.Batches = append(out.Batches, &jt808.LocationBatch{Type: jt808.BatchBlindArea, Items: buf[:n:n]})
				buf = buf[n:]
			}
			t.blindBuf = nil
			t.blindFrom = at.Add(t.durationIn(20*time.Minute, 40*time.Minute))
			t.blindUntil = time.Time{}
		}
	}
	out.Location = &loc
	if t.sc.Has(Offline) && !at.Before(t.nextOffline) && tr.SpeedKmh > 5 {
		out.Offline = t.durationIn(30*time.Minute, 90*time.Minute)
		t.nextOffline = at.Add(out.Offline + t.durationIn(30*time.Minute, 60*time.Minute))
	}
	return out
}

// drift displaces the reported point: slow drift of 20–80 m in episodes
// of ten minutes, and now and then a single jump of 1–5 km.
func (t *Track) drift(at time.Time, p roadnet.Point) roadnet.Point {
	if !at.Before(t.nextJump) {
		t.nextJump = at.Add(t.durationIn(10*time.Minute, 20*time.Minute))
		ang := t.uniform(0, 2*math.Pi)
		dist := t.uniform(1000, 5000)
		return offsetPoint(p, dist*math.Sin(ang), dist*math.Cos(ang))
	}
	if !at.Before(t.driftFrom) {
		if t.driftUntil.IsZero() || at.After(t.driftUntil.Add(20*time.Minute)) {
			t.driftUntil = at.Add(10 * time.Minute)
			ang := t.uniform(0, 2*math.Pi)
			dist := t.uniform(20, 80)
			t.driftE, t.driftN = dist*math.Sin(ang), dist*math.Cos(ang)
		}
		if at.Before(t.driftUntil) {
			t.driftE += t.uniform(-5, 5)
			t.driftN += t.uniform(-5, 5)
			return offsetPoint(p, t.driftE, t.driftN)
		}
	}
	return p
}

// Kinds of invalid data the Invalid scenario cycles through.
const (
	InvalidZero      = iota // latitude and longitude 0
	InvalidLatitude         // latitude beyond 90°
	InvalidLongitude        // longitude beyond 180°
	InvalidTime             // month 13: not a date
	InvalidFuture           // two days ahead of the clock
	invalidKinds
)

func (t *Track) invalidate(loc *jt808.Location, at time.Time) {
	switch t.invalidKind % invalidKinds {
	case InvalidZero:
		loc.Lat, loc.Lon = 0, 0
	case InvalidLatitude:
		loc.Lat = 95_000_000
	case InvalidLongitude:
		loc.Lon = 190_000_000
	case InvalidTime:
		loc.Time[1] = 0x13
	case InvalidFuture:
		loc.Time = jt808.BCDTimeOf(at.Add(48 * time.Hour))
	}
	t.invalidKind++
}

func be32(v uint32) []byte { return []byte{byte(v >> 24), byte(v >> 16), byte(v >> 8), byte(v)} }
