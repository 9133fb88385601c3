// Package iam is identity and access (一把锁, 统一身份认证): org units keyed by
// GB/T 2260 region codes, users with roles and a data scope, console sessions
// with CSRF protection, API tokens for machines, login throttling and
// lock-out, and the HTTP API of the audit log.
//
// The app wires it in with Module (migrations), New, Register (HTTP
// operations) and Service.Middleware (authentication of every request), and
// calls EnsureAdmin once at start-up.
package iam

import (
	"context"
	"embed"
	"errors"
	"log/slog"
	"time"

	"github.com/jiaotong-platform/jiaotong/internal/platform/sqldb"
)

//go:embed migrations
var migrations embed.FS

// Module is the iam schema, migrated at start-up with the other modules.
func Module() sqldb.Module {
	return sqldb.NewModule("iam", migrations)
}

// OperatorLookup resolves an enterprise (业户) for an enterprise data scope.
// iam does not read the registry's tables; the app passes the registry's
// service here. It returns an error of kind apperr.ErrNotFound for an unknown
// id.
type OperatorLookup interface {
	OperatorRegion(ctx context.Context, id int64) (region string, name string, err error)
}

// Config tunes sessions, lock-out and password hashing. Zero fields take the
// defaults of DefaultConfig.
type Config struct {
	// SessionIdle ends a console session after this long without a request.
	SessionIdle time.Duration
	// SessionLifetime ends a console session this long after login, however
	// active it is.
	SessionLifetime time.Duration
	// LockoutThreshold consecutive failed logins lock a username.
	LockoutThreshold int
	// LockoutDuration is how long a locked username stays locked.
	LockoutDuration time.Duration
	// IPFailureLimit failed logins from one client address within
	// IPFailureWindow make that address wait for the window to pass.
	IPFailureLimit  int
	IPFailureWindow time.Duration
	// SecureCookie marks the session cookie Secure even when the request
	// reached the server without TLS (TLS ended at a reverse proxy).
	SecureCookie bool
	// TrustForwardedFor takes the client address from X-Forwarded-For; set it
	// only behind a reverse proxy that sets the header itself.
	TrustForwardedFor bool
	// Password holds the argon2id parameters for new hashes. Stored hashes
	// keep their own parameters and are upgraded at the next login.
	Password PasswordParams
	// Now is the clock; tests inject one to move through lock-outs and expiries.
	Now func() time.Time
}

// DefaultConfig returns the production defaults.
func DefaultConfig() Config {
	return Config{
		SessionIdle:      30 * time.Minute,
		SessionLifetime:  12 * time.Hour,
		LockoutThreshold: 5,
		LockoutDuration:  15 * time.Minute,
		IPFailureLimit:   20,
		IPFailureWindow:  10 * time.Minute,
		Password:         DefaultPasswordParams,
		Now:              time.Now,
	}
}

func (c Config) withDefaults() Config {
	d := DefaultConfig()
	if c.SessionIdle <= 0 {
		c.SessionIdle = d.SessionIdle
	}
	if c.SessionLifetime <= 0 {
		c.SessionLifetime = d.SessionLifetime
	}
	if c.LockoutThreshold <= 0 {
		c.LockoutThreshold = d.LockoutThreshold
	}
	if c.LockoutDuration <= 0 {
		c.LockoutDuration = d.LockoutDuration
	}
	if c.IPFailureLimit <= 0 {
		c.IPFailureLimit = d.IPFailureLimit
	}
	if c.IPFailureWindow <= 0 {
		c.IPFailureWindow = d.IPFailureWindow
	}
	if c.Password == (PasswordParams{}) {
		c.Password = d.Password
	}
	if c.Now == nil {
		c.Now = d.Now
	}
	return c
}

// Validate reports every unusable setting at once.
func (c Config) Validate() error {
	var errs []error
	if c.SessionIdle < 0 || c.SessionLifetime < 0 || c.LockoutDuration < 0 || c.IPFailureWindow < 0 {
		errs = append(errs, errors.New("iam: durations must not be negative"))
	}
	if c.SessionIdle > 0 && c.SessionLifetime > 0 && c.SessionIdle > c.SessionLifetime {
		errs = append(errs, errors.New("iam: session idle timeout exceeds the session lifetime"))
	}
	if c.Password != (PasswordParams{}) {
		if err := c.Password.validate(); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

// Service is identity and access. It is safe for concurrent use.
type Service struct {
	db        *sqldb.DB
	cfg       Config
	logger    *slog.Logger
	operators OperatorLookup
	// dummyHash is verified against when a username is unknown, so a failed
	// login costs the same time whether or not the account exists.
	dummyHash string
}

// New returns the service over db (migrated with Module). operators may be
// nil, in which case enterprise scopes cannot be granted.
func New(db *sqldb.DB, cfg Config, logger *slog.Logger, operators OperatorLookup) *Service {
	if logger == nil {
		logger = slog.Default()
	}
	cfg = cfg.withDefaults()
	s := &Service{db: db, cfg: cfg, logger: logger.With("module", "iam"), operators: operators}
	s.dummyHash, _ = hashPassword("not-a-real-password-0", cfg.Password)
	return s
}

func (s *Service) now() time.Time { return s.cfg.Now() }
