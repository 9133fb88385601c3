// Package sqldbtest runs store tests on every dialect: SQLite in a temporary
// directory always, and PostgreSQL whenever the server is reachable (a fresh
// schema per test, dropped afterwards).
//
// The PostgreSQL server is JIAOTONG_TEST_POSTGRES_DSN, by default the local
// one (postgres://postgres@127.0.0.1:5432/test). When it cannot be reached the
// PostgreSQL half is skipped with a message saying so, unless
// JIAOTONG_TEST_REQUIRE_SERVICES=1 (set by CI), which makes it a failure.
package sqldbtest

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/jiaotong-platform/jiaotong/internal/platform/sqldb"
)

// DefaultPostgresDSN is the local test server of the development machines.
const DefaultPostgresDSN = "postgres://postgres@127.0.0.1:5432/test?sslmode=disable"

// PostgresDSN returns the DSN tests use for PostgreSQL.
func PostgresDSN() string {
	if dsn := os.Getenv("JIAOTONG_TEST_POSTGRES_DSN"); dsn != "" {
		return dsn
	}
	return DefaultPostgresDSN
}

// RequireServices reports whether a missing external service must fail the
// test run instead of skipping (CI sets JIAOTONG_TEST_REQUIRE_SERVICES=1).
func RequireServices() bool { return os.Getenv("JIAOTONG_TEST_REQUIRE_SERVICES") == "1" }

var (
	pgOnce sync.Once
	pgErr  error
)

func postgresReachable() error {
	pgOnce.Do(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
		defer cancel()
		db, err := sql.Open("pgx", PostgresDSN())
		if err != nil {
			pgErr = err
			return
		}
		defer db.Close()
		pgErr = db.PingContext(ctx)
	})
	return pgErr
}

// Run calls fn once per dialect as subtests "sqlite" and "postgres", each with
// an empty, unmigrated database of its own.
func Run(t *testing.T, fn func(t *testing.T, db *sqldb.DB)) {
	t.Helper()
	t.Run("sqlite", func(t *testing.T) { fn(t, OpenSQLite(t)) })
	t.Run("postgres", func(t *testing.T) { fn(t, OpenPostgres(t)) })
}

// OpenSQLite opens an empty SQLite database in t.TempDir.
func OpenSQLite(t testing.TB) *sqldb.DB {
	t.Helper()
	db, err := sqldb.Open(context.Background(), sqldb.Options{SQLitePath: filepath.Join(t.TempDir(), "test.db")})
	if err != nil {
		t.Fatalf("open sqlite: %v", err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

// OpenPostgres opens a fresh, empty schema on the test PostgreSQL server, or
// skips the test when the server is unreachable (fails under CI).
func OpenPostgres(t testing.TB) *sqldb.DB {
	t.Helper()
	db, err := sqldb.Open(context.Background(), sqldb.Options{Postgres: PostgresSchemaDSN(t)})
	if err != nil {
		t.Fatalf("open postgres: %v", err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

// PostgresSchemaDSN creates a fresh schema on the test PostgreSQL server,
// dropped when the test ends, and returns a DSN whose search_path points at
// it; for tests that start a whole platform on PostgreSQL. It skips the test
// when the server is unreachable (fails under CI).
func PostgresSchemaDSN(t testing.TB) string {
	t.Helper()
	if err := postgresReachable(); err != nil {
		msg := fmt.Sprintf("PostgreSQL unreachable at %s (set JIAOTONG_TEST_POSTGRES_DSN): %v", sqldb.RedactDSN(PostgresDSN()), err)
		if RequireServices() {
			t.Fatal(msg)
		}
		t.Skip("SKIP postgres: " + msg)
	}
	ctx := context.Background()
	admin, err := sql.Open("pgx", PostgresDSN())
	if err != nil {
		t.Fatalf("open postgres: %v", err)
	}
	defer admin.Close()
	var b [6]byte
	_, _ = rand.Read(b[:])
	schema := "t_" + hex.EncodeToString(b[:])
	if _, err := admin.ExecContext(ctx, "CREATE SCHEMA "+schema); err != nil {
		t.Fatalf("create schema: %v", err)
	}
	t.Cleanup(func() {
		a, err := sql.Open("pgx", PostgresDSN())
		if err != nil {
			return
		}
		defer a.Close()
		_, _ = a.ExecContext(context.Background(), "DROP SCHEMA "+schema+" CASCADE")
	})
	return withSearchPath(t, PostgresDSN(), schema)
}

func withSearchPath(t testing.TB, dsn, schema string) string {
	u, err := url.Parse(dsn)
	if err != nil {
		t.Fatalf("postgres DSN must be a URL: %v", err)
	}
	q := u.Query()
	q.Set("search_path", schema)
	u.RawQuery = q.Encode()
	return u.String()
}
