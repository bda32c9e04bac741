package web

import (
	"context"
	"io"
	"io/fs"
	"log/slog"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"os"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/congso/congso/internal/actor"
	"github.com/congso/congso/internal/audit"
	"github.com/congso/congso/internal/calendar"
	"github.com/congso/congso/internal/db"
	"github.com/congso/congso/internal/db/dbtest"
	"github.com/congso/congso/internal/dossier"
	"github.com/congso/congso/internal/identity"
	"github.com/congso/congso/internal/org"
	"github.com/congso/congso/internal/rating"
)

// ratingClock is the settable time of the dossiers, ratings and pages in
// these tests; sign-in and the audit log keep the real time.
type ratingClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *ratingClock) Now() time.Time  { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *ratingClock) Set(t time.Time) { c.mu.Lock(); c.t = t; c.mu.Unlock() }

func ratingICT(y int, m time.Month, d, h, min int) time.Time {
	return time.Date(y, m, d, h, min, 0, 0, calendar.Location())
}

type ratingAgencies struct{ org *org.Service }

func (a ratingAgencies) AgencyInfo(ctx context.Context, id string) (dossier.Agency, error) {
	ag, err := a.org.Agency(ctx, id)
	if err != nil {
		return dossier.Agency{}, err
	}
	return dossier.Agency{ID: ag.ID, Code: ag.Code, Name: ag.Name}, nil
}

type ratingProcedures map[string]dossier.Procedure

func (p ratingProcedures) Procedure(_ context.Context, id string) (dossier.Procedure, error) {
	return p[id], nil
}

// ratingApp is the page stack with the dossier system and the rating
// service: two wards, their officials, an observer and two citizens.
type ratingApp struct {
	*adminApp
	clock *ratingClock
	dos   *dossier.Service
	svc   *rating.Service
}

func newRatingApp(t *testing.T, engine db.Engine) *ratingApp {
	t.Helper()
	ctx := context.Background()
	d := dbtest.Open(t, engine)
	clock := &ratingClock{t: ratingICT(2026, 3, 2, 8, 0)} // a Monday
	lg := audit.New(d, time.Now)
	o := org.New(d, lg, time.Now)
	cfg := identity.DefaultConfig()
	cfg.Argon2 = identity.Argon2Params{MemoryKiB: 1024, Time: 1, Threads: 1}
	ids, err := identity.New(d, lg, o, time.Now, cfg)
	if err != nil {
		t.Fatal(err)
	}
	app := &ratingApp{adminApp: &adminApp{t: t, org: o, id: ids, log: lg, sys: actor.SystemActor("test"),
		agencies: map[string]org.Agency{}, users: map[string]identity.User{}}, clock: clock}
	app.agency("thanhsen", org.AgencyInput{Code: "000.00.21.H25", Name: "Ủy ban nhân dân phường Thành Sen", Kind: org.Department})
	app.agency("tranphu", org.AgencyInput{Code: "000.00.22.H25", Name: "Ủy ban nhân dân phường Trần Phú", Kind: org.Department})
	for _, u := range []struct {
		login, name, agency string
		roles               []actor.Role
	}{
		{"canbo", "Bùi Thị Một Cửa", "thanhsen", []actor.Role{actor.Receiver, actor.Specialist, actor.Clerk}},
		{"lanhdao", "Đỗ Văn Chủ Tịch", "thanhsen", []actor.Role{actor.Head}},
		{"chuyenvien", "Ngô Văn Hộ Tịch", "thanhsen", []actor.Role{actor.Specialist}},
		{"lanhdao.tranphu", "Phan Văn Phường Khác", "tranphu", []actor.Role{actor.Head}},
		{"quansat", "Phạm Giám Sát", "", []actor.Role{actor.Observer}},
	} {
		app.official(u.login, u.name, u.agency, u.roles[0])
		for _, r := range u.roles[1:] {
			if err := o.Grant(ctx, app.sys, app.users[u.login].ID, app.agencies[u.agency].ID, r); err != nil {
				t.Fatal(err)
			}
		}
	}
	for _, c := range []struct{ login, name, id string }{
		{"nguyenvanan", "Nguyễn Văn An", "042090001234"},
		{"tranthibinh", "Trần Thị Bình", "042190004321"},
	} {
		u, err := ids.Create(ctx, nil, identity.NewUser{Kind: actor.Citizen, Username: c.login, DisplayName: c.name, CitizenID: c.id,
			Password: testPassword})
		if err != nil {
			t.Fatal(err)
		}
		app.users[c.login] = u
	}
	wh := func(n int) calendar.Duration { return calendar.Duration{N: n, Unit: calendar.UnitWorkingHours} }
	proc := dossier.Procedure{ID: "p3", Code: "1.001612", Name: "Đăng ký thành lập hộ kinh doanh", Field: "Hộ kinh doanh",
		Limit: calendar.Duration{N: 3, Unit: calendar.UnitWorkingDays}, CutOff: calendar.ClockOf(15, 0),
		Steps: []dossier.PlanStep{{Name: "Tiếp nhận hồ sơ", Role: actor.Receiver, Budget: wh(4)}, {Name: "Thẩm định", Role: actor.Specialist, Budget: wh(12)},
			{Name: "Phê duyệt", Role: actor.Head, Budget: wh(4)}, {Name: "Trả kết quả", Role: actor.Clerk, Budget: wh(4)}},
		AgencyIDs: []string{app.agencies["thanhsen"].ID, app.agencies["tranphu"].ID}, OnlineLevel: "full", Active: true}
	cal := calendar.NewService(d, lg, clock.Now)
	app.dos = dossier.NewService(dossier.Deps{DB: d, Audit: lg, Catalog: ratingProcedures{"p3": proc}, Calendars: cal,
		Agencies: ratingAgencies{o}, Roles: o, People: ids, Now: clock.Now}, dossier.Config{BaseURL: "https://dichvucong.hatinh.example"})
	if app.svc, err = rating.NewService(rating.Deps{DB: d, Audit: lg, Dossiers: rating.DossierSystem{Svc: app.dos}, Calendars: cal,
		Now: clock.Now}, rating.Config{}); err != nil {
		t.Fatal(err)
	}
	s, err := New(Deps{Identity: ids, Org: o, Units: units(t), Audit: lg, Log: slog.New(slog.NewTextHandler(io.Discard, nil)), Now: clock.Now,
		Tx: d.Tx, Province: "42", Dossiers: app.dos, Calendar: cal})
	if err != nil {
		t.Fatal(err)
	}
	mux := http.NewServeMux()
	s.Register(mux)
	if _, pattern := mux.Handler(httptest.NewRequest(http.MethodGet, "/phan-anh", nil)); pattern != "GET /phan-anh" {
		s.registerRating(mux, app.svc) // until web.go's Register calls it
	}
	app.srv = httptest.NewServer(s.Authenticate(mux))
	t.Cleanup(app.srv.Close)
	return app
}

// eachEngine runs the page test on SQLite, and on PostgreSQL when it is
// configured.
func eachEngine(t *testing.T, fn func(t *testing.T, app *ratingApp)) {
	t.Helper()
	for _, e := range []db.Engine{db.SQLite, db.Postgres} {
		t.Run(string(e), func(t *testing.T) {
			if e == db.Postgres && dbtest.PostgresURL() == "" {
				dbtest.Skip(t, "PostgreSQL tests need CONGSO_TEST_DATABASE_URL")
			}
			fn(t, newRatingApp(t, e))
		})
	}
}

func (app *ratingApp) actor(login string) *actor.Actor {
	app.t.Helper()
	a, err := app.id.ActorFor(context.Background(), app.users[login].ID)
	if err != nil {
		app.t.Fatal(err)
	}
	return a
}

func (app *ratingApp) act(login, code string, a dossier.Action) dossier.Dossier {
	app.t.Helper()
	d, err := app.dos.Act(context.Background(), app.actor(login), code, a, dossier.ActionInput{})
	if err != nil {
		app.t.Fatalf("%s by %s: %v", a, login, err)
	}
	return d
}

// fileOnline has the citizen file a dossier at Thành Sen online, accepted.
func (app *ratingApp) fileOnline(login string) dossier.Dossier {
	app.t.Helper()
	d, err := app.dos.Create(context.Background(), app.actor(login), dossier.CreateInput{ProcedureID: "p3", AgencyID: app.agencies["thanhsen"].ID,
		Channel: dossier.Portal, Applicant: dossier.Applicant{Kind: "citizen", Name: "Nguyễn Văn An", IDNumber: "042090001234", Phone: "0912345678"}})
	if err != nil {
		app.t.Fatal(err)
	}
	return app.act("canbo", d.Code, dossier.ActAccept)
}

func (app *ratingApp) finish(code string) {
	app.t.Helper()
	app.act("canbo", code, dossier.ActForward)
	app.act("canbo", code, dossier.ActSubmit)
	app.act("lanhdao", code, dossier.ActApprove)
	app.act("canbo", code, dossier.ActIssue)
}

// ratingForm fills every criterion at the level.
func (app *ratingApp) ratingForm(level string) url.Values {
	f := url.Values{}
	for _, c := range app.svc.Criteria().Codes() {
		f.Set(c, level)
	}
	return f
}

func anonymous(app *adminApp) *browser {
	jar, _ := cookiejar.New(nil)
	return &browser{t: app.t, app: app, client: &http.Client{Jar: jar}}
}

func TestRatingPages(t *testing.T) {
	t.Parallel()
	eachEngine(t, func(t *testing.T, app *ratingApp) {
		x := app.fileOnline("nguyenvanan")
		page := "/ho-so/" + x.Code + "/danh-gia"
		citizen := app.signIn("nguyenvanan")

		// Before the result: no form, a reason.
		res, body := citizen.get(page)
		wantStatus(t, res, body, http.StatusOK)
		wantText(t, body, "Đánh giá mức độ hài lòng", x.Code, "Đăng ký thành lập hộ kinh doanh", "Ủy ban nhân dân phường Thành Sen",
			"Hồ sơ chưa có kết quả giải quyết")
		if strings.Contains(body, `name="receipt.attitude"`) {
			t.Error("a form before the result")
		}

		// After the result: a fieldset per criterion with the five levels.
		app.finish(x.Code)
		res, body = citizen.get(page)
		wantStatus(t, res, body, http.StatusOK)
		wantText(t, body, "Tiếp nhận hồ sơ", "Giải quyết hồ sơ", "Thái độ của công chức tiếp nhận", "Kết quả chính xác", "Chi phí",
			"Rất hài lòng", "Bình thường", "Rất không hài lòng", "Gửi đánh giá")
		if n := strings.Count(body, "<fieldset"); n != len(app.svc.Criteria().Codes()) {
			t.Errorf("%d fieldsets for %d criteria", n, len(app.svc.Criteria().Codes()))
		}
		if !regexp.MustCompile(`<input type="radio" id="r-receipt-attitude-5" name="receipt.attitude" value="5"`).MatchString(body) ||
			!strings.Contains(body, `<label for="r-receipt-attitude-5">Rất hài lòng</label>`) {
			t.Error("the levels are not labelled radio buttons")
		}

		// A criterion left out: the form again, with what was chosen and
		// the problem beside the criterion.
		form := app.ratingForm("5")
		form.Set("processing.on_time", "2")
		form.Del("processing.cost")
		form.Set("comment", "Trễ hẹn hai ngày.")
		res, body = citizen.post(page, form)
		wantStatus(t, res, body, http.StatusUnprocessableEntity)
		wantText(t, body, "Hãy chọn mức độ hài lòng cho tiêu chí “Chi phí”.")
		if !strings.Contains(body, `value="2" required checked`) || !strings.Contains(body, ">Trễ hẹn hai ngày.</textarea>") {
			t.Error("the choices were not kept")
		}
		if !regexp.MustCompile(`id="r-processing-cost-err" class="field-error"`).MatchString(body) ||
			!regexp.MustCompile(`name="processing.cost" value="5" required aria-invalid="true"`).MatchString(body) {
			t.Error("the missing criterion is not marked")
		}

		// Complete: thanks, and the rating as given.
		form.Set("processing.cost", "4")
		res, body = citizen.post(page, form)
		wantStatus(t, res, body, http.StatusOK)
		if res.Request.URL.Path != page {
			t.Errorf("ended at %s", res.Request.URL.Path)
		}
		wantText(t, body, "Cảm ơn bạn đã đánh giá", "Bạn đã đánh giá hồ sơ này lúc 08:00 02/03/2026", "Không hài lòng", "Trễ hẹn hai ngày.")
		if strings.Contains(body, `type="radio"`) {
			t.Error("the form is still offered")
		}
		r, err := app.svc.RatingOf(context.Background(), app.actor("nguyenvanan"), x.Code)
		if err != nil || !r.Negative || r.Level("processing.cost") != rating.Satisfied {
			t.Errorf("stored rating %+v %v", r, err)
		}

		// Once only.
		res, body = citizen.post(page, app.ratingForm("5"))
		wantStatus(t, res, body, http.StatusConflict)
		wantText(t, body, "đã được đánh giá")

		// Nobody else: another citizen, an official, an anonymous visitor.
		res, body = app.signIn("tranthibinh").get(page)
		wantStatus(t, res, body, http.StatusForbidden)
		res, body = app.signIn("lanhdao").post(page, app.ratingForm("5"))
		wantStatus(t, res, body, http.StatusForbidden)
		res, _ = anonymous(app.adminApp).get(page)
		if res.Request.URL.Path != "/login" || res.Request.URL.Query().Get("next") != page {
			t.Errorf("anonymous visitor ended at %s", res.Request.URL)
		}

		// In English.
		citizen.get("/lang/en?next=/")
		_, body = citizen.get(page)
		wantText(t, body, "Rate your satisfaction", "Your rating", "Attitude of the receiving officer", "Dissatisfied")
	})
}

func TestComplaintPages(t *testing.T) {
	t.Parallel()
	eachEngine(t, func(t *testing.T, app *ratingApp) {
		x := app.fileOnline("nguyenvanan")
		page := "/ho-so/" + x.Code + "/phan-anh"
		citizen := app.signIn("nguyenvanan")

		res, body := citizen.get(page)
		wantStatus(t, res, body, http.StatusOK)
		wantText(t, body, "Phản ánh, kiến nghị về hồ sơ", x.Code, "15 ngày làm việc", "Chưa có phản ánh, kiến nghị nào", "Phản ánh", "Kiến nghị")

		res, body = citizen.post(page, url.Values{"kind": {"kien_nghi"}, "content": {"   "}})
		wantStatus(t, res, body, http.StatusUnprocessableEntity)
		wantText(t, body, "Hãy nhập nội dung phản ánh, kiến nghị.")
		if !strings.Contains(body, `id="c-kind-kien_nghi" name="kind" value="kien_nghi" checked`) {
			t.Error("the kind chosen was not kept")
		}

		// Filed on Monday 2 March at 08:00: due on Monday 23 March at 17:00.
		const text1 = "Đã quá hẹn nhưng chưa nhận được kết quả, đề nghị kiểm tra."
		res, body = citizen.post(page, url.Values{"kind": {"phan_anh"}, "content": {text1}})
		wantStatus(t, res, body, http.StatusOK)
		wantText(t, body, "Cơ quan phải trả lời chậm nhất vào 17:00 23/03/2026", text1, "Đang chờ trả lời")
		if strings.Contains(res.Request.URL.String(), "quá") || strings.Contains(res.Request.URL.RawQuery, "content") {
			t.Errorf("the complaint went into an address: %s", res.Request.URL)
		}

		// The citizen's own list.
		_, body = citizen.get("/phan-anh")
		wantText(t, body, "Phản ánh, kiến nghị của tôi", x.Code, "Đăng ký thành lập hộ kinh doanh", "23/03/2026", "Đang chờ trả lời")
		if !strings.Contains(body, `href="`+page+`"`) {
			t.Error("no link to the dossier's complaints")
		}
		_, body = app.signIn("tranthibinh").get("/phan-anh")
		wantNoText(t, body, x.Code)
		res, body = app.signIn("tranthibinh").get(page)
		wantStatus(t, res, body, http.StatusForbidden)

		// The ward's worklist and the complaint.
		head := app.signIn("lanhdao")
		res, body = head.get("/desk/complaints")
		wantStatus(t, res, body, http.StatusOK)
		wantText(t, body, "Phản ánh, kiến nghị của người dân", "Chờ trả lời", x.Code, "17:00 23/03/2026", "Đang chờ trả lời")
		link := regexp.MustCompile(`href="(/desk/complaints/[a-z0-9]+)"`).FindStringSubmatch(body)
		if link == nil {
			t.Fatalf("no link to the complaint\n%s", text(body))
		}
		detail := link[1]
		res, body = head.get(detail)
		wantStatus(t, res, body, http.StatusOK)
		wantText(t, body, text1, "Nội dung trả lời", "Gửi trả lời")

		// A specialist of the ward reads it but cannot answer; the other
		// ward's head sees nothing.
		spec := app.signIn("chuyenvien")
		_, body = spec.get(detail)
		wantText(t, body, text1, "Chỉ lãnh đạo hoặc quản trị của cơ quan được trả lời")
		wantNoText(t, body, "Gửi trả lời")
		res, body = spec.post(detail+"/answer", url.Values{"answer": {"Tôi trả lời."}})
		wantStatus(t, res, body, http.StatusForbidden)
		other := app.signIn("lanhdao.tranphu")
		_, body = other.get("/desk/complaints?state=")
		wantNoText(t, body, x.Code)
		res, body = other.get(detail)
		wantStatus(t, res, body, http.StatusForbidden)
		wantNoText(t, body, text1)
		res, body = other.post(detail+"/answer", url.Values{"answer": {"Trả lời."}})
		wantStatus(t, res, body, http.StatusForbidden)
		res, body = citizen.get("/desk/complaints")
		wantStatus(t, res, body, http.StatusForbidden)

		// Past the deadline: overdue, for the ward and for the province.
		app.clock.Set(ratingICT(2026, 3, 24, 9, 0))
		_, body = head.get("/desk/complaints?state=overdue")
		wantText(t, body, x.Code, "Quá hạn trả lời")
		if !strings.Contains(body, `<span class="badge bad">Quá hạn trả lời</span>`) {
			t.Error("no overdue badge")
		}
		_, body = app.signIn("quansat").get("/desk/complaints?state=overdue")
		wantText(t, body, x.Code, "Ủy ban nhân dân phường Thành Sen", "Tất cả cơ quan")

		// The head answers, late.
		res, body = head.post(detail+"/answer", url.Values{"answer": {""}, "version": {"1"}})
		wantStatus(t, res, body, http.StatusUnprocessableEntity)
		wantText(t, body, "Hãy nhập nội dung trả lời.")
		const answer = "Kết quả đã có từ ngày 20/3, mời ông đến nhận tại bộ phận một cửa."
		res, body = head.post(detail+"/answer", url.Values{"answer": {answer}, "version": {"1"}})
		wantStatus(t, res, body, http.StatusOK)
		wantText(t, body, "Đã gửi trả lời tới người dân.", answer, "Đã trả lời quá hạn", "Đỗ Văn Chủ Tịch")
		res, body = head.post(detail+"/answer", url.Values{"answer": {"Lần nữa."}})
		wantStatus(t, res, body, http.StatusConflict)

		// The citizen reads the answer.
		_, body = citizen.get(page)
		wantText(t, body, "Trả lời của cơ quan", answer, "Đã trả lời quá hạn")

		// The officials' reads were audited.
		entries, err := app.log.List(context.Background(), app.sys, audit.Filter{Action: audit.ActionReadPersonal, ObjectType: "complaint"})
		if err != nil || len(entries) == 0 {
			t.Errorf("no audited read of the complaint: %v", err)
		}
	})
}

func TestSatisfactionPage(t *testing.T) {
	t.Parallel()
	eachEngine(t, func(t *testing.T, app *ratingApp) {
		for _, level := range []string{"5", "2"} {
			x := app.fileOnline("nguyenvanan")
			app.finish(x.Code)
			if _, err := app.svc.Rate(context.Background(), app.actor("nguyenvanan"), x.Code, rating.RateInput{Scores: levelsOf(app.ratingForm(level))}); err != nil {
				t.Fatal(err)
			}
		}
		head := app.signIn("lanhdao")
		res, body := head.get("/desk/satisfaction")
		wantStatus(t, res, body, http.StatusOK)
		wantText(t, body, "Mức độ hài lòng của người dân, doanh nghiệp", "Ủy ban nhân dân phường Thành Sen", "50,0 %", "Tổng cộng")
		if !strings.Contains(body, `value="2026-03-01"`) || !strings.Contains(body, `value="2026-03-02"`) {
			t.Error("the period is not this month to date")
		}
		res, body = head.get("/desk/satisfaction?from=2026-04-01&to=2026-04-30")
		wantStatus(t, res, body, http.StatusOK)
		wantText(t, body, "Chưa có đánh giá hay phản ánh nào")
		res, body = head.get("/desk/satisfaction?from=2026-03-31&to=2026-03-01")
		wantStatus(t, res, body, http.StatusUnprocessableEntity)
		wantText(t, body, "Ngày kết thúc phải không trước ngày bắt đầu.")
		res, body = app.signIn("nguyenvanan").get("/desk/satisfaction")
		wantStatus(t, res, body, http.StatusForbidden)
		head.get("/lang/en?next=/")
		_, body = head.get("/desk/satisfaction")
		wantText(t, body, "Satisfaction of citizens and businesses", "50.0%")
	})
}

func levelsOf(form url.Values) map[string]rating.Level {
	out := map[string]rating.Level{}
	for k := range form {
		out[k] = rating.Level(form.Get(k)[0] - '0')
	}
	return out
}

// TestRatingCatalog: every label the pages use is in the catalog in both
// languages, and the Vietnamese words of levels, states and kinds are the
// domain's own.
func TestRatingCatalog(t *testing.T) {
	t.Parallel()
	files, _ := fs.Glob(assets, "templates/rating*.html")
	if len(files) == 0 {
		t.Fatal("no templates")
	}
	keyPattern := regexp.MustCompile(`(?:\.T|tr [$.A-Za-z]+) "([^"]+)"`)
	for _, f := range files {
		b, err := fs.ReadFile(assets, f)
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range keyPattern.FindAllStringSubmatch(string(b), -1) {
			if translate("vi", m[1]) == m[1] || translate("en", m[1]) == m[1] {
				t.Errorf("%s: %q is not in the catalog", f, m[1])
			}
		}
	}
	src, err := os.ReadFile("rating.go")
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range regexp.MustCompile(`"((?:rating|complaint|dcomplaint|satisfaction)\.[a-z_.]+[a-z])"`).FindAllStringSubmatch(string(src), -1) {
		if translate("vi", m[1]) == m[1] || translate("en", m[1]) == m[1] {
			t.Errorf("rating.go: %q is not in the catalog", m[1])
		}
	}
	same := func(key, domain string) {
		t.Helper()
		if got := ratingMessages[key]; got[0] != domain || got[1] == "" {
			t.Errorf("%s: catalog %q, domain %q", key, got, domain)
		}
	}
	for _, l := range rating.Levels() {
		same("rating.level."+strconv.Itoa(int(l)), l.Label())
	}
	for _, s := range rating.States() {
		same("complaint.state."+string(s), s.Label())
	}
	for _, k := range rating.Kinds() {
		same("complaint.kind."+string(k), k.Label())
	}
	for _, st := range deskComplaintTabs() {
		key := "dcomplaint.tab.all"
		if st != "" {
			key = "dcomplaint.tab." + string(st)
		}
		if translate("vi", key) == key || translate("en", key) == key {
			t.Errorf("tab %q has no label", st)
		}
	}
	for k, v := range ratingMessages {
		if v[0] == "" || v[1] == "" {
			t.Errorf("%s lacks a language", k)
		}
		if _, dup := messages[k]; dup {
			t.Errorf("%s is also in the main catalog", k)
		}
	}
}
