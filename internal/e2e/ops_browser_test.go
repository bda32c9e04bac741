package e2e

import (
	"bytes"
	"context"
	"encoding/csv"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/xuri/excelize/v2"

	"github.com/congso/congso/internal/actor"
	"github.com/congso/congso/internal/calendar"
	"github.com/congso/congso/internal/dossier"
	"github.com/congso/congso/internal/indicator"
	"github.com/congso/congso/internal/web"
)

// The operations page in a real browser: the figures match the dossiers, the
// charts are drawn by Chart.js, a status change made through the dossier
// service shows after the page's own htmx refresh, and every table downloads
// as CSV and XLSX with the same figures.

// opsFigure is a figure card of the operations page.
func opsFigure(tb *tab, name string) string {
	tb.t.Helper()
	return tb.text(fmt.Sprintf(`#ops-live [data-figure=%q]`, name))
}

// opsCell is a cell of a breakdown table: the row whose heading contains
// label, the column named col; "" when there is no such row.
func opsCell(tb *tab, table, label, col string) string {
	tb.t.Helper()
	return js[string](tb, fmt.Sprintf(`(() => {
		const tr = [...document.querySelectorAll("#ops-%s tbody tr")].find(r => r.querySelector("th").textContent.includes(%q));
		return tr ? tr.querySelector('[data-col=%q]').textContent.trim() : ""; })()`, table, label, col))
}

// chartsDrawn reports, for each canvas, whether Chart.js owns it and has
// painted something on it.
const chartsDrawn = `["chart-intake", "chart-fields", "chart-late"].map(id => {
	const c = document.getElementById(id);
	if (!c || !window.Chart || !Chart.getChart(c)) return id + ": no chart";
	const px = c.getContext("2d").getImageData(0, 0, c.width, c.height).data;
	for (let i = 3; i < px.length; i += 4) if (px[i] !== 0) return id + ": drawn";
	return id + ": blank";
}).join(", ")`

func TestOperationsPageInBrowser(t *testing.T) {
	// Wednesday 4 March 2026, 08:30.
	eachEngineAt(t, ict(2026, time.March, 4, 8, 30), func(t *testing.T, p *deskPlatform) {
		ctx := context.Background()
		token := p.token(t, "tiepnhan.thanhsen")
		var codes []string
		for range 3 {
			codes = append(codes, p.receiveBirth(t, token))
		}

		// The scorecard's facts follow the dossiers, and their delivery to the
		// national portal, in the background: let the deliveries finish, then
		// bring the facts up to date, so that the page and the service agree.
		for hang := time.Now().Add(90 * time.Second); ; time.Sleep(50 * time.Millisecond) {
			st, err := p.app.NatSync.Counters(ctx)
			if err != nil {
				t.Fatal(err)
			}
			if st.Pending == 0 {
				break
			}
			if time.Now().After(hang) {
				t.Fatalf("%d records still wait for the national portal", st.Pending)
			}
		}
		for {
			n, err := p.app.Indicators.Refresh(ctx)
			if err != nil {
				t.Fatalf("refresh the scorecard: %v", err)
			}
			if n == 0 {
				break
			}
		}
		today := calendar.Date{Year: 2026, Month: time.March, Day: 4}
		card, err := p.app.Indicators.Scorecard(ctx, nil, indicator.Scope{Kind: indicator.Province},
			indicator.Period{From: calendar.Date{Year: 2026, Month: time.January, Day: 1}, To: today})
		if err != nil {
			t.Fatal(err)
		}

		b := newBrowser(t, p.URL)
		tb := signInOn(b.main, "quansat", "Phạm Giám Sát")
		tb.wantStatus("open the operations page", tb.open("/ops"), 200)
		tb.wantText("h1", "Trung tâm điều hành")
		tb.wantText("#ops-live", "Số liệu toàn tỉnh")
		if got := opsFigure(tb, "received_today"); got != "3" {
			tb.fatalf("received today = %q, want 3", got)
		}
		if got := opsFigure(tb, "in_progress"); got != "3" {
			tb.fatalf("in progress = %q, want 3", got)
		}
		if got := opsCell(tb, "agency", "phường Thành Sen", "in_progress"); got != "3" {
			tb.fatalf("the agency table gives ward Thành Sen %q dossiers in progress, want 3", got)
		}
		if got := opsCell(tb, "commune", "Thành Sen", "received"); got != "3" {
			tb.fatalf("the commune table gives Thành Sen %q dossiers received, want 3", got)
		}
		if got := opsCell(tb, "channel", "Trực tiếp", "received"); got != "3" {
			tb.fatalf("the channel table gives the counter %q dossiers received, want 3", got)
		}
		// Every figure is the service's, for the same moment.
		obs := p.actor(t, "quansat")
		o, err := p.app.Dossiers.Count(ctx, obs, dossier.Filter{Queue: dossier.QueueLate})
		if err != nil {
			t.Fatal(err)
		}
		if got := opsFigure(tb, "late"); got != fmt.Sprint(o) {
			tb.fatalf("late = %q, the worklist of late dossiers has %d", got, o)
		}

		// The charts are drawn, the intake chart's today column holds the three.
		tb.waitJS(`(` + chartsDrawn + `) === "chart-intake: drawn, chart-fields: drawn, chart-late: drawn"`)
		if got := js[int](tb, `(() => { const c = Chart.getChart(document.getElementById("chart-intake"));
			return c.data.datasets.reduce((n, ds) => n + ds.data[ds.data.length - 1], 0); })()`); got != 3 {
			tb.fatalf("the intake chart shows %d dossiers today, want 3", got)
		}
		if got := js[string](tb, `Chart.getChart(document.getElementById("chart-intake")).data.labels.at(-1)`); got != "04/03" {
			tb.fatalf("the intake chart ends on %q, want 04/03", got)
		}
		// The scorecard of the year to date, its trend and the rankings.
		if got, want := tb.text(`#ops-scorecard [data-score="total"]`), strings.Replace(fmt.Sprintf("%.2f", card.Total), ".", ",", 1); got != want {
			tb.fatalf("the scorecard's total is %q, the service's %q", got, want)
		}
		if got := tb.count(`#ops-scorecard .ops-cards li`); got != 1+len(card.Groups) || len(card.Groups) != 6 {
			tb.fatalf("the scorecard shows %d cards for %d groups, want the total and 6 groups", got, len(card.Groups))
		}
		if got := js[string](tb, `(() => { const c = Chart.getChart(document.getElementById("chart-score-trend"));
			return c ? c.data.labels.length + " " + c.data.labels.at(-1) : "no chart"; })()`); got != "12 03/2026" {
			tb.fatalf("the trend chart has %q, want 12 months ending 03/2026", got)
		}
		tb.wantText("#ops-rank-agency", "phường Thành Sen")
		tb.wantText("#ops-rank-commune", "Thành Sen")

		// Mark the chart objects: the refresh must keep them, not make new ones.
		js[bool](tb, `(() => { Chart.getChart(document.getElementById("chart-fields")).$e2e = true; return true; })()`)

		// The ward's head stops one dossier through the service; the page
		// shows it after its own refresh.
		head := p.actor(t, "lanhdao.thanhsen")
		if _, err := p.app.Dossiers.Act(ctx, head, codes[0], dossier.ActStop, dossier.ActionInput{Note: "Người yêu cầu đề nghị dừng."}); err != nil {
			t.Fatalf("stop %s: %v", codes[0], err)
		}
		tb.waitJS(`document.querySelector('#ops-live [data-figure="in_progress"]').textContent.trim() === "2"`)
		if got := opsCell(tb, "agency", "phường Thành Sen", "in_progress"); got != "2" {
			tb.fatalf("after the stop the agency table gives %q in progress, want 2", got)
		}
		if got := js[int](tb, `(() => { const c = Chart.getChart(document.getElementById("chart-fields"));
			return c.$e2e === true ? c.data.datasets.reduce((n, ds) => n + ds.data.reduce((a, b) => a + b, 0), 0) : -1; })()`); got != 2 {
			tb.fatalf("the field chart holds %d open dossiers after the refresh (-1: the chart was replaced), want 2", got)
		}
		tb.waitJS(`(` + chartsDrawn + `) === "chart-intake: drawn, chart-fields: drawn, chart-late: drawn"`)

		// The same figures as JSON, for other systems; citizens are refused.
		status, body := p.apiCall(t, http.MethodGet, "/api/v1/dashboard/overview", p.token(t, "quansat"), nil)
		figures, _ := body["figures"].(map[string]any)
		if status != http.StatusOK || figures["in_progress"] != 2.0 || figures["received_today"] != 3.0 || body["province_wide"] != true {
			t.Fatalf("GET /api/v1/dashboard/overview: %d %v", status, body)
		}
		if status, body := p.apiCall(t, http.MethodGet, "/api/v1/dashboard/overview", p.token(t, "nguyenvanan"), nil); status != http.StatusForbidden {
			t.Fatalf("a citizen's GET /api/v1/dashboard/overview: %d %v", status, body)
		}

		// The tables download with the page's figures.
		session := tb.cookie(web.SessionCookie)
		if session == "" {
			tb.fatalf("no session cookie")
		}
		file := opsDownload(t, p.URL+"/ops/export/agency.csv", session, "text/csv")
		recs, err := csv.NewReader(strings.NewReader(strings.TrimPrefix(string(file), "\uFEFF"))).ReadAll()
		if err != nil {
			t.Fatalf("read the CSV: %v", err)
		}
		if len(recs) < 2 || recs[0][0] != "Cơ quan" || recs[0][2] != "Đang giải quyết" {
			t.Fatalf("the CSV's header is %q", recs[0])
		}
		var ward []string
		for _, r := range recs[1:] {
			if strings.Contains(r[0], "phường Thành Sen") {
				ward = r
			}
		}
		if ward == nil || ward[1] != "3" || ward[2] != "2" {
			t.Fatalf("the CSV's row of the ward is %q, want 3 received and 2 in progress", ward)
		}
		file = opsDownload(t, p.URL+"/ops/export/commune.xlsx", session, "spreadsheetml")
		f, err := excelize.OpenReader(bytes.NewReader(file))
		if err != nil {
			t.Fatalf("open the XLSX: %v", err)
		}
		defer f.Close()
		rows, err := f.GetRows(f.GetSheetList()[0])
		if err != nil {
			t.Fatal(err)
		}
		if len(rows) != 2 || !strings.Contains(rows[1][0], "Thành Sen") || rows[1][1] != "3" || rows[1][2] != "2" {
			t.Fatalf("the XLSX holds %q, want one row for Thành Sen with 3 received and 2 in progress", rows)
		}
		// Without a session the downloads are refused.
		res, err := http.Get(p.URL + "/ops/export/agency.csv")
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		if res.Request.URL.Path != "/login" {
			t.Fatalf("an anonymous download ended at %s, want the sign-in page", res.Request.URL)
		}

		// The public transparency page: no sign-in, the scorecard's charts
		// drawn, nothing personal about the applicants.
		public := b.isolatedTab("public")
		public.wantStatus("open the transparency page", public.open("/bang-diem"), 200)
		wantSignedOut(public)
		public.waitJS(`(() => { const c = document.getElementById("chart-score-groups");
			if (!c || !window.Chart || !Chart.getChart(c)) return false;
			const px = c.getContext("2d").getImageData(0, 0, c.width, c.height).data;
			for (let i = 3; i < px.length; i += 4) if (px[i] !== 0) return true;
			return false; })()`)
		if got := js[int](public, `Chart.getChart(document.getElementById("chart-score-groups")).data.labels.length`); got != 6 {
			public.fatalf("the groups chart has %d groups, want 6", got)
		}
		page := public.html()
		for _, personal := range []string{birthApplicant.Name, birthApplicant.ID, birthApplicant.Phone, birthForm["ho_ten_tre"], codes[0]} {
			if strings.Contains(page, personal) {
				public.fatalf("the public page shows %q", personal)
			}
		}

		// An official of another agency sees only their agencies' dossiers.
		other := signedInTab(b, "chuyenvien.stp", "Trần Văn Xử Lý")
		other.wantStatus("open the operations page", other.open("/ops"), 200)
		other.wantText("#ops-live", "Số liệu các cơ quan của bạn")
		if got := opsFigure(other, "received_today"); got != "0" {
			other.fatalf("the department's official sees %q dossiers received today, want 0", got)
		}
	})
}

// actor is the signed-in form of a demo account, for calling the services.
func (p *deskPlatform) actor(t *testing.T, username string) *actor.Actor {
	t.Helper()
	ctx := context.Background()
	u, err := p.app.Identity.UserByUsername(ctx, username)
	if err != nil {
		t.Fatalf("user %s: %v", username, err)
	}
	a, err := p.app.Identity.ActorFor(ctx, u.ID)
	if err != nil {
		t.Fatalf("actor %s: %v", username, err)
	}
	return a
}

// opsDownload fetches an export with the session and checks its type.
func opsDownload(t *testing.T, url, session, wantType string) []byte {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, url, nil)
	if err != nil {
		t.Fatal(err)
	}
	req.AddCookie(&http.Cookie{Name: web.SessionCookie, Value: session})
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("GET %s: %v", url, err)
	}
	defer res.Body.Close()
	body, err := io.ReadAll(res.Body)
	if err != nil {
		t.Fatal(err)
	}
	if res.StatusCode != http.StatusOK || !strings.Contains(res.Header.Get("Content-Type"), wantType) ||
		!strings.HasPrefix(res.Header.Get("Content-Disposition"), "attachment;") {
		t.Fatalf("GET %s: %d %s %s\n%.300s", url, res.StatusCode, res.Header.Get("Content-Type"), res.Header.Get("Content-Disposition"), body)
	}
	return body
}
