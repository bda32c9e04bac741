package bench

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"sync/atomic"
	"time"
)

// PortalOptions tune the public-portal benchmark.
type PortalOptions struct {
	Binary      string
	Engine      string // sqlite or postgres
	PostgresURL string
	Duration    time.Duration
	Concurrency int
	Rounds      int
	// Uncached also measures the same pages on a second platform started
	// with the public page cache off (CONGSO_PUBLIC_CACHE_TTL=0).
	Uncached bool
}

// portalQueries are what citizens type in the procedure search, with and
// without diacritics; the load cycles through them.
var portalQueries = []string{"khai sinh", "xac nhan tinh trang hon nhan", "đăng ký kết hôn", "ho kinh doanh", "giấy phép xây dựng",
	"chung thuc", "thường trú", "ly lich tu phap"}

// Portal measures the public pages a citizen opens without signing in —
// procedure search, procedure detail and the status page a QR code leads to
// — under concurrent load on a demo platform, next to /healthz in the same
// run, phases interleaved round by round.
func Portal(ctx context.Context, o PortalOptions, out io.Writer) error {
	type phase struct {
		name string
		req  func() (*http.Request, error)
	}
	var phases []phase
	platforms := []string{""}
	if o.Uncached {
		platforms = append(platforms, "CONGSO_PUBLIC_CACHE_TTL=0")
	}
	for _, extra := range platforms {
		env, err := newEnv(ctx, "congso-bench-portal-", o.Engine, o.PostgresURL)
		if err != nil {
			return err
		}
		defer env.cleanup()
		vars := []string{"CONGSO_DATABASE_URL=" + env.dbURL}
		if extra != "" {
			vars = append(vars, extra)
		}
		srv, err := startServerEnv(ctx, o.Binary, env.dir, vars...)
		if err != nil {
			return err
		}
		defer func() { srv.stop() }()
		token, err := env.cli(ctx, o.Binary, "token", "create", "--user", "tiepnhan.thanhsen", "--name", "bench")
		if err != nil {
			return err
		}
		procID, codes, err := portalFixture(ctx, newAPIClient(srv.base, token, 4), 16)
		if err != nil {
			return fmt.Errorf("set up: %w", err)
		}
		var n atomic.Uint64
		get := func(path func() string) func() (*http.Request, error) {
			return func() (*http.Request, error) { return http.NewRequest(http.MethodGet, srv.base+path(), nil) }
		}
		suffix := ""
		if extra != "" {
			suffix = ", no page cache"
		} else {
			phases = append(phases, phase{"GET /healthz (baseline)", get(func() string { return "/healthz" })})
		}
		phases = append(phases,
			phase{"procedure search" + suffix, get(func() string {
				return "/dich-vu-cong?q=" + url.QueryEscape(portalQueries[n.Add(1)%uint64(len(portalQueries))])
			})},
			phase{"procedure detail" + suffix, get(func() string { return "/thu-tuc/" + url.PathEscape(procID) })},
			phase{"status page (QR code)" + suffix, get(func() string { return "/tra-cuu/" + url.PathEscape(codes[n.Add(1)%uint64(len(codes))]) })})
	}
	fmt.Fprintf(out, "congso bench portal: %s, %d concurrent clients, %d rounds of %s per page\n\n", o.Engine, o.Concurrency, o.Rounds, o.Duration)
	for _, p := range phases[1:] {
		if _, err := Load(ctx, "warm-up", o.Concurrency, time.Second/2, p.req); err != nil {
			return fmt.Errorf("%s: %w", p.name, err)
		}
	}
	results := make([][]Result, len(phases))
	for round := 0; round < o.Rounds; round++ {
		for i, p := range phases {
			r, err := Load(ctx, p.name, o.Concurrency, o.Duration, p.req)
			if err != nil {
				return fmt.Errorf("%s: %w", p.name, err)
			}
			fmt.Fprintf(out, "  round %d  %s\n", round+1, r)
			results[i] = append(results[i], r)
		}
	}
	base := total(results[0])
	fmt.Fprintf(out, "\n%-40s %10s %8s %10s %10s\n", "page", "req/s", "ratio", "p99 worst", "goal p99")
	for i, p := range phases {
		worst := time.Duration(0)
		for _, r := range results[i] {
			worst = max(worst, r.P99)
		}
		goal := "< 20 ms"
		if i == 0 {
			goal = ""
		} else if worst >= 20*time.Millisecond {
			goal += " (missed)"
		}
		fmt.Fprintf(out, "%-40s %10.0f %8.2f %8.2f ms %10s\n", p.name, total(results[i]), total(results[i])/base, ms(worst), goal)
	}
	return nil
}

// portalFixture finds the marital-status procedure and receives n birth
// registrations at the ward's counter, whose status pages the load reads.
func portalFixture(ctx context.Context, c *apiClient, n int) (procID string, codes []string, err error) {
	var page struct {
		Items []struct {
			ID   string `json:"id"`
			Code string `json:"code"`
		} `json:"items"`
	}
	ids := map[string]string{}
	for _, q := range []string{"1.004873", "1.001193"} {
		if err := c.call(ctx, http.MethodGet, "/api/v1/procedures?q="+url.QueryEscape(q), nil, &page, http.StatusOK); err != nil {
			return "", nil, err
		}
		for _, it := range page.Items {
			if it.Code == q {
				ids[q] = it.ID
			}
		}
		if ids[q] == "" {
			return "", nil, fmt.Errorf("procedure %s not found", q)
		}
	}
	form := map[string][]string{"ho_ten_nguoi_yeu_cau": {"Lê Minh Châu"}, "so_dinh_danh_nguoi_yeu_cau": {"042201007890"}, "quan_he": {"Cha"},
		"ho_ten_tre": {"Lê Bảo Ngọc"}, "ngay_sinh": {"2026-02-20"}, "gioi_tinh": {"Nữ"}, "dan_toc": {"Kinh"},
		"noi_sinh": {"Bệnh viện Đa khoa tỉnh Hà Tĩnh"}, "que_quan": {"Xã Can Lộc, tỉnh Hà Tĩnh"}, "giay_chung_sinh": {"giay-chung-sinh.pdf"}}
	for range n {
		var d struct {
			Code string `json:"code"`
		}
		err = c.call(ctx, http.MethodPost, "/api/v1/dossiers", map[string]any{"procedure_id": ids["1.001193"], "channel": "counter",
			"applicant": map[string]any{"kind": "citizen", "name": "Lê Minh Châu", "id_number": "042201007890", "phone": "0356789012"},
			"form":      form}, &d, http.StatusCreated)
		if err != nil {
			return "", nil, err
		}
		codes = append(codes, d.Code)
	}
	return ids["1.004873"], codes, nil
}
