package sim

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"strconv"
	"strings"

	"github.com/jiaotong-platform/jiaotong/internal/protocol/jt808"
	"github.com/jiaotong-platform/jiaotong/internal/registry"
)

// Scenario is a misbehaviour a simulated vehicle or terminal exhibits, one
// for each case the monitoring rules must catch.
type Scenario uint16

// Scenarios. A vehicle may have several.
const (
	// Overspeed drives 20–35 % above the speed limit of every road.
	Overspeed Scenario = 1 << iota
	// Fatigue drives on with no rest of 20 minutes or more, past the
	// four-hour continuous driving limit (疲劳驾驶).
	Fatigue
	// Night keeps driving between 22:00 and 06:00, when passenger and
	// hazardous-goods vehicles normally rest (夜间行驶).
	Night
	// Coach0205 is a long-distance coach moving between 02:00 and 05:00
	// (凌晨2时至5时禁行).
	Coach0205
	// OffRoute takes a scheduled coach off its route corridor on every
	// trip (偏离路线).
	OffRoute
	// OffArea takes a charter bus out of its approved area (超出区域).
	OffArea
	// BlindArea loses the network every 20–40 minutes for 3–8 minutes and
	// re-sends the positions recorded meanwhile in 0x0704 type 1 batches
	// (盲区补报).
	BlindArea
	// Drift adds GNSS drift of tens of metres and occasional jumps of
	// kilometres (漂移).
	Drift
	// Invalid sends every tenth report with zero or out-of-range
	// coordinates or an impossible time.
	Invalid
	// SOS sets the emergency alarm bit for a few minutes, about hourly
	// (紧急报警).
	SOS
	// Offline stops reporting while moving, for 30–90 minutes (掉线).
	Offline

	scenarioEnd
)

var scenarioNames = []struct {
	s    Scenario
	name string
}{
	{Overspeed, "overspeed"}, {Fatigue, "fatigue"}, {Night, "night"}, {Coach0205, "coach0205"},
	{OffRoute, "offroute"}, {OffArea, "offarea"}, {BlindArea, "blindarea"}, {Drift, "drift"},
	{Invalid, "invalid"}, {SOS, "sos"}, {Offline, "offline"},
}

// ScenarioNames lists the names accepted by ParseMix, in order.
func ScenarioNames() []string {
	out := make([]string, len(scenarioNames))
	for i, n := range scenarioNames {
		out[i] = n.name
	}
	return out
}

// Has reports whether every scenario of x is in s.
func (s Scenario) Has(x Scenario) bool { return s&x == x }

func (s Scenario) String() string {
	var parts []string
	for _, n := range scenarioNames {
		if s.Has(n.s) {
			parts = append(parts, n.name)
		}
	}
	if len(parts) == 0 {
		return "normal"
	}
	return strings.Join(parts, "+")
}

// Mix is the share of vehicles, in percent, given each scenario.
type Mix map[Scenario]float64

// ParseMix reads "overspeed=5,fatigue=2,...". Names are those of
// ScenarioNames (dashes and underscores ignored); shares are 0–100.
func ParseMix(s string) (Mix, error) {
	m := Mix{}
	for part := range strings.SplitSeq(s, ",") {
		part = strings.TrimSpace(part)
		if part == "" {
			continue
		}
		name, val, ok := strings.Cut(part, "=")
		if !ok {
			return nil, fmt.Errorf("sim: scenario %q: want name=percent", part)
		}
		key := strings.NewReplacer("-", "", "_", "").Replace(strings.ToLower(strings.TrimSpace(name)))
		i := slices.IndexFunc(scenarioNames, func(n struct {
			s    Scenario
			name string
		}) bool {
			return n.name == key
		})
		if i < 0 {
			return nil, fmt.Errorf("sim: unknown scenario %q (known: %s)", name, strings.Join(ScenarioNames(), ", "))
		}
		pct, err := strconv.ParseFloat(strings.TrimSpace(strings.TrimSuffix(val, "%")), 64)
		if err != nil || pct < 0 || pct > 100 {
			return nil, fmt.Errorf("sim: scenario %s: share %q must be a percentage 0-100", name, val)
		}
		m[scenarioNames[i].s] = pct
	}
	return m, nil
}

// eligible says which vehicles can show a scenario: off-route needs a
// route, off-area a charter bus, the 02:00–05:00 case a coach.
func eligible(s Scenario, v *Vehicle) bool {
	switch s {
	case OffRoute:
		return v.Route != nil
	case OffArea:
		return v.Category == registry.CategoryCharter || v.Category == registry.CategoryTourism
	case Coach0205:
		return v.Category == registry.CategoryCoach
	}
	return true
}

// Assign gives each vehicle its scenarios: for each scenario, the share of
// the eligible vehicles (rounded, at least one when the share is positive
// and some vehicle is eligible) chosen by a permutation drawn from seed.
func (m Mix) Assign(seed int64, vs []Vehicle) []Scenario {
	out := make([]Scenario, len(vs))
	for _, n := range scenarioNames {
		pct := m[n.s]
		if pct <= 0 {
			continue
		}
		var idx []int
		for i := range vs {
			if eligible(n.s, &vs[i]) {
				idx = append(idx, i)
			}
		}
		if len(idx) == 0 {
			continue
		}
		rng := rand.New(rand.NewPCG(uint64(seed), uint64(n.s)))
		rng.Shuffle(len(idx), func(i, j int) { idx[i], idx[j] = idx[j], idx[i] })
		k := max(1, int(float64(len(idx))*pct/100+0.5))
		for _, i := range idx[:min(k, len(idx))] {
			out[i] |= n.s
		}
	}
	return out
}

// VersionMix is the share of terminals, in percent, speaking each edition.
type VersionMix struct{ V2011, V2013, V2019 float64 }

// DefaultVersions is the mix of a typical provincial fleet.
var DefaultVersions = VersionMix{V2011: 10, V2013: 60, V2019: 30}

// ParseVersionMix reads "2011=10,2013=60,2019=30".
func ParseVersionMix(s string) (VersionMix, error) {
	var vm VersionMix
	for part := range strings.SplitSeq(s, ",") {
		part = strings.TrimSpace(part)
		if part == "" {
			continue
		}
		name, val, ok := strings.Cut(part, "=")
		pct, err := strconv.ParseFloat(strings.TrimSpace(strings.TrimSuffix(val, "%")), 64)
		if !ok || err != nil || pct < 0 || pct > 100 {
			return vm, fmt.Errorf("sim: version mix %q: want 2011=P,2013=P,2019=P", part)
		}
		switch strings.TrimSpace(name) {
		case "2011":
			vm.V2011 = pct
		case "2013":
			vm.V2013 = pct
		case "2019":
			vm.V2019 = pct
		default:
			return vm, fmt.Errorf("sim: version mix: unknown edition %q", name)
		}
	}
	if vm.V2011+vm.V2013+vm.V2019 <= 0 {
		return vm, fmt.Errorf("sim: version mix %q gives no terminal a version", s)
	}
	return vm, nil
}

// pick chooses the edition of terminal i deterministically.
func (vm VersionMix) pick(seed int64, phone string) jt808.Version {
	total := vm.V2011 + vm.V2013 + vm.V2019
	if total <= 0 {
		return jt808.V2013
	}
	x := float64(mix64(uint64(seed)^hashString(phone))%1_000_000) / 1_000_000 * total
	switch {
	case x < vm.V2011:
		return jt808.V2011
	case x < vm.V2011+vm.V2013:
		return jt808.V2013
	}
	return jt808.V2019
}
