package app_test

import (
	"context"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"

	"github.com/congso/congso/internal/app"
	"github.com/congso/congso/internal/db"
)

const (
	codeSTP      = "000.00.05.H25" // Sở Tư pháp
	codeSXD      = "000.00.06.H25" // Sở Xây dựng
	codeThanhSen = "000.00.21.H25" // UBND phường Thành Sen
)

func TestOpenAPIDocumentMatchesRoutes(t *testing.T) {
	s := start(t, db.SQLite)
	res := s.do("GET", "/api/openapi.yaml", "", "", "")
	if res.Status != http.StatusOK {
		t.Fatalf("GET /api/openapi.yaml: %d", res.Status)
	}
	var doc struct {
		OpenAPI string                    `yaml:"openapi"`
		Paths   map[string]map[string]any `yaml:"paths"`
	}
	if err := yaml.Unmarshal([]byte(res.Body), &doc); err != nil {
		t.Fatalf("the document is not YAML: %v", err)
	}
	if !strings.HasPrefix(doc.OpenAPI, "3.1") {
		t.Errorf("openapi = %q, want 3.1.x", doc.OpenAPI)
	}
	documented := map[string]bool{}
	for path, ops := range doc.Paths {
		for method := range ops {
			if method == "parameters" || method == "summary" || method == "description" {
				continue
			}
			documented[strings.ToUpper(method)+" "+path] = true
		}
	}
	served := map[string]bool{}
	for _, r := range s.App.APIRoutes() {
		served[r.Method+" "+r.Path] = true
		if !documented[r.Method+" "+r.Path] {
			t.Errorf("route %s %s is not in the OpenAPI document", r.Method, r.Path)
		}
	}
	for op := range documented {
		if !served[op] {
			t.Errorf("the OpenAPI document describes %s, which no route serves", op)
		}
	}
	if len(served) < 20 {
		t.Errorf("only %d API routes registered", len(served))
	}
	// Every reference points at something the document defines.
	var whole map[string]any
	if err := yaml.Unmarshal([]byte(res.Body), &whole); err != nil {
		t.Fatal(err)
	}
	var walk func(v any)
	walk = func(v any) {
		switch x := v.(type) {
		case map[string]any:
			if ref, ok := x["$ref"].(string); ok {
				var node any = whole
				for _, part := range strings.Split(strings.TrimPrefix(ref, "#/"), "/") {
					m, _ := node.(map[string]any)
					node = m[part]
				}
				if node == nil {
					t.Errorf("dangling reference %s", ref)
				}
			}
			for _, e := range x {
				walk(e)
			}
		case []any:
			for _, e := range x {
				walk(e)
			}
		}
	}
	walk(whole)
}

func TestOperationsEndpoints(t *testing.T) {
	each(t, func(t *testing.T, engine db.Engine) {
		s := start(t, engine)
		for _, c := range []struct{ path, want string }{
			{"/healthz", "ok"},
			{"/readyz", "ready"},
			{"/metrics", "congso_http_requests_total"},
		} {
			res := s.do("GET", c.path, "", "", "")
			if res.Status != http.StatusOK || !strings.Contains(res.Body, c.want) {
				t.Errorf("GET %s: %d %q", c.path, res.Status, truncate(res.Body))
			}
		}
		// The metrics carry route patterns, never concrete paths.
		s.do("GET", "/api/v1/units/42@2025-07-01", "", "", "")
		m := s.do("GET", "/metrics", "", "", "").Body
		if !strings.Contains(m, `route="GET /api/v1/units/{id}"`) || strings.Contains(m, "42@2025") {
			t.Error("metrics should label requests by route pattern only")
		}
	})
}

func TestHomePageIsVietnamese(t *testing.T) {
	s := start(t, db.SQLite)
	res := s.do("GET", "/", "", "", "")
	if res.Status != http.StatusOK || !strings.Contains(res.Body, `<html lang="vi">`) || !strings.Contains(res.Body, "Chào mừng đến Cổng số") {
		t.Fatalf("home page: %d\n%s", res.Status, truncate(res.Body))
	}
	for _, h := range []string{"X-Content-Type-Options", "Content-Security-Policy", "X-Frame-Options", "X-Request-ID"} {
		if res.Header.Get(h) == "" {
			t.Errorf("missing header %s", h)
		}
	}
}

// TestAgencyIsolation: an official of agency A can neither read nor change
// agency B's data, through the API and the pages; province-wide observers read
// everything and change nothing.
func TestAgencyIsolation(t *testing.T) {
	each(t, func(t *testing.T, engine db.Engine) {
		s := start(t, engine)
		stp, sxd, thanhsen := s.agencyID(codeSTP), s.agencyID(codeSXD), s.agencyID(codeThanhSen)
		tokens := map[string]string{}
		for _, u := range []string{"quantri.stp", "tiepnhan.thanhsen", "quansat", "admin", "chuyenvien.stp"} {
			tokens[u] = s.token(u)
		}
		edit := func(id, name string) string {
			var a struct {
				Version int    `json:"version"`
				Code    string `json:"code"`
				Kind    string `json:"kind"`
				Parent  string `json:"parent_id"`
			}
			s.do("GET", "/api/v1/agencies/"+id, "", "", "").json(t, &a)
			return fmt.Sprintf(`{"code":%q,"name":%q,"kind":%q,"parent_id":%q,"phone":"02393999999","version":%d}`, a.Code, name, a.Kind, a.Parent, a.Version)
		}
		cases := []struct {
			name, method, path, who, body string
			status                        int
			contains                      string
		}{
			{"admin of STP reads STP staff", "GET", "/api/v1/agencies/" + stp + "/staff", "quantri.stp", "", 200, "chuyenvien.stp"},
			{"admin of STP cannot read SXD staff", "GET", "/api/v1/agencies/" + sxd + "/staff", "quantri.stp", "", 403, "không có quyền"},
			{"commune receiver cannot read STP staff", "GET", "/api/v1/agencies/" + stp + "/staff", "tiepnhan.thanhsen", "", 403, ""},
			{"commune receiver reads own staff", "GET", "/api/v1/agencies/" + thanhsen + "/staff", "tiepnhan.thanhsen", "", 200, "tiepnhan.thanhsen"},
			{"observer reads any staff", "GET", "/api/v1/agencies/" + sxd + "/staff", "quansat", "", 200, "items"},
			{"anonymous cannot read staff", "GET", "/api/v1/agencies/" + stp + "/staff", "", "", 401, "đăng nhập"},
			{"admin of STP cannot edit SXD", "PUT", "/api/v1/agencies/" + sxd, "quantri.stp", edit(sxd, "Sở bị sửa trái phép"), 403, ""},
			{"specialist cannot edit own agency", "PUT", "/api/v1/agencies/" + stp, "chuyenvien.stp", edit(stp, "Sở bị sửa trái phép"), 403, ""},
			{"observer cannot edit", "PUT", "/api/v1/agencies/" + sxd, "quansat", edit(sxd, "Sở bị sửa trái phép"), 403, ""},
			{"admin of STP edits STP", "PUT", "/api/v1/agencies/" + stp, "quantri.stp", edit(stp, "Sở Tư pháp tỉnh Hà Tĩnh"), 200, "Sở Tư pháp tỉnh Hà Tĩnh"},
			{"observer cannot create agencies", "POST", "/api/v1/agencies", "quansat", `{"code":"000.00.30.H25","name":"Sở mới","kind":"department"}`, 403, ""},
			{"admin of STP cannot grant roles in SXD", "POST", "/api/v1/users/{chuyenvien.stp}/roles", "quantri.stp", `{"agency_id":"` + sxd + `","role":"head"}`, 403, ""},
			{"admin of STP cannot grant province roles", "POST", "/api/v1/users/{chuyenvien.stp}/roles", "quantri.stp", `{"role":"observer"}`, 403, ""},
			{"admin of STP grants in STP", "POST", "/api/v1/users/{chuyenvien.stp}/roles", "quantri.stp", `{"agency_id":"` + stp + `","role":"clerk"}`, 200, "clerk"},
			{"commune receiver cannot read audit of others", "GET", "/api/v1/audit?object_id=" + sxd, "tiepnhan.thanhsen", "", 200, `"items":[]`},
			{"observer reads the audit log", "GET", "/api/v1/audit?object_id=" + stp, "quansat", "", 200, "agency.update"},
		}
		cv, err := s.App.Identity.UserByUsername(context.Background(), "chuyenvien.stp")
		if err != nil {
			t.Fatal(err)
		}
		for _, c := range cases {
			t.Run(c.name, func(t *testing.T) {
				path := strings.ReplaceAll(c.path, "{chuyenvien.stp}", cv.ID)
				ct := ""
				if c.body != "" {
					ct = "application/json"
				}
				res := s.do(c.method, path, tokens[c.who], ct, c.body)
				if res.Status != c.status || !strings.Contains(res.Body, c.contains) {
					t.Fatalf("%s %s as %q: %d %s, want %d containing %q", c.method, path, c.who, res.Status, truncate(res.Body), c.status, c.contains)
				}
				if res.Status >= 400 && !strings.Contains(res.Body, `"error":{"code":`) {
					t.Fatalf("error is not in the JSON envelope: %s", res.Body)
				}
			})
		}
		// Nothing the refused calls tried was written.
		res := s.do("GET", "/api/v1/agencies/"+sxd, "", "", "")
		if strings.Contains(res.Body, "trái phép") {
			t.Fatal("a refused edit changed agency SXD")
		}
	})
}

func TestBadInputGetsJSONErrors(t *testing.T) {
	s := start(t, db.SQLite)
	admin := s.token("admin")
	cases := []struct {
		name, method, path, ct, body string
		status                       int
		code, contains               string
	}{
		{"malformed JSON", "POST", "/api/v1/agencies", "application/json", `{"code":`, 422, "invalid", "JSON"},
		{"unknown field", "POST", "/api/v1/agencies", "application/json", `{"code":"000.00.31.H25","bogus":1}`, 422, "invalid", "bogus"},
		{"wrong type", "POST", "/api/v1/agencies", "application/json", `{"code":5}`, 422, "invalid", "code"},
		{"not JSON", "POST", "/api/v1/agencies", "text/plain", `hello`, 422, "invalid", "JSON"},
		{"bad electronic identifier", "POST", "/api/v1/agencies", "application/json", `{"code":"00.00.00.H25","name":"Sở A","kind":"department"}`, 422, "invalid", "000.00.00.H00"},
		{"bad kind", "POST", "/api/v1/agencies", "application/json", `{"code":"000.00.31.H25","name":"Sở A","kind":"ministry"}`, 422, "invalid", "loại cơ quan"},
		{"duplicate identifier", "POST", "/api/v1/agencies", "application/json", `{"code":"` + codeSTP + `","name":"Sở A","kind":"department"}`, 422, "invalid", "đã được dùng"},
		{"unknown agency", "GET", "/api/v1/agencies/nope", "", "", 404, "not_found", "Không tìm thấy"},
		{"bad limit", "GET", "/api/v1/agencies?limit=0", "", "", 422, "invalid", "limit"},
		{"bad cursor", "GET", "/api/v1/agencies?cursor=!!!", "", "", 422, "invalid", "Con trỏ"},
		{"bad unit date", "GET", "/api/v1/units/42/children?date=2025-13-01", "", "", 422, "invalid", "Ngày"},
		{"unknown API", "GET", "/api/v1/nothing", "", "", 404, "not_found", ""},
		{"bad citizen ID", "POST", "/api/v1/users", "application/json", `{"kind":"citizen","username":"cd.test","display_name":"Lê Văn A","citizen_id":"12345","password":"matkhau12345"}`, 422, "invalid", "12 chữ số"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			res := s.do(c.method, c.path, admin, c.ct, c.body)
			var e struct {
				Error struct{ Code, Message string } `json:"error"`
			}
			res.json(t, &e)
			if res.Status != c.status || e.Error.Code != c.code || !strings.Contains(res.Body, c.contains) {
				t.Fatalf("%d %s, want %d %s containing %q", res.Status, res.Body, c.status, c.code, c.contains)
			}
		})
	}
	var n int
	if err := s.App.DB.QueryRow(context.Background(), "SELECT COUNT(*) FROM agencies WHERE code = '000.00.31.H25'").Scan(&n); err != nil || n != 0 {
		t.Fatalf("a refused request created an agency (%d, %v)", n, err)
	}
}

func TestCrossOriginPostsAreRefused(t *testing.T) {
	s := start(t, db.SQLite)
	admin := s.token("admin")
	body := `{"code":"000.00.32.H25","name":"Sở Thử","kind":"department"}`
	res := s.do("POST", "/api/v1/agencies", admin, "application/json", body, "Sec-Fetch-Site", "cross-site", "Origin", "https://evil.example")
	if res.Status != http.StatusForbidden || !strings.Contains(res.Body, "trang web khác") {
		t.Fatalf("cross-site POST: %d %s", res.Status, res.Body)
	}
	res = s.do("POST", "/api/v1/agencies", admin, "application/json", body, "Sec-Fetch-Site", "same-origin")
	if res.Status != http.StatusCreated {
		t.Fatalf("same-origin POST: %d %s", res.Status, res.Body)
	}
	// A form posted from another site cannot sign anyone out or in.
	res = s.do("POST", "/login", "", "application/x-www-form-urlencoded", "login=tiepnhan&password="+app.DemoPassword, "Sec-Fetch-Site", "cross-site")
	if res.Status != http.StatusForbidden {
		t.Fatalf("cross-site sign-in form: %d", res.Status)
	}
}

func TestSessionCookieFlags(t *testing.T) {
	s := start(t, db.SQLite, func(c *app.Config) { c.BaseURL = "https://dichvucong.example.gov.vn" })
	res := s.do("POST", "/login", "", "application/x-www-form-urlencoded", "login=tiepnhan&password="+app.DemoPassword)
	if res.Status != http.StatusSeeOther {
		t.Fatalf("sign-in: %d %s", res.Status, truncate(res.Body))
	}
	cookie := res.Header.Get("Set-Cookie")
	for _, want := range []string{"congso_session=", "HttpOnly", "SameSite=Lax", "Secure"} {
		if !strings.Contains(cookie, want) {
			t.Errorf("session cookie %q lacks %s", cookie, want)
		}
	}
}

func TestOfficialAndCitizenSignIn(t *testing.T) {
	each(t, func(t *testing.T, engine db.Engine) {
		s := start(t, engine)
		for _, c := range []struct{ login, name string }{
			{"tiepnhan", "Lê Thị Tiếp Nhận"},
			{"042090001234", "Nguyễn Văn An"},
			{"3001234567", "Công ty TNHH Thương mại Hồng Lĩnh"},
		} {
			b := s.browser()
			s.signIn(b, c.login)
			res := get(t, b, s.URL+"/account")
			if res.Status != http.StatusOK || !strings.Contains(res.Body, c.name) {
				t.Errorf("account page of %s: %d", c.login, res.Status)
			}
		}
		// Admins must set up a second factor before anything else.
		b := s.browser()
		res, err := b.PostForm(s.URL+"/login", map[string][]string{"login": {"admin"}, "password": {app.DemoPassword}})
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		if loc := res.Header.Get("Location"); !strings.HasPrefix(loc, "/login/enrol") {
			t.Fatalf("admin sign-in goes to %q, want the enrolment page", loc)
		}
		if r := get(t, b, s.URL+"/account"); r.Status != http.StatusSeeOther {
			t.Fatalf("an admin who has not enrolled reached the account page: %d", r.Status)
		}
	})
}

func truncate(s string) string {
	if len(s) > 400 {
		return s[:400] + "…"
	}
	return s
}

var _ = slices.Contains[[]string]

// TestPagingReturnsEverything walks each list API at its largest page size:
// every item comes back once, with a next cursor exactly while more remain.
func TestPagingReturnsEverything(t *testing.T) {
	s := start(t, db.SQLite)
	admin := s.token("admin")
	for i := 0; i < 205; i++ {
		res := s.do("POST", "/api/v1/users", admin, "application/json",
			fmt.Sprintf(`{"kind":"official","username":"cb.trang%03d","display_name":"Cán bộ %d","password":"matkhau12345"}`, i, i))
		if res.Status != http.StatusCreated {
			t.Fatalf("create: %d %s", res.Status, res.Body)
		}
	}
	for _, c := range []struct {
		path  string
		limit int
		least int
	}{
		{"/api/v1/users", 200, 205},
		{"/api/v1/audit", 500, 205},
		{"/api/v1/agencies", 500, 16},
	} {
		seen := map[string]bool{}
		cursor := ""
		for pages := 0; ; pages++ {
			path := fmt.Sprintf("%s?limit=%d", c.path, c.limit)
			if cursor != "" {
				path += "&cursor=" + cursor
			}
			var page struct {
				Items []struct {
					ID any `json:"id"`
				} `json:"items"`
				NextCursor string `json:"next_cursor"`
			}
			s.do("GET", path, admin, "", "").json(t, &page)
			if len(page.Items) > c.limit || (page.NextCursor != "" && len(page.Items) != c.limit) {
				t.Fatalf("%s: a page of %d items with next cursor %q", c.path, len(page.Items), page.NextCursor)
			}
			for _, it := range page.Items {
				key := fmt.Sprint(it.ID)
				if seen[key] {
					t.Fatalf("%s: %s listed twice", c.path, key)
				}
				seen[key] = true
			}
			if page.NextCursor == "" {
				break
			}
			cursor = page.NextCursor
		}
		if len(seen) < c.least {
			t.Errorf("%s: %d items listed, want at least %d", c.path, len(seen), c.least)
		}
	}
}
