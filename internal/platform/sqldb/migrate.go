package sqldb

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"path"
	"sort"
	"strconv"
	"strings"
)

// Migration is one schema step of a module: migrations/<dialect>/NNNN_name.sql.
type Migration struct {
	Version int
	Name    string
	SQL     string
}

// Migrations reads the steps of one dialect from fsys, which holds the
// folders "sqlite" and "postgres" (usually a module's embedded migrations/
// directory). Versions must be unique, positive and start at 1 without gaps.
func Migrations(fsys fs.FS, d Dialect) ([]Migration, error) {
	dir := d.String()
	entries, err := fs.ReadDir(fsys, dir)
	if err != nil {
		return nil, fmt.Errorf("sqldb: read migrations %s: %w", dir, err)
	}
	var out []Migration
	for _, e := range entries {
		if e.IsDir() || !strings.HasSuffix(e.Name(), ".sql") {
			continue
		}
		base := strings.TrimSuffix(e.Name(), ".sql")
		num, name, ok := strings.Cut(base, "_")
		v, err := strconv.Atoi(num)
		if !ok || err != nil || v <= 0 {
			return nil, fmt.Errorf("sqldb: migration %s/%s: name must be NNNN_name.sql", dir, e.Name())
		}
		body, err := fs.ReadFile(fsys, path.Join(dir, e.Name()))
		if err != nil {
			return nil, fmt.Errorf("sqldb: read migration %s: %w", e.Name(), err)
		}
		out = append(out, Migration{Version: v, Name: name, SQL: string(body)})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Version < out[j].Version })
	for i, m := range out {
		if m.Version != i+1 {
			return nil, fmt.Errorf("sqldb: migrations %s: expected version %d, found %d (%s)", dir, i+1, m.Version, m.Name)
		}
	}
	return out, nil
}

// Module names a module's schema: its name in schema_migrations and its
// embedded migrations folder.
type Module struct {
	Name       string
	Migrations fs.FS
}

const createMigrationsTable = `CREATE TABLE IF NOT EXISTS schema_migrations (
	module     TEXT NOT NULL,
	version    INTEGER NOT NULL,
	name       TEXT NOT NULL,
	applied_at BIGINT NOT NULL,
	PRIMARY KEY (module, version)
)`

// migrationLockKey is the PostgreSQL advisory lock that serialises instances
// migrating the same database at start-up ("jiaotong" in ASCII, truncated).
const migrationLockKey = 0x6a69616f746f6e67

// Migrate brings every module's schema up to date, in the order given. Each
// step runs in its own transaction together with its schema_migrations row,
// so a failed step leaves no trace. Several instances may call Migrate at once:
// on PostgreSQL they queue on an advisory lock, on SQLite on the write lock.
func (db *DB) Migrate(ctx context.Context, modules ...Module) error {
	conn, err := db.write.Conn(ctx)
	if err != nil {
		return fmt.Errorf("sqldb: migrate: %w", err)
	}
	defer conn.Close()
	if db.dialect == Postgres {
		if _, err := conn.ExecContext(ctx, "SELECT pg_advisory_lock($1)", int64(migrationLockKey)); err != nil {
			return fmt.Errorf("sqldb: migrate: take advisory lock: %w", err)
		}
		defer func() {
			_, _ = conn.ExecContext(context.WithoutCancel(ctx), "SELECT pg_advisory_unlock($1)", int64(migrationLockKey))
		}()
	}
	if _, err := conn.ExecContext(ctx, createMigrationsTable); err != nil {
		if !(db.dialect == Postgres && IsUniqueViolation(err)) { // two instances racing on CREATE IF NOT EXISTS
			return fmt.Errorf("sqldb: migrate: create schema_migrations: %w", err)
		}
	}
	for _, m := range modules {
		steps, err := Migrations(m.Migrations, db.dialect)
		if err != nil {
			return fmt.Errorf("sqldb: migrate %s: %w", m.Name, err)
		}
		for _, step := range steps {
			applied, err := db.applyStep(ctx, conn, m.Name, step)
			if err != nil {
				return err
			}
			if applied {
				db.logger.Info("schema migrated", slog.String("module", m.Name),
					slog.Int("version", step.Version), slog.String("name", step.Name))
			}
		}
	}
	return nil
}

func (db *DB) applyStep(ctx context.Context, conn *sql.Conn, module string, step Migration) (applied bool, err error) {
	tx, err := conn.BeginTx(ctx, nil)
	if err != nil {
		return false, fmt.Errorf("sqldb: migrate %s %d: begin: %w", module, step.Version, err)
	}
	defer func() {
		if err != nil {
			_ = tx.Rollback()
		}
	}()
	var one int
	err = tx.QueryRowContext(ctx, "SELECT 1 FROM schema_migrations WHERE module = $1 AND version = $2", module, step.Version).Scan(&one)
	switch {
	case err == nil:
		return false, tx.Rollback()
	case !errors.Is(err, sql.ErrNoRows):
		return false, fmt.Errorf("sqldb: migrate %s %d: %w", module, step.Version, err)
	}
	if _, err = tx.ExecContext(ctx, step.SQL); err != nil {
		return false, fmt.Errorf("sqldb: migrate %s %d_%s: %w", module, step.Version, step.Name, err)
	}
	if _, err = tx.ExecContext(ctx, "INSERT INTO schema_migrations (module, version, name, applied_at) VALUES ($1, $2, $3, $4)",
		module, step.Version, step.Name, nowMillis()); err != nil {
		return false, fmt.Errorf("sqldb: migrate %s %d: record: %w", module, step.Version, err)
	}
	if err = tx.Commit(); err != nil {
		return false, fmt.Errorf("sqldb: migrate %s %d: commit: %w", module, step.Version, err)
	}
	return true, nil
}

// Versions returns the highest applied version of each module.
func (db *DB) Versions(ctx context.Context) (map[string]int, error) {
	rows, err := db.read.QueryContext(ctx, "SELECT module, MAX(version) FROM schema_migrations GROUP BY module")
	if err != nil {
		return nil, fmt.Errorf("sqldb: versions: %w", err)
	}
	defer rows.Close()
	out := map[string]int{}
	for rows.Next() {
		var m string
		var v int
		if err := rows.Scan(&m, &v); err != nil {
			return nil, fmt.Errorf("sqldb: versions: %w", err)
		}
		out[m] = v
	}
	return out, rows.Err()
}

// NewModule names a module's schema whose steps sit in the "migrations"
// folder of fsys (usually the module's `//go:embed migrations` variable).
func NewModule(name string, fsys fs.FS) Module {
	sub, err := fs.Sub(fsys, "migrations")
	if err != nil {
		panic(fmt.Sprintf("sqldb: module %s: %v", name, err)) // an embedding mistake, caught by any test
	}
	return Module{Name: name, Migrations: sub}
}
