package e2e

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/congso/congso/internal/actor"
	"github.com/congso/congso/internal/app"
	"github.com/congso/congso/internal/calendar"
	"github.com/congso/congso/internal/db"
	"github.com/congso/congso/internal/db/dbtest"
	"github.com/congso/congso/internal/identity"
)

// The officers' workspace runs on deadlines counted in working hours, so its
// tests need to say what time it is. deskPlatform is the platform of
// platform_test.go started with a clock the test sets (app.Config.Now), and
// with the app at hand for setup through its services.
//
// The clock is real time shifted by an offset: Set jumps to an instant and
// the clock runs on from there, so events keep distinct, ordered times and
// what the pages show does not depend on the day or hour the suite runs.

// testClock is the platform's settable clock.
type testClock struct {
	mu     sync.Mutex
	offset time.Duration
}

// Now is the platform's time.
func (c *testClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return time.Now().Add(c.offset).Round(0)
}

// Set moves the clock to at; it runs on from there.
func (c *testClock) Set(at time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.offset = time.Until(at)
}

// ict is an instant of Vietnam's time.
func ict(y int, m time.Month, d, h, min int) time.Time {
	return time.Date(y, m, d, h, min, 0, 0, calendar.Location())
}

// deskPlatform is congso running with a settable clock.
type deskPlatform struct {
	*platform
	app   *app.App
	clock *testClock
}

// eachEngineAt runs fn once per database engine, like eachEngine, on a
// platform whose clock starts at start.
func eachEngineAt(t *testing.T, start time.Time, fn func(t *testing.T, p *deskPlatform)) {
	t.Helper()
	for _, engine := range []db.Engine{db.SQLite, db.Postgres} {
		t.Run(string(engine), func(t *testing.T) {
			fn(t, startDeskPlatform(t, engine, start))
		})
	}
}

// startDeskPlatform is startPlatform with the clock set to start.
func startDeskPlatform(t *testing.T, engine db.Engine, start time.Time) *deskPlatform {
	t.Helper()
	env := map[string]string{
		"CONGSO_ADDR":     "127.0.0.1:0",
		"CONGSO_DATA_DIR": t.TempDir(),
		"CONGSO_DEMO":     "true",
	}
	if engine == db.Postgres {
		env["CONGSO_DATABASE_URL"] = dbtest.URL(t, db.Postgres) // skips when PostgreSQL is not configured
	}
	cfg, err := app.DefaultConfig(func(name string) string { return env[name] })
	if err != nil {
		t.Fatalf("config: %v", err)
	}
	clock := setTestClock(&cfg, start)
	a := runApp(t, engine, cfg)
	return &deskPlatform{platform: &platform{URL: "http://" + a.Addr(), engine: engine}, app: a, clock: clock}
}

// token issues a bearer token for an account, as its owner would on the
// account page; it does not expire.
func (p *deskPlatform) token(t *testing.T, username string) string {
	t.Helper()
	ctx := context.Background()
	u, err := p.app.Identity.UserByUsername(ctx, username)
	if err != nil {
		t.Fatalf("user %s: %v", username, err)
	}
	secret, _, err := p.app.Identity.CreateToken(ctx, actor.SystemActor("e2e"), u.ID, "Kiểm thử e2e", 0)
	if err != nil {
		t.Fatalf("token for %s: %v", username, err)
	}
	return secret
}

// addOfficial creates an official holding role in the agency with the given
// electronic identifier (the demo has nobody at the vertical agencies).
func (p *deskPlatform) addOfficial(t *testing.T, username, name, agencyCode string, role actor.Role) {
	t.Helper()
	ctx := context.Background()
	ag, err := p.app.Org.AgencyByCode(ctx, agencyCode)
	if err != nil {
		t.Fatalf("agency %s: %v", agencyCode, err)
	}
	sys := actor.SystemActor("e2e")
	err = p.app.DB.Tx(ctx, func(tx *db.Tx) error {
		u, err := p.app.Identity.CreateUser(ctx, tx, sys, identity.NewUser{Kind: actor.Official, Username: username, DisplayName: name,
			Password: demoPassword})
		if err != nil {
			return err
		}
		return p.app.Org.GrantTx(ctx, tx, sys, u.ID, ag.ID, role)
	})
	if err != nil {
		t.Fatalf("create %s at %s: %v", username, agencyCode, err)
	}
}

// procedureID is the identifier of a shipped procedure by its national code.
func (p *deskPlatform) procedureID(t *testing.T, code string) string {
	t.Helper()
	proc, err := p.app.Catalog.ByCode(context.Background(), actor.SystemActor("e2e"), code)
	if err != nil {
		t.Fatalf("procedure %s: %v", code, err)
	}
	return proc.ID
}

// apiCall calls the JSON API with a bearer token, as another system would,
// and decodes the answer.
func (p *deskPlatform) apiCall(t *testing.T, method, path, token string, in any) (int, map[string]any) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	var body io.Reader
	if in != nil {
		b, err := json.Marshal(in)
		if err != nil {
			t.Fatal(err)
		}
		body = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, method, p.URL+path, body)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+token)
	req.Header.Set("Accept", "application/json")
	if in != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, path, err)
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	if err != nil {
		t.Fatalf("%s %s: read body: %v", method, path, err)
	}
	var v map[string]any
	if err := json.Unmarshal(b, &v); err != nil {
		t.Fatalf("%s %s: status %d, body is not JSON: %v\n%s", method, path, res.StatusCode, err, b)
	}
	return res.StatusCode, v
}

// birthApplicant is the applicant of the birth registrations in these tests:
// the father, whose citizen ID number is valid (Hà Tĩnh, a man born in 2001).
var birthApplicant = struct{ Name, ID, Phone string }{"Lê Minh Châu", "042201007890", "0356789012"}

// birthForm is a complete e-form of "Đăng ký khai sinh" (1.001193), by field.
var birthForm = map[string]string{
	"ho_ten_nguoi_yeu_cau":       birthApplicant.Name,
	"so_dinh_danh_nguoi_yeu_cau": birthApplicant.ID,
	"quan_he":                    "Cha",
	"ho_ten_tre":                 "Lê Bảo Ngọc",
	"ngay_sinh":                  "2026-02-20",
	"gioi_tinh":                  "Nữ",
	"dan_toc":                    "Kinh",
	"noi_sinh":                   "Bệnh viện Đa khoa tỉnh Hà Tĩnh",
	"que_quan":                   "Xã Can Lộc, tỉnh Hà Tĩnh",
	"giay_chung_sinh":            "giay-chung-sinh.pdf",
}

// receiveBirth receives a birth registration at the counter of ward Thành
// Sen through the JSON API, with the receiving officer's token, and returns
// the dossier's code.
func (p *deskPlatform) receiveBirth(t *testing.T, token string) string {
	t.Helper()
	form := map[string][]string{}
	for k, v := range birthForm {
		form[k] = []string{v}
	}
	status, d := p.apiCall(t, http.MethodPost, "/api/v1/dossiers", token, map[string]any{
		"procedure_id": p.procedureID(t, "1.001193"), "channel": "counter",
		"applicant": map[string]any{"kind": "citizen", "name": birthApplicant.Name, "id_number": birthApplicant.ID, "phone": birthApplicant.Phone},
		"form":      form,
	})
	if status != http.StatusCreated {
		t.Fatalf("receive a birth registration through the API: status %d %v", status, d)
	}
	code, _ := d["code"].(string)
	if code == "" {
		t.Fatalf("the new dossier has no code: %v", d)
	}
	return code
}

// download fetches an address of the platform with the session of the tab,
// as the browser would when the official clicks the link.
func download(tb *tab, href string) (status int, contentType string, body []byte) {
	tb.t.Helper()
	session := tb.cookie("congso_session")
	if session == "" {
		tb.fatalf("the browser holds no session to download %s with", href)
	}
	return fetch(tb.t, tb.base+href, session)
}

// fetch gets an address, with a session cookie when session is set.
func fetch(t *testing.T, url, session string) (status int, contentType string, body []byte) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		t.Fatal(err)
	}
	if session != "" {
		req.AddCookie(&http.Cookie{Name: "congso_session", Value: session})
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("GET %s: %v", url, err)
	}
	defer res.Body.Close()
	body, err = io.ReadAll(res.Body)
	if err != nil {
		t.Fatalf("GET %s: read body: %v", url, err)
	}
	return res.StatusCode, res.Header.Get("Content-Type"), body
}

// downloadPDF fetches a printable form through the tab's session, checks
// that it is a PDF and returns its text (pdftotext), or "" when pdftotext is
// not installed.
func downloadPDF(tb *tab, href string) string {
	tb.t.Helper()
	status, ct, body := download(tb, href)
	if status != http.StatusOK {
		tb.fatalf("GET %s: status %d: %.300s", href, status, body)
	}
	if !strings.HasPrefix(ct, "application/pdf") || !bytes.HasPrefix(body, []byte("%PDF-")) {
		tb.fatalf("GET %s: %s starting with %q, want a PDF", href, ct, body[:min(len(body), 16)])
	}
	return pdfText(tb.t, body)
}

// pdfText extracts the text of a PDF with pdftotext; "" (and a note in the
// log) when pdftotext is missing: the PDF's content then goes unchecked.
func pdfText(t *testing.T, pdf []byte) string {
	t.Helper()
	exe, err := exec.LookPath("pdftotext")
	if err != nil {
		t.Log("pdftotext is not installed: the text of the PDF is not checked (apt-get install poppler-utils)")
		return ""
	}
	path := filepath.Join(t.TempDir(), "form.pdf")
	if err := os.WriteFile(path, pdf, 0o600); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	out, err := exec.CommandContext(ctx, exe, "-enc", "UTF-8", path, "-").Output()
	if err != nil {
		t.Fatalf("pdftotext: %v", err)
	}
	return string(out)
}

// wantPDFText fails unless the text (of a PDF, from pdfText) has each part;
// it checks nothing when the text could not be extracted.
func wantPDFText(t *testing.T, what, text string, parts ...string) {
	t.Helper()
	if text == "" {
		return
	}
	flat := strings.Join(strings.Fields(text), " ")
	for _, p := range parts {
		if !strings.Contains(flat, p) {
			t.Errorf("%s does not say %q; its text:\n%s", what, p, text)
		}
	}
}

// scanPDF writes a small valid one-page PDF, as a scanner would make, and
// returns its path.
func scanPDF(t *testing.T, name, text string) string {
	t.Helper()
	stream := fmt.Sprintf("BT /F1 16 Tf 72 760 Td (%s) Tj ET\n", text)
	objects := []string{
		"<< /Type /Catalog /Pages 2 0 R >>",
		"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
		"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R /Resources << /Font << /F1 5 0 R >> >> >>",
		fmt.Sprintf("<< /Length %d >>\nstream\n%sendstream", len(stream), stream),
		"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
	}
	var b bytes.Buffer
	b.WriteString("%PDF-1.4\n")
	offsets := make([]int, len(objects))
	for i, o := range objects {
		offsets[i] = b.Len()
		fmt.Fprintf(&b, "%d 0 obj\n%s\nendobj\n", i+1, o)
	}
	xref := b.Len()
	fmt.Fprintf(&b, "xref\n0 %d\n0000000000 65535 f \n", len(objects)+1)
	for _, off := range offsets {
		fmt.Fprintf(&b, "%010d 00000 n \n", off)
	}
	fmt.Fprintf(&b, "trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n", len(objects)+1, xref)
	path := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(path, b.Bytes(), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}
