package bench

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// FoundationOptions tune the foundation benchmark.
type FoundationOptions struct {
	// Binary is the congso executable to measure (normally the running one).
	Binary      string
	Runs        int
	Duration    time.Duration
	Concurrency int
	// Login and Password sign the load generator in for the authenticated page.
	Login, Password string
}

// Foundation measures, on a fresh demo database in a temporary folder:
// the time from exec to ready on an existing SQLite database (against the
// time the same binary takes to start and exit without opening anything),
// the idle and loaded resident memory of the server process, and the
// throughput of an authenticated page against the static /healthz, phases
// interleaved so that drift of a shared machine hits both.
func Foundation(ctx context.Context, o FoundationOptions, out io.Writer) error {
	dir, err := os.MkdirTemp("", "congso-bench-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	fmt.Fprintf(out, "congso bench foundation: %d runs, %s per load phase, %d concurrent clients\n\n", o.Runs, o.Duration, o.Concurrency)

	// First start creates the database and the demo data; it is not timed.
	srv, err := startServer(ctx, o.Binary, dir)
	if err != nil {
		return err
	}
	if err := srv.stop(); err != nil {
		return err
	}

	var ready, bare []time.Duration
	for i := 0; i < o.Runs; i++ {
		t0 := time.Now()
		if err := exec.CommandContext(ctx, o.Binary, "help").Run(); err != nil {
			return fmt.Errorf("run %s help: %w", o.Binary, err)
		}
		bare = append(bare, time.Since(t0))
		srv, err := startServer(ctx, o.Binary, dir)
		if err != nil {
			return err
		}
		ready = append(ready, srv.readyAfter)
		if err := srv.stop(); err != nil {
			return err
		}
	}
	fmt.Fprintln(out, "Start-up on an existing SQLite database (exec → /readyz answers 200):")
	fmt.Fprintf(out, "  congso serve   median %7.1f ms  (min %.1f, max %.1f)\n", ms(median(ready)), ms(slices.Min(ready)), ms(slices.Max(ready)))
	fmt.Fprintf(out, "  congso help    median %7.1f ms  (process start and exit, baseline)\n", ms(median(bare)))
	fmt.Fprintf(out, "  ratio          %.1f× the bare process start\n\n", float64(median(ready))/float64(median(bare)))

	srv, err = startServer(ctx, o.Binary, dir)
	if err != nil {
		return err
	}
	defer srv.stop()
	select {
	case <-time.After(3 * time.Second):
	case <-ctx.Done():
		return ctx.Err()
	}
	idle, err := rss(srv.cmd.Process.Pid)
	if err != nil {
		return err
	}
	cookie, err := signIn(srv.base, o.Login, o.Password)
	if err != nil {
		return err
	}
	healthz := func() (*http.Request, error) { return http.NewRequest("GET", srv.base+"/healthz", nil) }
	page := func() (*http.Request, error) {
		req, err := http.NewRequest("GET", srv.base+"/account", nil)
		if err == nil {
			req.AddCookie(cookie)
		}
		return req, err
	}
	// Warm up, then alternate the phases.
	if _, err := Load(ctx, "warm-up", o.Concurrency, time.Second, page); err != nil {
		return err
	}
	var base, auth []Result
	for round := 0; round < 2; round++ {
		r, err := Load(ctx, "GET /healthz (baseline)", o.Concurrency, o.Duration, healthz)
		if err != nil {
			return err
		}
		base = append(base, r)
		r, err = Load(ctx, "GET /account (signed in)", o.Concurrency, o.Duration, page)
		if err != nil {
			return err
		}
		auth = append(auth, r)
	}
	loaded, err := rss(srv.cmd.Process.Pid)
	if err != nil {
		return err
	}
	fmt.Fprintf(out, "Throughput, %d concurrent clients on keep-alive connections:\n", o.Concurrency)
	for i := range base {
		fmt.Fprintf(out, "  %s\n  %s\n", base[i], auth[i])
	}
	b, a := total(base), total(auth)
	fmt.Fprintf(out, "  authenticated page / healthz: %.2f of the baseline throughput\n\n", a/b)
	fmt.Fprintln(out, "Resident memory of the server process:")
	fmt.Fprintf(out, "  idle after start   %6.1f MB\n  after the load     %6.1f MB\n", float64(idle)/1e6, float64(loaded)/1e6)
	return nil
}

func total(rs []Result) float64 {
	var n int
	var d time.Duration
	for _, r := range rs {
		n += r.Requests
		d += r.Elapsed
	}
	return float64(n) / d.Seconds()
}

func median(ds []time.Duration) time.Duration {
	s := slices.Clone(ds)
	slices.Sort(s)
	return s[len(s)/2]
}

type process struct {
	cmd        *exec.Cmd
	base       string
	readyAfter time.Duration
	exited     chan error
}

func freePort() (string, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	defer l.Close()
	return l.Addr().String(), nil
}

// startServer runs `congso serve` on the embedded database in dir.
func startServer(ctx context.Context, binary, dir string) (*process, error) {
	return startServerEnv(ctx, binary, dir, "CONGSO_DATABASE_URL=")
}

// startServerEnv runs `congso serve` on a free port and waits for /readyz.
func startServerEnv(ctx context.Context, binary, dir string, env ...string) (*process, error) {
	addr, err := freePort()
	if err != nil {
		return nil, err
	}
	cmd := exec.CommandContext(ctx, binary, "serve", "--addr", addr, "--data", dir, "--demo=true")
	cmd.Env = append(append(os.Environ(), "CONGSO_LOG_LEVEL=warn"), env...)
	cmd.Stdout = io.Discard
	cmd.Stderr = io.Discard
	p := &process{cmd: cmd, base: "http://" + addr, exited: make(chan error, 1)}
	client := &http.Client{Timeout: time.Second}
	t0 := time.Now()
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("start %s: %w", binary, err)
	}
	go func() { p.exited <- cmd.Wait() }()
	for {
		select {
		case err := <-p.exited:
			return nil, fmt.Errorf("server exited before it was ready: %v", err)
		default:
		}
		res, err := client.Get(p.base + "/readyz")
		if err == nil {
			res.Body.Close()
			if res.StatusCode == http.StatusOK {
				p.readyAfter = time.Since(t0)
				return p, nil
			}
		}
		if time.Since(t0) > 60*time.Second {
			_ = cmd.Process.Kill()
			return nil, errors.New("server not ready after 60 s")
		}
		time.Sleep(2 * time.Millisecond)
	}
}

// stop ends the server gracefully, as systemd would.
func (p *process) stop() error {
	if p.cmd.ProcessState != nil {
		return nil
	}
	_ = p.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-p.exited:
		return nil
	case <-time.After(30 * time.Second):
		_ = p.cmd.Process.Kill()
		return errors.New("server did not stop within 30 s of SIGTERM")
	}
}

// rss reads the resident set size of a process from /proc.
func rss(pid int) (int64, error) {
	f, err := os.Open(filepath.Join("/proc", strconv.Itoa(pid), "status"))
	if err != nil {
		return 0, fmt.Errorf("read memory of %d: %w", pid, err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if rest, ok := strings.CutPrefix(sc.Text(), "VmRSS:"); ok {
			kb, err := strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(rest), "kB")), 10, 64)
			return kb * 1024, err
		}
	}
	return 0, errors.New("no VmRSS in /proc status")
}

// signIn posts the sign-in form and returns the session cookie.
func signIn(base, login, password string) (*http.Cookie, error) {
	client := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	res, err := client.PostForm(base+"/login", url.Values{"login": {login}, "password": {password}})
	if err != nil {
		return nil, err
	}
	res.Body.Close()
	for _, c := range res.Cookies() {
		if c.Name == "congso_session" && c.Value != "" {
			return c, nil
		}
	}
	return nil, fmt.Errorf("sign-in as %s failed: status %d", login, res.StatusCode)
}
