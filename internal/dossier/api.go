package dossier

import (
	"log/slog"
	"mime"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/congso/congso/internal/actor"
	"github.com/congso/congso/internal/apperr"
	"github.com/congso/congso/internal/calendar"
	"github.com/congso/congso/internal/httpx"
)

// API serves dossiers as JSON.
type API struct {
	Svc *Service
	Log *slog.Logger
}

// Register adds the routes.
func (api API) Register(r *httpx.Router) {
	r.HandleFunc("POST /api/v1/dossiers", api.create)
	r.HandleFunc("GET /api/v1/dossiers", api.list)
	r.HandleFunc("GET /api/v1/dossiers/register.xlsx", api.register)
	r.HandleFunc("GET /api/v1/dossiers/{code}", api.get)
	r.HandleFunc("POST /api/v1/dossiers/{code}/actions/{action}", api.act)
	r.HandleFunc("GET /api/v1/dossiers/{code}/forms/{form}", api.form)
	r.HandleFunc("POST /api/v1/dossiers/{code}/files", api.addFile)
	r.HandleFunc("GET /api/v1/dossiers/{code}/files/{id}", api.file)
	r.HandleFunc("GET /api/v1/status/{code}", api.status)
}

func (api API) fail(w http.ResponseWriter, r *http.Request, err error) {
	httpx.WriteError(w, r, api.Log, err)
}

func (api API) create(w http.ResponseWriter, r *http.Request) {
	var in CreateInput
	if err := httpx.DecodeJSON(w, r, &in); err != nil {
		api.fail(w, r, err)
		return
	}
	d, err := api.Svc.Create(r.Context(), actor.From(r.Context()), in)
	if err != nil {
		api.fail(w, r, err)
		return
	}
	w.Header().Set("Location", "/api/v1/dossiers/"+d.Code)
	httpx.WriteJSON(w, http.StatusCreated, d)
}

// filterOf reads the list filters from the query string.
func filterOf(r *http.Request) (Filter, int, error) {
	q := r.URL.Query()
	limit, err := httpx.Limit(r, 50, 500)
	if err != nil {
		return Filter{}, 0, err
	}
	f := Filter{Queue: Queue(q.Get("queue")), Channel: Channel(q.Get("channel")), AgencyID: q.Get("agency_id"), Query: q.Get("q"),
		Mine: q.Get("mine") == "true", Limit: limit + 1}
	if s := q.Get("status"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n < 1 || n > 10 {
			return Filter{}, 0, apperr.Field("status", "Trạng thái là số từ 1 đến 10.")
		}
		f.Status = Status(n)
	}
	for name, dst := range map[string]*time.Time{"from": &f.From, "to": &f.To} {
		if s := q.Get(name); s != "" {
			d, err := calendar.ParseDate(s)
			if err != nil {
				return Filter{}, 0, apperr.Field(name, "Ngày không hợp lệ (định dạng YYYY-MM-DD).")
			}
			*dst = d.At(0)
			if name == "to" {
				*dst = d.AddDays(1).At(0)
			}
		}
	}
	if f.After, err = httpx.DecodeCursor(q.Get("cursor")); err != nil {
		return Filter{}, 0, err
	}
	return f, limit, nil
}

func (api API) list(w http.ResponseWriter, r *http.Request) {
	f, limit, err := filterOf(r)
	if err != nil {
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

func (api API) get(w http.ResponseWriter, r *http.Request) {
	v, err := api.Svc.Get(r.Context(), actor.From(r.Context()), r.PathValue("code"))
	if err != nil {
		api.fail(w, r, err)
		return
	}
	if v.Steps == nil {
		v.Steps = []Step{}
	}
	if v.Files == nil {
		v.Files = []File{}
	}
	httpx.WriteJSON(w, http.StatusOK, v)
}

func (api API) act(w http.ResponseWriter, r *http.Request) {
	var in ActionInput
	if r.ContentLength != 0 {
		if err := httpx.DecodeJSON(w, r, &in); err != nil {
			api.fail(w, r, err)
			return
		}
	}
	d, err := api.Svc.Act(r.Context(), actor.From(r.Context()), r.PathValue("code"), Action(r.PathValue("action")), in)
	if err != nil {
		api.fail(w, r, err)
		return
	}
	httpx.WriteJSON(w, http.StatusOK, d)
}

func (api API) form(w http.ResponseWriter, r *http.Request) {
	name := strings.TrimSuffix(r.PathValue("form"), ".pdf")
	var buf strings.Builder
	if err := api.Svc.Form(r.Context(), actor.From(r.Context()), r.PathValue("code"), name, &buf); err != nil {
		api.fail(w, r, err)
		return
	}
	w.Header().Set("Content-Type", "application/pdf")
	w.Header().Set("Content-Disposition", mime.FormatMediaType("inline", map[string]string{"filename": "mau-" + name + "-" + r.PathValue("code") + ".pdf"}))
	w.Header().Set("Cache-Control", "no-store")
	_, _ = w.Write([]byte(buf.String()))
}

func (api API) register(w http.ResponseWriter, r *http.Request) {
	f, _, err := filterOf(r)
	if err != nil {
		api.fail(w, r, err)
		return
	}
	var buf strings.Builder
	if err := api.Svc.Register(r.Context(), actor.From(r.Context()), f, &buf); err != nil {
		api.fail(w, r, err)
		return
	}
	w.Header().Set("Content-Type", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
	w.Header().Set("Content-Disposition", `attachment; filename="so-theo-doi-ho-so.xlsx"`)
	w.Header().Set("Cache-Control", "no-store")
	_, _ = w.Write([]byte(buf.String()))
}

func (api API) addFile(w http.ResponseWriter, r *http.Request) {
	r.Body = http.MaxBytesReader(w, r.Body, api.Svc.cfg.MaxFileSize+1<<20)
	if err := r.ParseMultipartForm(1 << 20); err != nil {
		api.fail(w, r, apperr.Field("file", "Gửi tệp dạng multipart/form-data (trường file), tối đa "+humanSize(api.Svc.cfg.MaxFileSize)+"."))
		return
	}
	defer r.MultipartForm.RemoveAll()
	file, header, err := r.FormFile("file")
	if err != nil {
		api.fail(w, r, apperr.Field("file", "Thiếu tệp (trường file)."))
		return
	}
	defer file.Close()
	kind := r.FormValue("kind")
	if kind == "" {
		kind = KindAttachment
	}
	f, err := api.Svc.AddFile(r.Context(), actor.From(r.Context()), r.PathValue("code"), kind, r.FormValue("document"), header.Filename, file)
	if err != nil {
		api.fail(w, r, err)
		return
	}
	httpx.WriteJSON(w, http.StatusCreated, f)
}

func (api API) file(w http.ResponseWriter, r *http.Request) {
	f, data, err := api.Svc.FileContent(r.Context(), actor.From(r.Context()), r.PathValue("code"), r.PathValue("id"))
	if err != nil {
		api.fail(w, r, err)
		return
	}
	w.Header().Set("Content-Type", f.ContentType)
	w.Header().Set("Content-Disposition", mime.FormatMediaType("attachment", map[string]string{"filename": f.Name}))
	w.Header().Set("Cache-Control", "no-store")
	_, _ = w.Write(data)
}

func (api API) status(w http.ResponseWriter, r *http.Request) {
	p, err := api.Svc.Public(r.Context(), r.PathValue("code"))
	if err != nil {
		api.fail(w, r, err)
		return
	}
	httpx.WriteJSON(w, http.StatusOK, p)
}
