package monitor

// Webhook subscriptions: administrators choose the URL, the event types
// and the data scope of each receiver; the outbox worker (events.go)
// delivers. The signing secret is generated (or given) at creation and
// returned once; it is never shown again, only replaced.

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"net/url"
	"slices"
	"strings"

	"github.com/jiaotong-platform/jiaotong/internal/platform/access"
	"github.com/jiaotong-platform/jiaotong/internal/platform/apperr"
	"github.com/jiaotong-platform/jiaotong/internal/platform/audit"
	"github.com/jiaotong-platform/jiaotong/internal/platform/region"
	"github.com/jiaotong-platform/jiaotong/internal/platform/sqldb"
)

// WebhookEventTypes are the event types a webhook may subscribe to;
// "alarm.*" and "check.*" select a whole family.
var WebhookEventTypes = []string{EventAlarmRaised, EventAlarmUpdated, EventAlarmEnded, EventAlarmAcknowledged, EventAlarmHandled,
	EventAlarmClosed, EventVehicleState, EventCheckSent, EventCheckAnswered, EventCheckMissed, "alarm.*", "check.*"}

// wantsType reports whether the webhook subscribes to events of type typ;
// without event types it takes every alarm event (the original default).
func (w *Webhook) wantsType(typ string) bool {
	if len(w.EventTypes) == 0 {
		return strings.HasPrefix(typ, "alarm.")
	}
	for _, t := range w.EventTypes {
		if t == typ || (strings.HasSuffix(t, ".*") && strings.HasPrefix(typ, strings.TrimSuffix(t, "*"))) {
			return true
		}
	}
	return false
}

func splitEventTypes(s string) []string {
	if s == "" {
		return []string{}
	}
	return strings.Split(s, ",")
}

// WebhookFields are the editable fields of a webhook.
type WebhookFields struct {
	Name        string   `json:"name" minLength:"1" maxLength:"100"`
	URL         string   `json:"url" minLength:"8" maxLength:"500" doc:"http(s) URL that receives a POST of each event envelope"`
	Secret      string   `json:"secret,omitempty" maxLength:"200" doc:"HMAC-SHA256 key (at least 16 characters); generated when omitted on creation; on update, a new value replaces the old"`
	EventTypes  []string `json:"event_types,omitempty" uniqueItems:"true" doc:"event types delivered, e.g. alarm.* or check.sent; empty: every alarm event"`
	Region      string   `json:"region,omitempty" maxLength:"6" doc:"only events of this region subtree"`
	OperatorID  int64    `json:"operator_id,omitempty" minimum:"0" doc:"only events of this enterprise"`
	MinSeverity Severity `json:"min_severity,omitempty" enum:"critical,major,minor,info" doc:"alarm events below this severity are not delivered"`
	Enabled     *bool    `json:"enabled,omitempty" doc:"default true"`
}

// WebhookCreated is a new webhook with its secret, shown this once.
type WebhookCreated struct {
	Webhook
	Secret string `json:"secret" doc:"the signing secret; store it now, it is never shown again"`
}

func (in *WebhookFields) validate(p *access.Principal) error {
	var inv apperr.Invalid
	in.Name = strings.TrimSpace(in.Name)
	if in.Name == "" {
		inv.Add("name", "is required", in.Name)
	}
	if u, err := url.Parse(in.URL); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		inv.Add("url", "must be an absolute http or https URL", in.URL)
	}
	if in.Secret != "" && len(in.Secret) < 16 {
		inv.Add("secret", "must be at least 16 characters", nil)
	}
	for i, t := range in.EventTypes {
		if !slices.Contains(WebhookEventTypes, t) {
			inv.Add(fmt.Sprintf("event_types[%d]", i), "unknown event type (one of "+strings.Join(WebhookEventTypes, ", ")+")", t)
		}
	}
	if in.Region != "" && !region.Valid(in.Region) {
		inv.Add("region", "unknown GB/T 2260 region code", in.Region)
	}
	if p.Scope.OperatorID != 0 {
		in.OperatorID = p.Scope.OperatorID
	}
	if in.Region == "" && p.Scope.RegionPrefix() != "" {
		in.Region = p.Scope.Region
	}
	if in.Region != "" && !p.Scope.ContainsRegion(in.Region) {
		inv.Add("region", "outside your data scope", in.Region)
	}
	if in.MinSeverity == "" {
		in.MinSeverity = SeverityInfo
	}
	return inv.Err()
}

func (s *Service) webhookManager(ctx context.Context) (*access.Principal, error) {
	return access.Require(ctx, access.PermWebhooksManage)
}

// Webhooks lists the webhooks in the caller's scope (without secrets).
func (s *Service) Webhooks(ctx context.Context) ([]Webhook, error) {
	p, err := s.webhookManager(ctx)
	if err != nil {
		return nil, err
	}
	all, err := listWebhooks(ctx, s.db.Read())
	if err != nil {
		return nil, err
	}
	out := []Webhook{}
	for _, w := range all {
		if webhookInScope(p, &w) {
			w.Secret = ""
			out = append(out, w)
		}
	}
	return out, nil
}

func webhookInScope(p *access.Principal, w *Webhook) bool {
	return p.Scope.ContainsRegion(w.Region) && (p.Scope.OperatorID == 0 || p.Scope.OperatorID == w.OperatorID)
}

// WebhookByID returns one webhook in the caller's scope (without secret).
func (s *Service) WebhookByID(ctx context.Context, id int64) (*Webhook, error) {
	p, err := s.webhookManager(ctx)
	if err != nil {
		return nil, err
	}
	w, err := getWebhook(ctx, s.db.Read(), id)
	if err != nil {
		return nil, err
	}
	if !webhookInScope(p, w) {
		return nil, apperr.NotFound("webhook", id)
	}
	w.Secret = ""
	return w, nil
}

func getWebhook(ctx context.Context, q sqldb.Querier, id int64) (*Webhook, error) {
	var w Webhook
	var enabled int
	var created int64
	var types string
	err := q.QueryRowContext(ctx, `SELECT id, name, url, secret, region, operator_id, min_severity, enabled, created_at, event_types
		FROM monitor_webhooks WHERE id = $1`, id).Scan(&w.ID, &w.Name, &w.URL, &w.Secret, &w.Region, &w.OperatorID, &w.MinSeverity,
		&enabled, &created, &types)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, apperr.NotFound("webhook", id)
	}
	if err != nil {
		return nil, fmt.Errorf("monitor: get webhook: %w", err)
	}
	w.Enabled, w.CreatedAt, w.EventTypes = enabled != 0, sqldb.FromMillis(created), splitEventTypes(types)
	return &w, nil
}

func newSecret() string {
	b := make([]byte, 24)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// CreateWebhook adds a webhook and returns it with its secret.
func (s *Service) CreateWebhook(ctx context.Context, in WebhookFields) (*WebhookCreated, error) {
	p, err := s.webhookManager(ctx)
	if err != nil {
		return nil, err
	}
	if err := in.validate(p); err != nil {
		return nil, err
	}
	secret := in.Secret
	if secret == "" {
		secret = newSecret()
	}
	enabled := in.Enabled == nil || *in.Enabled
	var out *Webhook
	err = s.db.InTx(ctx, func(tx *sqldb.Tx) error {
		now := s.now().UnixMilli()
		var id int64
		if err := tx.QueryRowContext(ctx, `INSERT INTO monitor_webhooks (name, url, secret, region, operator_id, min_severity, enabled, created_at,
			event_types, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $8) RETURNING id`, in.Name, in.URL, secret, in.Region,
			in.OperatorID, string(in.MinSeverity), boolInt(enabled), now, strings.Join(in.EventTypes, ",")).Scan(&id); err != nil {
			return fmt.Errorf("monitor: create webhook: %w", err)
		}
		w, err := getWebhook(ctx, tx, id)
		if err != nil {
			return err
		}
		w.Secret = ""
		out = w
		return audit.Record(ctx, tx, audit.Change{Action: audit.ActionCreate, Entity: "webhook", EntityID: id, Region: w.Region,
			OperatorID: w.OperatorID, Summary: w.Name + " " + w.URL, After: w})
	})
	if err != nil {
		return nil, err
	}
	if err := s.reloadWebhooks(ctx); err != nil {
		return nil, err
	}
	return &WebhookCreated{Webhook: *out, Secret: secret}, nil
}

// UpdateWebhook replaces a webhook's fields; the secret changes only when
// the request carries one.
func (s *Service) UpdateWebhook(ctx context.Context, id int64, in WebhookFields) (*Webhook, error) {
	p, err := s.webhookManager(ctx)
	if err != nil {
		return nil, err
	}
	if err := in.validate(p); err != nil {
		return nil, err
	}
	var out *Webhook
	err = s.db.InTx(ctx, func(tx *sqldb.Tx) error {
		before, err := getWebhook(ctx, tx, id)
		if err != nil {
			return err
		}
		if !webhookInScope(p, before) {
			return apperr.NotFound("webhook", id)
		}
		secret := before.Secret
		if in.Secret != "" {
			secret = in.Secret
		}
		enabled := before.Enabled
		if in.Enabled != nil {
			enabled = *in.Enabled
		}
		if _, err := tx.ExecContext(ctx, `UPDATE monitor_webhooks SET name = $1, url = $2, secret = $3, region = $4, operator_id = $5,
			min_severity = $6, enabled = $7, event_types = $8, updated_at = $9 WHERE id = $10`, in.Name, in.URL, secret, in.Region, in.OperatorID,
			string(in.MinSeverity), boolInt(enabled), strings.Join(in.EventTypes, ","), s.now().UnixMilli(), id); err != nil {
			return fmt.Errorf("monitor: update webhook: %w", err)
		}
		if out, err = getWebhook(ctx, tx, id); err != nil {
			return err
		}
		rotated := out.Secret != before.Secret
		before.Secret, out.Secret = "", ""
		summary := out.Name + " " + out.URL
		if rotated {
			summary += " (secret replaced)"
		}
		return audit.Record(ctx, tx, audit.Change{Action: audit.ActionUpdate, Entity: "webhook", EntityID: id, Region: out.Region,
			OperatorID: out.OperatorID, Summary: summary, Before: before, After: out})
	})
	if err != nil {
		return nil, err
	}
	return out, s.reloadWebhooks(ctx)
}

// DeleteWebhook removes a webhook; its pending deliveries are dropped.
func (s *Service) DeleteWebhook(ctx context.Context, id int64) error {
	p, err := s.webhookManager(ctx)
	if err != nil {
		return err
	}
	err = s.db.InTx(ctx, func(tx *sqldb.Tx) error {
		before, err := getWebhook(ctx, tx, id)
		if err != nil {
			return err
		}
		if !webhookInScope(p, before) {
			return apperr.NotFound("webhook", id)
		}
		if _, err := tx.ExecContext(ctx, `DELETE FROM monitor_webhooks WHERE id = $1`, id); err != nil {
			return fmt.Errorf("monitor: delete webhook: %w", err)
		}
		if _, err := tx.ExecContext(ctx, `DELETE FROM monitor_outbox WHERE target = $1`, fmt.Sprintf("webhook:%d", id)); err != nil {
			return fmt.Errorf("monitor: delete webhook: %w", err)
		}
		before.Secret = ""
		return audit.Record(ctx, tx, audit.Change{Action: audit.ActionDelete, Entity: "webhook", EntityID: id, Region: before.Region,
			OperatorID: before.OperatorID, Summary: before.Name + " " + before.URL, Before: before})
	})
	if err != nil {
		return err
	}
	return s.reloadWebhooks(ctx)
}
