package natsync

import (
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/congso/congso/internal/actor"
	"github.com/congso/congso/internal/apperr"
	"github.com/congso/congso/internal/httpx"
)

// API serves the national portal's inbound endpoint and the
// administrators' view of the outbox.
type API struct {
	Svc *Service
	Log *slog.Logger
}

// Register adds the routes.
func (api API) Register(r *httpx.Router) {
	r.HandleFunc("POST /api/v1/national/dossiers", api.receive)
	r.HandleFunc("GET /api/v1/national/outbox", api.list)
	r.HandleFunc("GET /api/v1/national/outbox/stats", api.stats)
	r.HandleFunc("POST /api/v1/national/outbox/replay", api.replayDead)
	r.HandleFunc("POST /api/v1/national/outbox/{id}/replay", api.replay)
}

func (api API) fail(w http.ResponseWriter, r *http.Request, err error) {
	httpx.WriteError(w, r, api.Log, err)
}

// decodeLenient reads a JSON object, ignoring the fields it does not know:
// the national portal's dossier carries more than the platform uses.
func decodeLenient(w http.ResponseWriter, r *http.Request, v any) error {
	if ct := r.Header.Get("Content-Type"); ct != "" && !strings.HasPrefix(ct, "application/json") {
		return apperr.New(apperr.Invalid, "Nội dung phải là JSON (Content-Type: application/json).")
	}
	dec := json.NewDecoder(http.MaxBytesReader(w, r.Body, httpx.MaxJSONBody))
	if err := dec.Decode(v); err != nil {
		var tooBig *http.MaxBytesError
		var typeErr *json.UnmarshalTypeError
		switch {
		case errors.As(err, &tooBig):
			return apperr.New(apperr.Invalid, "Nội dung yêu cầu quá lớn.")
		case errors.As(err, &typeErr):
			return apperr.Field(typeErr.Field, "Trường "+typeErr.Field+" có kiểu dữ liệu không đúng.")
		}
		return apperr.New(apperr.Invalid, "JSON không hợp lệ.")
	}
	if dec.More() {
		return apperr.New(apperr.Invalid, "Nội dung chỉ được chứa một đối tượng JSON.")
	}
	return nil
}

func (api API) receive(w http.ResponseWriter, r *http.Request) {
	var in InboundDossier
	if err := decodeLenient(w, r, &in); err != nil {
		api.fail(w, r, err)
		return
	}
	res, created, err := api.Svc.Receive(r.Context(), actor.From(r.Context()), in)
	if err != nil {
		api.fail(w, r, err)
		return
	}
	w.Header().Set("Location", "/api/v1/dossiers/"+url.PathEscape(res.MaHoSo))
	if !created {
		w.Header().Set("Idempotent-Replayed", "true")
		httpx.WriteJSON(w, http.StatusOK, res)
		return
	}
	httpx.WriteJSON(w, http.StatusCreated, res)
}

func (api API) list(w http.ResponseWriter, r *http.Request) {
	limit, err := httpx.Limit(r, 50, 500)
	if err != nil {
		api.fail(w, r, err)
		return
	}
	q := r.URL.Query()
	f := Filter{State: q.Get("state"), DossierCode: q.Get("dossier"), Limit: limit + 1}
	pos, err := httpx.DecodeCursor(q.Get("cursor"))
	if err != nil {
		api.fail(w, r, err)
		return
	}
	if pos != "" {
		if f.Before, err = strconv.ParseInt(pos, 10, 64); err != nil {
			api.fail(w, r, apperr.Field("cursor", "Con trỏ phân trang không hợp lệ."))
			return
		}
	}
	items, err := api.Svc.List(r.Context(), actor.From(r.Context()), f)
	if err != nil {
		api.fail(w, r, err)
		return
	}
	httpx.WriteJSON(w, http.StatusOK, httpx.NewPage(items, limit, func(e Entry) string { return strconv.FormatInt(e.ID, 10) }))
}

func (api API) stats(w http.ResponseWriter, r *http.Request) {
	st, err := api.Svc.Stats(r.Context(), actor.From(r.Context()))
	if err != nil {
		api.fail(w, r, err)
		return
	}
	httpx.WriteJSON(w, http.StatusOK, st)
}

func (api API) replay(w http.ResponseWriter, r *http.Request) {
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil {
		api.fail(w, r, apperr.New(apperr.NotFound, "Không tìm thấy bản ghi đồng bộ."))
		return
	}
	e, err := api.Svc.Replay(r.Context(), actor.From(r.Context()), id)
	if err != nil {
		api.fail(w, r, err)
		return
	}
	httpx.WriteJSON(w, http.StatusOK, e)
}

func (api API) replayDead(w http.ResponseWriter, r *http.Request) {
	n, err := api.Svc.ReplayDead(r.Context(), actor.From(r.Context()))
	if err != nil {
		api.fail(w, r, err)
		return
	}
	httpx.WriteJSON(w, http.StatusOK, map[string]int{"replayed": n})
}
