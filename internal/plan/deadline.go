package plan

import (
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/congso/congso/internal/apperr"
	"github.com/congso/congso/internal/calendar"
	"github.com/congso/congso/internal/vntext"
)

// Deadline is a deadline as a plan writes it and the date it means.
type Deadline struct {
	// Text is the deadline as written: "Quý III/2024", "Tháng 6/2024",
	// "Năm 2024", "Trước 30/6/2024", "2023-2025", "Thường xuyên".
	Text string `json:"text"`
	// Start is the first day of the period the text names (for "2023-2025",
	// 1 January 2023); zero when the text names no period.
	Start calendar.Date `json:"start,omitzero"`
	// Due is the last day the work may take; zero for recurring work.
	Due calendar.Date `json:"due,omitzero"`
	// Recurring marks work done continuously or periodically ("thường
	// xuyên", "định kỳ", "hàng tháng", "hàng năm"), which has no end.
	Recurring bool `json:"recurring"`
}

var (
	reQuarter = regexp.MustCompile(`^(?:trong )?quy ([ivx]+|[1-4])[ /.-]+(?:nam )?(\d{4})$`)
	reMonth   = regexp.MustCompile(`^(?:trong )?thang (\d{1,2})[ /.-]+(?:nam )?(\d{4})$`)
	reYear    = regexp.MustCompile(`^(?:trong )?(?:nam )?(\d{4})$`)
	reRange   = regexp.MustCompile(`^(?:giai doan )?(\d{4}) ?[-–] ?(\d{4})$`)
	reBefore  = regexp.MustCompile(`^(?:truoc ngay|truoc|han|den ngay|cham nhat) ?(\d{1,2})/(\d{1,2})/(\d{4})$`)
	reDate    = regexp.MustCompile(`^(?:ngay )?(\d{1,2})/(\d{1,2})/(\d{4})$`)
	recurring = []string{"thuong xuyen", "dinh ky", "hang thang", "hang quy", "hang nam", "lien tuc"}
)

var romanQuarter = map[string]int{"i": 1, "ii": 2, "iii": 3, "iv": 4, "1": 1, "2": 2, "3": 3, "4": 4}

// ParseDeadline reads a deadline as plans write it. Unknown wording is an
// Invalid error naming the text, so that an import stops rather than
// guessing.
func ParseDeadline(text string) (Deadline, error) {
	text = strings.Join(strings.Fields(vntext.NFC(text)), " ")
	d := Deadline{Text: text}
	f := strings.Trim(vntext.Fold(text), " .")
	if f == "" {
		return d, apperr.Field("deadline", "Thiếu thời hạn.")
	}
	for _, w := range recurring {
		if strings.HasPrefix(f, w) {
			d.Recurring = true
			return d, nil
		}
	}
	bad := func() (Deadline, error) {
		return d, apperr.Field("deadline", "Không hiểu thời hạn “"+text+"”: hãy ghi như “Quý III/2024”, “Tháng 6/2024”, “Năm 2024”, “Trước 30/6/2024”, “2023-2025” hoặc “Thường xuyên”.")
	}
	year := func(s string) (int, bool) {
		y, err := strconv.Atoi(s)
		return y, err == nil && y >= 2000 && y <= 2100
	}
	if m := reQuarter.FindStringSubmatch(f); m != nil {
		q, ok1 := romanQuarter[m[1]]
		y, ok2 := year(m[2])
		if !ok1 || !ok2 {
			return bad()
		}
		d.Start = calendar.Date{Year: y, Month: time.Month(3*q - 2), Day: 1}
		d.Due = d.Start.AddMonths(3).AddDays(-1)
		return d, nil
	}
	if m := reMonth.FindStringSubmatch(f); m != nil {
		mo, _ := strconv.Atoi(m[1])
		y, ok := year(m[2])
		if !ok || mo < 1 || mo > 12 {
			return bad()
		}
		d.Start = calendar.Date{Year: y, Month: time.Month(mo), Day: 1}
		d.Due = d.Start.AddMonths(1).AddDays(-1)
		return d, nil
	}
	if m := reYear.FindStringSubmatch(f); m != nil {
		y, ok := year(m[1])
		if !ok {
			return bad()
		}
		d.Start, d.Due = calendar.Date{Year: y, Month: 1, Day: 1}, calendar.Date{Year: y, Month: 12, Day: 31}
		return d, nil
	}
	if m := reRange.FindStringSubmatch(f); m != nil {
		y1, ok1 := year(m[1])
		y2, ok2 := year(m[2])
		if !ok1 || !ok2 || y2 < y1 {
			return bad()
		}
		d.Start, d.Due = calendar.Date{Year: y1, Month: 1, Day: 1}, calendar.Date{Year: y2, Month: 12, Day: 31}
		return d, nil
	}
	m := reBefore.FindStringSubmatch(f)
	if m == nil {
		m = reDate.FindStringSubmatch(f)
	}
	if m != nil {
		day, _ := strconv.Atoi(m[1])
		mo, _ := strconv.Atoi(m[2])
		y, ok := year(m[3])
		due := calendar.Date{Year: y, Month: time.Month(mo), Day: day}
		if !ok || !due.Valid() {
			return bad()
		}
		d.Due = due
		return d, nil
	}
	return bad()
}
