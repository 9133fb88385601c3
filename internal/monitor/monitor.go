// Package monitor is the real-time monitoring engine for key vehicles
// (重点营运车辆: 两客一危 and heavy trucks): it consumes the gateway's
// positions, keeps each vehicle's live state, evaluates the platform-side
// rules on every position, and runs the alarm lifecycle (raised, ongoing,
// ended; acknowledged and handled by the enterprise; reviewed and closed by
// the regulator).
//
// # Rules are data
//
// Thresholds live in rule sets (RuleSet) stored in SQL, one per region
// subtree (GB/T 2260 code, "" for national) and vehicle category ("" for
// every category). The national defaults of monitoring-rules.md are seeded
// by the first migration; a province edits its own sets through the API. A
// vehicle uses the most specific set: the longest region prefix first, then
// a category-specific set over a generic one.
//
// # Device time decides
//
// Every rule runs on the terminal's clock (Position.DeviceTime), never on
// the receive time, with these choices:
//
//   - A position older than or equal to the vehicle's last device time (out
//     of order) and every blind-area re-send (补传) is history: it is
//     counted for data quality but changes neither the live state nor any
//     rule, so a late burst of old points can neither start nor end an
//     overspeed, a fence or a fatigue span.
//   - A position whose device time is more than Quality.MaxClockSkew ahead of
//     its receive time raises a clock_skew quality alarm and is not used
//     live either (a clock in the future would otherwise block every later
//     point).
//   - Driving time that happened in a coverage gap is still counted: when two
//     live points are far apart in time, the gap counts as driving when the
//     displacement implies movement and as rest otherwise.
//   - Offline is the one rule on the platform clock (no report for
//     Offline.After while not parked); it is checked on a timer, and only once
//     the consumer has caught up with the stream, so replay after a restart
//     never sees the whole fleet as offline.
//
// # Idempotence
//
// An alarm's natural key is (vehicle, rule, subject, start device time). The
// engine is deterministic, so replaying positions after a restart produces
// the same keys; inserts ignore a key that exists, and lifecycle events are
// written to an outbox in the same transaction as the alarm change they
// describe, so replay raises no duplicate alarm and publishes no duplicate
// event.
package monitor

import (
	"context"
	"embed"
	"time"

	"github.com/jiaotong-platform/jiaotong/internal/gateway"
	"github.com/jiaotong-platform/jiaotong/internal/platform/civil"
	"github.com/jiaotong-platform/jiaotong/internal/platform/sqldb"
	"github.com/jiaotong-platform/jiaotong/internal/registry"
	"github.com/jiaotong-platform/jiaotong/internal/roadnet"
)

//go:embed migrations
var migrations embed.FS

// Module is the monitor's schema, migrated at start-up with the others.
func Module() sqldb.Module {
	return sqldb.NewModule("monitor", migrations)
}

// Rule names a platform-side rule; it is the alarm's type.
type Rule string

// The rules of the engine.
const (
	RuleOverspeed       Rule = "overspeed"        // 超速
	RuleFatigue         Rule = "fatigue"          // 疲劳驾驶 (continuous driving)
	RuleFatigueNight    Rule = "fatigue_night"    // 夜间连续驾驶超时
	RuleFatigue24h      Rule = "fatigue_24h"      // 24小时累计驾驶超时
	RuleFatigue7d       Rule = "fatigue_7d"       // 7日累计驾驶超时
	RuleEarlyMorning    Rule = "early_morning"    // 凌晨2-5时违规运行
	RuleRouteDeviation  Rule = "route_deviation"  // 偏离线路
	RuleOutOfArea       Rule = "out_of_area"      // 超出批准区域 (charter)
	RuleFenceEnter      Rule = "fence_enter"      // 进区域
	RuleFenceExit       Rule = "fence_exit"       // 出区域
	RuleFenceForbidden  Rule = "fence_forbidden"  // 禁入区域
	RuleFenceDwell      Rule = "fence_dwell"      // 区域内停留超时
	RuleOffline         Rule = "offline"          // 离线
	RuleDrift           Rule = "drift"            // 卫星定位漂移
	RuleInvalidPosition Rule = "invalid_position" // 无效定位数据
	RuleClockSkew       Rule = "clock_skew"       // 终端时间异常
	RuleSOS             Rule = "sos"              // 紧急报警
	RuleTerminalAlarm   Rule = "terminal_alarm"   // 终端报警

	// Hazardous goods e-waybill (电子运单) cross-checks, found by the waybill
	// module and reported through ReportExternal.
	RuleWaybillMissing        Rule = "waybill_missing"         // 无运单运输
	RuleWaybillRouteDeviation Rule = "waybill_route_deviation" // 偏离运单路线
	RuleWaybillForbiddenZone  Rule = "waybill_forbidden_zone"  // 进入危货禁行区
	RuleWaybillTimeWindow     Rule = "waybill_time_window"     // 超出运单时间窗
	RuleWaybillSensitiveStop  Rule = "waybill_sensitive_stop"  // 敏感区域停留超时
)

// Rules lists every rule, for validation and filters.
var Rules = []Rule{RuleOverspeed, RuleFatigue, RuleFatigueNight, RuleFatigue24h, RuleFatigue7d, RuleEarlyMorning,
	RuleRouteDeviation, RuleOutOfArea, RuleFenceEnter, RuleFenceExit, RuleFenceForbidden, RuleFenceDwell,
	RuleOffline, RuleDrift, RuleInvalidPosition, RuleClockSkew, RuleSOS, RuleTerminalAlarm,
	RuleWaybillMissing, RuleWaybillRouteDeviation, RuleWaybillForbiddenZone, RuleWaybillTimeWindow, RuleWaybillSensitiveStop}

// Label returns the rule's Chinese name.
func (r Rule) Label() string {
	switch r {
	case RuleOverspeed:
		return "超速"
	case RuleFatigue:
		return "疲劳驾驶"
	case RuleFatigueNight:
		return "夜间连续驾驶超时"
	case RuleFatigue24h:
		return "24小时累计驾驶超时"
	case RuleFatigue7d:
		return "7日累计驾驶超时"
	case RuleEarlyMorning:
		return "凌晨2-5时违规运行"
	case RuleRouteDeviation:
		return "偏离线路"
	case RuleOutOfArea:
		return "超出批准区域"
	case RuleFenceEnter:
		return "进区域"
	case RuleFenceExit:
		return "出区域"
	case RuleFenceForbidden:
		return "闯入禁行区域"
	case RuleFenceDwell:
		return "区域内停留超时"
	case RuleOffline:
		return "离线"
	case RuleDrift:
		return "卫星定位漂移"
	case RuleInvalidPosition:
		return "无效定位数据"
	case RuleClockSkew:
		return "终端时间异常"
	case RuleSOS:
		return "紧急报警"
	case RuleTerminalAlarm:
		return "终端报警"
	case RuleWaybillMissing:
		return "无运单运输"
	case RuleWaybillRouteDeviation:
		return "偏离运单路线"
	case RuleWaybillForbiddenZone:
		return "进入危货禁行区"
	case RuleWaybillTimeWindow:
		return "超出运单时间窗"
	case RuleWaybillSensitiveStop:
		return "敏感区域停留超时"
	}
	return string(r)
}

// Severity ranks alarms; it decides what the console pops up.
type Severity string

// Severities, from the most to the least urgent.
const (
	SeverityCritical Severity = "critical"
	SeverityMajor    Severity = "major"
	SeverityMinor    Severity = "minor"
	SeverityInfo     Severity = "info"
)

// AlarmState is where an alarm is in the handling loop (发现问题 → 整改处理 →
// 反馈结果). Whether the violation itself is still going on is Alarm.Ongoing.
type AlarmState string

// Alarm states.
const (
	StateRaised       AlarmState = "raised"       // 新报警
	StateAcknowledged AlarmState = "acknowledged" // 企业已确认
	StateHandled      AlarmState = "handled"      // 企业已处理
	StateClosed       AlarmState = "closed"       // 监管已审核关闭
)

// EvidencePoint is one position kept as evidence of an alarm.
type EvidencePoint struct {
	At      time.Time `json:"at" doc:"device time"`
	Lat     float64   `json:"lat"`
	Lon     float64   `json:"lon"`
	Speed   float64   `json:"speed_kmh"`
	Heading uint16    `json:"heading"`
}

// Alarm is one violation found by the platform (or reported by the
// terminal), with its handling record.
type Alarm struct {
	ID         int64    `json:"id"`
	VehicleID  int64    `json:"vehicle_id"`
	Plate      string   `json:"plate"`
	OperatorID int64    `json:"operator_id"`
	Region     string   `json:"region"`
	Category   string   `json:"category"`
	Rule       Rule     `json:"rule"`
	RuleLabel  string   `json:"rule_label"`
	Subject    string   `json:"subject,omitempty" doc:"what the rule is about beyond the vehicle: a geofence id, a terminal alarm bit"`
	Severity   Severity `json:"severity"`
	Message    string   `json:"message"`

	StartAt   time.Time  `json:"start_at" doc:"device time the violation started"`
	LastAt    time.Time  `json:"last_at" doc:"device time of the last position of the violation"`
	EndAt     *time.Time `json:"end_at,omitempty" doc:"device time the violation ended"`
	Ongoing   bool       `json:"ongoing"`
	DurationS int64      `json:"duration_s"`
	Lat       float64    `json:"lat"`
	Lon       float64    `json:"lon"`
	// Limit is the threshold in force (km/h for speeds, seconds for times,
	// metres for distances) and Peak the worst value seen, in Unit.
	Limit    float64         `json:"limit"`
	Peak     float64         `json:"peak"`
	Unit     string          `json:"unit"`
	Details  map[string]any  `json:"details,omitempty"`
	Evidence []EvidencePoint `json:"evidence"`

	State       AlarmState `json:"state"`
	AckAt       *time.Time `json:"acknowledged_at,omitempty"`
	AckBy       string     `json:"acknowledged_by,omitempty"`
	HandledAt   *time.Time `json:"handled_at,omitempty"`
	HandledBy   string     `json:"handled_by,omitempty"`
	Action      string     `json:"action,omitempty" doc:"action taken by the enterprise"`
	Notes       string     `json:"notes,omitempty"`
	TextSent    string     `json:"text_sent,omitempty" doc:"text sent to the driver (0x8300)"`
	ClosedAt    *time.Time `json:"closed_at,omitempty"`
	ClosedBy    string     `json:"closed_by,omitempty"`
	ReviewNotes string     `json:"review_notes,omitempty"`

	CreatedAt time.Time `json:"created_at"`
	UpdatedAt time.Time `json:"updated_at"`
}

// VehicleInfo is what the engine knows of a vehicle from the registry.
type VehicleInfo struct {
	ID         int64
	Plate      string
	Category   registry.VehicleCategory
	OperatorID int64
	Region     string
	// Route is the scheduled route the vehicle is assigned to, if any.
	Route *RouteInfo
}

// RouteInfo is the part of a registry route the rules use.
type RouteInfo struct {
	ID         int64
	Code       string
	DistanceKm float64
	WidthM     float64 // corridor width; the vehicle may be WidthM/2 off the centre line
	corridor   *shape  // nil when the route has no corridor geometry
}

// Registry is what the monitor needs of the registry; *registry.Service
// implements it. Calls are made with access.System in the context.
type Registry interface {
	Vehicle(ctx context.Context, id int64) (*registry.Vehicle, error)
	Routes(ctx context.Context, f registry.Filter) ([]registry.Route, int, error)
}

// Commands sends downlink commands to terminals; *gateway.Gateway
// implements it. The caller's principal is in the context, so the gateway
// applies its own permission check (PermTerminalCommand).
type Commands interface {
	Command(ctx context.Context, terminal string, req *gateway.CommandRequest) (*gateway.CommandResult, error)
}

// Config tunes the monitor. Zero fields take the defaults of DefaultConfig.
type Config struct {
	// PositionsStream and PositionsPrefix name the gateway's stream and
	// subject prefix; Partitions, when not empty, limits this node to those
	// partitions (all otherwise).
	PositionsStream string
	PositionsPrefix string
	Partitions      []int
	// EventsStream and EventsPrefix name the stream the monitor publishes
	// its events on (subjects <prefix>.alarm and <prefix>.vehicle).
	EventsStream string
	EventsPrefix string
	// ReplayFromStart makes a monitor without a snapshot start at the first
	// position still in the stream instead of the next new one.
	ReplayFromStart bool
	// SnapshotEvery is how often the live state is written to SQL with its
	// stream checkpoint.
	SnapshotEvery time.Duration
	// OfflineCheckEvery is the period of the offline timer.
	OfflineCheckEvery time.Duration
	// VehicleCacheTTL is how long registry data of a vehicle is reused.
	VehicleCacheTTL time.Duration
	// OutboxPoll is how often the outbox worker looks for due deliveries
	// when it was not woken up by a new event.
	OutboxPoll time.Duration
	// WebhookTimeout bounds one webhook delivery; WebhookMaxAttempts gives up.
	WebhookTimeout     time.Duration
	WebhookMaxAttempts int
	// Batch is the consumer's batch size.
	Batch int
	// Graph is the road network for road classes and posted limits; nil
	// loads the built-in Chengdu network unless NoRoadNetwork.
	Graph         *roadnet.Graph
	NoRoadNetwork bool
	// Location is the civil time zone of the rules (night, 02:00-05:00);
	// China Standard Time by default.
	Location *time.Location
	// Checks and Indicators tune platform checks and the assessment
	// indicators (checks.go, indicators.go).
	Checks     CheckConfig
	Indicators IndicatorConfig
}

// DefaultConfig returns the defaults.
func DefaultConfig() Config {
	return Config{
		PositionsStream:    "POSITIONS",
		PositionsPrefix:    "pos",
		EventsStream:       "EVENTS",
		EventsPrefix:       "evt",
		SnapshotEvery:      30 * time.Second,
		OfflineCheckEvery:  30 * time.Second,
		VehicleCacheTTL:    5 * time.Minute,
		OutboxPoll:         2 * time.Second,
		WebhookTimeout:     10 * time.Second,
		WebhookMaxAttempts: 8,
		Batch:              200,
	}
}

func (c Config) withDefaults() Config {
	d := DefaultConfig()
	if c.PositionsStream == "" {
		c.PositionsStream = d.PositionsStream
	}
	if c.PositionsPrefix == "" {
		c.PositionsPrefix = d.PositionsPrefix
	}
	if c.EventsStream == "" {
		c.EventsStream = d.EventsStream
	}
	if c.EventsPrefix == "" {
		c.EventsPrefix = d.EventsPrefix
	}
	setD := func(v *time.Duration, def time.Duration) {
		if *v <= 0 {
			*v = def
		}
	}
	setD(&c.SnapshotEvery, d.SnapshotEvery)
	setD(&c.OfflineCheckEvery, d.OfflineCheckEvery)
	setD(&c.VehicleCacheTTL, d.VehicleCacheTTL)
	setD(&c.OutboxPoll, d.OutboxPoll)
	setD(&c.WebhookTimeout, d.WebhookTimeout)
	if c.WebhookMaxAttempts <= 0 {
		c.WebhookMaxAttempts = d.WebhookMaxAttempts
	}
	if c.Batch <= 0 {
		c.Batch = d.Batch
	}
	if c.Location == nil {
		c.Location = civil.CST
	}
	return c
}
