package monitor

import (
	"fmt"
	"strings"
	"time"

	"github.com/jiaotong-platform/jiaotong/internal/platform/access"
	"github.com/jiaotong-platform/jiaotong/internal/platform/apperr"
	"github.com/jiaotong-platform/jiaotong/internal/platform/region"
	"github.com/jiaotong-platform/jiaotong/internal/registry"
	"github.com/jiaotong-platform/jiaotong/internal/roadnet"
)

// RuleSet is the rule configuration of one region subtree and vehicle
// category. A vehicle uses the most specific set (see the package doc).
type RuleSet struct {
	ID        int64     `json:"id" readOnly:"true"`
	Region    string    `json:"region" doc:"GB/T 2260 code of the region subtree; empty for the national set"`
	Category  string    `json:"category" doc:"vehicle category (registry); empty for every category"`
	Params    Params    `json:"params"`
	Version   int64     `json:"version" readOnly:"true"`
	UpdatedAt time.Time `json:"updated_at" readOnly:"true"`
	UpdatedBy string    `json:"updated_by,omitempty" readOnly:"true"`
}

// Params are the thresholds of every rule. Durations are whole seconds,
// speeds km/h, distances metres, clock times "HH:MM" local time.
type Params struct {
	Overspeed    OverspeedParams    `json:"overspeed"`
	Fatigue      FatigueParams      `json:"fatigue"`
	Night        NightWindow        `json:"night" doc:"the night window of the night speed factor and the night continuous driving limit"`
	EarlyMorning EarlyMorningParams `json:"early_morning"`
	Route        RouteParams        `json:"route_deviation"`
	Area         AreaParams         `json:"out_of_area"`
	Offline      OfflineParams      `json:"offline"`
	Quality      QualityParams      `json:"quality"`
	Terminal     TerminalParams     `json:"terminal_alarms"`
}

// OverspeedParams: the applicable limit of a position is the minimum of the
// category limit for the road class, the posted limit of the road (map)
// when UseRoadLimit, and any geofence speed limit; at night it is multiplied
// by NightFactor. An overspeed starts when the speed exceeds the limit by
// more than TolerancePct and becomes an alarm once it lasted MinDurationS.
type OverspeedParams struct {
	Enabled      bool               `json:"enabled"`
	Limits       map[string]float64 `json:"limits" doc:"category limit by road class (motorway, trunk, primary, ... as OSM highway tags) and 'default' for other roads and for positions off the loaded network"`
	UseRoadLimit bool               `json:"use_road_limit" doc:"also apply the posted limit of the road from the map"`
	NightFactor  float64            `json:"night_factor" minimum:"0.1" maximum:"1" doc:"night limit = day limit × factor (0.8 for buses)"`
	TolerancePct float64            `json:"tolerance_pct" minimum:"0" maximum:"50"`
	MinDurationS int                `json:"min_duration_s" minimum:"0" maximum:"3600"`
}

// FatigueParams: a continuous-driving block ends only at a rest of at least
// MinRestS (speed below MovingKmh); shorter stops count as driving.
type FatigueParams struct {
	Enabled          bool    `json:"enabled"`
	MovingKmh        float64 `json:"moving_kmh" minimum:"0" maximum:"30" doc:"speeds at or above this count as driving"`
	ContinuousS      int     `json:"continuous_s" minimum:"0" doc:"continuous driving limit (0: none)"`
	NightContinuousS int     `json:"night_continuous_s" minimum:"0" doc:"continuous driving limit inside the night window (0: none)"`
	MinRestS         int     `json:"min_rest_s" minimum:"60"`
	Cumulative24hS   int     `json:"cumulative_24h_s" minimum:"0" doc:"driving limit in any 24 hours (0: none)"`
	Cumulative7dS    int     `json:"cumulative_7d_s" minimum:"0" doc:"driving limit in any 7 days (0: none)"`
	GapAsDrivingKmh  float64 `json:"gap_as_driving_kmh" minimum:"0" doc:"a reporting gap longer than the rest counts as driving when the displacement implies at least this average speed"`
	MaxReportingGapS int     `json:"max_reporting_gap_s" minimum:"1" doc:"gaps up to this long between two driving positions count as driving"`
}

// NightWindow is a daily window, possibly over midnight.
type NightWindow struct {
	Start string `json:"start" pattern:"^([01][0-9]|2[0-3]):[0-5][0-9]$"`
	End   string `json:"end" pattern:"^([01][0-9]|2[0-3]):[0-5][0-9]$"`
}

// EarlyMorningParams is the 02:00-05:00 rule for long-distance buses and its
// exemptions (airport/HSR shuttles, trips up to ExemptMaxDistanceKm).
type EarlyMorningParams struct {
	Enabled             bool        `json:"enabled"`
	Window              NightWindow `json:"window"`
	ExemptMaxDistanceKm float64     `json:"exempt_max_distance_km" minimum:"0" doc:"routes this short or shorter are exempt"`
	ExemptRouteCodes    []string    `json:"exempt_route_codes,omitempty" doc:"route codes exempt (airport and high-speed-rail shuttles)"`
	ExemptVehicleIDs    []int64     `json:"exempt_vehicle_ids,omitempty" doc:"vehicles exempt, e.g. with a recorded relay driver change (接驳)"`
	MinDurationS        int         `json:"min_duration_s" minimum:"0"`
}

// RouteParams is route deviation for scheduled buses (corridor of the
// registry route; width from the route, DefaultWidthM when it has none).
type RouteParams struct {
	Enabled       bool    `json:"enabled"`
	DefaultWidthM float64 `json:"default_width_m" minimum:"10"`
	MinDurationS  int     `json:"min_duration_s" minimum:"0"`
}

// AreaParams is out-of-area for charter buses (approved areas are
// geofences of purpose charter_area assigned to the vehicle).
type AreaParams struct {
	Enabled      bool `json:"enabled"`
	MinDurationS int  `json:"min_duration_s" minimum:"0"`
}

// OfflineParams: no report for AfterS while not parked.
type OfflineParams struct {
	Enabled bool `json:"enabled"`
	AfterS  int  `json:"after_s" minimum:"60"`
}

// QualityParams are the data-quality defaults of monitoring-rules.md §6
// (engineering defaults, not regulation).
type QualityParams struct {
	Enabled          bool    `json:"enabled"`
	MaxSpeedKmh      float64 `json:"max_speed_kmh" minimum:"1" doc:"a jump implying a higher speed from the last accepted point is drift"`
	MinDriftM        float64 `json:"min_drift_m" minimum:"0" doc:"jumps shorter than this are never drift"`
	ConfirmPoints    int     `json:"confirm_points" minimum:"1" doc:"consecutive points agreeing on a new place that make it accepted"`
	MaxClockSkewS    int     `json:"max_clock_skew_s" minimum:"1" doc:"device time further ahead of the receive time (or behind, for live points) is a clock error"`
	RequireFix       bool    `json:"require_fix" doc:"a report without the 'fixed' status bit is invalid"`
	MaxValidSpeedKmh float64 `json:"max_valid_speed_kmh" minimum:"1"`
}

// TerminalParams: terminal alarm bits. Emergency (bit 0) is a critical SOS
// alarm; the others are raised as info events unless ignored.
type TerminalParams struct {
	Enabled    bool  `json:"enabled"`
	IgnoreBits []int `json:"ignore_bits,omitempty" doc:"alarm bits not raised (e.g. 1 and 2, which the platform judges itself)"`
}

// DefaultParams returns the national defaults for a vehicle category (see
// monitoring-rules.md; NOT FOUND values are the engineering choices
// documented there and in docs/monitoring-indicators.md).
func DefaultParams(category string) Params {
	p := Params{
		Overspeed: OverspeedParams{Enabled: true, UseRoadLimit: true, NightFactor: 1, TolerancePct: 10, MinDurationS: 10,
			Limits: map[string]float64{"motorway": 100, "motorway_link": 100, "default": 100}},
		Fatigue: FatigueParams{Enabled: true, MovingKmh: 5, ContinuousS: 4 * 3600, MinRestS: 20 * 60,
			GapAsDrivingKmh: 10, MaxReportingGapS: 300},
		Night:        NightWindow{Start: "22:00", End: "06:00"},
		EarlyMorning: EarlyMorningParams{Window: NightWindow{Start: "02:00", End: "05:00"}, ExemptMaxDistanceKm: 100, MinDurationS: 60},
		Route:        RouteParams{DefaultWidthM: 500, MinDurationS: 60},
		Area:         AreaParams{MinDurationS: 60},
		Offline:      OfflineParams{Enabled: true, AfterS: 600},
		Quality: QualityParams{Enabled: true, MaxSpeedKmh: 160, MinDriftM: 1000, ConfirmPoints: 3, MaxClockSkewS: 600,
			RequireFix: true, MaxValidSpeedKmh: 160},
		Terminal: TerminalParams{Enabled: true},
	}
	switch registry.VehicleCategory(category) {
	case registry.CategoryCoach, registry.CategoryCharter, registry.CategoryTourism:
		// Bus drivers: 4 h day / 2 h night continuous, 8 h in 24 h, 44 h in 7 days;
		// night speed 80 %; the 02:00-05:00 rule; route or area compliance.
		p.Overspeed.NightFactor = 0.8
		p.Fatigue.NightContinuousS = 2 * 3600
		p.Fatigue.Cumulative24hS = 8 * 3600
		p.Fatigue.Cumulative7dS = 44 * 3600
		p.EarlyMorning.Enabled = true
		p.Route.Enabled = registry.VehicleCategory(category) == registry.CategoryCoach
		p.Area.Enabled = registry.VehicleCategory(category) != registry.CategoryCoach
	case registry.CategoryBus:
		p.Overspeed.NightFactor = 0.8
		p.Fatigue.NightContinuousS = 2 * 3600
		p.Fatigue.Cumulative24hS = 8 * 3600
		p.Route.Enabled = true
	case registry.CategoryHazmat:
		// 危险货物道路运输安全管理办法 Art. 46: 80 km/h on expressways, 60 elsewhere.
		p.Overspeed.Limits = map[string]float64{"motorway": 80, "motorway_link": 80, "default": 60}
	case registry.CategoryTaxi:
		p.Overspeed.Limits = map[string]float64{"motorway": 120, "motorway_link": 120, "default": 120}
	}
	return p
}

// DefaultCategories are the categories seeded with their own national set.
var DefaultCategories = []string{"", "coach", "charter", "tourism", "bus", "hazmat", "heavy_truck", "tractor", "truck", "taxi"}

// Validate checks a rule set; field names follow the JSON body.
func (rs *RuleSet) Validate() error {
	var inv apperr.Invalid
	if rs.Region != "" && !region.Valid(rs.Region) {
		inv.Add("region", "unknown GB/T 2260 region code", rs.Region)
	}
	if rs.Category != "" && !validCategory(rs.Category) {
		inv.Add("category", "unknown vehicle category", rs.Category)
	}
	p := &rs.Params
	for k, v := range p.Overspeed.Limits {
		if _, ok := roadnet.ParseClass(k); !ok && k != "default" {
			inv.Add("params.overspeed.limits."+k, "unknown road class (use OSM highway tags or 'default')", k)
		}
		if v <= 0 || v > 200 {
			inv.Add("params.overspeed.limits."+k, "must be between 1 and 200 km/h", v)
		}
	}
	if p.Overspeed.Enabled && p.Overspeed.Limits["default"] <= 0 {
		inv.Add("params.overspeed.limits.default", "is required", nil)
	}
	if p.Overspeed.NightFactor <= 0 || p.Overspeed.NightFactor > 1 {
		inv.Add("params.overspeed.night_factor", "must be in (0, 1]", p.Overspeed.NightFactor)
	}
	if p.Fatigue.MinRestS < 60 {
		inv.Add("params.fatigue.min_rest_s", "must be at least 60", p.Fatigue.MinRestS)
	}
	if p.Fatigue.MaxReportingGapS <= 0 {
		inv.Add("params.fatigue.max_reporting_gap_s", "must be positive", p.Fatigue.MaxReportingGapS)
	}
	checkWindow := func(field string, w NightWindow) {
		if _, err := parseClock(w.Start); err != nil {
			inv.Add(field+".start", err.Error(), w.Start)
		}
		if _, err := parseClock(w.End); err != nil {
			inv.Add(field+".end", err.Error(), w.End)
		}
	}
	checkWindow("params.night", p.Night)
	checkWindow("params.early_morning.window", p.EarlyMorning.Window)
	if p.Route.DefaultWidthM < 10 {
		inv.Add("params.route_deviation.default_width_m", "must be at least 10", p.Route.DefaultWidthM)
	}
	if p.Offline.AfterS < 60 {
		inv.Add("params.offline.after_s", "must be at least 60", p.Offline.AfterS)
	}
	if p.Quality.MaxSpeedKmh <= 0 || p.Quality.MaxValidSpeedKmh <= 0 {
		inv.Add("params.quality.max_speed_kmh", "must be positive", p.Quality.MaxSpeedKmh)
	}
	if p.Quality.ConfirmPoints < 1 {
		inv.Add("params.quality.confirm_points", "must be at least 1", p.Quality.ConfirmPoints)
	}
	if p.Quality.MaxClockSkewS < 1 {
		inv.Add("params.quality.max_clock_skew_s", "must be at least 1", p.Quality.MaxClockSkewS)
	}
	for i, b := range p.Terminal.IgnoreBits {
		if b < 0 || b > 31 {
			inv.Add(fmt.Sprintf("params.terminal_alarms.ignore_bits[%d]", i), "must be 0-31", b)
		}
	}
	return inv.Err()
}

func validCategory(c string) bool {
	switch registry.VehicleCategory(c) {
	case registry.CategoryCoach, registry.CategoryCharter, registry.CategoryTourism, registry.CategoryHazmat,
		registry.CategoryHeavyTruck, registry.CategoryTractor, registry.CategoryTruck, registry.CategoryTaxi, registry.CategoryBus:
		return true
	}
	return false
}

// parseClock parses "HH:MM" into minutes after midnight.
func parseClock(s string) (int, error) {
	var h, m int
	if len(s) != 5 || s[2] != ':' {
		return 0, fmt.Errorf("must be HH:MM")
	}
	if _, err := fmt.Sscanf(s, "%02d:%02d", &h, &m); err != nil || h > 23 || m > 59 {
		return 0, fmt.Errorf("must be HH:MM")
	}
	return h*60 + m, nil
}

// compiled are Params turned into the engine's units, built once per rule
// set so evaluating a position does no parsing.
type compiled struct {
	p                  *Params
	limits             [roadnet.ClassService + 1]float64 // km/h by road class; [0] is the default
	nightFrom, nightTo int                               // minutes after midnight
	earlyFrom, earlyTo int
	ignoreBits         uint32
	exemptRoutes       map[string]bool
	exemptVehicles     map[int64]bool
}

func compile(p Params) *compiled {
	c := &compiled{p: &p, exemptRoutes: map[string]bool{}, exemptVehicles: map[int64]bool{}}
	def := p.Overspeed.Limits["default"]
	if def <= 0 {
		def = 100
	}
	c.limits[0] = def
	for cl := roadnet.ClassMotorway; cl <= roadnet.ClassService; cl++ {
		c.limits[cl] = def
		if v, ok := p.Overspeed.Limits[cl.String()]; ok && v > 0 {
			c.limits[cl] = v
		}
	}
	c.nightFrom, _ = parseClock(p.Night.Start)
	c.nightTo, _ = parseClock(p.Night.End)
	c.earlyFrom, _ = parseClock(p.EarlyMorning.Window.Start)
	c.earlyTo, _ = parseClock(p.EarlyMorning.Window.End)
	for _, b := range p.Terminal.IgnoreBits {
		if b >= 0 && b < 32 {
			c.ignoreBits |= 1 << b
		}
	}
	for _, r := range p.EarlyMorning.ExemptRouteCodes {
		c.exemptRoutes[strings.TrimSpace(r)] = true
	}
	for _, v := range p.EarlyMorning.ExemptVehicleIDs {
		c.exemptVehicles[v] = true
	}
	return c
}

// inWindow reports whether minute-of-day m lies in [from, to), a window that
// may wrap over midnight.
func inWindow(m, from, to int) bool {
	if from == to {
		return false
	}
	if from < to {
		return m >= from && m < to
	}
	return m >= from || m < to
}

// ruleBook resolves the rule set of a vehicle from all sets.
type ruleBook struct {
	sets []RuleSet
	comp []*compiled
}

func newRuleBook(sets []RuleSet) *ruleBook {
	b := &ruleBook{sets: sets}
	for i := range sets {
		b.comp = append(b.comp, compile(sets[i].Params))
	}
	return b
}

// resolve returns the most specific set for a region and category: the
// longest matching region prefix wins, then a category-specific set.
func (b *ruleBook) resolve(regionCode, category string) *compiled {
	best, bestScore := -1, -1
	for i, s := range b.sets {
		pfx := access.RegionPrefix(s.Region)
		if !strings.HasPrefix(regionCode, pfx) {
			continue
		}
		if s.Category != "" && s.Category != category {
			continue
		}
		score := len(pfx) * 2
		if s.Category != "" {
			score++
		}
		if score > bestScore {
			best, bestScore = i, score
		}
	}
	if best < 0 {
		return defaultCompiled(category)
	}
	return b.comp[best]
}

var defaultsByCategory = func() map[string]*compiled {
	m := map[string]*compiled{}
	for _, c := range DefaultCategories {
		m[c] = compile(DefaultParams(c))
	}
	return m
}()

func defaultCompiled(category string) *compiled {
	if c, ok := defaultsByCategory[category]; ok {
		return c
	}
	return defaultsByCategory[""]
}
