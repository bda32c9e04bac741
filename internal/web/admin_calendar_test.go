package web

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
)

func TestCalendarPages(t *testing.T) {
	app := newAdminApp(t)
	clerk := app.signIn("tiepnhan")
	res, body := clerk.get("/admin/calendar?year=2026")
	wantStatus(t, res, body, http.StatusOK)
	// The shipped 2026 decision: Tết off from Saturday 14 to Sunday 22 February, make-up Saturday 10 January.
	wantText(t, body, "2026-02-16", "2026-01-10", "Làm bù")
	wantNoText(t, body, "Nhập quyết định nghỉ lễ") // only province admins edit

	// The deadline calculator: 5 working days from Friday 13 February 2026, 10:00, run over Tết.
	res, body = clerk.get("/admin/calendar/due?received=2026-02-13T10%3A00&n=5&unit=working_days")
	wantStatus(t, res, body, http.StatusOK)
	wantText(t, body, "27/02/2026")

	// A year without a decision follows the Labour Code; the admin enters the decision.
	admin := app.signIn("admin")
	res, body = admin.get("/admin/calendar?year=2027")
	wantStatus(t, res, body, http.StatusOK)
	wantText(t, body, "Bộ luật Lao động")
	// A make-up working day must fall on a weekend: Thursday 4 February 2027 is refused.
	res, body = admin.post("/admin/calendar/2027", url.Values{"basis": {"x"}, "entries": {
		"2027-01-01 | holiday | Tết Dương lịch\n2027-02-04 | makeup | Làm bù"}})
	wantStatus(t, res, body, http.StatusUnprocessableEntity)
	wantText(t, body, "thứ Bảy hoặc Chủ nhật")
	res, body = admin.post("/admin/calendar/2027", url.Values{"basis": {"Thông báo số 01/TB-BNV"}, "entries": {
		"2027-01-01 | holiday | Tết Dương lịch\n2027-02-05 | compensatory | Nghỉ bù"}})
	wantStatus(t, res, body, http.StatusOK)
	wantText(t, body, "Thông báo số 01/TB-BNV", "Nghỉ bù")
	// Bad lines are refused with the line named, and nothing changes.
	res, body = admin.post("/admin/calendar/2027", url.Values{"entries": {"2027-13-40 | holiday | x"}})
	wantStatus(t, res, body, http.StatusUnprocessableEntity)
	wantText(t, body, "Dòng 1")
	_, body = admin.get("/admin/calendar?year=2027")
	wantText(t, body, "Nghỉ bù")

	// An agency admin gives the desk Saturday mornings; another agency's admin may not.
	stp := app.agencies["stp"].ID
	quantri := app.signIn("quantri.stp")
	res, body = quantri.post("/admin/calendar/agencies/"+stp, url.Values{"day1": {"07:00-11:30, 13:30-17:00"}, "day2": {"07:00-11:30, 13:30-17:00"},
		"day3": {"07:00-11:30, 13:30-17:00"}, "day4": {"07:00-11:30, 13:30-17:00"}, "day5": {"07:00-11:30, 13:30-17:00"}, "day6": {"07:00-11:30"}})
	wantStatus(t, res, body, http.StatusOK)
	if !strings.Contains(body, `value="07:00-11:30"`) {
		t.Fatalf("Saturday morning not saved:\n%s", text(body))
	}
	res, body = quantri.post("/admin/calendar/agencies/"+app.agencies["sxd"].ID, url.Values{"day6": {"07:00-11:30"}})
	wantStatus(t, res, body, http.StatusForbidden)
	res, body = quantri.post("/admin/calendar/agencies/"+stp, url.Values{"day1": {"11:30-07:00"}})
	wantStatus(t, res, body, http.StatusUnprocessableEntity)
}
