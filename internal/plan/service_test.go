package plan_test

import (
	"bytes"
	"context"
	"strings"
	"testing"
	"time"

	"github.com/xuri/excelize/v2"

	"github.com/congso/congso/internal/actor"
	"github.com/congso/congso/internal/apperr"
	"github.com/congso/congso/internal/db"
	"github.com/congso/congso/internal/db/dbtest"
	"github.com/congso/congso/internal/plan"
)

func TestShippedPlans(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		f := newFixture(t, d)
		ctx := context.Background()
		hg, ht := f.plans["haugiang-2024"], f.plans["hatinh-2023"]
		if hg.Indicators != 29 || hg.Tasks != 53 || hg.Year != 2024 {
			t.Errorf("Hậu Giang 2024: %d indicators, %d tasks, year %d; want 29, 53 (36 tasks and 17 projects), 2024", hg.Indicators, hg.Tasks, hg.Year)
		}
		if ht.Number != "575/KH-UBND" || ht.IssuedOn != "2022-12-29" || ht.Indicators != 19 || ht.Tasks != 22 {
			t.Errorf("Hà Tĩnh: %+v", ht)
		}
		// Loading again changes nothing.
		if n, err := f.svc.LoadShipped(ctx, actor.SystemActor("test")); err != nil || n != 0 {
			t.Errorf("second load: %d, %v", n, err)
		}
		// Agencies map to the platform's where they exist, and keep their name.
		t4 := f.task("haugiang-2024", "4")
		if t4.Lead.ID != f.agencies["stc"] || t4.Lead.Name != "Sở KH&ĐT" {
			t.Errorf("task 4 lead = %+v, want Sở KH&ĐT as the finance department", t4.Lead)
		}
		if t4.Deadline.Text != "Quý III/2024" || t4.Deadline.Due.String() != "2024-09-30" {
			t.Errorf("task 4 deadline = %+v", t4.Deadline)
		}
		if len(t4.Partners) != 3 || t4.Partners[1].ID != f.agencies["stp"] || t4.Partners[0].ID != "" {
			t.Errorf("task 4 partners = %+v", t4.Partners)
		}
		t1 := f.task("haugiang-2024", "1")
		if !t1.Deadline.Recurring || t1.Lead.ID != "" {
			t.Errorf("task 1 = %+v", t1)
		}
		if p := f.task("haugiang-2024", "DA-11"); p.Deadline.Due.String() != "2025-12-31" || p.Deadline.Start.String() != "2024-01-01" {
			t.Errorf("project 11 deadline = %+v", p.Deadline)
		}
		online := f.indicator(province(actor.Observer), "haugiang-2024", "CQS-5")
		if online.Metric != plan.OnlineRate || online.Target != 90 || online.Baseline != 88.3 || online.Status != plan.NoData {
			t.Errorf("online indicator = %+v", online)
		}
	})
}

func TestWhoSeesAndUpdatesTasks(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		f := newFixture(t, d)
		ctx := context.Background()
		hg := f.plans["haugiang-2024"].ID
		all, err := f.svc.Tasks(ctx, province(actor.Observer), hg, plan.TaskFilter{})
		if err != nil || len(all) != 53 {
			t.Fatalf("observer sees %d tasks, %v", len(all), err)
		}
		// The justice department sees the tasks it takes part in and those
		// given to agencies collectively, not another department's own.
		stp := f.official("stp", actor.Specialist)
		mine, err := f.svc.Tasks(ctx, stp, hg, plan.TaskFilter{})
		if err != nil {
			t.Fatal(err)
		}
		codes := map[string]bool{}
		for _, x := range mine {
			codes[x.Code] = true
		}
		if !codes["2"] || !codes["4"] || !codes["1"] || codes["DA-12"] || codes["23"] || len(mine) >= len(all) {
			t.Errorf("justice department sees %v", codes)
		}
		if _, _, err := f.svc.Task(ctx, stp, hg, f.task("haugiang-2024", "DA-12").ID); apperr.CodeOf(err) != apperr.Forbidden {
			t.Errorf("another department's task: %v", err)
		}
		// Citizens and anonymous callers see nothing.
		_, err = f.svc.Tasks(ctx, &actor.Actor{UserID: "c", Kind: actor.Citizen}, hg, plan.TaskFilter{})
		wantCode(t, err, apperr.Forbidden)
		_, err = f.svc.Tasks(ctx, nil, hg, plan.TaskFilter{})
		wantCode(t, err, apperr.Unauthorized)

		t4 := f.task("haugiang-2024", "4")
		in := plan.TaskInput{Version: t4.Version, State: plan.InProgress, Progress: 40, Note: "Đã lấy ý kiến các sở"}
		// A partner, an observer and another department may not update it.
		for _, by := range []*actor.Actor{stp, province(actor.Observer), f.official("sxd", actor.Head)} {
			_, err := f.svc.UpdateTask(ctx, by, hg, t4.ID, in, nil)
			wantCode(t, err, apperr.Forbidden)
		}
		stc := f.official("stc", actor.Specialist)
		for _, bad := range []plan.TaskInput{
			{Version: t4.Version, State: plan.InProgress, Progress: 150},
			{Version: t4.Version, State: plan.Done, Progress: 50},
			{Version: t4.Version, State: "finished", Progress: 50},
			{Version: t4.Version, State: plan.InProgress, Progress: 10, EvidenceURL: "javascript:alert(1)"},
		} {
			_, err := f.svc.UpdateTask(ctx, stc, hg, t4.ID, bad, nil)
			wantCode(t, err, apperr.Invalid)
		}
		_, err = f.svc.UpdateTask(ctx, stc, hg, t4.ID, in, &plan.Evidence{Name: "x.exe", Data: []byte("MZ\x90\x00")})
		wantCode(t, err, apperr.Invalid)
		got, err := f.svc.UpdateTask(ctx, stc, hg, t4.ID, in, &plan.Evidence{Name: "bien-ban.pdf", Data: minimalPDF})
		if err != nil {
			t.Fatal(err)
		}
		if got.State != plan.InProgress || got.Progress != 40 || got.Version != t4.Version+1 || got.UpdatedAt == nil {
			t.Errorf("updated task = %+v", got)
		}
		// A stale version is a conflict; nothing is half-written.
		_, err = f.svc.UpdateTask(ctx, stc, hg, t4.ID, in, nil)
		wantCode(t, err, apperr.Conflict)
		_, ups, err := f.svc.Task(ctx, stc, hg, t4.ID)
		if err != nil || len(ups) != 1 || ups[0].EvidenceID == "" || ups[0].Note != "Đã lấy ý kiến các sở" {
			t.Fatalf("updates = %+v, %v", ups, err)
		}
		ev, err := f.svc.EvidenceFile(ctx, stc, ups[0].EvidenceID)
		if err != nil || ev.ContentType != "application/pdf" {
			t.Errorf("evidence = %s, %v", ev.ContentType, err)
		}
		_, err = f.svc.EvidenceFile(ctx, f.official("sxd", actor.Head), ups[0].EvidenceID)
		wantCode(t, err, apperr.Forbidden)
		var audited int
		if err := d.QueryRow(ctx, "SELECT COUNT(*) FROM audit_log WHERE action = 'plan.task.update' AND object_id = ?", t4.ID).Scan(&audited); err != nil || audited != 1 {
			t.Errorf("audit entries = %d, %v", audited, err)
		}
		// Province admins update any task, collective ones included.
		t1 := f.task("haugiang-2024", "1")
		if _, err := f.svc.UpdateTask(ctx, province(actor.ProvinceAdmin), hg, t1.ID, plan.TaskInput{Version: t1.Version, State: plan.Done, Progress: 100}, nil); err != nil {
			t.Errorf("province admin: %v", err)
		}
		_, err = f.svc.UpdateTask(ctx, stc, hg, t1.ID, plan.TaskInput{Version: t1.Version + 1, State: plan.Done, Progress: 100}, nil)
		wantCode(t, err, apperr.Forbidden)
		// A task of another plan is not found under this one.
		_, err = f.svc.UpdateTask(ctx, stc, f.plans["hatinh-2023"].ID, t4.ID, in, nil)
		wantCode(t, err, apperr.NotFound)
	})
}

func TestOverdueTasks(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		f := newFixture(t, d)
		ctx := context.Background()
		hg := f.plans["haugiang-2024"].ID
		obs := province(actor.Observer)
		f.clock.Set(day(2024, time.September, 30))
		late, err := f.svc.Tasks(ctx, obs, hg, plan.TaskFilter{Overdue: true})
		if err != nil {
			t.Fatal(err)
		}
		codes := func(list []plan.Task) string {
			var c []string
			for _, x := range list {
				c = append(c, x.Code)
			}
			return strings.Join(c, ",")
		}
		// On 30 September: due in Q1 (3), Q2 (17), before 30/6 (9, 10).
		if got := codes(late); got != "3,9,10,17" {
			t.Errorf("overdue on 30/9/2024: %s", got)
		}
		f.clock.Set(day(2024, time.October, 1))
		late, _ = f.svc.Tasks(ctx, obs, hg, plan.TaskFilter{Overdue: true})
		if got := codes(late); got != "2,3,4,9,10,17" {
			t.Errorf("overdue on 1/10/2024: %s", got)
		}
		t4 := f.task("haugiang-2024", "4")
		if _, err := f.svc.UpdateTask(ctx, province(actor.ProvinceAdmin), hg, t4.ID, plan.TaskInput{Version: t4.Version, State: plan.Done, Progress: 100}, nil); err != nil {
			t.Fatal(err)
		}
		late, _ = f.svc.Tasks(ctx, obs, hg, plan.TaskFilter{Overdue: true})
		if got := codes(late); got != "2,3,9,10,17" {
			t.Errorf("overdue after task 4 done: %s", got)
		}
		done, _ := f.svc.Tasks(ctx, obs, hg, plan.TaskFilter{State: plan.Done})
		if got := codes(done); got != "4" {
			t.Errorf("done: %s", got)
		}
		byAgency, _ := f.svc.Tasks(ctx, obs, hg, plan.TaskFilter{AgencyID: f.agencies["stp"]})
		if got := codes(byAgency); got != "2,4" {
			t.Errorf("tasks of the justice department (as partner): %s", got)
		}
		_, err = f.svc.Tasks(ctx, obs, hg, plan.TaskFilter{State: "late"})
		wantCode(t, err, apperr.Invalid)
	})
}

func TestReportedValues(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		f := newFixture(t, d)
		ctx := context.Background()
		hg := f.plans["haugiang-2024"].ID
		obs := province(actor.Observer)
		ind := f.indicator(obs, "haugiang-2024", "KTS-1") // e-invoices, 100%, tax department, December 2024
		if ind.Agency.ID != f.agencies["thue"] || ind.Status != plan.NoData {
			t.Fatalf("KTS-1 = %+v", ind)
		}
		thue := f.official("thue", actor.Specialist)
		good := plan.ValueInput{Period: "2024-Q2", Value: 60, Note: "Theo số liệu Thuế tỉnh", EvidenceURL: "https://thue.example.gov.vn/bao-cao-q2.pdf"}
		for name, bad := range map[string]plan.ValueInput{
			"period of another year": {Period: "2023-Q4", Value: 60, EvidenceURL: good.EvidenceURL},
			"bad period":             {Period: "Q2", Value: 60, EvidenceURL: good.EvidenceURL},
			"over 100%":              {Period: "2024-Q2", Value: 120, EvidenceURL: good.EvidenceURL},
			"no evidence":            {Period: "2024-Q2", Value: 60},
		} {
			if _, err := f.svc.ReportValue(ctx, thue, hg, ind.ID, bad, nil); apperr.CodeOf(err) != apperr.Invalid {
				t.Errorf("%s: %v", name, err)
			}
		}
		_, err := f.svc.ReportValue(ctx, f.official("stc", actor.Head), hg, ind.ID, good, nil)
		wantCode(t, err, apperr.Forbidden)
		_, err = f.svc.ReportValue(ctx, obs, hg, ind.ID, good, nil)
		wantCode(t, err, apperr.Forbidden)
		live := f.indicator(obs, "haugiang-2024", "CQS-5")
		_, err = f.svc.ReportValue(ctx, province(actor.ProvinceAdmin), hg, live.ID, good, nil)
		wantCode(t, err, apperr.Conflict)

		// 1 July 2024: the line from 0 to 100 by 31 December stands at 49.9.
		if _, err := f.svc.ReportValue(ctx, thue, hg, ind.ID, good, nil); err != nil {
			t.Fatal(err)
		}
		got := f.indicator(obs, "haugiang-2024", "KTS-1")
		if got.Actual == nil || *got.Actual != 60 || got.Status != plan.OnTrack || got.Source != "reported" || got.Period != "2024-Q2" ||
			got.Evidence != good.EvidenceURL {
			t.Errorf("after 60%%: %+v", got)
		}
		// A correction for the same period replaces the value.
		good.Value = 40
		if _, err := f.svc.ReportValue(ctx, thue, hg, ind.ID, good, nil); err != nil {
			t.Fatal(err)
		}
		got = f.indicator(obs, "haugiang-2024", "KTS-1")
		if *got.Actual != 40 || got.Status != plan.AtRisk {
			t.Errorf("after the correction to 40%%: %+v", got)
		}
		// A value backed by a file, then corrected: the replaced file goes
		// with its value, and the current one stays with the tax department.
		withFile := plan.ValueInput{Period: "2024-Q3", Value: 70}
		first, err := f.svc.ReportValue(ctx, thue, hg, ind.ID, withFile, &plan.Evidence{Name: "q3.pdf", Data: minimalPDF})
		if err != nil || first.EvidenceID == "" {
			t.Fatalf("value with a file: %+v, %v", first, err)
		}
		withFile.Value = 75
		second, err := f.svc.ReportValue(ctx, thue, hg, ind.ID, withFile, &plan.Evidence{Name: "q3-sua.pdf", Data: minimalPDF})
		if err != nil {
			t.Fatal(err)
		}
		_, err = f.svc.EvidenceFile(ctx, thue, first.EvidenceID)
		wantCode(t, err, apperr.NotFound)
		_, err = f.svc.EvidenceFile(ctx, f.official("sxd", actor.Head), second.EvidenceID)
		wantCode(t, err, apperr.Forbidden)
		if _, err := f.svc.EvidenceFile(ctx, thue, second.EvidenceID); err != nil {
			t.Errorf("the tax department's own file: %v", err)
		}
		vals, err := f.svc.Values(ctx, thue, hg, ind.ID)
		if err != nil || len(vals) != 2 {
			t.Errorf("values = %+v, %v", vals, err)
		}
		var audited int
		_ = d.QueryRow(ctx, "SELECT COUNT(*) FROM audit_log WHERE action = 'plan.indicator.report' AND object_id = ?", ind.ID).Scan(&audited)
		if audited != 4 {
			t.Errorf("audit entries = %d, want 4", audited)
		}
		// After the deadline, below target: missed.
		f.clock.Set(day(2025, time.January, 2))
		if got := f.indicator(obs, "haugiang-2024", "KTS-1"); got.Status != plan.Missed {
			t.Errorf("in 2025: %s", got.Status)
		}
		// The tax department sees its own indicators and the collective ones only.
		list, err := f.svc.Indicators(ctx, thue, hg)
		if err != nil {
			t.Fatal(err)
		}
		for _, i := range list {
			if i.Agency.ID != "" && i.Agency.ID != f.agencies["thue"] {
				t.Errorf("the tax department sees %s of %s", i.Code, i.Agency.Name)
			}
		}
		if len(list) == 0 || len(list) >= 29 {
			t.Errorf("the tax department sees %d indicators", len(list))
		}
	})
}

func TestQuarterReports(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		f := newFixture(t, d)
		ctx := context.Background()
		hg := f.plans["haugiang-2024"].ID
		f.clock.Set(day(2024, time.June, 10))
		stc := f.official("stc", actor.Head)
		_, err := f.svc.SubmitReport(ctx, stc, hg, plan.ReportInput{AgencyID: f.agencies["stc"], Quarter: 2}, nil)
		wantCode(t, err, apperr.Invalid)
		_, err = f.svc.SubmitReport(ctx, stc, hg, plan.ReportInput{AgencyID: f.agencies["thue"], Quarter: 2, Summary: "x"}, nil)
		wantCode(t, err, apperr.Forbidden)
		// The justice department leads nothing and answers for no indicator.
		_, err = f.svc.SubmitReport(ctx, f.official("stp", actor.Head), hg, plan.ReportInput{AgencyID: f.agencies["stp"], Quarter: 2, Summary: "x"}, nil)
		wantCode(t, err, apperr.Invalid)
		r, err := f.svc.SubmitReport(ctx, stc, hg, plan.ReportInput{AgencyID: f.agencies["stc"], Quarter: 2, Summary: "Đã hoàn thành dự thảo chính sách"}, nil)
		if err != nil || r.Late || r.Due != "2024-06-10" {
			t.Fatalf("report on the due day: %+v, %v", r, err)
		}
		_, err = f.svc.SubmitReport(ctx, stc, hg, plan.ReportInput{AgencyID: f.agencies["stc"], Quarter: 2, Summary: "lần hai"}, nil)
		wantCode(t, err, apperr.Conflict)
		f.clock.Set(day(2024, time.June, 11))
		list, err := f.svc.QuarterReports(ctx, province(actor.Observer), hg, 2)
		if err != nil {
			t.Fatal(err)
		}
		state := map[string]string{}
		for _, q := range list {
			s := "missing"
			if q.SubmittedAt != nil {
				s = "sent"
			}
			if q.Late {
				s += ",late"
			}
			state[q.AgencyID] = s
		}
		if state[f.agencies["stc"]] != "sent" || state[f.agencies["thue"]] != "missing,late" || state[f.agencies["vp"]] != "missing,late" {
			t.Errorf("quarter 2: %v", state)
		}
		if _, ok := state[f.agencies["stp"]]; ok {
			t.Errorf("the justice department owes no report: %v", state)
		}
	})
}

func TestCompiledReport(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		f := newFixture(t, d)
		ctx := context.Background()
		hg := f.plans["haugiang-2024"].ID
		f.clock.Set(day(2024, time.October, 5))
		t4 := f.task("haugiang-2024", "4")
		if _, err := f.svc.UpdateTask(ctx, f.official("stc", actor.Head), hg, t4.ID,
			plan.TaskInput{Version: t4.Version, State: plan.InProgress, Progress: 70, Note: "Đang trình UBND tỉnh"}, nil); err != nil {
			t.Fatal(err)
		}
		c, err := f.svc.Compile(ctx, province(actor.Observer), hg)
		if err != nil {
			t.Fatal(err)
		}
		var x bytes.Buffer
		if err := plan.WriteReportXLSX(&x, c); err != nil {
			t.Fatal(err)
		}
		book, err := excelize.OpenReader(&x)
		if err != nil {
			t.Fatal(err)
		}
		if got := book.GetSheetList(); strings.Join(got, "|") != "Tổng hợp|Chỉ tiêu|Nhiệm vụ|Báo cáo quý" {
			t.Errorf("sheets = %v", got)
		}
		rows, _ := book.GetRows("Nhiệm vụ")
		if len(rows) != 54 {
			t.Fatalf("task sheet has %d rows, want 54", len(rows))
		}
		var row4 []string
		for _, r := range rows {
			if r[0] == "4" {
				row4 = r
			}
		}
		if len(row4) < 10 || row4[2] != "Xây dựng chính sách khuyến khích doanh nghiệp nhỏ và vừa chuyển đổi số" || row4[7] != "Đang triển khai" ||
			row4[8] != "70" || row4[9] != "Quá hạn" || row4[6] != "2024-09-30" {
			t.Errorf("task 4 row = %q", row4)
		}
		summary, _ := book.GetRows("Tổng hợp")
		found := false
		for _, r := range summary {
			if len(r) == 2 && r[0] == "Quá hạn" {
				found = true
				if r[1] != "6" {
					t.Errorf("overdue count in summary = %s, want 6", r[1])
				}
			}
		}
		if !found {
			t.Errorf("summary lacks the overdue count: %v", summary)
		}
		book.Close()

		var p bytes.Buffer
		if err := plan.WriteReportPDF(&p, c); err != nil {
			t.Fatal(err)
		}
		if !bytes.HasPrefix(p.Bytes(), []byte("%PDF-")) {
			t.Fatal("not a PDF")
		}
		text := pdfText(t, p.Bytes())
		for _, want := range []string{"BÁO CÁO TỔNG HỢP TÌNH HÌNH THỰC HIỆN", "Kế hoạch Chuyển đổi số năm 2024 trên địa bàn tỉnh Hậu Giang",
			"Nhiệm vụ: 53", "quá hạn 6", "Xây dựng thí điểm “Làng số”", "Tỷ lệ hồ sơ được giải quyết trước hạn và đúng hạn"} {
			if !strings.Contains(text, want) {
				t.Errorf("the PDF lacks %q", want)
			}
		}

		var csv bytes.Buffer
		if err := plan.WriteCSV(&csv, plan.IndicatorHeader, plan.IndicatorRows(c.Indicators)); err != nil {
			t.Fatal(err)
		}
		if lines := strings.Count(csv.String(), "\n"); lines != 30 {
			t.Errorf("indicator CSV has %d lines, want 30", lines)
		}
	})
}

func TestWorkbookRoundTrip(t *testing.T) {
	defs, err := plan.Shipped()
	if err != nil {
		t.Fatal(err)
	}
	for _, d := range defs {
		var b bytes.Buffer
		if err := plan.WriteDefinitionXLSX(&b, d); err != nil {
			t.Fatal(err)
		}
		got, err := plan.ReadDefinitionXLSX(&b)
		if err != nil {
			t.Fatalf("%s: %v", d.Key, err)
		}
		if got.Key != d.Key || got.Title != d.Title || len(got.Indicators) != len(d.Indicators) || len(got.Tasks) != len(d.Tasks) ||
			len(got.Agencies) != len(d.Agencies) || got.ReportDay != d.ReportDay {
			t.Errorf("%s: round trip lost data", d.Key)
		}
		for i := range d.Tasks {
			if got.Tasks[i] != d.Tasks[i] {
				t.Errorf("%s task %d: %+v, want %+v", d.Key, i, got.Tasks[i], d.Tasks[i])
			}
		}
		for i := range d.Indicators {
			if got.Indicators[i] != d.Indicators[i] {
				t.Errorf("%s indicator %d: %+v, want %+v", d.Key, i, got.Indicators[i], d.Indicators[i])
			}
		}
	}
	// A workbook with a task whose deadline cannot be read is refused with
	// the row named.
	d := defs[0]
	d.Tasks = append([]plan.TaskDef(nil), d.Tasks...)
	d.Tasks[2].Deadline = "sớm"
	var b bytes.Buffer
	_ = plan.WriteDefinitionXLSX(&b, d)
	_, err = plan.ReadDefinitionXLSX(&b)
	if apperr.CodeOf(err) != apperr.Invalid || !strings.Contains(apperr.FieldsOf(err)["tasks[2].deadline"], "Nhiệm vụ 3") {
		t.Errorf("bad deadline: %v %v", err, apperr.FieldsOf(err))
	}
	if _, err := plan.ReadDefinitionXLSX(strings.NewReader("not a workbook")); apperr.CodeOf(err) != apperr.Invalid {
		t.Errorf("not a workbook: %v", err)
	}
}

// minimalPDF is a one-page PDF without active content.
var minimalPDF = []byte("%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n2 0 obj<</Type/Pages/Kids[3 0 R]/Count 1>>endobj\n" +
	"3 0 obj<</Type/Page/Parent 2 0 R/MediaBox[0 0 612 792]>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n")
