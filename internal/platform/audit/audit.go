// Package audit is the platform's append-only record of every change: who,
// when, from where, what, and the record before and after. Modules write an
// entry inside the same transaction as the change itself, so a change without
// its audit entry (or the reverse) cannot exist.
package audit

import (
	"context"
	"embed"
	"encoding/json"
	"fmt"
	"strconv"
	"time"

	"github.com/jiaotong-platform/jiaotong/internal/platform/access"
	"github.com/jiaotong-platform/jiaotong/internal/platform/sqldb"
)

//go:embed migrations
var migrations embed.FS

// Module is the audit log's schema, migrated at start-up with the others.
func Module() sqldb.Module {
	return sqldb.NewModule("audit", migrations)
}

// Actions recorded by the registry and the other modules.
const (
	ActionCreate = "create"
	ActionUpdate = "update"
	ActionDelete = "delete"
	ActionImport = "import"
	ActionLogin  = "login"
	ActionLogout = "logout"
)

// Entry is one audited change.
type Entry struct {
	ID         int64           `json:"id"`
	At         time.Time       `json:"at"`
	UserID     int64           `json:"user_id"`
	Username   string          `json:"username"`
	Via        string          `json:"via"`
	RemoteAddr string          `json:"remote_addr"`
	Action     string          `json:"action"`
	Entity     string          `json:"entity"`
	EntityID   string          `json:"entity_id"`
	Region     string          `json:"region,omitempty"`
	OperatorID int64           `json:"operator_id,omitempty"`
	Summary    string          `json:"summary,omitempty"`
	Before     json.RawMessage `json:"before,omitempty"`
	After      json.RawMessage `json:"after,omitempty"`
}

// Change describes what a module changed; Record fills in who and when.
type Change struct {
	Action     string
	Entity     string // e.g. "vehicle"
	EntityID   any    // the record's id
	Region     string // GB/T 2260 code of the record, for scoped queries
	OperatorID int64
	Summary    string
	Before     any // the record before the change (nil on create)
	After      any // the record after the change (nil on delete)
}

// Record appends a change made by the principal in ctx (the system when there
// is none) through q, which should be the transaction that made the change.
func Record(ctx context.Context, q sqldb.Querier, c Change) error {
	p := access.From(ctx)
	if p == nil {
		p = access.System
	}
	before, err := marshal(c.Before)
	if err != nil {
		return fmt.Errorf("audit: record %s %s: %w", c.Action, c.Entity, err)
	}
	after, err := marshal(c.After)
	if err != nil {
		return fmt.Errorf("audit: record %s %s: %w", c.Action, c.Entity, err)
	}
	_, err = q.ExecContext(ctx, `INSERT INTO audit_log
		(at, user_id, username, via, remote_addr, action, entity, entity_id, region, operator_id, summary, before_json, after_json)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)`,
		time.Now().UnixMilli(), p.UserID, p.Username, p.Via, p.RemoteAddr, c.Action, c.Entity,
		idString(c.EntityID), c.Region, c.OperatorID, c.Summary, before, after)
	if err != nil {
		return fmt.Errorf("audit: record %s %s: %w", c.Action, c.Entity, err)
	}
	return nil
}

func idString(id any) string {
	switch v := id.(type) {
	case nil:
		return ""
	case int64:
		return strconv.FormatInt(v, 10)
	case string:
		return v
	}
	return fmt.Sprint(id)
}

func marshal(v any) (any, error) {
	if v == nil {
		return nil, nil
	}
	b, err := json.Marshal(v)
	if err != nil {
		return nil, err
	}
	return string(b), nil
}

// Filter selects entries; zero fields do not filter.
type Filter struct {
	Entity   string
	EntityID string
	UserID   int64
	Action   string
	From, To time.Time // [From, To)
	Scope    access.Scope
	Query    string // substring of username or summary
	Limit    int    // default 50, at most 10,000
	Offset   int
}

// List returns entries matching f, newest first, and the total count.
func List(ctx context.Context, db *sqldb.DB, f Filter) ([]Entry, int, error) {
	var where sqldb.Where
	add := where.Add
	if f.Entity != "" {
		add("entity = ?", f.Entity)
	}
	if f.EntityID != "" {
		add("entity_id = ?", f.EntityID)
	}
	if f.UserID != 0 {
		add("user_id = ?", f.UserID)
	}
	if f.Action != "" {
		add("action = ?", f.Action)
	}
	if !f.From.IsZero() {
		add("at >= ?", f.From.UnixMilli())
	}
	if !f.To.IsZero() {
		add("at < ?", f.To.UnixMilli())
	}
	where.Scope(f.Scope)
	if f.Query != "" {
		add("(username "+db.Dialect().ILike()+" ? OR summary "+db.Dialect().ILike()+" ?)", "%"+f.Query+"%")
	}
	cond, args := where.Clause(), where.Args()
	var total int
	if err := db.Read().QueryRowContext(ctx, "SELECT COUNT(*) FROM audit_log"+cond, args...).Scan(&total); err != nil {
		return nil, 0, fmt.Errorf("audit: count: %w", err)
	}
	limit := f.Limit
	if limit <= 0 {
		limit = 50
	}
	limit = min(limit, 10000)
	q := fmt.Sprintf(`SELECT id, at, user_id, username, via, remote_addr, action, entity, entity_id, region,
		operator_id, summary, before_json, after_json FROM audit_log%s ORDER BY id DESC LIMIT %d OFFSET %d`,
		cond, limit, max(f.Offset, 0))
	rows, err := db.Read().QueryContext(ctx, q, args...)
	if err != nil {
		return nil, 0, fmt.Errorf("audit: list: %w", err)
	}
	defer rows.Close()
	var out []Entry
	for rows.Next() {
		var e Entry
		var at int64
		var before, after *string
		if err := rows.Scan(&e.ID, &at, &e.UserID, &e.Username, &e.Via, &e.RemoteAddr, &e.Action, &e.Entity,
			&e.EntityID, &e.Region, &e.OperatorID, &e.Summary, &before, &after); err != nil {
			return nil, 0, fmt.Errorf("audit: list: %w", err)
		}
		e.At = sqldb.FromMillis(at)
		if before != nil {
			e.Before = json.RawMessage(*before)
		}
		if after != nil {
			e.After = json.RawMessage(*after)
		}
		out = append(out, e)
	}
	return out, total, rows.Err()
}
