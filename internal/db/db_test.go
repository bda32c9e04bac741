package db_test

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/congso/congso/internal/db"
	"github.com/congso/congso/internal/db/dbtest"
)

func TestBothEnginesHaveTheSameSchema(t *testing.T) {
	if dbtest.PostgresURL() == "" {
		dbtest.Skip(t, "needs CONGSO_TEST_DATABASE_URL")
	}
	ctx := context.Background()
	lite := dbtest.Open(t, db.SQLite)
	pg := dbtest.Open(t, db.Postgres)
	lc, err := lite.Columns(ctx)
	if err != nil {
		t.Fatal(err)
	}
	pc, err := pg.Columns(ctx)
	if err != nil {
		t.Fatal(err)
	}
	in := func(cols []db.Column) map[db.Column]bool {
		m := map[db.Column]bool{}
		for _, c := range cols {
			m[c] = true
		}
		return m
	}
	lm, pm := in(lc), in(pc)
	for c := range lm {
		if !pm[c] {
			t.Errorf("%s.%s exists on SQLite but not on PostgreSQL", c.Table, c.Name)
		}
	}
	for c := range pm {
		if !lm[c] {
			t.Errorf("%s.%s exists on PostgreSQL but not on SQLite", c.Table, c.Name)
		}
	}
	if len(lm) < 50 {
		t.Errorf("only %d columns: schema not migrated?", len(lm))
	}
}

func TestMigrationsMatchAcrossEngines(t *testing.T) {
	lite := dbtest.OpenEmpty(t, db.SQLite)
	lm, err := lite.Migrations()
	if err != nil {
		t.Fatal(err)
	}
	if len(lm) == 0 {
		t.Fatal("no migrations embedded")
	}
	// Versions must be dense from 1 so that a missing file on one engine shows.
	for i, m := range lm {
		if m.Version != i+1 {
			t.Fatalf("migration %d is numbered %d", i+1, m.Version)
		}
	}
}

func TestMigrateIsIdempotent(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		n, err := d.Migrate(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		if n != 0 {
			t.Fatalf("second Migrate applied %d migrations", n)
		}
	})
}

func TestTxRollsBackOnError(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		boom := errors.New("boom")
		err := d.Tx(ctx, func(tx *db.Tx) error {
			if _, err := tx.Exec(ctx, "INSERT INTO settings (key, value) VALUES (?, ?)", "a", "1"); err != nil {
				return err
			}
			return boom
		})
		if !errors.Is(err, boom) {
			t.Fatalf("err = %v", err)
		}
		var n int
		if err := d.QueryRow(ctx, "SELECT COUNT(*) FROM settings WHERE key = ?", "a").Scan(&n); err != nil {
			t.Fatal(err)
		}
		if n != 0 {
			t.Fatal("a failed transaction left a row behind")
		}
	})
}

func TestTimesRoundTripInUTC(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		ict := time.FixedZone("ICT", 7*3600)
		at := time.Date(2025, 7, 1, 8, 30, 15, 123456000, ict)
		if _, err := d.Exec(ctx, "INSERT INTO dataset_versions (name, version, loaded_at) VALUES (?, ?, ?)", "x", "1", at); err != nil {
			t.Fatal(err)
		}
		var got time.Time
		if err := d.QueryRow(ctx, "SELECT loaded_at FROM dataset_versions WHERE name = ?", "x").Scan(&got); err != nil {
			t.Fatal(err)
		}
		if !got.Equal(at) {
			t.Fatalf("read %v, wrote %v", got, at)
		}
		// Comparisons in SQL must order instants correctly on both engines.
		var n int
		if err := d.QueryRow(ctx, "SELECT COUNT(*) FROM dataset_versions WHERE loaded_at > ?", at.Add(-time.Millisecond)).Scan(&n); err != nil {
			t.Fatal(err)
		}
		if n != 1 {
			t.Fatalf("comparison found %d rows", n)
		}
	})
}

func TestConcurrentWritersDoNotFail(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		var wg sync.WaitGroup
		errs := make(chan error, 32)
		for i := 0; i < 32; i++ {
			wg.Add(1)
			go func(i int) {
				defer wg.Done()
				errs <- d.Tx(ctx, func(tx *db.Tx) error {
					var n int
					if err := tx.QueryRow(ctx, "SELECT COUNT(*) FROM settings").Scan(&n); err != nil {
						return err
					}
					_, err := tx.Exec(ctx, "INSERT INTO settings (key, value) VALUES (?, ?)", fmt.Sprint("k", i), fmt.Sprint(n))
					return err
				})
			}(i)
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			if err != nil {
				t.Fatal(err)
			}
		}
		var n int
		if err := d.QueryRow(ctx, "SELECT COUNT(*) FROM settings").Scan(&n); err != nil {
			t.Fatal(err)
		}
		if n != 32 {
			t.Fatalf("%d rows after 32 concurrent inserts", n)
		}
	})
}

func TestRebind(t *testing.T) {
	cases := map[string]string{
		"SELECT ? , ?":                   "SELECT $1 , $2",
		"SELECT '?' , ?":                 "SELECT '?' , $1",
		`SELECT "a?" FROM t WHERE x = ?`: `SELECT "a?" FROM t WHERE x = $1`,
	}
	for in, want := range cases {
		if got := db.RebindDollarForTest(in); got != want {
			t.Errorf("rebind(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestUniqueViolationIsRecognised(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		if _, err := d.Exec(ctx, "INSERT INTO settings (key, value) VALUES ('u', '1')"); err != nil {
			t.Fatal(err)
		}
		_, err := d.Exec(ctx, "INSERT INTO settings (key, value) VALUES ('u', '2')")
		if !db.IsUniqueViolation(err) {
			t.Fatalf("not recognised as a unique violation: %v", err)
		}
	})
}
