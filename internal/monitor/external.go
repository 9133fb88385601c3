package monitor

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"time"

	"github.com/jiaotong-platform/jiaotong/internal/platform/access"
	"github.com/jiaotong-platform/jiaotong/internal/platform/apperr"
	"github.com/jiaotong-platform/jiaotong/internal/platform/civil"
	"github.com/jiaotong-platform/jiaotong/internal/platform/sqldb"
)

// externalRules are the rules another module may report, with the
// severity the monitor gives them: the reporter says what happened, the
// monitor decides how urgent it is, like for its own rules.
var externalRules = map[Rule]Severity{
	RuleWaybillMissing:        SeverityMajor,
	RuleWaybillRouteDeviation: SeverityMinor,
	RuleWaybillForbiddenZone:  SeverityMajor,
	RuleWaybillTimeWindow:     SeverityMinor,
	RuleWaybillSensitiveStop:  SeverityMinor,
}

// ExternalAlarm is the state of a violation found by another module (the
// e-waybill cross-checks) on its own evaluation of the positions. The
// monitor runs it through the same lifecycle as its own alarms: one row per
// natural key (vehicle, rule, subject, start device time), raised, updated
// while ongoing, ended, then acknowledged, handled and closed by people,
// with the same events, webhooks, search and export.
//
// A report is a snapshot rather than a command, so it is idempotent: the
// first report of a key raises the alarm, later ones move LastAt and Peak
// forward, and a report with EndAt set ends it (raising it first if it
// was never reported ongoing). Reporting the same state again, as a
// reporter replaying positions after a restart does, changes nothing and
// publishes nothing.
type ExternalAlarm struct {
	VehicleID int64
	Rule      Rule
	// Subject tells apart episodes of one rule on one vehicle that may
	// overlap (a zone, a waybill number); "" when there is one at a time.
	Subject string
	StartAt time.Time  // device time the violation started
	LastAt  time.Time  // device time of the last position of the violation
	EndAt   *time.Time // device time it ended; nil while ongoing
	Lat     float64
	Lon     float64
	// Limit is the threshold, Peak the worst value seen, in Unit ("m",
	// "s", "km/h" or "").
	Limit    float64
	Peak     float64
	Unit     string
	Details  map[string]any
	Evidence []EvidencePoint
	// Note names what the alarm is about for people (a zone's name, a
	// waybill's number); it goes into the alarm's message.
	Note string
}

func (x *ExternalAlarm) validate() error {
	var inv apperr.Invalid
	if x.VehicleID <= 0 {
		inv.Add("vehicle_id", "must be positive", x.VehicleID)
	}
	if _, ok := externalRules[x.Rule]; !ok {
		inv.Add("rule", "not a rule other modules may report", x.Rule)
	}
	if x.StartAt.IsZero() {
		inv.Add("start_at", "required", nil)
	}
	if x.EndAt != nil && x.EndAt.Before(x.StartAt) {
		inv.Add("end_at", "before start_at", x.EndAt)
	}
	if math.IsNaN(x.Peak) || math.IsNaN(x.Limit) || math.IsNaN(x.Lat) || math.IsNaN(x.Lon) {
		inv.Add("peak", "not a number", nil)
	}
	return inv.Err()
}

// ReportExternal stores the reported alarm states in one transaction,
// with an outbox event for each change that really changed a row (see
// ExternalAlarm). It needs no principal: it is the module-to-module entry,
// wired in internal/app, not an API operation.
func (s *Service) ReportExternal(ctx context.Context, alarms []ExternalAlarm) error {
	if len(alarms) == 0 {
		return nil
	}
	for i := range alarms {
		if err := alarms[i].validate(); err != nil {
			return fmt.Errorf("monitor: report external alarm: %w", err)
		}
	}
	// Registry data first, outside the transaction (it may call the
	// registry, which has its own connection to the database).
	infos := map[int64]*VehicleInfo{}
	for i := range alarms {
		id := alarms[i].VehicleID
		if _, ok := infos[id]; !ok {
			infos[id] = s.externalVehicle(ctx, id)
		}
	}
	wrote := false
	err := s.db.InTx(ctx, func(tx *sqldb.Tx) error {
		wrote = false
		now := s.now().UnixMilli()
		for i := range alarms {
			ok, err := s.applyExternal(ctx, tx, &alarms[i], infos[alarms[i].VehicleID], now)
			if err != nil {
				return err
			}
			wrote = wrote || ok
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("monitor: report external alarms: %w", err)
	}
	if wrote {
		s.notify()
	}
	return nil
}

// externalVehicle returns what the registry knows of a vehicle, falling
// back to the live state (a vehicle removed from the registry).
func (s *Service) externalVehicle(ctx context.Context, id int64) *VehicleInfo {
	if info := s.vehicleInfo(ctx, id); info != nil {
		return info
	}
	info := &VehicleInfo{ID: id}
	s.eng.mu.RLock()
	if st := s.eng.vehicles[id]; st != nil {
		info.Plate, info.OperatorID, info.Region = st.Plate, st.OperatorID, st.Region
	}
	s.eng.mu.RUnlock()
	return info
}

func (s *Service) applyExternal(ctx context.Context, tx *sqldb.Tx, x *ExternalAlarm, v *VehicleInfo, now int64) (bool, error) {
	a := &openAlarm{Rule: x.Rule, Subject: x.Subject, Severity: externalRules[x.Rule], Start: x.StartAt.UnixMilli(),
		Last: max(x.LastAt.UnixMilli(), x.StartAt.UnixMilli()), Lat: x.Lat, Lon: x.Lon, Limit: x.Limit, Peak: x.Peak, Unit: x.Unit,
		Raised: true, Evidence: x.Evidence}
	if a.Evidence == nil {
		a.Evidence = []EvidencePoint{}
	}
	var end int64
	if x.EndAt != nil {
		end = x.EndAt.UnixMilli()
		a.Last = max(a.Last, end)
	}
	evidence, _ := json.Marshal(a.Evidence)
	var details string
	if len(x.Details) > 0 {
		b, err := json.Marshal(x.Details)
		if err != nil {
			return false, fmt.Errorf("encode details: %w", err)
		}
		details = string(b)
	}
	msg := describe(v.Plate, a)
	if x.Note != "" {
		if a.Unit == "" {
			msg = v.Plate + " " + a.Rule.Label() + "：" + x.Note
		} else {
			msg += "；" + x.Note
		}
	}
	wrote := false

	var id int64
	err := tx.QueryRowContext(ctx, `INSERT INTO monitor_alarms (vehicle_id, plate, operator_id, region, category, rule, subject, severity,
		message, start_at, last_at, ongoing, lat, lon, limit_value, peak, unit, details, evidence, state, created_at, updated_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, 1, $12, $13, $14, $15, $16, $17, $18, 'raised', $19, $19)
		ON CONFLICT (vehicle_id, rule, subject, start_at) DO NOTHING RETURNING id`,
		x.VehicleID, v.Plate, v.OperatorID, v.Region, string(v.Category), string(a.Rule), a.Subject, string(a.Severity),
		msg, a.Start, a.Last, a.Lat, a.Lon, a.Limit, a.Peak, a.Unit, details, string(evidence), now).Scan(&id)
	switch {
	case err == nil:
		rec, err := getAlarm(ctx, tx, id)
		if err != nil {
			return false, err
		}
		if err := s.enqueue(ctx, tx, alarmEvent(EventAlarmRaised, rec, time.UnixMilli(a.Start))); err != nil {
			return false, err
		}
		wrote = true
	case errors.Is(err, sql.ErrNoRows):
		// Known: move it forward if this report is newer or worse.
		res, err := tx.ExecContext(ctx, `UPDATE monitor_alarms SET last_at = $1, peak = $2, message = $3, updated_at = $4
			WHERE vehicle_id = $5 AND rule = $6 AND subject = $7 AND start_at = $8 AND ongoing = 1 AND (peak < $2 OR last_at < $1)`,
			a.Last, a.Peak, msg, now, x.VehicleID, string(a.Rule), a.Subject, a.Start)
		if err != nil {
			return false, fmt.Errorf("update alarm: %w", err)
		}
		if n, _ := res.RowsAffected(); n > 0 && x.EndAt == nil {
			rec, err := getAlarmByKey(ctx, tx, x.VehicleID, a.Rule, a.Subject, a.Start)
			if err != nil {
				return false, err
			}
			if err := s.enqueue(ctx, tx, alarmEvent(EventAlarmUpdated, rec, time.UnixMilli(a.Last))); err != nil {
				return false, err
			}
			wrote = true
		}
	default:
		return false, fmt.Errorf("raise alarm: %w", err)
	}
	if x.EndAt == nil {
		return wrote, nil
	}
	res, err := tx.ExecContext(ctx, `UPDATE monitor_alarms SET ongoing = 0, end_at = $1, last_at = $2, peak = $3, message = $4, updated_at = $5
		WHERE vehicle_id = $6 AND rule = $7 AND subject = $8 AND start_at = $9 AND ongoing = 1`,
		end, a.Last, a.Peak, msg, now, x.VehicleID, string(a.Rule), a.Subject, a.Start)
	if err != nil {
		return false, fmt.Errorf("end alarm: %w", err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return wrote, nil
	}
	rec, err := getAlarmByKey(ctx, tx, x.VehicleID, a.Rule, a.Subject, a.Start)
	if err != nil {
		return false, err
	}
	return true, s.enqueue(ctx, tx, alarmEvent(EventAlarmEnded, rec, time.UnixMilli(end)))
}

// ZoneSet is a compiled, immutable set of geofences another module tests
// positions against (the hazmat-forbidden and sensitive zones of the
// e-waybill cross-checks), with the same geometry, time windows and
// vehicle filters as the engine's own fences.
type ZoneSet struct {
	ix  *fenceIndex
	loc *time.Location
}

// NewZoneSet compiles the enabled fences of gs; loc is the civil time zone
// of their windows (China Standard Time when nil).
func NewZoneSet(gs []Geofence, loc *time.Location) *ZoneSet {
	if loc == nil {
		loc = civil.CST
	}
	return &ZoneSet{ix: newFenceIndex(gs), loc: loc}
}

// Len is the number of enabled zones.
func (z *ZoneSet) Len() int { return len(z.ix.byID) }

// Containing returns the zones containing the point whose window holds at
// device time at and which apply to the vehicle (nil: any vehicle).
func (z *ZoneSet) Containing(lat, lon float64, at time.Time, v *VehicleInfo) []*Geofence {
	if z == nil || len(z.ix.byID) == 0 {
		return nil
	}
	local := at.In(z.loc)
	h, m, _ := local.Clock()
	var out []*Geofence
	z.ix.search(lat, lon, func(f *fence) {
		if (v == nil || f.appliesTo(v)) && f.active(h*60+m, int(local.Weekday())) {
			out = append(out, f.g)
		}
	})
	return out
}

// ZonesByPurpose returns every enabled geofence of the given purposes,
// whatever the caller's scope: it is the module-to-module read behind the
// e-waybill cross-checks (a vehicle is bound by a zone of any authority).
func (s *Service) ZonesByPurpose(ctx context.Context, purposes ...string) ([]Geofence, error) {
	gs, err := listGeofences(ctx, s.db.Read(), access.All, true)
	if err != nil {
		return nil, err
	}
	out := gs[:0]
	for _, g := range gs {
		for _, p := range purposes {
			if g.Purpose == p {
				out = append(out, g)
				break
			}
		}
	}
	return out, nil
}
