package rating_test

import (
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"regexp"
	"slices"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"

	"github.com/congso/congso/internal/actor"
	"github.com/congso/congso/internal/db"
	"github.com/congso/congso/internal/db/dbtest"
	"github.com/congso/congso/internal/dossier"
	"github.com/congso/congso/internal/httpx"
	"github.com/congso/congso/internal/rating"
)

// TestOpenAPIFragmentMatchesRoutes: every route is described and every
// described operation is served.
func TestOpenAPIFragmentMatchesRoutes(t *testing.T) {
	router := httpx.NewRouter(http.NewServeMux())
	rating.API{}.Register(router)
	var doc struct {
		Paths map[string]map[string]any `yaml:"paths"`
	}
	if err := yaml.Unmarshal(rating.OpenAPI, &doc); err != nil {
		t.Fatal(err)
	}
	var described, served []string
	for path, ops := range doc.Paths {
		for method := range ops {
			described = append(described, strings.ToUpper(method)+" "+path)
		}
	}
	for _, r := range router.Routes() {
		served = append(served, r.Method+" "+r.Path)
	}
	slices.Sort(described)
	slices.Sort(served)
	if !slices.Equal(described, served) {
		t.Errorf("described %v\nserved    %v", described, served)
	}
}

// TestOpenAPIFragmentReferencesResolve: every $ref of the fragment names a
// component of the fragment, of the dossier fragment or of the base document
// it is merged into.
func TestOpenAPIFragmentReferencesResolve(t *testing.T) {
	base, err := os.ReadFile("../app/openapi.yaml")
	if err != nil {
		t.Fatal(err)
	}
	known := map[string]bool{}
	for _, src := range [][]byte{base, dossier.OpenAPI, rating.OpenAPI} {
		var doc struct {
			Components map[string]map[string]any `yaml:"components"`
		}
		if err := yaml.Unmarshal(src, &doc); err != nil {
			t.Fatal(err)
		}
		for kind, entries := range doc.Components {
			for name := range entries {
				known["#/components/"+kind+"/"+name] = true
			}
		}
	}
	refs := regexp.MustCompile(`\$ref: "([^"]+)"`).FindAllStringSubmatch(string(rating.OpenAPI), -1)
	if len(refs) == 0 {
		t.Fatal("no references found")
	}
	for _, m := range refs {
		if !known[m[1]] {
			t.Errorf("%s is not defined", m[1])
		}
	}
}

// TestAPI runs the JSON API's scenarios in order, each as a user.
func TestAPI(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		f := setup(t, d)
		x := f.finish(f.file("citizen", "ward"))
		mux := http.NewServeMux()
		rating.API{Svc: f.svc, Log: slog.New(slog.NewTextHandler(io.Discard, nil))}.Register(httpx.NewRouter(mux))
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if who := r.Header.Get("X-Test-As"); who != "" {
				r = r.WithContext(actor.With(r.Context(), f.actors[who]))
			}
			mux.ServeHTTP(w, r)
		}))
		defer srv.Close()
		call := func(as, method, path, body string) (int, map[string]any) {
			t.Helper()
			req, _ := http.NewRequest(method, srv.URL+path, strings.NewReader(body))
			if body != "" {
				req.Header.Set("Content-Type", "application/json")
			}
			if as != "" {
				req.Header.Set("X-Test-As", as)
			}
			res, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			defer res.Body.Close()
			var out map[string]any
			_ = json.NewDecoder(res.Body).Decode(&out)
			return res.StatusCode, out
		}
		scores := map[string]int{}
		for _, c := range f.svc.Criteria().Codes() {
			scores[c] = 5
		}
		scores["processing.on_time"] = 2
		rate, _ := json.Marshal(map[string]any{"scores": scores, "comment": "Trễ hẹn hai ngày."})

		var complaintID string
		steps := []struct {
			as, method, path, body string
			status                 int
			check                  func(map[string]any) string
		}{
			{"", "GET", "/api/v1/ratings/criteria", "", 200, func(m map[string]any) string {
				if len(m["stages"].([]any)) != 2 || len(m["levels"].([]any)) != 5 {
					return "two stages and five levels expected"
				}
				return ""
			}},
			{"", "POST", "/api/v1/dossiers/" + x.Code + "/rating", string(rate), 401, nil},
			{"citizen2", "POST", "/api/v1/dossiers/" + x.Code + "/rating", string(rate), 403, nil},
			{"citizen", "POST", "/api/v1/dossiers/" + x.Code + "/rating", `{"scores":{"receipt.attitude":5}}`, 422, nil},
			{"citizen", "POST", "/api/v1/dossiers/" + x.Code + "/rating", string(rate), 201, func(m map[string]any) string {
				if m["negative"] != true || m["satisfied"] != false {
					return "a rating with an on-time level of 2 is negative"
				}
				return ""
			}},
			{"citizen", "POST", "/api/v1/dossiers/" + x.Code + "/rating", string(rate), 409, nil},
			{"lanhdao", "GET", "/api/v1/dossiers/" + x.Code + "/rating", "", 200, func(m map[string]any) string {
				if m["comment"] != "Trễ hẹn hai ngày." {
					return "comment missing"
				}
				return ""
			}},
			{"lanhdao.khac", "GET", "/api/v1/dossiers/" + x.Code + "/rating", "", 403, nil},
			{"citizen", "POST", "/api/v1/dossiers/" + x.Code + "/complaints", `{"kind":"phan_anh","content":"Trả kết quả trễ hẹn."}`, 201,
				func(m map[string]any) string {
					complaintID, _ = m["id"].(string)
					if m["state"] != "open" || m["due_at"] == nil {
						return "a new complaint is open with a deadline"
					}
					return ""
				}},
			{"lanhdao", "GET", "/api/v1/complaints?state=unanswered", "", 200, func(m map[string]any) string {
				if len(m["items"].([]any)) != 1 {
					return "one unanswered complaint expected"
				}
				return ""
			}},
			{"lanhdao", "GET", "/api/v1/complaints?state=bogus", "", 422, nil},
			{"lanhdao.khac", "GET", "/api/v1/dossiers/" + x.Code + "/complaints", "", 200, func(m map[string]any) string {
				if len(m["items"].([]any)) != 0 {
					return "another agency sees the complaint"
				}
				return ""
			}},
			{"citizen", "GET", "/api/v1/dossiers/" + x.Code + "/complaints", "", 200, func(m map[string]any) string {
				if len(m["items"].([]any)) != 1 {
					return "the applicant does not see their complaint"
				}
				return ""
			}},
			{"chuyenvien", "POST", "/api/v1/complaints/{id}/answer", `{"answer":"Xin lỗi."}`, 403, nil},
			{"lanhdao", "POST", "/api/v1/complaints/{id}/answer", `{"answer":"Xin lỗi ông, đơn vị đã chấn chỉnh."}`, 200, func(m map[string]any) string {
				if m["state"] != "answered" {
					return "answered on time expected"
				}
				return ""
			}},
			{"citizen", "GET", "/api/v1/complaints/{id}", "", 200, func(m map[string]any) string {
				if m["answer"] != "Xin lỗi ông, đơn vị đã chấn chỉnh." {
					return "the citizen does not see the answer"
				}
				return ""
			}},
			{"lanhdao", "GET", "/api/v1/satisfaction?from=2026-03-01&to=2026-03-31", "", 200, func(m map[string]any) string {
				total := m["total"].(map[string]any)
				if total["ratings"] != 1.0 || total["negative"] != 1.0 || total["dossiers_with_issue"] != 1.0 ||
					total["complaints_on_time_share"] != 1.0 || total["satisfied_share"] != 0.0 {
					return "unexpected totals"
				}
				return ""
			}},
			{"lanhdao", "GET", "/api/v1/satisfaction?from=2026-03-31&to=2026-03-01", "", 422, nil},
			{"citizen", "GET", "/api/v1/satisfaction?from=2026-03-01&to=2026-03-31", "", 403, nil},
		}
		for _, s := range steps {
			path := strings.ReplaceAll(s.path, "{id}", complaintID)
			status, body := call(s.as, s.method, path, s.body)
			if status != s.status {
				t.Errorf("%s %s as %q: %d, want %d (%v)", s.method, s.path, s.as, status, s.status, body)
				continue
			}
			if s.check != nil {
				if msg := s.check(body); msg != "" {
					t.Errorf("%s %s as %q: %s: %v", s.method, s.path, s.as, msg, body)
				}
			}
		}
	})
}
