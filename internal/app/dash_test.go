package app_test

import (
	"strings"
	"testing"

	"github.com/congso/congso/internal/db"
)

// The operations page, its refresh, its downloads and its JSON: who may see
// what, and clear answers to bad addresses.
func TestOperationsPageAndAPI(t *testing.T) {
	each(t, func(t *testing.T, engine db.Engine) {
		s := start(t, engine)
		tokens := map[string]string{"": ""}
		for _, u := range []string{"quansat", "chuyenvien.stp", "nguyenvanan"} {
			tokens[u] = s.token(u)
		}
		cases := []struct {
			name, path, who string
			status          int
			contains        string
			lacks           string
		}{
			{"anonymous is sent to sign in", "/ops", "", 303, "", ""},
			{"a citizen is refused", "/ops", "nguyenvanan", 403, "Chỉ cán bộ, công chức", ""},
			{"an observer sees the province", "/ops", "quansat", 200, "Số liệu toàn tỉnh", ""},
			{"the page loads Chart.js from the platform", "/ops", "quansat", 200, `src="/static/vendor/chart-4.6.1.umd.min.js"`, "cdn"},
			{"the page has the scorecard", "/ops", "quansat", 200, `id="ops-scorecard"`, ""},
			{"an agency's official sees their agencies", "/ops", "chuyenvien.stp", 200, "Số liệu các cơ quan của bạn", ""},
			{"the refresh is the live part alone", "/ops/live", "quansat", 200, `id="ops-live"`, "<html"},
			{"the refresh leaves the scorecard out", "/ops/live", "quansat", 200, `hx-trigger="every 2000ms"`, "ops-scorecard"},
			{"an unknown format", "/ops/export/agency.pdf", "quansat", 404, "CSV hoặc XLSX", ""},
			{"an unknown table", "/ops/export/nothing.csv", "quansat", 404, "Không có bảng này", ""},
			{"a table as CSV", "/ops/export/channel.csv", "quansat", 200, "Kênh tiếp nhận,Đã nhận,Đang giải quyết", ""},
			{"the scorecard as CSV", "/ops/export/scorecard.csv", "quansat", 200, "Tổng điểm", ""},
			{"a citizen cannot download", "/ops/export/agency.csv", "nguyenvanan", 403, "", ""},
			{"anonymous API call", "/api/v1/dashboard/overview", "", 401, `"code":"unauthorized"`, ""},
			{"a citizen's API call", "/api/v1/dashboard/overview", "nguyenvanan", 403, `"code":"forbidden"`, ""},
			{"an official's API call", "/api/v1/dashboard/overview", "chuyenvien.stp", 200, `"province_wide":false`, ""},
			{"an observer's API call", "/api/v1/dashboard/overview", "quansat", 200, `"province_wide":true`, ""},
		}
		for _, c := range cases {
			res := s.do("GET", c.path, tokens[c.who], "", "")
			if res.Status != c.status || !strings.Contains(res.Body, c.contains) || (c.lacks != "" && strings.Contains(res.Body, c.lacks)) {
				t.Errorf("%s: GET %s as %q: %d, want %d with %q without %q\n%.400s", c.name, c.path, c.who, res.Status, c.status, c.contains, c.lacks, res.Body)
			}
		}
		res := s.do("GET", "/ops/export/rank-agency.xlsx", tokens["quansat"], "", "")
		if res.Status != 200 || res.Header.Get("Content-Type") != "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet" ||
			!strings.HasPrefix(res.Body, "PK") {
			t.Errorf("the ranking as XLSX: %d %s", res.Status, res.Header.Get("Content-Type"))
		}
	})
}
