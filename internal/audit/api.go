package audit

import (
	"log/slog"
	"net/http"
	"strconv"

	"github.com/congso/congso/internal/actor"
	"github.com/congso/congso/internal/apperr"
	"github.com/congso/congso/internal/httpx"
)

// API serves the audit log as JSON.
type API struct {
	Log    *Log
	Logger *slog.Logger
}

// Register adds the routes.
func (api API) Register(r *httpx.Router) {
	r.HandleFunc("GET /api/v1/audit", api.list)
}

func (api API) list(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	limit, err := httpx.Limit(r, 100, 500)
	if err != nil {
		httpx.WriteError(w, r, api.Logger, err)
		return
	}
	f := Filter{ActorID: q.Get("actor_id"), ObjectType: q.Get("object_type"), ObjectID: q.Get("object_id"), Action: q.Get("action"), Limit: limit + 1}
	if c := q.Get("cursor"); c != "" {
		pos, err := httpx.DecodeCursor(c)
		if err == nil {
			f.Before, err = strconv.ParseInt(pos, 10, 64)
		}
		if err != nil {
			httpx.WriteError(w, r, api.Logger, apperr.Field("cursor", "Con trỏ phân trang không hợp lệ."))
			return
		}
	}
	entries, err := api.Log.List(r.Context(), actor.From(r.Context()), f)
	if err != nil {
		httpx.WriteError(w, r, api.Logger, err)
		return
	}
	httpx.WriteJSON(w, http.StatusOK, httpx.NewPage(entries, limit, func(e Entry) string { return strconv.FormatInt(e.ID, 10) }))
}
