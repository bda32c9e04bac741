package estore_test

import (
	"bytes"
	"encoding/json"
	"io"
	"log/slog"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"

	"github.com/congso/congso/internal/actor"
	"github.com/congso/congso/internal/db"
	"github.com/congso/congso/internal/db/dbtest"
	"github.com/congso/congso/internal/dossier"
	"github.com/congso/congso/internal/estore"
	"github.com/congso/congso/internal/httpx"
)

// apiServer serves the store's API; the caller is named by a test header
// (the app's real authentication is tested with the app).
func apiServer(t *testing.T, f *fixture) (*httptest.Server, *httpx.Router) {
	t.Helper()
	mux := http.NewServeMux()
	router := httpx.NewRouter(mux)
	estore.API{Svc: f.store, Log: slog.New(slog.NewTextHandler(io.Discard, nil))}.Register(router)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if who := r.Header.Get("X-Test-Actor"); who != "" {
			r = r.WithContext(actor.With(r.Context(), f.actors[who]))
		}
		mux.ServeHTTP(w, r)
	}))
	t.Cleanup(srv.Close)
	return srv, router
}

type apiResult struct {
	status int
	header http.Header
	body   string
}

func call(t *testing.T, srv *httptest.Server, method, path, who, contentType string, body []byte) apiResult {
	t.Helper()
	req, err := http.NewRequest(method, srv.URL+path, bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	if who != "" {
		req.Header.Set("X-Test-Actor", who)
	}
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	data, _ := io.ReadAll(res.Body)
	return apiResult{status: res.StatusCode, header: res.Header, body: string(data)}
}

func multipartBody(t *testing.T, fields map[string]string, name string, content []byte) (string, []byte) {
	t.Helper()
	var buf bytes.Buffer
	mw := multipart.NewWriter(&buf)
	for k, v := range fields {
		mw.WriteField(k, v)
	}
	if name != "" {
		fw, _ := mw.CreateFormFile("file", name)
		fw.Write(content)
	}
	mw.Close()
	return mw.FormDataContentType(), buf.Bytes()
}

func TestAPI(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		f := setup(t, d)
		srv, _ := apiServer(t, f)
		x := f.mustFile("an")
		f.attach("an", x.Code, dossier.KindAttachment, "Giấy chứng sinh", "cs.pdf", pdf("cs"))
		f.act("tiepnhan", x.Code, dossier.ActAccept)
		comp := f.byKind("an", estore.KindComponent)[0]

		// Upload through the API.
		ct, body := multipartBody(t, map[string]string{"document": "Căn cước công dân", "issuer": "Cục Cảnh sát QLHC về TTXH",
			"issued_on": "2021-05-04", "valid_until": "2036-05-04"}, "C:\\fakepath\\cccd.PNG", photoWithGPS(t, 30, 20))
		res := call(t, srv, "POST", "/api/v1/estore/items", "an", ct, body)
		if res.status != http.StatusCreated {
			t.Fatalf("upload: %d %s", res.status, res.body)
		}
		var up estore.Item
		json.Unmarshal([]byte(res.body), &up)
		if up.FileName != "cccd.jpg" || up.Kind != estore.KindUpload || up.IssuedOn.String() != "2021-05-04" || up.Validity != estore.Valid ||
			res.header.Get("Location") != "/api/v1/estore/items/"+up.ID {
			t.Errorf("uploaded: %+v %s", up, res.header.Get("Location"))
		}

		patch := func(s string) []byte { return []byte(s) }
		cases := []struct {
			name, method, path, who, ct string
			body                        []byte
			status                      int
			want                        []string
		}{
			{"list own", "GET", "/api/v1/estore/items", "an", "", nil, 200, []string{`"Căn cước công dân"`, `"Giấy chứng sinh"`, `"validity":"valid"`}},
			{"list search", "GET", "/api/v1/estore/items?q=can+cuoc&kind=upload", "an", "", nil, 200, []string{`"Căn cước công dân"`}},
			{"list paged", "GET", "/api/v1/estore/items?limit=1", "an", "", nil, 200, []string{`"next_cursor"`}},
			{"list bad kind", "GET", "/api/v1/estore/items?kind=secret", "an", "", nil, 422, []string{`"kind"`}},
			{"list anonymous", "GET", "/api/v1/estore/items", "", "", nil, 401, nil},
			{"list official", "GET", "/api/v1/estore/items", "tiepnhan", "", nil, 403, []string{"công dân và tổ chức"}},
			{"get own", "GET", "/api/v1/estore/items/" + up.ID, "an", "", nil, 200, []string{`"uses":[]`}},
			{"get by other citizen", "GET", "/api/v1/estore/items/" + up.ID, "binh", "", nil, 404, nil},
			{"get component by its official", "GET", "/api/v1/estore/items/" + comp.ID, "chuyenvien", "", nil, 200, []string{`"dossier_code":"` + x.Code + `"`}},
			{"get component by another ward", "GET", "/api/v1/estore/items/" + comp.ID, "khac", "", nil, 403, nil},
			{"get unknown", "GET", "/api/v1/estore/items/nope", "an", "", nil, 404, nil},
			{"file of an official's dossier", "GET", "/api/v1/estore/items/" + comp.ID + "/file", "tiepnhan", "", nil, 200, []string{"%PDF-"}},
			{"file by another ward", "GET", "/api/v1/estore/items/" + comp.ID + "/file", "khac", "", nil, 403, nil},
			{"patch", "PATCH", "/api/v1/estore/items/" + up.ID, "an", "application/json", patch(`{"document":"CCCD gắn chip"}`), 200, []string{`"document":"CCCD gắn chip"`, `"version":2`}},
			{"patch stale", "PATCH", "/api/v1/estore/items/" + up.ID, "an", "application/json", patch(`{"document":"x","version":1}`), 409, nil},
			{"patch bad date", "PATCH", "/api/v1/estore/items/" + up.ID, "an", "application/json", patch(`{"valid_until":"04/05/2036"}`), 422, []string{`"valid_until"`}},
			{"patch unknown field", "PATCH", "/api/v1/estore/items/" + up.ID, "an", "application/json", patch(`{"owner_id":"x"}`), 422, nil},
			{"patch by other", "PATCH", "/api/v1/estore/items/" + up.ID, "binh", "application/json", patch(`{"document":"x"}`), 404, nil},
			{"share too long", "POST", "/api/v1/estore/items/" + up.ID + "/shares", "an", "application/json", patch(`{"days":45}`), 422, []string{`"days"`}},
			{"share by official", "POST", "/api/v1/estore/items/" + comp.ID + "/shares", "tiepnhan", "application/json", patch(`{"days":1}`), 403, nil},
			{"shared bad token", "GET", "/api/v1/estore/shared/abc", "", "", nil, 404, []string{"không còn hiệu lực"}},
			{"upload not a document", "POST", "/api/v1/estore/items", "an", "text/plain", []byte("hello"), 422, []string{`"file"`}},
			{"delete by other", "DELETE", "/api/v1/estore/items/" + up.ID, "binh", "", nil, 404, nil},
		}
		for _, c := range cases {
			res := call(t, srv, c.method, c.path, c.who, c.ct, c.body)
			if res.status != c.status {
				t.Errorf("%s: %s %s as %q = %d, want %d\n%s", c.name, c.method, c.path, c.who, res.status, c.status, res.body)
				continue
			}
			for _, w := range c.want {
				if !strings.Contains(res.body, w) {
					t.Errorf("%s: body lacks %s\n%s", c.name, w, res.body)
				}
			}
			if c.status >= 400 && !strings.Contains(res.body, `"error":{"code":`) {
				t.Errorf("%s: not the error envelope: %s", c.name, res.body)
			}
		}

		// The download is an attachment that no browser renders in the site's origin.
		res = call(t, srv, "GET", "/api/v1/estore/items/"+up.ID+"/file", "an", "", nil)
		if res.status != 200 || res.header.Get("Content-Type") != "image/jpeg" || !strings.HasPrefix(res.header.Get("Content-Disposition"), "attachment") ||
			res.header.Get("X-Content-Type-Options") != "nosniff" || !strings.Contains(res.header.Get("Content-Security-Policy"), "sandbox") ||
			strings.Contains(res.body, string(gpsMarker)) {
			t.Errorf("download: %d %v", res.status, res.header)
		}

		// Share, download through the link without signing in, revoke.
		res = call(t, srv, "POST", "/api/v1/estore/items/"+up.ID+"/shares", "an", "application/json", []byte(`{"days":3,"label":"Ngân hàng"}`))
		if res.status != http.StatusCreated {
			t.Fatalf("share: %d %s", res.status, res.body)
		}
		var ns estore.NewShare
		json.Unmarshal([]byte(res.body), &ns)
		if !regexp.MustCompile(`^https://dichvucong\.hatinh\.example/api/v1/estore/shared/[A-Za-z0-9_-]{43}$`).MatchString(ns.URL) {
			t.Errorf("share URL %q", ns.URL)
		}
		path := strings.TrimPrefix(ns.URL, "https://dichvucong.hatinh.example")
		res = call(t, srv, "GET", path, "", "", nil)
		if res.status != 200 || res.header.Get("Content-Type") != "image/jpeg" || res.header.Get("Referrer-Policy") != "no-referrer" {
			t.Errorf("shared download: %d %v", res.status, res.header)
		}
		res = call(t, srv, "POST", "/api/v1/estore/items/"+up.ID+"/shares/"+ns.Share.ID+"/revoke", "an", "", nil)
		if res.status != 200 || !strings.Contains(res.body, `"active":false`) {
			t.Errorf("revoke: %d %s", res.status, res.body)
		}
		if res = call(t, srv, "GET", path, "", "", nil); res.status != 404 {
			t.Errorf("revoked link answers %d", res.status)
		}
		if res = call(t, srv, "DELETE", "/api/v1/estore/items/"+up.ID, "an", "", nil); res.status != http.StatusNoContent {
			t.Errorf("delete: %d %s", res.status, res.body)
		}
		if res = call(t, srv, "GET", "/api/v1/estore/items/"+up.ID, "an", "", nil); res.status != 404 {
			t.Errorf("get after delete: %d", res.status)
		}
	})
}

// TestOpenAPIFragment: every route the API registers is described, nothing
// else is, and every reference resolves in the fragment or among the shared
// components of the served document.
func TestOpenAPIFragment(t *testing.T) {
	var doc struct {
		Paths      map[string]map[string]any `yaml:"paths"`
		Components map[string]map[string]any `yaml:"components"`
	}
	if err := yaml.Unmarshal(estore.OpenAPI, &doc); err != nil {
		t.Fatalf("the fragment is not YAML: %v", err)
	}
	router := httpx.NewRouter(http.NewServeMux())
	estore.API{}.Register(router)
	served := map[string]bool{}
	for _, r := range router.Routes() {
		served[r.Method+" "+r.Path] = true
	}
	documented := map[string]bool{}
	for p, ops := range doc.Paths {
		for m := range ops {
			documented[strings.ToUpper(m)+" "+p] = true
		}
	}
	for r := range served {
		if !documented[r] {
			t.Errorf("route %s is not documented", r)
		}
	}
	for r := range documented {
		if !served[r] {
			t.Errorf("%s is documented but not served", r)
		}
	}
	shared := map[string]bool{"#/components/responses/Error": true, "#/components/parameters/ID": true,
		"#/components/parameters/Cursor": true, "#/components/parameters/Limit": true}
	for _, m := range regexp.MustCompile(`\$ref: "([^"]+)"`).FindAllStringSubmatch(string(estore.OpenAPI), -1) {
		ref := m[1]
		parts := strings.Split(strings.TrimPrefix(ref, "#/components/"), "/")
		if shared[ref] {
			continue
		}
		if len(parts) != 2 || doc.Components[parts[0]][parts[1]] == nil {
			t.Errorf("reference %s does not resolve", ref)
		}
	}
	if len(served) != 9 {
		t.Errorf("%d routes", len(served))
	}
}
