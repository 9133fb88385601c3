package monitor

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/jiaotong-platform/jiaotong/internal/platform/access"
	"github.com/jiaotong-platform/jiaotong/internal/platform/apperr"
	"github.com/jiaotong-platform/jiaotong/internal/platform/sqldb"
)

// --- rule sets ---

// seedRuleSets writes the national defaults once; existing sets are kept.
func seedRuleSets(ctx context.Context, db *sqldb.DB) error {
	now := time.Now().UnixMilli()
	for _, c := range DefaultCategories {
		b, err := json.Marshal(DefaultParams(c))
		if err != nil {
			return err
		}
		if _, err := db.Write().ExecContext(ctx, `INSERT INTO monitor_rule_sets (region, category, params, version, updated_at, updated_by)
			VALUES ('', $1, $2, 1, $3, 'system') ON CONFLICT (region, category) DO NOTHING`, c, string(b), now); err != nil {
			return fmt.Errorf("monitor: seed rule sets: %w", err)
		}
	}
	return nil
}

const ruleSetCols = `id, region, category, params, version, updated_at, updated_by`

func scanRuleSet(sc interface{ Scan(...any) error }) (RuleSet, error) {
	var rs RuleSet
	var params string
	var upd int64
	if err := sc.Scan(&rs.ID, &rs.Region, &rs.Category, &params, &rs.Version, &upd, &rs.UpdatedBy); err != nil {
		return rs, err
	}
	rs.UpdatedAt = sqldb.FromMillis(upd)
	if err := json.Unmarshal([]byte(params), &rs.Params); err != nil {
		return rs, fmt.Errorf("rule set %d: %w", rs.ID, err)
	}
	return rs, nil
}

func listRuleSets(ctx context.Context, q sqldb.Querier) ([]RuleSet, error) {
	rows, err := q.QueryContext(ctx, `SELECT `+ruleSetCols+` FROM monitor_rule_sets ORDER BY region, category`)
	if err != nil {
		return nil, fmt.Errorf("monitor: list rule sets: %w", err)
	}
	defer rows.Close()
	var out []RuleSet
	for rows.Next() {
		rs, err := scanRuleSet(rows)
		if err != nil {
			return nil, fmt.Errorf("monitor: list rule sets: %w", err)
		}
		out = append(out, rs)
	}
	return out, rows.Err()
}

func getRuleSet(ctx context.Context, q sqldb.Querier, id int64) (*RuleSet, error) {
	rs, err := scanRuleSet(q.QueryRowContext(ctx, `SELECT `+ruleSetCols+` FROM monitor_rule_sets WHERE id = $1`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, apperr.NotFound("rule set", id)
	}
	if err != nil {
		return nil, fmt.Errorf("monitor: get rule set: %w", err)
	}
	return &rs, nil
}

// --- geofences ---

func scanGeofence(sc interface{ Scan(...any) error }) (Geofence, error) {
	var g Geofence
	var body string
	var upd int64
	if err := sc.Scan(&g.ID, &body, &g.Version, &upd); err != nil {
		return g, err
	}
	g.UpdatedAt = sqldb.FromMillis(upd)
	if err := json.Unmarshal([]byte(body), &g.GeofenceFields); err != nil {
		return g, fmt.Errorf("geofence %d: %w", g.ID, err)
	}
	return g, nil
}

func listGeofences(ctx context.Context, q sqldb.Querier, scope access.Scope, enabledOnly bool) ([]Geofence, error) {
	where, args := []string{"1=1"}, []any{}
	if pfx := scope.RegionPrefix(); pfx != "" {
		args = append(args, pfx+"%")
		where = append(where, fmt.Sprintf("region LIKE $%d", len(args)))
	}
	if scope.OperatorID != 0 {
		args = append(args, scope.OperatorID)
		where = append(where, fmt.Sprintf("operator_id = $%d", len(args)))
	}
	if enabledOnly {
		where = append(where, "enabled = 1")
	}
	rows, err := q.QueryContext(ctx, `SELECT id, body, version, updated_at FROM monitor_geofences WHERE `+
		strings.Join(where, " AND ")+` ORDER BY id`, args...)
	if err != nil {
		return nil, fmt.Errorf("monitor: list geofences: %w", err)
	}
	defer rows.Close()
	var out []Geofence
	for rows.Next() {
		g, err := scanGeofence(rows)
		if err != nil {
			return nil, fmt.Errorf("monitor: list geofences: %w", err)
		}
		out = append(out, g)
	}
	return out, rows.Err()
}

func getGeofence(ctx context.Context, q sqldb.Querier, id int64) (*Geofence, error) {
	g, err := scanGeofence(q.QueryRowContext(ctx, `SELECT id, body, version, updated_at FROM monitor_geofences WHERE id = $1`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, apperr.NotFound("geofence", id)
	}
	if err != nil {
		return nil, fmt.Errorf("monitor: get geofence: %w", err)
	}
	return &g, nil
}

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}

// --- alarms ---

const alarmCols = `id, vehicle_id, plate, operator_id, region, category, rule, subject, severity, message,
	start_at, last_at, end_at, ongoing, lat, lon, limit_value, peak, unit, details, evidence, state,
	ack_at, ack_by, handled_at, handled_by, action, notes, text_sent, closed_at, closed_by, review_notes, created_at, updated_at`

func scanAlarm(sc interface{ Scan(...any) error }) (*Alarm, error) {
	var a Alarm
	var start, last, created, updated int64
	var end, ack, handled, closed sql.NullInt64
	var ongoing int
	var details, evidence string
	if err := sc.Scan(&a.ID, &a.VehicleID, &a.Plate, &a.OperatorID, &a.Region, &a.Category, &a.Rule, &a.Subject, &a.Severity, &a.Message,
		&start, &last, &end, &ongoing, &a.Lat, &a.Lon, &a.Limit, &a.Peak, &a.Unit, &details, &evidence, &a.State,
		&ack, &a.AckBy, &handled, &a.HandledBy, &a.Action, &a.Notes, &a.TextSent, &closed, &a.ClosedBy, &a.ReviewNotes, &created, &updated); err != nil {
		return nil, err
	}
	a.StartAt, a.LastAt = sqldb.FromMillis(start), sqldb.FromMillis(last)
	a.CreatedAt, a.UpdatedAt = sqldb.FromMillis(created), sqldb.FromMillis(updated)
	opt := func(v sql.NullInt64) *time.Time {
		if !v.Valid {
			return nil
		}
		t := sqldb.FromMillis(v.Int64)
		return &t
	}
	a.EndAt, a.AckAt, a.HandledAt, a.ClosedAt = opt(end), opt(ack), opt(handled), opt(closed)
	a.Ongoing = ongoing != 0
	a.RuleLabel = a.Rule.Label()
	endMs := last
	if end.Valid {
		endMs = end.Int64
	}
	a.DurationS = (endMs - start) / 1000
	if details != "" {
		_ = json.Unmarshal([]byte(details), &a.Details)
	}
	if err := json.Unmarshal([]byte(evidence), &a.Evidence); err != nil || a.Evidence == nil {
		a.Evidence = []EvidencePoint{}
	}
	return &a, nil
}

func getAlarm(ctx context.Context, q sqldb.Querier, id int64) (*Alarm, error) {
	a, err := scanAlarm(q.QueryRowContext(ctx, `SELECT `+alarmCols+` FROM monitor_alarms WHERE id = $1`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, apperr.NotFound("alarm", id)
	}
	if err != nil {
		return nil, fmt.Errorf("monitor: get alarm: %w", err)
	}
	return a, nil
}

func getAlarmByKey(ctx context.Context, q sqldb.Querier, vehicle int64, rule Rule, subject string, start int64) (*Alarm, error) {
	a, err := scanAlarm(q.QueryRowContext(ctx, `SELECT `+alarmCols+` FROM monitor_alarms
		WHERE vehicle_id = $1 AND rule = $2 AND subject = $3 AND start_at = $4`, vehicle, rule, subject, start))
	if err != nil {
		return nil, fmt.Errorf("monitor: get alarm %d/%s/%s/%d: %w", vehicle, rule, subject, start, sqldb.MapError(err))
	}
	return a, nil
}

// AlarmFilter selects alarms; zero fields do not filter.
type AlarmFilter struct {
	VehicleID  int64
	Plate      string
	OperatorID int64
	Region     string // subtree
	Rule       string
	Severity   string
	State      string
	Ongoing    *bool
	From, To   time.Time // start time range [From, To)
	Q          string
	Sort       string
	Limit      int
	Offset     int
}

var alarmSort = map[string]string{"start_at": "start_at", "id": "id", "severity": "severity", "plate": "plate",
	"rule": "rule", "state": "state", "last_at": "last_at", "peak": "peak"}

func alarmWhere(d sqldb.Dialect, scope access.Scope, f AlarmFilter) (string, []any) {
	var w sqldb.Where
	add := w.Add
	w.Scope(scope)
	w.Scope(access.Scope{Region: f.Region, OperatorID: f.OperatorID}) // the filters narrow the scope
	if f.VehicleID != 0 {
		add("vehicle_id = ?", f.VehicleID)
	}
	if f.Plate != "" {
		add("plate = ?", f.Plate)
	}
	if f.Rule != "" {
		add("rule = ?", f.Rule)
	}
	if f.Severity != "" {
		add("severity = ?", f.Severity)
	}
	if f.State != "" {
		add("state = ?", f.State)
	}
	if f.Ongoing != nil {
		add("ongoing = ?", boolInt(*f.Ongoing))
	}
	if !f.From.IsZero() {
		add("start_at >= ?", f.From.UnixMilli())
	}
	if !f.To.IsZero() {
		add("start_at < ?", f.To.UnixMilli())
	}
	if q := strings.TrimSpace(f.Q); q != "" {
		add(fmt.Sprintf("(plate %[1]s ? OR message %[1]s ? OR rule %[1]s ?)", d.ILike()), "%"+q+"%")
	}
	return w.And(), w.Args()
}

func listAlarms(ctx context.Context, db *sqldb.DB, scope access.Scope, f AlarmFilter, each func(*Alarm) error) (int, error) {
	where, args := alarmWhere(db.Dialect(), scope, f)
	order, err := sqldb.OrderBy(f.Sort, alarmSort, "start_at DESC, id DESC")
	if err != nil {
		return 0, err
	}
	var total int
	if f.Limit > 0 {
		if err := db.Read().QueryRowContext(ctx, `SELECT COUNT(*) FROM monitor_alarms WHERE `+where, args...).Scan(&total); err != nil {
			return 0, fmt.Errorf("monitor: count alarms: %w", err)
		}
	}
	q := `SELECT ` + alarmCols + ` FROM monitor_alarms WHERE ` + where + ` ORDER BY ` + order
	if f.Limit > 0 {
		q += fmt.Sprintf(" LIMIT %d OFFSET %d", f.Limit, f.Offset)
	}
	rows, err := db.Read().QueryContext(ctx, q, args...)
	if err != nil {
		return 0, fmt.Errorf("monitor: list alarms: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		a, err := scanAlarm(rows)
		if err != nil {
			return 0, fmt.Errorf("monitor: list alarms: %w", err)
		}
		if err := each(a); err != nil {
			return 0, err
		}
	}
	return total, rows.Err()
}

// --- snapshot ---

const checkpointName = "positions"

func loadSnapshot(ctx context.Context, db *sqldb.DB) (map[int64]*vstate, uint64, error) {
	var seq int64
	err := db.Read().QueryRowContext(ctx, `SELECT seq FROM monitor_checkpoints WHERE name = $1`, checkpointName).Scan(&seq)
	if errors.Is(err, sql.ErrNoRows) {
		return map[int64]*vstate{}, 0, nil
	}
	if err != nil {
		return nil, 0, fmt.Errorf("monitor: load checkpoint: %w", err)
	}
	rows, err := db.Read().QueryContext(ctx, `SELECT state FROM monitor_vehicle_states`)
	if err != nil {
		return nil, 0, fmt.Errorf("monitor: load snapshot: %w", err)
	}
	defer rows.Close()
	out := map[int64]*vstate{}
	for rows.Next() {
		var s string
		if err := rows.Scan(&s); err != nil {
			return nil, 0, fmt.Errorf("monitor: load snapshot: %w", err)
		}
		st := &vstate{}
		if err := json.Unmarshal([]byte(s), st); err != nil {
			return nil, 0, fmt.Errorf("monitor: load snapshot: %w", err)
		}
		out[st.ID] = st
	}
	return out, uint64(seq), rows.Err()
}

func saveSnapshot(ctx context.Context, db *sqldb.DB, states map[int64][]byte, seq uint64) error {
	now := time.Now().UnixMilli()
	return db.InTx(ctx, func(tx *sqldb.Tx) error {
		for id, s := range states {
			if _, err := tx.ExecContext(ctx, `INSERT INTO monitor_vehicle_states (vehicle_id, state, updated_at) VALUES ($1, $2, $3)
				ON CONFLICT (vehicle_id) DO UPDATE SET state = excluded.state, updated_at = excluded.updated_at`, id, string(s), now); err != nil {
				return fmt.Errorf("monitor: save snapshot: %w", err)
			}
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO monitor_checkpoints (name, seq, taken_at) VALUES ($1, $2, $3)
			ON CONFLICT (name) DO UPDATE SET seq = excluded.seq, taken_at = excluded.taken_at`, checkpointName, int64(seq), now); err != nil {
			return fmt.Errorf("monitor: save checkpoint: %w", err)
		}
		return nil
	})
}
