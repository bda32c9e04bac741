// Package dbtest gives tests a fresh, migrated database on every engine
// available: SQLite always, PostgreSQL when CONGSO_TEST_DATABASE_URL is set
// (each test gets its own schema, dropped afterwards).
package dbtest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"net/url"
	"os"
	"path/filepath"
	"testing"

	"github.com/congso/congso/internal/db"
)

// PostgresURL returns the test database URL, or "" when PostgreSQL tests are off.
func PostgresURL() string { return os.Getenv("CONGSO_TEST_DATABASE_URL") }

// Skip skips a test that needs something this machine lacks — unless
// CONGSO_TEST_REQUIRE_ALL is set (as in CI), where a skip would hide a gap,
// and the test fails instead.
func Skip(t testing.TB, why string) {
	t.Helper()
	if os.Getenv("CONGSO_TEST_REQUIRE_ALL") != "" {
		t.Fatalf("%s (CONGSO_TEST_REQUIRE_ALL is set, so this may not be skipped)", why)
	}
	t.Skip(why)
}

// Each runs fn as a subtest once per available engine, each with a fresh,
// migrated database.
func Each(t *testing.T, fn func(t *testing.T, d *db.DB)) {
	t.Helper()
	t.Run("sqlite", func(t *testing.T) { fn(t, Open(t, db.SQLite)) })
	t.Run("postgres", func(t *testing.T) { fn(t, Open(t, db.Postgres)) })
}

// Open returns a fresh migrated database on the engine, skipping the test
// when PostgreSQL is asked for and not configured.
func Open(t testing.TB, engine db.Engine) *db.DB {
	t.Helper()
	d := OpenEmpty(t, engine)
	if _, err := d.Migrate(context.Background()); err != nil {
		t.Fatalf("migrate: %v", err)
	}
	return d
}

// URL returns a connection URL for a fresh, empty database on the engine
// (a temporary SQLite file, or a new PostgreSQL schema dropped at cleanup).
func URL(t testing.TB, engine db.Engine) string {
	t.Helper()
	if engine == db.SQLite {
		return "sqlite:" + filepath.Join(t.TempDir(), "test.db")
	}
	base := PostgresURL()
	if base == "" {
		Skip(t, "PostgreSQL tests need CONGSO_TEST_DATABASE_URL")
	}
	ctx := context.Background()
	admin, err := db.Open(ctx, base, "", db.Options{MaxConns: 2})
	if err != nil {
		t.Fatalf("connect to test PostgreSQL: %v", err)
	}
	var b [6]byte
	_, _ = rand.Read(b[:])
	schema := "t_" + hex.EncodeToString(b[:])
	if _, err := admin.Exec(ctx, "CREATE SCHEMA "+schema); err != nil {
		admin.Close()
		t.Fatalf("create schema: %v", err)
	}
	t.Cleanup(func() {
		_, _ = admin.Exec(context.Background(), "DROP SCHEMA "+schema+" CASCADE")
		admin.Close()
	})
	u, err := url.Parse(base)
	if err != nil {
		t.Fatalf("parse CONGSO_TEST_DATABASE_URL: %v", err)
	}
	q := u.Query()
	q.Set("search_path", schema)
	u.RawQuery = q.Encode()
	return u.String()
}

// OpenEmpty returns a fresh database without migrations.
func OpenEmpty(t testing.TB, engine db.Engine) *db.DB {
	t.Helper()
	d, err := db.Open(context.Background(), URL(t, engine), t.TempDir(), db.Options{MaxConns: 8})
	if err != nil {
		t.Fatalf("open %s: %v", engine, err)
	}
	t.Cleanup(func() { d.Close() })
	return d
}
