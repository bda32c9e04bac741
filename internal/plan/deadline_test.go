package plan_test

import (
	"testing"

	"github.com/congso/congso/internal/calendar"
	"github.com/congso/congso/internal/plan"
)

func TestParseDeadline(t *testing.T) {
	d := func(s string) calendar.Date {
		v, err := calendar.ParseDate(s)
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
	cases := []struct {
		text       string
		start, due string
		recurring  bool
		bad        bool
	}{
		{text: "Quý III/2024", start: "2024-07-01", due: "2024-09-30"},
		{text: "Quý I/2024", start: "2024-01-01", due: "2024-03-31"},
		{text: "quý iv/2024", start: "2024-10-01", due: "2024-12-31"},
		{text: "Quý 2 năm 2024", start: "2024-04-01", due: "2024-06-30"},
		{text: "Tháng 6/2024", start: "2024-06-01", due: "2024-06-30"},
		{text: "Tháng 2/2024", start: "2024-02-01", due: "2024-02-29"},
		{text: "Tháng 12/2024", start: "2024-12-01", due: "2024-12-31"},
		{text: "Năm 2024", start: "2024-01-01", due: "2024-12-31"},
		{text: "2023", start: "2023-01-01", due: "2023-12-31"},
		{text: "2023-2025", start: "2023-01-01", due: "2025-12-31"},
		{text: "2023 - 2024", start: "2023-01-01", due: "2024-12-31"},
		{text: "Trước 30/6/2024", due: "2024-06-30"},
		{text: "15/11/2023", due: "2023-11-15"},
		{text: "Thường xuyên", recurring: true},
		{text: "thuong xuyen", recurring: true},
		{text: "Định kỳ hàng tháng theo Kế hoạch số 210/KH-UBND", recurring: true},
		{text: "Định kỳ (Tháng/quý/năm)", recurring: true},
		{text: "Hàng năm", recurring: true},
		{text: "", bad: true},
		{text: "Quý V/2024", bad: true},
		{text: "Tháng 13/2024", bad: true},
		{text: "Trước 31/2/2024", bad: true},
		{text: "2025-2023", bad: true},
		{text: "sớm nhất có thể", bad: true},
	}
	for _, c := range cases {
		got, err := plan.ParseDeadline(c.text)
		if c.bad {
			if err == nil {
				t.Errorf("%q: parsed as %+v, want an error", c.text, got)
			}
			continue
		}
		if err != nil {
			t.Errorf("%q: %v", c.text, err)
			continue
		}
		if got.Recurring != c.recurring {
			t.Errorf("%q: recurring = %v", c.text, got.Recurring)
		}
		var start, due calendar.Date
		if c.start != "" {
			start = d(c.start)
		}
		if c.due != "" {
			due = d(c.due)
		}
		if got.Start != start || got.Due != due {
			t.Errorf("%q: start %v due %v, want %v %v", c.text, got.Start, got.Due, start, due)
		}
	}
}

func TestJudge(t *testing.T) {
	d := func(s string) calendar.Date { v, _ := calendar.ParseDate(s); return v }
	v := func(x float64) *float64 { return &x }
	start, due := d("2024-01-01"), d("2024-12-31")
	cases := []struct {
		name           string
		actual         *float64
		baseline, targ float64
		due, day       calendar.Date
		want           plan.Status
		expected       float64
	}{
		{"no value", nil, 0, 100, due, d("2024-07-01"), plan.NoData, 49.9},
		{"ahead of the line", v(60), 0, 100, due, d("2024-07-01"), plan.OnTrack, 49.9},
		{"behind the line", v(40), 0, 100, due, d("2024-07-01"), plan.AtRisk, 49.9},
		{"from a baseline", v(88.5), 88, 90, due, d("2024-07-01"), plan.AtRisk, 89},
		{"target reached early", v(95), 88, 90, due, d("2024-02-01"), plan.OnTrack, 88.2},
		{"on the due day, below target", v(89), 88, 90, due, due, plan.AtRisk, 90},
		{"after the due day, below target", v(89), 88, 90, due, d("2025-01-01"), plan.Missed, 90},
		{"after the due day, reached", v(90), 88, 90, due, d("2025-01-01"), plan.OnTrack, 90},
		{"recurring, below target", v(80), 0, 90, calendar.Date{}, d("2024-07-01"), plan.AtRisk, 90},
		{"recurring, reached", v(91), 0, 90, calendar.Date{}, d("2024-07-01"), plan.OnTrack, 90},
	}
	for _, c := range cases {
		got, exp := plan.Judge(c.actual, c.baseline, c.targ, start, c.due, c.day)
		if got != c.want {
			t.Errorf("%s: status %s, want %s", c.name, got, c.want)
		}
		if diff := exp - c.expected; diff > 0.05 || diff < -0.05 {
			t.Errorf("%s: expected value %.2f, want %.1f", c.name, exp, c.expected)
		}
	}
}
