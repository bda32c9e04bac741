package catalog

import (
	"encoding/json"
	"log/slog"
	"mime"
	"net/http"

	"github.com/congso/congso/internal/actor"
	"github.com/congso/congso/internal/apperr"
	"github.com/congso/congso/internal/httpx"
)

// API serves the catalogue as JSON (documented in openapi.yaml).
type API struct {
	Svc *Service
	Log *slog.Logger
}

// Register adds the routes.
func (api API) Register(r *httpx.Router) {
	r.HandleFunc("GET /api/v1/procedures", api.list)
	r.HandleFunc("POST /api/v1/procedures", api.create)
	r.HandleFunc("GET /api/v1/procedures/export.json", api.exportJSON)
	r.HandleFunc("GET /api/v1/procedures/export.csv", api.exportCSV)
	r.HandleFunc("POST /api/v1/procedures/import", api.importFile)
	r.HandleFunc("GET /api/v1/procedures/{id}", api.get)
	r.HandleFunc("PUT /api/v1/procedures/{id}", api.update)
	r.HandleFunc("POST /api/v1/procedures/{id}/deactivate", api.setActive(false))
	r.HandleFunc("POST /api/v1/procedures/{id}/activate", api.setActive(true))
	r.HandleFunc("PUT /api/v1/procedures/{id}/agencies", api.agencies)
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
	items, err := api.Svc.Search(r.Context(), actor.From(r.Context()), Filter{Query: q.Get("q"), Field: q.Get("field"),
		Level: Level(q.Get("level")), AgencyID: q.Get("agency_id"), OnlineLevel: OnlineLevel(q.Get("online_level")),
		IncludeInactive: q.Get("include_inactive") == "true", After: after, Limit: limit + 1})
	if err != nil {
		api.fail(w, r, err)
		return
	}
	httpx.WriteJSON(w, http.StatusOK, httpx.NewPage(items, limit, func(s Summary) string { return s.ID }))
}

func (api API) get(w http.ResponseWriter, r *http.Request) {
	p, err := api.Svc.Get(r.Context(), actor.From(r.Context()), r.PathValue("id"))
	if err != nil {
		api.fail(w, r, err)
		return
	}
	httpx.WriteJSON(w, http.StatusOK, p)
}

func (api API) create(w http.ResponseWriter, r *http.Request) {
	var in Spec
	if err := httpx.DecodeJSON(w, r, &in); err != nil {
		api.fail(w, r, err)
		return
	}
	p, err := api.Svc.Create(r.Context(), actor.From(r.Context()), in)
	if err != nil {
		api.fail(w, r, err)
		return
	}
	w.Header().Set("Location", "/api/v1/procedures/"+p.ID)
	httpx.WriteJSON(w, http.StatusCreated, p)
}

// procedureUpdate is the body of PUT: a procedure as GET returns it, with
// its version. The read-only fields are accepted and ignored, so that a
// client can send back what it read.
type procedureUpdate struct {
	Spec
	Version   int             `json:"version"`
	ID        json.RawMessage `json:"id"`
	AgencyIDs json.RawMessage `json:"agency_ids"`
	Active    json.RawMessage `json:"active"`
	CreatedAt json.RawMessage `json:"created_at"`
	UpdatedAt json.RawMessage `json:"updated_at"`
}

func (api API) update(w http.ResponseWriter, r *http.Request) {
	var in procedureUpdate
	if err := httpx.DecodeJSON(w, r, &in); err != nil {
		api.fail(w, r, err)
		return
	}
	if in.Version <= 0 {
		api.fail(w, r, apperr.Field("version", "Thiếu phiên bản (version) của thủ tục đang sửa."))
		return
	}
	p, err := api.Svc.Update(r.Context(), actor.From(r.Context()), r.PathValue("id"), in.Version, in.Spec)
	if err != nil {
		api.fail(w, r, err)
		return
	}
	httpx.WriteJSON(w, http.StatusOK, p)
}

func (api API) setActive(active bool) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		p, err := api.Svc.SetActive(r.Context(), actor.From(r.Context()), r.PathValue("id"), active)
		if err != nil {
			api.fail(w, r, err)
			return
		}
		httpx.WriteJSON(w, http.StatusOK, p)
	}
}

type agenciesRequest struct {
	AgencyIDs []string `json:"agency_ids"`
	// Version, when given, must be the procedure's current version.
	Version int `json:"version"`
}

func (api API) agencies(w http.ResponseWriter, r *http.Request) {
	var in agenciesRequest
	if err := httpx.DecodeJSON(w, r, &in); err != nil {
		api.fail(w, r, err)
		return
	}
	if in.AgencyIDs == nil {
		api.fail(w, r, apperr.Field("agency_ids", "Thiếu danh sách cơ quan thực hiện (agency_ids); gửi [] để bỏ hết."))
		return
	}
	p, err := api.Svc.SetAgencies(r.Context(), actor.From(r.Context()), r.PathValue("id"), in.Version, in.AgencyIDs)
	if err != nil {
		api.fail(w, r, err)
		return
	}
	httpx.WriteJSON(w, http.StatusOK, p)
}

func (api API) exportJSON(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.Header().Set("Content-Disposition", `attachment; filename="thu-tuc-hanh-chinh.json"`)
	w.Header().Set("Cache-Control", "no-store")
	if err := api.Svc.ExportJSON(r.Context(), actor.From(r.Context()), w); err != nil {
		// The header is gone: the download ends short, and the log says why.
		api.Log.ErrorContext(r.Context(), "export procedures", "err", err)
	}
}

func (api API) exportCSV(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "text/csv; charset=utf-8")
	w.Header().Set("Content-Disposition", `attachment; filename="thu-tuc-hanh-chinh.csv"`)
	w.Header().Set("Cache-Control", "no-store")
	if err := api.Svc.ExportCSV(r.Context(), actor.From(r.Context()), w); err != nil {
		api.Log.ErrorContext(r.Context(), "export procedures", "err", err)
	}
}

func (api API) importFile(w http.ResponseWriter, r *http.Request) {
	ct, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	// One byte more than the services read, so that they report a file too
	// large in their own words.
	body := http.MaxBytesReader(w, r.Body, MaxImportBytes+1)
	a := actor.From(r.Context())
	var res ImportResult
	var err error
	switch ct {
	case "application/json":
		res, err = api.Svc.ImportJSON(r.Context(), a, body)
	case "text/csv":
		res, err = api.Svc.ImportCSV(r.Context(), a, body)
	default:
		err = apperr.New(apperr.Invalid, "Gửi tệp JSON (Content-Type: application/json) hoặc CSV (Content-Type: text/csv).")
	}
	if err != nil {
		api.fail(w, r, err)
		return
	}
	httpx.WriteJSON(w, http.StatusOK, res)
}
