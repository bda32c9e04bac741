package bench

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net/url"
	"os"
	"os/exec"
	"slices"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	_ "github.com/jackc/pgx/v5/stdlib" // PostgreSQL for the bench's own database
)

// DossierOptions tune the dossier benchmark.
type DossierOptions struct {
	Binary string
	// Engines to measure: "sqlite", "postgres".
	Engines []string
	// PostgresURL is a server where the bench may create and drop a database.
	PostgresURL string
	Officers    int
	Duration    time.Duration
	// Crash also runs the kill -9 test.
	Crash bool
}

// lifecycle is the path each dossier takes, after receipt at the counter.
var lifecycle = []struct {
	action string
	role   string
}{
	{"forward", "receiver"}, {"submit", "specialist"}, {"approve", "head"}, {"issue", "clerk"}, {"return", "receiver"},
}

// Dossiers drives dossiers through their whole lifecycle over the HTTP API
// with many receiving officers at once, on each engine, and prints full
// lifecycles per second and p50/p99 per action; it then checks that no code
// is duplicated or missing. With Crash it kills the server with SIGKILL in the
// middle of the load, restarts it, and checks that every transition the server
// acknowledged is there.
func Dossiers(ctx context.Context, o DossierOptions, out io.Writer) error {
	fmt.Fprintf(out, "congso bench dossiers: %d receiving officers, %s of load per engine\n", o.Officers, o.Duration)
	for _, engine := range o.Engines {
		if err := benchEngine(ctx, o, engine, out); err != nil {
			return fmt.Errorf("%s: %w", engine, err)
		}
	}
	return nil
}

// server runs `congso serve` for the environment.
func (e *benchEnv) server(ctx context.Context, binary string) (*process, error) {
	return startServerEnv(ctx, binary, e.dir, "CONGSO_DATABASE_URL="+e.dbURL)
}

// cli runs a congso command on the environment's database.
func (e *benchEnv) cli(ctx context.Context, binary string, args ...string) (string, error) {
	cmd := exec.CommandContext(ctx, binary, append(args, "--data", e.dir)...)
	cmd.Env = append(os.Environ(), "CONGSO_DATABASE_URL="+e.dbURL)
	var stderr strings.Builder
	cmd.Stderr = &stderr
	b, err := cmd.Output()
	if err != nil {
		return "", fmt.Errorf("congso %s: %v: %s", strings.Join(args, " "), err, stderr.String())
	}
	return strings.TrimSpace(string(b)), nil
}

// fixture is what the load needs: a procedure and tokens for each role.
type fixture struct {
	procedureID, agencyID string
	receivers             []string
	specialist, head      string
	clerk                 string
}

const benchAgency = "000.00.05.H25" // the demo's Department of Justice

func setupFixture(ctx context.Context, c *apiClient, officers int) (*fixture, error) {
	f := &fixture{}
	var agencies struct {
		Items []struct{ ID, Code string } `json:"items"`
	}
	if err := c.call(ctx, "GET", "/api/v1/agencies?q="+benchAgency, nil, &agencies, 200); err != nil {
		return nil, err
	}
	for _, a := range agencies.Items {
		if a.Code == benchAgency {
			f.agencyID = a.ID
		}
	}
	if f.agencyID == "" {
		return nil, errors.New("the demo agency " + benchAgency + " is missing")
	}
	proc := map[string]any{
		"code": "", "name": "Chứng thực bản sao từ bản chính (thử tải)", "field": "Chứng thực", "level": "province",
		"agency_kind": "department", "agency_hint": "Sở Tư pháp",
		"time_limit": map[string]any{"n": 2, "unit": "working_days"}, "cutoff": "15:00",
		"fees":      []any{map[string]any{"kind": "fee", "name": "Phí chứng thực", "amount": 2000, "note": ""}},
		"documents": []any{map[string]any{"name": "Bản chính giấy tờ", "originals": 1, "copies": 1, "from_estore": false, "note": ""}},
		"results":   []any{"Bản sao được chứng thực"}, "online_level": "partial", "legal_basis": []any{"Nghị định 23/2015/NĐ-CP"},
		"steps": []any{
			map[string]any{"name": "Tiếp nhận", "role": "receiver", "budget": map[string]any{"n": 2, "unit": "working_hours"}},
			map[string]any{"name": "Thẩm định", "role": "specialist", "budget": map[string]any{"n": 8, "unit": "working_hours"}},
			map[string]any{"name": "Ký chứng thực", "role": "head", "budget": map[string]any{"n": 4, "unit": "working_hours"}},
			map[string]any{"name": "Trả kết quả", "role": "clerk", "budget": map[string]any{"n": 2, "unit": "working_hours"}},
		},
		"form": map[string]any{"title": "Yêu cầu chứng thực", "fields": []any{
			map[string]any{"name": "ho_ten", "label": "Họ và tên", "type": "text", "required": true, "max_length": 100},
			map[string]any{"name": "so_dinh_danh", "label": "Số định danh cá nhân", "type": "citizen_id", "required": true},
			map[string]any{"name": "so_ban_sao", "label": "Số bản sao", "type": "number", "required": true, "min": 1, "max": 50},
		}},
	}
	var created struct {
		ID      string `json:"id"`
		Version int    `json:"version"`
	}
	if err := c.call(ctx, "POST", "/api/v1/procedures", proc, &created, 201); err != nil {
		return nil, err
	}
	f.procedureID = created.ID
	if err := c.call(ctx, "PUT", "/api/v1/procedures/"+created.ID+"/agencies", map[string]any{"agency_ids": []string{f.agencyID}, "version": created.Version}, nil, 200); err != nil {
		return nil, err
	}
	token := func(userID string) (string, error) {
		var t struct{ Secret string }
		err := c.call(ctx, "POST", "/api/v1/users/"+userID+"/tokens", map[string]any{"name": "bench"}, &t, 201)
		return t.Secret, err
	}
	for i := 0; i < officers; i++ {
		var u struct{ ID string }
		name := fmt.Sprintf("bench.tiepnhan%02d", i+1)
		if err := c.call(ctx, "POST", "/api/v1/users", map[string]any{"kind": "official", "username": name,
			"display_name": fmt.Sprintf("Cán bộ tiếp nhận %02d", i+1), "password": fmt.Sprintf("Matkhau-thu-tai-%02d", i+1)}, &u, 201); err != nil {
			return nil, err
		}
		if err := c.call(ctx, "POST", "/api/v1/users/"+u.ID+"/roles", map[string]any{"agency_id": f.agencyID, "role": "receiver"}, nil, 200); err != nil {
			return nil, err
		}
		t, err := token(u.ID)
		if err != nil {
			return nil, err
		}
		f.receivers = append(f.receivers, t)
	}
	for _, who := range []struct {
		name string
		dst  *string
	}{{"chuyenvien.stp", &f.specialist}, {"lanhdao.stp", &f.head}, {"vanthu.stp", &f.clerk}} {
		var list struct {
			Items []struct{ ID, Username string } `json:"items"`
		}
		if err := c.call(ctx, "GET", "/api/v1/users?q="+url.QueryEscape(who.name), nil, &list, 200); err != nil {
			return nil, err
		}
		for _, u := range list.Items {
			if u.Username == who.name {
				t, err := token(u.ID)
				if err != nil {
					return nil, err
				}
				*who.dst = t
			}
		}
		if *who.dst == "" {
			return nil, errors.New("demo official " + who.name + " is missing")
		}
	}
	return f, nil
}

// ack is the last transition the server acknowledged for a dossier.
type ack struct {
	events int
	status int
}

type loadResult struct {
	lifecycles int
	elapsed    time.Duration
	latency    map[string][]time.Duration
	acked      map[string]ack
	errors     []error
}

// runLoad has every officer receive dossiers and take each through its
// lifecycle until the deadline or until ctx ends (the crash test cancels it
// when it kills the server).
func runLoad(ctx context.Context, c *apiClient, f *fixture, d time.Duration) *loadResult {
	res := &loadResult{latency: map[string][]time.Duration{}, acked: map[string]ack{}}
	var mu sync.Mutex
	var done atomic.Int64
	deadline := time.Now().Add(d)
	tokens := map[string]string{"specialist": f.specialist, "head": f.head, "clerk": f.clerk}
	start := time.Now()
	var wg sync.WaitGroup
	for i, tok := range f.receivers {
		wg.Add(1)
		go func(i int, receiver *apiClient) {
			defer wg.Done()
			lat := map[string][]time.Duration{}
			record := func(code string, a ack) {
				mu.Lock()
				res.acked[code] = a
				mu.Unlock()
			}
			fail := func(err error) {
				mu.Lock()
				res.errors = append(res.errors, err)
				mu.Unlock()
			}
			defer func() {
				mu.Lock()
				for k, v := range lat {
					res.latency[k] = append(res.latency[k], v...)
				}
				mu.Unlock()
			}()
			for n := 0; time.Now().Before(deadline) && ctx.Err() == nil; n++ {
				in := map[string]any{"procedure_id": f.procedureID, "agency_id": f.agencyID, "receiving_agency_id": f.agencyID, "channel": "counter",
					"applicant": map[string]any{"kind": "citizen", "name": "Nguyễn Văn Thử", "id_number": "042090001234", "phone": "0912345678"},
					"form":      map[string][]string{"ho_ten": {"Nguyễn Văn Thử"}, "so_dinh_danh": {"042090001234"}, "so_ban_sao": {fmt.Sprint(1 + rand.IntN(5))}}}
				var x struct {
					Code   string `json:"code"`
					Status int    `json:"status"`
				}
				t0 := time.Now()
				if err := receiver.call(ctx, "POST", "/api/v1/dossiers", in, &x, 201); err != nil {
					if ctx.Err() == nil {
						fail(err)
					}
					return
				}
				lat["receive"] = append(lat["receive"], time.Since(t0))
				record(x.Code, ack{events: 1, status: x.Status})
				for step, l := range lifecycle {
					c := receiver
					if l.role != "receiver" {
						c = receiver.as(tokens[l.role])
					}
					t0 := time.Now()
					if err := c.call(ctx, "POST", "/api/v1/dossiers/"+x.Code+"/actions/"+l.action, nil, &x, 200); err != nil {
						if ctx.Err() == nil {
							fail(err)
						}
						return
					}
					lat[l.action] = append(lat[l.action], time.Since(t0))
					record(x.Code, ack{events: step + 2, status: x.Status})
				}
				done.Add(1)
			}
		}(i, c.as(tok))
	}
	wg.Wait()
	res.lifecycles = int(done.Load())
	res.elapsed = time.Since(start)
	return res
}

func percentile(ds []time.Duration, p int) time.Duration {
	if len(ds) == 0 {
		return 0
	}
	s := slices.Clone(ds)
	slices.Sort(s)
	return s[(len(s)-1)*p/100]
}

func benchEngine(ctx context.Context, o DossierOptions, engine string, out io.Writer) error {
	env, err := newEnv(ctx, "congso-bench-dossiers-", engine, o.PostgresURL)
	if err != nil {
		return err
	}
	defer env.cleanup()
	srv, err := env.server(ctx, o.Binary)
	if err != nil {
		return err
	}
	defer func() { srv.stop() }()
	adminToken, err := env.cli(ctx, o.Binary, "token", "create", "--user", "admin", "--name", "bench")
	if err != nil {
		return err
	}
	c := newAPIClient(srv.base, adminToken, o.Officers*2)
	f, err := setupFixture(ctx, c, o.Officers)
	if err != nil {
		return fmt.Errorf("set up: %w", err)
	}
	// A short warm-up, then the measured run.
	if r := runLoad(ctx, c, f, 2*time.Second); len(r.errors) > 0 {
		return fmt.Errorf("warm-up: %v", r.errors[0])
	}
	r := runLoad(ctx, c, f, o.Duration)
	if len(r.errors) > 0 {
		return fmt.Errorf("%d errors during the load, first: %v", len(r.errors), r.errors[0])
	}
	fmt.Fprintf(out, "\n%s: %d full lifecycles in %s = %.1f lifecycles/s (%.0f transitions/s)\n", engine, r.lifecycles,
		r.elapsed.Round(time.Millisecond), float64(r.lifecycles)/r.elapsed.Seconds(), float64(r.lifecycles*6)/r.elapsed.Seconds())
	for _, a := range append([]string{"receive"}, "forward", "submit", "approve", "issue", "return") {
		fmt.Fprintf(out, "  %-8s p50 %7.2f ms  p99 %7.2f ms  (%d)\n", a, ms(percentile(r.latency[a], 50)), ms(percentile(r.latency[a], 99)), len(r.latency[a]))
	}
	if err := checkCodes(ctx, c, f); err != nil {
		return err
	}
	fmt.Fprintf(out, "  codes: every code unique, the day's numbers without gaps\n")
	if !o.Crash {
		return nil
	}
	// Crash test: kill -9 under load, restart, look for every acknowledged transition.
	crashCtx, cancel := context.WithCancel(ctx)
	killed := make(chan struct{})
	go func() {
		time.Sleep(3 * time.Second)
		_ = srv.cmd.Process.Signal(syscall.SIGKILL)
		<-srv.exited
		cancel()
		close(killed)
	}()
	r = runLoad(crashCtx, c, f, time.Minute)
	<-killed
	cancel()
	srv, err = env.server(ctx, o.Binary)
	if err != nil {
		return fmt.Errorf("restart after kill -9: %w", err)
	}
	c = newAPIClient(srv.base, adminToken, 8)
	missing := 0
	for code, a := range r.acked {
		var v struct {
			Dossier struct{ Status int } `json:"dossier"`
			Events  []struct{}           `json:"events"`
		}
		if err := c.call(ctx, "GET", "/api/v1/dossiers/"+url.PathEscape(code), nil, &v, 200); err != nil {
			missing++
			continue
		}
		if len(v.Events) < a.events || (len(v.Events) == a.events && v.Dossier.Status != a.status) {
			missing++
		}
	}
	fmt.Fprintf(out, "  kill -9 after 3 s of load: %d dossiers had acknowledged transitions; after restart %d missing\n", len(r.acked), missing)
	if missing > 0 {
		return fmt.Errorf("%d acknowledged transitions lost in the crash", missing)
	}
	if err := checkCodes(ctx, c, f); err != nil {
		return fmt.Errorf("after the crash: %w", err)
	}
	fmt.Fprintf(out, "  codes after the crash: every code unique, the day's numbers without gaps\n")
	return nil
}

// checkCodes lists every dossier of the bench's agency and checks that each
// day's numbers run from 1 without gap or repeat.
func checkCodes(ctx context.Context, c *apiClient, f *fixture) error {
	byDay := map[string][]int{}
	cursor := ""
	for {
		var page struct {
			Items      []struct{ Code string } `json:"items"`
			NextCursor string                  `json:"next_cursor"`
		}
		path := "/api/v1/dossiers?limit=500&agency_id=" + f.agencyID
		if cursor != "" {
			path += "&cursor=" + url.QueryEscape(cursor)
		}
		if err := c.call(ctx, "GET", path, nil, &page, 200); err != nil {
			return err
		}
		for _, it := range page.Items {
			i := strings.LastIndex(it.Code, "-")
			j := strings.LastIndex(it.Code[:i], "-")
			var n int
			if _, err := fmt.Sscanf(it.Code[i+1:], "%d", &n); err != nil {
				return fmt.Errorf("code %s: %w", it.Code, err)
			}
			byDay[it.Code[:i][j+1:]] = append(byDay[it.Code[:i][j+1:]], n)
		}
		if page.NextCursor == "" {
			break
		}
		cursor = page.NextCursor
	}
	for day, ns := range byDay {
		sort.Ints(ns)
		for i, n := range ns {
			if n != i+1 {
				return fmt.Errorf("day %s: number %d where %d was expected (duplicate or gap)", day, n, i+1)
			}
		}
	}
	return nil
}
