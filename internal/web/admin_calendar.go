package web

import (
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/congso/congso/internal/actor"
	"github.com/congso/congso/internal/apperr"
	"github.com/congso/congso/internal/calendar"
)

// The working-day calendar pages: the days off of a year as the government
// decided them (province admins enter each year's decision), an agency's own
// week, and a deadline calculator for the counters.
func (s *Server) registerAdminCalendar(mux *http.ServeMux) {
	mux.HandleFunc("GET /admin/calendar", s.adminCalendar)
	mux.HandleFunc("POST /admin/calendar/{year}", s.adminCalendarSave)
	mux.HandleFunc("GET /admin/calendar/due", s.adminCalendarDue)
	mux.HandleFunc("GET /admin/calendar/agencies/{id}", s.adminAgencyCalendar)
	mux.HandleFunc("POST /admin/calendar/agencies/{id}", s.adminAgencyCalendarSave)
}

type calendarEntryView struct {
	calendar.Entry
	Weekday string
	Label   string
}

type calendarData struct {
	Year    int
	Prev    int
	Next    int
	Source  calendar.Source
	Basis   string
	Entries []calendarEntryView
	// Text is the schedule as the edit form shows it: one day a line.
	Text    string
	CanEdit bool
	Due     *dueView
}

type dueView struct {
	Received time.Time
	Limit    string
	Due      time.Time
}

func (s *Server) calendarPage(r *http.Request, a *actor.Actor, year int) (Page, error) {
	y, src, err := s.Calendar.Year(r.Context(), year)
	if err != nil {
		return Page{}, err
	}
	d := calendarData{Year: year, Prev: year - 1, Next: year + 1, Source: src, Basis: y.Basis, CanEdit: a.ProvinceAdmin()}
	var lines []string
	for _, e := range y.Entries {
		d.Entries = append(d.Entries, calendarEntryView{Entry: e, Weekday: calendar.WeekdayName(e.Date.Weekday()), Label: e.Kind.Label()})
		lines = append(lines, fmt.Sprintf("%s | %s | %s", e.Date, e.Kind, e.Name))
	}
	d.Text = strings.Join(lines, "\n")
	return s.page(r, translate(langOf(r), "calendar.title"), d), nil
}

func yearOf(r *http.Request, now time.Time) (int, error) {
	v := r.FormValue("year")
	if v == "" {
		v = r.PathValue("year")
	}
	if v == "" {
		return now.In(vietnam).Year(), nil
	}
	y, err := strconv.Atoi(v)
	if err != nil || y < calendar.MinYear || y > calendar.MaxYear {
		return 0, apperr.Field("year", "Năm phải từ 1900 đến 2100.")
	}
	return y, nil
}

func (s *Server) adminCalendar(w http.ResponseWriter, r *http.Request) {
	a := s.signedIn(w, r)
	if a == nil {
		return
	}
	year, err := yearOf(r, s.Now())
	if err != nil {
		s.fail(w, r, err)
		return
	}
	p, err := s.calendarPage(r, a, year)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	s.render(w, r, http.StatusOK, "admin_calendar", p)
}

// parseSchedule reads the edit form: one day a line, "YYYY-MM-DD | kind | name".
func parseSchedule(year int, basis, text string) (calendar.YearSchedule, error) {
	y := calendar.YearSchedule{Year: year, Basis: strings.TrimSpace(basis)}
	for i, line := range strings.Split(strings.ReplaceAll(text, "\r", ""), "\n") {
		if strings.TrimSpace(line) == "" {
			continue
		}
		parts := strings.SplitN(line, "|", 3)
		if len(parts) != 3 {
			return y, apperr.Field("entries", fmt.Sprintf("Dòng %d: cần dạng \"YYYY-MM-DD | loại | tên ngày\".", i+1))
		}
		d, err := calendar.ParseDate(strings.TrimSpace(parts[0]))
		if err != nil {
			return y, apperr.Field("entries", fmt.Sprintf("Dòng %d: ngày không hợp lệ.", i+1))
		}
		y.Entries = append(y.Entries, calendar.Entry{Date: d, Kind: calendar.Kind(strings.TrimSpace(parts[1])), Name: strings.TrimSpace(parts[2])})
	}
	return y, nil
}

func (s *Server) adminCalendarSave(w http.ResponseWriter, r *http.Request) {
	a := s.signedIn(w, r)
	if a == nil {
		return
	}
	if err := parseForm(w, r); err != nil {
		s.fail(w, r, err)
		return
	}
	year, err := yearOf(r, s.Now())
	if err != nil {
		s.fail(w, r, err)
		return
	}
	y, err := parseSchedule(year, r.PostForm.Get("basis"), r.PostForm.Get("entries"))
	if err == nil {
		err = s.Calendar.SaveYear(r.Context(), a, y)
	}
	if err != nil {
		p, perr := s.calendarPage(r, a, year)
		if perr != nil {
			s.fail(w, r, perr)
			return
		}
		s.formError(w, r, "admin_calendar", p, err)
		return
	}
	s.redirect(w, r, fmt.Sprintf("/admin/calendar?year=%d", year), fmt.Sprintf(translate(langOf(r), "calendar.saved"), year))
}

// adminCalendarDue answers "when is a dossier received at … with a limit of
// … due?" on the national calendar or an agency's.
func (s *Server) adminCalendarDue(w http.ResponseWriter, r *http.Request) {
	a := s.signedIn(w, r)
	if a == nil {
		return
	}
	now := s.Now()
	p, err := s.calendarPage(r, a, now.In(vietnam).Year())
	if err != nil {
		s.fail(w, r, err)
		return
	}
	q := r.URL.Query()
	p.Form = q
	received, err := time.ParseInLocation("2006-01-02T15:04", q.Get("received"), vietnam)
	if err != nil {
		s.formError(w, r, "admin_calendar", p, apperr.Field("received", "Thời điểm nhận không hợp lệ."))
		return
	}
	n, err := strconv.Atoi(q.Get("n"))
	var unit calendar.Unit
	if err != nil || n < 0 || n > 3650 || unit.UnmarshalText([]byte(q.Get("unit"))) != nil {
		s.formError(w, r, "admin_calendar", p, apperr.Field("n", "Thời hạn không hợp lệ."))
		return
	}
	cal, err := s.Calendar.ForAgency(r.Context(), q.Get("agency_id"))
	if err != nil {
		s.fail(w, r, err)
		return
	}
	limit := calendar.Duration{N: n, Unit: unit}
	due, err := cal.Due(received, limit, calendar.DefaultCutOff)
	if err != nil {
		s.formError(w, r, "admin_calendar", p, apperr.Field("received", err.Error()))
		return
	}
	d := p.Data.(calendarData)
	d.Due = &dueView{Received: received, Limit: limit.String(), Due: due}
	p.Data = d
	s.render(w, r, http.StatusOK, "admin_calendar", p)
}

type agencyCalendarData struct {
	AgencyID   string
	AgencyName string
	Days       []agencyDay
	Overrides  string
	Breaks     bool
	CanEdit    bool
}

type agencyDay struct {
	Weekday int
	Name    string
	Spans   string
}

func (s *Server) agencyCalendarPage(r *http.Request, a *actor.Actor, id string) (Page, error) {
	ag, err := s.Org.Agency(r.Context(), id)
	if err != nil {
		return Page{}, err
	}
	cfg, err := s.Calendar.AgencyConfig(r.Context(), id)
	if err != nil {
		return Page{}, err
	}
	d := agencyCalendarData{AgencyID: id, AgencyName: ag.Name, Breaks: cfg.NationalBreaks, CanEdit: a.CanAdminister(id)}
	week := cfg.Week
	if len(week) == 0 {
		week = map[time.Weekday][]string{}
		for day := time.Monday; day <= time.Friday; day++ {
			week[day] = []string{"07:00-11:30", "13:30-17:00"}
		}
	}
	for _, day := range []time.Weekday{time.Monday, time.Tuesday, time.Wednesday, time.Thursday, time.Friday, time.Saturday, time.Sunday} {
		d.Days = append(d.Days, agencyDay{Weekday: int(day), Name: calendar.WeekdayName(day), Spans: strings.Join(week[day], ", ")})
	}
	var lines []string
	for _, e := range cfg.Overrides {
		lines = append(lines, fmt.Sprintf("%s | %s | %s", e.Date, e.Kind, e.Name))
	}
	d.Overrides = strings.Join(lines, "\n")
	return s.page(r, translate(langOf(r), "calendar.agency"), d), nil
}

func (s *Server) adminAgencyCalendar(w http.ResponseWriter, r *http.Request) {
	a := s.signedIn(w, r)
	if a == nil {
		return
	}
	p, err := s.agencyCalendarPage(r, a, r.PathValue("id"))
	if err != nil {
		s.fail(w, r, err)
		return
	}
	s.render(w, r, http.StatusOK, "admin_calendar_agency", p)
}

func (s *Server) adminAgencyCalendarSave(w http.ResponseWriter, r *http.Request) {
	a := s.signedIn(w, r)
	if a == nil {
		return
	}
	if err := parseForm(w, r); err != nil {
		s.fail(w, r, err)
		return
	}
	id := r.PathValue("id")
	cfg := calendar.AgencyConfig{Week: map[time.Weekday][]string{}, NationalBreaks: r.PostForm.Get("national_breaks") == "on"}
	for day := time.Sunday; day <= time.Saturday; day++ {
		for _, span := range strings.Split(r.PostForm.Get(fmt.Sprintf("day%d", day)), ",") {
			if span = strings.TrimSpace(span); span != "" {
				cfg.Week[day] = append(cfg.Week[day], span)
			}
		}
	}
	var err error
	if text := strings.TrimSpace(r.PostForm.Get("overrides")); text != "" {
		var y calendar.YearSchedule
		y, err = parseSchedule(0, "", text)
		cfg.Overrides = y.Entries
	}
	if err == nil {
		err = s.Calendar.SaveAgencyConfig(r.Context(), a, id, cfg)
	}
	if err != nil {
		p, perr := s.agencyCalendarPage(r, a, id)
		if perr != nil {
			s.fail(w, r, perr)
			return
		}
		s.formError(w, r, "admin_calendar_agency", p, err)
		return
	}
	s.redirect(w, r, "/admin/calendar/agencies/"+id, translate(langOf(r), "calendar.agency.saved"))
}
