package monitor

// Platform checks (平台查岗): a regulator asks an enterprise's monitoring
// desk a question to verify that someone is on duty; the enterprise must
// answer within a time limit. JT/T 809 carries the same exchange between
// platforms (0x9301 → 0x1301); here the regulator and the enterprises work
// on the same platform.
//
// A check is pending until the enterprise answers. An answer within the
// limit is "answered", one after the limit but before the check expires is
// "late", and a check still pending when it expires is "missed" (the sweep
// marks it; it can no longer be answered). The response rate (平台查岗响应率)
// is the share of checks answered within the limit among the checks whose
// limit has passed or that were answered; see docs/monitoring-indicators.md.

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"strings"
	"time"

	"github.com/jiaotong-platform/jiaotong/internal/platform/access"
	"github.com/jiaotong-platform/jiaotong/internal/platform/apperr"
	"github.com/jiaotong-platform/jiaotong/internal/platform/audit"
	"github.com/jiaotong-platform/jiaotong/internal/platform/civil"
	"github.com/jiaotong-platform/jiaotong/internal/platform/region"
	"github.com/jiaotong-platform/jiaotong/internal/platform/sqldb"
	"github.com/jiaotong-platform/jiaotong/internal/registry"
)

// CheckConfig tunes platform checks. Zero fields take the defaults.
type CheckConfig struct {
	// Limit is the default answer time limit (10 minutes); a sender may
	// choose another per check.
	Limit time.Duration
	// ExpireAfter is how long after sending a late answer is still taken;
	// a check unanswered by then is missed (24 hours).
	ExpireAfter time.Duration
	// SweepEvery is the period of the sweep that marks expired checks
	// missed (30 seconds).
	SweepEvery time.Duration
}

func (c CheckConfig) withDefaults() CheckConfig {
	if c.Limit <= 0 {
		c.Limit = 10 * time.Minute
	}
	if c.ExpireAfter <= 0 {
		c.ExpireAfter = 24 * time.Hour
	}
	if c.ExpireAfter < c.Limit {
		c.ExpireAfter = c.Limit
	}
	if c.SweepEvery <= 0 {
		c.SweepEvery = 30 * time.Second
	}
	return c
}

// Directory is what checks and indicators need of the registry beyond
// Registry: the enterprises of a region and the registered fleet.
// *registry.Service implements it; calls are made with access.System.
type Directory interface {
	Operator(ctx context.Context, id int64) (*registry.Operator, error)
	Operators(ctx context.Context, f registry.Filter) ([]registry.Operator, int, error)
	Vehicles(ctx context.Context, f registry.Filter) ([]registry.Vehicle, int, error)
}

func (s *Service) directory() (Directory, error) {
	d, ok := s.reg.(Directory)
	if !ok {
		return nil, fmt.Errorf("monitor: the registry directory is not available: %w", apperr.ErrUnavailable)
	}
	return d, nil
}

// CheckStatus is where a platform check is.
type CheckStatus string

// Check states.
const (
	CheckPending  CheckStatus = "pending"  // 待应答
	CheckAnswered CheckStatus = "answered" // 按时应答
	CheckLate     CheckStatus = "late"     // 超时应答
	CheckMissed   CheckStatus = "missed"   // 未应答
)

// Label returns the state's Chinese name.
func (c CheckStatus) Label() string {
	switch c {
	case CheckPending:
		return "待应答"
	case CheckAnswered:
		return "按时应答"
	case CheckLate:
		return "超时应答"
	case CheckMissed:
		return "未应答"
	}
	return string(c)
}

// Event types of platform checks, published on <EventsPrefix>.check.
const (
	EventCheckSent     = "check.sent"
	EventCheckAnswered = "check.answered"
	EventCheckMissed   = "check.missed"
)

// Check is one enterprise's copy of a platform check.
type Check struct {
	ID           int64       `json:"id"`
	RequestID    int64       `json:"request_id" doc:"the send this check belongs to (a region-wide send addresses many enterprises)"`
	OperatorID   int64       `json:"operator_id"`
	OperatorName string      `json:"operator_name"`
	Region       string      `json:"region" doc:"the enterprise's region"`
	Question     string      `json:"question"`
	Status       CheckStatus `json:"status" enum:"pending,answered,late,missed"`
	StatusLabel  string      `json:"status_label"`
	Overdue      bool        `json:"overdue" doc:"pending and past its time limit: an answer now is late"`
	SentAt       time.Time   `json:"sent_at"`
	SentBy       string      `json:"sent_by"`
	DueAt        time.Time   `json:"due_at" doc:"answer by this time to answer in time"`
	ExpiresAt    time.Time   `json:"expires_at" doc:"unanswered by this time, the check is missed"`
	Answer       string      `json:"answer,omitempty"`
	AnsweredAt   *time.Time  `json:"answered_at,omitempty"`
	AnsweredBy   string      `json:"answered_by,omitempty"`
	ResponseS    *float64    `json:"response_s,omitempty" doc:"seconds from sending to answering"`
	MissedAt     *time.Time  `json:"missed_at,omitempty"`
}

// CheckSend is a regulator's check question, to one enterprise or to every
// active enterprise of a region.
type CheckSend struct {
	Question   string `json:"question" minLength:"1" maxLength:"500" doc:"e.g. 请报告当前值班人员姓名"`
	OperatorID int64  `json:"operator_id,omitempty" minimum:"0" doc:"the enterprise asked; or give region"`
	Region     string `json:"region,omitempty" maxLength:"6" doc:"ask every active enterprise of this region subtree"`
	LimitS     int    `json:"limit_s,omitempty" minimum:"0" maximum:"86400" doc:"answer time limit in seconds (default 600)"`
}

// CheckSent is the result of a send: the checks created.
type CheckSent struct {
	RequestID int64   `json:"request_id"`
	Checks    []Check `json:"checks"`
}

// SendCheck sends a check question to one enterprise or to every active
// enterprise of a region, within the caller's scope.
func (s *Service) SendCheck(ctx context.Context, in CheckSend) (*CheckSent, error) {
	p, err := access.Require(ctx, access.PermPlatformCheck)
	if err != nil {
		return nil, err
	}
	if p.Scope.OperatorID != 0 {
		return nil, apperr.Forbidden("platform checks are sent by authorities, not enterprises")
	}
	cfg := s.cfg.Checks.withDefaults()
	var inv apperr.Invalid
	in.Question = strings.TrimSpace(in.Question)
	if in.Question == "" {
		inv.Add("question", "is required", in.Question)
	}
	switch {
	case in.OperatorID == 0 && in.Region == "":
		inv.Add("operator_id", "give the enterprise asked, or a region", nil)
	case in.OperatorID != 0 && in.Region != "":
		inv.Add("region", "give either operator_id or region, not both", in.Region)
	case in.Region != "" && !region.Valid(in.Region):
		inv.Add("region", "unknown GB/T 2260 region code", in.Region)
	case in.Region != "" && !p.Scope.ContainsRegion(in.Region):
		inv.Add("region", "outside your data scope", in.Region)
	}
	limit := cfg.Limit
	if in.LimitS != 0 {
		if in.LimitS < 60 {
			inv.Add("limit_s", "must be at least 60 seconds", in.LimitS)
		}
		limit = time.Duration(in.LimitS) * time.Second
	}
	if err := inv.Err(); err != nil {
		return nil, err
	}
	dir, err := s.directory()
	if err != nil {
		return nil, err
	}
	sctx := access.With(ctx, access.System)
	var ops []registry.Operator
	if in.OperatorID != 0 {
		op, err := dir.Operator(sctx, in.OperatorID)
		if errors.Is(err, apperr.ErrNotFound) || (err == nil && !p.Scope.ContainsRegion(op.Region)) {
			return nil, apperr.Field("operator_id", "no such enterprise in your data scope", in.OperatorID)
		}
		if err != nil {
			return nil, fmt.Errorf("monitor: send check: %w", err)
		}
		if op.Status != "" && op.Status != registry.OperatorActive {
			return nil, apperr.Field("operator_id", "the enterprise is not active", in.OperatorID)
		}
		ops = append(ops, *op)
	} else {
		for off := 0; ; off += 1000 {
			page, total, err := dir.Operators(sctx, registry.Filter{Region: in.Region, Status: string(registry.OperatorActive), Sort: "id", Limit: 1000, Offset: off})
			if err != nil {
				return nil, fmt.Errorf("monitor: send check: list enterprises: %w", err)
			}
			ops = append(ops, page...)
			if len(page) == 0 || off+len(page) >= total {
				break
			}
		}
		if len(ops) == 0 {
			return nil, apperr.Field("region", "no active enterprise in this region", in.Region)
		}
	}

	out := &CheckSent{}
	err = s.db.InTx(ctx, func(tx *sqldb.Tx) error {
		now := s.now()
		ms := now.UnixMilli()
		due, expires := now.Add(limit).UnixMilli(), now.Add(max(cfg.ExpireAfter, limit)).UnixMilli()
		if err := tx.QueryRowContext(ctx, `INSERT INTO monitor_check_requests (question, region, operator_id, limit_s, sent_at, sent_by)
			VALUES ($1, $2, $3, $4, $5, $6) RETURNING id`, in.Question, in.Region, in.OperatorID, int(limit/time.Second), ms, p.Username).Scan(&out.RequestID); err != nil {
			return fmt.Errorf("monitor: send check: %w", err)
		}
		for i := range ops {
			op := &ops[i]
			var id int64
			if err := tx.QueryRowContext(ctx, `INSERT INTO monitor_checks (request_id, operator_id, operator_name, region, question, status,
				sent_at, sent_by, due_at, expires_at, updated_at) VALUES ($1, $2, $3, $4, $5, 'pending', $6, $7, $8, $9, $6) RETURNING id`,
				out.RequestID, op.ID, op.Name, op.Region, in.Question, ms, p.Username, due, expires).Scan(&id); err != nil {
				return fmt.Errorf("monitor: send check: %w", err)
			}
			c, err := getCheck(ctx, tx, id, ms)
			if err != nil {
				return err
			}
			if err := audit.Record(ctx, tx, audit.Change{Action: "send", Entity: "platform_check", EntityID: id, Region: c.Region,
				OperatorID: c.OperatorID, Summary: fmt.Sprintf("查岗 %s：%s", c.OperatorName, c.Question), After: c}); err != nil {
				return err
			}
			if err := s.enqueue(ctx, tx, checkEvent(EventCheckSent, c, now)); err != nil {
				return err
			}
			out.Checks = append(out.Checks, *c)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	s.notify()
	return out, nil
}

// AnswerCheck records the addressed enterprise's answer.
func (s *Service) AnswerCheck(ctx context.Context, id int64, answer string) (*Check, error) {
	p, err := access.Require(ctx, access.PermAlarmHandle)
	if err != nil {
		return nil, err
	}
	answer = strings.TrimSpace(answer)
	if answer == "" {
		return nil, apperr.Field("answer", "is required", answer)
	}
	var out *Check
	err = s.db.InTx(ctx, func(tx *sqldb.Tx) error {
		now := s.now()
		ms := now.UnixMilli()
		c, err := getCheck(ctx, tx, id, ms)
		if err != nil {
			return err
		}
		if !p.Scope.Allows(c.Region, c.OperatorID) {
			return apperr.NotFound("platform check", id)
		}
		if p.Scope.OperatorID != c.OperatorID {
			return apperr.Forbidden("only the enterprise asked can answer a platform check")
		}
		switch {
		case c.Status == CheckMissed || (c.Status == CheckPending && ms >= c.ExpiresAt.UnixMilli()):
			return apperr.Conflict("the check has expired unanswered")
		case c.Status != CheckPending:
			return apperr.Conflict("the check is already answered")
		}
		status := CheckAnswered
		if ms > c.DueAt.UnixMilli() {
			status = CheckLate
		}
		if _, err := tx.ExecContext(ctx, `UPDATE monitor_checks SET status = $1, answer = $2, answered_at = $3, answered_by = $4, updated_at = $3
			WHERE id = $5 AND status = 'pending'`, string(status), answer, ms, p.Username, id); err != nil {
			return fmt.Errorf("monitor: answer check: %w", err)
		}
		if out, err = getCheck(ctx, tx, id, ms); err != nil {
			return err
		}
		if err := audit.Record(ctx, tx, audit.Change{Action: "answer", Entity: "platform_check", EntityID: id, Region: c.Region,
			OperatorID: c.OperatorID, Summary: fmt.Sprintf("查岗应答（%s）：%s", status.Label(), answer), Before: c, After: out}); err != nil {
			return err
		}
		return s.enqueue(ctx, tx, checkEvent(EventCheckAnswered, out, now))
	})
	if err != nil {
		return nil, err
	}
	s.notify()
	return out, nil
}

// SweepChecks marks every pending check past its expiry as missed, with an
// audit entry and a check.missed event each; it returns how many. The
// background loop calls it every CheckConfig.SweepEvery.
func (s *Service) SweepChecks(ctx context.Context) (int, error) {
	ctx = access.With(ctx, access.System)
	now := s.now()
	ms := now.UnixMilli()
	rows, err := s.db.Read().QueryContext(ctx, `SELECT id FROM monitor_checks WHERE status = 'pending' AND expires_at <= $1 ORDER BY id LIMIT 1000`, ms)
	if err != nil {
		return 0, fmt.Errorf("monitor: sweep checks: %w", err)
	}
	var ids []int64
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			rows.Close()
			return 0, fmt.Errorf("monitor: sweep checks: %w", err)
		}
		ids = append(ids, id)
	}
	rows.Close()
	if err := rows.Err(); err != nil || len(ids) == 0 {
		return 0, err
	}
	n := 0
	err = s.db.InTx(ctx, func(tx *sqldb.Tx) error {
		n = 0
		for _, id := range ids {
			res, err := tx.ExecContext(ctx, `UPDATE monitor_checks SET status = 'missed', missed_at = expires_at, updated_at = $1
				WHERE id = $2 AND status = 'pending'`, ms, id)
			if err != nil {
				return fmt.Errorf("monitor: sweep checks: %w", err)
			}
			if k, _ := res.RowsAffected(); k == 0 {
				continue
			}
			c, err := getCheck(ctx, tx, id, ms)
			if err != nil {
				return err
			}
			if err := audit.Record(ctx, tx, audit.Change{Action: "miss", Entity: "platform_check", EntityID: id, Region: c.Region,
				OperatorID: c.OperatorID, Summary: fmt.Sprintf("查岗未应答：%s", c.OperatorName), After: c}); err != nil {
				return err
			}
			if err := s.enqueue(ctx, tx, checkEvent(EventCheckMissed, c, *c.MissedAt)); err != nil {
				return err
			}
			n++
		}
		return nil
	})
	if err != nil {
		return 0, err
	}
	if n > 0 {
		s.notify()
	}
	return n, nil
}

func checkEvent(typ string, c *Check, at time.Time) Event {
	return Event{Type: typ, At: at.UTC(), Region: c.Region, OperatorID: c.OperatorID, Data: c}
}

// Check returns one check in the caller's scope.
func (s *Service) Check(ctx context.Context, id int64) (*Check, error) {
	p, err := access.Require(ctx, access.PermMonitorRead)
	if err != nil {
		return nil, err
	}
	c, err := getCheck(ctx, s.db.Read(), id, s.now().UnixMilli())
	if err != nil {
		return nil, err
	}
	if !p.Scope.Allows(c.Region, c.OperatorID) {
		return nil, apperr.NotFound("platform check", id)
	}
	return c, nil
}

// CheckFilter selects checks; zero fields do not filter.
type CheckFilter struct {
	OperatorID int64
	Region     string // subtree
	RequestID  int64
	Status     string
	// Overdue selects pending checks past their limit (true) or within it
	// (false).
	Overdue  *bool
	From, To time.Time // sent time range [From, To)
	Sort     string
	Limit    int
	Offset   int
}

var checkSort = map[string]string{"id": "id", "sent_at": "sent_at", "due_at": "due_at", "status": "status",
	"operator_id": "operator_id", "region": "region", "answered_at": "answered_at"}

// Checks lists the checks in the caller's scope (an enterprise sees its
// own), newest first.
func (s *Service) Checks(ctx context.Context, f CheckFilter) ([]Check, int, error) {
	p, err := access.Require(ctx, access.PermMonitorRead)
	if err != nil {
		return nil, 0, err
	}
	now := s.now().UnixMilli()
	var where sqldb.Where
	add := where.Add
	where.Scope(p.Scope)
	where.Scope(access.Scope{Region: f.Region, OperatorID: f.OperatorID}) // the filters narrow the scope
	if f.RequestID != 0 {
		add("request_id = ?", f.RequestID)
	}
	if f.Status != "" {
		add("status = ?", f.Status)
	}
	if f.Overdue != nil {
		if *f.Overdue {
			add("status = 'pending' AND due_at < ?", now)
		} else {
			add("status = 'pending' AND due_at >= ?", now)
		}
	}
	if !f.From.IsZero() {
		add("sent_at >= ?", f.From.UnixMilli())
	}
	if !f.To.IsZero() {
		add("sent_at < ?", f.To.UnixMilli())
	}
	order, err := sqldb.OrderBy(f.Sort, checkSort, "sent_at DESC, id DESC")
	if err != nil {
		return nil, 0, err
	}
	w, args := where.And(), where.Args()
	var total int
	if err := s.db.Read().QueryRowContext(ctx, `SELECT COUNT(*) FROM monitor_checks WHERE `+w, args...).Scan(&total); err != nil {
		return nil, 0, fmt.Errorf("monitor: count checks: %w", err)
	}
	q := `SELECT ` + checkCols + ` FROM monitor_checks WHERE ` + w + ` ORDER BY ` + order
	if f.Limit > 0 {
		q += fmt.Sprintf(" LIMIT %d OFFSET %d", f.Limit, f.Offset)
	}
	rows, err := s.db.Read().QueryContext(ctx, q, args...)
	if err != nil {
		return nil, 0, fmt.Errorf("monitor: list checks: %w", err)
	}
	defer rows.Close()
	var out []Check
	for rows.Next() {
		c, err := scanCheck(rows, now)
		if err != nil {
			return nil, 0, fmt.Errorf("monitor: list checks: %w", err)
		}
		out = append(out, *c)
	}
	return out, total, rows.Err()
}

const checkCols = `id, request_id, operator_id, operator_name, region, question, status, sent_at, sent_by, due_at, expires_at,
	answer, answered_at, answered_by, missed_at`

func scanCheck(sc interface{ Scan(...any) error }, now int64) (*Check, error) {
	var c Check
	var sent, due, expires int64
	var answered, missed sql.NullInt64
	if err := sc.Scan(&c.ID, &c.RequestID, &c.OperatorID, &c.OperatorName, &c.Region, &c.Question, &c.Status, &sent, &c.SentBy,
		&due, &expires, &c.Answer, &answered, &c.AnsweredBy, &missed); err != nil {
		return nil, err
	}
	c.SentAt, c.DueAt, c.ExpiresAt = sqldb.FromMillis(sent), sqldb.FromMillis(due), sqldb.FromMillis(expires)
	c.StatusLabel = c.Status.Label()
	c.Overdue = c.Status == CheckPending && now > due
	if answered.Valid {
		t := sqldb.FromMillis(answered.Int64)
		r := float64(answered.Int64-sent) / 1000
		c.AnsweredAt, c.ResponseS = &t, &r
	}
	if missed.Valid {
		t := sqldb.FromMillis(missed.Int64)
		c.MissedAt = &t
	}
	return &c, nil
}

func getCheck(ctx context.Context, q sqldb.Querier, id, now int64) (*Check, error) {
	c, err := scanCheck(q.QueryRowContext(ctx, `SELECT `+checkCols+` FROM monitor_checks WHERE id = $1`, id), now)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, apperr.NotFound("platform check", id)
	}
	if err != nil {
		return nil, fmt.Errorf("monitor: get check: %w", err)
	}
	return c, nil
}

// CheckStats are the platform-check figures of one enterprise or region
// over a period (平台查岗响应率).
type CheckStats struct {
	Group        string   `json:"group" doc:"operator id or region code"`
	OperatorID   int64    `json:"operator_id,omitempty"`
	OperatorName string   `json:"operator_name,omitempty"`
	Region       string   `json:"region"`
	RegionName   string   `json:"region_name,omitempty"`
	Sent         int      `json:"sent"`
	Answered     int      `json:"answered" doc:"answered within the limit"`
	Late         int      `json:"late"`
	Missed       int      `json:"missed"`
	Pending      int      `json:"pending" doc:"not answered yet, expiry not reached"`
	Due          int      `json:"due" doc:"checks whose limit has passed or that were answered: the rate's denominator"`
	ResponseRate *float64 `json:"response_rate,omitempty" doc:"answered within the limit ÷ due (平台查岗响应率)"`
	AnswerRate   *float64 `json:"answer_rate,omitempty" doc:"answered at all (in time or late) ÷ due"`
	MeanResponse *float64 `json:"mean_response_s,omitempty" doc:"mean seconds from sending to answering, over answered and late checks"`
}

// CheckStatsFilter is the period and grouping of CheckStatistics.
type CheckStatsFilter struct {
	From, To   civil.Date // sent dates, inclusive (China Standard Time)
	Group      string     // operator or region
	Region     string
	OperatorID int64
}

// CheckStatistics returns response figures per enterprise or region for
// checks sent in the period, within the caller's scope.
func (s *Service) CheckStatistics(ctx context.Context, f CheckStatsFilter) ([]CheckStats, error) {
	p, err := access.Require(ctx, access.PermMonitorRead)
	if err != nil {
		return nil, err
	}
	if f.To.Before(f.From) {
		return nil, apperr.Field("to", "must not be before from", f.To)
	}
	now := s.now().UnixMilli()
	from := f.From.Time(s.cfg.Location).UnixMilli()
	to := f.To.AddDays(1).Time(s.cfg.Location).UnixMilli()
	var where sqldb.Where
	nowP := where.Bind(now)
	where.Add("sent_at >= ?", from)
	where.Add("sent_at < ?", to)
	where.Scope(p.Scope)
	where.Scope(access.Scope{Region: f.Region, OperatorID: f.OperatorID}) // the filters narrow the scope
	key := "operator_id, region"
	if f.Group == "region" {
		key = "region"
	}
	rows, err := s.db.Read().QueryContext(ctx, `SELECT `+key+`, MAX(operator_name), COUNT(*),
		SUM(CASE WHEN status = 'answered' THEN 1 ELSE 0 END),
		SUM(CASE WHEN status = 'late' THEN 1 ELSE 0 END),
		SUM(CASE WHEN status = 'missed' THEN 1 ELSE 0 END),
		SUM(CASE WHEN status = 'pending' THEN 1 ELSE 0 END),
		SUM(CASE WHEN status = 'pending' AND due_at >= `+nowP+` THEN 1 ELSE 0 END),
		SUM(CASE WHEN answered_at IS NOT NULL THEN answered_at - sent_at ELSE 0 END)
		FROM monitor_checks WHERE `+where.And()+` GROUP BY `+key+` ORDER BY `+key, where.Args()...)
	if err != nil {
		return nil, fmt.Errorf("monitor: check statistics: %w", err)
	}
	defer rows.Close()
	out := []CheckStats{}
	for rows.Next() {
		var c CheckStats
		var open int
		var respMs int64
		var name string
		dest := []any{&c.Region, &name, &c.Sent, &c.Answered, &c.Late, &c.Missed, &c.Pending, &open, &respMs}
		if f.Group != "region" {
			dest = append([]any{&c.OperatorID}, dest...)
		}
		if err := rows.Scan(dest...); err != nil {
			return nil, fmt.Errorf("monitor: check statistics: %w", err)
		}
		if f.Group == "region" {
			c.Group = c.Region
		} else {
			c.Group, c.OperatorName = strconv.FormatInt(c.OperatorID, 10), name
		}
		if r, ok := region.Lookup(c.Region); ok {
			c.RegionName = r.Name
		}
		c.Due = c.Sent - open
		c.ResponseRate = ratio(float64(c.Answered), float64(c.Due))
		c.AnswerRate = ratio(float64(c.Answered+c.Late), float64(c.Due))
		if n := c.Answered + c.Late; n > 0 {
			m := float64(respMs) / 1000 / float64(n)
			c.MeanResponse = &m
		}
		out = append(out, c)
	}
	return out, rows.Err()
}

// ratio returns num ÷ den, or nil when den is zero (no basis for a rate).
func ratio(num, den float64) *float64 {
	if den <= 0 {
		return nil
	}
	r := num / den
	return &r
}

// backgroundLoop runs the check sweep and the indicator roll-up until ctx
// ends.
func (s *Service) backgroundLoop(ctx context.Context) {
	cc := s.cfg.Checks.withDefaults()
	ic := s.cfg.Indicators.withDefaults()
	sweep := time.NewTicker(cc.SweepEvery)
	defer sweep.Stop()
	roll := time.NewTimer(time.Minute)
	defer roll.Stop()
	var lastFinal civil.Date
	for {
		select {
		case <-ctx.Done():
			return
		case <-sweep.C:
			if _, err := s.SweepChecks(ctx); err != nil && ctx.Err() == nil {
				s.logger.Warn("monitor: sweep checks", slog.Any("err", err))
			}
		case <-roll.C:
			today := civil.Of(s.now().In(s.cfg.Location))
			days := []civil.Date{today}
			if yesterday := today.AddDays(-1); lastFinal != yesterday {
				days = append(days, yesterday)
			}
			ok := true
			for _, d := range days {
				if _, err := s.RollupIndicators(ctx, d); err != nil {
					ok = false
					if ctx.Err() == nil {
						s.logger.Warn("monitor: indicator roll-up", slog.String("day", d.String()), slog.Any("err", err))
					}
				}
			}
			if ok {
				lastFinal = today.AddDays(-1)
			}
			roll.Reset(ic.RollupEvery)
		}
	}
}

var _ Directory = (*registry.Service)(nil)
