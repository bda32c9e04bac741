package catalog_test

import (
	"strings"
	"testing"

	"github.com/congso/congso/internal/actor"
	"github.com/congso/congso/internal/calendar"
	"github.com/congso/congso/internal/catalog"
	"github.com/congso/congso/internal/org"
)

func TestEveryShippedProcedureIsValid(t *testing.T) {
	entries, err := catalog.Shipped()
	if err != nil {
		t.Fatal(err)
	}
	if len(entries) != 44 {
		t.Fatalf("%d shipped procedures, want 44", len(entries))
	}
	codes := map[string]string{}
	levels := map[catalog.Level]int{}
	sameDay := 0
	for i, e := range entries {
		t.Run(e.Name, func(t *testing.T) {
			if f := e.Validate(); len(f) > 0 {
				t.Errorf("procedure %d is invalid: %v", i+1, f)
			}
			if e.Code != "" {
				if other, dup := codes[e.Code]; dup {
					t.Errorf("code %s is also used by %s", e.Code, other)
				}
				codes[e.Code] = e.Name
			}
			if len(e.Form.Fields) == 0 {
				t.Error("no e-form fields")
			}
		})
		levels[e.Level]++
		if e.SameDay() {
			sameDay++
		}
	}
	if levels[catalog.LevelCommune] != 25 || levels[catalog.LevelProvince] != 19 {
		t.Errorf("levels %v, want 25 commune and 19 province procedures", levels)
	}
	if sameDay != 8 {
		t.Errorf("%d same-day procedures, want the 8 documented in SOURCES.md", sameDay)
	}
}

func TestStepBudgetsMustAddUpToTheLegalLimit(t *testing.T) {
	hours := func(n int) calendar.Duration { return calendar.Duration{N: n, Unit: calendar.UnitWorkingHours} }
	days := func(n int) calendar.Duration { return calendar.Duration{N: n, Unit: calendar.UnitWorkingDays} }
	cal := func(n int) calendar.Duration { return calendar.Duration{N: n, Unit: calendar.UnitCalendarDays} }
	cases := []struct {
		name    string
		limit   calendar.Duration
		budgets []calendar.Duration
		key     string // "" when valid
		want    []string
	}{
		{"7 hours against one working day", days(1), []calendar.Duration{hours(4), hours(2), hours(1)}, "steps",
			[]string{"Tổng thời gian các bước (7 giờ làm việc) phải bằng đúng thời hạn giải quyết (1 ngày làm việc = 8 giờ làm việc)."}},
		{"8 hours make one working day", days(1), []calendar.Duration{hours(4), hours(3), hours(1)}, "", nil},
		{"days and hours mixed", days(3), []calendar.Duration{hours(4), days(2), hours(4)}, "", nil},
		{"one hour too many", days(3), []calendar.Duration{hours(4), days(2), hours(5)}, "steps", []string{"25 giờ làm việc", "3 ngày làm việc = 24 giờ làm việc"}},
		{"limit in hours", hours(16), []calendar.Duration{days(1), hours(8)}, "", nil},
		{"same day is one working day of budget", days(0), []calendar.Duration{hours(1), hours(4), hours(2), hours(1)}, "", nil},
		{"same day over budget", days(0), []calendar.Duration{hours(6), hours(4)}, "steps", []string{"trả trong ngày = 8 giờ làm việc"}},
		{"calendar days in calendar days", cal(10), []calendar.Duration{cal(1), cal(7), cal(2)}, "", nil},
		{"calendar days short", cal(10), []calendar.Duration{cal(1), cal(7)}, "steps", []string{"(8 ngày)", "(10 ngày)"}},
		{"calendar days in working days", cal(10), []calendar.Duration{days(10)}, "steps.0.budget", []string{"Bước 1", "tính bằng ngày"}},
		{"working days in calendar days", days(2), []calendar.Duration{cal(2)}, "steps.0.budget", []string{"giờ làm việc hoặc ngày làm việc"}},
		{"zero hours is not a limit", hours(0), []calendar.Duration{hours(0)}, "time_limit", []string{"phải lớn hơn 0"}},
		{"months in months", calendar.Duration{N: 2, Unit: calendar.UnitMonths}, []calendar.Duration{{N: 1, Unit: calendar.UnitMonths}, {N: 1, Unit: calendar.UnitMonths}}, "", nil},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			s := sample("", "Thủ tục thử")
			s.TimeLimit = c.limit
			s.Steps = nil
			for i, b := range c.budgets {
				s.Steps = append(s.Steps, catalog.Step{Name: "Bước", Role: catalog.StepRoles()[i%4], Budget: b})
			}
			s.Normalize()
			f := s.Validate()
			if c.key == "" {
				if len(f) > 0 {
					t.Fatalf("refused: %v", f)
				}
				return
			}
			msg, ok := f[c.key]
			if !ok {
				t.Fatalf("no problem reported at %q: %v", c.key, f)
			}
			for _, w := range c.want {
				if !strings.Contains(msg, w) {
					t.Errorf("message %q does not say %q", msg, w)
				}
			}
		})
	}
}

func TestValidationNamesEachProblem(t *testing.T) {
	cases := []struct {
		name   string
		change func(*catalog.Spec)
		key    string
		want   string
	}{
		{"name required", func(s *catalog.Spec) { s.Name = "  " }, "name", "Tên thủ tục là bắt buộc"},
		{"code format", func(s *catalog.Spec) { s.Code = "TTHC-1" }, "code", "1.001193"},
		{"field required", func(s *catalog.Spec) { s.Field = "" }, "field", "Lĩnh vực"},
		{"level", func(s *catalog.Spec) { s.Level = "district" }, "level", "cấp thực hiện"},
		{"agency kind", func(s *catalog.Spec) { s.AgencyKind = "ministry" }, "agency_kind", "loại cơ quan"},
		{"negative fee", func(s *catalog.Spec) { s.Fees[0].Amount = -1 }, "fees.0.amount", "Khoản phí thứ 1: số tiền không được âm"},
		{"fee kind", func(s *catalog.Spec) { s.Fees[0].Kind = "tax" }, "fees.0.kind", "lệ phí (fee) hoặc phí (charge)"},
		{"document name", func(s *catalog.Spec) { s.Documents[1].Name = "" }, "documents.1.name", "Giấy tờ thứ 2"},
		{"negative copies", func(s *catalog.Spec) { s.Documents[0].Copies = -2 }, "documents.0.copies", "số bản sao"},
		{"no steps", func(s *catalog.Spec) { s.Steps = nil }, "steps", "ít nhất một bước"},
		{"step role", func(s *catalog.Spec) { s.Steps[2].Role = actor.ProvinceAdmin }, "steps.2.role", "Bước 3: vai trò"},
		{"step name", func(s *catalog.Spec) { s.Steps[0].Name = "" }, "steps.0.name", "Bước 1: tên bước"},
		{"cut-off", func(s *catalog.Spec) { s.CutOff = "25:00" }, "cutoff", "GG:PP"},
		{"online level", func(s *catalog.Spec) { s.OnlineLevel = "level4" }, "online_level", "mức độ trực tuyến"},
		{"results", func(s *catalog.Spec) { s.Results = nil }, "results", "Kết quả"},
		{"legal basis line", func(s *catalog.Spec) { s.LegalBasis = append(s.LegalBasis, " ") }, "legal_basis.1", "Căn cứ pháp lý, dòng 2"},
		{"e-form", func(s *catalog.Spec) { s.Form.Fields[1].Name = "Số" }, "form.fields.1.name", "Trường thứ 2"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			s := sample("1.000001", "Thủ tục thử")
			c.change(&s)
			s.Normalize()
			f := s.Validate()
			if !strings.Contains(f[c.key], c.want) {
				t.Errorf("problem at %q = %q, want it to say %q (all: %v)", c.key, f[c.key], c.want, f)
			}
		})
	}
	s := sample("", "Thủ tục thử")
	s.CutOff = ""
	s.Normalize()
	if s.CutOff != "15:00" {
		t.Errorf("default cut-off %q, want 15:00", s.CutOff)
	}
	if f := s.Validate(); len(f) > 0 {
		t.Errorf("the sample is invalid: %v", f)
	}
	if s.AgencyKind != org.CommuneCommittee {
		t.Error("Normalize changed the agency kind")
	}
}
