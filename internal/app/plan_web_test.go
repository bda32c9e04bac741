package app_test

import (
	"bytes"
	"context"
	"mime/multipart"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/congso/congso/internal/actor"
	"github.com/congso/congso/internal/app"
	"github.com/congso/congso/internal/calendar"
	"github.com/congso/congso/internal/db"
	"github.com/congso/congso/internal/identity"
	"github.com/congso/congso/internal/plan"
)

func postMultipart(t *testing.T, c *http.Client, u string, fields map[string]string) response {
	t.Helper()
	var buf bytes.Buffer
	mw := multipart.NewWriter(&buf)
	for k, v := range fields {
		_ = mw.WriteField(k, v)
	}
	mw.Close()
	res, err := c.Post(u, mw.FormDataContentType(), &buf)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	var b bytes.Buffer
	_, _ = b.ReadFrom(res.Body)
	return response{Status: res.StatusCode, Header: res.Header, Body: b.String()}
}

func TestPlanPages(t *testing.T) {
	s, _ := startPlans(t, db.SQLite, time.Date(2024, time.October, 2, 9, 0, 0, 0, calendar.Location()))
	ctx := context.Background()
	sys := actor.SystemActor("test")
	err := s.App.DB.Tx(ctx, func(tx *db.Tx) error {
		u, err := s.App.Identity.CreateUser(ctx, tx, sys, identity.NewUser{Kind: actor.Official, Username: "chuyenvien.stc",
			DisplayName: "Phan Chuyên Viên", Password: app.DemoPassword})
		if err != nil {
			return err
		}
		return s.App.Org.GrantTx(ctx, tx, sys, u.ID, s.agencyID("000.00.07.H25"), actor.Specialist)
	})
	if err != nil {
		t.Fatal(err)
	}
	hg := s.planID("haugiang-2024")
	t4, _, err := s.App.Plans.Task(ctx, sys, hg, taskID(t, s, hg, "4"))
	if err != nil {
		t.Fatal(err)
	}

	observer := s.browser()
	s.signIn(observer, "quansat")
	res := get(t, observer, s.URL+"/desk/plans")
	if res.Status != 200 || !strings.Contains(res.Body, "Kế hoạch Chuyển đổi số tỉnh Hà Tĩnh năm 2023") {
		t.Fatalf("plans list: %d", res.Status)
	}
	res = get(t, observer, s.URL+"/desk/plans/"+hg)
	for _, want := range []string{"Tỷ lệ hồ sơ TTHC được tiếp nhận và xử lý trực tuyến", "Tỷ lệ hồ sơ trực tuyến", "Quá hạn",
		"/api/v1/plans/" + hg + "/report?format=pdf", "Xây dựng thí điểm", "Chưa có số liệu"} {
		if !strings.Contains(res.Body, want) {
			t.Errorf("plan page lacks %q", want)
		}
	}
	// Filters: overdue tasks of the finance department.
	res = get(t, observer, s.URL+"/desk/plans/"+hg+"?overdue=true&agency_id="+s.agencyID("000.00.07.H25"))
	if res.Status != 200 || !strings.Contains(res.Body, "Xây dựng chính sách khuyến khích doanh nghiệp nhỏ và vừa chuyển đổi số") ||
		strings.Contains(res.Body, "Xây dựng thí điểm") {
		t.Errorf("filtered tasks: %d", res.Status)
	}
	res = get(t, observer, s.URL+"/desk/plans/"+hg+"?state=bogus")
	if res.Status != http.StatusUnprocessableEntity || !strings.Contains(res.Body, "Trạng thái nhiệm vụ không hợp lệ") {
		t.Errorf("bad filter: %d", res.Status)
	}
	taskURL := s.URL + "/desk/plans/" + hg + "/tasks/" + t4.ID
	res = get(t, observer, taskURL)
	if res.Status != 200 || !strings.Contains(res.Body, "Chỉ đơn vị chủ trì") || strings.Contains(res.Body, `name="progress"`) {
		t.Errorf("an observer sees an update form: %d", res.Status)
	}
	res = postMultipart(t, observer, taskURL, map[string]string{"version": "1", "state": "done", "progress": "100"})
	if res.Status != http.StatusForbidden {
		t.Errorf("an observer's update: %d", res.Status)
	}
	res = get(t, observer, s.URL+"/desk/plans/"+hg+"/report")
	if res.Status != 200 || !strings.Contains(res.Body, "Sở Tài chính") || strings.Contains(res.Body, `name="summary"`) {
		t.Errorf("report page for an observer: %d", res.Status)
	}

	lead := s.browser()
	s.signIn(lead, "chuyenvien.stc")
	res = get(t, lead, taskURL)
	if !strings.Contains(res.Body, `name="progress"`) {
		t.Fatalf("the lead agency gets no form")
	}
	res = postMultipart(t, lead, taskURL, map[string]string{"version": "1", "state": "done", "progress": "50", "note": "Đã trình"})
	if res.Status != http.StatusUnprocessableEntity || !strings.Contains(res.Body, "Nhiệm vụ hoàn thành phải có tiến độ 100%") ||
		!strings.Contains(res.Body, "Đã trình") {
		t.Errorf("bad progress: %d", res.Status)
	}
	res = postMultipart(t, lead, taskURL, map[string]string{"version": "1", "state": "in_progress", "progress": "abc"})
	if res.Status != http.StatusUnprocessableEntity {
		t.Errorf("progress not a number: %d", res.Status)
	}
	res = postMultipart(t, lead, taskURL, map[string]string{"version": "1", "state": "in_progress", "progress": "60", "note": "Đã trình UBND tỉnh"})
	if res.Status != http.StatusSeeOther {
		t.Fatalf("update: %d %s", res.Status, res.Body)
	}
	res = get(t, lead, taskURL)
	if !strings.Contains(res.Body, "Đã trình UBND tỉnh") || !strings.Contains(res.Body, "60%") {
		t.Errorf("the update does not show")
	}
	// Its quarterly report, from the report page.
	res = get(t, lead, s.URL+"/desk/plans/"+hg+"/report")
	if !strings.Contains(res.Body, `name="summary"`) {
		t.Fatalf("the lead agency cannot send its report")
	}
	res = postMultipart(t, lead, s.URL+"/desk/plans/"+hg+"/report", map[string]string{"agency_id": s.agencyID("000.00.07.H25"), "quarter": "4", "summary": ""})
	if res.Status != http.StatusUnprocessableEntity || !strings.Contains(res.Body, "Hãy nêu tóm tắt") {
		t.Errorf("empty report: %d", res.Status)
	}
	res = postMultipart(t, lead, s.URL+"/desk/plans/"+hg+"/report", map[string]string{"agency_id": s.agencyID("000.00.07.H25"), "quarter": "4",
		"summary": "Hoàn thành 60% dự thảo"})
	if res.Status != http.StatusSeeOther {
		t.Errorf("report: %d %s", res.Status, res.Body)
	}
	// A reported indicator of another agency: no form, and a post is refused.
	var kts1 plan.Indicator
	list, _ := s.App.Plans.Indicators(ctx, sys, hg)
	for _, i := range list {
		if i.Code == "KTS-1" {
			kts1 = i
		}
	}
	indURL := s.URL + "/desk/plans/" + hg + "/indicators/" + kts1.ID
	res = get(t, lead, indURL)
	if res.Status != http.StatusForbidden {
		t.Errorf("another agency's indicator page: %d", res.Status)
	}
	res = postMultipart(t, lead, indURL, map[string]string{"period": "2024-Q3", "value": "50", "evidence_url": "https://example.gov.vn/x"})
	if res.Status != http.StatusForbidden {
		t.Errorf("another agency's indicator report: %d", res.Status)
	}
}

func taskID(t *testing.T, s *server, planID, code string) string {
	t.Helper()
	list, err := s.App.Plans.Tasks(context.Background(), actor.SystemActor("test"), planID, plan.TaskFilter{})
	if err != nil {
		t.Fatal(err)
	}
	for _, x := range list {
		if x.Code == code {
			return x.ID
		}
	}
	t.Fatalf("no task %s", code)
	return ""
}
