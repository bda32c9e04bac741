package catalog_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"regexp"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"

	"github.com/congso/congso/internal/actor"
	"github.com/congso/congso/internal/catalog"
	"github.com/congso/congso/internal/db"
	"github.com/congso/congso/internal/db/dbtest"
	"github.com/congso/congso/internal/httpx"
)

// apiServer serves the catalogue API; the X-Test-As header picks the
// caller among the fixture's actors (authentication is the web package's
// business and tested there).
func apiServer(t *testing.T, f *fixture) (*httptest.Server, []httpx.Route) {
	t.Helper()
	mux := http.NewServeMux()
	r := httpx.NewRouter(mux)
	catalog.API{Svc: f.svc, Log: slog.New(slog.NewTextHandler(io.Discard, nil))}.Register(r)
	as := map[string]*actor.Actor{"admin": f.admin, "stp-admin": f.stpAdmin, "specialist": f.specialist, "citizen": f.citizen}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		if a := as[req.Header.Get("X-Test-As")]; a != nil {
			req = req.WithContext(actor.With(req.Context(), a))
		}
		mux.ServeHTTP(w, req)
	}))
	t.Cleanup(srv.Close)
	return srv, r.Routes()
}

func TestAPIScenarios(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		f := newFixture(t, d, false)
		srv, _ := apiServer(t, f)
		p := f.create(sample("1.001193", "Đăng ký khai sinh"))
		off := f.create(sample("1.000002", "Thủ tục đã ngừng"))
		if _, err := f.svc.SetActive(context.Background(), f.admin, off.ID, false); err != nil {
			t.Fatal(err)
		}
		stp, stc := f.agencies["stp"].ID, f.agencies["stc"].ID
		spec, _ := json.Marshal(sample("1.000003", "Thủ tục mới"))
		badSteps := sample("1.000004", "Sai quy trình")
		badSteps.Steps[0].Budget.N = 3
		bad, _ := json.Marshal(badSteps)
		update := func(version int, name string) string {
			s := sample("1.001193", name)
			b, _ := json.Marshal(struct {
				catalog.Spec
				Version int    `json:"version"`
				ID      string `json:"id"`
			}{s, version, p.ID})
			return string(b)
		}
		cases := []struct {
			name, method, path, body, as, ctype string
			status                              int
			want                                string
		}{
			{"anonymous search", "GET", "/api/v1/procedures?q=DANG+KY+KHAI+SINH", "", "", "", 200, `"name":"Đăng ký khai sinh"`},
			{"search without diacritics", "GET", "/api/v1/procedures?q=dang%20ky", "", "", "", 200, `"code":"1.001193"`},
			{"inactive hidden from the public", "GET", "/api/v1/procedures?include_inactive=true", "", "citizen", "", 200, `"items":[{"id":"` + p.ID},
			{"inactive listed for officials", "GET", "/api/v1/procedures?include_inactive=true&q=ngung", "", "specialist", "", 200, `Thủ tục đã ngừng`},
			{"bad limit", "GET", "/api/v1/procedures?limit=0", "", "", "", 422, `"code":"invalid"`},
			{"bad cursor", "GET", "/api/v1/procedures?cursor=***", "", "", "", 422, `Con trỏ`},
			{"anonymous read", "GET", "/api/v1/procedures/" + p.ID, "", "", "", 200, `"time_limit":{"n":3,"unit":"working_days"}`},
			{"anonymous read of inactive", "GET", "/api/v1/procedures/" + off.ID, "", "", "", 404, `not_found`},
			{"missing", "GET", "/api/v1/procedures/nope", "", "admin", "", 404, `Không tìm thấy`},
			{"anonymous create", "POST", "/api/v1/procedures", string(spec), "", "application/json", 401, `unauthorized`},
			{"specialist create", "POST", "/api/v1/procedures", string(spec), "specialist", "application/json", 403, `forbidden`},
			{"admin create", "POST", "/api/v1/procedures", string(spec), "admin", "application/json", 201, `"version":1`},
			{"create with bad budgets", "POST", "/api/v1/procedures", string(bad), "admin", "application/json", 422, `"steps":"Tổng thời gian các bước (23 giờ làm việc)`},
			{"unknown field", "POST", "/api/v1/procedures", `{"name":"x","nam":"y"}`, "admin", "application/json", 422, `không được hỗ trợ`},
			{"update without version", "PUT", "/api/v1/procedures/" + p.ID, update(0, "X"), "admin", "application/json", 422, `"version"`},
			{"update", "PUT", "/api/v1/procedures/" + p.ID, update(1, "Đăng ký khai sinh (sửa)"), "admin", "application/json", 200, `"version":2`},
			{"stale update", "PUT", "/api/v1/procedures/" + p.ID, update(1, "Y"), "admin", "application/json", 409, `conflict`},
			{"specialist update", "PUT", "/api/v1/procedures/" + p.ID, update(2, "Y"), "specialist", "application/json", 403, `forbidden`},
			{"agency admin adds own agency", "PUT", "/api/v1/procedures/" + p.ID + "/agencies", `{"agency_ids":["` + stp + `"]}`, "stp-admin", "application/json", 200, `"agency_ids":["` + stp + `"]`},
			{"agency admin adds another", "PUT", "/api/v1/procedures/" + p.ID + "/agencies", `{"agency_ids":["` + stp + `","` + stc + `"]}`, "stp-admin", "application/json", 403, `chính cơ quan mình`},
			{"admin sets agencies", "PUT", "/api/v1/procedures/" + p.ID + "/agencies", `{"agency_ids":["` + stc + `"]}`, "admin", "application/json", 200, `"agency_ids":["` + stc + `"]`},
			{"agencies missing", "PUT", "/api/v1/procedures/" + p.ID + "/agencies", `{}`, "admin", "application/json", 422, `agency_ids`},
			{"filter by agency", "GET", "/api/v1/procedures?agency_id=" + stc, "", "", "", 200, `"name":"Đăng ký khai sinh (sửa)"`},
			{"specialist deactivates", "POST", "/api/v1/procedures/" + p.ID + "/deactivate", "", "specialist", "", 403, `forbidden`},
			{"deactivate", "POST", "/api/v1/procedures/" + p.ID + "/deactivate", "", "admin", "", 200, `"active":false`},
			{"activate", "POST", "/api/v1/procedures/" + p.ID + "/activate", "", "admin", "", 200, `"active":true`},
			{"export json", "GET", "/api/v1/procedures/export.json", "", "", "", 200, `"name": "Đăng ký khai sinh (sửa)"`},
			{"export csv", "GET", "/api/v1/procedures/export.csv", "", "", "", 200, "ma_thu_tuc,ten_thu_tuc"},
			{"import needs a type", "POST", "/api/v1/procedures/import", "[]", "admin", "text/plain", 422, `Content-Type`},
			{"specialist import", "POST", "/api/v1/procedures/import", "[]", "specialist", "application/json", 403, `forbidden`},
			{"import json", "POST", "/api/v1/procedures/import", "[" + string(spec) + "]", "admin", "application/json", 200, `{"created":0,"updated":0,"unchanged":1}`},
			{"import bad json", "POST", "/api/v1/procedures/import", "[" + string(bad) + "]", "admin", "application/json; charset=utf-8", 422, `"mục 1: steps"`},
		}
		for _, c := range cases {
			req, _ := http.NewRequest(c.method, srv.URL+c.path, strings.NewReader(c.body))
			if c.ctype != "" {
				req.Header.Set("Content-Type", c.ctype)
			}
			if c.as != "" {
				req.Header.Set("X-Test-As", c.as)
			}
			res, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			body, _ := io.ReadAll(res.Body)
			res.Body.Close()
			if res.StatusCode != c.status || !strings.Contains(string(body), c.want) {
				t.Errorf("%s: %s %s → %d, want %d with %q\n%s", c.name, c.method, c.path, res.StatusCode, c.status, c.want, body)
			}
		}
	})
}

func TestAPIPagesWithCursor(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		f := newFixture(t, d, false)
		srv, _ := apiServer(t, f)
		for i := range 7 {
			f.create(sample(fmt.Sprintf("1.00000%d", i), fmt.Sprintf("Thủ tục số %d", i)))
		}
		var seen []string
		next := ""
		for range 5 {
			res, err := http.Get(srv.URL + "/api/v1/procedures?limit=3&cursor=" + next)
			if err != nil {
				t.Fatal(err)
			}
			var page httpx.Page[catalog.Summary]
			if err := json.NewDecoder(res.Body).Decode(&page); err != nil {
				t.Fatal(err)
			}
			res.Body.Close()
			seen = append(seen, names(page.Items)...)
			if next = page.NextCursor; next == "" {
				break
			}
		}
		if len(seen) != 7 || seen[0] != "Thủ tục số 0" || seen[6] != "Thủ tục số 6" {
			t.Errorf("pages gave %v", seen)
		}
	})
}

// TestOpenAPIFragmentDocumentsEveryRoute holds openapi.yaml to the routes,
// and checks that its references resolve in the fragment or in the app's
// document it is merged into.
func TestOpenAPIFragmentDocumentsEveryRoute(t *testing.T) {
	f := newFixture(t, dbtest.Open(t, db.SQLite), false)
	_, routes := apiServer(t, f)
	raw, err := os.ReadFile("openapi.yaml")
	if err != nil {
		t.Fatal(err)
	}
	var doc struct {
		Paths      map[string]map[string]any `yaml:"paths"`
		Components map[string]map[string]any `yaml:"components"`
	}
	if err := yaml.Unmarshal(raw, &doc); err != nil {
		t.Fatalf("openapi.yaml is not YAML: %v", err)
	}
	documented := map[string]bool{}
	for path, ops := range doc.Paths {
		for method := range ops {
			documented[strings.ToUpper(method)+" "+path] = true
		}
	}
	served := map[string]bool{}
	for _, r := range routes {
		served[r.Method+" "+r.Path] = true
		if !documented[r.Method+" "+r.Path] {
			t.Errorf("route %s %s is not in openapi.yaml", r.Method, r.Path)
		}
	}
	for op := range documented {
		if !served[op] {
			t.Errorf("openapi.yaml describes %s, which no route serves", op)
		}
	}
	appDoc, err := os.ReadFile("../app/openapi.yaml")
	if err != nil {
		t.Fatal(err)
	}
	var app struct {
		Components map[string]map[string]any `yaml:"components"`
	}
	if err := yaml.Unmarshal(appDoc, &app); err != nil {
		t.Fatal(err)
	}
	for _, m := range regexp.MustCompile(`#/components/(\w+)/(\w+)`).FindAllStringSubmatch(string(raw), -1) {
		if _, ok := doc.Components[m[1]][m[2]]; ok {
			continue
		}
		if _, ok := app.Components[m[1]][m[2]]; !ok {
			t.Errorf("reference %s resolves nowhere", m[0])
		}
	}
	for kind, items := range doc.Components {
		for name := range items {
			if _, clash := app.Components[kind][name]; clash {
				t.Errorf("component %s/%s would overwrite the app's", kind, name)
			}
		}
	}
}
