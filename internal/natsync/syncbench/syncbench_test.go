package syncbench_test

import (
	"context"
	"log/slog"
	"os"
	"testing"
	"time"

	"github.com/congso/congso/internal/db"
	"github.com/congso/congso/internal/db/dbtest"
	"github.com/congso/congso/internal/natsync/syncbench"
)

// TestDrainRuns runs a small drain on each engine, with the dossiers still
// changing during the outage and the drain: every record arrives once, in
// order (Drain fails otherwise), and the rates are measured.
func TestDrainRuns(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		r, err := syncbench.Drain(context.Background(), d, syncbench.Options{Records: 120, PerDossier: 4, Workers: 2, Batch: 8,
			Outage: 700 * time.Millisecond, Rate: 100,
			Log: slog.New(slog.NewTextHandler(t.Output(), nil))})
		if err != nil {
			t.Fatal(err)
		}
		if r.Records <= 120 || r.Backlog <= 120 || r.DrainRate <= 0 || r.BaselineRate <= 0 || r.Attempts < int64(r.Records) {
			t.Errorf("result %+v", r)
		}
		syncbench.Print(os.Stderr, []syncbench.Result{r})
	})
}

// BenchmarkDrain reports the drain rate after an outage next to the rate of
// plain POSTs of the same records to the same hub, measured in the same run.
func BenchmarkDrain(b *testing.B) {
	for _, engine := range []db.Engine{db.SQLite, db.Postgres} {
		b.Run(string(engine), func(b *testing.B) {
			if engine == db.Postgres && dbtest.PostgresURL() == "" {
				b.Skip("PostgreSQL benchmarks need CONGSO_TEST_DATABASE_URL")
			}
			var r syncbench.Result
			for b.Loop() {
				b.StopTimer()
				d := dbtest.Open(b, engine)
				b.StartTimer()
				var err error
				if r, err = syncbench.Drain(context.Background(), d, syncbench.Options{Records: 2000}); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(r.DrainRate, "records/s")
			b.ReportMetric(r.BaselineRate, "baseline-req/s")
			b.ReportMetric(r.Ratio, "drain/baseline")
			b.ReportMetric(float64(r.FirstAfterUp.Milliseconds()), "ms-to-first")
		})
	}
}
