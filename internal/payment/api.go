package payment

import (
	"bytes"
	"log/slog"
	"mime"
	"net"
	"net/http"

	"github.com/congso/congso/internal/actor"
	"github.com/congso/congso/internal/apperr"
	"github.com/congso/congso/internal/calendar"
	"github.com/congso/congso/internal/httpx"
)

// API serves payments as JSON, and the gateways' IPN endpoint.
type API struct {
	Svc *Service
	Log *slog.Logger
}

// Register adds the routes. The IPN endpoint takes no session: the gateway
// calls it server to server, and only the signature counts.
func (api API) Register(r *httpx.Router) {
	r.HandleFunc("GET /api/v1/payment-gateways", api.gateways)
	r.HandleFunc("GET /api/v1/payment-gateways/{provider}/ipn", api.ipn)
	r.HandleFunc("POST /api/v1/payments", api.start)
	r.HandleFunc("GET /api/v1/payments", api.list)
	r.HandleFunc("GET /api/v1/payments/reconciliation", api.reconcile)
	r.HandleFunc("GET /api/v1/payments/reconciliation.xlsx", api.reconcileXLSX)
	r.HandleFunc("GET /api/v1/payments/{id}", api.get)
	r.HandleFunc("GET /api/v1/payments/{id}/receipt", api.receipt)
	r.HandleFunc("GET /api/v1/payments/{id}/events", api.events)
}

func (api API) fail(w http.ResponseWriter, r *http.Request, err error) {
	httpx.WriteError(w, r, api.Log, err)
}

// ClientIP is the caller's address (the app puts a trusted proxy's
// X-Forwarded-For first hop into RemoteAddr before handlers run).
func ClientIP(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return host
}

func (api API) gateways(w http.ResponseWriter, r *http.Request) {
	httpx.WriteJSON(w, http.StatusOK, map[string]any{"items": api.Svc.Providers()})
}

func (api API) ipn(w http.ResponseWriter, r *http.Request) {
	a := api.Svc.HandleIPN(r.Context(), r.PathValue("provider"), r.URL.Query(), ClientIP(r))
	httpx.WriteJSON(w, http.StatusOK, a)
}

func (api API) start(w http.ResponseWriter, r *http.Request) {
	var in StartInput
	if err := httpx.DecodeJSON(w, r, &in); err != nil {
		api.fail(w, r, err)
		return
	}
	st, err := api.Svc.Start(r.Context(), actor.From(r.Context()), in, ClientIP(r))
	if err != nil {
		api.fail(w, r, err)
		return
	}
	w.Header().Set("Location", "/api/v1/payments/"+st.Payment.ID)
	httpx.WriteJSON(w, http.StatusCreated, st)
}

func (api API) list(w http.ResponseWriter, r *http.Request) {
	code := r.URL.Query().Get("dossier_code")
	if code == "" {
		api.fail(w, r, apperr.Field("dossier_code", "Hãy cho biết mã hồ sơ (dossier_code)."))
		return
	}
	_, list, err := api.Svc.ForDossier(r.Context(), actor.From(r.Context()), code)
	if err != nil {
		api.fail(w, r, err)
		return
	}
	if list == nil {
		list = []Payment{}
	}
	httpx.WriteJSON(w, http.StatusOK, map[string]any{"items": list})
}

func (api API) get(w http.ResponseWriter, r *http.Request) {
	p, err := api.Svc.Get(r.Context(), actor.From(r.Context()), r.PathValue("id"))
	if err != nil {
		api.fail(w, r, err)
		return
	}
	httpx.WriteJSON(w, http.StatusOK, p)
}

func (api API) events(w http.ResponseWriter, r *http.Request) {
	list, err := api.Svc.Events(r.Context(), actor.From(r.Context()), r.PathValue("id"))
	if err != nil {
		api.fail(w, r, err)
		return
	}
	if list == nil {
		list = []Event{}
	}
	httpx.WriteJSON(w, http.StatusOK, map[string]any{"items": list})
}

func (api API) receipt(w http.ResponseWriter, r *http.Request) {
	var buf bytes.Buffer
	if err := api.Svc.Receipt(r.Context(), actor.From(r.Context()), r.PathValue("id"), &buf); err != nil {
		api.fail(w, r, err)
		return
	}
	w.Header().Set("Content-Type", "application/pdf")
	w.Header().Set("Content-Disposition", mime.FormatMediaType("inline", map[string]string{"filename": "bien-lai-" + r.PathValue("id") + ".pdf"}))
	w.Header().Set("Cache-Control", "no-store")
	_, _ = buf.WriteTo(w)
}

// ReconFilterOf reads the reconciliation filters of a query string: from and
// to (YYYY-MM-DD), agency_id, and provider=skip to compare the platform's
// records only.
func ReconFilterOf(r *http.Request) (ReconFilter, error) {
	q := r.URL.Query()
	var f ReconFilter
	var err error
	if f.From, err = calendar.ParseDate(q.Get("from")); err != nil {
		return f, apperr.Field("from", "Từ ngày không hợp lệ (định dạng YYYY-MM-DD).")
	}
	if f.To, err = calendar.ParseDate(q.Get("to")); err != nil {
		return f, apperr.Field("to", "Đến ngày không hợp lệ (định dạng YYYY-MM-DD).")
	}
	f.AgencyID = q.Get("agency_id")
	f.SkipProvider = q.Get("provider") == "skip"
	return f, nil
}

func (api API) reconcile(w http.ResponseWriter, r *http.Request) {
	f, err := ReconFilterOf(r)
	if err != nil {
		api.fail(w, r, err)
		return
	}
	rep, err := api.Svc.Reconcile(r.Context(), actor.From(r.Context()), f)
	if err != nil {
		api.fail(w, r, err)
		return
	}
	httpx.WriteJSON(w, http.StatusOK, rep)
}

func (api API) reconcileXLSX(w http.ResponseWriter, r *http.Request) {
	f, err := ReconFilterOf(r)
	if err != nil {
		api.fail(w, r, err)
		return
	}
	var buf bytes.Buffer
	if err := api.Svc.ReconcileXLSX(r.Context(), actor.From(r.Context()), f, &buf); err != nil {
		api.fail(w, r, err)
		return
	}
	w.Header().Set("Content-Type", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
	w.Header().Set("Content-Disposition", `attachment; filename="doi-soat-thanh-toan.xlsx"`)
	w.Header().Set("Cache-Control", "no-store")
	_, _ = buf.WriteTo(w)
}
