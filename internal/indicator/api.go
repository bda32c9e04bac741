package indicator

import (
	"log/slog"
	"net/http"
	"strconv"
	"time"

	"github.com/congso/congso/internal/actor"
	"github.com/congso/congso/internal/apperr"
	"github.com/congso/congso/internal/httpx"
)

// API serves the scorecard as JSON. Scorecards, rankings and trends are
// public; the dossier lists behind them are for officials.
type API struct {
	Svc *Service
	Log *slog.Logger
	Now func() time.Time
}

// Register adds the routes.
func (api API) Register(r *httpx.Router) {
	r.HandleFunc("GET /api/v1/scorecard", api.scorecard)
	r.HandleFunc("GET /api/v1/scorecard/rules", api.rules)
	r.HandleFunc("GET /api/v1/scorecard/rankings", api.rankings)
	r.HandleFunc("GET /api/v1/scorecard/trend", api.trend)
	r.HandleFunc("GET /api/v1/scorecard/dossiers", api.dossiers)
}

func (api API) fail(w http.ResponseWriter, r *http.Request, err error) {
	httpx.WriteError(w, r, api.Log, err)
}

func (api API) scorecard(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	p, err := ParsePeriod(q, api.Now())
	if err != nil {
		api.fail(w, r, err)
		return
	}
	sc, err := api.Svc.Scorecard(r.Context(), actor.From(r.Context()), ParseScope(q), p)
	if err != nil {
		api.fail(w, r, err)
		return
	}
	httpx.WriteJSON(w, http.StatusOK, sc)
}

func (api API) rules(w http.ResponseWriter, _ *http.Request) {
	httpx.WriteJSON(w, http.StatusOK, struct {
		Versions []Rules `json:"versions"`
	}{api.Svc.Rules().Versions()})
}

func (api API) rankings(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	p, err := ParsePeriod(q, api.Now())
	if err != nil {
		api.fail(w, r, err)
		return
	}
	kind := ScopeKind(q.Get("kind"))
	if kind == "" {
		kind = Agency
	}
	rk, err := api.Svc.Rank(r.Context(), kind, p)
	if err != nil {
		api.fail(w, r, err)
		return
	}
	httpx.WriteJSON(w, http.StatusOK, rk)
}

func (api API) trend(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	p, err := ParsePeriod(q, api.Now())
	if err != nil {
		api.fail(w, r, err)
		return
	}
	pts, err := api.Svc.Trend(r.Context(), ParseScope(q), p)
	if err != nil {
		api.fail(w, r, err)
		return
	}
	httpx.WriteJSON(w, http.StatusOK, struct {
		Points []TrendPoint `json:"points"`
	}{pts})
}

func (api API) dossiers(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	p, err := ParsePeriod(q, api.Now())
	if err != nil {
		api.fail(w, r, err)
		return
	}
	page := 1
	if v := q.Get("page"); v != "" {
		if page, err = strconv.Atoi(v); err != nil || page < 1 || page > 100000 {
			api.fail(w, r, apperr.Field("page", "Số trang không hợp lệ."))
			return
		}
	}
	part := q.Get("part")
	if part == "" {
		part = "den"
	}
	d, err := api.Svc.Dossiers(r.Context(), actor.From(r.Context()), ParseScope(q), p, q.Get("criterion"), part, page)
	if err != nil {
		api.fail(w, r, err)
		return
	}
	httpx.WriteJSON(w, http.StatusOK, d)
}
