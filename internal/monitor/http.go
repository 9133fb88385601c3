package monitor

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/danielgtaylor/huma/v2"

	"github.com/jiaotong-platform/jiaotong/internal/gateway"
	"github.com/jiaotong-platform/jiaotong/internal/platform/access"
	"github.com/jiaotong-platform/jiaotong/internal/platform/apperr"
	"github.com/jiaotong-platform/jiaotong/internal/platform/audit"
	"github.com/jiaotong-platform/jiaotong/internal/platform/civil"
	"github.com/jiaotong-platform/jiaotong/internal/platform/httpapi"
	"github.com/jiaotong-platform/jiaotong/internal/platform/sheet"
	"github.com/jiaotong-platform/jiaotong/internal/platform/sqldb"
	"github.com/jiaotong-platform/jiaotong/internal/roadnet"
)

// --- alarms: queries ---

// Alarms lists the alarms in the caller's scope matching f.
func (s *Service) Alarms(ctx context.Context, f AlarmFilter) ([]Alarm, int, error) {
	p, err := access.Require(ctx, access.PermMonitorRead)
	if err != nil {
		return nil, 0, err
	}
	var out []Alarm
	total, err := listAlarms(ctx, s.db, p.Scope, f, func(a *Alarm) error { out = append(out, *a); return nil })
	return out, total, err
}

// Alarm returns one alarm in the caller's scope (outside it: not found).
func (s *Service) Alarm(ctx context.Context, id int64) (*Alarm, error) {
	p, err := access.Require(ctx, access.PermMonitorRead)
	if err != nil {
		return nil, err
	}
	a, err := getAlarm(ctx, s.db.Read(), id)
	if err != nil {
		return nil, err
	}
	if !p.Scope.Allows(a.Region, a.OperatorID) {
		return nil, apperr.NotFound("alarm", id)
	}
	return a, nil
}

// --- alarms: lifecycle ---

// HandleRequest is the enterprise's handling of an alarm.
type HandleRequest struct {
	Action string `json:"action" minLength:"1" maxLength:"200" doc:"action taken, e.g. 已电话提醒驾驶员"`
	Notes  string `json:"notes,omitempty" maxLength:"2000"`
	Text   string `json:"text,omitempty" maxLength:"500" doc:"text sent to the driver's terminal (0x8300), e.g. 请立即停车休息"`
	TTS    bool   `json:"tts,omitempty" doc:"read the text out on the terminal"`
}

// Acknowledge records that the enterprise has seen the alarm.
func (s *Service) Acknowledge(ctx context.Context, id int64, notes string) (*Alarm, error) {
	p, err := access.Require(ctx, access.PermAlarmHandle)
	if err != nil {
		return nil, err
	}
	return s.transition(ctx, p, id, EventAlarmAcknowledged, func(a *Alarm, now int64) (string, []any, error) {
		if a.State != StateRaised {
			return "", nil, apperr.Conflict(fmt.Sprintf("alarm is %s, only a raised alarm can be acknowledged", a.State))
		}
		return `state = 'acknowledged', ack_at = $1, ack_by = $2, notes = $3`, []any{now, p.Username, notes}, nil
	})
}

// Handle records the enterprise's action, sending a text to the driver
// first when the request carries one (a failed send handles nothing).
func (s *Service) Handle(ctx context.Context, id int64, req HandleRequest) (*Alarm, error) {
	p, err := access.Require(ctx, access.PermAlarmHandle)
	if err != nil {
		return nil, err
	}
	a, err := s.Alarm(ctx, id)
	if err != nil {
		return nil, err
	}
	if a.State != StateRaised && a.State != StateAcknowledged {
		return nil, apperr.Conflict(fmt.Sprintf("alarm is %s, only a raised or acknowledged alarm can be handled", a.State))
	}
	if req.Text != "" {
		if s.cmds == nil {
			return nil, errNoCommands
		}
		res, err := s.cmds.Command(ctx, "v"+strconv.FormatInt(a.VehicleID, 10), &gateway.CommandRequest{Kind: "text",
			Text: &gateway.TextCommand{Text: req.Text, Display: true, TTS: req.TTS}})
		if err != nil {
			return nil, fmt.Errorf("monitor: send text to vehicle %d: %w", a.VehicleID, err)
		}
		if res.Result != 0 {
			return nil, apperr.Conflict(fmt.Sprintf("the terminal refused the text (%s)", res.ResultLabel))
		}
	}
	return s.transition(ctx, p, id, EventAlarmHandled, func(a *Alarm, now int64) (string, []any, error) {
		if a.State != StateRaised && a.State != StateAcknowledged {
			return "", nil, apperr.Conflict(fmt.Sprintf("alarm is %s, only a raised or acknowledged alarm can be handled", a.State))
		}
		return `state = 'handled', ack_at = COALESCE(ack_at, $1), ack_by = CASE WHEN ack_by = '' THEN $2 ELSE ack_by END,
			handled_at = $1, handled_by = $2, action = $3, notes = $4, text_sent = $5`,
			[]any{now, p.Username, req.Action, req.Notes, req.Text}, nil
	})
}

// Close is the regulator's review: the alarm is closed with notes.
func (s *Service) Close(ctx context.Context, id int64, notes string) (*Alarm, error) {
	p, err := access.Require(ctx, access.PermAlarmReview)
	if err != nil {
		return nil, err
	}
	return s.transition(ctx, p, id, EventAlarmClosed, func(a *Alarm, now int64) (string, []any, error) {
		if a.State == StateClosed {
			return "", nil, apperr.Conflict("alarm is already closed")
		}
		return `state = 'closed', closed_at = $1, closed_by = $2, review_notes = $3`, []any{now, p.Username, notes}, nil
	})
}

// transition applies one lifecycle step in a transaction with its audit
// entry and its event.
func (s *Service) transition(ctx context.Context, p *access.Principal, id int64, event string,
	step func(a *Alarm, now int64) (string, []any, error)) (*Alarm, error) {
	var out *Alarm
	err := s.db.InTx(ctx, func(tx *sqldb.Tx) error {
		a, err := getAlarm(ctx, tx, id)
		if err != nil {
			return err
		}
		if !p.Scope.Allows(a.Region, a.OperatorID) {
			return apperr.NotFound("alarm", id)
		}
		now := s.now().UnixMilli()
		set, args, err := step(a, now)
		if err != nil {
			return err
		}
		n := len(args)
		args = append(args, now, id)
		if _, err := tx.ExecContext(ctx, fmt.Sprintf(`UPDATE monitor_alarms SET %s, updated_at = $%d WHERE id = $%d`, set, n+1, n+2), args...); err != nil {
			return fmt.Errorf("monitor: %s: %w", event, err)
		}
		if out, err = getAlarm(ctx, tx, id); err != nil {
			return err
		}
		if err := audit.Record(ctx, tx, audit.Change{Action: strings.TrimPrefix(event, "alarm."), Entity: "alarm", EntityID: id,
			Region: a.Region, OperatorID: a.OperatorID, Summary: out.Message, Before: a, After: out}); err != nil {
			return err
		}
		return s.enqueue(ctx, tx, alarmEvent(event, out, time.UnixMilli(now)))
	})
	if err != nil {
		return nil, err
	}
	s.notify()
	return out, nil
}

// --- live state ---

// LiveState is a vehicle's live state as the API returns it.
type LiveState struct {
	VehicleID    int64      `json:"vehicle_id"`
	Plate        string     `json:"plate"`
	Category     string     `json:"category"`
	OperatorID   int64      `json:"operator_id"`
	Region       string     `json:"region"`
	Online       bool       `json:"online"`
	Moving       bool       `json:"moving"`
	At           *time.Time `json:"at,omitempty" doc:"device time of the last valid position"`
	ReceivedAt   *time.Time `json:"received_at,omitempty"`
	Lat          float64    `json:"lat"`
	Lon          float64    `json:"lon"`
	SpeedKmh     float64    `json:"speed_kmh"`
	Heading      uint16     `json:"heading"`
	RoadClass    string     `json:"road_class,omitempty"`
	RoadLimitKmh float64    `json:"road_limit_kmh,omitempty"`
	DrivingSince *time.Time `json:"driving_since,omitempty" doc:"start of the current continuous-driving block"`
	ContinuousS  int64      `json:"continuous_driving_s"`
	StoppedSince *time.Time `json:"stopped_since,omitempty"`
	Day          string     `json:"day,omitempty"`
	DayDrivingS  int64      `json:"day_driving_s" doc:"driving time on Day (local date)"`
	Driving24hS  int64      `json:"driving_24h_s"`
	Fences       []int64    `json:"fences" nullable:"false" doc:"geofences the vehicle is inside"`
	OpenAlarms   []string   `json:"open_alarms" nullable:"false" doc:"rules with a raised, ongoing alarm"`
}

func msTime(ms int64) *time.Time {
	if ms == 0 {
		return nil
	}
	t := time.UnixMilli(ms).UTC()
	return &t
}

func (st *vstate) view(now int64) LiveState {
	v := LiveState{VehicleID: st.ID, Plate: st.Plate, Category: st.Category, OperatorID: st.OperatorID, Region: st.Region,
		Online: st.Online, Moving: st.Moving, At: msTime(st.LastDev), ReceivedAt: msTime(st.LastRecv),
		Lat: microDeg(st.Lat), Lon: microDeg(st.Lon), SpeedKmh: float64(st.Speed) / 10, Heading: st.Heading,
		RoadLimitKmh: st.RoadLimit, DrivingSince: msTime(st.DriveStart), StoppedSince: msTime(st.StopStart),
		Day: st.Day, DayDrivingS: st.DayDriveS, Driving24hS: st.drivenLast(24, st.LastDev), Fences: []int64{}, OpenAlarms: []string{}}
	if st.RoadClass != 0 {
		v.RoadClass = roadnet.Class(st.RoadClass).String()
	}
	if st.DriveStart != 0 {
		v.ContinuousS = (st.LastMove - st.DriveStart) / 1000
	}
	for id := range st.Inside {
		v.Fences = append(v.Fences, id)
	}
	slices.Sort(v.Fences)
	for _, a := range st.Open {
		if a.Raised {
			v.OpenAlarms = append(v.OpenAlarms, string(a.Rule))
		}
	}
	slices.Sort(v.OpenAlarms)
	return v
}

// VehicleState returns a vehicle's live state (not found outside the
// caller's scope or when the monitor has never seen the vehicle).
func (s *Service) VehicleState(ctx context.Context, id int64) (*LiveState, error) {
	p, err := access.Require(ctx, access.PermMonitorRead)
	if err != nil {
		return nil, err
	}
	s.eng.mu.RLock()
	defer s.eng.mu.RUnlock()
	st := s.eng.vehicles[id]
	if st == nil || !p.Scope.Allows(st.Region, st.OperatorID) {
		return nil, apperr.NotFound("vehicle state", id)
	}
	v := st.view(s.now().UnixMilli())
	return &v, nil
}

// LiveFilter selects live states.
type LiveFilter struct {
	State    string // online, offline, driving, parked
	Region   string
	Category string
	// BBox is minLon, minLat, maxLon, maxLat; nil: anywhere.
	BBox []float64
}

// LiveStates lists the live states in the caller's scope matching f,
// ordered by vehicle id.
func (s *Service) LiveStates(ctx context.Context, f LiveFilter, limit, offset int) ([]LiveState, int, error) {
	p, err := access.Require(ctx, access.PermMonitorRead)
	if err != nil {
		return nil, 0, err
	}
	now := s.now().UnixMilli()
	var out []LiveState
	s.eng.mu.RLock()
	ids := make([]int64, 0, len(s.eng.vehicles))
	for id, st := range s.eng.vehicles {
		if !p.Scope.Allows(st.Region, st.OperatorID) || (f.Region != "" && !strings.HasPrefix(st.Region, access.RegionPrefix(f.Region))) ||
			(f.Category != "" && st.Category != f.Category) {
			continue
		}
		switch f.State {
		case "online":
			if !st.Online {
				continue
			}
		case "offline":
			if st.Online {
				continue
			}
		case "driving":
			if !st.Online || !st.Moving {
				continue
			}
		case "parked":
			if !st.Online || st.Moving {
				continue
			}
		}
		if len(f.BBox) == 4 {
			lat, lon := microDeg(st.Lat), microDeg(st.Lon)
			if !st.HasFix || lon < f.BBox[0] || lat < f.BBox[1] || lon > f.BBox[2] || lat > f.BBox[3] {
				continue
			}
		}
		ids = append(ids, id)
	}
	slices.Sort(ids)
	total := len(ids)
	if offset < len(ids) {
		ids = ids[offset:]
	} else {
		ids = nil
	}
	if limit > 0 && len(ids) > limit {
		ids = ids[:limit]
	}
	for _, id := range ids {
		out = append(out, s.eng.vehicles[id].view(now))
	}
	s.eng.mu.RUnlock()
	return out, total, nil
}

// --- rule sets ---

// RuleSets lists every rule set (rules are not secret: any monitor reader
// sees them).
func (s *Service) RuleSets(ctx context.Context) ([]RuleSet, error) {
	if _, err := access.Require(ctx, access.PermMonitorRead); err != nil {
		return nil, err
	}
	return listRuleSets(ctx, s.db.Read())
}

// PutRuleSet creates or replaces the rule set of (region, category). The
// caller must hold PermAlarmReview and have the region in scope; an
// enterprise cannot change rules. ifMatch, when non-zero, must be the
// stored version.
func (s *Service) PutRuleSet(ctx context.Context, in RuleSet, ifMatch int64) (*RuleSet, error) {
	p, err := access.Require(ctx, access.PermAlarmReview)
	if err != nil {
		return nil, err
	}
	if p.Scope.OperatorID != 0 || !p.Scope.ContainsRegion(in.Region) || (in.Region == "" && p.Scope.RegionPrefix() != "") {
		return nil, apperr.Forbidden("rule sets can only be changed by an authority for its own region")
	}
	if err := in.Validate(); err != nil {
		return nil, err
	}
	body, err := json.Marshal(in.Params)
	if err != nil {
		return nil, err
	}
	var out *RuleSet
	err = s.db.InTx(ctx, func(tx *sqldb.Tx) error {
		now := s.now().UnixMilli()
		var id, version int64
		err := tx.QueryRowContext(ctx, `SELECT id, version FROM monitor_rule_sets WHERE region = $1 AND category = $2`, in.Region, in.Category).Scan(&id, &version)
		var before *RuleSet
		switch {
		case err == nil:
			if ifMatch != 0 && ifMatch != version {
				return apperr.Conflict(fmt.Sprintf("rule set changed (version %d, you sent %d)", version, ifMatch))
			}
			if before, err = getRuleSet(ctx, tx, id); err != nil {
				return err
			}
			if _, err := tx.ExecContext(ctx, `UPDATE monitor_rule_sets SET params = $1, version = version + 1, updated_at = $2, updated_by = $3 WHERE id = $4`,
				string(body), now, p.Username, id); err != nil {
				return fmt.Errorf("monitor: update rule set: %w", err)
			}
		default:
			if err := tx.QueryRowContext(ctx, `INSERT INTO monitor_rule_sets (region, category, params, version, updated_at, updated_by)
				VALUES ($1, $2, $3, 1, $4, $5) RETURNING id`, in.Region, in.Category, string(body), now, p.Username).Scan(&id); err != nil {
				return fmt.Errorf("monitor: create rule set: %w", sqldb.MapError(err))
			}
		}
		if out, err = getRuleSet(ctx, tx, id); err != nil {
			return err
		}
		action := audit.ActionUpdate
		if before == nil {
			action = audit.ActionCreate
		}
		return audit.Record(ctx, tx, audit.Change{Action: action, Entity: "monitor_rule_set", EntityID: id, Region: in.Region,
			Summary: fmt.Sprintf("rule set %s/%s", in.Region, in.Category), Before: before, After: out})
	})
	if err != nil {
		return nil, err
	}
	return out, s.reloadRules(ctx)
}

// --- geofences ---

// Geofences lists the geofences in the caller's scope.
func (s *Service) Geofences(ctx context.Context) ([]Geofence, error) {
	p, err := access.Require(ctx, access.PermMonitorRead)
	if err != nil {
		return nil, err
	}
	return listGeofences(ctx, s.db.Read(), p.Scope, false)
}

// Geofence returns one geofence in the caller's scope.
func (s *Service) Geofence(ctx context.Context, id int64) (*Geofence, error) {
	p, err := access.Require(ctx, access.PermMonitorRead)
	if err != nil {
		return nil, err
	}
	g, err := getGeofence(ctx, s.db.Read(), id)
	if err != nil {
		return nil, err
	}
	if !p.Scope.Allows(g.Region, g.OperatorID) {
		return nil, apperr.NotFound("geofence", id)
	}
	return g, nil
}

// SaveGeofence creates (id 0) or replaces a geofence. Authorities
// (PermAlarmReview) and enterprises (PermAlarmHandle, their own fences
// only) may edit fences within their scope.
func (s *Service) SaveGeofence(ctx context.Context, id int64, in GeofenceFields) (*Geofence, error) {
	p := access.From(ctx)
	if p == nil {
		return nil, fmt.Errorf("login required: %w", apperr.ErrUnauthorized)
	}
	if !p.Can(access.PermAlarmReview) && !p.Can(access.PermAlarmHandle) {
		return nil, apperr.Forbidden(fmt.Sprintf("permission %s required", access.PermAlarmReview))
	}
	if p.Scope.OperatorID != 0 {
		in.OperatorID = p.Scope.OperatorID
	}
	if err := in.Validate(); err != nil {
		return nil, err
	}
	if !p.Scope.Allows(in.Region, in.OperatorID) {
		return nil, apperr.Field("region", "outside your data scope", in.Region)
	}
	body, err := json.Marshal(in)
	if err != nil {
		return nil, err
	}
	var out *Geofence
	err = s.db.InTx(ctx, func(tx *sqldb.Tx) error {
		now := s.now().UnixMilli()
		var before *Geofence
		if id == 0 {
			if err := tx.QueryRowContext(ctx, `INSERT INTO monitor_geofences (name, kind, purpose, region, operator_id, enabled, body, version, updated_at)
				VALUES ($1, $2, $3, $4, $5, $6, $7, 1, $8) RETURNING id`, in.Name, in.Kind, in.Purpose, in.Region, in.OperatorID,
				boolInt(in.Enabled), string(body), now).Scan(&id); err != nil {
				return fmt.Errorf("monitor: create geofence: %w", err)
			}
		} else {
			var err error
			if before, err = getGeofence(ctx, tx, id); err != nil {
				return err
			}
			if !p.Scope.Allows(before.Region, before.OperatorID) {
				return apperr.NotFound("geofence", id)
			}
			if _, err := tx.ExecContext(ctx, `UPDATE monitor_geofences SET name = $1, kind = $2, purpose = $3, region = $4, operator_id = $5,
				enabled = $6, body = $7, version = version + 1, updated_at = $8 WHERE id = $9`, in.Name, in.Kind, in.Purpose, in.Region,
				in.OperatorID, boolInt(in.Enabled), string(body), now, id); err != nil {
				return fmt.Errorf("monitor: update geofence: %w", err)
			}
		}
		var err error
		if out, err = getGeofence(ctx, tx, id); err != nil {
			return err
		}
		action := audit.ActionUpdate
		if before == nil {
			action = audit.ActionCreate
		}
		return audit.Record(ctx, tx, audit.Change{Action: action, Entity: "geofence", EntityID: id, Region: in.Region,
			OperatorID: in.OperatorID, Summary: in.Name, Before: before, After: out})
	})
	if err != nil {
		return nil, err
	}
	return out, s.reloadFences(ctx)
}

// DeleteGeofence removes a geofence in the caller's scope.
func (s *Service) DeleteGeofence(ctx context.Context, id int64) error {
	p := access.From(ctx)
	if p == nil || (!p.Can(access.PermAlarmReview) && !p.Can(access.PermAlarmHandle)) {
		_, err := access.Require(ctx, access.PermAlarmReview)
		return err
	}
	err := s.db.InTx(ctx, func(tx *sqldb.Tx) error {
		g, err := getGeofence(ctx, tx, id)
		if err != nil {
			return err
		}
		if !p.Scope.Allows(g.Region, g.OperatorID) {
			return apperr.NotFound("geofence", id)
		}
		if _, err := tx.ExecContext(ctx, `DELETE FROM monitor_geofences WHERE id = $1`, id); err != nil {
			return fmt.Errorf("monitor: delete geofence: %w", err)
		}
		return audit.Record(ctx, tx, audit.Change{Action: audit.ActionDelete, Entity: "geofence", EntityID: id, Region: g.Region,
			OperatorID: g.OperatorID, Summary: g.Name, Before: g})
	})
	if err != nil {
		return err
	}
	return s.reloadFences(ctx)
}

// --- HTTP ---

// AlarmQuery is the filter of the alarm list and its export (exported so
// huma sees the fields of the export's embedded copy).
type AlarmQuery struct {
	httpapi.ListParams
	VehicleID  int64     `query:"vehicle_id" minimum:"0"`
	Plate      string    `query:"plate" maxLength:"12"`
	OperatorID int64     `query:"operator_id" minimum:"0"`
	Region     string    `query:"region" maxLength:"6"`
	Rule       string    `query:"rule" enum:"overspeed,fatigue,fatigue_night,fatigue_24h,fatigue_7d,early_morning,route_deviation,out_of_area,fence_enter,fence_exit,fence_forbidden,fence_dwell,offline,drift,invalid_position,clock_skew,sos,terminal_alarm,waybill_missing,waybill_route_deviation,waybill_forbidden_zone,waybill_time_window,waybill_sensitive_stop,"`
	Severity   string    `query:"severity" enum:"critical,major,minor,info,"`
	State      string    `query:"state" enum:"raised,acknowledged,handled,closed,"`
	Ongoing    string    `query:"ongoing" enum:"true,false," doc:"only ongoing (true) or ended (false) violations"`
	From       time.Time `query:"from" doc:"start time from (RFC 3339)"`
	To         time.Time `query:"to" doc:"start time before (RFC 3339)"`
}

func (in *AlarmQuery) filter() AlarmFilter {
	f := AlarmFilter{VehicleID: in.VehicleID, Plate: in.Plate, OperatorID: in.OperatorID, Region: in.Region, Rule: in.Rule,
		Severity: in.Severity, State: in.State, From: in.From, To: in.To, Q: in.Q, Sort: in.Sort,
		Limit: in.Limit(), Offset: in.Offset()}
	if in.Ongoing != "" {
		b := in.Ongoing == "true"
		f.Ongoing = &b
	}
	return f
}

type alarmExportInput struct {
	AlarmQuery
	Format string `query:"format" enum:"xlsx,csv," default:"xlsx"`
}

type idInput struct {
	ID int64 `path:"id" minimum:"1"`
}

type notesInput struct {
	ID   int64 `path:"id" minimum:"1"`
	Body struct {
		Notes string `json:"notes,omitempty" maxLength:"2000"`
	}
}

type handleInput struct {
	ID   int64 `path:"id" minimum:"1"`
	Body HandleRequest
}

type alarmOutput struct{ Body *Alarm }

type liveInput struct {
	httpapi.ListParams
	State    string `query:"state" enum:"online,offline,driving,parked,"`
	Region   string `query:"region" maxLength:"6"`
	Category string `query:"category" maxLength:"20"`
	BBox     string `query:"bbox" doc:"minLon,minLat,maxLon,maxLat"`
}

type ruleSetInput struct {
	IfMatch int64 `header:"If-Match" doc:"the version you read; the change fails if the set changed since"`
	Body    struct {
		Region   string `json:"region,omitempty" maxLength:"6"`
		Category string `json:"category,omitempty" maxLength:"20"`
		Params   Params `json:"params"`
	}
}

type geofenceInput struct {
	Body GeofenceFields
}

type geofenceUpdateInput struct {
	ID   int64 `path:"id" minimum:"1"`
	Body GeofenceFields
}

// alarmSheet is the export's columns.
var alarmSheet = sheet.MustSchema(
	sheet.Column{Key: "id", Header: "报警编号", Kind: sheet.Number},
	sheet.Column{Key: "plate", Header: "车牌号码"},
	sheet.Column{Key: "rule", Header: "报警类型"},
	sheet.Column{Key: "severity", Header: "级别"},
	sheet.Column{Key: "start_at", Header: "开始时间", Kind: sheet.DateTime},
	sheet.Column{Key: "end_at", Header: "结束时间", Kind: sheet.DateTime},
	sheet.Column{Key: "duration_s", Header: "持续秒数", Kind: sheet.Number},
	sheet.Column{Key: "peak", Header: "峰值", Kind: sheet.Number},
	sheet.Column{Key: "limit", Header: "限值", Kind: sheet.Number},
	sheet.Column{Key: "unit", Header: "单位"},
	sheet.Column{Key: "lat", Header: "纬度", Kind: sheet.Number},
	sheet.Column{Key: "lon", Header: "经度", Kind: sheet.Number},
	sheet.Column{Key: "region", Header: "行政区划"},
	sheet.Column{Key: "operator_id", Header: "业户编号", Kind: sheet.Number},
	sheet.Column{Key: "state", Header: "处理状态"},
	sheet.Column{Key: "action", Header: "处理措施"},
	sheet.Column{Key: "handled_by", Header: "处理人"},
	sheet.Column{Key: "closed_by", Header: "审核人"},
	sheet.Column{Key: "message", Header: "描述"},
)

var stateLabels = map[AlarmState]string{StateRaised: "未处理", StateAcknowledged: "已确认", StateHandled: "已处理", StateClosed: "已关闭"}

// Register adds the monitor's operations to api (rooted at /api/v1).
func Register(api huma.API, s *Service) {
	registerAssessment(api, s)
	tags := []string{"Monitoring"}
	huma.Register(api, huma.Operation{OperationID: "list-alarms", Method: http.MethodGet, Path: "/alarms",
		Summary: "List alarms", Description: "Alarms in the caller's data scope, newest first, filterable by vehicle, plate, enterprise, region, rule, severity, state and start time.", Tags: tags},
		func(ctx context.Context, in *AlarmQuery) (*struct{ Body httpapi.Page[Alarm] }, error) {
			items, total, err := s.Alarms(ctx, in.filter())
			if err != nil {
				return nil, err
			}
			return &struct{ Body httpapi.Page[Alarm] }{httpapi.NewPage(items, total, in.ListParams)}, nil
		})
	exportOp := huma.Operation{OperationID: "export-alarms", Method: http.MethodGet, Path: "/alarms/export",
		Summary: "Export alarms", Description: "The alarms matching the list filters as XLSX (default) or CSV.", Tags: tags}
	sheet.DocumentDownload(&exportOp)
	huma.Register(api, exportOp, func(ctx context.Context, in *alarmExportInput) (*huma.StreamResponse, error) {
		p, err := access.Require(ctx, access.PermMonitorRead)
		if err != nil {
			return nil, err
		}
		f := in.filter()
		f.Limit, f.Offset = 0, 0
		if _, err := sqldb.OrderBy(f.Sort, alarmSort, "id"); err != nil {
			return nil, err
		}
		format := sheet.XLSX
		if in.Format == "csv" {
			format = sheet.CSV
		}
		return sheet.Download("报警_"+civil.Today().String(), format, alarmSheet, func(w *sheet.Writer) error {
			_, err := listAlarms(ctx, s.db, p.Scope, f, func(a *Alarm) error {
				var end any
				if a.EndAt != nil {
					end = a.EndAt.In(civil.CST)
				}
				return w.WriteRow(a.ID, a.Plate, a.RuleLabel, string(a.Severity), a.StartAt.In(civil.CST), end, a.DurationS,
					a.Peak, a.Limit, a.Unit, a.Lat, a.Lon, a.Region, a.OperatorID, stateLabels[a.State], a.Action, a.HandledBy, a.ClosedBy, a.Message)
			})
			return err
		}), nil
	})
	huma.Register(api, huma.Operation{OperationID: "get-alarm", Method: http.MethodGet, Path: "/alarms/{id}",
		Summary: "Get an alarm", Tags: tags}, func(ctx context.Context, in *idInput) (*alarmOutput, error) {
		a, err := s.Alarm(ctx, in.ID)
		return &alarmOutput{a}, err
	})
	huma.Register(api, huma.Operation{OperationID: "acknowledge-alarm", Method: http.MethodPost, Path: "/alarms/{id}/acknowledge",
		Summary: "Acknowledge an alarm (enterprise)", Tags: tags}, func(ctx context.Context, in *notesInput) (*alarmOutput, error) {
		a, err := s.Acknowledge(ctx, in.ID, in.Body.Notes)
		return &alarmOutput{a}, err
	})
	huma.Register(api, huma.Operation{OperationID: "handle-alarm", Method: http.MethodPost, Path: "/alarms/{id}/handle",
		Summary: "Handle an alarm (enterprise)", Description: "Records the action taken; with text, first sends it to the driver's terminal (0x8300).", Tags: tags},
		func(ctx context.Context, in *handleInput) (*alarmOutput, error) {
			a, err := s.Handle(ctx, in.ID, in.Body)
			return &alarmOutput{a}, err
		})
	huma.Register(api, huma.Operation{OperationID: "close-alarm", Method: http.MethodPost, Path: "/alarms/{id}/close",
		Summary: "Review and close an alarm (regulator)", Tags: tags}, func(ctx context.Context, in *notesInput) (*alarmOutput, error) {
		a, err := s.Close(ctx, in.ID, in.Body.Notes)
		return &alarmOutput{a}, err
	})
	huma.Register(api, huma.Operation{OperationID: "get-vehicle-state", Method: http.MethodGet, Path: "/vehicles/{id}/state",
		Summary: "Live state of a vehicle", Tags: tags}, func(ctx context.Context, in *idInput) (*struct{ Body *LiveState }, error) {
		v, err := s.VehicleState(ctx, in.ID)
		return &struct{ Body *LiveState }{v}, err
	})
	huma.Register(api, huma.Operation{OperationID: "list-live-states", Method: http.MethodGet, Path: "/monitor/live-states",
		Summary: "List live vehicle states", Tags: tags}, func(ctx context.Context, in *liveInput) (*struct{ Body httpapi.Page[LiveState] }, error) {
		f := LiveFilter{State: in.State, Region: in.Region, Category: in.Category}
		if in.BBox != "" {
			parts := strings.Split(in.BBox, ",")
			if len(parts) != 4 {
				return nil, apperr.Field("bbox", "must be minLon,minLat,maxLon,maxLat", in.BBox)
			}
			for _, p := range parts {
				v, err := strconv.ParseFloat(strings.TrimSpace(p), 64)
				if err != nil {
					return nil, apperr.Field("bbox", "must be four numbers", in.BBox)
				}
				f.BBox = append(f.BBox, v)
			}
		}
		items, total, err := s.LiveStates(ctx, f, in.Limit(), in.Offset())
		if err != nil {
			return nil, err
		}
		return &struct{ Body httpapi.Page[LiveState] }{httpapi.NewPage(items, total, in.ListParams)}, nil
	})
	huma.Register(api, huma.Operation{OperationID: "list-rule-sets", Method: http.MethodGet, Path: "/monitor/rules",
		Summary: "List rule sets", Description: "Every rule set: the national defaults and the regional and per-category overrides.", Tags: tags},
		func(ctx context.Context, _ *struct{}) (*struct{ Body []RuleSet }, error) {
			sets, err := s.RuleSets(ctx)
			return &struct{ Body []RuleSet }{sets}, err
		})
	huma.Register(api, huma.Operation{OperationID: "get-rule-set", Method: http.MethodGet, Path: "/monitor/rules/{id}",
		Summary: "Get a rule set", Tags: tags}, func(ctx context.Context, in *idInput) (*struct{ Body *RuleSet }, error) {
		if _, err := access.Require(ctx, access.PermMonitorRead); err != nil {
			return nil, err
		}
		rs, err := getRuleSet(ctx, s.db.Read(), in.ID)
		return &struct{ Body *RuleSet }{rs}, err
	})
	huma.Register(api, huma.Operation{OperationID: "put-rule-set", Method: http.MethodPut, Path: "/monitor/rules",
		Summary: "Create or replace the rule set of a region and category", Tags: tags},
		func(ctx context.Context, in *ruleSetInput) (*struct{ Body *RuleSet }, error) {
			rs, err := s.PutRuleSet(ctx, RuleSet{Region: in.Body.Region, Category: in.Body.Category, Params: in.Body.Params}, in.IfMatch)
			return &struct{ Body *RuleSet }{rs}, err
		})
	huma.Register(api, huma.Operation{OperationID: "list-geofences", Method: http.MethodGet, Path: "/monitor/geofences",
		Summary: "List geofences", Tags: tags}, func(ctx context.Context, _ *struct{}) (*struct{ Body []Geofence }, error) {
		gs, err := s.Geofences(ctx)
		if gs == nil {
			gs = []Geofence{}
		}
		return &struct{ Body []Geofence }{gs}, err
	})
	huma.Register(api, huma.Operation{OperationID: "get-geofence", Method: http.MethodGet, Path: "/monitor/geofences/{id}",
		Summary: "Get a geofence", Tags: tags}, func(ctx context.Context, in *idInput) (*struct{ Body *Geofence }, error) {
		g, err := s.Geofence(ctx, in.ID)
		return &struct{ Body *Geofence }{g}, err
	})
	huma.Register(api, huma.Operation{OperationID: "create-geofence", Method: http.MethodPost, Path: "/monitor/geofences",
		Summary: "Create a geofence", Tags: tags, DefaultStatus: http.StatusCreated, MaxBodyBytes: 4 << 20},
		func(ctx context.Context, in *geofenceInput) (*struct{ Body *Geofence }, error) {
			g, err := s.SaveGeofence(ctx, 0, in.Body)
			return &struct{ Body *Geofence }{g}, err
		})
	huma.Register(api, huma.Operation{OperationID: "update-geofence", Method: http.MethodPut, Path: "/monitor/geofences/{id}",
		Summary: "Replace a geofence", Tags: tags, MaxBodyBytes: 4 << 20},
		func(ctx context.Context, in *geofenceUpdateInput) (*struct{ Body *Geofence }, error) {
			g, err := s.SaveGeofence(ctx, in.ID, in.Body)
			return &struct{ Body *Geofence }{g}, err
		})
	huma.Register(api, huma.Operation{OperationID: "delete-geofence", Method: http.MethodDelete, Path: "/monitor/geofences/{id}",
		Summary: "Delete a geofence", Tags: tags, DefaultStatus: http.StatusNoContent},
		func(ctx context.Context, in *idInput) (*struct{}, error) {
			return nil, s.DeleteGeofence(ctx, in.ID)
		})
}
