package estore

import (
	"log/slog"
	"mime"
	"net/http"

	"github.com/congso/congso/internal/actor"
	"github.com/congso/congso/internal/apperr"
	"github.com/congso/congso/internal/httpx"
	"github.com/congso/congso/internal/upload"
)

// API serves the store as JSON.
type API struct {
	Svc *Service
	Log *slog.Logger
}

// Register adds the routes.
func (api API) Register(r *httpx.Router) {
	r.HandleFunc("GET /api/v1/estore/items", api.list)
	r.HandleFunc("POST /api/v1/estore/items", api.add)
	r.HandleFunc("GET /api/v1/estore/items/{id}", api.get)
	r.HandleFunc("PATCH /api/v1/estore/items/{id}", api.update)
	r.HandleFunc("DELETE /api/v1/estore/items/{id}", api.delete)
	r.HandleFunc("GET /api/v1/estore/items/{id}/file", api.file)
	r.HandleFunc("POST /api/v1/estore/items/{id}/shares", api.share)
	r.HandleFunc("POST /api/v1/estore/items/{id}/shares/{share_id}/revoke", api.revoke)
	r.HandleFunc("GET /api/v1/estore/shared/{token}", api.shared)
}

func (api API) fail(w http.ResponseWriter, r *http.Request, err error) {
	httpx.WriteError(w, r, api.Log, err)
}

func (api API) list(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	limit, err := httpx.Limit(r, 50, 200)
	if err != nil {
		api.fail(w, r, err)
		return
	}
	f := Filter{Query: q.Get("q"), Kind: Kind(q.Get("kind")), Validity: Validity(q.Get("validity")), Limit: limit + 1}
	if f.After, err = httpx.DecodeCursor(q.Get("cursor")); err != nil {
		api.fail(w, r, err)
		return
	}
	items, err := api.Svc.List(r.Context(), actor.From(r.Context()), f)
	if err != nil {
		api.fail(w, r, err)
		return
	}
	httpx.WriteJSON(w, http.StatusOK, httpx.NewPage(items, limit, Cursor))
}

// FormMeta reads an item's metadata from a submitted form; absent fields stay
// nil.
func FormMeta(r *http.Request) Meta {
	var m Meta
	for name, dst := range map[string]**string{"document": &m.Document, "issuer": &m.Issuer, "issued_on": &m.IssuedOn,
		"valid_until": &m.ValidUntil} {
		if vs, ok := r.PostForm[name]; ok && len(vs) > 0 {
			v := vs[0]
			*dst = &v
		}
	}
	return m
}

// ParseUpload reads a multipart upload bounded by the store's size limit.
func ParseUpload(w http.ResponseWriter, r *http.Request, limits upload.Limits) error {
	max := limits.MaxBytes
	if max <= 0 {
		max = upload.DefaultMaxBytes
	}
	r.Body = http.MaxBytesReader(w, r.Body, max+1<<20)
	if err := r.ParseMultipartForm(1 << 20); err != nil {
		return apperr.Field("file", "Gửi tệp dạng multipart/form-data (trường file), tối đa "+upload.HumanSize(max)+".")
	}
	return nil
}

func (api API) add(w http.ResponseWriter, r *http.Request) {
	if err := ParseUpload(w, r, api.Svc.Limits()); err != nil {
		api.fail(w, r, err)
		return
	}
	defer r.MultipartForm.RemoveAll()
	file, header, err := r.FormFile("file")
	if err != nil {
		api.fail(w, r, apperr.Field("file", "Thiếu tệp (trường file)."))
		return
	}
	defer file.Close()
	it, err := api.Svc.Add(r.Context(), actor.From(r.Context()), FormMeta(r), header.Filename, file)
	if err != nil {
		api.fail(w, r, err)
		return
	}
	w.Header().Set("Location", "/api/v1/estore/items/"+it.ID)
	httpx.WriteJSON(w, http.StatusCreated, it)
}

func (api API) get(w http.ResponseWriter, r *http.Request) {
	v, err := api.Svc.Get(r.Context(), actor.From(r.Context()), r.PathValue("id"))
	if err != nil {
		api.fail(w, r, err)
		return
	}
	httpx.WriteJSON(w, http.StatusOK, v)
}

func (api API) update(w http.ResponseWriter, r *http.Request) {
	var in Meta
	if err := httpx.DecodeJSON(w, r, &in); err != nil {
		api.fail(w, r, err)
		return
	}
	it, err := api.Svc.Update(r.Context(), actor.From(r.Context()), r.PathValue("id"), in)
	if err != nil {
		api.fail(w, r, err)
		return
	}
	httpx.WriteJSON(w, http.StatusOK, it)
}

func (api API) delete(w http.ResponseWriter, r *http.Request) {
	if err := api.Svc.Delete(r.Context(), actor.From(r.Context()), r.PathValue("id")); err != nil {
		api.fail(w, r, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

// WriteFile sends an item's file as a download that no browser runs or
// renders in the site's origin.
func WriteFile(w http.ResponseWriter, it Item, data []byte) {
	h := w.Header()
	h.Set("Content-Type", it.ContentType)
	h.Set("Content-Disposition", mime.FormatMediaType("attachment", map[string]string{"filename": it.FileName}))
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Content-Security-Policy", "default-src 'none'; sandbox")
	h.Set("Cache-Control", "private, no-store")
	h.Set("Referrer-Policy", "no-referrer")
	_, _ = w.Write(data)
}

func (api API) file(w http.ResponseWriter, r *http.Request) {
	it, data, err := api.Svc.Content(r.Context(), actor.From(r.Context()), r.PathValue("id"))
	if err != nil {
		api.fail(w, r, err)
		return
	}
	WriteFile(w, it, data)
}

func (api API) share(w http.ResponseWriter, r *http.Request) {
	var in ShareInput
	if r.ContentLength != 0 {
		if err := httpx.DecodeJSON(w, r, &in); err != nil {
			api.fail(w, r, err)
			return
		}
	}
	ns, err := api.Svc.Share(r.Context(), actor.From(r.Context()), r.PathValue("id"), in)
	if err != nil {
		api.fail(w, r, err)
		return
	}
	httpx.WriteJSON(w, http.StatusCreated, ns)
}

func (api API) revoke(w http.ResponseWriter, r *http.Request) {
	sh, err := api.Svc.RevokeShare(r.Context(), actor.From(r.Context()), r.PathValue("id"), r.PathValue("share_id"))
	if err != nil {
		api.fail(w, r, err)
		return
	}
	httpx.WriteJSON(w, http.StatusOK, sh)
}

func (api API) shared(w http.ResponseWriter, r *http.Request) {
	it, data, err := api.Svc.Shared(r.Context(), r.PathValue("token"))
	if err != nil {
		w.Header().Set("Referrer-Policy", "no-referrer")
		api.fail(w, r, err)
		return
	}
	WriteFile(w, it, data)
}
