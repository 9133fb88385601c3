package monitor

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/jiaotong-platform/jiaotong/internal/platform/access"
	"github.com/jiaotong-platform/jiaotong/internal/platform/bus"
	"github.com/jiaotong-platform/jiaotong/internal/platform/sqldb"
)

// Event is the envelope published on EVENTS (see the event contract): the
// top-level fields let the live hub filter by scope, vehicle, viewport,
// severity and type; Data is the alarm (or vehicle state) as the API
// returns it.
type Event struct {
	Type       string    `json:"type"`
	At         time.Time `json:"at"`
	VehicleID  int64     `json:"vehicle_id"`
	Plate      string    `json:"plate"`
	Region     string    `json:"region"`
	OperatorID int64     `json:"operator_id"`
	Lat        *float64  `json:"lat,omitempty"`
	Lon        *float64  `json:"lon,omitempty"`
	Severity   Severity  `json:"severity,omitempty"`
	Data       any       `json:"data"`
}

// Event types.
const (
	EventAlarmRaised       = "alarm.raised"
	EventAlarmUpdated      = "alarm.updated"
	EventAlarmEnded        = "alarm.ended"
	EventAlarmAcknowledged = "alarm.acknowledged"
	EventAlarmHandled      = "alarm.handled"
	EventAlarmClosed       = "alarm.closed"
	EventVehicleState      = "vehicle.state"
)

// VehicleStateEvent is the data of a vehicle.state event.
type VehicleStateEvent struct {
	VehicleID int64  `json:"vehicle_id"`
	State     string `json:"state" enum:"online,offline,driving,parked"`
}

func alarmEvent(typ string, a *Alarm, at time.Time) Event {
	lat, lon := a.Lat, a.Lon
	ev := Event{Type: typ, At: at.UTC(), VehicleID: a.VehicleID, Plate: a.Plate, Region: a.Region, OperatorID: a.OperatorID,
		Severity: a.Severity, Data: a}
	if lat != 0 || lon != 0 {
		ev.Lat, ev.Lon = &lat, &lon
	}
	return ev
}

// Webhook is a configured receiver of alarm events (HTTP POST of the
// envelope, signed with HMAC-SHA256 of the body in X-Jiaotong-Signature).
type Webhook struct {
	ID          int64     `json:"id" readOnly:"true"`
	Name        string    `json:"name" minLength:"1" maxLength:"100"`
	URL         string    `json:"url" minLength:"8" maxLength:"500" pattern:"^https?://"`
	Secret      string    `json:"secret,omitempty" minLength:"16" maxLength:"200" writeOnly:"true" doc:"HMAC-SHA256 key; never returned"`
	Region      string    `json:"region,omitempty" maxLength:"6" doc:"only alarms of vehicles in this region subtree"`
	OperatorID  int64     `json:"operator_id,omitempty" minimum:"0" doc:"only alarms of this enterprise"`
	MinSeverity Severity  `json:"min_severity,omitempty" enum:"critical,major,minor,info"`
	EventTypes  []string  `json:"event_types" nullable:"false" doc:"event types delivered (\"alarm.*\", \"check.sent\", ...); empty: every alarm event"`
	Enabled     bool      `json:"enabled"`
	CreatedAt   time.Time `json:"created_at" readOnly:"true"`
}

func severityRank(s Severity) int {
	switch s {
	case SeverityCritical:
		return 3
	case SeverityMajor:
		return 2
	case SeverityMinor:
		return 1
	}
	return 0
}

func (w *Webhook) wants(ev *Event) bool {
	if !w.Enabled || !w.wantsType(ev.Type) {
		return false
	}
	if !(access.Scope{Region: w.Region, OperatorID: w.OperatorID}).Allows(ev.Region, ev.OperatorID) {
		return false
	}
	return !strings.HasPrefix(ev.Type, "alarm.") || severityRank(ev.Severity) >= severityRank(w.MinSeverity)
}

// SignatureHeader carries "sha256=<hex HMAC of the body>" on webhook posts.
const SignatureHeader = "X-Jiaotong-Signature"

// Sign returns the signature header value of body under secret.
func Sign(secret, body []byte) string {
	m := hmac.New(sha256.New, secret)
	m.Write(body)
	return "sha256=" + hex.EncodeToString(m.Sum(nil))
}

// enqueue writes an event to the outbox for the bus and every interested
// webhook, inside tx.
func (s *Service) enqueue(ctx context.Context, tx *sqldb.Tx, ev Event) error {
	payload, err := json.Marshal(ev)
	if err != nil {
		return fmt.Errorf("monitor: encode event: %w", err)
	}
	subject := s.cfg.EventsPrefix + ".vehicle"
	if strings.HasPrefix(ev.Type, "alarm.") {
		subject = s.cfg.EventsPrefix + ".alarm"
	} else if strings.HasPrefix(ev.Type, "check.") {
		subject = s.cfg.EventsPrefix + ".check"
	}
	now := s.now().UnixMilli()
	targets := []string{"bus"}
	s.hooksMu.RLock()
	for i := range s.webhooks {
		if s.webhooks[i].wants(&ev) {
			targets = append(targets, "webhook:"+strconv.FormatInt(s.webhooks[i].ID, 10))
		}
	}
	s.hooksMu.RUnlock()
	for _, t := range targets {
		if _, err := tx.ExecContext(ctx, `INSERT INTO monitor_outbox (target, event_type, subject, payload, attempts, next_at, created_at)
			VALUES ($1, $2, $3, $4, 0, $5, $6)`, t, ev.Type, subject, string(payload), now, now); err != nil {
			return fmt.Errorf("monitor: outbox: %w", err)
		}
	}
	return nil
}

func (s *Service) notify() {
	select {
	case s.wake <- struct{}{}:
	default:
	}
}

// store writes the engine's changes in one transaction: alarm rows by their
// natural key (so a replayed change is a no-op) and an outbox event for each
// change that really changed a row.
func (s *Service) store(ctx context.Context, changes []change) error {
	if len(changes) == 0 {
		return nil
	}
	// Coalesce updates: only the last update of an alarm in the batch.
	lastUpdate := map[string]int{}
	for i, c := range changes {
		if c.kind == changeUpdate {
			lastUpdate[strconv.FormatInt(c.vehicle, 10)+"|"+c.alarm.key()+"|"+strconv.FormatInt(c.alarm.Start, 10)] = i
		}
	}
	wrote := false
	err := s.db.InTx(ctx, func(tx *sqldb.Tx) error {
		wrote = false
		now := s.now().UnixMilli()
		for i := range changes {
			c := &changes[i]
			if c.kind == changeUpdate && lastUpdate[strconv.FormatInt(c.vehicle, 10)+"|"+c.alarm.key()+"|"+strconv.FormatInt(c.alarm.Start, 10)] != i {
				continue
			}
			ok, err := s.apply(ctx, tx, c, now)
			if err != nil {
				return err
			}
			wrote = wrote || ok
		}
		return nil
	})
	if err == nil && wrote {
		s.notify()
	}
	return err
}

func (s *Service) apply(ctx context.Context, tx *sqldb.Tx, c *change, now int64) (bool, error) {
	s.eng.mu.RLock()
	st := s.eng.vehicles[c.vehicle]
	var plate, region, category string
	var operator int64
	if st != nil {
		plate, region, category, operator = st.Plate, st.Region, st.Category, st.OperatorID
	}
	s.eng.mu.RUnlock()
	a := &c.alarm
	switch c.kind {
	case changeVehicle:
		ev := Event{Type: EventVehicleState, At: time.UnixMilli(c.at).UTC(), VehicleID: c.vehicle, Plate: plate, Region: region,
			OperatorID: operator, Data: VehicleStateEvent{VehicleID: c.vehicle, State: c.state}}
		return true, s.enqueue(ctx, tx, ev)
	case changeRaise:
		evidence, _ := json.Marshal(a.Evidence)
		var id int64
		err := tx.QueryRowContext(ctx, `INSERT INTO monitor_alarms (vehicle_id, plate, operator_id, region, category, rule, subject, severity,
			message, start_at, last_at, ongoing, lat, lon, limit_value, peak, unit, evidence, state, created_at, updated_at)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, 1, $12, $13, $14, $15, $16, $17, 'raised', $18, $18)
			ON CONFLICT (vehicle_id, rule, subject, start_at) DO NOTHING RETURNING id`,
			c.vehicle, plate, operator, region, category, string(a.Rule), a.Subject, string(a.Severity),
			describe(plate, a), a.Start, a.Last, a.Lat, a.Lon, a.Limit, a.Peak, a.Unit, string(evidence), now).Scan(&id)
		if errors.Is(err, sql.ErrNoRows) {
			return false, nil // replayed: raised before
		}
		if err != nil {
			return false, fmt.Errorf("monitor: raise alarm: %w", err)
		}
		rec, err := getAlarm(ctx, tx, id)
		if err != nil {
			return false, err
		}
		return true, s.enqueue(ctx, tx, alarmEvent(EventAlarmRaised, rec, time.UnixMilli(a.Start)))
	case changeUpdate:
		res, err := tx.ExecContext(ctx, `UPDATE monitor_alarms SET last_at = $1, peak = $2, message = $3, updated_at = $4
			WHERE vehicle_id = $5 AND rule = $6 AND subject = $7 AND start_at = $8 AND ongoing = 1 AND (peak < $2 OR last_at < $1)`,
			a.Last, a.Peak, describe(plate, a), now, c.vehicle, string(a.Rule), a.Subject, a.Start)
		if err != nil {
			return false, fmt.Errorf("monitor: update alarm: %w", err)
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return false, nil
		}
		rec, err := getAlarmByKey(ctx, tx, c.vehicle, a.Rule, a.Subject, a.Start)
		if err != nil {
			return false, err
		}
		return true, s.enqueue(ctx, tx, alarmEvent(EventAlarmUpdated, rec, time.UnixMilli(a.Last)))
	case changeEnd:
		res, err := tx.ExecContext(ctx, `UPDATE monitor_alarms SET ongoing = 0, end_at = $1, last_at = $2, peak = $3, message = $4, updated_at = $5
			WHERE vehicle_id = $6 AND rule = $7 AND subject = $8 AND start_at = $9 AND ongoing = 1`,
			c.end, max(a.Last, a.Start), a.Peak, describe(plate, a), now, c.vehicle, string(a.Rule), a.Subject, a.Start)
		if err != nil {
			return false, fmt.Errorf("monitor: end alarm: %w", err)
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return false, nil
		}
		rec, err := getAlarmByKey(ctx, tx, c.vehicle, a.Rule, a.Subject, a.Start)
		if err != nil {
			return false, err
		}
		return true, s.enqueue(ctx, tx, alarmEvent(EventAlarmEnded, rec, time.UnixMilli(c.end)))
	}
	return false, nil
}

// describe is the alarm's one-line Chinese message.
func describe(plate string, a *openAlarm) string {
	label := a.Rule.Label()
	switch a.Unit {
	case "km/h":
		if a.Limit > 0 {
			return fmt.Sprintf("%s %s：最高 %.1f km/h，限速 %.0f km/h", plate, label, a.Peak, a.Limit)
		}
		return fmt.Sprintf("%s %s：速度 %.1f km/h", plate, label, a.Peak)
	case "s":
		return fmt.Sprintf("%s %s：%s（限值 %s）", plate, label, humanDuration(a.Peak), humanDuration(a.Limit))
	case "m":
		return fmt.Sprintf("%s %s：最远 %.0f 米（允许 %.0f 米）", plate, label, a.Peak, a.Limit)
	}
	if a.Subject != "" {
		return fmt.Sprintf("%s %s（%s）", plate, label, a.Subject)
	}
	return plate + " " + label
}

func humanDuration(secs float64) string {
	d := time.Duration(secs) * time.Second
	h, m := int(d.Hours()), int(d.Minutes())%60
	if h > 0 {
		return fmt.Sprintf("%d小时%d分", h, m)
	}
	return fmt.Sprintf("%d分%d秒", m, int(d.Seconds())%60)
}

// --- outbox worker ---

type outboxRow struct {
	id       int64
	target   string
	subject  string
	payload  string
	attempts int
}

func (s *Service) outboxLoop(ctx context.Context) {
	client := &http.Client{Timeout: s.cfg.WebhookTimeout}
	t := time.NewTicker(s.cfg.OutboxPoll)
	defer t.Stop()
	for {
		for {
			n, err := s.deliverDue(ctx, client)
			if err != nil && ctx.Err() == nil {
				s.logger.Warn("monitor: outbox", slog.Any("err", err))
			}
			if n == 0 || err != nil {
				break
			}
		}
		select {
		case <-ctx.Done():
			return
		case <-s.wake:
		case <-t.C:
		}
	}
}

// deliverDue sends due outbox rows in order; bus rows are published in
// creation order so events of one alarm keep their order.
func (s *Service) deliverDue(ctx context.Context, client *http.Client) (int, error) {
	now := s.now().UnixMilli()
	rows, err := s.db.Read().QueryContext(ctx, `SELECT id, target, subject, payload, attempts FROM monitor_outbox
		WHERE failed = 0 AND next_at <= $1 ORDER BY id LIMIT 200`, now)
	if err != nil {
		return 0, err
	}
	var due []outboxRow
	for rows.Next() {
		var r outboxRow
		if err := rows.Scan(&r.id, &r.target, &r.subject, &r.payload, &r.attempts); err != nil {
			rows.Close()
			return 0, err
		}
		due = append(due, r)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return 0, err
	}
	busBlocked := false
	for _, r := range due {
		var derr error
		if r.target == "bus" {
			if busBlocked {
				continue
			}
			_, derr = s.bus.Publish(ctx, r.subject, []byte(r.payload), busMsgID(r.id))
			if derr != nil {
				busBlocked = true
			}
		} else {
			derr = s.postWebhook(ctx, client, r)
		}
		if derr == nil {
			if _, err := s.db.Write().ExecContext(ctx, `DELETE FROM monitor_outbox WHERE id = $1`, r.id); err != nil {
				return 0, err
			}
			continue
		}
		if ctx.Err() != nil {
			return 0, ctx.Err()
		}
		attempts := r.attempts + 1
		failed := r.target != "bus" && attempts >= s.cfg.WebhookMaxAttempts
		backoff := time.Second << min(attempts, 10)
		if _, err := s.db.Write().ExecContext(ctx, `UPDATE monitor_outbox SET attempts = $1, next_at = $2, last_error = $3, failed = $4 WHERE id = $5`,
			attempts, now+backoff.Milliseconds(), truncate(derr.Error(), 500), boolInt(failed), r.id); err != nil {
			return 0, err
		}
		s.logger.Warn("monitor: event delivery failed", slog.String("target", r.target), slog.Int("attempts", attempts),
			slog.Bool("gave_up", failed), slog.Any("err", derr))
	}
	return len(due), nil
}

// busMsgID lets JetStream drop a re-publication of the same outbox row (a
// crash between publishing and deleting the row).
func busMsgID(id int64) bus.PublishOption {
	return bus.MsgID("monitor-outbox-" + strconv.FormatInt(id, 10))
}

func (s *Service) postWebhook(ctx context.Context, client *http.Client, r outboxRow) error {
	id, err := strconv.ParseInt(strings.TrimPrefix(r.target, "webhook:"), 10, 64)
	if err != nil {
		return err
	}
	var hook *Webhook
	s.hooksMu.RLock()
	for i := range s.webhooks {
		if s.webhooks[i].ID == id {
			h := s.webhooks[i]
			hook = &h
		}
	}
	s.hooksMu.RUnlock()
	if hook == nil {
		return nil // webhook deleted: drop the delivery
	}
	body := []byte(r.payload)
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, hook.URL, bytes.NewReader(body))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set(SignatureHeader, Sign([]byte(hook.Secret), body))
	req.Header.Set("X-Jiaotong-Delivery", strconv.FormatInt(r.id, 10))
	res, err := client.Do(req)
	if err != nil {
		return err
	}
	defer res.Body.Close()
	_, _ = io.Copy(io.Discard, io.LimitReader(res.Body, 64<<10))
	if res.StatusCode/100 != 2 {
		return fmt.Errorf("webhook %s: HTTP %d", hook.Name, res.StatusCode)
	}
	return nil
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n]
}

// --- webhooks store ---

func (s *Service) reloadWebhooks(ctx context.Context) error {
	hooks, err := listWebhooks(ctx, s.db.Read())
	if err != nil {
		return err
	}
	s.hooksMu.Lock()
	s.webhooks = hooks
	s.hooksMu.Unlock()
	return nil
}

func listWebhooks(ctx context.Context, q sqldb.Querier) ([]Webhook, error) {
	rows, err := q.QueryContext(ctx, `SELECT id, name, url, secret, region, operator_id, min_severity, enabled, created_at, event_types FROM monitor_webhooks ORDER BY id`)
	if err != nil {
		return nil, fmt.Errorf("monitor: list webhooks: %w", err)
	}
	defer rows.Close()
	var out []Webhook
	for rows.Next() {
		var w Webhook
		var enabled int
		var created int64
		var types string
		if err := rows.Scan(&w.ID, &w.Name, &w.URL, &w.Secret, &w.Region, &w.OperatorID, &w.MinSeverity, &enabled, &created, &types); err != nil {
			return nil, fmt.Errorf("monitor: list webhooks: %w", err)
		}
		w.EventTypes = splitEventTypes(types)
		w.Enabled, w.CreatedAt = enabled != 0, sqldb.FromMillis(created)
		out = append(out, w)
	}
	return out, rows.Err()
}
