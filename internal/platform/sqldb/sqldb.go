// Package sqldb is the one place that knows about SQL dialects. It opens
// SQLite (the embedded default) or PostgreSQL (scale-out), runs each module's
// embedded migrations, wraps transactions and maps driver errors to the
// platform's error kinds. Modules write plain SQL with $1..$n placeholders that
// both dialects accept.
//
// SQLite numbers $N parameters by first appearance, so statements must
// introduce $1..$n in ascending order (or use a dialect variant).
package sqldb

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"time"

	"github.com/jackc/pgx/v5/pgconn"
	_ "github.com/jackc/pgx/v5/stdlib" // registers the "pgx" driver
	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"

	"github.com/jiaotong-platform/jiaotong/internal/platform/apperr"
)

// Dialect tells which database engine a DB talks to.
type Dialect int

// The supported dialects.
const (
	SQLite Dialect = iota + 1
	Postgres
)

func (d Dialect) String() string {
	switch d {
	case SQLite:
		return "sqlite"
	case Postgres:
		return "postgres"
	}
	return "unknown"
}

// ILike returns the case-insensitive LIKE operator of the dialect.
func (d Dialect) ILike() string {
	if d == Postgres {
		return "ILIKE"
	}
	return "LIKE"
}

// Querier is what reads and writes need: satisfied by *sql.DB, *sql.Conn and
// *sql.Tx alike.
type Querier interface {
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}

// DB is an open database: a writer pool and a reader pool (the same pool on
// PostgreSQL; on SQLite one writer connection, since SQLite serialises writes
// anyway, and a read pool sized to the CPUs that WAL lets run concurrently).
type DB struct {
	dialect Dialect
	write   *sql.DB
	read    *sql.DB
	logger  *slog.Logger
}

// Options configure Open.
type Options struct {
	// Postgres is a PostgreSQL DSN; when empty, SQLite is used.
	Postgres string
	// SQLitePath is the SQLite database file (created if missing).
	SQLitePath string
	Logger     *slog.Logger
}

// Open connects to PostgreSQL when opts.Postgres is set, otherwise opens (and
// creates) the SQLite file at opts.SQLitePath, and checks the connection.
func Open(ctx context.Context, opts Options) (*DB, error) {
	logger := opts.Logger
	if logger == nil {
		logger = slog.Default()
	}
	if opts.Postgres != "" {
		return openPostgres(ctx, opts.Postgres, logger)
	}
	if opts.SQLitePath == "" {
		return nil, errors.New("sqldb: open: neither a PostgreSQL DSN nor a SQLite path given")
	}
	return openSQLite(ctx, opts.SQLitePath, logger)
}

func openPostgres(ctx context.Context, dsn string, logger *slog.Logger) (*DB, error) {
	pool, err := sql.Open("pgx", dsn)
	if err != nil {
		return nil, fmt.Errorf("sqldb: open postgres: %w", err)
	}
	pool.SetMaxOpenConns(max(8, 4*runtime.GOMAXPROCS(0)))
	pool.SetMaxIdleConns(max(8, 4*runtime.GOMAXPROCS(0)))
	pool.SetConnMaxIdleTime(5 * time.Minute)
	pingCtx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	if err := pool.PingContext(pingCtx); err != nil {
		pool.Close()
		return nil, fmt.Errorf("sqldb: connect postgres %s: %w", RedactDSN(dsn), err)
	}
	return &DB{dialect: Postgres, write: pool, read: pool, logger: logger}, nil
}

// sqlitePragmas are applied to every connection, busy_timeout first so that
// the others never fail on a locked file.
const sqlitePragmas = "_pragma=busy_timeout(10000)&_pragma=journal_mode(WAL)&_pragma=synchronous(NORMAL)&_pragma=foreign_keys(ON)"

func openSQLite(ctx context.Context, path string, logger *slog.Logger) (*DB, error) {
	if dir := filepath.Dir(path); dir != "" {
		if err := os.MkdirAll(dir, 0o750); err != nil {
			return nil, fmt.Errorf("sqldb: create directory for %s: %w", path, err)
		}
	}
	base := "file:" + (&url.URL{Path: path}).EscapedPath() + "?" + sqlitePragmas
	// Writers take the lock at BEGIN (IMMEDIATE), so two processes migrating
	// or writing at once wait for each other instead of failing mid-transaction.
	write, err := sql.Open("sqlite", base+"&_txlock=immediate")
	if err != nil {
		return nil, fmt.Errorf("sqldb: open sqlite %s: %w", path, err)
	}
	write.SetMaxOpenConns(1)
	write.SetMaxIdleConns(1)
	write.SetConnMaxLifetime(0)
	if err := write.PingContext(ctx); err != nil {
		write.Close()
		return nil, fmt.Errorf("sqldb: open sqlite %s: %w", path, err)
	}
	read, err := sql.Open("sqlite", base+"&_pragma=query_only(1)")
	if err != nil {
		write.Close()
		return nil, fmt.Errorf("sqldb: open sqlite %s: %w", path, err)
	}
	n := max(4, 2*runtime.GOMAXPROCS(0))
	read.SetMaxOpenConns(n)
	read.SetMaxIdleConns(n)
	return &DB{dialect: SQLite, write: write, read: read, logger: logger}, nil
}

// Dialect returns the engine behind db.
func (db *DB) Dialect() Dialect { return db.dialect }

// Read returns the pool for queries that do not write. On SQLite these run
// concurrently with the writer thanks to WAL; they see committed data only.
func (db *DB) Read() Querier { return db.read }

// Write returns the writer pool for single statements outside a transaction.
func (db *DB) Write() Querier { return db.write }

// Raw returns the writer *sql.DB, for the few callers that need a dedicated
// connection (COPY, advisory locks).
func (db *DB) Raw() *sql.DB { return db.write }

// Close closes both pools.
func (db *DB) Close() error {
	err := db.write.Close()
	if db.read != db.write {
		err = errors.Join(err, db.read.Close())
	}
	return err
}

// Ping checks that the database answers; used by /readyz.
func (db *DB) Ping(ctx context.Context) error { return db.write.PingContext(ctx) }

// Tx is a transaction with its dialect, handed to the function run by InTx.
type Tx struct {
	*sql.Tx
	dialect Dialect
}

// Dialect returns the engine of the transaction.
func (tx *Tx) Dialect() Dialect { return tx.dialect }

// InTx runs fn in a transaction on the writer, committing when fn returns nil
// and rolling back otherwise (also when fn panics). Nothing fn wrote is
// visible to others unless the whole of it commits.
func (db *DB) InTx(ctx context.Context, fn func(tx *Tx) error) (err error) {
	sqlTx, err := db.write.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("sqldb: begin: %w", MapError(err))
	}
	tx := &Tx{Tx: sqlTx, dialect: db.dialect}
	defer func() {
		if p := recover(); p != nil {
			_ = sqlTx.Rollback()
			panic(p)
		}
	}()
	if err := fn(tx); err != nil {
		if rbErr := sqlTx.Rollback(); rbErr != nil && !errors.Is(rbErr, sql.ErrTxDone) {
			db.logger.Warn("sqldb: rollback failed", slog.Any("err", rbErr))
		}
		return err
	}
	if err := sqlTx.Commit(); err != nil {
		return fmt.Errorf("sqldb: commit: %w", MapError(err))
	}
	return nil
}

// IsUniqueViolation reports whether err is a unique or primary key violation.
func IsUniqueViolation(err error) bool {
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) {
		return pgErr.Code == "23505"
	}
	var liteErr *sqlite.Error
	if errors.As(err, &liteErr) {
		c := liteErr.Code()
		return c == sqlite3.SQLITE_CONSTRAINT_UNIQUE || c == sqlite3.SQLITE_CONSTRAINT_PRIMARYKEY
	}
	return false
}

// IsForeignKeyViolation reports whether err is a foreign key violation.
func IsForeignKeyViolation(err error) bool {
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) {
		return pgErr.Code == "23503"
	}
	var liteErr *sqlite.Error
	if errors.As(err, &liteErr) {
		return liteErr.Code() == sqlite3.SQLITE_CONSTRAINT_FOREIGNKEY
	}
	return false
}

// MapError turns driver errors into platform error kinds where one applies
// (constraint violations become ErrConflict, a missing row ErrNotFound) and
// returns other errors unchanged.
func MapError(err error) error {
	switch {
	case err == nil:
		return nil
	case errors.Is(err, sql.ErrNoRows):
		return fmt.Errorf("%w: %w", apperr.ErrNotFound, err)
	case IsUniqueViolation(err):
		return fmt.Errorf("%w: already exists: %w", apperr.ErrConflict, err)
	case IsForeignKeyViolation(err):
		return fmt.Errorf("%w: still referenced or refers to a missing record: %w", apperr.ErrConflict, err)
	}
	return err
}

// RedactDSN hides the password of a DSN for logs and error messages.
func RedactDSN(dsn string) string {
	if u, err := url.Parse(dsn); err == nil && u.User != nil {
		if _, ok := u.User.Password(); ok {
			u.User = url.UserPassword(u.User.Username(), "xxxxx")
		}
		return u.String()
	}
	if i := strings.Index(dsn, "password="); i >= 0 {
		j := strings.IndexByte(dsn[i:], ' ')
		if j < 0 {
			return dsn[:i] + "password=xxxxx"
		}
		return dsn[:i] + "password=xxxxx" + dsn[i+j:]
	}
	return dsn
}

// Millis converts t to the Unix milliseconds every timestamp column holds
// (BIGINT on both dialects, so ordering and arithmetic need no dialect code).
func Millis(t time.Time) int64 {
	if t.IsZero() {
		return 0
	}
	return t.UnixMilli()
}

// FromMillis is the inverse of Millis; 0 gives the zero time.
func FromMillis(ms int64) time.Time {
	if ms == 0 {
		return time.Time{}
	}
	return time.UnixMilli(ms).UTC()
}

func nowMillis() int64 { return time.Now().UnixMilli() }
