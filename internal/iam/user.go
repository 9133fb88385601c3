package iam

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/jiaotong-platform/jiaotong/internal/platform/access"
	"github.com/jiaotong-platform/jiaotong/internal/platform/apperr"
	"github.com/jiaotong-platform/jiaotong/internal/platform/audit"
	"github.com/jiaotong-platform/jiaotong/internal/platform/httpapi"
	"github.com/jiaotong-platform/jiaotong/internal/platform/region"
	"github.com/jiaotong-platform/jiaotong/internal/platform/sqldb"
)

// Account statuses. A user locked out by failed logins shows as StatusLocked
// with LockedUntil until the lock-out passes; an administrator can also lock
// an account with no end, and unlocks either by setting it active.
const (
	StatusActive   = "active"
	StatusDisabled = "disabled"
	StatusLocked   = "locked"
)

// User is an account of a person (or of the machine owning API tokens).
type User struct {
	ID                int64         `json:"id"`
	Username          string        `json:"username"`
	DisplayName       string        `json:"display_name"`
	Phone             string        `json:"phone,omitempty"`
	Email             string        `json:"email,omitempty"`
	Roles             []access.Role `json:"roles" nullable:"false"`
	Scope             ScopeView     `json:"scope"`
	OrgUnitID         int64         `json:"org_unit_id,omitempty"`
	OrgUnitName       string        `json:"org_unit_name,omitempty"`
	Status            string        `json:"status" enum:"active,disabled,locked"`
	LockedUntil       *time.Time    `json:"locked_until,omitempty" doc:"End of a lock-out after failed logins"`
	LastLoginAt       *time.Time    `json:"last_login_at,omitempty"`
	PasswordChangedAt time.Time     `json:"password_changed_at"`
	CreatedAt         time.Time     `json:"created_at"`
	UpdatedAt         time.Time     `json:"updated_at"`
}

// ScopeView is a data scope with the names a person reads.
type ScopeView struct {
	Region       string `json:"region,omitempty" doc:"GB/T 2260 code; absent for the whole country"`
	RegionName   string `json:"region_name" doc:"Full region name, 全国 for the whole country"`
	OperatorID   int64  `json:"operator_id,omitempty" doc:"Set when the scope is one enterprise (业户)"`
	OperatorName string `json:"operator_name,omitempty"`
}

// Scope returns the access scope the view describes.
func (v ScopeView) Scope() access.Scope {
	return access.Scope{Region: v.Region, OperatorID: v.OperatorID}
}

func (s *Service) scopeView(ctx context.Context, sc access.Scope) ScopeView {
	v := ScopeView{Region: sc.Region, OperatorID: sc.OperatorID, RegionName: "全国"}
	if sc.Region != "" {
		v.RegionName = region.FullName(sc.Region)
	}
	if sc.OperatorID != 0 && s.operators != nil {
		if _, name, err := s.operators.OperatorRegion(ctx, sc.OperatorID); err == nil {
			v.OperatorName = name
		}
	}
	return v
}

// UserInput creates a user.
type UserInput struct {
	Username    string        `json:"username" minLength:"3" maxLength:"32" doc:"Lower-case letters, digits, '.', '_' and '-'; starts with a letter or digit"`
	DisplayName string        `json:"display_name" minLength:"1" maxLength:"64"`
	Phone       string        `json:"phone,omitempty" maxLength:"20"`
	Email       string        `json:"email,omitempty" maxLength:"254"`
	Roles       []access.Role `json:"roles" minItems:"1" doc:"admin, regulator, monitor, enterprise, field, readonly"`
	Scope       access.Scope  `json:"scope" doc:"Region subtree (region) or one enterprise (operator_id); empty for the whole country"`
	OrgUnitID   int64         `json:"org_unit_id,omitempty"`
	Password    string        `json:"password" maxLength:"128" doc:"At least 10 characters, 3 of lower/upper/digit/symbol, not containing the username"`
}

// UserPatch changes some fields of a user; absent fields stay as they are.
type UserPatch struct {
	DisplayName *string       `json:"display_name,omitempty" minLength:"1" maxLength:"64"`
	Phone       *string       `json:"phone,omitempty" maxLength:"20"`
	Email       *string       `json:"email,omitempty" maxLength:"254"`
	Roles       []access.Role `json:"roles,omitempty" minItems:"1"`
	Scope       *access.Scope `json:"scope,omitempty"`
	OrgUnitID   *int64        `json:"org_unit_id,omitempty" doc:"0 removes the user from its org unit"`
	Status      *string       `json:"status,omitempty" enum:"active,disabled,locked" doc:"active also ends a lock-out"`
}

var (
	usernameRE = regexp.MustCompile(`^[a-z0-9][a-z0-9._-]{2,31}$`)
	phoneRE    = regexp.MustCompile(`^\+?[0-9][0-9 -]{4,19}$`)
	emailRE    = regexp.MustCompile(`^[^@\s]+@[^@\s]+\.[^@\s]+$`)
)

// normalizeUsername is how usernames are stored and looked up: trimmed and
// lower case, so "Admin" and "admin" are one account.
func normalizeUsername(u string) string { return strings.ToLower(strings.TrimSpace(u)) }

func checkRoles(inv *apperr.Invalid, roles []access.Role) {
	if len(roles) == 0 {
		inv.Add("roles", "at least one role is required", nil)
	}
	for i, r := range roles {
		if !r.Valid() {
			inv.Add(fmt.Sprintf("roles[%d]", i), "unknown role (known: admin, regulator, monitor, enterprise, field, readonly)", r)
		} else if slices.Index(roles, r) != i {
			inv.Add(fmt.Sprintf("roles[%d]", i), "duplicate role", r)
		}
	}
}

func checkContact(inv *apperr.Invalid, phone, email string) {
	if phone != "" && !phoneRE.MatchString(phone) {
		inv.Add("phone", "not a phone number", phone)
	}
	if email != "" && !emailRE.MatchString(email) {
		inv.Add("email", "not an e-mail address", email)
	}
}

// resolveScope validates a requested scope and completes an enterprise scope
// with the enterprise's region. Problems are added to inv.
func (s *Service) resolveScope(ctx context.Context, inv *apperr.Invalid, sc access.Scope, roles []access.Role) access.Scope {
	if sc.Region == "000000" || sc.Region == "100000" {
		sc.Region = ""
	}
	switch {
	case sc.OperatorID < 0:
		inv.Add("body.scope.operator_id", "must be a positive id", sc.OperatorID)
	case sc.OperatorID > 0:
		if s.operators == nil {
			inv.Add("body.scope.operator_id", "enterprise scopes are unavailable: no registry is connected", sc.OperatorID)
			break
		}
		code, _, err := s.operators.OperatorRegion(ctx, sc.OperatorID)
		switch {
		case errors.Is(err, apperr.ErrNotFound):
			inv.Add("body.scope.operator_id", "no such operator (业户)", sc.OperatorID)
		case err != nil:
			inv.Add("body.scope.operator_id", "the operator could not be looked up: "+err.Error(), sc.OperatorID)
		default:
			if sc.Region != "" && sc.Region != code && !region.Contains(sc.Region, code) {
				inv.Add("body.scope.region", fmt.Sprintf("the operator is registered in %s, outside this region", code), sc.Region)
			}
			sc.Region = code
		}
	case sc.Region != "" && !region.Valid(sc.Region):
		inv.Add("body.scope.region", "not a GB/T 2260 region code", sc.Region)
	}
	if slices.Contains(roles, access.RoleEnterprise) && sc.OperatorID == 0 {
		inv.Add("body.scope.operator_id", "an enterprise user (企业用户) must be scoped to one operator", nil)
	}
	return sc
}

// checkGrant refuses a scope wider than the granting administrator's own.
func checkGrant(p *access.Principal, sc access.Scope) error {
	if !sc.Within(p.Scope) {
		return forbiddenField("scope", fmt.Sprintf("scope %s lies outside your own scope %s", scopeLabel(sc), scopeLabel(p.Scope)), sc)
	}
	return nil
}

func (s *Service) checkOrgUnit(ctx context.Context, inv *apperr.Invalid, p *access.Principal, id int64) {
	if id == 0 {
		return
	}
	var code string
	err := s.db.Read().QueryRowContext(ctx, `SELECT region FROM org_units WHERE id = $1`, id).Scan(&code)
	if err != nil || !p.Scope.ContainsRegion(code) {
		inv.Add("org_unit_id", "no such org unit in your scope", id)
	}
}

func joinRoles(roles []access.Role) string {
	var b strings.Builder
	b.WriteByte(',')
	for _, r := range roles {
		b.WriteString(string(r))
		b.WriteByte(',')
	}
	return b.String()
}

func splitRoles(s string) []access.Role {
	out := []access.Role{}
	for _, r := range strings.Split(s, ",") {
		if r != "" {
			out = append(out, access.Role(r))
		}
	}
	return out
}

func nullID(id int64) any {
	if id == 0 {
		return nil
	}
	return id
}

const userSelect = `SELECT u.id, u.username, u.display_name, u.phone, u.email, u.roles, u.scope_region,
	u.scope_operator_id, COALESCE(u.org_unit_id, 0), COALESCE(o.name, ''), u.status, COALESCE(t.locked_until, 0),
	u.last_login_at, u.password_changed_at, u.created_at, u.updated_at
	FROM users u
	LEFT JOIN org_units o ON o.id = u.org_unit_id
	LEFT JOIN login_throttle t ON t.kind = 'user' AND t.subject = u.username`

func (s *Service) scanUser(ctx context.Context, row interface{ Scan(...any) error }) (User, error) {
	var u User
	var roles string
	var sc access.Scope
	var lockedUntil, lastLogin, pwChanged, created, updated int64
	if err := row.Scan(&u.ID, &u.Username, &u.DisplayName, &u.Phone, &u.Email, &roles, &sc.Region, &sc.OperatorID,
		&u.OrgUnitID, &u.OrgUnitName, &u.Status, &lockedUntil, &lastLogin, &pwChanged, &created, &updated); err != nil {
		return User{}, err
	}
	u.Roles = splitRoles(roles)
	u.Scope = s.scopeView(ctx, sc)
	if u.Status == StatusActive && lockedUntil > sqldb.Millis(s.now()) {
		u.Status = StatusLocked
		t := sqldb.FromMillis(lockedUntil)
		u.LockedUntil = &t
	}
	if lastLogin != 0 {
		t := sqldb.FromMillis(lastLogin)
		u.LastLoginAt = &t
	}
	u.PasswordChangedAt = sqldb.FromMillis(pwChanged)
	u.CreatedAt, u.UpdatedAt = sqldb.FromMillis(created), sqldb.FromMillis(updated)
	return u, nil
}

func (s *Service) user(ctx context.Context, q sqldb.Querier, id int64) (User, error) {
	u, err := s.scanUser(ctx, q.QueryRowContext(ctx, userSelect+` WHERE u.id = $1`, id))
	if err != nil {
		if errors.Is(sqldb.MapError(err), apperr.ErrNotFound) {
			return User{}, apperr.NotFound("user", id)
		}
		return User{}, err
	}
	return u, nil
}

// visibleUser loads a user the administrator in ctx may manage: one whose
// scope lies within the administrator's. Others are reported as not found.
func (s *Service) visibleUser(ctx context.Context, q sqldb.Querier, p *access.Principal, id int64) (User, error) {
	u, err := s.user(ctx, q, id)
	if err != nil {
		return User{}, err
	}
	if !u.Scope.Scope().Within(p.Scope) {
		return User{}, apperr.NotFound("user", id)
	}
	return u, nil
}

// GetUser returns a user inside the administrator's scope.
func (s *Service) GetUser(ctx context.Context, id int64) (User, error) {
	p, err := access.Require(ctx, access.PermUsersManage)
	if err != nil {
		return User{}, err
	}
	u, err := s.visibleUser(ctx, s.db.Read(), p, id)
	if err != nil {
		return User{}, fmt.Errorf("iam: get user %d: %w", id, err)
	}
	return u, nil
}

// CreateUser adds an account. The administrator can only grant a scope
// inside its own.
func (s *Service) CreateUser(ctx context.Context, in UserInput) (User, error) {
	p, err := access.Require(ctx, access.PermUsersManage)
	if err != nil {
		return User{}, err
	}
	in.Username = normalizeUsername(in.Username)
	in.DisplayName = strings.TrimSpace(in.DisplayName)
	in.Phone, in.Email = strings.TrimSpace(in.Phone), strings.TrimSpace(in.Email)
	inv := &apperr.Invalid{}
	switch {
	case !usernameRE.MatchString(in.Username):
		inv.Add("username", "3 to 32 lower-case letters, digits, '.', '_' or '-', starting with a letter or digit", in.Username)
	case in.Username == access.System.Username:
		inv.Add("username", "reserved for the platform itself", in.Username)
	}
	if in.DisplayName == "" || utf8.RuneCountInString(in.DisplayName) > 64 {
		inv.Add("display_name", "1 to 64 characters", in.DisplayName)
	}
	checkContact(inv, in.Phone, in.Email)
	checkRoles(inv, in.Roles)
	sc := s.resolveScope(ctx, inv, in.Scope, in.Roles)
	s.checkOrgUnit(ctx, inv, p, in.OrgUnitID)
	checkPassword(inv, "password", in.Password, in.Username)
	if err := inv.Err(); err != nil {
		return User{}, err
	}
	if err := checkGrant(p, sc); err != nil {
		return User{}, err
	}
	hash, err := hashPassword(in.Password, s.cfg.Password)
	if err != nil {
		return User{}, err
	}
	var out User
	now := sqldb.Millis(s.now())
	err = s.db.InTx(ctx, func(tx *sqldb.Tx) error {
		var id int64
		err := tx.QueryRowContext(ctx, `INSERT INTO users (username, display_name, phone, email, roles, scope_region,
			scope_operator_id, org_unit_id, status, password_hash, password_changed_at, created_at, updated_at)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $11, $11) RETURNING id`,
			in.Username, in.DisplayName, in.Phone, in.Email, joinRoles(in.Roles), sc.Region, sc.OperatorID,
			nullID(in.OrgUnitID), StatusActive, hash, now).Scan(&id)
		if sqldb.IsUniqueViolation(err) {
			return apperr.Field("username", "already taken", in.Username)
		}
		if err != nil {
			return err
		}
		if out, err = s.user(ctx, tx, id); err != nil {
			return err
		}
		return audit.Record(ctx, tx, audit.Change{Action: audit.ActionCreate, Entity: "user", EntityID: id,
			Region: sc.Region, OperatorID: sc.OperatorID, Summary: "created user " + in.Username, After: out})
	})
	if err != nil {
		return User{}, fmt.Errorf("iam: create user %s: %w", in.Username, sqldb.MapError(err))
	}
	return out, nil
}

// UpdateUser applies a patch. Scope changes obey the same rule as creation,
// and administrators cannot change their own roles, scope or status (so no one
// locks themselves out or widens their own reach).
func (s *Service) UpdateUser(ctx context.Context, id int64, patch UserPatch) (User, error) {
	p, err := access.Require(ctx, access.PermUsersManage)
	if err != nil {
		return User{}, err
	}
	before, err := s.visibleUser(ctx, s.db.Read(), p, id)
	if err != nil {
		return User{}, fmt.Errorf("iam: update user %d: %w", id, err)
	}
	after := before
	inv := &apperr.Invalid{}
	if patch.DisplayName != nil {
		after.DisplayName = strings.TrimSpace(*patch.DisplayName)
		if after.DisplayName == "" || utf8.RuneCountInString(after.DisplayName) > 64 {
			inv.Add("display_name", "1 to 64 characters", *patch.DisplayName)
		}
	}
	if patch.Phone != nil {
		after.Phone = strings.TrimSpace(*patch.Phone)
	}
	if patch.Email != nil {
		after.Email = strings.TrimSpace(*patch.Email)
	}
	checkContact(inv, after.Phone, after.Email)
	if patch.Roles != nil {
		checkRoles(inv, patch.Roles)
		after.Roles = patch.Roles
	}
	sc := before.Scope.Scope()
	if patch.Scope != nil {
		sc = *patch.Scope
	}
	if patch.Scope != nil || patch.Roles != nil {
		sc = s.resolveScope(ctx, inv, sc, after.Roles)
	}
	if patch.OrgUnitID != nil {
		s.checkOrgUnit(ctx, inv, p, *patch.OrgUnitID)
		after.OrgUnitID = *patch.OrgUnitID
	}
	status := ""
	if patch.Status != nil {
		status = *patch.Status
		if status != StatusActive && status != StatusDisabled && status != StatusLocked {
			inv.Add("status", "one of active, disabled, locked", status)
		}
	}
	if err := inv.Err(); err != nil {
		return User{}, err
	}
	if err := checkGrant(p, sc); err != nil {
		return User{}, err
	}
	if id == p.UserID && (patch.Roles != nil && !slices.Equal(patch.Roles, before.Roles) ||
		sc != before.Scope.Scope() || status != "" && status != StatusActive) {
		return User{}, apperr.Forbidden("you cannot change your own roles, scope or status; ask another administrator")
	}
	var out User
	err = s.db.InTx(ctx, func(tx *sqldb.Tx) error {
		now := sqldb.Millis(s.now())
		if _, err := tx.ExecContext(ctx, `UPDATE users SET display_name = $1, phone = $2, email = $3, roles = $4,
			scope_region = $5, scope_operator_id = $6, org_unit_id = $7, updated_at = $8 WHERE id = $9`,
			after.DisplayName, after.Phone, after.Email, joinRoles(after.Roles), sc.Region, sc.OperatorID,
			nullID(after.OrgUnitID), now, id); err != nil {
			return err
		}
		if status != "" {
			if _, err := tx.ExecContext(ctx, `UPDATE users SET status = $1 WHERE id = $2`, status, id); err != nil {
				return err
			}
			if status == StatusActive {
				// Unlock: forget failed logins too.
				if _, err := tx.ExecContext(ctx, `DELETE FROM login_throttle WHERE kind = 'user' AND subject = $1`,
					before.Username); err != nil {
					return err
				}
			} else if err := endSessions(ctx, tx, id, 0); err != nil {
				return err
			}
		}
		var err error
		if out, err = s.user(ctx, tx, id); err != nil {
			return err
		}
		return audit.Record(ctx, tx, audit.Change{Action: audit.ActionUpdate, Entity: "user", EntityID: id,
			Region: sc.Region, OperatorID: sc.OperatorID, Summary: "updated user " + before.Username, Before: before, After: out})
	})
	if err != nil {
		return User{}, fmt.Errorf("iam: update user %d: %w", id, sqldb.MapError(err))
	}
	return out, nil
}

// DisableUser is UpdateUser with status disabled: the account can no longer
// log in, its sessions end and its tokens stop working.
func (s *Service) DisableUser(ctx context.Context, id int64) (User, error) {
	st := StatusDisabled
	return s.UpdateUser(ctx, id, UserPatch{Status: &st})
}

// endSessions deletes the sessions of a user except keep (0 for none).
func endSessions(ctx context.Context, q sqldb.Querier, userID, keep int64) error {
	_, err := q.ExecContext(ctx, `DELETE FROM sessions WHERE user_id = $1 AND id <> $2`, userID, keep)
	return err
}

// ResetPassword sets a user's password on an administrator's behalf; with an
// empty password it generates one and returns it (shown once). The user's
// sessions end and a lock-out is lifted.
func (s *Service) ResetPassword(ctx context.Context, id int64, password string) (generated string, err error) {
	p, err := access.Require(ctx, access.PermUsersManage)
	if err != nil {
		return "", err
	}
	u, err := s.visibleUser(ctx, s.db.Read(), p, id)
	if err != nil {
		return "", fmt.Errorf("iam: reset password %d: %w", id, err)
	}
	if password == "" {
		password = GeneratePassword()
		generated = password
	}
	inv := &apperr.Invalid{}
	checkPassword(inv, "password", password, u.Username)
	if err := inv.Err(); err != nil {
		return "", err
	}
	if err := s.setPassword(ctx, u, password, 0, "reset password of "+u.Username); err != nil {
		return "", fmt.Errorf("iam: reset password %d: %w", id, err)
	}
	return generated, nil
}

// ChangeOwnPassword lets a logged-in person change their password, proving
// they know the current one. Their other sessions end.
func (s *Service) ChangeOwnPassword(ctx context.Context, current, next string) error {
	p := access.From(ctx)
	if p == nil || p.UserID == 0 {
		return fmt.Errorf("login required: %w", apperr.ErrUnauthorized)
	}
	if p.Via != viaSession {
		return apperr.Forbidden("passwords can only be changed from a console session, not with an API token")
	}
	var hash string
	if err := s.db.Read().QueryRowContext(ctx, `SELECT password_hash FROM users WHERE id = $1`, p.UserID).Scan(&hash); err != nil {
		return fmt.Errorf("iam: change password: %w", sqldb.MapError(err))
	}
	inv := &apperr.Invalid{}
	if ok, _ := verifyPassword(current, hash, s.cfg.Password); !ok {
		inv.Add("current_password", "当前密码不正确 (the current password is wrong)", nil)
	}
	checkPassword(inv, "new_password", next, p.Username)
	if next != "" && next == current {
		inv.Add("new_password", "新密码不能与当前密码相同 (must differ from the current password)", nil)
	}
	if err := inv.Err(); err != nil {
		return err
	}
	u, err := s.user(ctx, s.db.Read(), p.UserID)
	if err != nil {
		return fmt.Errorf("iam: change password: %w", err)
	}
	var keep int64
	if sess := sessionFrom(ctx); sess != nil {
		keep = sess.id
	}
	if err := s.setPassword(ctx, u, next, keep, "changed own password"); err != nil {
		return fmt.Errorf("iam: change password: %w", err)
	}
	return nil
}

func (s *Service) setPassword(ctx context.Context, u User, password string, keepSession int64, summary string) error {
	hash, err := hashPassword(password, s.cfg.Password)
	if err != nil {
		return err
	}
	return s.db.InTx(ctx, func(tx *sqldb.Tx) error {
		now := sqldb.Millis(s.now())
		if _, err := tx.ExecContext(ctx, `UPDATE users SET password_hash = $1, password_changed_at = $2, updated_at = $2
			WHERE id = $3`, hash, now, u.ID); err != nil {
			return err
		}
		if err := endSessions(ctx, tx, u.ID, keepSession); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `DELETE FROM login_throttle WHERE kind = 'user' AND subject = $1`, u.Username); err != nil {
			return err
		}
		return audit.Record(ctx, tx, audit.Change{Action: "password", Entity: "user", EntityID: u.ID,
			Region: u.Scope.Region, OperatorID: u.Scope.OperatorID, Summary: summary})
	})
}

// UserFilter selects users for ListUsers.
type UserFilter struct {
	httpapi.ListParams
	Role   access.Role
	Status string
	// Region limits the list to users whose scope lies in this region subtree.
	Region string
}

// ListUsers lists the users inside the administrator's scope.
func (s *Service) ListUsers(ctx context.Context, f UserFilter) ([]User, int, error) {
	p, err := access.Require(ctx, access.PermUsersManage)
	if err != nil {
		return nil, 0, err
	}
	order, err := f.OrderBy(map[string]string{"username": "u.username", "display_name": "u.display_name",
		"created_at": "u.created_at", "updated_at": "u.updated_at", "last_login_at": "u.last_login_at"}, "u.id ASC")
	if err != nil {
		return nil, 0, err
	}
	var where []string
	var args []any
	add := func(cond string, vals ...any) {
		for _, v := range vals {
			args = append(args, v)
			cond = strings.Replace(cond, "?", "$"+strconv.Itoa(len(args)), 1)
		}
		where = append(where, cond)
	}
	if prefix := p.Scope.RegionPrefix(); prefix != "" {
		add("u.scope_region LIKE ?", prefix+"%")
	}
	if p.Scope.OperatorID != 0 {
		add("u.scope_operator_id = ?", p.Scope.OperatorID)
	}
	if f.Role != "" {
		if !f.Role.Valid() {
			return nil, 0, apperr.Field("query.role", "unknown role", f.Role)
		}
		add("u.roles LIKE ?", "%,"+string(f.Role)+",%")
	}
	if f.Region != "" {
		if !region.Valid(f.Region) {
			return nil, 0, apperr.Field("query.region", "not a GB/T 2260 region code", f.Region)
		}
		add("u.scope_region LIKE ?", access.RegionPrefix(f.Region)+"%")
	}
	now := sqldb.Millis(s.now())
	switch f.Status {
	case "":
	case StatusActive:
		add("u.status = 'active' AND COALESCE(t.locked_until, 0) <= ?", now)
	case StatusDisabled:
		add("u.status = 'disabled'")
	case StatusLocked:
		add("(u.status = 'locked' OR (u.status = 'active' AND t.locked_until > ?))", now)
	default:
		return nil, 0, apperr.Field("query.status", "one of active, disabled, locked", f.Status)
	}
	if f.Q != "" {
		args = append(args, "%"+f.Q+"%")
		n := "$" + strconv.Itoa(len(args))
		like := s.db.Dialect().ILike()
		where = append(where, fmt.Sprintf("(u.username %[1]s %[2]s OR u.display_name %[1]s %[2]s OR u.phone %[1]s %[2]s OR u.email %[1]s %[2]s)", like, n))
	}
	cond := ""
	if len(where) > 0 {
		cond = " WHERE " + strings.Join(where, " AND ")
	}
	var total int
	if err := s.db.Read().QueryRowContext(ctx, `SELECT COUNT(*) FROM users u
		LEFT JOIN login_throttle t ON t.kind = 'user' AND t.subject = u.username`+cond, args...).Scan(&total); err != nil {
		return nil, 0, fmt.Errorf("iam: count users: %w", err)
	}
	rows, err := s.db.Read().QueryContext(ctx, fmt.Sprintf("%s%s ORDER BY %s LIMIT %d OFFSET %d",
		userSelect, cond, order, f.Limit(), f.Offset()), args...)
	if err != nil {
		return nil, 0, fmt.Errorf("iam: list users: %w", err)
	}
	defer rows.Close()
	var out []User
	for rows.Next() {
		u, err := s.scanUser(ctx, rows)
		if err != nil {
			return nil, 0, fmt.Errorf("iam: list users: %w", err)
		}
		out = append(out, u)
	}
	if err := rows.Err(); err != nil {
		return nil, 0, fmt.Errorf("iam: list users: %w", err)
	}
	return out, total, nil
}
