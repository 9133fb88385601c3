package monitor

import (
	"math"
	"math/bits"
	"strconv"
	"sync"
	"time"

	"github.com/jiaotong-platform/jiaotong/internal/gateway"
	"github.com/jiaotong-platform/jiaotong/internal/protocol/jt808"
	"github.com/jiaotong-platform/jiaotong/internal/registry"
	"github.com/jiaotong-platform/jiaotong/internal/roadnet"
)

// evidenceSize is how many recent positions a vehicle keeps as evidence.
const evidenceSize = 5

// Roads further than this from the nearest segment count as off the network.
const (
	onRoadMaxM   = 50.0
	keepEdgeMaxM = 25.0
)

// openAlarm is an episode of a rule on one vehicle: pending until it lasted
// the rule's minimum duration, then raised, until it ends.
type openAlarm struct {
	Rule     Rule            `json:"rule"`
	Subject  string          `json:"subject,omitempty"`
	Severity Severity        `json:"severity"`
	Start    int64           `json:"start"` // device ms
	Last     int64           `json:"last"`
	Lat      float64         `json:"lat"`
	Lon      float64         `json:"lon"`
	Limit    float64         `json:"limit"`
	Peak     float64         `json:"peak"`
	Unit     string          `json:"unit"`
	Raised   bool            `json:"raised"`
	Evidence []EvidencePoint `json:"evidence,omitempty"`
}

func (a *openAlarm) key() string { return string(a.Rule) + "|" + a.Subject }

// changeKind says what happened to an alarm or a vehicle.
type changeKind uint8

const (
	changeRaise changeKind = iota + 1
	changeUpdate
	changeEnd
	changeVehicle // online/offline or driving/parked
)

// change is one output of the engine, consumed by the service.
type change struct {
	kind    changeKind
	vehicle int64
	alarm   openAlarm // copy at the time of the change
	end     int64     // device ms, for changeEnd
	at      int64     // for changeVehicle
	state   string    // for changeVehicle: online, offline, driving, parked
}

// vstate is the live state of one vehicle. Its JSON form is the snapshot.
type vstate struct {
	ID         int64  `json:"id"`
	Plate      string `json:"plate"`
	Category   string `json:"category"`
	OperatorID int64  `json:"operator_id"`
	Region     string `json:"region"`

	LastDev  int64  `json:"last_dev"`  // device ms of the last accepted live position
	LastRecv int64  `json:"last_recv"` // receive ms of the last position of any kind
	Lat      int32  `json:"lat"`
	Lon      int32  `json:"lon"`
	Speed    uint16 `json:"speed"` // 0.1 km/h
	Heading  uint16 `json:"heading"`
	Status   uint32 `json:"status"`
	Alarm    uint32 `json:"alarm"`
	HasFix   bool   `json:"has_fix"`
	Online   bool   `json:"online"`
	Moving   bool   `json:"moving"`

	DriveStart int64       `json:"drive_start"` // start of the continuous-driving block, 0 when resting
	LastMove   int64       `json:"last_move"`
	StopStart  int64       `json:"stop_start"` // start of the current stop, 0 when driving
	Hours      [168]uint16 `json:"hours"`      // driving seconds per hour, ring by hour index
	HourAt     int64       `json:"hour_at"`    // hour index (unix hours) of the newest bucket
	Day        string      `json:"day"`        // civil date of DayDriveS
	DayDriveS  int64       `json:"day_drive_s"`
	Edge       int32       `json:"edge"`       // cached nearest road edge, -1 none
	RoadClass  uint8       `json:"road_class"` // roadnet.Class, 0 off the network
	RoadLimit  float64     `json:"road_limit"`

	// The resolved rule set and what it was resolved for (not snapshotted).
	rules                      *compiled
	rulesBook                  *ruleBook
	rulesRegion, rulesCategory string
	dayFrom, dayTo             int64 // unix ms bounds of Day
	// Driving sums of the last 24 h and 7 days, valid for hour index sumsAt.
	sums          bool
	sumsAt        int64
	sum24, sum168 int64
	fc            fenceCache // candidate geofences around the vehicle

	Inside map[int64]int64 `json:"inside,omitempty"` // fence id → entered at (device ms)

	PendLat int32 `json:"pend_lat"` // drift: candidate new place and its confirmations
	PendLon int32 `json:"pend_lon"`
	PendN   int   `json:"pend_n"`

	Ring  [evidenceSize]EvidencePoint `json:"ring"`
	RingN int                         `json:"ring_n"`

	Open map[string]*openAlarm `json:"open,omitempty"`

	// Counters since the vehicle was first seen (indicators read deltas).
	Received  int64 `json:"received"`
	Qualified int64 `json:"qualified"`
	DriftPts  int64 `json:"drift_pts"`
}

// Engine evaluates the rules. It is not safe for concurrent use by itself:
// the service serialises Process and CheckOffline and guards reads with mu.
type Engine struct {
	mu       sync.RWMutex
	graph    *roadnet.Graph
	sw, ne   roadnet.Point // the graph's bounds (Graph.Bounds scans every node)
	fences   *fenceIndex
	book     *ruleBook
	loc      *time.Location
	vehicles map[int64]*vstate
}

// NewEngine returns an engine over a road network (nil: no road classes),
// geofences and rule sets.
func NewEngine(g *roadnet.Graph, fences []Geofence, sets []RuleSet, loc *time.Location) *Engine {
	if loc == nil {
		loc = time.UTC
	}
	e := &Engine{fences: newFenceIndex(fences), book: newRuleBook(sets), loc: loc, vehicles: map[int64]*vstate{}}
	e.setGraph(g)
	return e
}

func (e *Engine) setGraph(g *roadnet.Graph) {
	e.graph = g
	if g != nil {
		e.sw, e.ne = g.Bounds()
	}
}

func (e *Engine) setFences(gs []Geofence) { e.fences = newFenceIndex(gs) }
func (e *Engine) setRules(sets []RuleSet) { e.book = newRuleBook(sets) }

// rulesOf returns the vehicle's rule set, resolved again only when the
// rule book, the vehicle's region or its category changed.
func (e *Engine) rulesOf(st *vstate) *compiled {
	if st.rules == nil || st.rulesBook != e.book || st.rulesRegion != st.Region || st.rulesCategory != st.Category {
		st.rules = e.book.resolve(st.Region, st.Category)
		st.rulesBook, st.rulesRegion, st.rulesCategory = e.book, st.Region, st.Category
	}
	return st.rules
}

func (e *Engine) state(id int64) *vstate {
	st := e.vehicles[id]
	if st == nil {
		st = &vstate{ID: id, Edge: -1}
		e.vehicles[id] = st
	}
	return st
}

// ev is a little helper for the rule functions: the episode bookkeeping of
// one vehicle at one position.
type ev struct {
	e   *Engine
	st  *vstate
	t   int64
	lat float64
	lon float64
	out []change
}

// episode drives one rule's episode: cond says whether the violation holds
// at t. start is the episode start when it opens (usually t), value the
// measured value (peak is its maximum), minDur the pending time in ms.
func (x *ev) episode(rule Rule, subject string, sev Severity, cond bool, start, end int64, minDur int64,
	limit, value float64, unit string) {
	// The key is built on the stack: most calls find no open episode and
	// must not allocate (a lookup by string(bytes) does not copy).
	var buf [64]byte
	key := append(append(append(buf[:0], string(rule)...), '|'), subject...)
	var a *openAlarm
	if len(x.st.Open) > 0 {
		a = x.st.Open[string(key)]
	}
	if !cond {
		if a != nil {
			if a.Raised {
				if end < a.Start {
					end = a.Last
				}
				x.out = append(x.out, change{kind: changeEnd, vehicle: x.st.ID, alarm: *a, end: end})
			}
			delete(x.st.Open, string(key))
		}
		return
	}
	if a == nil {
		a = &openAlarm{Rule: rule, Subject: subject, Severity: sev, Start: start, Last: x.t, Lat: x.lat, Lon: x.lon,
			Limit: limit, Peak: value, Unit: unit, Evidence: x.st.evidence()}
		if x.st.Open == nil {
			x.st.Open = map[string]*openAlarm{}
		}
		x.st.Open[string(key)] = a
	}
	a.Last = max(a.Last, x.t)
	grew := value > a.Peak
	if grew {
		a.Peak = value
	}
	if !a.Raised {
		if a.Last-a.Start >= minDur {
			a.Raised = true
			x.out = append(x.out, change{kind: changeRaise, vehicle: x.st.ID, alarm: *a})
		}
		return
	}
	if grew {
		x.out = append(x.out, change{kind: changeUpdate, vehicle: x.st.ID, alarm: *a})
	}
}

// instant raises an alarm that starts and ends at t (enter/exit events).
func (x *ev) instant(rule Rule, subject string, sev Severity) {
	a := openAlarm{Rule: rule, Subject: subject, Severity: sev, Start: x.t, Last: x.t, Lat: x.lat, Lon: x.lon,
		Raised: true, Evidence: x.st.evidence()}
	x.out = append(x.out, change{kind: changeRaise, vehicle: x.st.ID, alarm: a},
		change{kind: changeEnd, vehicle: x.st.ID, alarm: a, end: x.t})
}

func (st *vstate) evidence() []EvidencePoint {
	n := min(st.RingN, evidenceSize)
	out := make([]EvidencePoint, 0, n)
	for i := st.RingN - n; i < st.RingN; i++ {
		out = append(out, st.Ring[i%evidenceSize])
	}
	return out
}

func (st *vstate) push(p EvidencePoint) {
	st.Ring[st.RingN%evidenceSize] = p
	st.RingN++
	if st.RingN >= 2*evidenceSize {
		st.RingN -= evidenceSize
	}
}

// China's approximate bounding box (monitoring-rules.md §6).
const (
	chinaMinLat, chinaMaxLat = 3.8, 53.6
	chinaMinLon, chinaMaxLon = 73.5, 135.1
)

func microDeg(v int32) float64 { return float64(v) / 1e6 }

// Process evaluates one position of a vehicle and appends what changed.
func (e *Engine) Process(p *gateway.Position, info *VehicleInfo, out []change) []change {
	st := e.state(p.VehicleID)
	if info != nil {
		st.Plate, st.Category, st.OperatorID, st.Region = info.Plate, string(info.Category), info.OperatorID, info.Region
	} else {
		info = &VehicleInfo{ID: st.ID, Plate: st.Plate, Category: registry.VehicleCategory(st.Category), OperatorID: st.OperatorID, Region: st.Region}
	}
	rules := e.rulesOf(st)
	rp := rules.p
	dev := p.DeviceTime.UnixMilli()
	recv := p.ReceiveTime.UnixMilli()
	lat, lon := microDeg(p.Lat), microDeg(p.Lon)
	x := &ev{e: e, st: st, t: dev, lat: lat, lon: lon, out: out}

	st.Received++
	st.LastRecv = max(st.LastRecv, recv)
	if !st.Online {
		st.Online = true
		x.out = append(x.out, change{kind: changeVehicle, vehicle: st.ID, at: recv, state: "online"})
	}
	if a := st.Open[string(RuleOffline)+"|"]; a != nil {
		x.t = recv
		x.episode(RuleOffline, "", SeverityMinor, false, 0, recv, 0, 0, 0, "")
		x.t = dev
	}

	// Data quality first: an invalid point is never used live.
	q := rp.Quality
	speedKmh := float64(p.Speed) / 10
	// An undated report (its time did not parse) cannot be placed on the
	// device clock every rule runs on: it is an invalid report.
	valid := !p.UndatedDevice && (!q.RequireFix || jt808.Status(p.Status).Fixed()) &&
		lat >= chinaMinLat && lat <= chinaMaxLat && lon >= chinaMinLon && lon <= chinaMaxLon &&
		speedKmh <= q.MaxValidSpeedKmh && p.Heading < 360
	history := p.BlindArea || dev <= st.LastDev
	if !valid {
		if !history && q.Enabled {
			x.episode(RuleInvalidPosition, "", SeverityInfo, true, dev, dev, 0, 0, 0, "")
		}
		return x.out
	}
	skew := int64(q.MaxClockSkewS) * 1000
	future := dev-recv > skew
	stale := !p.BlindArea && recv-dev > skew
	if q.Enabled && !p.BlindArea {
		// The device clock is what is wrong here, so the receive time dates it.
		x.t = recv
		x.episode(RuleClockSkew, "", SeverityInfo, future || stale, recv, recv, 0, float64(skew/1000), math.Abs(float64(dev-recv))/1000, "s")
		x.t = dev
	}
	if future || stale {
		return x.out
	}
	if history {
		st.Qualified++
		return x.out
	}
	if q.Enabled {
		x.episode(RuleInvalidPosition, "", SeverityInfo, false, dev, dev, 0, 0, 0, "")
	}

	// Drift: a jump implying an impossible speed is not accepted, unless
	// several points agree on the new place (a real relocation).
	if st.HasFix && q.Enabled {
		d := roadnet.Distance(roadnet.FromMicro(int64(st.Lat), int64(st.Lon)), roadnet.Point{Lat: lat, Lon: lon})
		dt := float64(dev-st.LastDev) / 1000
		implied := d / math.Max(dt, 1) * 3.6
		if d > q.MinDriftM && implied > q.MaxSpeedKmh {
			near := st.PendN > 0 && roadnet.Distance(roadnet.FromMicro(int64(st.PendLat), int64(st.PendLon)), roadnet.Point{Lat: lat, Lon: lon}) < q.MinDriftM
			if near {
				st.PendN++
			} else {
				st.PendLat, st.PendLon, st.PendN = p.Lat, p.Lon, 1
			}
			if st.PendN < q.ConfirmPoints {
				st.DriftPts++
				x.episode(RuleDrift, "", SeverityInfo, true, dev, dev, 0, q.MaxSpeedKmh, implied, "km/h")
				return x.out
			}
			// Confirmed: the vehicle really is there; restart movement
			// accounting from here rather than count the jump as driving.
			st.LastDev = dev - 1
			st.HasFix = false
		}
		st.PendN = 0
		x.episode(RuleDrift, "", SeverityInfo, false, dev, dev, 0, 0, 0, "")
	}
	st.Qualified++

	e.accept(x, p, info, rules)
	return x.out
}

// accept updates the live state with a good, in-order position and runs
// the rules that need one.
func (e *Engine) accept(x *ev, p *gateway.Position, info *VehicleInfo, rules *compiled) {
	st, rp, dev := x.st, rules.p, x.t
	speedKmh := float64(p.Speed) / 10
	moving := speedKmh >= rp.Fatigue.MovingKmh
	local := time.UnixMilli(dev).In(e.loc)
	hour, mins, _ := local.Clock()
	minute := hour*60 + mins
	weekday := int(local.Weekday())
	night := inWindow(minute, rules.nightFrom, rules.nightTo)

	// Driving and rest, on device time.
	prevDev, hadFix := st.LastDev, st.HasFix
	if hadFix {
		gap := dev - prevDev
		driving := st.Moving
		if gap > int64(rp.Fatigue.MaxReportingGapS)*1000 {
			d := roadnet.Distance(roadnet.FromMicro(int64(st.Lat), int64(st.Lon)), roadnet.Point{Lat: x.lat, Lon: x.lon})
			driving = d/(float64(gap)/1000)*3.6 >= rp.Fatigue.GapAsDrivingKmh
		}
		if driving {
			if st.StopStart != 0 {
				st.StopStart = 0
			}
			if st.DriveStart == 0 {
				st.DriveStart = prevDev
			}
			st.LastMove = dev
			st.addDriving(prevDev, dev, e.loc)
		} else {
			if st.StopStart == 0 {
				st.StopStart = prevDev
			}
			if dev-st.StopStart >= int64(rp.Fatigue.MinRestS)*1000 {
				st.DriveStart = 0
			}
		}
	}
	if moving != st.Moving || !hadFix {
		state := "parked"
		if moving {
			state = "driving"
		}
		if hadFix || moving {
			x.out = append(x.out, change{kind: changeVehicle, vehicle: st.ID, at: dev, state: state})
		}
	}

	st.LastDev, st.HasFix = dev, true
	st.Lat, st.Lon, st.Speed, st.Heading, st.Status, st.Moving = p.Lat, p.Lon, p.Speed, p.Heading, p.Status, moving
	st.push(EvidencePoint{At: time.UnixMilli(dev).UTC(), Lat: x.lat, Lon: x.lon, Speed: speedKmh, Heading: p.Heading})

	e.roadClass(st, x.lat, x.lon)

	// Geofences.
	areaLimit := math.Inf(1)
	ix := e.fences
	var seen [8]int64
	inside := seen[:0]
	ix.searchCached(&st.fc, x.lat, x.lon, func(f *fence) {
		if !engineFence(f.g.Purpose) || !f.appliesTo(info) || !f.active(minute, weekday) {
			return
		}
		inside = append(inside, f.g.ID)
		if f.g.SpeedLimitKmh > 0 {
			areaLimit = math.Min(areaLimit, f.g.SpeedLimitKmh)
		}
		entered, was := st.Inside[f.g.ID]
		if !was {
			if st.Inside == nil {
				st.Inside = map[int64]int64{}
			}
			st.Inside[f.g.ID], entered = dev, dev
			if f.g.AlertEnter {
				x.instant(RuleFenceEnter, f.subject, SeverityInfo)
			}
		}
		subj := f.subject
		if f.g.Purpose == PurposeForbidden {
			x.episode(RuleFenceForbidden, subj, SeverityMajor, true, dev, dev, 0, 0, speedKmh, "km/h")
		}
		if f.g.MaxDwellS > 0 {
			lim := int64(f.g.MaxDwellS) * 1000
			x.episode(RuleFenceDwell, subj, SeverityMinor, dev-entered > lim, entered+lim, dev, 0,
				float64(f.g.MaxDwellS), float64(dev-entered)/1000, "s")
		}
	})
	for id := range st.Inside {
		if containsID(inside, id) {
			continue
		}
		delete(st.Inside, id)
		f := ix.byID[id]
		var subj string
		if f != nil {
			subj = f.subject
		} else {
			subj = fenceSubject(id)
		}
		if f != nil && f.g.AlertExit {
			x.instant(RuleFenceExit, subj, SeverityInfo)
		}
		x.episode(RuleFenceForbidden, subj, SeverityMajor, false, 0, dev, 0, 0, 0, "")
		x.episode(RuleFenceDwell, subj, SeverityMinor, false, 0, dev, 0, 0, 0, "")
	}

	// Overspeed.
	if os := rp.Overspeed; os.Enabled {
		limit := rules.limits[st.RoadClass]
		if os.UseRoadLimit && st.RoadClass != 0 && st.RoadLimit > 0 {
			limit = math.Min(limit, st.RoadLimit)
		}
		limit = math.Min(limit, areaLimit)
		if night {
			limit *= os.NightFactor
		}
		limit = math.Round(limit*10) / 10
		over := speedKmh > limit*(1+os.TolerancePct/100)
		x.episode(RuleOverspeed, "", SeverityMajor, over, dev, dev, int64(os.MinDurationS)*1000, limit, speedKmh, "km/h")
	}

	// Fatigue.
	if f := rp.Fatigue; f.Enabled {
		cont := int64(0)
		if st.DriveStart != 0 {
			cont = st.LastMove - st.DriveStart
		}
		if f.ContinuousS > 0 {
			lim := int64(f.ContinuousS) * 1000
			x.episode(RuleFatigue, "", SeverityMajor, cont > lim, st.DriveStart+lim, st.restStart(dev), 0,
				float64(f.ContinuousS), float64(cont)/1000, "s")
		}
		if f.NightContinuousS > 0 {
			lim := int64(f.NightContinuousS) * 1000
			ns := int64(0)
			if st.DriveStart != 0 && night {
				ns = max(st.DriveStart, windowStart(local, rules.nightFrom))
			}
			nc := int64(0)
			if ns != 0 {
				nc = st.LastMove - ns
			}
			x.episode(RuleFatigueNight, "", SeverityMajor, nc > lim, ns+lim, st.restStart(dev), 0,
				float64(f.NightContinuousS), float64(nc)/1000, "s")
		}
		drivingNow := st.StopStart == 0 && st.DriveStart != 0
		sum24, sum168 := st.driven24h7d(dev)
		if f.Cumulative24hS > 0 {
			sum := sum24
			x.episode(RuleFatigue24h, "", SeverityMinor, drivingNow && sum > int64(f.Cumulative24hS), dev, st.restStart(dev), 0,
				float64(f.Cumulative24hS), float64(sum), "s")
		}
		if f.Cumulative7dS > 0 {
			sum := sum168
			x.episode(RuleFatigue7d, "", SeverityMinor, drivingNow && sum > int64(f.Cumulative7dS), dev, st.restStart(dev), 0,
				float64(f.Cumulative7dS), float64(sum), "s")
		}
	}

	// 02:00-05:00 for long-distance buses.
	if em := rp.EarlyMorning; em.Enabled && earlyMorningApplies(info, rules) {
		in := moving && inWindow(minute, rules.earlyFrom, rules.earlyTo)
		x.episode(RuleEarlyMorning, "", SeverityMajor, in, dev, dev, int64(em.MinDurationS)*1000, 0, speedKmh, "km/h")
	}

	// Route deviation for scheduled buses.
	if rp.Route.Enabled && info.Route != nil && info.Route.corridor != nil {
		w := info.Route.WidthM
		if w <= 0 {
			w = rp.Route.DefaultWidthM
		}
		d := info.Route.corridor.distance(x.lat, x.lon)
		x.episode(RuleRouteDeviation, strconv.FormatInt(info.Route.ID, 10), SeverityMinor, d > w/2, dev, dev,
			int64(rp.Route.MinDurationS)*1000, w/2, math.Round(d), "m")
	}

	// Charter bus outside its approved area.
	if rp.Area.Enabled {
		if areas := ix.charterAreas(info); len(areas) > 0 {
			out := true
			for _, f := range areas {
				if f.active(minute, weekday) && f.shape.contains(x.lat, x.lon) {
					out = false
					break
				}
			}
			x.episode(RuleOutOfArea, "", SeverityMajor, out, dev, dev, int64(rp.Area.MinDurationS)*1000, 0, speedKmh, "km/h")
		}
	}

	// Terminal alarm bits: emergency first, the others as events.
	if rp.Terminal.Enabled {
		cur := p.Alarm &^ rules.ignoreBits
		prev := st.Alarm &^ rules.ignoreBits
		x.episode(RuleSOS, "", SeverityCritical, cur&1 != 0, dev, dev, 0, 0, 0, "")
		for m := (cur | prev) &^ 1; m != 0; m &= m - 1 {
			bit := bits.TrailingZeros32(m)
			x.episode(RuleTerminalAlarm, alarmBitName(bit, p.Version), SeverityInfo, cur&(1<<bit) != 0, dev, dev, 0, 0, 0, "")
		}
	}
	st.Alarm = p.Alarm
}

// restStart is the end time of a fatigue episode: the start of the rest
// that ended the block, else now.
func (st *vstate) restStart(now int64) int64 {
	if st.StopStart != 0 {
		return st.StopStart
	}
	return now
}

func containsID(ids []int64, id int64) bool {
	for _, v := range ids {
		if v == id {
			return true
		}
	}
	return false
}

func fenceSubject(id int64) string { return "fence:" + strconv.FormatInt(id, 10) }

func alarmBitName(bit int, v gateway.ProtocolVersion) string {
	// gateway.ProtocolVersion numbers the editions like jt808.Version.
	fl := jt808.Alarm(1 << bit).Flags(jt808.Version(v))
	if len(fl) == 1 {
		return fl[0].Name
	}
	return "bit_" + strconv.Itoa(bit)
}

func earlyMorningApplies(info *VehicleInfo, rules *compiled) bool {
	switch info.Category {
	case registry.CategoryCoach, registry.CategoryCharter, registry.CategoryTourism:
	default:
		return false
	}
	if rules.exemptVehicles[info.ID] {
		return false
	}
	if r := info.Route; r != nil {
		if rules.exemptRoutes[r.Code] {
			return false
		}
		if r.DistanceKm > 0 && r.DistanceKm <= rules.p.EarlyMorning.ExemptMaxDistanceKm {
			return false
		}
	}
	return true
}

// windowStart returns the unix ms at which the window containing local time
// t began (from minutes after midnight, possibly the previous day).
func windowStart(t time.Time, from int) int64 {
	y, m, d := t.Date()
	start := time.Date(y, m, d, from/60, from%60, 0, 0, t.Location())
	if start.After(t) {
		start = start.AddDate(0, 0, -1)
	}
	return start.UnixMilli()
}

// addDriving books driving time [from, to) into the hourly ring and the
// daily total.
func (st *vstate) addDriving(from, to int64, loc *time.Location) {
	secs := (to - from) / 1000
	if secs <= 0 {
		return
	}
	h := to / 3_600_000
	if st.HourAt == 0 || h-st.HourAt >= 168 {
		st.Hours = [168]uint16{}
	} else {
		for i := st.HourAt + 1; i <= h; i++ {
			st.Hours[i%168] = 0
		}
	}
	if h > st.HourAt {
		st.HourAt = h
		st.sums = false
	}
	old := int64(st.Hours[h%168])
	v := min(old+secs, 65535)
	st.Hours[h%168] = uint16(v)
	if st.sums && h == st.sumsAt {
		st.sum24 += v - old
		st.sum168 += v - old
	} else {
		st.sums = false
	}
	if to < st.dayFrom || to >= st.dayTo {
		// A new civil day, or the first driving since a restore: the
		// bounds are recomputed and the date formatted once per day.
		lt := time.UnixMilli(to).In(loc)
		y, m, d := lt.Date()
		from := time.Date(y, m, d, 0, 0, 0, 0, loc)
		st.dayFrom, st.dayTo = from.UnixMilli(), from.AddDate(0, 0, 1).UnixMilli()
		if day := lt.Format(time.DateOnly); day != st.Day {
			st.Day, st.DayDriveS = day, 0
		}
	}
	st.DayDriveS += secs
}

// driven24h7d returns the driving seconds of the last 24 hours and of the
// last 7 days up to now. The sums are kept between calls of the same hour
// (addDriving adds to them), so most positions do not walk the ring.
func (st *vstate) driven24h7d(now int64) (int64, int64) {
	h := now / 3_600_000
	if !st.sums || st.sumsAt != h {
		st.sum24, st.sum168 = st.drivenLast(24, now), st.drivenLast(168, now)
		st.sums, st.sumsAt = true, h
	}
	return st.sum24, st.sum168
}

// drivenLast returns the driving seconds of the last n hours up to now.
func (st *vstate) drivenLast(n int, now int64) int64 {
	h := now / 3_600_000
	var sum int64
	for i := 0; i < n; i++ {
		hi := st.HourAt - int64(i)
		if hi <= h-int64(n) || hi < 0 {
			break
		}
		sum += int64(st.Hours[hi%168])
	}
	return sum
}

// roadClass finds the road under the vehicle. The cached edge is kept
// while the vehicle is within keepEdgeMaxM of it; when it left it, the
// edges meeting the cached edge's ends (where a vehicle that stays on the
// road goes next) are tried before the network is searched, and that search
// is bounded to onRoadMaxM around the vehicle, so a position far from any
// road costs an empty box search rather than a nearest-neighbour walk.
func (e *Engine) roadClass(st *vstate, lat, lon float64) {
	g := e.graph
	if g == nil {
		return
	}
	pt := roadnet.Point{Lat: lat, Lon: lon}
	if st.Edge >= 0 && int(st.Edge) < g.NumEdges() {
		ed := g.Edge(roadnet.EdgeID(st.Edge))
		if segmentDistance(pt, g.Node(ed.From), g.Node(ed.To)) <= keepEdgeMaxM {
			return
		}
		if next, ok := nearestNeighbourEdge(g, pt, ed.From, ed.To); ok {
			w := g.EdgeWay(next)
			st.Edge, st.RoadClass, st.RoadLimit = int32(next), uint8(w.Class), w.MaxSpeed
			return
		}
	}
	sw, ne := e.sw, e.ne
	if lat < sw.Lat || lat > ne.Lat || lon < sw.Lon || lon > ne.Lon {
		st.Edge, st.RoadClass, st.RoadLimit = -1, 0, 0
		return
	}
	// The graph ranks segments in its own planar frame and reports the
	// haversine distance; searching a little wider than onRoadMaxM keeps
	// the answer that of an unbounded search followed by the same check.
	s, ok := g.NearestEdgeWithin(pt, onRoadMaxM*1.05+1)
	if !ok || s.Distance > onRoadMaxM {
		st.Edge, st.RoadClass, st.RoadLimit = -1, 0, 0
		return
	}
	w := g.EdgeWay(s.Edge)
	st.Edge, st.RoadClass, st.RoadLimit = int32(s.Edge), uint8(w.Class), w.MaxSpeed
}

// nearestNeighbourEdge returns the edge leaving either end of a segment
// that is nearest to p, if it is within keepEdgeMaxM.
func nearestNeighbourEdge(g *roadnet.Graph, p roadnet.Point, ends ...roadnet.NodeID) (roadnet.EdgeID, bool) {
	best, bestD := roadnet.EdgeID(-1), keepEdgeMaxM
	for _, v := range ends {
		lo, hi := g.OutEdges(v)
		for id := lo; id < hi; id++ {
			ed := g.Edge(id)
			if d := segmentDistance(p, g.Node(ed.From), g.Node(ed.To)); d <= bestD {
				best, bestD = id, d
			}
		}
	}
	return best, best >= 0
}

// segmentDistance is the planar distance in metres from p to segment ab.
func segmentDistance(p, a, b roadnet.Point) float64 {
	kx := metresPerDegLat * math.Cos(p.Lat*math.Pi/180)
	px, py := p.Lon*kx, p.Lat*metresPerDegLat
	ax, ay := a.Lon*kx, a.Lat*metresPerDegLat
	bx, by := b.Lon*kx, b.Lat*metresPerDegLat
	dx, dy := bx-ax, by-ay
	t := 0.0
	if l2 := dx*dx + dy*dy; l2 > 0 {
		t = math.Max(0, math.Min(1, ((px-ax)*dx+(py-ay)*dy)/l2))
	}
	return math.Hypot(ax+t*dx-px, ay+t*dy-py)
}

// CheckOffline marks vehicles that sent nothing for their offline limit
// (platform clock now) and raises offline alarms for those not parked.
func (e *Engine) CheckOffline(now time.Time, out []change) []change {
	nowMs := now.UnixMilli()
	for _, st := range e.vehicles {
		if !st.Online {
			continue
		}
		rules := e.rulesOf(st)
		op := rules.p.Offline
		after := int64(max(op.AfterS, 60)) * 1000
		if nowMs-st.LastRecv <= after {
			continue
		}
		st.Online = false
		out = append(out, change{kind: changeVehicle, vehicle: st.ID, at: st.LastRecv + after, state: "offline"})
		parked := !st.Moving && !jt808.Status(st.Status).ACC()
		if op.Enabled && !parked {
			x := &ev{e: e, st: st, t: st.LastRecv, lat: microDeg(st.Lat), lon: microDeg(st.Lon), out: out}
			x.episode(RuleOffline, "", SeverityMinor, true, st.LastRecv, st.LastRecv, 0, float64(op.AfterS), float64(op.AfterS), "s")
			out = x.out
		}
	}
	return out
}

func distanceMicro(lat1, lon1, lat2, lon2 int32) float64 {
	return roadnet.Distance(roadnet.FromMicro(int64(lat1), int64(lon1)), roadnet.FromMicro(int64(lat2), int64(lon2)))
}
