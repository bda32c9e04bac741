package app_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"mime/multipart"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/xuri/excelize/v2"

	"github.com/congso/congso/internal/actor"
	"github.com/congso/congso/internal/app"
	"github.com/congso/congso/internal/calendar"
	"github.com/congso/congso/internal/db"
	"github.com/congso/congso/internal/dossier"
	"github.com/congso/congso/internal/identity"
	"github.com/congso/congso/internal/notify/smtptest"
	"github.com/congso/congso/internal/plan"
)

type planClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *planClock) Now() time.Time  { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *planClock) Set(t time.Time) { c.mu.Lock(); c.t = t; c.mu.Unlock() }

// startPlans runs the platform on a settable clock, with e-mail going to a
// local SMTP server.
func startPlans(t *testing.T, engine db.Engine, now time.Time) (*server, *planClock) {
	t.Helper()
	smtp, err := smtptest.New(smtptest.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { smtp.Close() })
	clk := &planClock{t: now}
	env := map[string]string{"CONGSO_SMTP_HOST": smtp.Host(), "CONGSO_SMTP_PORT": strconv.Itoa(smtp.Port()),
		"CONGSO_SMTP_FROM": "congso@example.gov.vn", "CONGSO_SMTP_TLS": "none"}
	s := start(t, engine, func(c *app.Config) {
		c.Now = clk.Now
		c.Env = func(k string) string { return env[k] }
	})
	return s, clk
}

func (s *server) planID(key string) string {
	s.t.Helper()
	list, err := s.App.Plans.Plans(context.Background(), actor.SystemActor("test"))
	if err != nil {
		s.t.Fatal(err)
	}
	for _, p := range list {
		if p.Key == key {
			return p.ID
		}
	}
	s.t.Fatalf("plan %s is not loaded", key)
	return ""
}

func (s *server) actorOf(username string) *actor.Actor {
	s.t.Helper()
	ctx := context.Background()
	u, err := s.App.Identity.UserByUsername(ctx, username)
	if err != nil {
		s.t.Fatal(err)
	}
	a, err := s.App.Identity.ActorFor(ctx, u.ID)
	if err != nil {
		s.t.Fatal(err)
	}
	return a
}

// birthRequest is a father's birth registration (procedure 1.001193).
func (s *server) birthRequest() (procedureID string, form map[string][]string, applicant dossier.Applicant) {
	s.t.Helper()
	proc, err := s.App.Catalog.ByCode(context.Background(), actor.SystemActor("test"), "1.001193")
	if err != nil {
		s.t.Fatal(err)
	}
	form = map[string][]string{"ho_ten_nguoi_yeu_cau": {"Lê Minh Châu"}, "so_dinh_danh_nguoi_yeu_cau": {"042201007890"}, "quan_he": {"Cha"},
		"ho_ten_tre": {"Lê Bảo Ngọc"}, "ngay_sinh": {"2024-05-01"}, "gioi_tinh": {"Nữ"}, "dan_toc": {"Kinh"},
		"noi_sinh": {"Bệnh viện Đa khoa tỉnh Hà Tĩnh"}, "que_quan": {"Xã Can Lộc, tỉnh Hà Tĩnh"}, "giay_chung_sinh": {"giay-chung-sinh.pdf"}}
	return proc.ID, form, dossier.Applicant{Kind: "citizen", Name: "Lê Minh Châu", IDNumber: "042201007890", Phone: "0356789012"}
}

// birth files a birth registration at ward Thành Sen: at the counter, or
// online by the father (then accepted by the ward's receiver).
func (s *server) birth(online bool) dossier.Dossier {
	s.t.Helper()
	if online {
		return s.onlineBirthAt("000.00.21.H25", "tiepnhan.thanhsen")
	}
	procID, form, applicant := s.birthRequest()
	d, err := s.App.Dossiers.Create(context.Background(), s.actorOf("tiepnhan.thanhsen"), dossier.CreateInput{ProcedureID: procID,
		Channel: dossier.Counter, Applicant: applicant, Form: form})
	if err != nil {
		s.t.Fatalf("counter dossier: %v", err)
	}
	return d
}

func (s *server) indicators(token, planID string) map[string]plan.Indicator {
	s.t.Helper()
	res := s.do("GET", "/api/v1/plans/"+planID+"/indicators", token, "", "")
	if res.Status != http.StatusOK {
		s.t.Fatalf("indicators: %d %s", res.Status, res.Body)
	}
	var body struct{ Items []plan.Indicator }
	res.json(s.t, &body)
	out := map[string]plan.Indicator{}
	for _, i := range body.Items {
		out[i.Code] = i
	}
	return out
}

// The plan's live indicators follow the dossiers: measured by the service
// scorecard over dossiers filed through the dossier service.
func TestPlanLiveIndicators(t *testing.T) {
	each(t, func(t *testing.T, engine db.Engine) {
		s, _ := startPlans(t, engine, time.Date(2024, time.May, 15, 9, 0, 0, 0, calendar.Location()))
		hg := s.planID("haugiang-2024")
		obs := s.token("quansat")
		before := s.indicators(obs, hg)
		if i := before["CQS-5"]; i.Status != plan.NoData || i.Actual != nil || i.Metric != plan.OnlineRate {
			t.Fatalf("online rate before any dossier: %+v", i)
		}
		s.birth(false)
		s.birth(true)
		got := s.indicators(obs, hg)
		online := got["CQS-5"]
		if online.Actual == nil || *online.Actual != 50 || online.Source != "live" || online.Status != plan.AtRisk {
			t.Fatalf("online rate after one counter and one online dossier: %+v", online)
		}
		// Birth registrations are due the day they are received: the
		// on-time rate is measured, whatever it comes to.
		if ontime := got["CQS-11"]; ontime.Actual == nil || ontime.Source != "live" || ontime.Status == plan.NoData {
			t.Errorf("on-time rate: %+v", ontime)
		}
		if rep := got["KTS-1"]; rep.Source != "none" || rep.Status != plan.NoData {
			t.Errorf("a reported indicator: %+v", rep)
		}
		s.birth(true)
		s.birth(true)
		got = s.indicators(obs, hg)
		if online := got["CQS-5"]; online.Actual == nil || *online.Actual != 75 {
			t.Errorf("online rate after two more online dossiers: %+v", online)
		}
	})
}

// Agencies that owe the quarterly report are reminded before the deadline,
// once, through the notification outbox.
func TestPlanReminders(t *testing.T) {
	each(t, func(t *testing.T, engine db.Engine) {
		s, clk := startPlans(t, engine, time.Date(2024, time.June, 6, 8, 0, 0, 0, calendar.Location()))
		ctx := context.Background()
		sys := actor.SystemActor("test")
		var headID string
		err := s.App.DB.Tx(ctx, func(tx *db.Tx) error {
			u, err := s.App.Identity.CreateUser(ctx, tx, sys, identity.NewUser{Kind: actor.Official, Username: "truongphong.stc",
				DisplayName: "Trần Trưởng Phòng", Email: "truongphong.stc@example.gov.vn", Password: app.DemoPassword})
			if err != nil {
				return err
			}
			headID = u.ID
			return s.App.Org.GrantTx(ctx, tx, sys, u.ID, s.agencyID("000.00.07.H25"), actor.Head)
		})
		if err != nil {
			t.Fatal(err)
		}
		count := func() int {
			var n int
			if err := s.App.DB.QueryRow(ctx, "SELECT COUNT(*) FROM notify_outbox WHERE user_id = ? AND subject LIKE ?", headID,
				"Nhắc gửi báo cáo quý 2/2024%").Scan(&n); err != nil {
				t.Fatal(err)
			}
			return n
		}
		for range 2 {
			if _, err := s.App.Plans.RemindDue(ctx); err != nil {
				t.Fatal(err)
			}
			if n := count(); n != 1 {
				t.Fatalf("reminders before the deadline: %d, want 1", n)
			}
		}
		// The report sent, no reminder after the deadline.
		hg := s.planID("haugiang-2024")
		head := s.token("truongphong.stc")
		res := s.do("POST", "/api/v1/plans/"+hg+"/quarters/2", head, "application/json",
			fmt.Sprintf(`{"agency_id":%q,"summary":"Đã trình dự thảo chính sách hỗ trợ doanh nghiệp nhỏ và vừa"}`, s.agencyID("000.00.07.H25")))
		if res.Status != http.StatusCreated {
			t.Fatalf("quarterly report: %d %s", res.Status, res.Body)
		}
		clk.Set(time.Date(2024, time.June, 12, 8, 0, 0, 0, calendar.Location()))
		if _, err := s.App.Plans.RemindDue(ctx); err != nil {
			t.Fatal(err)
		}
		var after int
		_ = s.App.DB.QueryRow(ctx, "SELECT COUNT(*) FROM notify_outbox WHERE user_id = ?", headID).Scan(&after)
		if after != 1 {
			t.Errorf("messages to the head after the report was sent: %d, want 1", after)
		}
	})
}

func TestPlanAPI(t *testing.T) {
	s, clk := startPlans(t, db.SQLite, time.Date(2024, time.October, 2, 9, 0, 0, 0, calendar.Location()))
	hg := s.planID("haugiang-2024")
	obs, admin, stp, citizen := s.token("quansat"), s.token("admin"), s.token("chuyenvien.stp"), s.token("nguyenvanan")
	var tasks struct{ Items []plan.Task }
	s.do("GET", "/api/v1/plans/"+hg+"/tasks", obs, "", "").json(t, &tasks)
	var t4 plan.Task
	for _, x := range tasks.Items {
		if x.Code == "4" {
			t4 = x
		}
	}
	if t4.ID == "" || !t4.Overdue {
		t.Fatalf("task 4 on 2/10/2024: %+v", t4)
	}
	upd := "/api/v1/plans/" + hg + "/tasks/" + t4.ID + "/updates"
	body := func(v int, state string, p int) string {
		return fmt.Sprintf(`{"version":%d,"state":%q,"progress":%d,"note":"Đã trình"}`, v, state, p)
	}
	cases := []struct {
		name, method, path, token, ct, body string
		status                              int
		want                                string
	}{
		{"anonymous", "GET", "/api/v1/plans", "", "", "", 401, `"code":"unauthorized"`},
		{"citizen", "GET", "/api/v1/plans", citizen, "", "", 403, `"code":"forbidden"`},
		{"list", "GET", "/api/v1/plans", obs, "", "", 200, "575/KH-UBND"},
		{"unknown plan", "GET", "/api/v1/plans/nope", obs, "", "", 404, `"code":"not_found"`},
		{"bad state filter", "GET", "/api/v1/plans/" + hg + "/tasks?state=late", obs, "", "", 422, `"state"`},
		{"bad overdue filter", "GET", "/api/v1/plans/" + hg + "/tasks?overdue=maybe", obs, "", "", 422, `"overdue"`},
		{"overdue filter", "GET", "/api/v1/plans/" + hg + "/tasks?overdue=true", obs, "", "", 200, "Xây dựng chính sách thuê chuyên gia"},
		{"bad report format", "GET", "/api/v1/plans/" + hg + "/report?format=doc", obs, "", "", 422, `"format"`},
		{"indicators as CSV", "GET", "/api/v1/plans/" + hg + "/indicators?format=csv", obs, "", "", 200, "Tỷ lệ hồ sơ TTHC được tiếp nhận và xử lý trực tuyến"},
		{"another agency's task", "POST", upd, stp, "application/json", body(t4.Version, "in_progress", 50), 403, `"code":"forbidden"`},
		{"observer writes", "POST", upd, obs, "application/json", body(t4.Version, "in_progress", 50), 403, `"code":"forbidden"`},
		{"progress out of range", "POST", upd, admin, "application/json", body(t4.Version, "in_progress", 150), 422, `"progress"`},
		{"not JSON", "POST", upd, admin, "application/json", `{"version":`, 422, "JSON không hợp lệ"},
		{"unknown field", "POST", upd, admin, "application/json", `{"version":1,"state":"done","progress":100,"owner":"x"}`, 422, "owner"},
		{"update", "POST", upd, admin, "application/json", body(t4.Version, "in_progress", 50), 200, `"progress":50`},
		{"stale version", "POST", upd, admin, "application/json", body(t4.Version, "in_progress", 60), 409, `"code":"conflict"`},
		{"import by an observer", "POST", "/api/v1/plans", obs, plan.CtXLSX, "x", 403, `"code":"forbidden"`},
		{"import of garbage", "POST", "/api/v1/plans", admin, plan.CtXLSX, "not a workbook", 422, "Excel"},
		{"quarter out of range", "GET", "/api/v1/plans/" + hg + "/quarters/5", obs, "", "", 422, `"quarter"`},
	}
	for _, c := range cases {
		res := s.do(c.method, c.path, c.token, c.ct, c.body)
		if res.Status != c.status || !strings.Contains(res.Body, c.want) {
			t.Errorf("%s: %d %s; want %d with %q", c.name, res.Status, res.Body, c.status, c.want)
		}
		if c.status >= 400 && !strings.HasPrefix(res.Header.Get("Content-Type"), "application/json") {
			t.Errorf("%s: error as %s", c.name, res.Header.Get("Content-Type"))
		}
	}

	// An update with a file as evidence, by multipart form, half an hour later.
	clk.Set(time.Date(2024, time.October, 2, 9, 30, 0, 0, calendar.Location()))
	var buf bytes.Buffer
	mw := multipart.NewWriter(&buf)
	_ = mw.WriteField("version", strconv.Itoa(t4.Version+1))
	_ = mw.WriteField("state", "done")
	_ = mw.WriteField("progress", "100")
	fw, _ := mw.CreateFormFile("file", "quyet-dinh.pdf")
	_, _ = fw.Write([]byte("%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n2 0 obj<</Type/Pages/Kids[]/Count 0>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n"))
	mw.Close()
	res := s.do("POST", upd, admin, mw.FormDataContentType(), buf.String())
	if res.Status != http.StatusOK || !strings.Contains(res.Body, `"state":"done"`) {
		t.Fatalf("multipart update: %d %s", res.Status, res.Body)
	}
	res = s.do("GET", "/api/v1/plans/"+hg+"/tasks/"+t4.ID, obs, "", "")
	var detail struct {
		Updates []plan.TaskUpdate
	}
	res.json(t, &detail)
	if len(detail.Updates) != 2 || detail.Updates[0].EvidenceID == "" {
		t.Fatalf("updates: %+v", detail.Updates)
	}
	if ev := s.do("GET", "/api/v1/plans/"+hg+"/evidence/"+detail.Updates[0].EvidenceID, obs, "", ""); ev.Status != 200 ||
		ev.Header.Get("Content-Type") != "application/pdf" {
		t.Errorf("evidence download: %d %s", ev.Status, ev.Header.Get("Content-Type"))
	}

	// Downloads: the task table as XLSX, the compiled report as PDF.
	res = s.do("GET", "/api/v1/plans/"+hg+"/tasks?format=xlsx", obs, "", "")
	book, err := excelize.OpenReader(strings.NewReader(res.Body))
	if err != nil {
		t.Fatalf("task workbook: %v", err)
	}
	rows, _ := book.GetRows("Nhiệm vụ")
	if len(rows) != 54 {
		t.Errorf("task workbook rows: %d", len(rows))
	}
	book.Close()
	res = s.do("GET", "/api/v1/plans/"+hg+"/report?format=pdf", obs, "", "")
	if res.Status != 200 || !strings.HasPrefix(res.Body, "%PDF-") || !strings.Contains(res.Header.Get("Content-Disposition"), "bao-cao-haugiang-2024.pdf") {
		t.Errorf("report PDF: %d %s", res.Status, res.Header.Get("Content-Disposition"))
	}

	// A plan already loaded is a conflict when imported again.
	defs, _ := plan.Shipped()
	var wb bytes.Buffer
	_ = plan.WriteDefinitionXLSX(&wb, defs[1])
	res = s.do("POST", "/api/v1/plans", admin, plan.CtXLSX, wb.String())
	if res.Status != http.StatusConflict {
		t.Errorf("re-import: %d %s", res.Status, res.Body)
	}
	d := defs[1]
	d.Key, d.Title = "hatinh-2023-ban-sao", "Bản sao kế hoạch"
	wb.Reset()
	_ = plan.WriteDefinitionXLSX(&wb, d)
	res = s.do("POST", "/api/v1/plans", admin, plan.CtXLSX, wb.String())
	var p plan.Plan
	if res.Status != http.StatusCreated {
		t.Fatalf("import: %d %s", res.Status, res.Body)
	}
	_ = json.Unmarshal([]byte(res.Body), &p)
	if p.Tasks != 53 || p.Indicators != 29 || p.Key != "hatinh-2023-ban-sao" {
		t.Errorf("imported plan: %+v", p)
	}
}

// `congso plan template` writes a shipped plan as a workbook that `congso
// plan import` loads into a platform without the demo; a second import is
// refused.
func TestPlanCommands(t *testing.T) {
	dir := t.TempDir()
	var wb, errb bytes.Buffer
	if code := app.Main([]string{"plan", "template", "hatinh-2023"}, strings.NewReader(""), &wb, &errb); code != 0 {
		t.Fatalf("template: exit %d: %s", code, errb.String())
	}
	file := filepath.Join(dir, "hatinh.xlsx")
	if err := os.WriteFile(file, wb.Bytes(), 0o600); err != nil {
		t.Fatal(err)
	}
	data := filepath.Join(dir, "data")
	var out bytes.Buffer
	errb.Reset()
	if code := app.Main([]string{"plan", "import", "--data", data, file}, strings.NewReader(""), &out, &errb); code != 0 {
		t.Fatalf("import: exit %d: %s", code, errb.String())
	}
	if !strings.Contains(out.String(), "19 chỉ tiêu, 22 nhiệm vụ") {
		t.Errorf("import said %q", out.String())
	}
	errb.Reset()
	if code := app.Main([]string{"plan", "import", "--data", data, file}, strings.NewReader(""), &out, &errb); code != 1 ||
		!strings.Contains(errb.String(), "đã được nạp") {
		t.Errorf("second import: exit %d: %s", code, errb.String())
	}
	errb.Reset()
	if code := app.Main([]string{"plan", "import", "--data", data, filepath.Join(dir, "missing.xlsx")}, strings.NewReader(""), &out, &errb); code != 1 {
		t.Errorf("missing file: exit %d", code)
	}
}
