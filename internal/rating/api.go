package rating

import (
	"log/slog"
	"net/http"
	"time"

	"github.com/congso/congso/internal/actor"
	"github.com/congso/congso/internal/apperr"
	"github.com/congso/congso/internal/calendar"
	"github.com/congso/congso/internal/httpx"
)

// API serves ratings, complaints and the satisfaction figures as JSON.
type API struct {
	Svc *Service
	Log *slog.Logger
}

// Register adds the routes.
func (api API) Register(r *httpx.Router) {
	r.HandleFunc("GET /api/v1/ratings/criteria", api.criteria)
	r.HandleFunc("POST /api/v1/dossiers/{code}/rating", api.rate)
	r.HandleFunc("GET /api/v1/dossiers/{code}/rating", api.rating)
	r.HandleFunc("POST /api/v1/dossiers/{code}/complaints", api.file)
	r.HandleFunc("GET /api/v1/dossiers/{code}/complaints", api.dossierComplaints)
	r.HandleFunc("GET /api/v1/complaints", api.complaints)
	r.HandleFunc("GET /api/v1/complaints/{id}", api.complaint)
	r.HandleFunc("POST /api/v1/complaints/{id}/answer", api.answer)
	r.HandleFunc("GET /api/v1/satisfaction", api.satisfaction)
}

func (api API) fail(w http.ResponseWriter, r *http.Request, err error) {
	httpx.WriteError(w, r, api.Log, err)
}

func (api API) criteria(w http.ResponseWriter, r *http.Request) {
	c := api.Svc.Criteria()
	if v := r.URL.Query().Get("version"); v != "" {
		var ok bool
		if c, ok = api.Svc.CriteriaVersion(v); !ok {
			api.fail(w, r, apperr.New(apperr.NotFound, "Không có bộ tiêu chí phiên bản %q.", v))
			return
		}
	}
	type level struct {
		Level Level  `json:"level"`
		Label string `json:"label"`
	}
	var levels []level
	for _, l := range Levels() {
		levels = append(levels, level{l, l.Label()})
	}
	httpx.WriteJSON(w, http.StatusOK, struct {
		Criteria
		Levels []level `json:"levels"`
	}{c, levels})
}

func (api API) rate(w http.ResponseWriter, r *http.Request) {
	var in RateInput
	if err := httpx.DecodeJSON(w, r, &in); err != nil {
		api.fail(w, r, err)
		return
	}
	rt, err := api.Svc.Rate(r.Context(), actor.From(r.Context()), r.PathValue("code"), in)
	if err != nil {
		api.fail(w, r, err)
		return
	}
	httpx.WriteJSON(w, http.StatusCreated, rt)
}

func (api API) rating(w http.ResponseWriter, r *http.Request) {
	rt, err := api.Svc.RatingOf(r.Context(), actor.From(r.Context()), r.PathValue("code"))
	if err != nil {
		api.fail(w, r, err)
		return
	}
	httpx.WriteJSON(w, http.StatusOK, rt)
}

func (api API) file(w http.ResponseWriter, r *http.Request) {
	var in ComplaintInput
	if err := httpx.DecodeJSON(w, r, &in); err != nil {
		api.fail(w, r, err)
		return
	}
	c, err := api.Svc.File(r.Context(), actor.From(r.Context()), r.PathValue("code"), in)
	if err != nil {
		api.fail(w, r, err)
		return
	}
	w.Header().Set("Location", "/api/v1/complaints/"+c.ID)
	httpx.WriteJSON(w, http.StatusCreated, c)
}

// filterOf reads the list filters from the query string.
func filterOf(r *http.Request) (ComplaintFilter, int, error) {
	q := r.URL.Query()
	limit, err := httpx.Limit(r, 50, 500)
	if err != nil {
		return ComplaintFilter{}, 0, err
	}
	f := ComplaintFilter{State: State(q.Get("state")), AgencyID: q.Get("agency_id"), Limit: limit + 1}
	if f.After, err = httpx.DecodeCursor(q.Get("cursor")); err != nil {
		return ComplaintFilter{}, 0, err
	}
	return f, limit, nil
}

func (api API) listed(w http.ResponseWriter, r *http.Request, f ComplaintFilter, limit int) {
	items, err := api.Svc.Complaints(r.Context(), actor.From(r.Context()), f)
	if err != nil {
		api.fail(w, r, err)
		return
	}
	httpx.WriteJSON(w, http.StatusOK, httpx.NewPage(items, limit, f.Cursor))
}

func (api API) complaints(w http.ResponseWriter, r *http.Request) {
	f, limit, err := filterOf(r)
	if err != nil {
		api.fail(w, r, err)
		return
	}
	f.DossierCode = r.URL.Query().Get("dossier_code")
	api.listed(w, r, f, limit)
}

func (api API) dossierComplaints(w http.ResponseWriter, r *http.Request) {
	f, limit, err := filterOf(r)
	if err != nil {
		api.fail(w, r, err)
		return
	}
	f.DossierCode = r.PathValue("code")
	if f.DossierCode == "" {
		api.fail(w, r, apperr.New(apperr.NotFound, "Không tìm thấy hồ sơ."))
		return
	}
	api.listed(w, r, f, limit)
}

func (api API) complaint(w http.ResponseWriter, r *http.Request) {
	c, err := api.Svc.Complaint(r.Context(), actor.From(r.Context()), r.PathValue("id"))
	if err != nil {
		api.fail(w, r, err)
		return
	}
	httpx.WriteJSON(w, http.StatusOK, c)
}

func (api API) answer(w http.ResponseWriter, r *http.Request) {
	var in AnswerInput
	if err := httpx.DecodeJSON(w, r, &in); err != nil {
		api.fail(w, r, err)
		return
	}
	c, err := api.Svc.Answer(r.Context(), actor.From(r.Context()), r.PathValue("id"), in)
	if err != nil {
		api.fail(w, r, err)
		return
	}
	httpx.WriteJSON(w, http.StatusOK, c)
}

// PeriodOf reads a period given as two dates, both included, in Vietnam
// (?from=2026-03-01&to=2026-03-31), as the instants [from 00:00, the day
// after to 00:00).
func PeriodOf(from, to string) (time.Time, time.Time, error) {
	f := apperr.Fields{}
	var start, end calendar.Date
	var err error
	if start, err = calendar.ParseDate(from); err != nil {
		f.Add("from", "Ngày bắt đầu không hợp lệ (định dạng YYYY-MM-DD).")
	}
	if end, err = calendar.ParseDate(to); err != nil {
		f.Add("to", "Ngày kết thúc không hợp lệ (định dạng YYYY-MM-DD).")
	}
	if err := f.Err(); err != nil {
		return time.Time{}, time.Time{}, err
	}
	if end.Before(start) {
		return time.Time{}, time.Time{}, apperr.Field("to", "Ngày kết thúc phải không trước ngày bắt đầu.")
	}
	return start.At(0), end.AddDays(1).At(0), nil
}

func (api API) satisfaction(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	from, to, err := PeriodOf(q.Get("from"), q.Get("to"))
	if err != nil {
		api.fail(w, r, err)
		return
	}
	sum, err := api.Svc.Aggregate(r.Context(), actor.From(r.Context()), AggregateQuery{From: from, To: to, AgencyIDs: q["agency_id"]})
	if err != nil {
		api.fail(w, r, err)
		return
	}
	httpx.WriteJSON(w, http.StatusOK, sum)
}
