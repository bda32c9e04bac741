package identity

import (
	"log/slog"
	"net/http"
	"time"

	"github.com/congso/congso/internal/actor"
	"github.com/congso/congso/internal/apperr"
	"github.com/congso/congso/internal/httpx"
)

// API serves accounts and tokens as JSON.
type API struct {
	Svc *Service
	Log *slog.Logger
}

// Register adds the routes.
func (api API) Register(r *httpx.Router) {
	r.HandleFunc("GET /api/v1/me", api.me)
	r.HandleFunc("GET /api/v1/users", api.list)
	r.HandleFunc("POST /api/v1/users", api.create)
	r.HandleFunc("GET /api/v1/users/{id}", api.get)
	r.HandleFunc("POST /api/v1/users/{id}/disable", api.disable(true))
	r.HandleFunc("POST /api/v1/users/{id}/enable", api.disable(false))
	r.HandleFunc("GET /api/v1/users/{id}/tokens", api.tokens)
	r.HandleFunc("POST /api/v1/users/{id}/tokens", api.createToken)
	r.HandleFunc("POST /api/v1/tokens/{id}/revoke", api.revokeToken)
}

func (api API) fail(w http.ResponseWriter, r *http.Request, err error) {
	httpx.WriteError(w, r, api.Log, err)
}

type meView struct {
	User     User                    `json:"user"`
	Agencies map[string][]actor.Role `json:"agencies"`
	Province []actor.Role            `json:"province_roles"`
}

func (api API) me(w http.ResponseWriter, r *http.Request) {
	a := actor.From(r.Context())
	if a == nil {
		api.fail(w, r, apperr.New(apperr.Unauthorized, "Bạn cần đăng nhập."))
		return
	}
	u, err := api.Svc.Get(r.Context(), a, a.UserID)
	if err != nil {
		api.fail(w, r, err)
		return
	}
	v := meView{User: u, Agencies: a.Agencies, Province: a.Province}
	if v.Agencies == nil {
		v.Agencies = map[string][]actor.Role{}
	}
	if v.Province == nil {
		v.Province = []actor.Role{}
	}
	httpx.WriteJSON(w, http.StatusOK, v)
}

func (api API) list(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	limit, err := httpx.Limit(r, 50, 200)
	if err != nil {
		api.fail(w, r, err)
		return
	}
	after, err := httpx.DecodeCursor(q.Get("cursor"))
	if err != nil {
		api.fail(w, r, err)
		return
	}
	f := ListFilter{Kind: actor.Kind(q.Get("kind")), Query: q.Get("q"), After: after, Limit: limit + 1}
	if id := q.Get("agency_id"); id != "" {
		f.AgencyIDs = []string{id}
	}
	users, err := api.Svc.List(r.Context(), actor.From(r.Context()), f)
	if err != nil {
		api.fail(w, r, err)
		return
	}
	httpx.WriteJSON(w, http.StatusOK, httpx.NewPage(users, limit, func(u User) string { return u.ID }))
}

func (api API) create(w http.ResponseWriter, r *http.Request) {
	var in NewUser
	if err := httpx.DecodeJSON(w, r, &in); err != nil {
		api.fail(w, r, err)
		return
	}
	u, err := api.Svc.Create(r.Context(), actor.From(r.Context()), in)
	if err != nil {
		api.fail(w, r, err)
		return
	}
	w.Header().Set("Location", "/api/v1/users/"+u.ID)
	httpx.WriteJSON(w, http.StatusCreated, u)
}

func (api API) get(w http.ResponseWriter, r *http.Request) {
	u, err := api.Svc.Get(r.Context(), actor.From(r.Context()), r.PathValue("id"))
	if err != nil {
		api.fail(w, r, err)
		return
	}
	httpx.WriteJSON(w, http.StatusOK, u)
}

func (api API) disable(disabled bool) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if err := api.Svc.SetDisabled(r.Context(), actor.From(r.Context()), r.PathValue("id"), disabled); err != nil {
			api.fail(w, r, err)
			return
		}
		api.get(w, r)
	}
}

func (api API) tokens(w http.ResponseWriter, r *http.Request) {
	ts, err := api.Svc.Tokens(r.Context(), actor.From(r.Context()), r.PathValue("id"))
	if err != nil {
		api.fail(w, r, err)
		return
	}
	if ts == nil {
		ts = []Token{}
	}
	httpx.WriteJSON(w, http.StatusOK, map[string]any{"items": ts})
}

type tokenRequest struct {
	Name string `json:"name"`
	// Days until the token expires; 0 means it does not expire.
	Days int `json:"days"`
}

type tokenCreated struct {
	Token
	Secret string `json:"secret"`
}

func (api API) createToken(w http.ResponseWriter, r *http.Request) {
	var in tokenRequest
	if err := httpx.DecodeJSON(w, r, &in); err != nil {
		api.fail(w, r, err)
		return
	}
	if in.Days < 0 || in.Days > 3650 {
		api.fail(w, r, apperr.Field("days", "days phải từ 0 đến 3650."))
		return
	}
	secret, t, err := api.Svc.CreateToken(r.Context(), actor.From(r.Context()), r.PathValue("id"), in.Name, time.Duration(in.Days)*24*time.Hour)
	if err != nil {
		api.fail(w, r, err)
		return
	}
	httpx.WriteJSON(w, http.StatusCreated, tokenCreated{Token: t, Secret: secret})
}

func (api API) revokeToken(w http.ResponseWriter, r *http.Request) {
	if err := api.Svc.RevokeToken(r.Context(), actor.From(r.Context()), r.PathValue("id")); err != nil {
		api.fail(w, r, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}
