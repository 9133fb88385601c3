package iam

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"database/sql"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"time"

	"github.com/jiaotong-platform/jiaotong/internal/platform/access"
	"github.com/jiaotong-platform/jiaotong/internal/platform/apperr"
	"github.com/jiaotong-platform/jiaotong/internal/platform/audit"
	"github.com/jiaotong-platform/jiaotong/internal/platform/sqldb"
)

// CookieName is the console session cookie.
const CookieName = "jiaotong_session"

// CSRFHeader carries the session's CSRF token on every unsafe request made
// with the session cookie.
const CSRFHeader = "X-CSRF-Token"

// Principal.Via values set by iam.
const (
	viaSession = "session"
	viaToken   = "token"
)

// Audit actions of authentication events beside audit.ActionLogin/Logout.
const (
	actionLoginFailed = "login_failed"
	actionPassword    = "password"
	actionRevoke      = "revoke"
)

// touchEvery limits how often a session's or token's last use is written:
// sliding expiry needs minutes, not a write per request.
const touchEvery = time.Minute

// randomToken returns 256 random bits, base64url-encoded.
func randomToken() string {
	var b [32]byte
	if _, err := rand.Read(b[:]); err != nil {
		panic("iam: crypto/rand failed: " + err.Error())
	}
	return base64.RawURLEncoding.EncodeToString(b[:])
}

// hashToken is what the database keeps of a session or API token: a stolen
// copy of the table does not let anyone in.
func hashToken(token string) string {
	sum := sha256.Sum256([]byte(token))
	return hex.EncodeToString(sum[:])
}

// session is a resolved console session, kept in the request context.
type session struct {
	id        int64
	csrf      string
	expiresAt time.Time
}

type sessionKey struct{}

func sessionFrom(ctx context.Context) *session {
	s, _ := ctx.Value(sessionKey{}).(*session)
	return s
}

// client describes where a request came from, put in the context by the
// middleware for login throttling, cookies and the audit log.
type client struct {
	addr      string
	tls       bool
	userAgent string
}

type clientKey struct{}

func clientFrom(ctx context.Context) client {
	c, _ := ctx.Value(clientKey{}).(client)
	return c
}

// WithClient returns ctx carrying the client's address, for callers that log
// in without going through the middleware (tests, other transports).
func WithClient(ctx context.Context, addr string, tls bool) context.Context {
	return context.WithValue(ctx, clientKey{}, client{addr: addr, tls: tls})
}

// LoginResult is a new console session. Token is the cookie value; it is
// never stored, only its hash.
type LoginResult struct {
	Token     string
	CSRFToken string
	ExpiresAt time.Time
	User      User
}

var errBadCredentials = newStatusError(http.StatusUnauthorized, "用户名或密码错误 (wrong username or password)", 0)

// Login checks a username and password and opens a session. Unknown
// usernames and wrong passwords fail alike; failures count towards the
// username's lock-out and the client address's rate limit, and are audited.
func (s *Service) Login(ctx context.Context, username, password string) (*LoginResult, error) {
	now := s.now()
	c := clientFrom(ctx)
	uname := normalizeUsername(username)
	if len(uname) > 64 {
		uname = uname[:64]
	}
	if c.addr != "" {
		if wait, err := s.ipBlocked(ctx, c.addr, now); err != nil {
			return nil, fmt.Errorf("iam: login: %w", err)
		} else if wait > 0 {
			return nil, newStatusError(http.StatusTooManyRequests,
				fmt.Sprintf("来自此地址的登录失败次数过多，请 %s 后再试 (too many failed logins from this address)", minutes(wait)), wait)
		}
	}
	var u struct {
		id           int64
		hash, status string
		region       string
		operator     int64
	}
	err := s.db.Read().QueryRowContext(ctx, `SELECT id, password_hash, status, scope_region, scope_operator_id
		FROM users WHERE username = $1`, uname).Scan(&u.id, &u.hash, &u.status, &u.region, &u.operator)
	if err != nil && !errors.Is(err, sql.ErrNoRows) {
		return nil, fmt.Errorf("iam: login: %w", err)
	}
	actor := &access.Principal{UserID: u.id, Username: uname, Via: viaSession, RemoteAddr: c.addr}
	actx := access.With(ctx, actor)
	// failed audits a refused login in one transaction with its counters:
	// a wrong password counts against the username and the address, a
	// login refused for a locked username against the address only.
	failed := func(summary string, countUser, countIP bool, answer error) (*LoginResult, error) {
		var lockedNow bool
		err := s.db.InTx(actx, func(tx *sqldb.Tx) error {
			if countUser {
				var err error
				if lockedNow, err = s.countFailure(actx, tx, uname, now); err != nil {
					return err
				}
			}
			if countIP && c.addr != "" {
				if err := s.countIPFailure(actx, tx, c.addr, now); err != nil {
					return err
				}
			}
			return audit.Record(actx, tx, audit.Change{Action: actionLoginFailed, Entity: "user", EntityID: u.id,
				Region: u.region, OperatorID: u.operator, Summary: summary})
		})
		if err != nil {
			return nil, fmt.Errorf("iam: login: %w", err)
		}
		if lockedNow {
			s.logger.Warn("username locked after failed logins", slog.String("username", uname), slog.String("remote", c.addr))
			return nil, s.lockedError(s.cfg.LockoutDuration)
		}
		return nil, answer
	}

	if until, err := s.lockedUntil(ctx, uname); err != nil {
		return nil, fmt.Errorf("iam: login: %w", err)
	} else if until.After(now) {
		// No password check while locked: guessing gains nothing. The
		// attempt still counts against the address.
		return failed("login refused: username locked after failed logins", false, true, s.lockedError(until.Sub(now)))
	}

	if u.id == 0 {
		verifyPassword(password, s.dummyHash, s.cfg.Password) // same cost as a real check
		return failed("login failed: wrong username or password", true, true, errBadCredentials)
	}
	ok, rehash := verifyPassword(password, u.hash, s.cfg.Password)
	if !ok {
		return failed("login failed: wrong username or password", true, true, errBadCredentials)
	}
	switch u.status {
	case StatusDisabled:
		return failed("login refused: account disabled", false, false,
			newStatusError(http.StatusForbidden, "账户已停用，请联系管理员 (account disabled)", 0))
	case StatusLocked:
		return failed("login refused: account locked by an administrator", false, false,
			newStatusError(http.StatusLocked, "账户已被管理员锁定，请联系管理员 (account locked by an administrator)", 0))
	}

	res := &LoginResult{Token: randomToken(), CSRFToken: randomToken(), ExpiresAt: now.Add(s.cfg.SessionLifetime)}
	var newHash string
	if rehash {
		if newHash, err = hashPassword(password, s.cfg.Password); err != nil {
			return nil, err
		}
	}
	err = s.db.InTx(actx, func(tx *sqldb.Tx) error {
		ms := sqldb.Millis(now)
		if _, err := tx.ExecContext(ctx, `DELETE FROM login_throttle WHERE kind = 'user' AND subject = $1`, uname); err != nil {
			return err
		}
		if newHash != "" {
			if _, err := tx.ExecContext(ctx, `UPDATE users SET password_hash = $1 WHERE id = $2`, newHash, u.id); err != nil {
				return err
			}
		}
		if _, err := tx.ExecContext(ctx, `UPDATE users SET last_login_at = $1 WHERE id = $2`, ms, u.id); err != nil {
			return err
		}
		// Sweep sessions that can no longer be used and counters that no
		// longer matter (address windows that have passed; usernames whose
		// first failure is a day old and that are not locked), so both
		// tables stay small.
		if _, err := tx.ExecContext(ctx, `DELETE FROM sessions WHERE expires_at <= $1 OR last_seen_at <= $2`,
			ms, ms-s.cfg.SessionIdle.Milliseconds()); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `DELETE FROM login_throttle WHERE (kind = 'ip' AND window_start <= $1)
			OR (kind = 'user' AND locked_until <= $2 AND window_start <= $3)`,
			ms-s.cfg.IPFailureWindow.Milliseconds(), ms, ms-(24*time.Hour).Milliseconds()); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO sessions (token_hash, user_id, csrf_token, created_at, last_seen_at,
			expires_at, remote_addr, user_agent) VALUES ($1, $2, $3, $4, $4, $5, $6, $7)`,
			hashToken(res.Token), u.id, res.CSRFToken, ms, sqldb.Millis(res.ExpiresAt), c.addr, truncate(c.userAgent, 256)); err != nil {
			return err
		}
		var err error
		if res.User, err = s.user(ctx, tx, u.id); err != nil {
			return err
		}
		return audit.Record(actx, tx, audit.Change{Action: audit.ActionLogin, Entity: "user", EntityID: u.id,
			Region: u.region, OperatorID: u.operator, Summary: "logged in"})
	})
	if err != nil {
		return nil, fmt.Errorf("iam: login: %w", err)
	}
	return res, nil
}

func truncate(s string, n int) string {
	if len(s) > n {
		return s[:n]
	}
	return s
}

func (s *Service) lockedError(wait time.Duration) error {
	return newStatusError(http.StatusLocked, fmt.Sprintf("连续 %d 次登录失败，账户已临时锁定，请 %s 后再试 (account locked after repeated failed logins)",
		s.cfg.LockoutThreshold, minutes(wait)), wait)
}

// ipBlocked returns how long the client address must wait, 0 when it may try.
func (s *Service) ipBlocked(ctx context.Context, addr string, now time.Time) (time.Duration, error) {
	var failures int
	var start int64
	err := s.db.Read().QueryRowContext(ctx, `SELECT failures, window_start FROM login_throttle
		WHERE kind = 'ip' AND subject = $1`, addr).Scan(&failures, &start)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, nil
	}
	if err != nil {
		return 0, err
	}
	end := sqldb.FromMillis(start).Add(s.cfg.IPFailureWindow)
	if failures >= s.cfg.IPFailureLimit && end.After(now) {
		return end.Sub(now), nil
	}
	return 0, nil
}

func (s *Service) lockedUntil(ctx context.Context, uname string) (time.Time, error) {
	var until int64
	err := s.db.Read().QueryRowContext(ctx, `SELECT locked_until FROM login_throttle
		WHERE kind = 'user' AND subject = $1`, uname).Scan(&until)
	if errors.Is(err, sql.ErrNoRows) {
		return time.Time{}, nil
	}
	return sqldb.FromMillis(until), err
}

// countFailure adds a failed login to the username's consecutive failures
// and locks the username when it reaches the
// threshold. It reports whether this failure locked it.
func (s *Service) countFailure(ctx context.Context, tx *sqldb.Tx, uname string, now time.Time) (bool, error) {
	ms := sqldb.Millis(now)
	var failures int
	err := tx.QueryRowContext(ctx, `INSERT INTO login_throttle (kind, subject, failures, window_start, locked_until)
		VALUES ('user', $1, 1, $2, 0)
		ON CONFLICT (kind, subject) DO UPDATE SET failures = login_throttle.failures + 1,
			window_start = CASE WHEN login_throttle.failures = 0 THEN $2 ELSE login_throttle.window_start END
		RETURNING failures`, uname, ms).Scan(&failures)
	if err != nil {
		return false, err
	}
	locked := failures >= s.cfg.LockoutThreshold
	if locked {
		if _, err := tx.ExecContext(ctx, `UPDATE login_throttle SET failures = 0, locked_until = $1
			WHERE kind = 'user' AND subject = $2`, sqldb.Millis(now.Add(s.cfg.LockoutDuration)), uname); err != nil {
			return false, err
		}
	}
	return locked, nil
}

func (s *Service) countIPFailure(ctx context.Context, tx *sqldb.Tx, addr string, now time.Time) error {
	ms := sqldb.Millis(now)
	_, err := tx.ExecContext(ctx, `INSERT INTO login_throttle (kind, subject, failures, window_start, locked_until)
		VALUES ('ip', $1, 1, $2, 0)
		ON CONFLICT (kind, subject) DO UPDATE SET
			failures = CASE WHEN login_throttle.window_start <= $3 THEN 1 ELSE login_throttle.failures + 1 END,
			window_start = CASE WHEN login_throttle.window_start <= $3 THEN $2 ELSE login_throttle.window_start END`,
		addr, ms, ms-s.cfg.IPFailureWindow.Milliseconds())
	return err
}

// Logout ends the session in ctx, if any.
func (s *Service) Logout(ctx context.Context) error {
	sess := sessionFrom(ctx)
	p := access.From(ctx)
	if sess == nil || p == nil {
		return nil
	}
	err := s.db.InTx(ctx, func(tx *sqldb.Tx) error {
		if _, err := tx.ExecContext(ctx, `DELETE FROM sessions WHERE id = $1`, sess.id); err != nil {
			return err
		}
		return audit.Record(ctx, tx, audit.Change{Action: audit.ActionLogout, Entity: "user", EntityID: p.UserID,
			Region: p.Scope.Region, OperatorID: p.Scope.OperatorID, Summary: "logged out"})
	})
	if err != nil {
		return fmt.Errorf("iam: logout: %w", err)
	}
	return nil
}

// principalRow is the user part of a session or token lookup.
type principalRow struct {
	userID      int64
	username    string
	displayName string
	roles       string
	region      string
	operator    int64
	status      string
}

func (r principalRow) principal(via, addr string) *access.Principal {
	return &access.Principal{UserID: r.userID, Username: r.username, Name: r.displayName, Roles: splitRoles(r.roles),
		Scope: access.Scope{Region: r.region, OperatorID: r.operator}, Via: via, RemoteAddr: addr}
}

// sessionPrincipal resolves a session cookie value. It returns nil, nil
// when the session is unknown, expired, idle for too long or its user can
// no longer log in; otherwise it slides the idle expiry.
func (s *Service) sessionPrincipal(ctx context.Context, token string) (*access.Principal, *session, error) {
	var sess session
	var lastSeen, expires int64
	var r principalRow
	err := s.db.Read().QueryRowContext(ctx, `SELECT s.id, s.csrf_token, s.last_seen_at, s.expires_at,
		u.id, u.username, u.display_name, u.roles, u.scope_region, u.scope_operator_id, u.status
		FROM sessions s JOIN users u ON u.id = s.user_id WHERE s.token_hash = $1`, hashToken(token)).Scan(
		&sess.id, &sess.csrf, &lastSeen, &expires,
		&r.userID, &r.username, &r.displayName, &r.roles, &r.region, &r.operator, &r.status)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, nil, nil
	}
	if err != nil {
		return nil, nil, fmt.Errorf("iam: resolve session: %w", err)
	}
	now := sqldb.Millis(s.now())
	if now >= expires || now >= lastSeen+s.cfg.SessionIdle.Milliseconds() || r.status != StatusActive {
		if _, err := s.db.Write().ExecContext(ctx, `DELETE FROM sessions WHERE id = $1`, sess.id); err != nil {
			return nil, nil, fmt.Errorf("iam: end expired session: %w", err)
		}
		return nil, nil, nil
	}
	if now-lastSeen >= touchEvery.Milliseconds() {
		if _, err := s.db.Write().ExecContext(ctx, `UPDATE sessions SET last_seen_at = $1 WHERE id = $2`, now, sess.id); err != nil {
			return nil, nil, fmt.Errorf("iam: touch session: %w", err)
		}
	}
	sess.expiresAt = sqldb.FromMillis(expires)
	return r.principal(viaSession, clientFrom(ctx).addr), &sess, nil
}

// RoleView is a role with its Chinese label.
type RoleView struct {
	Role  access.Role `json:"role"`
	Label string      `json:"label" doc:"e.g. 监控员"`
}

// Me describes the caller: who, with which roles, over which data.
type Me struct {
	UserID           int64               `json:"user_id"`
	Username         string              `json:"username"`
	DisplayName      string              `json:"display_name"`
	Roles            []RoleView          `json:"roles" nullable:"false"`
	Scope            ScopeView           `json:"scope"`
	Permissions      []access.Permission `json:"permissions" nullable:"false"`
	OrgUnitID        int64               `json:"org_unit_id,omitempty"`
	OrgUnitName      string              `json:"org_unit_name,omitempty"`
	Via              string              `json:"via" enum:"session,token"`
	CSRFToken        string              `json:"csrf_token,omitempty" doc:"Send as X-CSRF-Token on unsafe requests of this session"`
	SessionExpiresAt *time.Time          `json:"session_expires_at,omitempty" doc:"Absolute end of the session"`
}

// Me returns the caller's identity, or ErrUnauthorized when anonymous.
func (s *Service) Me(ctx context.Context) (Me, error) {
	p := access.From(ctx)
	if p == nil || p.UserID == 0 {
		return Me{}, fmt.Errorf("login required: %w", apperr.ErrUnauthorized)
	}
	u, err := s.user(ctx, s.db.Read(), p.UserID)
	if err != nil {
		return Me{}, fmt.Errorf("iam: me: %w", err)
	}
	m := Me{UserID: p.UserID, Username: p.Username, DisplayName: u.DisplayName, Scope: s.scopeView(ctx, p.Scope),
		Permissions: access.Permissions(p.Roles...), OrgUnitID: u.OrgUnitID, OrgUnitName: u.OrgUnitName, Via: p.Via,
		Roles: []RoleView{}}
	if m.Permissions == nil {
		m.Permissions = []access.Permission{}
	}
	for _, r := range p.Roles {
		m.Roles = append(m.Roles, RoleView{Role: r, Label: r.Label()})
	}
	if sess := sessionFrom(ctx); sess != nil {
		m.CSRFToken = sess.csrf
		t := sess.expiresAt
		m.SessionExpiresAt = &t
	}
	return m, nil
}
