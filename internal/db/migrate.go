package db

import (
	"context"
	"embed"
	"fmt"
	"io/fs"
	"path"
	"sort"
	"strconv"
	"strings"
	"time"
)

//go:embed migrations
var migrationFiles embed.FS

// Migration is one schema change, applied in its own transaction.
type Migration struct {
	Version int
	Name    string
	SQL     string
}

// Migrations lists the embedded migrations for the engine, in order. File
// names are NNNN_name.sql; each engine has its own folder with the same
// versions.
func (d *DB) Migrations() ([]Migration, error) {
	dir := path.Join("migrations", string(d.engine))
	entries, err := fs.ReadDir(migrationFiles, dir)
	if err != nil {
		return nil, fmt.Errorf("read migrations: %w", err)
	}
	var out []Migration
	for _, e := range entries {
		name := e.Name()
		if !strings.HasSuffix(name, ".sql") {
			continue
		}
		num, rest, ok := strings.Cut(strings.TrimSuffix(name, ".sql"), "_")
		v, err := strconv.Atoi(num)
		if !ok || err != nil {
			return nil, fmt.Errorf("migration file %s: name must be NNNN_name.sql", name)
		}
		body, err := fs.ReadFile(migrationFiles, path.Join(dir, name))
		if err != nil {
			return nil, fmt.Errorf("read migration %s: %w", name, err)
		}
		out = append(out, Migration{Version: v, Name: rest, SQL: string(body)})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Version < out[j].Version })
	for i := 1; i < len(out); i++ {
		if out[i].Version == out[i-1].Version {
			return nil, fmt.Errorf("two migrations numbered %d", out[i].Version)
		}
	}
	return out, nil
}

// Migrate applies the migrations not yet applied and reports how many ran.
// On PostgreSQL an advisory lock keeps two starting servers from racing.
func (d *DB) Migrate(ctx context.Context) (int, error) {
	migs, err := d.Migrations()
	if err != nil {
		return 0, err
	}
	if _, err := d.write.ExecContext(ctx, `CREATE TABLE IF NOT EXISTS schema_migrations (
		version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at TEXT NOT NULL)`); err != nil {
		return 0, fmt.Errorf("create schema_migrations: %w", err)
	}
	applied := 0
	for _, m := range migs {
		ran := false
		err := d.Tx(ctx, func(tx *Tx) error {
			if d.engine == Postgres {
				if _, err := tx.Exec(ctx, "SELECT pg_advisory_xact_lock(7262011)"); err != nil {
					return fmt.Errorf("lock migrations: %w", err)
				}
			}
			var n int
			if err := tx.QueryRow(ctx, "SELECT COUNT(*) FROM schema_migrations WHERE version = ?", m.Version).Scan(&n); err != nil {
				return fmt.Errorf("check migration %d: %w", m.Version, err)
			}
			if n > 0 {
				return nil
			}
			if _, err := tx.tx.ExecContext(ctx, m.SQL); err != nil {
				return fmt.Errorf("apply migration %04d_%s: %w", m.Version, m.Name, err)
			}
			if _, err := tx.Exec(ctx, "INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)",
				m.Version, m.Name, time.Now().UTC().Format(time.RFC3339)); err != nil {
				return fmt.Errorf("record migration %d: %w", m.Version, err)
			}
			ran = true
			return nil
		})
		if err != nil {
			return applied, err
		}
		if ran {
			applied++
		}
	}
	return applied, nil
}

// Column is one column of a table, as the schema test compares them.
type Column struct{ Table, Name string }

// Columns lists every table's columns (not the engine's own tables).
func (d *DB) Columns(ctx context.Context) ([]Column, error) {
	var q string
	switch d.engine {
	case SQLite:
		q = `SELECT m.name, p.name FROM sqlite_master m JOIN pragma_table_info(m.name) p
		     WHERE m.type = 'table' AND m.name NOT LIKE 'sqlite_%' ORDER BY m.name, p.name`
	default:
		q = `SELECT table_name, column_name FROM information_schema.columns
		     WHERE table_schema = current_schema() ORDER BY table_name, column_name`
	}
	rows, err := d.read.QueryContext(ctx, q)
	if err != nil {
		return nil, fmt.Errorf("list columns: %w", err)
	}
	defer rows.Close()
	var out []Column
	for rows.Next() {
		var c Column
		if err := rows.Scan(&c.Table, &c.Name); err != nil {
			return nil, fmt.Errorf("list columns: %w", err)
		}
		out = append(out, c)
	}
	return out, rows.Err()
}
