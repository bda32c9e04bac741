package web

import (
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/congso/congso/internal/actor"
	"github.com/congso/congso/internal/apperr"
	"github.com/congso/congso/internal/calendar"
	"github.com/congso/congso/internal/catalog"
	"github.com/congso/congso/internal/dossier"
	"github.com/congso/congso/internal/forms"
	"github.com/congso/congso/internal/org"
	"github.com/congso/congso/internal/payment"
)

// Online payment pages: the applicant's "Thanh toán trực tuyến" page of a
// dossier waiting for payment (the citizen portal links to it), the page the
// gateway sends the browser back to, the sandbox gateway's own payment page,
// and the officials' reconciliation. The payment service decides everything;
// the return page only shows what the gateway's IPN settled.

type paymentPages struct {
	s   *Server
	pay *payment.Service
}

// registerPayment adds the payment pages, and the sandbox gateway's page and
// querydr endpoint when the sandbox is configured.
func (s *Server) registerPayment(mux *http.ServeMux, pay *payment.Service) {
	pp := paymentPages{s: s, pay: pay}
	mux.HandleFunc("GET /thanh-toan/{code}", pp.page)
	mux.HandleFunc("POST /thanh-toan/{code}", pp.start)
	mux.HandleFunc("GET "+payment.ReturnPath+"{provider}", pp.result)
	mux.HandleFunc("GET /desk/payments", pp.reconcile)
	if sb := pay.Sandbox(); sb != nil {
		mux.HandleFunc("GET "+payment.SandboxPayPath, pp.sandboxPage)
		mux.HandleFunc("POST "+payment.SandboxPayPath, pp.sandboxDecide)
		mux.HandleFunc("POST "+payment.SandboxQueryPath, sb.ServeQuery)
	}
}

// money formats whole đồng: "150.000 đồng".
func payMoney(n int64) string { return forms.FormatMoney(n) }

type payRow struct {
	P          payment.Payment
	Amount     string
	Provider   string
	StatusKey  string
	ReceiptURL string
}

type payPageData struct {
	Dossier    dossier.Dossier
	Due        string
	DueAmount  int64
	Fees       []payFeeLine
	Providers  []payment.ProviderInfo
	Payments   []payRow
	CanPay     bool
	Requested  bool
	Applicant  bool
	Enabled    bool
	Paid       string
	FeeTotal   string
	TrackURL   string
	StatusText string
}

type payFeeLine struct {
	Kind, Name, Amount, Note string
}

func (pp paymentPages) rows(list []payment.Payment) []payRow {
	labels := map[string]string{}
	for _, p := range pp.pay.Providers() {
		labels[p.Name] = p.Label
	}
	out := make([]payRow, 0, len(list))
	for _, p := range list {
		r := payRow{P: p, Amount: payMoney(p.Amount), Provider: labels[p.Provider], StatusKey: "pay.status." + string(p.Status)}
		if r.Provider == "" {
			r.Provider = p.Provider
		}
		if p.Status == payment.Pending && p.Expired {
			r.StatusKey = "pay.status.expired"
		}
		if p.Status == payment.Paid {
			r.ReceiptURL = "/api/v1/payments/" + p.ID + "/receipt"
		}
		out = append(out, r)
	}
	return out
}

// load reads the dossier and its payments for the page.
func (pp paymentPages) load(r *http.Request, a *actor.Actor, code string) (payPageData, error) {
	ctx := r.Context()
	d, list, err := pp.pay.ForDossier(ctx, a, code)
	if err != nil {
		return payPageData{}, err
	}
	due := d.FeeTotal - d.PaidTotal
	data := payPageData{Dossier: d, DueAmount: due, Due: payMoney(max(due, 0)), Providers: pp.pay.Providers(), Payments: pp.rows(list),
		Applicant: a != nil && d.Applicant.UserID != "" && a.UserID == d.Applicant.UserID, Enabled: pp.pay.Enabled(),
		Paid: payMoney(d.PaidTotal), FeeTotal: payMoney(d.FeeTotal), TrackURL: "/tra-cuu/" + url.PathEscape(d.Code),
		StatusText: translate(langOf(r), deskStatusKey(d.Status))}
	data.Requested = d.Status == dossier.PaymentRequested
	data.CanPay = data.Applicant && data.Enabled && d.Status == dossier.PaymentRequested && due > 0
	if pp.s.Catalog != nil {
		if proc, err := pp.s.Catalog.Get(ctx, actor.SystemActor("web"), d.ProcedureID); err == nil {
			for _, f := range proc.Fees {
				fee := payFeeLine{Kind: f.Kind.Label(), Name: f.Name, Note: f.Note, Amount: payMoney(f.Amount)}
				if f.Amount == 0 {
					fee.Amount = ""
				}
				if f.Kind != catalog.KindFee && f.Kind != catalog.KindCharge {
					fee.Kind = ""
				}
				data.Fees = append(data.Fees, fee)
			}
		}
	}
	return data, nil
}

func (pp paymentPages) render(w http.ResponseWriter, r *http.Request, a *actor.Actor, code string, status int, perr error) {
	lang := langOf(r)
	data, err := pp.load(r, a, code)
	if err != nil {
		pp.s.fail(w, r, err)
		return
	}
	p := pp.s.page(r, translate(lang, "pay.title")+" "+data.Dossier.Code, data)
	p.Path = "/thanh-toan/" + data.Dossier.Code
	if perr != nil {
		p.Error = apperr.MessageOf(perr)
		p.Fields = apperr.FieldsOf(perr)
		p.Form = r.PostForm
		status = statusOf(apperr.CodeOf(perr))
	}
	pp.s.render(w, r, status, "payment", p)
}

// page is the "Thanh toán trực tuyến" page of a dossier.
func (pp paymentPages) page(w http.ResponseWriter, r *http.Request) {
	a := actor.From(r.Context())
	if a == nil {
		pp.s.fail(w, r, apperr.New(apperr.Unauthorized, "Bạn cần đăng nhập."))
		return
	}
	pp.render(w, r, a, r.PathValue("code"), http.StatusOK, nil)
}

// start opens the payment and sends the browser to the gateway.
func (pp paymentPages) start(w http.ResponseWriter, r *http.Request) {
	a := actor.From(r.Context())
	if a == nil {
		pp.s.fail(w, r, apperr.New(apperr.Unauthorized, "Bạn cần đăng nhập."))
		return
	}
	if err := parseForm(w, r); err != nil {
		pp.s.fail(w, r, err)
		return
	}
	st, err := pp.pay.Start(r.Context(), a, payment.StartInput{DossierCode: r.PathValue("code"), Provider: r.PostForm.Get("provider")},
		ClientIP(r))
	if err != nil {
		switch apperr.CodeOf(err) {
		case apperr.Invalid, apperr.Conflict, apperr.TooMany:
			pp.render(w, r, a, r.PathValue("code"), http.StatusOK, err)
		default:
			pp.s.fail(w, r, err)
		}
		return
	}
	http.Redirect(w, r, st.RedirectURL, http.StatusSeeOther)
}

type payResultData struct {
	View     payment.ReturnView
	Row      payRow
	Invalid  string
	Outcome  string // paid, waiting, cancelled, failed, unpaid
	PayURL   string
	TrackURL string
	// RefreshURL reloads the page with the same signed parameters.
	RefreshURL string
}

// result is where the gateway sends the browser back: it verifies the
// signature and shows the payment as the platform has it, changing nothing.
func (pp paymentPages) result(w http.ResponseWriter, r *http.Request) {
	lang := langOf(r)
	p := pp.s.page(r, translate(lang, "pay.result.title"), nil)
	p.Path = payment.ReturnPath + r.PathValue("provider")
	view, err := pp.pay.Return(r.Context(), r.PathValue("provider"), r.URL.Query())
	if err != nil {
		if c := apperr.CodeOf(err); c != apperr.Invalid && c != apperr.NotFound {
			pp.s.fail(w, r, err)
			return
		}
		p.Data = payResultData{Invalid: apperr.MessageOf(err)}
		pp.s.render(w, r, http.StatusBadRequest, "payment_result", p)
		return
	}
	d := payResultData{View: view, Row: pp.rows([]payment.Payment{view.Payment})[0],
		PayURL: "/thanh-toan/" + url.PathEscape(view.Payment.DossierCode), TrackURL: "/tra-cuu/" + url.PathEscape(view.Payment.DossierCode),
		RefreshURL: r.URL.RequestURI()}
	switch {
	case view.Payment.Status == payment.Paid:
		d.Outcome = "paid"
	case view.Payment.Status == payment.Cancelled:
		d.Outcome = "cancelled"
	case view.Payment.Status == payment.Failed:
		d.Outcome = "failed"
	case view.GatewaySuccess:
		d.Outcome = "waiting"
	default:
		d.Outcome = "unpaid"
	}
	p.Data = d
	pp.s.render(w, r, http.StatusOK, "payment_result", p)
}

type paySandboxData struct {
	Order    payment.SandboxOrder
	Amount   string
	Merchant string
	Expires  time.Time
	Invalid  bool
}

// sandboxPage is the sandbox gateway's payment page.
func (pp paymentPages) sandboxPage(w http.ResponseWriter, r *http.Request) {
	pp.sandboxRender(w, r, r.URL.Query(), nil)
}

func (pp paymentPages) sandboxRender(w http.ResponseWriter, r *http.Request, q url.Values, perr error) {
	lang := langOf(r)
	sb := pp.pay.Sandbox()
	p := pp.s.page(r, translate(lang, "sandbox.title"), nil)
	p.Path = payment.SandboxPayPath
	order, err := sb.Check(r.Context(), q)
	if err != nil {
		if apperr.CodeOf(err) == apperr.Internal {
			pp.s.fail(w, r, err)
			return
		}
		p.Error = apperr.MessageOf(err)
		p.Data = paySandboxData{Invalid: true, Merchant: sb.TmnCode()}
		pp.s.render(w, r, statusOf(apperr.CodeOf(err)), "payment_sandbox", p)
		return
	}
	status := http.StatusOK
	if perr != nil {
		p.Error = apperr.MessageOf(perr)
		status = statusOf(apperr.CodeOf(perr))
	}
	p.Data = paySandboxData{Order: order, Amount: payMoney(order.Amount), Merchant: sb.TmnCode(), Expires: order.ExpiresAt}
	pp.s.render(w, r, status, "payment_sandbox", p)
}

// sandboxDecide carries out the tester's choice: the sandbox calls the IPN,
// then the browser goes back to the platform with the signed result.
func (pp paymentPages) sandboxDecide(w http.ResponseWriter, r *http.Request) {
	if err := parseForm(w, r); err != nil {
		pp.s.fail(w, r, err)
		return
	}
	q := url.Values{}
	for k, v := range r.PostForm {
		if strings.HasPrefix(k, "vnp_") {
			q[k] = v
		}
	}
	out, err := pp.pay.Sandbox().Decide(r.Context(), q, r.PostForm.Get("decision"))
	if err != nil {
		if apperr.CodeOf(err) == apperr.Internal {
			pp.s.fail(w, r, err)
			return
		}
		pp.sandboxRender(w, r, q, err)
		return
	}
	http.Redirect(w, r, out.ReturnURL, http.StatusSeeOther)
}

type payReconData struct {
	From, To    string
	AgencyID    string
	Agencies    []payReconAgency
	ProvinceAll bool
	Skip        bool
	Report      *payment.Report
	Rows        []payReconRow
	PaidTotal   string
	XLSXURL     string
}

type payReconAgency struct {
	ID, Name string
	Selected bool
}

type payReconRow struct {
	R              payment.ReconRow
	Amount         string
	ProviderAmount string
	Provider       string
	StatusKey      string
	ProviderKey    string
}

// reconcile is the officials' reconciliation page: a period and an agency
// (or the province), every payment with what the gateway says of it, the
// mismatches flagged, and the spreadsheet.
func (pp paymentPages) reconcile(w http.ResponseWriter, r *http.Request) {
	a := actor.From(r.Context())
	if a == nil {
		pp.s.fail(w, r, apperr.New(apperr.Unauthorized, "Bạn cần đăng nhập."))
		return
	}
	if !a.IsOfficial() {
		pp.s.fail(w, r, actor.Deny(a, "Đối soát thanh toán chỉ dành cho cán bộ."))
		return
	}
	lang := langOf(r)
	q := r.URL.Query()
	today := calendar.DateOf(pp.s.Now().In(calendar.Location()))
	d := payReconData{From: q.Get("from"), To: q.Get("to"), AgencyID: q.Get("agency_id"), ProvinceAll: a.ProvinceWide(),
		Skip: q.Get("provider") == "skip"}
	if d.From == "" {
		d.From = calendar.Date{Year: today.Year, Month: today.Month, Day: 1}.String()
	}
	if d.To == "" {
		d.To = today.String()
	}
	_, hasAgency := q["agency_id"]
	if !hasAgency && !a.ProvinceWide() {
		d.AgencyID = a.PrimaryAgency()
	}
	if a.ProvinceWide() {
		// Every agency, for those who may reconcile any.
		list, err := pp.s.Org.Agencies(r.Context(), org.AgencyFilter{Limit: 1000})
		if err != nil {
			pp.s.fail(w, r, err)
			return
		}
		for _, ag := range list {
			d.Agencies = append(d.Agencies, payReconAgency{ID: ag.ID, Name: ag.Name, Selected: ag.ID == d.AgencyID})
		}
	} else {
		names, err := pp.s.agencyNames(r.Context(), a.AgencyIDs())
		if err != nil {
			pp.s.fail(w, r, err)
			return
		}
		for _, id := range a.AgencyIDs() {
			d.Agencies = append(d.Agencies, payReconAgency{ID: id, Name: names[id].Name, Selected: id == d.AgencyID})
		}
	}
	p := pp.s.page(r, translate(lang, "recon.title"), nil)
	p.Path = "/desk/payments"
	status := http.StatusOK
	f := payment.ReconFilter{AgencyID: d.AgencyID, SkipProvider: d.Skip}
	var ferr error
	if f.From, ferr = calendar.ParseDate(d.From); ferr != nil {
		ferr = apperr.Field("from", translate(lang, "recon.err.date"))
	} else if f.To, ferr = calendar.ParseDate(d.To); ferr != nil {
		ferr = apperr.Field("to", translate(lang, "recon.err.date"))
	}
	if ferr == nil {
		rep, err := pp.pay.Reconcile(r.Context(), a, f)
		switch {
		case err == nil:
			d.Report = &rep
			d.PaidTotal = payMoney(rep.PaidTotal)
			labels := map[string]string{}
			for _, pi := range pp.pay.Providers() {
				labels[pi.Name] = pi.Label
			}
			for _, x := range rep.Rows {
				row := payReconRow{R: x, Amount: payMoney(x.Amount), Provider: labels[x.Provider], StatusKey: "pay.status." + string(x.Status),
					ProviderKey: "recon.provider." + x.ProviderState}
				if row.Provider == "" {
					row.Provider = x.Provider
				}
				if x.ProviderState == payment.ProviderPaid {
					row.ProviderAmount = payMoney(x.ProviderAmount)
				}
				d.Rows = append(d.Rows, row)
			}
			v := url.Values{"from": {d.From}, "to": {d.To}}
			if d.AgencyID != "" {
				v.Set("agency_id", d.AgencyID)
			}
			if d.Skip {
				v.Set("provider", "skip")
			}
			d.XLSXURL = "/api/v1/payments/reconciliation.xlsx?" + v.Encode()
		case apperr.CodeOf(err) == apperr.Internal:
			pp.s.fail(w, r, err)
			return
		default:
			ferr = err
		}
	}
	if ferr != nil {
		p.Error = apperr.MessageOf(ferr)
		p.Fields = apperr.FieldsOf(ferr)
		status = statusOf(apperr.CodeOf(ferr))
	}
	p.Data = d
	pp.s.render(w, r, status, "payment_recon", p)
}
