package plan

import (
	"embed"
	"encoding/json"
	"fmt"
	"io/fs"
	"sort"
	"strings"

	"github.com/congso/congso/internal/apperr"
	"github.com/congso/congso/internal/calendar"
	"github.com/congso/congso/internal/vntext"
)

// Definition is a plan as a file describes it: the shipped JSON files and
// imported workbooks both become one.
type Definition struct {
	Key       string `json:"key"`
	Title     string `json:"title"`
	Issuer    string `json:"issuer"`
	Number    string `json:"number"`
	IssuedOn  string `json:"issued_on"`
	Year      int    `json:"year"`
	Province  string `json:"province"`
	Source    string `json:"source"`
	ReportDay int    `json:"report_day"`
	// Agencies maps an agency's name as the plan writes it to the
	// electronic code of the platform's agency it now is (after the 2025
	// mergers, a department may live on in another).
	Agencies   map[string]string `json:"agencies"`
	Indicators []IndicatorDef    `json:"indicators"`
	Tasks      []TaskDef         `json:"tasks"`
}

// IndicatorDef is an indicator as a file describes it.
type IndicatorDef struct {
	Code     string  `json:"code"`
	Group    string  `json:"group"`
	Name     string  `json:"name"`
	Target   float64 `json:"target"`
	Baseline float64 `json:"baseline"`
	Unit     string  `json:"unit"`
	Deadline string  `json:"deadline"`
	Agency   string  `json:"agency"`
	Metric   string  `json:"metric,omitempty"`
}

// TaskDef is a task as a file describes it.
type TaskDef struct {
	Code     string `json:"code"`
	Section  string `json:"section"`
	Content  string `json:"content"`
	Expected string `json:"expected,omitempty"`
	Lead     string `json:"lead"`
	// Partners are the partner agencies as written, separated by ";".
	Partners string `json:"partners"`
	Deadline string `json:"deadline"`
}

//go:embed data/*.json
var shipped embed.FS

// Shipped returns the plans the platform ships as example data.
func Shipped() ([]Definition, error) {
	names, err := fs.Glob(shipped, "data/*.json")
	if err != nil {
		return nil, err
	}
	sort.Strings(names)
	var out []Definition
	for _, n := range names {
		b, err := shipped.ReadFile(n)
		if err != nil {
			return nil, err
		}
		var d Definition
		if err := json.Unmarshal(b, &d); err != nil {
			return nil, fmt.Errorf("%s: %w", n, err)
		}
		if err := d.Validate(); err != nil {
			return nil, fmt.Errorf("%s: %w", n, err)
		}
		out = append(out, d)
	}
	return out, nil
}

// Validate checks a definition and normalises its text; the errors name the
// row at fault, in Vietnamese.
func (d *Definition) Validate() error {
	f := apperr.Fields{}
	clean := func(s *string) { *s = vntext.NFC(*s) }
	for _, s := range []*string{&d.Key, &d.Title, &d.Issuer, &d.Number, &d.IssuedOn, &d.Province, &d.Source} {
		clean(s)
	}
	if d.Key == "" {
		f.Add("key", "Thiếu mã kế hoạch.")
	}
	if d.Title == "" {
		f.Add("title", "Thiếu tên kế hoạch.")
	}
	if d.Issuer == "" {
		f.Add("issuer", "Thiếu cơ quan ban hành.")
	}
	if d.Year < 2000 || d.Year > 2100 {
		f.Add("year", "Năm của kế hoạch không hợp lệ.")
	}
	if d.IssuedOn != "" {
		if _, err := calendar.ParseDate(d.IssuedOn); err != nil {
			f.Add("issued_on", "Ngày ban hành phải ghi dạng YYYY-MM-DD.")
		}
	}
	if d.ReportDay == 0 {
		d.ReportDay = 10
	}
	if d.ReportDay < 1 || d.ReportDay > 28 {
		f.Add("report_day", "Hạn báo cáo quý phải là một ngày từ 1 đến 28.")
	}
	seen := map[string]bool{}
	for i := range d.Indicators {
		in := &d.Indicators[i]
		for _, s := range []*string{&in.Code, &in.Group, &in.Name, &in.Unit, &in.Deadline, &in.Agency, &in.Metric} {
			clean(s)
		}
		row := fmt.Sprintf("Chỉ tiêu %d", i+1)
		switch {
		case in.Code == "":
			f.Add(fmt.Sprintf("indicators[%d].code", i), row+": thiếu mã.")
		case seen["i"+in.Code]:
			f.Add(fmt.Sprintf("indicators[%d].code", i), row+": mã "+in.Code+" bị trùng.")
		}
		seen["i"+in.Code] = true
		if in.Name == "" {
			f.Add(fmt.Sprintf("indicators[%d].name", i), row+": thiếu tên chỉ tiêu.")
		}
		if in.Unit == "" {
			f.Add(fmt.Sprintf("indicators[%d].unit", i), row+": thiếu đơn vị tính.")
		}
		if in.Agency == "" {
			f.Add(fmt.Sprintf("indicators[%d].agency", i), row+": thiếu cơ quan chịu trách nhiệm.")
		}
		if in.Metric != "" && !Metric(in.Metric).Valid() {
			f.Add(fmt.Sprintf("indicators[%d].metric", i), row+": chỉ số đo trực tiếp “"+in.Metric+"” không có.")
		}
		if _, err := ParseDeadline(in.Deadline); err != nil {
			f.Add(fmt.Sprintf("indicators[%d].deadline", i), row+": "+apperr.MessageOf(err))
		}
	}
	for i := range d.Tasks {
		t := &d.Tasks[i]
		for _, s := range []*string{&t.Code, &t.Section, &t.Content, &t.Expected, &t.Lead, &t.Partners, &t.Deadline} {
			clean(s)
		}
		row := fmt.Sprintf("Nhiệm vụ %d", i+1)
		switch {
		case t.Code == "":
			f.Add(fmt.Sprintf("tasks[%d].code", i), row+": thiếu số thứ tự.")
		case seen["t"+t.Code]:
			f.Add(fmt.Sprintf("tasks[%d].code", i), row+": số thứ tự "+t.Code+" bị trùng.")
		}
		seen["t"+t.Code] = true
		if t.Content == "" {
			f.Add(fmt.Sprintf("tasks[%d].content", i), row+": thiếu tên nhiệm vụ.")
		}
		if t.Lead == "" {
			f.Add(fmt.Sprintf("tasks[%d].lead", i), row+": thiếu đơn vị chủ trì.")
		}
		if _, err := ParseDeadline(t.Deadline); err != nil {
			f.Add(fmt.Sprintf("tasks[%d].deadline", i), row+": "+apperr.MessageOf(err))
		}
	}
	if len(d.Indicators) == 0 && len(d.Tasks) == 0 {
		f.Add("indicators", "Kế hoạch không có chỉ tiêu hay nhiệm vụ nào.")
	}
	return f.Err()
}

// splitAgencies splits a list of agencies written "A; B; C".
func splitAgencies(s string) []string {
	var out []string
	for _, p := range strings.Split(s, ";") {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return out
}
