package app_test

import (
	"bytes"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/congso/congso/internal/app"
	"github.com/congso/congso/internal/db"
)

// TestLGSPThroughThePlatform registers a provider and a consumer over the
// JSON API, calls the service through the gateway mounted in the platform,
// and checks the transaction log with the command line once the server is
// down.
func TestLGSPThroughThePlatform(t *testing.T) {
	each(t, func(t *testing.T, engine db.Engine) {
		upstream := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "application/json")
			fmt.Fprintf(w, `{"path":%q,"consumer":%q}`, r.URL.Path, r.Header.Get("X-LGSP-Consumer"))
		}))
		defer upstream.Close()
		s := start(t, engine)
		admin, stpAdmin := s.token("admin"), s.token("quantri.stp")
		created := func(token, path, body string) string {
			t.Helper()
			res := s.do("POST", path, token, "application/json", body)
			if res.Status != http.StatusCreated && res.Status != http.StatusOK {
				t.Fatalf("POST %s: %d %s", path, res.Status, res.Body)
			}
			var out struct {
				ID     string `json:"id"`
				Header string `json:"header"`
			}
			res.json(t, &out)
			if out.Header != "" {
				return out.Header
			}
			return out.ID
		}
		provider := created(stpAdmin, "/api/v1/exchange/systems", fmt.Sprintf(`{"agency_id":%q,"code":"hotich","name":"Hệ thống hộ tịch"}`, s.agencyID("000.00.05.H25")))
		// An agency admin registers systems of their own agency only.
		if res := s.do("POST", "/api/v1/exchange/systems", stpAdmin, "application/json",
			fmt.Sprintf(`{"agency_id":%q,"code":"motcua","name":"Một cửa"}`, s.agencyID("000.00.01.H25"))); res.Status != http.StatusForbidden {
			t.Fatalf("agency admin registering another agency's system: %d %s", res.Status, res.Body)
		}
		consumer := created(admin, "/api/v1/exchange/systems", fmt.Sprintf(`{"agency_id":%q,"code":"motcua","name":"Hệ thống một cửa"}`, s.agencyID("000.00.01.H25")))
		service := created(stpAdmin, "/api/v1/exchange/systems/"+provider+"/services",
			fmt.Sprintf(`{"code":"tra-cuu","name":"Tra cứu hộ tịch","upstream_url":%q,"log_mode":"strict"}`, upstream.URL))
		access := created(admin, "/api/v1/exchange/access", fmt.Sprintf(`{"consumer_id":%q,"service_id":%q,"purpose":"Giải quyết thủ tục"}`, consumer, service))
		key := created(admin, "/api/v1/exchange/systems/"+consumer+"/keys", `{"name":"máy chủ một cửa"}`)

		call := func(header string) response {
			t.Helper()
			return s.do("GET", "/lgsp/hotich/tra-cuu/records/7", "", "", "", "X-LGSP-Key", header)
		}
		if res := call(key); res.Status != http.StatusForbidden || !strings.Contains(res.Body, `"code"`) {
			t.Fatalf("call before approval: %d %s", res.Status, res.Body)
		}
		created(stpAdmin, "/api/v1/exchange/access/"+access+"/approve", `{}`)
		res := call(key)
		if res.Status != http.StatusOK || !strings.Contains(res.Body, `"path":"/records/7"`) || !strings.Contains(res.Body, `"consumer":"motcua"`) {
			t.Fatalf("call through the gateway: %d %s", res.Status, res.Body)
		}
		if res := call(key + "x"); res.Status != http.StatusUnauthorized {
			t.Fatalf("wrong secret: %d %s", res.Status, res.Body)
		}
		// The platform's own session authentication does not stand in the way
		// of LGSP credentials, nor do platform tokens open the gateway.
		if res := s.do("GET", "/lgsp/hotich/tra-cuu/records/7", admin, "", ""); res.Status != http.StatusUnauthorized {
			t.Fatalf("platform token at the gateway: %d %s", res.Status, res.Body)
		}
		// Path segments that may identify a person are not kept in the log.
		logged := s.do("GET", "/api/v1/exchange/log?service_id="+service, admin, "", "")
		if logged.Status != http.StatusOK || !strings.Contains(logged.Body, `"outcome":"forbidden"`) || !strings.Contains(logged.Body, `"outcome":"ok"`) ||
			strings.Contains(logged.Body, "/records/7") {
			t.Fatalf("log search: %d %s", logged.Status, logged.Body)
		}

		s.shutdown()
		if engine != db.SQLite {
			return
		}
		var out bytes.Buffer
		if code := app.Main([]string{"exchange", "verify-log", "--data", s.Data}, strings.NewReader(""), &out, io.Discard); code != 0 {
			t.Fatalf("verify-log exited %d: %s", code, out.String())
		}
		if !strings.Contains(out.String(), "toàn vẹn") {
			t.Fatalf("verify-log said %q", out.String())
		}
	})
}
