package notify

import (
	"log/slog"
	"net/http"

	"github.com/congso/congso/internal/actor"
	"github.com/congso/congso/internal/apperr"
	"github.com/congso/congso/internal/httpx"
)

// API serves the channel as JSON: the caller's preferences and messages, and
// the outbox for province administrators.
type API struct {
	Svc *Service
	Log *slog.Logger
}

// Register adds the routes.
func (api API) Register(r *httpx.Router) {
	r.HandleFunc("GET /api/v1/me/notification-preferences", api.preferences)
	r.HandleFunc("PUT /api/v1/me/notification-preferences", api.setPreferences)
	r.HandleFunc("GET /api/v1/me/notifications", api.mine)
	r.HandleFunc("GET /api/v1/notifications", api.list)
	r.HandleFunc("POST /api/v1/notifications/{id}/retry", api.retry)
}

func (api API) fail(w http.ResponseWriter, r *http.Request, err error) {
	httpx.WriteError(w, r, api.Log, err)
}

func signedIn(r *http.Request) (*actor.Actor, error) {
	a := actor.From(r.Context())
	if a == nil {
		return nil, apperr.New(apperr.Unauthorized, "Bạn cần đăng nhập.")
	}
	return a, nil
}

func (api API) preferences(w http.ResponseWriter, r *http.Request) {
	a, err := signedIn(r)
	if err != nil {
		api.fail(w, r, err)
		return
	}
	p, err := api.Svc.Preferences(r.Context(), a, a.UserID)
	if err != nil {
		api.fail(w, r, err)
		return
	}
	httpx.WriteJSON(w, http.StatusOK, p)
}

// PreferencesInput is the body of PUT /api/v1/me/notification-preferences.
type PreferencesInput struct {
	Events []Choice `json:"events"`
}

func (api API) setPreferences(w http.ResponseWriter, r *http.Request) {
	a, err := signedIn(r)
	if err != nil {
		api.fail(w, r, err)
		return
	}
	var in PreferencesInput
	if err := httpx.DecodeJSON(w, r, &in); err != nil {
		api.fail(w, r, err)
		return
	}
	p, err := api.Svc.SetPreferences(r.Context(), a, a.UserID, in.Events)
	if err != nil {
		api.fail(w, r, err)
		return
	}
	httpx.WriteJSON(w, http.StatusOK, p)
}

func (api API) mine(w http.ResponseWriter, r *http.Request) {
	limit, err := httpx.Limit(r, 20, 100)
	if err != nil {
		api.fail(w, r, err)
		return
	}
	items, err := api.Svc.Mine(r.Context(), actor.From(r.Context()), limit)
	if err != nil {
		api.fail(w, r, err)
		return
	}
	httpx.WriteJSON(w, http.StatusOK, httpx.Page[Item]{Items: items})
}

func (api API) list(w http.ResponseWriter, r *http.Request) {
	a, err := signedIn(r)
	if err != nil {
		api.fail(w, r, err)
		return
	}
	limit, err := httpx.Limit(r, 50, 500)
	if err != nil {
		api.fail(w, r, err)
		return
	}
	after, err := httpx.DecodeCursor(r.URL.Query().Get("cursor"))
	if err != nil {
		api.fail(w, r, err)
		return
	}
	q := r.URL.Query()
	items, err := api.Svc.List(r.Context(), a, Filter{Status: Status(q.Get("status")), DossierCode: q.Get("dossier"), After: after, Limit: limit + 1})
	if err != nil {
		api.fail(w, r, err)
		return
	}
	httpx.WriteJSON(w, http.StatusOK, httpx.NewPage(items, limit, Cursor))
}

func (api API) retry(w http.ResponseWriter, r *http.Request) {
	a, err := signedIn(r)
	if err != nil {
		api.fail(w, r, err)
		return
	}
	it, err := api.Svc.Retry(r.Context(), a, r.PathValue("id"))
	if err != nil {
		api.fail(w, r, err)
		return
	}
	httpx.WriteJSON(w, http.StatusOK, it)
}
