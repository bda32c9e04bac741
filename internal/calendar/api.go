package calendar

import (
	"log/slog"
	"net/http"
	"strconv"
	"time"

	"github.com/congso/congso/internal/actor"
	"github.com/congso/congso/internal/apperr"
	"github.com/congso/congso/internal/httpx"
)

// API serves the working-day calendars as JSON.
type API struct {
	Svc *Service
	Log *slog.Logger
	Now func() time.Time
}

// Register adds the routes.
func (api API) Register(r *httpx.Router) {
	r.HandleFunc("GET /api/v1/calendar/years/{year}", api.year)
	r.HandleFunc("PUT /api/v1/calendar/years/{year}", api.saveYear)
	r.HandleFunc("GET /api/v1/calendar/due", api.due)
	r.HandleFunc("GET /api/v1/agencies/{id}/calendar", api.agency)
	r.HandleFunc("PUT /api/v1/agencies/{id}/calendar", api.saveAgency)
}

func (api API) fail(w http.ResponseWriter, r *http.Request, err error) {
	httpx.WriteError(w, r, api.Log, err)
}

func yearParam(r *http.Request) (int, error) {
	y, err := strconv.Atoi(r.PathValue("year"))
	if err != nil || y < MinYear || y > MaxYear {
		return 0, apperr.Field("year", "Năm phải từ 1900 đến 2100.")
	}
	return y, nil
}

type yearView struct {
	YearSchedule
	// Source says where the schedule comes from: shipped with the platform,
	// entered by an administrator, or generated from the Labour Code.
	Source Source `json:"source"`
}

func (api API) year(w http.ResponseWriter, r *http.Request) {
	y, err := yearParam(r)
	if err != nil {
		api.fail(w, r, err)
		return
	}
	s, src, err := api.Svc.Year(r.Context(), y)
	if err != nil {
		api.fail(w, r, err)
		return
	}
	httpx.WriteJSON(w, http.StatusOK, yearView{YearSchedule: s, Source: src})
}

func (api API) saveYear(w http.ResponseWriter, r *http.Request) {
	y, err := yearParam(r)
	if err != nil {
		api.fail(w, r, err)
		return
	}
	var in YearSchedule
	if err := httpx.DecodeJSON(w, r, &in); err != nil {
		api.fail(w, r, err)
		return
	}
	if in.Year == 0 {
		in.Year = y
	}
	if in.Year != y {
		api.fail(w, r, apperr.Field("year", "Năm trong nội dung khác năm trên đường dẫn."))
		return
	}
	if err := api.Svc.SaveYear(r.Context(), actor.From(r.Context()), in); err != nil {
		api.fail(w, r, err)
		return
	}
	api.year(w, r)
}

// due answers "when is a dossier received now due?" on an agency's calendar:
// ?received=RFC3339&n=5&unit=working_days[&agency_id=…][&cutoff=15:00].
func (api API) due(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	received := api.Now()
	if s := q.Get("received"); s != "" {
		t, err := time.Parse(time.RFC3339, s)
		if err != nil {
			api.fail(w, r, apperr.Field("received", "Thời điểm nhận không hợp lệ (RFC 3339, ví dụ 2026-11-23T09:30:00+07:00)."))
			return
		}
		received = t
	}
	n, err := strconv.Atoi(q.Get("n"))
	if err != nil || n < 0 || n > 3650 {
		api.fail(w, r, apperr.Field("n", "n là số nguyên từ 0 đến 3650."))
		return
	}
	var unit Unit
	if err := unit.UnmarshalText([]byte(q.Get("unit"))); err != nil {
		api.fail(w, r, apperr.Field("unit", "unit là working_hours, working_days, calendar_days hoặc months."))
		return
	}
	cutoff := DefaultCutOff
	if s := q.Get("cutoff"); s != "" {
		if cutoff, err = ParseClock(s); err != nil {
			api.fail(w, r, apperr.Field("cutoff", "Giờ chốt không hợp lệ (HH:MM)."))
			return
		}
	}
	cal, err := api.Svc.ForAgency(r.Context(), q.Get("agency_id"))
	if err != nil {
		api.fail(w, r, err)
		return
	}
	d := Duration{N: n, Unit: unit}
	due, err := cal.Due(received, d, cutoff)
	if err != nil {
		api.fail(w, r, apperr.Field("received", err.Error()))
		return
	}
	httpx.WriteJSON(w, http.StatusOK, map[string]any{"received": received, "limit": d, "limit_label": d.String(), "due": due})
}

func (api API) agency(w http.ResponseWriter, r *http.Request) {
	cfg, err := api.Svc.AgencyConfig(r.Context(), r.PathValue("id"))
	if err != nil {
		api.fail(w, r, err)
		return
	}
	httpx.WriteJSON(w, http.StatusOK, cfg)
}

func (api API) saveAgency(w http.ResponseWriter, r *http.Request) {
	var in AgencyConfig
	if err := httpx.DecodeJSON(w, r, &in); err != nil {
		api.fail(w, r, err)
		return
	}
	if err := api.Svc.SaveAgencyConfig(r.Context(), actor.From(r.Context()), r.PathValue("id"), in); err != nil {
		api.fail(w, r, err)
		return
	}
	api.agency(w, r)
}
