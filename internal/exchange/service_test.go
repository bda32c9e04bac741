package exchange_test

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/congso/congso/internal/actor"
	"github.com/congso/congso/internal/apperr"
	"github.com/congso/congso/internal/db"
	"github.com/congso/congso/internal/db/dbtest"
	"github.com/congso/congso/internal/exchange"
	"github.com/congso/congso/internal/httpx"
)

func wantCode(t *testing.T, err error, code apperr.Code, fragment string) {
	t.Helper()
	if apperr.CodeOf(err) != code || (err != nil && !strings.Contains(apperr.MessageOf(err)+" "+strings.Join(values(apperr.FieldsOf(err)), " "), fragment)) {
		t.Fatalf("got %v, want %s containing %q", err, code, fragment)
	}
}

func values(m map[string]string) []string {
	var out []string
	for _, v := range m {
		out = append(out, v)
	}
	return out
}

func TestRegistryRulesAndRoles(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		e := newEnv(t, d, envOpt{})
		ctx := e.ctx
		prov, cons := e.fx.ProviderAgencyID, e.fx.ConsumerAgencyID
		provAdmin := official("qt.stp", "agency_admin@"+prov)
		consAdmin := official("qt.vp", "agency_admin@"+cons)
		clerk := official("vt.stp", "clerk@"+prov)
		observer := official("td", "observer")

		// Systems: agency admins of the owner, with Vietnamese messages.
		_, err := e.svc.CreateSystem(ctx, consAdmin, exchange.SystemInput{AgencyID: prov, Code: "he-thong-moi", Name: "Mới"})
		wantCode(t, err, apperr.Forbidden, "cơ quan chủ quản")
		_, err = e.svc.CreateSystem(ctx, observer, exchange.SystemInput{AgencyID: prov, Code: "he-thong-moi", Name: "Mới"})
		wantCode(t, err, apperr.Forbidden, "")
		_, err = e.svc.CreateSystem(ctx, nil, exchange.SystemInput{AgencyID: prov, Code: "he-thong-moi", Name: "Mới"})
		wantCode(t, err, apperr.Unauthorized, "đăng nhập")
		_, err = e.svc.CreateSystem(ctx, provAdmin, exchange.SystemInput{AgencyID: prov, Code: "Hệ Thống", Name: ""})
		wantCode(t, err, apperr.Invalid, "Mã hệ thống gồm")
		_, err = e.svc.CreateSystem(ctx, provAdmin, exchange.SystemInput{AgencyID: prov, Code: "oauth", Name: "x"})
		wantCode(t, err, apperr.Invalid, "dành riêng")
		_, err = e.svc.CreateSystem(ctx, provAdmin, exchange.SystemInput{AgencyID: prov, Code: e.fx.Provider.Code, Name: "x"})
		wantCode(t, err, apperr.Invalid, "đã được dùng")
		sys, err := e.svc.CreateSystem(ctx, provAdmin, exchange.SystemInput{AgencyID: prov, Code: "cong-du-lieu", Name: "Cổng dữ liệu", ContactEmail: "A@B.VN"})
		if err != nil || sys.ContactEmail != "a@b.vn" {
			t.Fatalf("create: %+v, %v", sys, err)
		}
		_, err = e.svc.UpdateSystem(ctx, provAdmin, sys.ID, sys.Version+5, exchange.SystemInput{Name: "Cổng dữ liệu 2"})
		wantCode(t, err, apperr.Conflict, "người khác")
		if _, err := e.svc.Systems(ctx, observer, exchange.SystemFilter{Query: "cong du lieu"}); err != nil {
			t.Fatal(err)
		}

		// Services: the provider's admins; bad documents refused.
		in := exchange.ServiceInput{Code: "ho-tich", Name: "Hộ tịch", UpstreamURL: "ftp://x"}
		_, err = e.svc.CreateService(ctx, provAdmin, sys.ID, in)
		wantCode(t, err, apperr.Invalid, "http:// hoặc https://")
		in.UpstreamURL = "https://hotich.example.gov.vn/api/"
		_, err = e.svc.CreateService(ctx, clerk, sys.ID, in)
		wantCode(t, err, apperr.Forbidden, "cơ quan cung cấp")
		v, err := e.svc.CreateService(ctx, provAdmin, sys.ID, in)
		if err != nil || v.UpstreamURL != "https://hotich.example.gov.vn/api" || v.LogModeName != "strict" || v.DefaultRatePerMinute != 600 {
			t.Fatalf("service: %+v, %v", v, err)
		}
		if seen, _ := e.svc.RESTService(ctx, consAdmin, v.ID); seen.UpstreamURL != "" {
			t.Error("another agency sees the upstream address")
		}
		_, err = e.svc.UploadSpec(ctx, provAdmin, v.ID, []byte("swagger: '2.0'\ninfo: {title: x}"))
		wantCode(t, err, apperr.Invalid, "OpenAPI 3.x")
		_, err = e.svc.UploadSpec(ctx, provAdmin, v.ID, []byte("{not yaml"))
		wantCode(t, err, apperr.Invalid, "không phải YAML")
		s1, err := e.svc.UploadSpec(ctx, provAdmin, v.ID, []byte(`{"openapi":"3.0.3","info":{"title":"Hộ tịch","version":"1"},"paths":{"/a":{}}}`))
		if err != nil || s1.Version != 1 {
			t.Fatal(s1, err)
		}
		s2, _ := e.svc.UploadSpec(ctx, provAdmin, v.ID, []byte("openapi: 3.1.0\ninfo: {title: Hộ tịch, version: '2'}\npaths: {/b: {}}\n"))
		cur, _ := e.svc.Spec(ctx, observer, v.ID, 0)
		if s2.Version != 2 || cur.Version != 2 || cur.APIVersion != "2" {
			t.Fatalf("current spec %+v", cur)
		}
		v, _ = e.svc.RESTService(ctx, provAdmin, v.ID)
		in.SpecVersion = 1
		v, err = e.svc.UpdateService(ctx, provAdmin, v.ID, v.Version, in)
		if err != nil || v.SpecVersion != 1 {
			t.Fatalf("roll back the spec: %+v, %v", v, err)
		}

		// Access: the consumer asks, the provider decides.
		_, err = e.svc.RequestAccess(ctx, provAdmin, exchange.AccessRequest{ConsumerID: e.fx.Consumer.ID, ServiceID: v.ID, Purpose: "x"})
		wantCode(t, err, apperr.Forbidden, "hệ thống gọi")
		_, err = e.svc.RequestAccess(ctx, consAdmin, exchange.AccessRequest{ConsumerID: e.fx.Consumer.ID, ServiceID: v.ID})
		wantCode(t, err, apperr.Invalid, "mục đích")
		a, err := e.svc.RequestAccess(ctx, consAdmin, exchange.AccessRequest{ConsumerID: e.fx.Consumer.ID, ServiceID: v.ID, Purpose: "Liên thông khai sinh"})
		if err != nil || a.Status != exchange.Pending {
			t.Fatal(a, err)
		}
		_, err = e.svc.RequestAccess(ctx, consAdmin, exchange.AccessRequest{ConsumerID: e.fx.Consumer.ID, ServiceID: v.ID, Purpose: "lần nữa"})
		wantCode(t, err, apperr.Conflict, "đã có yêu cầu")
		_, err = e.svc.ApproveAccess(ctx, consAdmin, a.ID, exchange.Decision{})
		wantCode(t, err, apperr.Forbidden, "cơ quan cung cấp")
		_, err = e.svc.RefuseAccess(ctx, provAdmin, a.ID, exchange.Decision{})
		wantCode(t, err, apperr.Invalid, "lý do")
		a, err = e.svc.RefuseAccess(ctx, provAdmin, a.ID, exchange.Decision{Note: "Chưa đủ căn cứ pháp lý"})
		if err != nil || a.Status != exchange.Refused {
			t.Fatal(a, err)
		}
		a, err = e.svc.RequestAccess(ctx, consAdmin, exchange.AccessRequest{ConsumerID: e.fx.Consumer.ID, ServiceID: v.ID, Purpose: "Theo Nghị định 45/2020"})
		if err != nil || a.Status != exchange.Pending {
			t.Fatal(a, err)
		}
		bad := -1
		_, err = e.svc.ApproveAccess(ctx, provAdmin, a.ID, exchange.Decision{RatePerMinute: &bad})
		wantCode(t, err, apperr.Invalid, "Hạn mức")
		a, err = e.svc.ApproveAccess(ctx, provAdmin, a.ID, exchange.Decision{})
		if err != nil || a.Status != exchange.Approved || a.RatePerMinute != 600 || a.Burst != 60 {
			t.Fatalf("approve with defaults: %+v, %v", a, err)
		}
		list, _ := e.svc.AccessList(ctx, clerk, exchange.AccessFilter{ServiceID: v.ID})
		if len(list) != 1 {
			t.Errorf("the provider agency's officials see %d requests", len(list))
		}
		if list, _ := e.svc.AccessList(ctx, official("khac", "clerk@"+e.fx.ConsumerAgencyID+"x"), exchange.AccessFilter{}); len(list) != 0 {
			t.Errorf("an unrelated official sees %d requests", len(list))
		}
		a, err = e.svc.RevokeAccess(ctx, consAdmin, a.ID, exchange.Decision{Note: "Không dùng nữa"})
		if err != nil || a.Status != exchange.Revoked {
			t.Fatalf("the consumer gives access up: %+v, %v", a, err)
		}

		// Keys: the consumer's admins; observers may not issue them.
		_, err = e.svc.CreateKey(ctx, observer, e.fx.Consumer.ID, "x", 0)
		wantCode(t, err, apperr.Forbidden, "")
		if keys, err := e.svc.Keys(ctx, observer, e.fx.Consumer.ID); err != nil || len(keys) != 1 {
			t.Errorf("observer reads keys: %d, %v", len(keys), err)
		}
		if _, err := e.svc.Keys(ctx, provAdmin, e.fx.Consumer.ID); err == nil {
			t.Error("another agency's admin lists the consumer's keys")
		}
		// Log: province-wide roles and agency admins only.
		if _, err := e.svc.SearchLog(ctx, clerk, txlogFilter()); !apperr.Is(err, apperr.Forbidden) {
			t.Errorf("a clerk searched the log: %v", err)
		}
	})
}

// TestAPIScenarios runs the JSON API through HTTP with actors injected.
func TestAPIScenarios(t *testing.T) {
	e := newEnv(t, dbtest.Open(t, db.SQLite), envOpt{})
	mux := http.NewServeMux()
	exchange.API{Svc: e.svc}.Register(httpx.NewRouter(mux))
	actors := map[string]*actor.Actor{
		"province": official("qt", "province_admin"),
		"observer": official("td", "observer"),
		"provider": official("qt.stp", "agency_admin@"+e.fx.ProviderAgencyID),
		"consumer": official("qt.vp", "agency_admin@"+e.fx.ConsumerAgencyID),
	}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if a := actors[r.Header.Get("X-Test-Actor")]; a != nil {
			r = r.WithContext(actor.With(r.Context(), a))
		}
		mux.ServeHTTP(w, r)
	}))
	defer srv.Close()
	// Some traffic for the log.
	e.call(nil, "GET", e.path("/fast"), nil, e.key()...)
	e.call(nil, "GET", e.path("/citizens/1"), nil)
	e.entries()
	cases := []struct {
		who, method, path, body string
		status                  int
		want                    string
	}{
		{"", "GET", "/api/v1/exchange/directory", "", 401, "đăng nhập"},
		{"observer", "GET", "/api/v1/exchange/directory", "", 200, `"code":"` + gwdemoProvider + `"`},
		{"observer", "POST", "/api/v1/exchange/systems", `{"agency_id":"` + e.fx.ProviderAgencyID + `","code":"abc","name":"A"}`, 403, ""},
		{"provider", "POST", "/api/v1/exchange/systems", `{"agency_id":"` + e.fx.ProviderAgencyID + `","code":"abc","name":""}`, 422, "Tên hệ thống"},
		{"provider", "POST", "/api/v1/exchange/systems", `{"agency_id":"` + e.fx.ProviderAgencyID + `","code":"abc","name":"A"}`, 201, `"code":"abc"`},
		{"consumer", "POST", "/api/v1/exchange/systems/" + e.fx.Consumer.ID + "/keys", `{"name":"máy chủ 2","days":30}`, 201, `"secret":"`},
		{"provider", "POST", "/api/v1/exchange/systems/" + e.fx.Consumer.ID + "/keys", `{"name":"x"}`, 403, ""},
		{"consumer", "GET", "/api/v1/exchange/systems/" + e.fx.Consumer.ID + "/allowed", "", 200, `"access_id":"` + e.fx.Access.ID + `"`},
		{"provider", "POST", "/api/v1/exchange/access/" + e.fx.Access.ID + "/quota", `{"rate_per_minute":120,"burst":10}`, 200, `"rate_per_minute":120`},
		{"provider", "POST", "/api/v1/exchange/access/" + e.fx.Access.ID + "/dance", "", 404, "Thao tác không hợp lệ"},
		{"observer", "GET", "/api/v1/exchange/services/" + e.fx.Service.ID + "/specs/current", "", 200, `"version":1`},
		{"observer", "GET", "/api/v1/exchange/log?status=4xx", "", 200, `"outcome":"unauthorized"`},
		{"observer", "GET", "/api/v1/exchange/log?status=abc", "", 422, "Trạng thái"},
		{"provider", "GET", "/api/v1/exchange/log?status=2xx", "", 200, `"path":"/fast"`},
		{"consumer", "GET", "/api/v1/exchange/log/stats?group_by=service,consumer,day", "", 200, `"service":"` + gwdemoProvider + `/tra-cuu"`},
		{"observer", "GET", "/api/v1/exchange/log/export.csv", "", 200, "he_thong_goi"},
		{"observer", "GET", "/api/v1/exchange/signing-keys", "", 200, `"state":"active"`},
		{"observer", "POST", "/api/v1/exchange/signing-keys", "", 403, "quản trị toàn tỉnh"},
		{"province", "GET", "/api/v1/exchange/log/999999", "", 404, "Không có mục"},
	}
	for _, c := range cases {
		req, _ := http.NewRequest(c.method, srv.URL+c.path, strings.NewReader(c.body))
		if c.body != "" {
			req.Header.Set("Content-Type", "application/json")
		}
		req.Header.Set("X-Test-Actor", c.who)
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		var buf strings.Builder
		_, _ = bufCopy(&buf, res)
		if res.StatusCode != c.status || !strings.Contains(buf.String(), c.want) {
			t.Errorf("%s %s as %q: %d %s, want %d with %q", c.method, c.path, c.who, res.StatusCode, trim(buf.String()), c.status, c.want)
		}
		if res.StatusCode >= 400 {
			var env httpx.ErrorBody
			if json.Unmarshal([]byte(buf.String()), &env) != nil || env.Error.Message == "" {
				t.Errorf("%s %s: not the error envelope: %s", c.method, c.path, buf.String())
			}
		}
	}
}

func trim(s string) string {
	if len(s) > 300 {
		return s[:300] + "…"
	}
	return s
}
