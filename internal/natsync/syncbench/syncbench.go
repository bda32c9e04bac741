// Package syncbench measures how fast the national-portal outbox drains
// after an outage: records are queued while the (simulated) hub is down and
// the workers keep failing, then the hub comes back and the time until the
// last record is acknowledged is measured. The same records are then posted
// to the same hub by plain concurrent HTTP clients, as the baseline: the
// ratio is the cost of the outbox (claims, leases, ordering per dossier,
// bookkeeping) over bare HTTP. `congso bench sync` runs it.
package syncbench

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"text/tabwriter"
	"time"

	"github.com/congso/congso/internal/db"
	"github.com/congso/congso/internal/dossier"
	"github.com/congso/congso/internal/natsync"
	"github.com/congso/congso/internal/natsync/hubsim"
)

// Options size the run.
type Options struct {
	// Records is how many records are queued (2000); PerDossier how many of
	// them each dossier has (4), which go out strictly one after another.
	Records    int
	PerDossier int
	// Workers and Batch are the outbox's (4 and 16); the baseline uses
	// Workers×Batch concurrent clients.
	Workers int
	Batch   int
	// Outage is how long the hub stays down after the first records are
	// queued (300 ms); Rate is how many more records per second the
	// dossiers keep making from then until the backlog has drained (0: none),
	// the load the outage happens under.
	Outage time.Duration
	Rate   float64
	// Log receives the outbox's own log (nothing by default).
	Log *slog.Logger
}

func (o *Options) defaults() {
	if o.Records <= 0 {
		o.Records = 2000
	}
	if o.PerDossier <= 0 {
		o.PerDossier = 4
	}
	if o.Workers <= 0 {
		o.Workers = 4
	}
	if o.Batch <= 0 {
		o.Batch = 16
	}
	if o.Outage <= 0 {
		o.Outage = 300 * time.Millisecond
	}
}

// Result is one run.
type Result struct {
	Engine string
	// Records is every record queued: the first ones, and those the load
	// added during the outage and the drain.
	Records int
	Outage  time.Duration
	// Backlog is what was pending when the hub came back; Arrived what the
	// load added while it drained.
	Backlog int64
	Arrived int
	// Queue is how long queueing took (in the dossiers' transactions).
	Queue time.Duration
	// FirstAfterUp is from the hub's return to the first acknowledged
	// record (the circuit breaker's probe delay).
	FirstAfterUp time.Duration
	// Drain is from the hub's return to the last acknowledged record.
	Drain        time.Duration
	DrainRate    float64
	Baseline     time.Duration
	BaselineRate float64
	// Ratio is DrainRate / BaselineRate.
	Ratio float64
	// Attempts and Duplicates tell how much was resent.
	Attempts   int64
	Duplicates int
}

const token = "bench-hub-token"

// Drain runs the benchmark on a migrated, empty database.
func Drain(ctx context.Context, d *db.DB, o Options) (Result, error) {
	o.defaults()
	res := Result{Engine: string(d.Engine()), Records: o.Records - o.Records%o.PerDossier}
	hub, err := hubsim.New(hubsim.Options{Token: token})
	if err != nil {
		return res, err
	}
	if _, err := hub.Start(); err != nil {
		return res, err
	}
	defer hub.Close()
	if err := hub.SetFailure(hubsim.Down); err != nil {
		return res, err
	}
	svc := natsync.New(natsync.Deps{DB: d, Log: o.Log}, natsync.Config{URL: hub.URL(), Token: token, BaseURL: "https://dvc.example.gov.vn",
		Timeout: 5 * time.Second, MaxAttempts: 1 << 30, BaseDelay: 20 * time.Millisecond, MaxDelay: time.Second,
		HubDelay: 20 * time.Millisecond, HubMaxDelay: 200 * time.Millisecond, Workers: o.Workers, Batch: o.Batch, Poll: 5 * time.Millisecond})
	runCtx, stop := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() { svc.Run(runCtx); close(done) }()
	defer func() { stop(); <-done }()

	start := time.Now()
	first := res.Records
	if err := queue(ctx, d, svc, 0, first, o.PerDossier, func(int) {}); err != nil {
		return res, err
	}
	res.Queue = time.Since(start)
	// The dossiers keep changing through the outage and the drain.
	queued := first
	var loadErr error
	loadCtx, stopLoad := context.WithCancel(ctx)
	loadDone := make(chan struct{})
	var mu sync.Mutex
	go func() {
		defer close(loadDone)
		if o.Rate <= 0 {
			return
		}
		began := time.Now()
		tick := time.NewTicker(100 * time.Millisecond)
		defer tick.Stop()
		for {
			select {
			case <-loadCtx.Done():
				return
			case <-tick.C:
			}
			due := first + int(o.Rate*time.Since(began).Seconds())
			mu.Lock()
			from := queued
			mu.Unlock()
			if due <= from {
				continue
			}
			err := queue(loadCtx, d, svc, from, due, o.PerDossier, func(upTo int) {
				mu.Lock()
				queued = upTo
				mu.Unlock()
			})
			if err != nil {
				if loadCtx.Err() == nil {
					loadErr = err
				}
				return
			}
		}
	}()
	stopTheLoad := func() int {
		stopLoad()
		<-loadDone
		mu.Lock()
		defer mu.Unlock()
		return queued
	}
	defer stopTheLoad()
	select {
	case <-time.After(o.Outage):
	case <-ctx.Done():
		return res, ctx.Err()
	}
	res.Outage = o.Outage
	before, err := svc.Counters(ctx)
	if err != nil {
		return res, err
	}
	res.Backlog = before.Pending
	mu.Lock()
	atUp := queued
	mu.Unlock()
	if err := hub.SetFailure(hubsim.None); err != nil {
		return res, err
	}
	up := time.Now()
	deadline := up.Add(max(10*time.Minute, 2*o.Outage))
	for {
		st, err := svc.Counters(ctx)
		if err != nil {
			return res, err
		}
		if res.FirstAfterUp == 0 && hub.Counts().Accepted > 0 {
			res.FirstAfterUp = time.Since(up)
		}
		if st.Pending == 0 {
			// Caught up: stop the load, and let the outbox send what it
			// made meanwhile.
			total := stopTheLoad()
			if st, err = svc.Counters(ctx); err != nil {
				return res, err
			}
			if st.Pending > 0 {
				time.Sleep(100 * time.Millisecond)
				continue
			}
			res.Records = total
			res.Arrived = total - atUp
			res.Attempts = st.Attempts
			if st.Dead > 0 || st.Sent != int64(res.Records) {
				return res, fmt.Errorf("syncbench: %d sent, %d dead of %d", st.Sent, st.Dead, res.Records)
			}
			break
		}
		if loadErr != nil {
			return res, loadErr
		}
		if time.Now().After(deadline) || ctx.Err() != nil {
			return res, fmt.Errorf("syncbench: %d records still pending", st.Pending)
		}
		// Counting the outbox is a query over all of it: done often, it
		// takes the database and the CPU from the workers being measured.
		time.Sleep(100 * time.Millisecond)
	}
	res.Drain = time.Since(up)
	res.Duplicates = hub.Counts().Duplicates
	if c := hub.Counts(); c.OutOfOrder > 0 || c.Accepted != res.Records {
		return res, fmt.Errorf("syncbench: hub holds %d records (%d out of order), want %d in order", c.Accepted, c.OutOfOrder, res.Records)
	}
	stop()
	<-done

	// The baseline: the same records, posted by plain clients.
	payloads, err := outbox(ctx, d)
	if err != nil {
		return res, err
	}
	hub.Reset()
	if res.Baseline, err = post(ctx, hub.URL(), payloads, o.Workers*o.Batch); err != nil {
		return res, err
	}
	if c := hub.Counts(); c.Accepted != len(payloads) {
		return res, fmt.Errorf("syncbench: baseline stored %d of %d", c.Accepted, len(payloads))
	}
	res.DrainRate = float64(res.Backlog+int64(res.Arrived)) / res.Drain.Seconds()
	res.BaselineRate = float64(len(payloads)) / res.Baseline.Seconds()
	res.Ratio = res.DrainRate / res.BaselineRate
	return res, nil
}

// queue makes records the way the dossier system does: through the
// listener, inside transactions, for synthetic dossiers that go receive (2),
// forward (4), supplement request (5), supplement (4), … It writes the
// records from..to in transactions of a hundred and tells committed how far
// each commit reached, so that a load stopped halfway counts what it wrote.
func queue(ctx context.Context, d *db.DB, svc *natsync.Service, from, to, per int, committed func(upTo int)) error {
	now := db.Instant(time.Now())
	if _, err := d.Exec(ctx, `INSERT INTO agencies (id, code, name, kind, name_fold, created_at, updated_at)
		VALUES ('bench-agency', '000.00.21.H25', 'Cơ quan thử tải', 'department', 'co quan thu tai', ?, ?)
		ON CONFLICT DO NOTHING`, now, now); err != nil {
		return fmt.Errorf("syncbench: agency: %w", err)
	}
	path := []dossier.Status{dossier.Accepted, dossier.Processing, dossier.SupplementRequested, dossier.Processing}
	due := now.Add(72 * time.Hour)
	const perTx = 100
	for first := from; first < to; first += perTx {
		err := d.Tx(ctx, func(tx *db.Tx) error {
			for i := first; i < min(first+perTx, to); i++ {
				n, seq := i/per, i%per+1
				x := &dossier.Dossier{ID: fmt.Sprintf("bench-%07d", n), Code: fmt.Sprintf("BENCH.%03d-260302-%04d", n/10000, n%10000),
					ReceivingAgencyID: "bench-agency", AgencyID: "bench-agency", ProcedureCode: "1.001612", Channel: dossier.Counter,
					Status: path[(seq-1)%len(path)], FiledAt: now, ReceivedAt: &now, DueAt: &due, LegalDueAt: &due, FeeTotal: 100000,
					Applicant: dossier.Applicant{Kind: "citizen"}}
				from := dossier.Status(0)
				if seq > 1 {
					from = path[(seq-2)%len(path)]
				}
				e := dossier.Event{Seq: seq, At: now, Action: dossier.ActForward, FromStatus: from, ToStatus: x.Status}
				if err := svc.DossierChanged(ctx, tx, x, e); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			return fmt.Errorf("syncbench: queue: %w", err)
		}
		committed(min(first+perTx, to))
	}
	return nil
}

type payload struct{ key, body string }

func outbox(ctx context.Context, d *db.DB) ([]payload, error) {
	rows, err := d.Query(ctx, "SELECT idem_key, payload FROM natsync_outbox ORDER BY id")
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []payload
	for rows.Next() {
		var p payload
		if err := rows.Scan(&p.key, &p.body); err != nil {
			return nil, err
		}
		out = append(out, p)
	}
	return out, rows.Err()
}

// post sends the payloads with n concurrent clients and reports how long
// it took.
func post(ctx context.Context, endpoint string, payloads []payload, n int) (time.Duration, error) {
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.MaxIdleConnsPerHost = n
	client := &http.Client{Timeout: 5 * time.Second, Transport: tr}
	defer tr.CloseIdleConnections()
	work := make(chan payload)
	var mu sync.Mutex
	var firstErr error
	var wg sync.WaitGroup
	start := time.Now()
	for range n {
		wg.Go(func() {
			for p := range work {
				req, _ := http.NewRequestWithContext(ctx, http.MethodPost, endpoint, strings.NewReader(p.body))
				req.Header.Set("Content-Type", "application/json")
				req.Header.Set("Idempotency-Key", p.key)
				req.Header.Set("Authorization", "Bearer "+token)
				resp, err := client.Do(req)
				if err == nil {
					_, _ = io.Copy(io.Discard, resp.Body)
					resp.Body.Close()
					if resp.StatusCode != http.StatusOK {
						err = fmt.Errorf("baseline POST: HTTP %d", resp.StatusCode)
					}
				}
				if err != nil {
					mu.Lock()
					if firstErr == nil {
						firstErr = err
					}
					mu.Unlock()
				}
			}
		})
	}
	for _, p := range payloads {
		work <- p
	}
	close(work)
	wg.Wait()
	return time.Since(start), firstErr
}

// Command runs `congso bench sync [flags]`.
func Command(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("bench sync", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var o Options
	fs.IntVar(&o.Records, "records", 2000, "records queued while the hub is down")
	fs.IntVar(&o.PerDossier, "per-dossier", 4, "records per dossier (sent strictly in order)")
	fs.IntVar(&o.Workers, "workers", 4, "outbox workers")
	fs.IntVar(&o.Batch, "batch", 16, "records per worker round")
	fs.DurationVar(&o.Outage, "outage", 10*time.Minute, "how long the hub stays down")
	fs.Float64Var(&o.Rate, "rate", 10, "records per second the dossiers keep making during the outage and the drain")
	engines := fs.String("engines", "sqlite", "engines to run on: sqlite, postgres or both (comma-separated)")
	pgURL := fs.String("postgres", "postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable", "PostgreSQL server (a temporary schema is created and dropped)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	var results []Result
	for _, e := range strings.Split(*engines, ",") {
		d, cleanup, err := open(ctx, db.Engine(strings.TrimSpace(e)), *pgURL)
		if err != nil {
			return err
		}
		r, err := Drain(ctx, d, o)
		cleanup()
		if err != nil {
			return err
		}
		results = append(results, r)
	}
	Print(stdout, results)
	return nil
}

// Print writes results as a table.
func Print(w io.Writer, results []Result) {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "engine\toutage\trecords\tbacklog\tarrived\tqueue\tfirst after up\tdrain\tdrain rec/s\tbaseline\tbaseline req/s\tratio\tattempts\tduplicates\t")
	for _, r := range results {
		fmt.Fprintf(tw, "%s\t%v\t%d\t%d\t%d\t%v\t%v\t%v\t%.0f\t%v\t%.0f\t%.2f\t%d\t%d\t\n", r.Engine, r.Outage, r.Records, r.Backlog, r.Arrived,
			r.Queue.Round(time.Millisecond),
			r.FirstAfterUp.Round(time.Millisecond), r.Drain.Round(time.Millisecond), r.DrainRate, r.Baseline.Round(time.Millisecond),
			r.BaselineRate, r.Ratio, r.Attempts, r.Duplicates)
	}
	tw.Flush()
}

// open makes a fresh, migrated database on the engine.
func open(ctx context.Context, engine db.Engine, pgURL string) (*db.DB, func(), error) {
	switch engine {
	case db.SQLite:
		dir, err := os.MkdirTemp("", "congso-bench-sync-")
		if err != nil {
			return nil, nil, err
		}
		d, err := db.Open(ctx, "sqlite:"+filepath.Join(dir, "bench.db"), dir, db.Options{})
		if err != nil {
			os.RemoveAll(dir)
			return nil, nil, err
		}
		if _, err := d.Migrate(ctx); err != nil {
			d.Close()
			os.RemoveAll(dir)
			return nil, nil, err
		}
		return d, func() { d.Close(); os.RemoveAll(dir) }, nil
	case db.Postgres:
		admin, err := db.Open(ctx, pgURL, "", db.Options{MaxConns: 2})
		if err != nil {
			return nil, nil, err
		}
		var b [6]byte
		_, _ = rand.Read(b[:])
		schema := "bench_sync_" + hex.EncodeToString(b[:])
		if _, err := admin.Exec(ctx, "CREATE SCHEMA "+schema); err != nil {
			admin.Close()
			return nil, nil, err
		}
		drop := func() {
			_, _ = admin.Exec(context.Background(), "DROP SCHEMA "+schema+" CASCADE")
			admin.Close()
		}
		u, err := url.Parse(pgURL)
		if err != nil {
			drop()
			return nil, nil, err
		}
		q := u.Query()
		q.Set("search_path", schema)
		u.RawQuery = q.Encode()
		d, err := db.Open(ctx, u.String(), "", db.Options{})
		if err != nil {
			drop()
			return nil, nil, err
		}
		if _, err := d.Migrate(ctx); err != nil {
			d.Close()
			drop()
			return nil, nil, err
		}
		return d, func() { d.Close(); drop() }, nil
	}
	return nil, nil, errors.New("syncbench: engine is sqlite or postgres")
}
