package app_test

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/congso/congso/internal/db"
)

// The scorecard's API and pages: public figures, JSON errors, dossier lists
// for the agency's officials and province-wide roles only.
func TestScorecardAPIAndPages(t *testing.T) {
	each(t, func(t *testing.T, engine db.Engine) {
		s := start(t, engine)
		ctx := context.Background()
		stp, sxd := s.agencyID(codeSTP), s.agencyID(codeSXD)
		// One dossier of the Department of Justice, received and processed late
		// in the last three days, written as the dossier service writes its row.
		now := time.Now().UTC()
		recv := now.Add(-72 * time.Hour)
		if _, err := s.App.DB.Exec(ctx, `INSERT INTO dossiers (id, code, receiving_agency_id, agency_id, holder_agency_id,
			procedure_id, procedure_code, procedure_name, plan, channel, status, applicant_kind, applicant_name, limit_value,
			limit_unit, cutoff, filed_at, received_at, due_at, legal_due_at, processed_at, search_fold, created_at, updated_at)
			VALUES ('sc1', 'SC-000001', ?, ?, ?, 'p', 'p', 'Thủ tục thử', '[]', 'portal', 9, 'citizen', 'Nguyễn Văn Bí Mật', 1,
			'working_days', '15:00', ?, ?, ?, ?, ?, '', ?, ?)`, stp, stp, stp, recv, recv, recv.Add(time.Hour), recv.Add(time.Hour),
			now.Add(-time.Hour), recv, now); err != nil {
			t.Fatal(err)
		}
		if _, err := s.App.Indicators.Refresh(ctx); err != nil {
			t.Fatal(err)
		}
		ict := time.FixedZone("ICT", 7*3600)
		span := "from=" + recv.In(ict).Format("2006-01-02") + "&to=" + now.In(ict).Format("2006-01-02")
		tokens := map[string]string{}
		for _, u := range []string{"chuyenvien.stp", "quansat", "tiepnhan.thanhsen"} {
			tokens[u] = s.token(u)
		}
		cases := []struct {
			name, path, who string
			status          int
			contains        string
		}{
			{"anyone reads the province scorecard", "/api/v1/scorecard?" + span, "", 200, `"total"`},
			{"the late dossier counts", "/api/v1/scorecard?scope=agency&id=" + stp + "&" + span, "", 200, `"finished":1,"finished_on_time":0`},
			{"bad period", "/api/v1/scorecard?period=2026-13", "", 422, "Kỳ phải có dạng"},
			{"bad dates", "/api/v1/scorecard?from=2026-02-30", "", 422, "YYYY-MM-DD"},
			{"reversed dates", "/api/v1/scorecard?from=2026-03-01&to=2026-02-01", "", 422, "sau ngày bắt đầu"},
			{"agency without id", "/api/v1/scorecard?scope=agency", "", 422, "Chưa chọn"},
			{"unknown scope", "/api/v1/scorecard?scope=district&id=x", "", 422, "Phạm vi"},
			{"unknown agency", "/api/v1/scorecard?scope=agency&id=nope", "", 404, "Không tìm thấy"},
			{"rankings", "/api/v1/scorecard/rankings?kind=agency&" + span, "", 200, `"rank":1`},
			{"rankings of communes", "/api/v1/scorecard/rankings?kind=commune&" + span, "", 200, `"kind":"commune"`},
			{"trend", "/api/v1/scorecard/trend?period=2026", "", 200, `"month":"01/2026"`},
			{"rules", "/api/v1/scorecard/rules", "", 200, `"valid_from":"2022-01-01"`},
			{"anonymous cannot list dossiers", "/api/v1/scorecard/dossiers?criterion=on_time&" + span, "", 401, "đăng nhập"},
			{"official lists own agency's late dossier", "/api/v1/scorecard/dossiers?scope=agency&id=" + stp + "&criterion=on_time&part=den&" + span, "chuyenvien.stp", 200, "SC-000001"},
			{"official cannot list another agency", "/api/v1/scorecard/dossiers?scope=agency&id=" + sxd + "&criterion=on_time&" + span, "chuyenvien.stp", 403, ""},
			{"commune official sees none of the department's in the province list", "/api/v1/scorecard/dossiers?criterion=on_time&" + span, "tiepnhan.thanhsen", 200, `"total":0`},
			{"observer lists the province", "/api/v1/scorecard/dossiers?criterion=on_time&" + span, "quansat", 200, "SC-000001"},
			{"on-time list leaves the late one out", "/api/v1/scorecard/dossiers?criterion=on_time&part=num&" + span, "quansat", 200, `"total":0`},
			{"unknown criterion", "/api/v1/scorecard/dossiers?criterion=bogus&" + span, "quansat", 422, "tiêu chí"},
			{"bad part", "/api/v1/scorecard/dossiers?criterion=on_time&part=x&" + span, "quansat", 422, "num"},
		}
		for _, c := range cases {
			t.Run(c.name, func(t *testing.T) {
				res := s.do("GET", c.path, tokens[c.who], "", "")
				if res.Status != c.status || !strings.Contains(res.Body, c.contains) {
					t.Fatalf("GET %s as %q: %d %s, want %d containing %q", c.path, c.who, res.Status, truncate(res.Body), c.status, c.contains)
				}
				if res.Status >= 400 && !strings.Contains(res.Body, `"error":{"code":`) {
					t.Fatalf("error is not in the JSON envelope: %s", res.Body)
				}
				if strings.Contains(res.Body, "Bí Mật") {
					t.Fatalf("personal data in %s", c.path)
				}
			})
		}

		// The public page needs no sign-in and shows no personal data.
		res := s.do("GET", "/bang-diem?"+span, "", "", "")
		if res.Status != http.StatusOK || !strings.Contains(res.Body, "Bảng điểm chất lượng phục vụ") ||
			!strings.Contains(res.Body, "Sở Tư pháp") || strings.Contains(res.Body, "Bí Mật") || strings.Contains(res.Body, "SC-000001") {
			t.Fatalf("public page: %d %s", res.Status, truncate(res.Body))
		}
		if res := s.do("GET", "/bang-diem?period=abc", "", "", ""); res.Status != http.StatusUnprocessableEntity || !strings.Contains(res.Body, "Kỳ phải có dạng") {
			t.Fatalf("public page with a bad period: %d", res.Status)
		}
		if res := s.do("GET", "/desk/scorecard", "", "", ""); res.Status != http.StatusSeeOther {
			t.Fatalf("desk scorecard without sign-in: %d", res.Status)
		}
		c := s.browser()
		s.signIn(c, "chuyenvien.stp")
		page := get(t, c, s.URL+"/desk/scorecard?"+span)
		if page.Status != http.StatusOK || !strings.Contains(page.Body, "/desk/scorecard/dossiers?") {
			t.Fatalf("desk scorecard: %d %s", page.Status, truncate(page.Body))
		}
		list := get(t, c, s.URL+"/desk/scorecard/dossiers?scope=agency&id="+stp+"&criterion=on_time&part=den&"+span)
		if list.Status != http.StatusOK || !strings.Contains(list.Body, "SC-000001") || strings.Contains(list.Body, "Bí Mật") {
			t.Fatalf("dossier list: %d %s", list.Status, truncate(list.Body))
		}
		if r := get(t, c, s.URL+"/desk/scorecard/dossiers?scope=agency&id="+sxd+"&criterion=on_time&"+span); r.Status != http.StatusForbidden {
			t.Fatalf("another agency's list: %d", r.Status)
		}
		if r := get(t, c, s.URL+"/desk/scorecard/rankings?"+span); r.Status != http.StatusOK || !strings.Contains(r.Body, "Sở Tư pháp") {
			t.Fatalf("rankings page: %d", r.Status)
		}
	})
}
