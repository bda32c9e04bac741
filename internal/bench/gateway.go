package bench

import (
	"bufio"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httputil"
	"net/url"
	"os"
	"os/exec"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/congso/congso/internal/db"
	"github.com/congso/congso/internal/exchange/gwdemo"
	"github.com/congso/congso/internal/exchange/txlog"
	"github.com/congso/congso/internal/exchange/upstreamsim"
)

// GatewayOptions tune the LGSP gateway benchmark.
type GatewayOptions struct {
	// Binary is the congso executable; when set, the kill -9 crash test
	// runs it as `congso bench gateway --serve-child DIR`.
	Binary string
	// Engine is sqlite or postgres (PostgresURL: a server where the bench
	// may create and drop a database).
	Engine      string
	PostgresURL string
	Concurrency int
	Duration    time.Duration
	Rounds      int
	// LogMode of the benchmarked service: strict (default) or async.
	LogMode string
	Crash   bool
	// MaxLinger is the transaction log writer's MaxLinger (0: its default).
	MaxLinger time.Duration
	// ServeChild, when set, makes Gateway run the stand-alone gateway of
	// the crash test on the database in this folder (and ChildDatabaseURL).
	ServeChild       string
	ChildDatabaseURL string
}

// GatewayCommand is `congso bench gateway [flags]`: it parses the flags and
// runs Gateway (or, with the hidden --serve-child flag, the crash test's
// child gateway).
func GatewayCommand(ctx context.Context, binary string, args []string, stdout, stderr io.Writer) error {
	o := GatewayOptions{Binary: binary}
	fs := flag.NewFlagSet("bench gateway", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.StringVar(&o.Engine, "engine", "sqlite", "database of the transaction log: sqlite or postgres")
	fs.StringVar(&o.PostgresURL, "postgres", "postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable", "PostgreSQL server where the bench may create a database")
	fs.IntVar(&o.Concurrency, "concurrency", 32, "concurrent clients")
	fs.DurationVar(&o.Duration, "duration", 5*time.Second, "length of each load phase")
	fs.IntVar(&o.Rounds, "rounds", 3, "rounds of direct and gateway phases, interleaved")
	fs.StringVar(&o.LogMode, "log-mode", "strict", "logging mode of the service: strict or async")
	fs.BoolVar(&o.Crash, "crash", true, "also kill a gateway process with SIGKILL under load and check the log")
	fs.StringVar(&o.ServeChild, "serve-child", "", "internal: run the crash test's gateway on the database in this folder")
	fs.StringVar(&o.ChildDatabaseURL, "database-url", "", "internal: database URL of --serve-child")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if o.Concurrency < 1 || o.Duration <= 0 || o.Rounds < 1 {
		return errors.New("--concurrency, --duration and --rounds must be positive")
	}
	return Gateway(ctx, o, stdout)
}

// Gateway measures the LGSP gateway against its own upstream on loopback:
// the same fast upstream (a small JSON body) called directly and through the
// gateway — API-key authentication, access check, quota and the strict
// transaction log all on — by the same concurrent clients, phases
// interleaved so that drift of a shared machine hits both. It prints both
// throughputs, their ratio and the latency the gateway adds at p50 and p99,
// checks that the log holds one valid, chained entry per call, and with
// Crash and a Binary kills a gateway process under load and checks that
// every response delivered has its log entry.
func Gateway(ctx context.Context, o GatewayOptions, out io.Writer) error {
	if o.ServeChild != "" {
		return gwdemo.ServeChild(ctx, o.ChildDatabaseURL, o.ServeChild, out)
	}
	if o.Concurrency <= 0 {
		o.Concurrency = 32
	}
	if o.Duration <= 0 {
		o.Duration = 5 * time.Second
	}
	if o.Rounds <= 0 {
		o.Rounds = 3
	}
	if o.Engine == "" {
		o.Engine = "sqlite"
	}
	if o.LogMode == "" {
		o.LogMode = "strict"
	}
	fmt.Fprintf(out, "congso bench gateway: %d concurrent clients, %d rounds of %s per phase, transaction log on %s (%s mode)\n\n",
		o.Concurrency, o.Rounds, o.Duration, o.Engine, o.LogMode)
	up, err := upstreamsim.Start()
	if err != nil {
		return err
	}
	defer up.Close()
	env, err := newEnv(ctx, "congso-bench-gateway-", o.Engine, o.PostgresURL)
	if err != nil {
		return err
	}
	defer env.cleanup()
	d, err := db.Open(ctx, env.dbURL, env.dir, db.Options{})
	if err != nil {
		return err
	}
	defer d.Close()
	if _, err := d.Migrate(ctx); err != nil {
		return err
	}
	svc, gw, err := gwdemo.OpenWith(ctx, d, nil, txlog.Options{MaxLinger: o.MaxLinger})
	if err != nil {
		return err
	}
	runCtx, stopRun := context.WithCancel(context.WithoutCancel(ctx))
	ran := make(chan struct{})
	go func() { svc.Run(runCtx); close(ran) }()
	defer func() { stopRun(); <-ran }()
	fx, err := gwdemo.Setup(ctx, d, svc, up.URL, gwdemo.Options{LogMode: o.LogMode, RatePerMinute: 100_000_000, Burst: 1_000_000})
	if err != nil {
		return err
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return err
	}
	srv := gwdemo.NewServer(gw)
	go func() { _ = srv.Serve(ln) }()
	defer srv.Close()
	// Reference: a bare httputil.ReverseProxy (no authentication, no log) with
	// a tuned transport, measured in the same run.
	rpURL, stopRP, err := reverseProxy(up.URL)
	if err != nil {
		return err
	}
	defer stopRP()
	gwURL := "http://" + ln.Addr().String() + "/lgsp/" + gwdemo.ProviderCode + "/" + gwdemo.ServiceCode + "/fast"
	direct := func() (*http.Request, error) { return http.NewRequest("GET", up.URL+"/fast", nil) }
	via := func() (*http.Request, error) {
		req, err := http.NewRequest("GET", gwURL, nil)
		if err == nil {
			req.Header.Set("X-LGSP-Key", fx.Key.Header)
		}
		return req, err
	}
	if _, err := Load(ctx, "warm-up direct", o.Concurrency, time.Second, direct); err != nil {
		return err
	}
	if _, err := Load(ctx, "warm-up gateway", o.Concurrency, time.Second, via); err != nil {
		return err
	}
	rp := func() (*http.Request, error) { return http.NewRequest("GET", rpURL+"/fast", nil) }
	before := svc.TxLog().Stats()
	var dr, gr, rr []Result
	for i := 0; i < o.Rounds; i++ {
		r, err := Load(ctx, "upstream direct (baseline)", o.Concurrency, o.Duration, direct)
		if err != nil {
			return err
		}
		dr = append(dr, r)
		r, err = Load(ctx, "through the gateway", o.Concurrency, o.Duration, via)
		if err != nil {
			return err
		}
		gr = append(gr, r)
		r, err = Load(ctx, "bare ReverseProxy (reference)", o.Concurrency, o.Duration, rp)
		if err != nil {
			return err
		}
		rr = append(rr, r)
	}
	after := svc.TxLog().Stats()
	fmt.Fprintf(out, "Throughput and latency, %d concurrent clients on kept-alive loopback connections:\n", o.Concurrency)
	for i := range dr {
		fmt.Fprintf(out, "  %s\n  %s\n  %s\n", dr[i], gr[i], rr[i])
	}
	dt, gt := total(dr), total(gr)
	dp50, dp99 := pooled(dr, 50), pooled(dr, 99)
	gp50, gp99 := pooled(gr, 50), pooled(gr, 99)
	fmt.Fprintf(out, "\n  direct   %9.0f req/s   p50 %6.3f ms   p99 %6.3f ms\n", dt, ms(dp50), ms(dp99))
	fmt.Fprintf(out, "  gateway  %9.0f req/s   p50 %6.3f ms   p99 %6.3f ms\n", gt, ms(gp50), ms(gp99))
	fmt.Fprintf(out, "  gateway / direct throughput: %.2f   added latency p50 %+.3f ms, p99 %+.3f ms\n", gt/dt, ms(gp50-dp50), ms(gp99-dp99))
	fmt.Fprintf(out, "  per round: gateway / direct %s\n", ranges(dr, gr))
	fmt.Fprintf(out, "  reference: bare httputil.ReverseProxy / direct %.2f, per round %s\n", total(rr)/dt, ranges(dr, rr))
	entries := after.Entries - before.Entries
	batches := after.Batches - before.Batches
	if batches > 0 {
		fmt.Fprintf(out, "  transaction log: %d entries in %d group commits (%.1f entries per commit on average, %d at most), %d failed commits\n",
			entries, batches, float64(entries)/float64(batches), after.MaxBatch, after.Failures)
	}
	// Every call has its entry, and the chain holds.
	calls := 0
	for _, r := range gr {
		calls += r.Requests
	}
	if o.LogMode == "strict" && entries < int64(calls) {
		return fmt.Errorf("the log took %d entries for %d calls", entries, calls)
	}
	t0 := time.Now()
	rep, err := txlog.Verify(ctx, d)
	if err != nil {
		return err
	}
	if rep.Problem != nil {
		return fmt.Errorf("transaction log broken at %d: %s", rep.Problem.Seq, rep.Problem.Reason)
	}
	fmt.Fprintf(out, "  chain verified: %d entries in %s\n", rep.Entries, time.Since(t0).Round(time.Millisecond))
	if !o.Crash {
		return nil
	}
	if o.Binary == "" {
		fmt.Fprintln(out, "\nCrash test skipped: no congso binary to run as the gateway process.")
		return nil
	}
	return gatewayCrash(ctx, o, up, out)
}

// pooled is the percentile over all rounds' latencies, approximated from the
// rounds' own percentiles (their median).
func pooled(rs []Result, p int) time.Duration {
	var v []time.Duration
	for _, r := range rs {
		if p == 50 {
			v = append(v, r.P50)
		} else {
			v = append(v, r.P99)
		}
	}
	slices.Sort(v)
	return v[len(v)/2]
}

func ranges(dr, gr []Result) string {
	var parts []string
	lo, hi := 10.0, 0.0
	for i := range dr {
		r := gr[i].PerSecond() / dr[i].PerSecond()
		lo, hi = min(lo, r), max(hi, r)
		parts = append(parts, fmt.Sprintf("%.2f", r))
	}
	return fmt.Sprintf("%s (range %.2f–%.2f)", strings.Join(parts, ", "), lo, hi)
}

// gatewayCrash runs a gateway process on a fresh database, loads it, kills it
// with SIGKILL, and checks that every response it delivered in strict mode
// has its entry in the log, and that the chain is intact.
func gatewayCrash(ctx context.Context, o GatewayOptions, up *upstreamsim.Server, out io.Writer) error {
	env, err := newEnv(ctx, "congso-bench-gateway-", o.Engine, o.PostgresURL)
	if err != nil {
		return err
	}
	defer env.cleanup()
	d, err := db.Open(ctx, env.dbURL, env.dir, db.Options{})
	if err != nil {
		return err
	}
	defer d.Close()
	if _, err := d.Migrate(ctx); err != nil {
		return err
	}
	svc, _, err := gwdemo.Open(ctx, d, nil)
	if err != nil {
		return err
	}
	fx, err := gwdemo.Setup(ctx, d, svc, up.URL, gwdemo.Options{LogMode: "strict"})
	if err != nil {
		return err
	}
	child, err := StartGatewayChild(ctx, o.Binary, []string{"bench", "gateway", "--serve-child", env.dir, "--database-url", env.dbURL}, nil)
	if err != nil {
		return err
	}
	defer child.Kill()
	res, err := CrashLoad(ctx, child, fx.Key.Header, o.Concurrency, 3*time.Second)
	if err != nil {
		return err
	}
	missing, err := MissingEntries(ctx, d, res.Delivered)
	if err != nil {
		return err
	}
	rep, err := txlog.Verify(ctx, d)
	if err != nil {
		return err
	}
	fmt.Fprintf(out, "\nCrash test (%s): kill -9 of the gateway process after 3 s of load: %d responses delivered, %d cut off by the kill; "+
		"after the kill %d delivered responses have no log entry; chain of %d entries %s\n", o.Engine, len(res.Delivered), res.Cut, len(missing),
		rep.Entries, map[bool]string{true: "intact", false: "BROKEN"}[rep.Problem == nil])
	if len(missing) > 0 {
		return fmt.Errorf("%d delivered responses lost their log entry, e.g. %s", len(missing), missing[0])
	}
	if rep.Problem != nil {
		return fmt.Errorf("transaction log broken at %d: %s", rep.Problem.Seq, rep.Problem.Reason)
	}
	return nil
}

// GatewayChild is a gateway process of the crash test.
type GatewayChild struct {
	cmd    *exec.Cmd
	Base   string
	exited chan error
}

// StartGatewayChild runs binary with args (which must end up in
// gwdemo.ServeChild) and waits for its LISTEN line.
func StartGatewayChild(ctx context.Context, binary string, args, env []string) (*GatewayChild, error) {
	cmd := exec.CommandContext(ctx, binary, args...)
	cmd.Env = append(os.Environ(), env...)
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	c := &GatewayChild{cmd: cmd, exited: make(chan error, 1)}
	lines := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			if addr, ok := strings.CutPrefix(sc.Text(), "LISTEN "); ok {
				lines <- addr
			}
		}
		close(lines)
	}()
	go func() { c.exited <- cmd.Wait() }()
	select {
	case addr, ok := <-lines:
		if !ok {
			return nil, errors.New("the gateway process exited before it listened")
		}
		c.Base = "http://" + addr
		return c, nil
	case <-time.After(60 * time.Second):
		_ = cmd.Process.Kill()
		return nil, errors.New("the gateway process did not listen within 60 s")
	}
}

// Kill ends the process with SIGKILL and waits for it.
func (c *GatewayChild) Kill() {
	if c.cmd.ProcessState != nil {
		return
	}
	_ = c.cmd.Process.Signal(syscall.SIGKILL)
	select {
	case <-c.exited:
	case <-time.After(10 * time.Second):
	}
}

// CrashResult is what the load saw before the kill.
type CrashResult struct {
	// Delivered are the request IDs whose complete 200 response arrived.
	Delivered []string
	// Cut counts requests that failed (the kill cut them).
	Cut int
}

// CrashLoad sends calls with unique request IDs from concurrency clients
// and kills the process with SIGKILL after the given time under load.
func CrashLoad(ctx context.Context, c *GatewayChild, keyHeader string, concurrency int, after time.Duration) (CrashResult, error) {
	tr := &http.Transport{MaxIdleConns: concurrency, MaxIdleConnsPerHost: concurrency, DisableCompression: true}
	defer tr.CloseIdleConnections()
	client := &http.Client{Transport: tr, Timeout: 10 * time.Second}
	target := c.Base + "/lgsp/" + gwdemo.ProviderCode + "/" + gwdemo.ServiceCode + "/fast"
	var mu sync.Mutex
	var res CrashResult
	var killed atomic.Bool
	var seq atomic.Int64
	var wg sync.WaitGroup
	// The kill comes a while after the first delivered response, not after a
	// fixed time from now: a loaded machine may take seconds to start the child.
	firstDelivery := make(chan struct{})
	var once sync.Once
	giveUp := time.Now().Add(time.Minute + after)
	for w := 0; w < concurrency; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for !killed.Load() && time.Now().Before(giveUp) && ctx.Err() == nil {
				id := fmt.Sprintf("crash-%d", seq.Add(1))
				req, _ := http.NewRequestWithContext(ctx, "GET", target, nil)
				req.Header.Set("X-LGSP-Key", keyHeader)
				req.Header.Set("X-Request-ID", id)
				r, err := client.Do(req)
				ok := false
				if err == nil {
					body, rerr := io.ReadAll(r.Body)
					r.Body.Close()
					ok = rerr == nil && r.StatusCode == 200 && string(body) == string(upstreamsim.FastBody)
				}
				mu.Lock()
				if ok {
					res.Delivered = append(res.Delivered, id)
					once.Do(func() { close(firstDelivery) })
				} else {
					res.Cut++
				}
				mu.Unlock()
			}
		}()
	}
	select {
	case <-firstDelivery:
		select {
		case <-time.After(after):
		case <-ctx.Done():
		}
	case <-time.After(time.Until(giveUp)):
	case <-ctx.Done():
	}
	c.Kill()
	killed.Store(true)
	wg.Wait()
	if len(res.Delivered) == 0 {
		return res, errors.New("no call went through the gateway process before the kill")
	}
	return res, nil
}

// MissingEntries lists the request IDs that have no entry in the log.
func MissingEntries(ctx context.Context, d *db.DB, ids []string) ([]string, error) {
	have := map[string]bool{}
	rows, err := d.Query(ctx, "SELECT request_id FROM exchange_txlog")
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	for rows.Next() {
		var id string
		if err := rows.Scan(&id); err != nil {
			return nil, err
		}
		have[id] = true
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	var missing []string
	for _, id := range ids {
		if !have[id] {
			missing = append(missing, id)
		}
	}
	return missing, nil
}

// reverseProxy serves a bare httputil.ReverseProxy in front of upstream.
func reverseProxy(upstream string) (string, func(), error) {
	u, err := url.Parse(upstream)
	if err != nil {
		return "", nil, err
	}
	rp := httputil.NewSingleHostReverseProxy(u)
	rp.Transport = &http.Transport{MaxIdleConns: 256, MaxIdleConnsPerHost: 256, IdleConnTimeout: 30 * time.Second}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", nil, err
	}
	srv := &http.Server{Handler: rp, ReadHeaderTimeout: 10 * time.Second}
	go func() { _ = srv.Serve(ln) }()
	return "http://" + ln.Addr().String(), func() { srv.Close() }, nil
}
