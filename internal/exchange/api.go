package exchange

import (
	"io"
	"log/slog"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/congso/congso/internal/actor"
	"github.com/congso/congso/internal/apperr"
	"github.com/congso/congso/internal/exchange/txlog"
	"github.com/congso/congso/internal/httpx"
)

// API serves the management of the exchange as JSON under /api/v1/exchange
// (the gateway itself is at /lgsp/, see Gateway).
type API struct {
	Svc *Service
	Log *slog.Logger
}

// Register adds the routes.
func (api API) Register(r *httpx.Router) {
	r.HandleFunc("GET /api/v1/exchange/directory", api.directory)
	r.HandleFunc("GET /api/v1/exchange/systems", api.systems)
	r.HandleFunc("POST /api/v1/exchange/systems", api.createSystem)
	r.HandleFunc("GET /api/v1/exchange/systems/{id}", api.system)
	r.HandleFunc("PUT /api/v1/exchange/systems/{id}", api.updateSystem)
	r.HandleFunc("GET /api/v1/exchange/systems/{id}/allowed", api.allowed)
	r.HandleFunc("GET /api/v1/exchange/systems/{id}/keys", api.keys)
	r.HandleFunc("POST /api/v1/exchange/systems/{id}/keys", api.createKey)
	r.HandleFunc("POST /api/v1/exchange/keys/{id}/revoke", api.revokeKey)
	r.HandleFunc("GET /api/v1/exchange/systems/{id}/certs", api.certs)
	r.HandleFunc("POST /api/v1/exchange/systems/{id}/certs", api.addCert)
	r.HandleFunc("POST /api/v1/exchange/systems/{id}/certs/{fingerprint}/revoke", api.revokeCert)
	r.HandleFunc("GET /api/v1/exchange/systems/{id}/services", api.systemServices)
	r.HandleFunc("POST /api/v1/exchange/systems/{id}/services", api.createService)
	r.HandleFunc("GET /api/v1/exchange/services", api.services)
	r.HandleFunc("GET /api/v1/exchange/services/{id}", api.service)
	r.HandleFunc("PUT /api/v1/exchange/services/{id}", api.updateService)
	r.HandleFunc("GET /api/v1/exchange/services/{id}/specs", api.specs)
	r.HandleFunc("POST /api/v1/exchange/services/{id}/specs", api.uploadSpec)
	r.HandleFunc("GET /api/v1/exchange/services/{id}/specs/{version}", api.spec)
	r.HandleFunc("GET /api/v1/exchange/access", api.accessList)
	r.HandleFunc("POST /api/v1/exchange/access", api.requestAccess)
	r.HandleFunc("POST /api/v1/exchange/access/{id}/{action}", api.decide)
	r.HandleFunc("GET /api/v1/exchange/signing-keys", api.signingKeys)
	r.HandleFunc("POST /api/v1/exchange/signing-keys", api.rotate)
	r.HandleFunc("POST /api/v1/exchange/signing-keys/{kid}/retire", api.retire)
	r.HandleFunc("GET /api/v1/exchange/log", api.searchLog)
	r.HandleFunc("GET /api/v1/exchange/log/export.csv", api.exportLog)
	r.HandleFunc("GET /api/v1/exchange/log/stats", api.logStats)
	r.HandleFunc("GET /api/v1/exchange/log/{seq}", api.logEntry)
}

func (api API) fail(w http.ResponseWriter, r *http.Request, err error) {
	httpx.WriteError(w, r, api.Log, err)
}

func (api API) ok(w http.ResponseWriter, r *http.Request, status int, v any, err error) {
	if err != nil {
		api.fail(w, r, err)
		return
	}
	httpx.WriteJSON(w, status, v)
}

func items[T any](list []T) map[string]any {
	if list == nil {
		list = []T{}
	}
	return map[string]any{"items": list}
}

func who(r *http.Request) *actor.Actor { return actor.From(r.Context()) }

func (api API) directory(w http.ResponseWriter, r *http.Request) {
	list, err := api.Svc.Directory(r.Context(), who(r))
	api.ok(w, r, http.StatusOK, items(list), err)
}

func (api API) systems(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	list, err := api.Svc.Systems(r.Context(), who(r), SystemFilter{AgencyID: q.Get("agency_id"), Query: q.Get("q")})
	api.ok(w, r, http.StatusOK, items(list), err)
}

func (api API) createSystem(w http.ResponseWriter, r *http.Request) {
	var in SystemInput
	if err := httpx.DecodeJSON(w, r, &in); err != nil {
		api.fail(w, r, err)
		return
	}
	sys, err := api.Svc.CreateSystem(r.Context(), who(r), in)
	api.ok(w, r, http.StatusCreated, sys, err)
}

func (api API) system(w http.ResponseWriter, r *http.Request) {
	sys, err := api.Svc.System(r.Context(), who(r), r.PathValue("id"))
	api.ok(w, r, http.StatusOK, sys, err)
}

func (api API) updateSystem(w http.ResponseWriter, r *http.Request) {
	var in struct {
		SystemInput
		Version int `json:"version"`
	}
	if err := httpx.DecodeJSON(w, r, &in); err != nil {
		api.fail(w, r, err)
		return
	}
	sys, err := api.Svc.UpdateSystem(r.Context(), who(r), r.PathValue("id"), in.Version, in.SystemInput)
	api.ok(w, r, http.StatusOK, sys, err)
}

func (api API) allowed(w http.ResponseWriter, r *http.Request) {
	list, err := api.Svc.Allowed(r.Context(), who(r), r.PathValue("id"))
	api.ok(w, r, http.StatusOK, items(list), err)
}

func (api API) keys(w http.ResponseWriter, r *http.Request) {
	list, err := api.Svc.Keys(r.Context(), who(r), r.PathValue("id"))
	api.ok(w, r, http.StatusOK, items(list), err)
}

func (api API) createKey(w http.ResponseWriter, r *http.Request) {
	var in struct {
		Name string `json:"name"`
		Days int    `json:"days"`
	}
	if err := httpx.DecodeJSON(w, r, &in); err != nil {
		api.fail(w, r, err)
		return
	}
	if in.Days < 0 || in.Days > 1830 {
		api.fail(w, r, apperr.Field("days", "Thời hạn của khóa từ 0 (không hết hạn) đến 1830 ngày."))
		return
	}
	k, err := api.Svc.CreateKey(r.Context(), who(r), r.PathValue("id"), in.Name, time.Duration(in.Days)*24*time.Hour)
	api.ok(w, r, http.StatusCreated, k, err)
}

func (api API) revokeKey(w http.ResponseWriter, r *http.Request) {
	if err := api.Svc.RevokeKey(r.Context(), who(r), r.PathValue("id")); err != nil {
		api.fail(w, r, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

func (api API) certs(w http.ResponseWriter, r *http.Request) {
	list, err := api.Svc.Certs(r.Context(), who(r), r.PathValue("id"))
	api.ok(w, r, http.StatusOK, items(list), err)
}

func (api API) addCert(w http.ResponseWriter, r *http.Request) {
	var in CertInput
	if err := httpx.DecodeJSON(w, r, &in); err != nil {
		api.fail(w, r, err)
		return
	}
	c, err := api.Svc.AddCert(r.Context(), who(r), r.PathValue("id"), in)
	api.ok(w, r, http.StatusCreated, c, err)
}

func (api API) revokeCert(w http.ResponseWriter, r *http.Request) {
	if err := api.Svc.RevokeCert(r.Context(), who(r), r.PathValue("id"), r.PathValue("fingerprint")); err != nil {
		api.fail(w, r, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

func (api API) systemServices(w http.ResponseWriter, r *http.Request) {
	list, err := api.Svc.RESTServices(r.Context(), who(r), ServiceFilter{SystemID: r.PathValue("id")})
	api.ok(w, r, http.StatusOK, items(list), err)
}

func (api API) createService(w http.ResponseWriter, r *http.Request) {
	var in ServiceInput
	if err := httpx.DecodeJSON(w, r, &in); err != nil {
		api.fail(w, r, err)
		return
	}
	v, err := api.Svc.CreateService(r.Context(), who(r), r.PathValue("id"), in)
	api.ok(w, r, http.StatusCreated, v, err)
}

func (api API) services(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	list, err := api.Svc.RESTServices(r.Context(), who(r), ServiceFilter{AgencyID: q.Get("agency_id"), Query: q.Get("q"), EnabledOnly: q.Get("enabled") == "true"})
	api.ok(w, r, http.StatusOK, items(list), err)
}

func (api API) service(w http.ResponseWriter, r *http.Request) {
	v, err := api.Svc.RESTService(r.Context(), who(r), r.PathValue("id"))
	api.ok(w, r, http.StatusOK, v, err)
}

func (api API) updateService(w http.ResponseWriter, r *http.Request) {
	var in struct {
		ServiceInput
		Version int `json:"version"`
	}
	if err := httpx.DecodeJSON(w, r, &in); err != nil {
		api.fail(w, r, err)
		return
	}
	v, err := api.Svc.UpdateService(r.Context(), who(r), r.PathValue("id"), in.Version, in.ServiceInput)
	api.ok(w, r, http.StatusOK, v, err)
}

func (api API) specs(w http.ResponseWriter, r *http.Request) {
	list, err := api.Svc.Specs(r.Context(), who(r), r.PathValue("id"))
	api.ok(w, r, http.StatusOK, items(list), err)
}

func (api API) uploadSpec(w http.ResponseWriter, r *http.Request) {
	doc, err := io.ReadAll(http.MaxBytesReader(w, r.Body, MaxSpecBytes+1))
	if err != nil {
		api.fail(w, r, apperr.Field("document", "Tài liệu OpenAPI tối đa 2 MiB."))
		return
	}
	sp, err := api.Svc.UploadSpec(r.Context(), who(r), r.PathValue("id"), doc)
	api.ok(w, r, http.StatusCreated, sp, err)
}

func (api API) spec(w http.ResponseWriter, r *http.Request) {
	version := 0
	if v := r.PathValue("version"); v != "current" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 {
			api.fail(w, r, apperr.Field("version", "Phiên bản là số nguyên dương hoặc current."))
			return
		}
		version = n
	}
	sp, err := api.Svc.Spec(r.Context(), who(r), r.PathValue("id"), version)
	if err != nil {
		api.fail(w, r, err)
		return
	}
	if strings.Contains(r.Header.Get("Accept"), "yaml") {
		w.Header().Set("Content-Type", "application/yaml; charset=utf-8")
		_, _ = w.Write([]byte(sp.Document))
		return
	}
	httpx.WriteJSON(w, http.StatusOK, sp)
}

func (api API) accessList(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	list, err := api.Svc.AccessList(r.Context(), who(r), AccessFilter{ConsumerID: q.Get("consumer_id"), ServiceID: q.Get("service_id"),
		Status: AccessStatus(q.Get("status"))})
	api.ok(w, r, http.StatusOK, items(list), err)
}

func (api API) requestAccess(w http.ResponseWriter, r *http.Request) {
	var in AccessRequest
	if err := httpx.DecodeJSON(w, r, &in); err != nil {
		api.fail(w, r, err)
		return
	}
	a, err := api.Svc.RequestAccess(r.Context(), who(r), in)
	api.ok(w, r, http.StatusCreated, a, err)
}

func (api API) decide(w http.ResponseWriter, r *http.Request) {
	var d Decision
	if r.ContentLength != 0 {
		if err := httpx.DecodeJSON(w, r, &d); err != nil {
			api.fail(w, r, err)
			return
		}
	}
	var a Access
	var err error
	switch r.PathValue("action") {
	case "approve":
		a, err = api.Svc.ApproveAccess(r.Context(), who(r), r.PathValue("id"), d)
	case "refuse":
		a, err = api.Svc.RefuseAccess(r.Context(), who(r), r.PathValue("id"), d)
	case "revoke":
		a, err = api.Svc.RevokeAccess(r.Context(), who(r), r.PathValue("id"), d)
	case "quota":
		a, err = api.Svc.SetQuota(r.Context(), who(r), r.PathValue("id"), d)
	default:
		err = apperr.New(apperr.NotFound, "Thao tác không hợp lệ: approve, refuse, revoke hoặc quota.")
	}
	api.ok(w, r, http.StatusOK, a, err)
}

func (api API) signingKeys(w http.ResponseWriter, r *http.Request) {
	list, err := api.Svc.SigningKeys(r.Context(), who(r))
	api.ok(w, r, http.StatusOK, items(list), err)
}

func (api API) rotate(w http.ResponseWriter, r *http.Request) {
	k, err := api.Svc.RotateSigningKey(r.Context(), who(r))
	api.ok(w, r, http.StatusCreated, k, err)
}

func (api API) retire(w http.ResponseWriter, r *http.Request) {
	if err := api.Svc.RetireSigningKey(r.Context(), who(r), r.PathValue("kid")); err != nil {
		api.fail(w, r, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

// logFilter reads the log filters: consumer_id, service_id, status (a code,
// or 2xx…5xx), from and to (RFC 3339 instants or YYYY-MM-DD in Vietnam
// time; to is exclusive for instants and inclusive for dates), end_user.
func (api API) logFilter(r *http.Request) (txlog.Filter, error) {
	q := r.URL.Query()
	f := txlog.Filter{ConsumerID: q.Get("consumer_id"), ServiceID: q.Get("service_id")}
	if s := q.Get("status"); s != "" {
		if len(s) == 3 && strings.HasSuffix(s, "xx") && s[0] >= '1' && s[0] <= '5' {
			f.StatusClass = int(s[0] - '0')
		} else if n, err := strconv.Atoi(s); err == nil && n >= 100 && n <= 599 {
			f.Status = n
		} else {
			return f, apperr.Field("status", "Trạng thái là mã HTTP (ví dụ 200) hoặc một nhóm (2xx, 4xx, 5xx).")
		}
	}
	for name, dst := range map[string]*time.Time{"from": &f.From, "to": &f.To} {
		s := q.Get(name)
		if s == "" {
			continue
		}
		if t, err := time.Parse(time.RFC3339, s); err == nil {
			*dst = t
			continue
		}
		d, err := time.ParseInLocation("2006-01-02", s, vietnam)
		if err != nil {
			return f, apperr.Field(name, "Thời điểm theo RFC 3339 hoặc ngày YYYY-MM-DD.")
		}
		if name == "to" {
			d = d.AddDate(0, 0, 1)
		}
		*dst = d
	}
	if u := q.Get("end_user"); u != "" {
		f.EndUserHash = api.Svc.HashEndUser(u)
	}
	return f, nil
}

func (api API) searchLog(w http.ResponseWriter, r *http.Request) {
	f, err := api.logFilter(r)
	if err != nil {
		api.fail(w, r, err)
		return
	}
	limit, err := httpx.Limit(r, 100, 1000)
	if err != nil {
		api.fail(w, r, err)
		return
	}
	f.Limit = limit + 1
	if c := r.URL.Query().Get("cursor"); c != "" {
		pos, err := httpx.DecodeCursor(c)
		if err == nil {
			f.Before, err = strconv.ParseInt(pos, 10, 64)
		}
		if err != nil {
			api.fail(w, r, apperr.Field("cursor", "Con trỏ phân trang không hợp lệ."))
			return
		}
	}
	list, err := api.Svc.SearchLog(r.Context(), who(r), f)
	if err != nil {
		api.fail(w, r, err)
		return
	}
	httpx.WriteJSON(w, http.StatusOK, httpx.NewPage(list, limit, func(e txlog.Entry) string { return strconv.FormatInt(e.Seq, 10) }))
}

func (api API) exportLog(w http.ResponseWriter, r *http.Request) {
	f, err := api.logFilter(r)
	if err != nil {
		api.fail(w, r, err)
		return
	}
	// Authorisation first, so that a refusal is still a JSON error.
	if err := api.Svc.logScope(r.Context(), who(r), &txlog.Filter{}); err != nil {
		api.fail(w, r, err)
		return
	}
	w.Header().Set("Content-Type", "text/csv; charset=utf-8")
	w.Header().Set("Content-Disposition", `attachment; filename="nhat-ky-lgsp.csv"`)
	if err := api.Svc.ExportLog(r.Context(), who(r), f, w); err != nil {
		api.Log.Error("export LGSP log", "err", err)
	}
}

func (api API) logStats(w http.ResponseWriter, r *http.Request) {
	f, err := api.logFilter(r)
	if err != nil {
		api.fail(w, r, err)
		return
	}
	var groups []txlog.Group
	if g := r.URL.Query().Get("group_by"); g != "" {
		for _, p := range strings.Split(g, ",") {
			switch txlog.Group(p) {
			case txlog.ByService, txlog.ByConsumer, txlog.ByDay:
				groups = append(groups, txlog.Group(p))
			default:
				api.fail(w, r, apperr.Field("group_by", "group_by là danh sách các nhóm service, consumer, day, ngăn cách bằng dấu phẩy."))
				return
			}
		}
	}
	list, err := api.Svc.LogStats(r.Context(), who(r), f, groups...)
	api.ok(w, r, http.StatusOK, items(list), err)
}

func (api API) logEntry(w http.ResponseWriter, r *http.Request) {
	seq, err := strconv.ParseInt(r.PathValue("seq"), 10, 64)
	if err != nil || seq < 1 {
		api.fail(w, r, apperr.New(apperr.NotFound, "Không có mục nhật ký này."))
		return
	}
	e, b, err := api.Svc.LogEntry(r.Context(), who(r), seq)
	api.ok(w, r, http.StatusOK, map[string]any{"entry": e, "bodies": b}, err)
}
