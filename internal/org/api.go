package org

import (
	"log/slog"
	"net/http"
	"strings"

	"github.com/congso/congso/internal/actor"
	"github.com/congso/congso/internal/apperr"
	"github.com/congso/congso/internal/httpx"
)

// API serves agencies and roles as JSON.
type API struct {
	Svc *Service
	Log *slog.Logger
}

// Register adds the routes.
func (api API) Register(r *httpx.Router) {
	r.HandleFunc("GET /api/v1/agencies", api.list)
	r.HandleFunc("POST /api/v1/agencies", api.create)
	r.HandleFunc("GET /api/v1/agencies/export.csv", api.export)
	r.HandleFunc("POST /api/v1/agencies/import", api.importCSV)
	r.HandleFunc("GET /api/v1/agencies/{id}", api.get)
	r.HandleFunc("PUT /api/v1/agencies/{id}", api.update)
	r.HandleFunc("POST /api/v1/agencies/{id}/retire", api.retire(true))
	r.HandleFunc("POST /api/v1/agencies/{id}/reinstate", api.retire(false))
	r.HandleFunc("GET /api/v1/agencies/{id}/staff", api.staff)
	r.HandleFunc("GET /api/v1/users/{id}/roles", api.roles)
	r.HandleFunc("POST /api/v1/users/{id}/roles", api.grant)
	r.HandleFunc("POST /api/v1/users/{id}/roles/revoke", api.revoke)
}

func (api API) fail(w http.ResponseWriter, r *http.Request, err error) {
	httpx.WriteError(w, r, api.Log, err)
}

func (api API) list(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	limit, err := httpx.Limit(r, 50, 500)
	if err != nil {
		api.fail(w, r, err)
		return
	}
	after, err := httpx.DecodeCursor(q.Get("cursor"))
	if err != nil {
		api.fail(w, r, err)
		return
	}
	items, err := api.Svc.Agencies(r.Context(), AgencyFilter{Query: q.Get("q"), Kind: Kind(q.Get("kind")), ParentID: q.Get("parent_id"),
		IncludeRetired: q.Get("include_retired") == "true", After: after, Limit: limit + 1})
	if err != nil {
		api.fail(w, r, err)
		return
	}
	httpx.WriteJSON(w, http.StatusOK, httpx.NewPage(items, limit, func(a Agency) string { return a.Code }))
}

func (api API) get(w http.ResponseWriter, r *http.Request) {
	a, err := api.Svc.Agency(r.Context(), r.PathValue("id"))
	if err != nil {
		api.fail(w, r, err)
		return
	}
	httpx.WriteJSON(w, http.StatusOK, a)
}

func (api API) create(w http.ResponseWriter, r *http.Request) {
	var in AgencyInput
	if err := httpx.DecodeJSON(w, r, &in); err != nil {
		api.fail(w, r, err)
		return
	}
	a, err := api.Svc.CreateAgency(r.Context(), requireActor(r), in)
	if err != nil {
		api.fail(w, r, err)
		return
	}
	w.Header().Set("Location", "/api/v1/agencies/"+a.ID)
	httpx.WriteJSON(w, http.StatusCreated, a)
}

type agencyUpdate struct {
	AgencyInput
	Version int `json:"version"`
}

func (api API) update(w http.ResponseWriter, r *http.Request) {
	var in agencyUpdate
	if err := httpx.DecodeJSON(w, r, &in); err != nil {
		api.fail(w, r, err)
		return
	}
	if in.Version <= 0 {
		api.fail(w, r, apperr.Field("version", "Thiếu phiên bản (version) của bản ghi đang sửa."))
		return
	}
	a, err := api.Svc.UpdateAgency(r.Context(), requireActor(r), r.PathValue("id"), in.Version, in.AgencyInput)
	if err != nil {
		api.fail(w, r, err)
		return
	}
	httpx.WriteJSON(w, http.StatusOK, a)
}

func (api API) retire(retire bool) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if err := api.Svc.RetireAgency(r.Context(), requireActor(r), r.PathValue("id"), retire); err != nil {
			api.fail(w, r, err)
			return
		}
		a, err := api.Svc.Agency(r.Context(), r.PathValue("id"))
		if err != nil {
			api.fail(w, r, err)
			return
		}
		httpx.WriteJSON(w, http.StatusOK, a)
	}
}

func (api API) staff(w http.ResponseWriter, r *http.Request) {
	a := requireActor(r)
	if a == nil {
		api.fail(w, r, apperr.New(apperr.Unauthorized, "Bạn cần đăng nhập."))
		return
	}
	members, err := api.Svc.Staff(r.Context(), a, r.PathValue("id"))
	if err != nil {
		api.fail(w, r, err)
		return
	}
	if members == nil {
		members = []Member{}
	}
	httpx.WriteJSON(w, http.StatusOK, map[string]any{"items": members})
}

func (api API) export(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "text/csv; charset=utf-8")
	w.Header().Set("Content-Disposition", `attachment; filename="co-quan.csv"`)
	if err := api.Svc.ExportCSV(r.Context(), w); err != nil {
		api.Log.Error("export agencies", "err", err)
	}
}

func (api API) importCSV(w http.ResponseWriter, r *http.Request) {
	if ct := r.Header.Get("Content-Type"); !strings.HasPrefix(ct, "text/csv") {
		api.fail(w, r, apperr.New(apperr.Invalid, "Gửi tệp CSV với Content-Type: text/csv."))
		return
	}
	res, err := api.Svc.ImportCSV(r.Context(), requireActor(r), http.MaxBytesReader(w, r.Body, 5<<20))
	if err != nil {
		api.fail(w, r, err)
		return
	}
	httpx.WriteJSON(w, http.StatusOK, res)
}

type roleRequest struct {
	AgencyID string     `json:"agency_id"`
	Role     actor.Role `json:"role"`
}

func (api API) roles(w http.ResponseWriter, r *http.Request) {
	a := requireActor(r)
	id := r.PathValue("id")
	if a == nil {
		api.fail(w, r, apperr.New(apperr.Unauthorized, "Bạn cần đăng nhập."))
		return
	}
	items, err := api.Svc.Assignments(r.Context(), id)
	if err != nil {
		api.fail(w, r, err)
		return
	}
	visible := []Assignment{}
	for _, x := range items {
		if a.UserID == id || a.ProvinceWide() || (x.AgencyID != "" && a.CanAdminister(x.AgencyID)) {
			visible = append(visible, x)
		}
	}
	if len(visible) == 0 && len(items) > 0 {
		api.fail(w, r, actor.Deny(a, "Bạn không có quyền xem vai trò của tài khoản này."))
		return
	}
	httpx.WriteJSON(w, http.StatusOK, map[string]any{"items": visible})
}

func (api API) grant(w http.ResponseWriter, r *http.Request) {
	var in roleRequest
	if err := httpx.DecodeJSON(w, r, &in); err != nil {
		api.fail(w, r, err)
		return
	}
	if err := api.Svc.Grant(r.Context(), requireActor(r), r.PathValue("id"), in.AgencyID, in.Role); err != nil {
		api.fail(w, r, err)
		return
	}
	api.roles(w, r)
}

func (api API) revoke(w http.ResponseWriter, r *http.Request) {
	var in roleRequest
	if err := httpx.DecodeJSON(w, r, &in); err != nil {
		api.fail(w, r, err)
		return
	}
	if err := api.Svc.Revoke(r.Context(), requireActor(r), r.PathValue("id"), in.AgencyID, in.Role); err != nil {
		api.fail(w, r, err)
		return
	}
	api.roles(w, r)
}

// requireActor returns the caller; services refuse a nil actor with the
// right error.
func requireActor(r *http.Request) *actor.Actor { return actor.From(r.Context()) }
