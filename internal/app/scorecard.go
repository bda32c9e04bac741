package app

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"slices"
	"time"

	"github.com/congso/congso/internal/calendar"
	"github.com/congso/congso/internal/db"
	"github.com/congso/congso/internal/httpx"
	"github.com/congso/congso/internal/indicator"
)

// scorecardRefresh is how often the scorecard's facts follow the dossiers:
// a status change shows within about this long.
const scorecardRefresh = time.Second

// initScorecard builds the 766 scorecard and its refresher.
func (a *App) initScorecard() {
	a.Indicators = indicator.New(a.DB, a.cfg.Now, nil)
	a.workers = append(a.workers, func(ctx context.Context) { a.Indicators.RunRefresher(ctx, scorecardRefresh, a.log) })
}

func (a *App) registerScorecardAPI(r *httpx.Router) {
	indicator.API{Svc: a.Indicators, Log: a.log, Now: a.cfg.Now}.Register(r)
}

const benchPostgres = "postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable"

// scorecardBenchCommand is `congso bench seed` and `congso bench scorecard`.
func scorecardBenchCommand(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	sub := args[0]
	fs := flag.NewFlagSet("bench "+sub, flag.ContinueOnError)
	fs.SetOutput(stderr)
	url := fs.String("database", "sqlite:./congso-bench.db", "database to fill or measure (sqlite:FILE or a postgres:// URL)")
	n := fs.Int("dossiers", 100000, "dossiers to generate over two years")
	real := fs.Int("real", 5000, "of them, dossiers written as rows and derived by the refresher")
	runs := fs.Int("runs", 20, "measured runs of each scorecard")
	changes := fs.Int("changes", 5, "status changes timed to their appearance in the scorecard")
	if err := fs.Parse(args[1:]); err != nil {
		return err
	}
	d, err := db.Open(ctx, *url, "", db.Options{})
	if err != nil {
		return err
	}
	defer d.Close()
	if _, err := d.Migrate(ctx); err != nil {
		return err
	}
	svc := indicator.New(d, time.Now, nil)
	switch sub {
	case "seed":
		if *n < 1 {
			return errors.New("--dossiers must be positive")
		}
		start := time.Now()
		res, err := indicator.Seed(ctx, d, indicator.SeedOptions{Dossiers: *n, Real: *real, Now: time.Now(), Seed: 1,
			Progress: func(done int) { fmt.Fprintf(stderr, "\r%d dossiers written…", done) },
			Phase: func(name string, took time.Duration) {
				fmt.Fprintf(stdout, "  %s: %s\n", name, took.Round(time.Millisecond))
			}})
		if err != nil {
			return err
		}
		fmt.Fprintln(stderr)
		loaded := time.Since(start)
		derived, err := svc.Refresh(ctx)
		if err != nil {
			return err
		}
		fmt.Fprintf(stdout, "%s: %d dossiers from %s to %s, %d agencies: %d written as facts in %s (%.0f/s), %d daily and %d monthly roll-up rows; %d dossier rows derived by the refresher in %s.\n",
			d.Engine(), *n, res.FirstDay, res.LastDay, len(res.Agencies), res.FactRows, loaded.Round(time.Millisecond),
			float64(res.FactRows)/loaded.Seconds(), res.DailyRows, res.MonthRows, derived, (time.Since(start) - loaded).Round(time.Millisecond))
		return nil
	case "scorecard":
		return benchScorecard(ctx, d, svc, *runs, *changes, stdout)
	}
	return nil
}

func median(ds []time.Duration) time.Duration {
	s := slices.Clone(ds)
	slices.Sort(s)
	return s[len(s)/2]
}

func timeIt(runs int, fn func() error) (time.Duration, error) {
	var ds []time.Duration
	for i := 0; i < runs; i++ {
		t := time.Now()
		if err := fn(); err != nil {
			return 0, err
		}
		ds = append(ds, time.Since(t))
	}
	return median(ds), nil
}

func benchScorecard(ctx context.Context, d *db.DB, svc *indicator.Service, runs, changes int, stdout io.Writer) error {
	var facts int64
	if err := d.QueryRow(ctx, `SELECT COUNT(*) FROM indicator_facts`).Scan(&facts); err != nil {
		return err
	}
	var agency string
	if err := d.QueryRow(ctx, `SELECT agency_id FROM indicator_daily GROUP BY agency_id ORDER BY SUM(received) DESC LIMIT 1`).Scan(&agency); err != nil {
		return fmt.Errorf("no generated data (run congso bench seed first): %w", err)
	}
	today := calendar.DateOf(time.Now().In(calendar.Location()))
	year := indicator.Period{From: calendar.Date{Year: today.Year, Month: 1, Day: 1}, To: today}
	province := indicator.Scope{Kind: indicator.Province}
	one := indicator.Scope{Kind: indicator.Agency, ID: agency}
	fmt.Fprintf(stdout, "%s, %d dossiers' facts, year %s, busiest agency %s\n", d.Engine(), facts, year, agency)
	for _, c := range []struct {
		name  string
		scope indicator.Scope
	}{{"province", province}, {"agency", one}} {
		if _, err := svc.Scorecard(ctx, nil, c.scope, year); err != nil { // warm-up
			return err
		}
		rolled, err := timeIt(runs, func() error { _, err := svc.Scorecard(ctx, nil, c.scope, year); return err })
		if err != nil {
			return err
		}
		var a, b indicator.Scorecard
		a, _ = svc.Scorecard(ctx, nil, c.scope, year)
		scratch, err := timeIt(3, func() error { var err error; b, err = svc.ScorecardFromFacts(ctx, nil, c.scope, year); return err })
		if err != nil {
			return err
		}
		same := "same figures"
		if a.Counts != b.Counts {
			same = "FIGURES DIFFER"
		}
		fmt.Fprintf(stdout, "  %-8s year scorecard: roll-ups %8s  from scratch (every dossier's facts) %9s  ratio %6.0fx  total %.2f (%s)\n",
			c.name, rolled.Round(10*time.Microsecond), scratch.Round(time.Millisecond), float64(scratch)/float64(rolled), a.Total, same)
	}
	rk, err := timeIt(3, func() error { _, err := svc.Rank(ctx, indicator.Agency, year); return err })
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "  agency ranking for the year: %s\n", rk.Round(time.Millisecond))

	// A status change, written as the dossier service writes it, until the
	// refresher has carried it into the agency's scorecard.
	if changes > 0 {
		rctx, stop := context.WithCancel(ctx)
		defer stop()
		go svc.RunRefresher(rctx, scorecardRefresh, slog.New(slog.NewTextHandler(stdout, nil)))
		var delays []time.Duration
		for i := 0; i < changes; i++ {
			var id, ag string
			err := d.QueryRow(ctx, `SELECT id, agency_id FROM dossiers WHERE status = 4 ORDER BY id LIMIT 1`).Scan(&id, &ag)
			if err != nil {
				return fmt.Errorf("an open generated dossier: %w", err)
			}
			sc := indicator.Scope{Kind: indicator.Agency, ID: ag}
			before, err := svc.Scorecard(ctx, nil, sc, year)
			if err != nil {
				return err
			}
			t0 := time.Now()
			if _, err := d.Exec(ctx, `UPDATE dossiers SET status = 9, processed_at = ?, updated_at = ? WHERE id = ?`,
				db.Instant(t0), db.Instant(t0), id); err != nil {
				return err
			}
			for {
				after, err := svc.Scorecard(ctx, nil, sc, year)
				if err != nil {
					return err
				}
				if after.Counts.Finished > before.Counts.Finished {
					break
				}
				if time.Since(t0) > 30*time.Second {
					return errors.New("the change did not reach the scorecard in 30 s")
				}
				time.Sleep(10 * time.Millisecond)
			}
			delays = append(delays, time.Since(t0))
		}
		fmt.Fprintf(stdout, "  status change → scorecard: median %s, max %s over %d changes (refresh every %s)\n",
			median(delays).Round(time.Millisecond), slices.Max(delays).Round(time.Millisecond), len(delays), scorecardRefresh)
	}
	return nil
}
