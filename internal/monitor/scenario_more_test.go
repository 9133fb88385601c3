package monitor_test

import (
	"math"
	"testing"
	"time"

	"github.com/jiaotong-platform/jiaotong/internal/monitor"
	"github.com/jiaotong-platform/jiaotong/internal/platform/access"
	"github.com/jiaotong-platform/jiaotong/internal/platform/bus/bustest"
	"github.com/jiaotong-platform/jiaotong/internal/platform/civil"
	"github.com/jiaotong-platform/jiaotong/internal/registry"
	"github.com/jiaotong-platform/jiaotong/internal/roadnet"
	"github.com/jiaotong-platform/jiaotong/internal/sim"
)

// relaxed widens the two receive-time thresholds for runs whose subject is
// another rule: at a speedup of 1,800 a scheduling hiccup of a third of a
// real second on a loaded machine is ten simulated minutes, enough to look
// like an offline terminal or a stale clock.
func relaxed(p *monitor.Params) {
	p.Offline.AfterS = 4 * 3600
	p.Quality.MaxClockSkewS = 3600
}

func ofVehicle(as []monitor.Alarm, v int64) []monitor.Alarm {
	var out []monitor.Alarm
	for _, a := range as {
		if a.VehicleID == v {
			out = append(out, a)
		}
	}
	return out
}

func moving(s sent) bool { return s.loc.Speed >= 50 } // 5 km/h, Fatigue.MovingKmh

// drivingBlock is a continuous-driving block as monitoring-rules.md §3
// defines it: from the first report moving after a rest (≥ 20 min standing)
// to the first standing report of the next such rest (end zero while it
// goes on). last is the last report time counted as driving.
type drivingBlock struct{ start, end, last time.Time }

func drivingBlocks(live []sent) []drivingBlock {
	const minRest = 20 * time.Minute
	var out []drivingBlock
	var cur *drivingBlock
	var stopFrom time.Time
	for i, s := range live {
		if i > 0 && moving(live[i-1]) {
			// Driving since the previous report.
			stopFrom = time.Time{}
			if cur == nil {
				out = append(out, drivingBlock{start: live[i-1].dev})
				cur = &out[len(out)-1]
			}
			cur.last = s.dev
			continue
		}
		if i == 0 {
			continue
		}
		if stopFrom.IsZero() {
			stopFrom = live[i-1].dev
		}
		if cur != nil && s.dev.Sub(stopFrom) >= minRest {
			cur.end = stopFrom
			cur = nil
		}
	}
	return out
}

// TestIntegrationScenarioFatigue: coaches driving on with stops of 1-5
// minutes only. The fatigue alarm starts exactly four hours after the
// first moving report, its limit is 14,400 s, and as the driver never
// rests it is still ongoing with a peak equal to the driving time so far.
func TestIntegrationScenarioFatigue(t *testing.T) {
	skipShort(t)
	b := bustest.StartEmbedded(t)
	res := runScenario(t, b, scenarioRun{category: registry.CategoryCoach, vehicles: 2, start: at(20, 8, 0),
		duration: 4*time.Hour + 30*time.Minute, speedup: 1800, seed: 5, mix: sim.Mix{sim.Fatigue: 100}, tune: relaxed})
	for v := int64(1); v <= 2; v++ {
		as := ofVehicle(res.alarms, v)
		fat, other := only(as, monitor.RuleFatigue)
		if len(other) > 0 {
			t.Errorf("vehicle %d: other alarms:%s", v, describeAlarms(other))
		}
		bl := drivingBlocks(res.live(v))
		if len(bl) != 1 || len(fat) != 1 {
			t.Fatalf("vehicle %d: driving blocks %+v; fatigue alarms:%s", v, bl, describeAlarms(fat))
		}
		a, want := fat[0], bl[0]
		wantPeak := want.last.Sub(want.start).Seconds()
		if !a.StartAt.Equal(want.start.Add(4*time.Hour)) || a.EndAt != nil || !a.Ongoing || a.Limit != 14400 ||
			a.Peak != wantPeak || a.Unit != "s" || a.Severity != monitor.SeverityMajor {
			t.Errorf("vehicle %d: fatigue%s ongoing %v unit %s, want start %v ongoing, peak %v",
				v, describeAlarms(fat), a.Ongoing, a.Unit, want.start.Add(4*time.Hour).In(civil.CST), wantPeak)
		}
	}
}

// TestIntegrationScenarioNight: coaches that keep driving after 22:00
// (resting only after three hours at the wheel). Night driving is judged
// by two rules: the night continuous-driving limit of two hours
// (fatigue_night) and the night speed limit of 80 % of the day limit. Each
// coach gets one fatigue_night alarm starting two hours after it set off
// and ending where its rest begins (or still ongoing), peak the whole
// block; overspeed alarms, if any, are night overspeeds: their limit is
// 0.8 × a day limit, and they start at a report over the night limit plus
// tolerance that would not be an overspeed by day (the simulated drivers
// keep under the posted limit).
func TestIntegrationScenarioNight(t *testing.T) {
	skipShort(t)
	b := bustest.StartEmbedded(t)
	res := runScenario(t, b, scenarioRun{category: registry.CategoryCoach, vehicles: 2, start: at(20, 22, 0),
		duration: 3*time.Hour + 45*time.Minute, speedup: 1800, seed: 5, mix: sim.Mix{sim.Night: 100}, tune: relaxed})
	dayLimits := map[float64]bool{}
	for _, s := range res.sent {
		dayLimits[math.Min(100, s.truth.LimitKmh)] = true
	}
	for v := int64(1); v <= 2; v++ {
		as := ofVehicle(res.alarms, v)
		night, rest := only(as, monitor.RuleFatigueNight)
		over, other := only(rest, monitor.RuleOverspeed)
		if len(other) > 0 {
			t.Errorf("vehicle %d: other alarms:%s", v, describeAlarms(other))
		}
		bl := drivingBlocks(res.live(v))
		if len(bl) == 0 || len(night) != 1 {
			t.Fatalf("vehicle %d: driving blocks %+v; night alarms:%s", v, bl, describeAlarms(night))
		}
		a, want := night[0], bl[0]
		wantEnd := want.end
		if wantEnd.IsZero() {
			wantEnd = want.last
		}
		endOK := (want.end.IsZero() && a.EndAt == nil) || (a.EndAt != nil && a.EndAt.Equal(want.end))
		if !a.StartAt.Equal(want.start.Add(2*time.Hour)) || !endOK || a.Limit != 7200 || a.Peak != want.last.Sub(want.start).Seconds() {
			t.Errorf("vehicle %d: fatigue_night%s, want %v-%v peak %v", v, describeAlarms(night),
				want.start.Add(2*time.Hour).In(civil.CST), want.end.In(civil.CST), want.last.Sub(want.start).Seconds())
		}
		for _, o := range over {
			day := math.Round(o.Limit/0.8*10) / 10
			startKmh := 0.0
			for _, s := range res.live(v) {
				if s.dev.Equal(o.StartAt) {
					startKmh = float64(s.loc.Speed) / 10
				}
			}
			if !dayLimits[day] || startKmh <= o.Limit*1.1 || startKmh > day*1.1 {
				t.Errorf("vehicle %d: overspeed%s is not a night overspeed (day limit %v)", v, describeAlarms([]monitor.Alarm{o}), day)
			}
		}
	}
}

// distToLine is the planar distance in metres from p to the polyline.
func distToLine(p roadnet.Point, line []roadnet.Point) float64 {
	kx := 111320 * math.Cos(p.Lat*math.Pi/180)
	const ky = 111320.0
	best := math.Inf(1)
	for i := 1; i < len(line); i++ {
		ax, ay := (line[i-1].Lon-p.Lon)*kx, (line[i-1].Lat-p.Lat)*ky
		bx, by := (line[i].Lon-p.Lon)*kx, (line[i].Lat-p.Lat)*ky
		dx, dy := bx-ax, by-ay
		u := 0.0
		if l2 := dx*dx + dy*dy; l2 > 0 {
			u = math.Max(0, math.Min(1, -(ax*dx+ay*dy)/l2))
		}
		best = math.Min(best, math.Hypot(ax+u*dx, ay+u*dy))
	}
	return best
}

func pointOf(s sent) roadnet.Point { return roadnet.FromMicro(int64(s.loc.Lat), int64(s.loc.Lon)) }

// checkEpisodes checks alarms of a geometric rule against the reports:
// outside(d) says whether a report at distance d violates the rule; slack
// absorbs the difference between the engine's and the test's geometry.
// Each alarm starts at a violating report that follows a compliant one,
// every report until its end violates, it ends at the first compliant
// report (or is ongoing at the last report) and its peak is value's
// maximum over the violating reports. Every excursion of at least
// minDur whose reports are all clearly outside is covered by an alarm.
func checkEpisodes(t *testing.T, live []sent, as []monitor.Alarm, dist func(sent) float64, limit, slack float64,
	minDur time.Duration, value func(sent) float64) {
	t.Helper()
	for _, a := range as {
		si := -1
		for i, s := range live {
			if s.dev.Equal(a.StartAt) {
				si = i
			}
		}
		if si <= 0 || dist(live[si]) <= limit-slack || dist(live[si-1]) > limit+slack {
			t.Errorf("alarm%s does not start at the first report outside", describeAlarms([]monitor.Alarm{a}))
			continue
		}
		peak, ended := 0.0, false
		for _, s := range live[si:] {
			if dist(s) <= limit-slack || (a.EndAt != nil && !s.dev.Before(*a.EndAt)) {
				ended = a.EndAt != nil && s.dev.Equal(*a.EndAt) && dist(s) <= limit+slack
				break
			}
			peak = math.Max(peak, value(s))
		}
		if (a.EndAt != nil && !ended) || math.Abs(peak-a.Peak) > 0.05*peak+1 {
			t.Errorf("alarm%s: ended at a report inside %v, peak of the reports %v", describeAlarms([]monitor.Alarm{a}), ended, peak)
		}
	}
	// Coverage of clear excursions.
	for i := 0; i < len(live); i++ {
		if dist(live[i]) <= limit+slack {
			continue
		}
		j := i
		for j+1 < len(live) && dist(live[j+1]) > limit+slack {
			j++
		}
		if live[j].dev.Sub(live[i].dev) >= minDur+time.Minute {
			covered := false
			for _, a := range as {
				covered = covered || (!a.StartAt.After(live[i].dev) && (a.EndAt == nil || a.EndAt.After(live[j].dev)))
			}
			if !covered {
				t.Errorf("excursion %v-%v raised no alarm", live[i].dev.In(civil.CST), live[j].dev.In(civil.CST))
			}
		}
		i = j
	}
}

// TestIntegrationScenarioOffRoute: a scheduled coach on its registered
// route (corridor 500 m wide) takes a detour well off the corridor on each
// trip. Each route_deviation alarm (subject: the route id, limit 250 m,
// peak in metres) starts at the first report more than 250 m from the
// centre line, ends at the first one back, and every excursion longer than
// the minimum duration raised one.
func TestIntegrationScenarioOffRoute(t *testing.T) {
	skipShort(t)
	b := bustest.StartEmbedded(t)
	res := runScenario(t, b, scenarioRun{category: registry.CategoryCoach, vehicles: 1, start: at(20, 10, 0), duration: 2 * time.Hour,
		speedup: 1200, seed: 5, mix: sim.Mix{sim.OffRoute: 100}, route: true, tune: relaxed})
	dev, other := only(res.alarms, monitor.RuleRouteDeviation)
	if len(other) > 0 {
		t.Errorf("other alarms:%s", describeAlarms(other))
	}
	if len(dev) == 0 {
		t.Fatal("no route deviation alarm")
	}
	for _, a := range dev {
		if a.Limit != 250 || a.Unit != "m" || a.Subject != "1" || a.Severity != monitor.SeverityMinor {
			t.Errorf("alarm%s unit %s severity %s, want limit 250 m on route 1, minor", describeAlarms([]monitor.Alarm{a}), a.Unit, a.Severity)
		}
	}
	d := func(s sent) float64 { return distToLine(pointOf(s), res.route.Corridor) }
	checkEpisodes(t, res.live(1), dev, d, 250, 5, time.Minute, func(s sent) float64 { return math.Round(d(s)) })
}

// TestIntegrationScenarioOffArea: charter buses whose approved area (the
// track's ApprovedArea, stored as the vehicle's charter_area geofence)
// they leave on every other trip. Each out_of_area alarm starts at the
// first report outside the circle, ends at the first one back inside,
// and its peak is the highest speed reported outside.
func TestIntegrationScenarioOffArea(t *testing.T) {
	skipShort(t)
	b := bustest.StartEmbedded(t)
	res := runScenario(t, b, scenarioRun{category: registry.CategoryCharter, vehicles: 2, start: at(20, 10, 0), duration: 2 * time.Hour,
		speedup: 1200, seed: 5, mix: sim.Mix{sim.OffArea: 100}, charterAreas: true, tune: relaxed})
	for i, tr := range res.tracks {
		v := tr.Vehicle().ID
		out, other := only(ofVehicle(res.alarms, v), monitor.RuleOutOfArea)
		if len(other) > 0 {
			t.Errorf("vehicle %d: other alarms:%s", v, describeAlarms(other))
		}
		if len(out) == 0 {
			t.Errorf("vehicle %d (track %d): no out-of-area alarm", v, i)
			continue
		}
		for _, a := range out {
			if a.Unit != "km/h" || a.Severity != monitor.SeverityMajor {
				t.Errorf("alarm%s unit %s severity %s", describeAlarms([]monitor.Alarm{a}), a.Unit, a.Severity)
			}
		}
		c, r, _ := tr.ApprovedArea()
		checkEpisodes(t, res.live(v), out, func(s sent) float64 { return roadnet.Distance(pointOf(s), c) }, r, 10, time.Minute,
			func(s sent) float64 { return float64(s.loc.Speed) / 10 })
	}
}

// TestIntegrationScenarioBlindArea: terminals losing the network for 3-8
// minutes and re-sending the recorded positions in 0x0704 blind-area
// batches. Re-sends are history: they raise no alarm (none at all in the
// run), yet every one reaches the platform and counts as a received,
// qualified report in the day's data-quality indicator (数据合格率).
func TestIntegrationScenarioBlindArea(t *testing.T) {
	skipShort(t)
	b := bustest.StartEmbedded(t)
	res := runScenario(t, b, scenarioRun{category: registry.CategoryCoach, vehicles: 2, start: at(20, 10, 0), duration: time.Hour,
		speedup: 1200, seed: 5, mix: sim.Mix{sim.BlindArea: 100}, tune: relaxed})
	if len(res.alarms) > 0 {
		t.Errorf("blind-area re-sends raised alarms:%s", describeAlarms(res.alarms))
	}
	blind := 0
	for _, s := range res.sent {
		if s.blind {
			blind++
		}
	}
	if blind == 0 {
		t.Fatal("no blind-area re-send in the run")
	}
	day := civil.Date{Year: 2026, Month: 11, Day: 20}
	sys := access.With(t.Context(), access.System)
	if _, err := res.mon.RollupIndicators(sys, day); err != nil {
		t.Fatal(err)
	}
	rows, err := res.mon.IndicatorRows(sys, monitor.IndicatorFilter{From: day, To: day, Level: monitor.LevelPlatform})
	if err != nil || len(rows) != 1 {
		t.Fatalf("indicators %+v: %v", rows, err)
	}
	if res.receivedBlind != blind {
		t.Errorf("gateway received %d blind-area re-sends, the terminals sent %d", res.receivedBlind, blind)
	}
	if r := rows[0]; r.Reports != int64(res.received) || r.Qualified != r.Reports {
		t.Errorf("reports %d qualified %d, want all %d received (%d of them re-sent) qualified", r.Reports, r.Qualified, res.received, blind)
	}
}

// driftEpisode is a run of reports rejected as drift (monitoring-rules.md
// §6: a jump of over 1 km implying over 160 km/h from the last accepted
// point, unless three reports agree on the new place).
type driftEpisode struct {
	start, end time.Time // end: the next accepted report (zero: none)
	peak       float64   // highest implied speed, km/h
}

func driftEpisodes(live []sent) []driftEpisode {
	var out []driftEpisode
	var last, pend roadnet.Point
	var lastAt time.Time
	pendN := 0
	open := false
	for i, s := range live {
		p := pointOf(s)
		if i > 0 {
			d := roadnet.Distance(last, p)
			implied := d / math.Max(s.dev.Sub(lastAt).Seconds(), 1) * 3.6
			if d > 1000 && implied > 160 {
				if pendN > 0 && roadnet.Distance(pend, p) < 1000 {
					pendN++
				} else {
					pend, pendN = p, 1
				}
				if pendN < 3 {
					if !open {
						out = append(out, driftEpisode{start: s.dev})
						open = true
					}
					out[len(out)-1].peak = math.Max(out[len(out)-1].peak, implied)
					continue
				}
			}
		}
		pendN = 0
		if open {
			out[len(out)-1].end = s.dev
			open = false
		}
		last, lastAt = p, s.dev
	}
	return out
}

// TestIntegrationScenarioDrift: terminals with GNSS drift (tens of metres,
// accepted as real) and now and then a single jump of 1-5 km. Each jump is
// one drift alarm: it starts at the jumping report, ends at the next
// accepted report, its limit is 160 km/h and its peak the speed the jump
// implies from the last accepted point.
//
// Posted road limits are off in this run: drift of tens of metres can put
// the reported point on a slower side road, where the platform cannot tell
// a drifted position from a real overspeed.
func TestIntegrationScenarioDrift(t *testing.T) {
	skipShort(t)
	b := bustest.StartEmbedded(t)
	res := runScenario(t, b, scenarioRun{category: registry.CategoryCoach, vehicles: 2, start: at(20, 10, 0), duration: time.Hour,
		speedup: 1200, seed: 5, mix: sim.Mix{sim.Drift: 100}, tune: func(p *monitor.Params) {
			relaxed(p)
			p.Overspeed.UseRoadLimit = false
		}})
	for v := int64(1); v <= 2; v++ {
		drift, other := only(ofVehicle(res.alarms, v), monitor.RuleDrift)
		if len(other) > 0 {
			t.Errorf("vehicle %d: other alarms:%s", v, describeAlarms(other))
		}
		want := driftEpisodes(res.live(v))
		if len(want) == 0 || len(drift) != len(want) {
			t.Errorf("vehicle %d: %d jumps in the reports; drift alarms:%s", v, len(want), describeAlarms(drift))
			continue
		}
		for i, a := range drift {
			w := want[i]
			endOK := (w.end.IsZero() && a.EndAt == nil) || (a.EndAt != nil && a.EndAt.Equal(w.end))
			if !a.StartAt.Equal(w.start) || !endOK || math.Abs(a.Peak-w.peak) > 1e-6 || a.Limit != 160 || a.Unit != "km/h" {
				t.Errorf("vehicle %d: drift alarm%s, want %v-%v peak %v", v, describeAlarms([]monitor.Alarm{a}),
					w.start.In(civil.CST), w.end.In(civil.CST), w.peak)
			}
		}
	}
}

// TestIntegrationScenarioInvalid: every tenth report is broken in turn:
// zero coordinates, latitude beyond 90°, longitude beyond 180°, a time
// that is not a date, a time two days ahead. Each bad-coordinate report is
// one invalid_position alarm from its device time to the next good
// report; the future time is one clock_skew alarm dated on the platform
// clock (receive time) with the skew as its peak, ending at the next
// report; the unparsable time is dated by the gateway on receipt and
// flagged, an invalid report (invalid_position) until the next good one.
// Times on the platform clock are compared with the receive time the
// platform gave each report.
func TestIntegrationScenarioInvalid(t *testing.T) {
	skipShort(t)
	b := bustest.StartEmbedded(t)
	res := runScenario(t, b, scenarioRun{category: registry.CategoryCoach, vehicles: 2, start: at(20, 10, 0), duration: time.Hour,
		speedup: 1200, seed: 5, mix: sim.Mix{sim.Invalid: 100}, tune: relaxed})
	near := func(x, y time.Time) bool { return x.Sub(y).Abs() < time.Second } // stored to the millisecond
	kinds := map[string]int{}
	for v := int64(1); v <= 2; v++ {
		inv, rest := only(ofVehicle(res.alarms, v), monitor.RuleInvalidPosition)
		skew, other := only(rest, monitor.RuleClockSkew)
		if len(other) > 0 {
			t.Errorf("vehicle %d: other alarms:%s", v, describeAlarms(other))
		}
		live := res.live(v)
		recv := make([]time.Time, len(live))
		undated := 0
		for i, s := range live {
			if !s.dev.IsZero() {
				recv[i] = res.receivedAt(s)
				continue
			}
			if undated >= len(res.undatedAt[v]) {
				t.Fatalf("vehicle %d: %d undated reports received, more sent", v, len(res.undatedAt[v]))
			}
			recv[i] = res.undatedAt[v][undated]
			undated++
		}
		var wantInv, wantSkew int
		for i, s := range live {
			last := i+1 == len(live) // the run ended before a good report followed: ongoing
			next, nextRecv := s, recv[i]
			if !last {
				next, nextRecv = live[i+1], recv[i+1]
			}
			ends := func(end *time.Time, at time.Time, near func(x, y time.Time) bool) bool {
				return (last && end == nil) || (!last && end != nil && near(*end, at))
			}
			switch {
			case s.loc.Lat == 0 && s.loc.Lon == 0, s.loc.Lat > 90_000_000, s.loc.Lon > 180_000_000:
				kinds["coordinates"]++
				wantInv++
				found := false
				for _, a := range inv {
					found = found || (a.StartAt.Equal(s.dev) && ends(a.EndAt, next.dev, time.Time.Equal) && a.Severity == monitor.SeverityInfo)
				}
				if !found {
					t.Errorf("vehicle %d: report at %v (%d, %d): no invalid_position alarm from it to %v:%s", v,
						s.dev.In(civil.CST), s.loc.Lat, s.loc.Lon, next.dev.In(civil.CST), describeAlarms(inv))
				}
			case !s.dev.IsZero() && s.dev.Sub(s.at) > 24*time.Hour:
				kinds["future"]++
				wantSkew++
				found := false
				for _, a := range skew {
					found = found || (near(a.StartAt, recv[i]) && ends(a.EndAt, nextRecv, near) &&
						a.Limit == 3600 && math.Abs(a.Peak-48*3600) < 60 && a.Unit == "s")
				}
				if !found {
					t.Errorf("vehicle %d: report sent at %v dated %v: no clock_skew alarm to %v:%s", v,
						recv[i].In(civil.CST), s.dev.In(civil.CST), nextRecv.In(civil.CST), describeAlarms(skew))
				}
			case s.dev.IsZero():
				// Undated: the gateway dates it on receipt and flags it; it
				// is an invalid report until the next good one.
				kinds["time"]++
				wantInv++
				// A report that took long to arrive can be dated after the
				// next report's own time: the episode then ends where it began.
				end := next.dev
				if end.Before(recv[i]) {
					end = recv[i]
				}
				found := false
				for _, a := range inv {
					found = found || (near(a.StartAt, recv[i]) && ends(a.EndAt, end, near) && a.Severity == monitor.SeverityInfo)
				}
				if !found {
					t.Errorf("vehicle %d: undated report received at %v: no invalid_position alarm from it to %v:%s", v,
						recv[i].In(civil.CST), end.In(civil.CST), describeAlarms(inv))
				}
			}
		}
		if len(inv) != wantInv || len(skew) != wantSkew {
			t.Errorf("vehicle %d: %d invalid_position and %d clock_skew alarms, want %d and %d:%s", v, len(inv), len(skew),
				wantInv, wantSkew, describeAlarms(append(inv, skew...)))
		}
	}
	if kinds["coordinates"] < 3 || kinds["future"] == 0 || kinds["time"] == 0 {
		t.Errorf("broken reports in the run %v, want every kind", kinds)
	}
}
