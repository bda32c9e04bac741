// Package db opens the platform's database — embedded SQLite by default,
// PostgreSQL in production — and hides the few differences between them: the
// placeholder syntax, the connection pools and the migrations.
package db

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/base32"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	_ "github.com/jackc/pgx/v5/stdlib" // registers the "pgx" driver
	_ "modernc.org/sqlite"             // registers the "sqlite" driver
)

// Engine names a database engine.
type Engine string

const (
	SQLite   Engine = "sqlite"
	Postgres Engine = "postgres"
)

// Querier is what a DB and a Tx have in common.
type Querier interface {
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}

// DB is an open database. Writes go through one pool and reads through another:
// on SQLite the writer is a single connection (SQLite allows one writer at a
// time, and queueing in Go is cheaper than busy retries) and readers run in
// parallel under WAL; on PostgreSQL both are the same pool.
type DB struct {
	engine Engine
	write  *sql.DB
	read   *sql.DB
	// location describes the database for messages, without credentials.
	location string

	rebound sync.Map // query text → PostgreSQL form
}

// Options tune how the database is opened.
type Options struct {
	// MaxConns bounds the PostgreSQL pool and the SQLite reader pool.
	MaxConns int
}

// Open opens the database named by url: "postgres://…" or "postgresql://…" for
// PostgreSQL; "sqlite:PATH", a bare file path, or "" (meaning DIR/congso.db)
// for SQLite. The SQLite file's folder is created if needed.
func Open(ctx context.Context, url, dataDir string, opt Options) (*DB, error) {
	if opt.MaxConns <= 0 {
		opt.MaxConns = 16
	}
	if strings.HasPrefix(url, "postgres://") || strings.HasPrefix(url, "postgresql://") {
		return openPostgres(ctx, url, opt)
	}
	path := strings.TrimPrefix(url, "sqlite:")
	if path == "" {
		path = filepath.Join(dataDir, "congso.db")
	}
	return openSQLite(ctx, path, opt)
}

func openPostgres(ctx context.Context, url string, opt Options) (*DB, error) {
	pool, err := sql.Open("pgx", url)
	if err != nil {
		return nil, fmt.Errorf("open postgres: %w", err)
	}
	pool.SetMaxOpenConns(opt.MaxConns)
	pool.SetMaxIdleConns(opt.MaxConns)
	pool.SetConnMaxIdleTime(5 * time.Minute)
	if err := pool.PingContext(ctx); err != nil {
		pool.Close()
		return nil, fmt.Errorf("connect to postgres: %w", err)
	}
	return &DB{engine: Postgres, write: pool, read: pool, location: redactURL(url)}, nil
}

func openSQLite(ctx context.Context, path string, opt Options) (*DB, error) {
	if dir := filepath.Dir(path); dir != "" {
		if err := os.MkdirAll(dir, 0o750); err != nil {
			return nil, fmt.Errorf("create data folder: %w", err)
		}
	}
	// busy_timeout comes first so that the pragmas after it wait rather than
	// fail when another process holds the file. synchronous=NORMAL in WAL mode
	// survives a crash of the process (the OS still has the WAL pages); only a
	// power cut can lose the last commits.
	base := "file:" + path + "?_pragma=busy_timeout(10000)&_pragma=journal_mode(WAL)&_pragma=synchronous(NORMAL)&_pragma=foreign_keys(1)&_time_format=sqlite"
	write, err := sql.Open("sqlite", base+"&_txlock=immediate")
	if err != nil {
		return nil, fmt.Errorf("open sqlite: %w", err)
	}
	write.SetMaxOpenConns(1)
	write.SetMaxIdleConns(1)
	write.SetConnMaxIdleTime(0)
	write.SetConnMaxLifetime(0)
	if err := write.PingContext(ctx); err != nil {
		write.Close()
		return nil, fmt.Errorf("open sqlite %s: %w", path, err)
	}
	read, err := sql.Open("sqlite", base+"&_pragma=query_only(1)")
	if err != nil {
		write.Close()
		return nil, fmt.Errorf("open sqlite readers: %w", err)
	}
	read.SetMaxOpenConns(opt.MaxConns)
	read.SetMaxIdleConns(opt.MaxConns)
	return &DB{engine: SQLite, write: write, read: read, location: path}, nil
}

// redactURL drops the password from a connection URL.
func redactURL(url string) string {
	at := strings.LastIndex(url, "@")
	scheme := strings.Index(url, "://")
	if at < 0 || scheme < 0 {
		return url
	}
	userinfo := url[scheme+3 : at]
	if i := strings.Index(userinfo, ":"); i >= 0 {
		userinfo = userinfo[:i] + ":***"
	}
	return url[:scheme+3] + userinfo + url[at:]
}

// Engine reports which engine is in use.
func (d *DB) Engine() Engine { return d.engine }

// Location describes the database without credentials.
func (d *DB) Location() string { return d.location }

// Close closes both pools.
func (d *DB) Close() error {
	err := d.write.Close()
	if d.read != d.write {
		err = errors.Join(err, d.read.Close())
	}
	return err
}

// Ping checks that the database answers.
func (d *DB) Ping(ctx context.Context) error {
	var one int
	if err := d.read.QueryRowContext(ctx, "SELECT 1").Scan(&one); err != nil {
		return fmt.Errorf("ping database: %w", err)
	}
	return nil
}

// Rebind rewrites ? placeholders into the engine's syntax.
func (d *DB) Rebind(query string) string {
	if d.engine != Postgres {
		return query
	}
	if q, ok := d.rebound.Load(query); ok {
		return q.(string)
	}
	q := rebindDollar(query)
	d.rebound.Store(query, q)
	return q
}

// rebindDollar turns ? into $1, $2… outside quoted strings and identifiers.
func rebindDollar(query string) string {
	var b strings.Builder
	b.Grow(len(query) + 8)
	n := 0
	var quote byte
	for i := 0; i < len(query); i++ {
		c := query[i]
		switch {
		case quote != 0:
			if c == quote {
				quote = 0
			}
		case c == '\'' || c == '"':
			quote = c
		case c == '?':
			n++
			b.WriteByte('$')
			b.WriteString(fmt.Sprint(n))
			continue
		}
		b.WriteByte(c)
	}
	return b.String()
}

// normalizeArgs stores instants in UTC at microsecond precision (what
// PostgreSQL keeps), so that they compare correctly as text on SQLite and read
// back identically on both engines.
func normalizeArgs(args []any) []any {
	for i, a := range args {
		switch v := a.(type) {
		case time.Time:
			args[i] = Instant(v)
		case *time.Time:
			if v != nil {
				args[i] = Instant(*v)
			} else {
				args[i] = nil
			}
		}
	}
	return args
}

// Instant is t as the database will keep it: UTC, microseconds.
func Instant(t time.Time) time.Time { return t.UTC().Truncate(time.Microsecond) }

// Exec runs a statement outside a transaction on the writer.
func (d *DB) Exec(ctx context.Context, query string, args ...any) (sql.Result, error) {
	return d.write.ExecContext(ctx, d.Rebind(query), normalizeArgs(args)...)
}

// Query runs a read on the reader pool.
func (d *DB) Query(ctx context.Context, query string, args ...any) (*sql.Rows, error) {
	return d.read.QueryContext(ctx, d.Rebind(query), normalizeArgs(args)...)
}

// QueryRow runs a one-row read on the reader pool.
func (d *DB) QueryRow(ctx context.Context, query string, args ...any) *sql.Row {
	return d.read.QueryRowContext(ctx, d.Rebind(query), normalizeArgs(args)...)
}

// Tx is a write transaction.
type Tx struct {
	tx *sql.Tx
	db *DB
}

// Engine reports which engine the transaction runs on.
func (t *Tx) Engine() Engine { return t.db.engine }

// Exec runs a statement in the transaction.
func (t *Tx) Exec(ctx context.Context, query string, args ...any) (sql.Result, error) {
	return t.tx.ExecContext(ctx, t.db.Rebind(query), normalizeArgs(args)...)
}

// Query runs a query in the transaction.
func (t *Tx) Query(ctx context.Context, query string, args ...any) (*sql.Rows, error) {
	return t.tx.QueryContext(ctx, t.db.Rebind(query), normalizeArgs(args)...)
}

// QueryRow runs a one-row query in the transaction.
func (t *Tx) QueryRow(ctx context.Context, query string, args ...any) *sql.Row {
	return t.tx.QueryRowContext(ctx, t.db.Rebind(query), normalizeArgs(args)...)
}

// Tx runs fn in a write transaction, committing if it returns nil and rolling
// back otherwise (also on panic). On SQLite the transaction takes the write
// lock at BEGIN, so it never fails half-way for lack of it.
func (d *DB) Tx(ctx context.Context, fn func(*Tx) error) (err error) {
	sqltx, err := d.write.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("begin transaction: %w", err)
	}
	tx := &Tx{tx: sqltx, db: d}
	defer func() {
		if p := recover(); p != nil {
			_ = sqltx.Rollback()
			panic(p)
		}
		if err != nil {
			_ = sqltx.Rollback()
		}
	}()
	if err = fn(tx); err != nil {
		return err
	}
	if err = sqltx.Commit(); err != nil {
		return fmt.Errorf("commit: %w", err)
	}
	return nil
}

// Runner is what store code needs to run SQL: either a *DB (reads) or a *Tx.
type Runner interface {
	Exec(ctx context.Context, query string, args ...any) (sql.Result, error)
	Query(ctx context.Context, query string, args ...any) (*sql.Rows, error)
	QueryRow(ctx context.Context, query string, args ...any) *sql.Row
}

// IsUniqueViolation reports whether err is a unique-constraint failure on either engine.
func IsUniqueViolation(err error) bool {
	if err == nil {
		return false
	}
	s := err.Error()
	return strings.Contains(s, "UNIQUE constraint failed") || strings.Contains(s, "SQLSTATE 23505")
}

// IsForeignKeyViolation reports whether err is a foreign-key failure on either engine.
func IsForeignKeyViolation(err error) bool {
	if err == nil {
		return false
	}
	s := err.Error()
	return strings.Contains(s, "FOREIGN KEY constraint failed") || strings.Contains(s, "SQLSTATE 23503")
}

// Placeholders returns n comma-separated ? placeholders for an IN list.
func Placeholders(n int) string {
	return strings.TrimSuffix(strings.Repeat("?,", n), ",")
}

// NewID returns a random opaque identifier (16 lower-case base32 characters).
func NewID() string {
	var b [10]byte
	if _, err := rand.Read(b[:]); err != nil {
		panic(fmt.Sprintf("crypto/rand failed: %v", err))
	}
	return strings.ToLower(base32.StdEncoding.WithPadding(base32.NoPadding).EncodeToString(b[:]))
}

// Pools exposes the connection pools for metrics.
func (d *DB) Pools() (write, read *sql.DB) { return d.write, d.read }

// Backup writes a consistent copy of a SQLite database to file while it stays
// in use.
func (d *DB) Backup(ctx context.Context, file string) error {
	if d.engine != SQLite {
		return errors.New("online backup from inside the platform is for SQLite; use pg_dump for PostgreSQL")
	}
	// A connection of its own: the readers are query-only, and the writer must
	// stay free for the server while the copy is made.
	conn, err := sql.Open("sqlite", "file:"+d.location+"?_pragma=busy_timeout(10000)")
	if err != nil {
		return fmt.Errorf("open for backup: %w", err)
	}
	defer conn.Close()
	if _, err := conn.ExecContext(ctx, "VACUUM INTO ?", file); err != nil {
		return fmt.Errorf("backup to %s: %w", file, err)
	}
	return nil
}
