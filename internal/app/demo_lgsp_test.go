package app_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/congso/congso/internal/actor"
	"github.com/congso/congso/internal/app"
	"github.com/congso/congso/internal/db"
	"github.com/congso/congso/internal/exchange/txlog"
)

// TestDemoExchange drives the demo exchange through the running platform:
// the one-stop system calls a department's land records with its approved
// access, a refused consumer gets 403, a consumer over its tiny quota 429;
// the population check and the national-portal sync go through the gateway
// too; every call is in the transaction log, whose chain verifies.
func TestDemoExchange(t *testing.T) {
	each(t, func(t *testing.T, engine db.Engine) {
		s := start(t, engine)
		ctx := context.Background()
		sys := actor.SystemActor("test")
		key := func(code string) string {
			t.Helper()
			sy, err := s.App.Exchange.SystemByCode(ctx, sys, code)
			if err != nil {
				t.Fatalf("demo system %s: %v", code, err)
			}
			k, err := s.App.Exchange.CreateKey(ctx, sys, sy.ID, "kiểm thử", 0)
			if err != nil {
				t.Fatal(err)
			}
			return k.Header
		}
		parcel := func(k, path string) response {
			t.Helper()
			return s.do("GET", "/lgsp/dat-dai/thua-dat"+path, "", "", "", "X-LGSP-Key", k)
		}
		admin := s.token("admin")
		logged := func(query string) []map[string]any {
			t.Helper()
			res := s.do("GET", "/api/v1/exchange/log?"+query, admin, "", "")
			if res.Status != http.StatusOK {
				t.Fatalf("log search: %d %s", res.Status, res.Body)
			}
			var out struct {
				Items []map[string]any `json:"items"`
			}
			res.json(t, &out)
			return out.Items
		}
		land, err := s.App.Exchange.ServiceByCode(ctx, sys, "dat-dai", "thua-dat")
		if err != nil {
			t.Fatal(err)
		}

		// Approved: the answer of the land-records system, logged.
		if res := parcel(key("dvc-tinh"), "/thua-dat/12/345"); res.Status != http.StatusOK || !strings.Contains(res.Body, `"so_thua":345`) {
			t.Fatalf("approved call: %d %s", res.Status, res.Body)
		}
		if res := parcel(key("dvc-tinh"), "/thua-dat/99/1"); res.Status != http.StatusNotFound || !strings.Contains(res.Body, "KHONG_TIM_THAY") {
			t.Fatalf("unknown parcel: %d %s", res.Status, res.Body)
		}
		// Refused: 403 with the platform's error envelope.
		if res := parcel(key("syt-qlhc"), "/thua-dat/12/345"); res.Status != http.StatusForbidden || !strings.Contains(res.Body, `"code":"forbidden"`) {
			t.Fatalf("refused consumer: %d %s", res.Status, res.Body)
		}
		// Tiny quota (1 a minute, burst 1): the second call is refused with a
		// time to wait.
		small := key("thanhsen-motcua")
		if res := parcel(small, "/thua-dat/12/346"); res.Status != http.StatusOK {
			t.Fatalf("first call within the quota: %d %s", res.Status, res.Body)
		}
		res := parcel(small, "/thua-dat/12/346")
		if res.Status != http.StatusTooManyRequests || res.Header.Get("Retry-After") == "" {
			t.Fatalf("over the quota: %d (Retry-After %q) %s", res.Status, res.Header.Get("Retry-After"), res.Body)
		}
		// The gateway logs its own refusals without holding them back: wait
		// for all five entries.
		var outcomes map[string]int
		for deadline := time.Now().Add(90 * time.Second); ; time.Sleep(20 * time.Millisecond) {
			outcomes = map[string]int{}
			items := logged("service_id=" + land.ID)
			for _, e := range items {
				outcomes[e["outcome"].(string)]++
			}
			if len(items) >= 5 || time.Now().After(deadline) {
				break
			}
		}
		if outcomes["ok"] != 3 || outcomes["forbidden"] != 1 || outcomes["quota_exceeded"] != 1 {
			t.Fatalf("log of the land-records service: %v", outcomes)
		}

		// The population check of a citizen goes through the gateway.
		citizen := s.token("nguyenvanan")
		check := s.do("POST", "/api/v1/population/checks", citizen, "application/json",
			`{"id_number":"042090001234","full_name":"Nguyễn Văn An","birth_date":"1990-05-12"}`)
		if check.Status != http.StatusCreated || !strings.Contains(check.Body, `"result":"match"`) {
			t.Fatalf("population check: %d %s", check.Status, check.Body)
		}
		pop, err := s.App.Exchange.ServiceByCode(ctx, sys, "csdl-dan-cu", "xac-thuc-cong-dan")
		if err != nil {
			t.Fatal(err)
		}
		if items := logged("service_id=" + pop.ID); len(items) != 1 || items[0]["outcome"] != "ok" {
			t.Fatalf("log of the population service: %v", items)
		}

		// A dossier received at a counter is synchronised to the national
		// portal's hub through the gateway.
		hub, err := s.App.Exchange.ServiceByCode(ctx, sys, "cong-dvc-qg", "dong-bo-ho-so")
		if err != nil {
			t.Fatal(err)
		}
		receiveBirth(t, s)
		deadline := time.Now().Add(30 * time.Second)
		for {
			items := logged("service_id=" + hub.ID)
			if len(items) > 0 {
				if items[0]["outcome"] != "ok" {
					t.Fatalf("sync delivery through the gateway: %v", items[0])
				}
				break
			}
			if time.Now().After(deadline) {
				t.Fatal("no sync delivery reached the gateway")
			}
			time.Sleep(100 * time.Millisecond)
		}

		// The chain verifies, in the platform and with the command line.
		rep, err := s.App.Exchange.VerifyLog(ctx, sys)
		if err != nil || rep.Problem != nil || rep.Entries < 6 {
			t.Fatalf("verify: %+v %v", rep, err)
		}
		if _, err := txlog.Verify(ctx, s.App.DB); err != nil {
			t.Fatal(err)
		}
		s.shutdown()
		if engine != db.SQLite {
			return
		}
		var out bytes.Buffer
		if code := app.Main([]string{"exchange", "verify-log", "--data", s.Data}, strings.NewReader(""), &out, io.Discard); code != 0 {
			t.Fatalf("verify-log exited %d: %s", code, out.String())
		}
	})
}

// receiveBirth receives a birth registration at the counter of ward Thành
// Sen through the JSON API.
func receiveBirth(t *testing.T, s *server) string {
	t.Helper()
	proc, err := s.App.Catalog.ByCode(context.Background(), actor.SystemActor("test"), "1.001193")
	if err != nil {
		t.Fatal(err)
	}
	form := map[string][]string{
		"ho_ten_nguoi_yeu_cau": {"Lê Minh Châu"}, "so_dinh_danh_nguoi_yeu_cau": {"042201007890"}, "quan_he": {"Cha"},
		"ho_ten_tre": {"Lê Bảo Ngọc"}, "ngay_sinh": {"2026-02-20"}, "gioi_tinh": {"Nữ"}, "dan_toc": {"Kinh"},
		"noi_sinh": {"Bệnh viện Đa khoa tỉnh Hà Tĩnh"}, "que_quan": {"Xã Can Lộc, tỉnh Hà Tĩnh"}, "giay_chung_sinh": {"giay-chung-sinh.pdf"},
	}
	body, _ := json.Marshal(map[string]any{"procedure_id": proc.ID, "channel": "counter",
		"applicant": map[string]any{"kind": "citizen", "name": "Lê Minh Châu", "id_number": "042201007890", "phone": "0356789012"},
		"form":      form})
	res := s.do("POST", "/api/v1/dossiers", s.token("tiepnhan.thanhsen"), "application/json", string(body))
	if res.Status != http.StatusCreated {
		t.Fatalf("receive a dossier: %d %s", res.Status, res.Body)
	}
	var d struct {
		Code string `json:"code"`
	}
	res.json(t, &d)
	return d.Code
}
