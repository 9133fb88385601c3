package iam

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/jiaotong-platform/jiaotong/internal/platform/access"
	"github.com/jiaotong-platform/jiaotong/internal/platform/apperr"
	"github.com/jiaotong-platform/jiaotong/internal/platform/audit"
	"github.com/jiaotong-platform/jiaotong/internal/platform/sqldb"
)

// TokenPrefix starts every API token, so a leaked one is recognisable (and
// secret scanners can be taught to find it).
const TokenPrefix = "jt_"

// Token lifetimes.
const (
	DefaultTokenLifetime = 90 * 24 * time.Hour
	MaxTokenLifetime     = 366 * 24 * time.Hour
)

// Token is an API token for a machine acting as a user. The secret itself
// is shown once at creation; only its hash is kept.
type Token struct {
	ID         int64         `json:"id"`
	UserID     int64         `json:"user_id"`
	Name       string        `json:"name"`
	Prefix     string        `json:"prefix" doc:"First characters of the token, to recognise it"`
	Roles      []access.Role `json:"roles,omitempty" doc:"Roles the token is limited to; absent means all of the user's roles"`
	CreatedBy  int64         `json:"created_by"`
	CreatedAt  time.Time     `json:"created_at"`
	ExpiresAt  time.Time     `json:"expires_at"`
	LastUsedAt *time.Time    `json:"last_used_at,omitempty"`
	RevokedAt  *time.Time    `json:"revoked_at,omitempty"`
}

// TokenInput creates a token.
type TokenInput struct {
	Name      string        `json:"name" minLength:"1" maxLength:"64" doc:"What the token is for, e.g. 809 上级平台对接"`
	ExpiresAt *time.Time    `json:"expires_at,omitempty" doc:"Default 90 days from now, at most 366 days"`
	Roles     []access.Role `json:"roles,omitempty" doc:"Narrow the token to some of the user's roles"`
}

// NewToken is a just-created token with its secret.
type NewToken struct {
	Token
	Secret string `json:"token" doc:"The token, shown only now: send it as 'Authorization: Bearer jt_...'"`
}

const tokenColumns = `id, user_id, name, prefix, roles, created_by, created_at, expires_at, last_used_at, revoked_at`

func scanToken(row interface{ Scan(...any) error }) (Token, error) {
	var t Token
	var roles string
	var created, expires, used, revoked int64
	if err := row.Scan(&t.ID, &t.UserID, &t.Name, &t.Prefix, &roles, &t.CreatedBy, &created, &expires, &used, &revoked); err != nil {
		return Token{}, err
	}
	if roles != "" {
		t.Roles = splitRoles(roles)
	}
	t.CreatedAt, t.ExpiresAt = sqldb.FromMillis(created), sqldb.FromMillis(expires)
	if used != 0 {
		u := sqldb.FromMillis(used)
		t.LastUsedAt = &u
	}
	if revoked != 0 {
		r := sqldb.FromMillis(revoked)
		t.RevokedAt = &r
	}
	return t, nil
}

// tokenOwner returns the user whose tokens the caller wants to manage:
// itself (userID 0 or its own id), or, for an administrator, a user inside
// its scope.
func (s *Service) tokenOwner(ctx context.Context, userID int64) (*access.Principal, User, error) {
	p := access.From(ctx)
	if p == nil || p.UserID == 0 {
		return nil, User{}, fmt.Errorf("login required: %w", apperr.ErrUnauthorized)
	}
	if userID == 0 || userID == p.UserID {
		u, err := s.user(ctx, s.db.Read(), p.UserID)
		return p, u, err
	}
	if !p.Can(access.PermUsersManage) {
		return nil, User{}, apperr.Forbidden(fmt.Sprintf("permission %s required to manage another user's tokens", access.PermUsersManage))
	}
	u, err := s.visibleUser(ctx, s.db.Read(), p, userID)
	return p, u, err
}

// CreateToken creates an API token for userID (0 for the caller).
func (s *Service) CreateToken(ctx context.Context, userID int64, in TokenInput) (NewToken, error) {
	p, owner, err := s.tokenOwner(ctx, userID)
	if err != nil {
		return NewToken{}, fmt.Errorf("iam: create token: %w", err)
	}
	now := s.now()
	inv := &apperr.Invalid{}
	in.Name = strings.TrimSpace(in.Name)
	if in.Name == "" {
		inv.Add("name", "must not be empty", in.Name)
	}
	expires := now.Add(DefaultTokenLifetime)
	if in.ExpiresAt != nil {
		expires = *in.ExpiresAt
		switch {
		case !expires.After(now):
			inv.Add("expires_at", "must be in the future", expires)
		case expires.Sub(now) > MaxTokenLifetime:
			inv.Add("expires_at", "at most 366 days from now", expires)
		}
	}
	// A token can only narrow its owner's roles, never add to them.
	for i, r := range in.Roles {
		switch {
		case !r.Valid():
			inv.Add(fmt.Sprintf("roles[%d]", i), "unknown role", r)
		case !slices.Contains(owner.Roles, r):
			inv.Add(fmt.Sprintf("roles[%d]", i), "the token's user does not hold this role", r)
		}
	}
	if err := inv.Err(); err != nil {
		return NewToken{}, err
	}
	secret := TokenPrefix + randomToken()
	var out NewToken
	err = s.db.InTx(ctx, func(tx *sqldb.Tx) error {
		roles := ""
		if len(in.Roles) > 0 {
			roles = joinRoles(in.Roles)
		}
		var id int64
		if err := tx.QueryRowContext(ctx, `INSERT INTO api_tokens (user_id, name, prefix, token_hash, roles, created_by,
			created_at, expires_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id`,
			owner.ID, in.Name, secret[:len(TokenPrefix)+6], hashToken(secret), roles, p.UserID,
			sqldb.Millis(now), sqldb.Millis(expires)).Scan(&id); err != nil {
			return err
		}
		t, err := scanToken(tx.QueryRowContext(ctx, `SELECT `+tokenColumns+` FROM api_tokens WHERE id = $1`, id))
		if err != nil {
			return err
		}
		out = NewToken{Token: t, Secret: secret}
		return audit.Record(ctx, tx, audit.Change{Action: audit.ActionCreate, Entity: "api_token", EntityID: id,
			Region: owner.Scope.Region, OperatorID: owner.Scope.OperatorID,
			Summary: fmt.Sprintf("created API token %q for %s", in.Name, owner.Username), After: t})
	})
	if err != nil {
		return NewToken{}, fmt.Errorf("iam: create token: %w", sqldb.MapError(err))
	}
	return out, nil
}

// ListTokens lists the tokens of userID (0 for the caller), newest first,
// revoked and expired ones included.
func (s *Service) ListTokens(ctx context.Context, userID int64) ([]Token, error) {
	_, owner, err := s.tokenOwner(ctx, userID)
	if err != nil {
		return nil, fmt.Errorf("iam: list tokens: %w", err)
	}
	rows, err := s.db.Read().QueryContext(ctx, `SELECT `+tokenColumns+` FROM api_tokens WHERE user_id = $1 ORDER BY id DESC`, owner.ID)
	if err != nil {
		return nil, fmt.Errorf("iam: list tokens: %w", err)
	}
	defer rows.Close()
	out := []Token{}
	for rows.Next() {
		t, err := scanToken(rows)
		if err != nil {
			return nil, fmt.Errorf("iam: list tokens: %w", err)
		}
		out = append(out, t)
	}
	return out, rows.Err()
}

// RevokeToken stops a token from working. Its owner or an administrator
// over the owner may revoke it.
func (s *Service) RevokeToken(ctx context.Context, id int64) (Token, error) {
	var ownerID int64
	err := s.db.Read().QueryRowContext(ctx, `SELECT user_id FROM api_tokens WHERE id = $1`, id).Scan(&ownerID)
	if errors.Is(err, sql.ErrNoRows) {
		return Token{}, apperr.NotFound("API token", id)
	}
	if err != nil {
		return Token{}, fmt.Errorf("iam: revoke token %d: %w", id, err)
	}
	_, owner, err := s.tokenOwner(ctx, ownerID)
	if err != nil {
		if errors.Is(err, apperr.ErrForbidden) || errors.Is(err, apperr.ErrNotFound) {
			return Token{}, apperr.NotFound("API token", id)
		}
		return Token{}, fmt.Errorf("iam: revoke token %d: %w", id, err)
	}
	var out Token
	err = s.db.InTx(ctx, func(tx *sqldb.Tx) error {
		before, err := scanToken(tx.QueryRowContext(ctx, `SELECT `+tokenColumns+` FROM api_tokens WHERE id = $1`, id))
		if err != nil {
			return err
		}
		if before.RevokedAt != nil {
			out = before
			return nil
		}
		if _, err := tx.ExecContext(ctx, `UPDATE api_tokens SET revoked_at = $1 WHERE id = $2`, sqldb.Millis(s.now()), id); err != nil {
			return err
		}
		if out, err = scanToken(tx.QueryRowContext(ctx, `SELECT `+tokenColumns+` FROM api_tokens WHERE id = $1`, id)); err != nil {
			return err
		}
		return audit.Record(ctx, tx, audit.Change{Action: actionRevoke, Entity: "api_token", EntityID: id,
			Region: owner.Scope.Region, OperatorID: owner.Scope.OperatorID,
			Summary: fmt.Sprintf("revoked API token %q of %s", before.Name, owner.Username), Before: before, After: out})
	})
	if err != nil {
		return Token{}, fmt.Errorf("iam: revoke token %d: %w", id, sqldb.MapError(err))
	}
	return out, nil
}

var errBadToken = fmt.Errorf("invalid, expired or revoked API token: %w", apperr.ErrUnauthorized)

// tokenPrincipal resolves a bearer token into its principal: the owner's
// scope with the owner's roles, narrowed to the token's roles if it has any.
func (s *Service) tokenPrincipal(ctx context.Context, secret string) (*access.Principal, error) {
	if !strings.HasPrefix(secret, TokenPrefix) {
		return nil, errBadToken
	}
	var id, expires, revoked, used int64
	var tokenRoles string
	var r principalRow
	err := s.db.Read().QueryRowContext(ctx, `SELECT t.id, t.roles, t.expires_at, t.revoked_at, t.last_used_at,
		u.id, u.username, u.display_name, u.roles, u.scope_region, u.scope_operator_id, u.status
		FROM api_tokens t JOIN users u ON u.id = t.user_id WHERE t.token_hash = $1`, hashToken(secret)).Scan(
		&id, &tokenRoles, &expires, &revoked, &used,
		&r.userID, &r.username, &r.displayName, &r.roles, &r.region, &r.operator, &r.status)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, errBadToken
	}
	if err != nil {
		return nil, fmt.Errorf("iam: resolve token: %w", err)
	}
	now := sqldb.Millis(s.now())
	if revoked != 0 || now >= expires || r.status != StatusActive {
		return nil, errBadToken
	}
	if now-used >= touchEvery.Milliseconds() {
		if _, err := s.db.Write().ExecContext(ctx, `UPDATE api_tokens SET last_used_at = $1 WHERE id = $2`, now, id); err != nil {
			return nil, fmt.Errorf("iam: touch token: %w", err)
		}
	}
	p := r.principal(viaToken, clientFrom(ctx).addr)
	if tokenRoles != "" {
		narrowed := splitRoles(tokenRoles)
		p.Roles = slices.DeleteFunc(p.Roles, func(role access.Role) bool { return !slices.Contains(narrowed, role) })
	}
	return p, nil
}
