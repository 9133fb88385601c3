package iam

import (
	"context"
	"fmt"

	"github.com/jiaotong-platform/jiaotong/internal/platform/access"
	"github.com/jiaotong-platform/jiaotong/internal/platform/apperr"
	"github.com/jiaotong-platform/jiaotong/internal/platform/audit"
	"github.com/jiaotong-platform/jiaotong/internal/platform/sqldb"
)

// AdminUsername is the account created at first start.
const AdminUsername = "admin"

// EnsureAdmin creates the platform administrator on first start: user
// "admin" with RoleAdmin over the whole country. Its password is password
// (the app passes JIAOTONG_ADMIN_PASSWORD) or, when empty, a generated one
// returned in generated for the app to print once. When the account already
// exists nothing changes and created is false. The password is never logged.
func (s *Service) EnsureAdmin(ctx context.Context, password string) (username, generated string, created bool, err error) {
	var n int
	if err := s.db.Read().QueryRowContext(ctx, `SELECT COUNT(*) FROM users WHERE username = $1`, AdminUsername).Scan(&n); err != nil {
		return "", "", false, fmt.Errorf("iam: ensure admin: %w", err)
	}
	if n > 0 {
		return AdminUsername, "", false, nil
	}
	if password == "" {
		password = GeneratePassword()
		generated = password
	}
	inv := &apperr.Invalid{}
	checkPassword(inv, "admin_password", password, AdminUsername)
	if err := inv.Err(); err != nil {
		return "", "", false, fmt.Errorf("iam: ensure admin (JIAOTONG_ADMIN_PASSWORD): %w", err)
	}
	hash, err := hashPassword(password, s.cfg.Password)
	if err != nil {
		return "", "", false, err
	}
	ctx = access.With(ctx, access.System)
	now := sqldb.Millis(s.now())
	err = s.db.InTx(ctx, func(tx *sqldb.Tx) error {
		var id int64
		err := tx.QueryRowContext(ctx, `INSERT INTO users (username, display_name, roles, scope_region, scope_operator_id,
			status, password_hash, password_changed_at, created_at, updated_at)
			VALUES ($1, $2, $3, '', 0, $4, $5, $6, $6, $6) RETURNING id`,
			AdminUsername, "系统管理员", joinRoles([]access.Role{access.RoleAdmin}), StatusActive, hash, now).Scan(&id)
		if err != nil {
			return err
		}
		u, err := s.user(ctx, tx, id)
		if err != nil {
			return err
		}
		return audit.Record(ctx, tx, audit.Change{Action: audit.ActionCreate, Entity: "user", EntityID: id,
			Summary: "created the platform administrator at first start", After: u})
	})
	if sqldb.IsUniqueViolation(err) {
		// Another instance starting at the same time created it first.
		return AdminUsername, "", false, nil
	}
	if err != nil {
		return "", "", false, fmt.Errorf("iam: ensure admin: %w", sqldb.MapError(err))
	}
	s.logger.Info("created the platform administrator", "username", AdminUsername, "generated_password", generated != "")
	return AdminUsername, generated, true, nil
}

// EnsureUser creates the user described by in unless a user with that
// username exists already, in which case nothing changes (seeded accounts,
// such as the demo's, keep whatever their owners did to them since).
func (s *Service) EnsureUser(ctx context.Context, in UserInput) (created bool, err error) {
	var n int
	if err := s.db.Read().QueryRowContext(ctx, `SELECT COUNT(*) FROM users WHERE username = $1`,
		normalizeUsername(in.Username)).Scan(&n); err != nil {
		return false, fmt.Errorf("iam: ensure user %s: %w", in.Username, err)
	}
	if n > 0 {
		return false, nil
	}
	if _, err := s.CreateUser(ctx, in); err != nil {
		return false, err
	}
	return true, nil
}
