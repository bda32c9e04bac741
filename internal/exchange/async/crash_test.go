package async_test

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"os/exec"
	"testing"
	"time"

	"github.com/congso/congso/internal/db"
	"github.com/congso/congso/internal/exchange/async"
)

// TestMain doubles as the delivery process of the crash test: re-executed
// with ASYNC_CRASH_DB set, the test binary runs a queue's workers on that
// database and nothing else, until it is killed.
func TestMain(m *testing.M) {
	if url := os.Getenv("ASYNC_CRASH_DB"); url != "" {
		if err := crashChild(url); err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		os.Exit(0)
	}
	os.Exit(m.Run())
}

func crashOptions() async.Options {
	o := fastOptions()
	o.Timeout, o.Lease = 2*time.Second, 3*time.Second
	return o
}

func crashChild(url string) error {
	ctx := context.Background()
	dir, err := os.MkdirTemp("", "async-crash")
	if err != nil {
		return err
	}
	d, err := db.Open(ctx, url, dir, db.Options{})
	if err != nil {
		return err
	}
	var q async.Queue
	if os.Getenv("ASYNC_CRASH_QUEUE") == "nats" {
		q = async.NewNATSQueue(d, crashOptions(), async.NATSOptions{URL: os.Getenv("ASYNC_CRASH_NATS"), Stream: os.Getenv("ASYNC_CRASH_STREAM"),
			Subject: os.Getenv("ASYNC_CRASH_SUBJECT"), Durable: os.Getenv("ASYNC_CRASH_DURABLE"), AckWait: 3 * time.Second})
	} else {
		q = async.NewDBQueue(d, crashOptions())
	}
	fmt.Println("READY")
	return q.Run(ctx)
}

type child struct {
	cmd    *exec.Cmd
	exited chan error
}

func startChild(t *testing.T, env []string) *child {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), env...)
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	c := &child{cmd: cmd, exited: make(chan error, 1)}
	ready := make(chan bool, 1)
	go func() {
		sc := bufio.NewScanner(out)
		for sc.Scan() {
			if sc.Text() == "READY" {
				ready <- true
			}
		}
		close(ready)
	}()
	go func() { c.exited <- cmd.Wait() }()
	if !<-ready {
		t.Fatal("the delivery process exited before it was ready")
	}
	t.Cleanup(c.kill)
	return c
}

// kill ends the process with SIGKILL: no deferred function, no release of
// leases, no goodbye to JetStream.
func (c *child) kill() {
	if c.cmd.ProcessState != nil {
		return
	}
	_ = c.cmd.Process.Kill()
	<-c.exited
}

// TestKillNineMidDeliveryLosesNothing runs the delivery workers in a child
// process, kills it with SIGKILL while deliveries are in flight (the
// subscriber has applied them but not yet answered), starts it again, and
// checks that every message is delivered, each with one effect.
func TestKillNineMidDeliveryLosesNothing(t *testing.T) {
	if testing.Short() {
		t.Skip("crash test")
	}
	eachBackend(t, func(t *testing.T, d *db.DB, b backend) {
		e := newEnv(t, d, envOpt{maxAttempts: 100})
		e.subscribeAndApprove()
		s := e.subscrb
		const n = 30
		e.publishHTTP(0, n)
		hold := make(chan struct{})
		s.mu.Lock()
		s.hold = hold
		s.mu.Unlock()
		url := d.Location()
		if d.Engine() == db.SQLite {
			url = "sqlite:" + url
		}
		env := []string{"ASYNC_CRASH_DB=" + url, "ASYNC_CRASH_QUEUE=" + b.name}
		if b.name == "nats" {
			o := testNATS(t)
			env = append(env, "ASYNC_CRASH_NATS="+o.URL, "ASYNC_CRASH_STREAM="+o.Stream, "ASYNC_CRASH_SUBJECT="+o.Subject, "ASYNC_CRASH_DURABLE="+o.Durable)
		}
		first := startChild(t, env)
		waitFor(t, "deliveries in flight", func() bool {
			s.mu.Lock()
			defer s.mu.Unlock()
			return s.holding >= 4
		})
		first.kill()
		s.mu.Lock()
		inFlight := s.holding
		s.hold = nil
		s.mu.Unlock()
		close(hold)
		if got := e.count("SELECT COUNT(*) FROM async_deliveries WHERE state = 'delivered'"); got == n {
			t.Fatalf("all %d delivered before the kill: the test proves nothing", n)
		}
		startChild(t, env)
		waitFor(t, "every delivery recorded as delivered after the restart", func() bool {
			return e.count("SELECT COUNT(*) FROM async_deliveries WHERE state = 'delivered'") == n
		})
		_, _, effects, distinct := s.stats()
		if effects != n || distinct != n || s.ledger != n*(n-1)/2 {
			t.Fatalf("after kill -9 and restart: %d effects, %d distinct messages, ledger %d; want %d, %d, %d", effects, distinct, s.ledger, n, n, n*(n-1)/2)
		}
		if s.redelivered() == 0 {
			t.Fatal("no message came twice: the kill did not interrupt a delivery")
		}
		t.Logf("%s on %s: %d deliveries in flight at kill -9, %d messages came again, all %d delivered once in effect",
			b.name, d.Engine(), inFlight, s.redelivered(), n)
	})
}
