package dashboard_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"strconv"
	"testing"
	"time"

	"github.com/congso/congso/internal/db"
	"github.com/congso/congso/internal/db/dbtest"
	"github.com/congso/congso/internal/dossier"
)

// benchDossiers is the size of the province the benchmark builds:
// CONGSO_BENCH_DOSSIERS, 200,000 by default.
func benchDossiers() int {
	if n, err := strconv.Atoi(os.Getenv("CONGSO_BENCH_DOSSIERS")); err == nil && n > 0 {
		return n
	}
	return 200_000
}

// seedProvince writes a province of n dossiers over two years ending at now:
// 150 communes and 50 departments, 300 procedures in 30 fields, most
// dossiers finished, one in twenty still open around its deadline.
func seedProvince(tb testing.TB, d *db.DB, n int) {
	tb.Helper()
	ctx := context.Background()
	rng := rand.New(rand.NewPCG(1, 2))
	err := d.Tx(ctx, func(tx *db.Tx) error {
		for i := range 200 {
			kind, unit := "department", any(nil)
			if i < 150 {
				kind, unit = "commune_pc", fmt.Sprintf("u%d", i)
				if _, err := tx.Exec(ctx, "INSERT INTO admin_units (id, code, edition, level, kind, name, full_name, name_fold) VALUES (?, ?, '2025', 'commune', 'xa', ?, ?, ?)",
					unit, unit, fmt.Sprintf("Xã %d", i), fmt.Sprintf("Xã %d", i), fmt.Sprintf("xa %d", i)); err != nil {
					return err
				}
			}
			if _, err := tx.Exec(ctx, "INSERT INTO agencies (id, code, name, kind, unit_id, name_fold, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
				fmt.Sprintf("a%d", i), fmt.Sprintf("c%d", i), fmt.Sprintf("Cơ quan %d", i), kind, unit, fmt.Sprintf("co quan %d", i), now, now); err != nil {
				return err
			}
		}
		for i := range 300 {
			if _, err := tx.Exec(ctx, "INSERT INTO procedures (id, code, name, name_fold, search_fold, field, level, agency_kind, limit_n, limit_unit, cutoff, online_level, active, version, "+
				"created_at, updated_at, fees, documents, results, legal_basis, steps, form) VALUES (?, ?, ?, ?, '', ?, 'commune', 'commune_pc', 3, 'working_days', '15:00', 'full', ?, 1, ?, ?, '[]', '[]', '[]', '[]', '[]', '{}')",
				fmt.Sprintf("p%d", i), fmt.Sprintf("p%d", i), fmt.Sprintf("Thủ tục %d", i), fmt.Sprintf("thu tuc %d", i), fmt.Sprintf("Lĩnh vực %d", i%30), true, now, now); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		tb.Fatalf("seed agencies: %v", err)
	}
	channels := []dossier.Channel{dossier.Counter, dossier.Post, dossier.Portal, dossier.National}
	const batch = 5000
	for start := 0; start < n; start += batch {
		err := d.Tx(ctx, func(tx *db.Tx) error {
			for i := start; i < min(start+batch, n); i++ {
				filed := now.Add(-time.Duration(rng.Int64N(int64(730 * 24 * time.Hour))))
				due := filed.Add(time.Duration(3+rng.IntN(10)) * 24 * time.Hour)
				status, processed, outcome := dossier.Returned, any(nil), ""
				if rng.IntN(20) == 0 || filed.After(now.Add(-3*24*time.Hour)) {
					status = []dossier.Status{dossier.Accepted, dossier.Processing, dossier.Processing, dossier.SupplementRequested, dossier.New}[rng.IntN(5)]
				} else {
					p := filed.Add(time.Duration(rng.Int64N(int64(12 * 24 * time.Hour))))
					processed = p
					outcome = string(dossier.OnTime)
					if p.After(due) {
						outcome = string(dossier.Late)
					}
				}
				ag := fmt.Sprintf("a%d", rng.IntN(200))
				id := fmt.Sprintf("d%08d", i)
				if _, err := tx.Exec(ctx, "INSERT INTO dossiers (id, code, receiving_agency_id, agency_id, holder_agency_id, procedure_id, procedure_code, procedure_name, plan, channel, status, "+
					"applicant_kind, applicant_name, limit_value, limit_unit, cutoff, filed_at, due_at, processed_at, outcome, search_fold, created_at, updated_at) "+
					"VALUES (?, ?, ?, ?, ?, ?, ?, ?, '[]', ?, ?, 'citizen', 'Nguyễn Văn An', 3, 'working_days', '15:00', ?, ?, ?, ?, '', ?, ?)",
					id, "H25."+id, ag, ag, ag, fmt.Sprintf("p%d", rng.IntN(300)), "p", "Thủ tục", string(channels[rng.IntN(4)]), int(status),
					filed, due, processed, outcome, filed, filed); err != nil {
					return err
				}
				if _, err := tx.Exec(ctx, "INSERT INTO dossier_agencies (dossier_id, agency_id) VALUES (?, ?)", id, ag); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			tb.Fatalf("seed dossiers: %v", err)
		}
	}
	if d.Engine() == db.SQLite {
		_, _ = d.Exec(ctx, "ANALYZE")
	} else {
		// As autovacuum would: the visibility map lets the covering indexes
		// answer without reading the table.
		_, _ = d.Exec(ctx, "VACUUM ANALYZE dossiers")
	}
}

// BenchmarkOverview times the province's overview on a large table with the
// dashboard's indexes, then without them (the baseline), on each engine:
//
//	CONGSO_BENCH_DOSSIERS=200000 go test -run '^$' -bench Overview -benchtime 20x ./internal/dashboard
func BenchmarkOverview(b *testing.B) {
	for _, engine := range []db.Engine{db.SQLite, db.Postgres} {
		b.Run(string(engine), func(b *testing.B) {
			d := dbtest.Open(b, engine)
			seedProvince(b, d, benchDossiers())
			svc := service(d)
			run := func(b *testing.B) {
				for b.Loop() {
					if _, err := svc.Overview(context.Background(), observer()); err != nil {
						b.Fatal(err)
					}
				}
			}
			b.Run("indexed", run)
			for _, ix := range []string{"dossiers_filed", "dossiers_processed", "dossiers_open"} {
				if _, err := d.Exec(context.Background(), "DROP INDEX "+ix); err != nil {
					b.Fatal(err)
				}
			}
			b.Run("baseline-without-indexes", run)
		})
	}
}
