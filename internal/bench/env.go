package bench

import (
	"context"
	"database/sql"
	"fmt"
	"net/url"
	"os"
	"time"
)

// benchEnv is a fresh database for one bench: a folder for the embedded
// SQLite file and stored files, and on PostgreSQL a database created on the
// server and dropped by cleanup.
type benchEnv struct {
	dir, dbURL string
	cleanup    func()
}

func newEnv(ctx context.Context, prefix, engine, postgresURL string) (*benchEnv, error) {
	dir, err := os.MkdirTemp("", prefix)
	if err != nil {
		return nil, err
	}
	env := &benchEnv{dir: dir, cleanup: func() { os.RemoveAll(dir) }}
	if engine != "postgres" {
		return env, nil
	}
	admin, err := sql.Open("pgx", postgresURL)
	if err != nil {
		return nil, err
	}
	name := fmt.Sprintf("congso_bench_%d", time.Now().UnixNano())
	if _, err := admin.ExecContext(ctx, "CREATE DATABASE "+name); err != nil {
		admin.Close()
		return nil, fmt.Errorf("create the bench database (set --postgres to a server where it may): %w", err)
	}
	u, err := url.Parse(postgresURL)
	if err != nil {
		return nil, err
	}
	u.Path = "/" + name
	env.dbURL = u.String()
	env.cleanup = func() {
		_, _ = admin.ExecContext(context.Background(), "DROP DATABASE IF EXISTS "+name+" WITH (FORCE)")
		admin.Close()
		os.RemoveAll(dir)
	}
	return env, nil
}
