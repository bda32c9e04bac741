package app_test

import (
	"io"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/congso/congso/internal/db"
)

// TestAsyncAdminPagesThroughThePlatform: the async exchange's admin pages
// are wired in, show the platform's own feed, and refuse a cross-origin
// form.
func TestAsyncAdminPagesThroughThePlatform(t *testing.T) {
	s := start(t, db.SQLite)
	admin := s.browser() // a province observer: reads, does not decide
	s.signIn(admin, "quansat")
	res := get(t, admin, s.URL+"/admin/lgsp/topics")
	if res.Status != http.StatusOK || !strings.Contains(res.Body, "dossier.status") {
		t.Fatalf("topics: %d\n%s", res.Status, res.Body)
	}
	m := regexp.MustCompile(`href="(/admin/lgsp/topics/[A-Za-z0-9_-]+)"><code>dossier.status<`).FindStringSubmatch(res.Body)
	if m == nil {
		t.Fatalf("no link to the platform's feed:\n%s", res.Body)
	}
	if res = get(t, admin, s.URL+m[1]); res.Status != http.StatusOK || !strings.Contains(res.Body, "Nền tảng (chủ đề của tỉnh)") {
		t.Fatalf("topic: %d\n%s", res.Status, res.Body)
	}
	req, _ := http.NewRequest(http.MethodPost, s.URL+m[1]+"/replay", strings.NewReader(url.Values{"scope": {"all"}}.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Origin", "https://ke-gian.example")
	req.Header.Set("Sec-Fetch-Site", "cross-site")
	r, err := admin.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(r.Body)
	r.Body.Close()
	if r.StatusCode != http.StatusForbidden || !strings.Contains(string(b), "chống giả mạo yêu cầu") {
		t.Fatalf("a cross-origin replay: %d %s", r.StatusCode, b)
	}
	r, err = admin.PostForm(s.URL+m[1]+"/replay", url.Values{"scope": {"all"}})
	if err != nil {
		t.Fatal(err)
	}
	b, _ = io.ReadAll(r.Body)
	r.Body.Close()
	if res = (response{Status: r.StatusCode, Body: string(b)}); res.Status != http.StatusForbidden || !strings.Contains(res.Body, "Chỉ quản trị của cơ quan sở hữu chủ đề mới được gửi lại thư chết.") {
		t.Fatalf("an observer's replay: %d\n%s", res.Status, res.Body)
	}
}
