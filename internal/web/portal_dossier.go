package web

import (
	"bytes"
	"context"
	"fmt"
	"mime"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/congso/congso/internal/actor"
	"github.com/congso/congso/internal/apperr"
	"github.com/congso/congso/internal/dossier"
)

// The applicant's dossiers: the list with what each waits for, and the
// dossier page with its status, timeline, what the office asks for, the
// files and results, and what the applicant can do now — complete the file,
// pay, withdraw, rate, complain. Only the applicant's own dossiers: officials
// work on the desk.

// portalNext is the next thing the applicant can do about a dossier.
type portalNext struct {
	Key  string
	Href string
	// Act marks something the applicant must do (not just wait).
	Act bool
}

func nextOf(d dossier.Dossier) portalNext {
	code := url.PathEscape(d.Code)
	page := "/ho-so/" + code
	switch d.Status {
	case dossier.New:
		return portalNext{Key: "portal.next.receive", Href: page}
	case dossier.Accepted, dossier.Processing:
		return portalNext{Key: "portal.next.process", Href: page}
	case dossier.SupplementRequested:
		return portalNext{Key: "portal.next.supplement", Href: page + "#bo-sung", Act: true}
	case dossier.PaymentRequested:
		return portalNext{Key: "portal.next.pay", Href: "/thanh-toan/" + code, Act: true}
	case dossier.WithdrawalRequested:
		return portalNext{Key: "portal.next.withdrawal", Href: page}
	case dossier.Processed:
		if d.ResultDelivery == "post" {
			return portalNext{Key: "portal.next.result.post", Href: page + "#ket-qua"}
		}
		return portalNext{Key: "portal.next.result.counter", Href: page + "#ket-qua", Act: true}
	case dossier.Returned:
		return portalNext{Key: "portal.next.rate", Href: page + "/danh-gia", Act: true}
	case dossier.Refused:
		return portalNext{Key: "portal.next.refused", Href: page}
	case dossier.Stopped:
		return portalNext{Key: "portal.next.stopped", Href: page}
	}
	return portalNext{Key: "portal.next.process", Href: page}
}

// PortalNext is the next step of a dossier, for the templates.
func (p Page) PortalNext(d dossier.Dossier) portalNext { return nextOf(d) }

// PortalStatus is a dossier status in the page's language.
func (p Page) PortalStatus(st dossier.Status) string {
	return portalLabel(p.Lang, "dstatus."+strconv.Itoa(int(st)), st.Label())
}

// portalLabel translates key, or falls back to the service's Vietnamese
// label when no catalogue has the key.
func portalLabel(lang, key, fallback string) string {
	if t := translate(lang, key); t != key {
		return t
	}
	return fallback
}

const portalMinePage = 20

type portalMineData struct {
	Items    []dossier.Dossier
	NextHref string
}

func (p *portal) mine(w http.ResponseWriter, r *http.Request) {
	a := p.applicant(w, r)
	if a == nil {
		return
	}
	list, err := p.s.Dossiers.List(r.Context(), a, dossier.Filter{Mine: true, After: r.URL.Query().Get("after"), Limit: portalMinePage + 1})
	if err != nil {
		p.s.fail(w, r, err)
		return
	}
	d := portalMineData{Items: list}
	if len(list) > portalMinePage {
		d.Items = list[:portalMinePage]
		d.NextHref = "/ho-so-cua-toi?" + url.Values{"after": {dossier.Cursor(d.Items[len(d.Items)-1])}}.Encode()
	}
	pg := p.page(r, "portal.mine.title", d)
	pg.Path = "/ho-so-cua-toi"
	p.s.render(w, r, http.StatusOK, "portal_mine", pg)
}

// loadMine reads one of the applicant's dossiers; someone else's is "not
// found" (the page is the owner's).
func (p *portal) loadMine(ctx context.Context, lang string, a *actor.Actor, code string) (dossier.View, error) {
	v, err := p.s.Dossiers.Get(ctx, a, code)
	if apperr.Is(err, apperr.Forbidden) || (err == nil && v.Dossier.Applicant.UserID != a.UserID) {
		return dossier.View{}, apperr.New(apperr.NotFound, "%s", translate(lang, "portal.dossier.notfound"))
	}
	return v, err
}

type portalEvent struct {
	At     time.Time
	Action string
	Status string
	// Changed is set when the status changed.
	Changed bool
	// Note and Documents are what the office (or the applicant) wrote for
	// the applicant: the reason of a refusal, the papers to add…
	Note      string
	Documents []string
	Amount    int64
}

type portalFile struct {
	File dossier.File
	Href string
	Size string
}

type portalValue struct {
	Label, Value string
}

// portalRequest is the office's last supplement request.
type portalRequest struct {
	At        time.Time
	Note      string
	Documents []string
}

type portalForm struct {
	N, Href, Key string
}

type portalDossierData struct {
	Dossier    dossier.Dossier
	Agency     string
	Receiving  string
	Events     []portalEvent
	Files      []portalFile
	Results    []portalFile
	FormTitle  string
	FormValues []portalValue
	Request    *portalRequest
	Due        int64
	Forms      []portalForm
	Next       portalNext
	// Documents are the procedure's papers, for the "add a file" form.
	Documents   []string
	CanWithdraw bool
	CanAttach   bool
	ShowResult  bool
	CanRate     bool
	StatusURL   string
	// Open names the form shown unfolded after an error.
	Open string
}

// citizenNotes are the actions whose note is written for the applicant.
var citizenNotes = []dossier.Action{dossier.ActRequestSupplement, dossier.ActSupplement, dossier.ActRefuse, dossier.ActStop, dossier.ActWithdraw,
	dossier.ActDeclineWithdrawal, dossier.ActRequestWithdrawal, dossier.ActApologise, dossier.ActRequestPayment}

func portalStrings(v any) []string {
	list, _ := v.([]any)
	var out []string
	for _, x := range list {
		if s, ok := x.(string); ok && s != "" {
			out = append(out, s)
		}
	}
	return out
}

// portalValueText writes a clean e-form value for reading.
func portalValueText(v any) string {
	switch x := v.(type) {
	case nil:
		return ""
	case string:
		if t, err := time.Parse("2006-01-02", x); err == nil {
			return t.Format("02/01/2006")
		}
		return x
	case float64:
		return strconv.FormatFloat(x, 'f', -1, 64)
	case map[string]any:
		text, _ := x["text"].(string)
		unit, _ := x["unit"].(string)
		if unit == "" {
			unit, _ = x["unit_id"].(string)
		}
		return strings.Trim(text+", "+unit, ", ")
	case []any:
		parts := make([]string, 0, len(x))
		for _, e := range x {
			parts = append(parts, portalValueText(e))
		}
		return strings.Join(parts, "; ")
	}
	return fmt.Sprint(v)
}

// dossierData builds the dossier page.
func (p *portal) dossierData(ctx context.Context, lang string, v dossier.View) portalDossierData {
	d := v.Dossier
	code := url.PathEscape(d.Code)
	data := portalDossierData{Dossier: d, Next: nextOf(d), StatusURL: p.s.Dossiers.StatusURL(d.Code)}
	data.Agency = p.agencyName(ctx, d.AgencyID)
	data.Receiving = data.Agency
	if d.ReceivingAgencyID != d.AgencyID {
		data.Receiving = p.agencyName(ctx, d.ReceivingAgencyID)
	}
	for _, e := range v.Events {
		ev := portalEvent{At: e.At, Action: portalLabel(lang, "dact."+string(e.Action), e.Action.Label()),
			Status: portalLabel(lang, "dstatus."+strconv.Itoa(int(e.ToStatus)), e.ToStatus.Label()), Changed: e.FromStatus != e.ToStatus}
		if slices.Contains(citizenNotes, e.Action) {
			ev.Note = e.Note
			ev.Documents = portalStrings(e.Detail["documents"])
		}
		if amount, ok := e.Detail["amount"].(float64); ok && (e.Action == dossier.ActRequestPayment || e.Action == dossier.ActPay) {
			ev.Amount = int64(amount)
		}
		data.Events = append(data.Events, ev)
		if e.Action == dossier.ActRequestSupplement {
			data.Request = &portalRequest{At: e.At, Note: e.Note, Documents: portalStrings(e.Detail["documents"])}
		}
	}
	if d.Status != dossier.SupplementRequested {
		data.Request = nil
	}
	if d.Status == dossier.PaymentRequested {
		data.Due = max(0, d.FeeTotal-d.PaidTotal)
	}
	data.ShowResult = d.Status == dossier.Processed || d.Status == dossier.Returned
	data.CanRate = data.ShowResult
	for _, f := range v.Files {
		row := portalFile{File: f, Size: portalSize(f.Size), Href: "/ho-so/" + code + "/tep/" + url.PathEscape(f.ID)}
		if f.Kind == dossier.KindResult {
			if data.ShowResult {
				data.Results = append(data.Results, row)
			}
			continue
		}
		data.Files = append(data.Files, row)
	}
	if proc, err := p.s.Catalog.Get(ctx, actor.SystemActor("portal"), d.ProcedureID); err == nil {
		data.FormTitle = proc.Form.Title
		for _, f := range proc.Form.Fields {
			if val, ok := d.Form[f.Name]; ok {
				data.FormValues = append(data.FormValues, portalValue{Label: f.Label, Value: portalValueText(val)})
			}
		}
		for _, doc := range proc.Documents {
			data.Documents = append(data.Documents, doc.Name)
		}
	}
	data.Forms = portalForms(d, v.Events)
	switch d.Status {
	case dossier.New, dossier.Accepted, dossier.Processing, dossier.SupplementRequested, dossier.PaymentRequested:
		data.CanWithdraw = true
	}
	data.CanAttach = d.Status == dossier.New
	return data
}

// portalForms lists the official forms of the dossier the applicant keeps:
// the receipt, and the letters the office sent them.
func portalForms(d dossier.Dossier, evs []dossier.Event) []portalForm {
	happened := map[dossier.Action]bool{}
	for _, e := range evs {
		happened[e.Action] = true
	}
	want := []struct {
		n  string
		ok bool
	}{
		{"01", d.ReceivedAt != nil},
		{"02", happened[dossier.ActRequestSupplement]},
		{"03", happened[dossier.ActRefuse]},
		{"04", happened[dossier.ActApologise]},
		{"05", happened[dossier.ActStop] || happened[dossier.ActWithdraw]},
	}
	var out []portalForm
	for _, x := range want {
		if x.ok {
			out = append(out, portalForm{N: x.n, Key: "portal.form." + x.n, Href: "/ho-so/" + url.PathEscape(d.Code) + "/mau/" + x.n})
		}
	}
	return out
}

// agencyName is an agency's name, or its ID when it cannot be read.
func (p *portal) agencyName(ctx context.Context, id string) string {
	if ag, err := p.s.Org.Agency(ctx, id); err == nil {
		return ag.Name
	}
	return id
}

// portalFormAllowed are the forms the applicant may download.
var portalFormAllowed = []string{"01", "02", "03", "04", "05"}

func (p *portal) dossier(w http.ResponseWriter, r *http.Request) {
	if a := actor.From(r.Context()); a != nil && a.IsOfficial() {
		http.Redirect(w, r, "/desk/dossiers/"+url.PathEscape(r.PathValue("code")), http.StatusSeeOther)
		return
	}
	a := p.applicant(w, r)
	if a == nil {
		return
	}
	p.renderDossier(w, r, a, "", p.takeProblem(w, r), nil)
}

// renderDossier shows the dossier page, with the error of one of its forms
// (open names it) or a message about files refused after filing.
func (p *portal) renderDossier(w http.ResponseWriter, r *http.Request, a *actor.Actor, open, problem string, err error) {
	lang := langOf(r)
	v, lerr := p.loadMine(r.Context(), lang, a, r.PathValue("code"))
	if lerr != nil {
		p.s.fail(w, r, lerr)
		return
	}
	data := p.dossierData(r.Context(), lang, v)
	data.Open = open
	pg := p.s.page(r, translate(lang, "portal.dossier.title")+" "+data.Dossier.Code, data)
	pg.Path = "/ho-so/" + data.Dossier.Code
	pg.Error = problem
	if err == nil {
		p.s.render(w, r, http.StatusOK, "portal_dossier", pg)
		return
	}
	switch apperr.CodeOf(err) {
	case apperr.Invalid, apperr.Conflict, apperr.Forbidden, apperr.TooMany:
		pg.Error = apperr.MessageOf(err)
		pg.Fields = apperr.FieldsOf(err)
		pg.Form = r.PostForm
		p.s.render(w, r, statusOf(apperr.CodeOf(err)), "portal_dossier", pg)
	default:
		p.s.fail(w, r, err)
	}
}

// filed is the page after a successful filing: the code, the status and what
// happens next.
func (p *portal) filed(w http.ResponseWriter, r *http.Request) {
	a := p.applicant(w, r)
	if a == nil {
		return
	}
	lang := langOf(r)
	v, err := p.loadMine(r.Context(), lang, a, r.PathValue("code"))
	if err != nil {
		p.s.fail(w, r, err)
		return
	}
	data := p.dossierData(r.Context(), lang, v)
	pg := p.page(r, "portal.filed.title", data)
	pg.Path = "/ho-so/" + data.Dossier.Code + "/da-nop"
	pg.Error = p.takeProblem(w, r)
	p.s.render(w, r, http.StatusOK, "portal_filed", pg)
}

func (p *portal) download(w http.ResponseWriter, r *http.Request) {
	a := p.applicant(w, r)
	if a == nil {
		return
	}
	ctx := r.Context()
	lang := langOf(r)
	v, err := p.loadMine(ctx, lang, a, r.PathValue("code"))
	if err != nil {
		p.s.fail(w, r, err)
		return
	}
	id := r.PathValue("id")
	i := slices.IndexFunc(v.Files, func(f dossier.File) bool { return f.ID == id })
	st := v.Dossier.Status
	if i < 0 || (v.Files[i].Kind == dossier.KindResult && st != dossier.Processed && st != dossier.Returned) {
		p.s.fail(w, r, apperr.New(apperr.NotFound, "%s", translate(lang, "portal.file.notfound")))
		return
	}
	f, data, err := p.s.Dossiers.FileContent(ctx, a, v.Dossier.Code, id)
	if err != nil {
		p.s.fail(w, r, err)
		return
	}
	w.Header().Set("Content-Type", f.ContentType)
	w.Header().Set("Content-Disposition", mime.FormatMediaType("attachment", map[string]string{"filename": f.Name}))
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.Header().Set("Cache-Control", "private, no-store")
	_, _ = w.Write(data)
}

func (p *portal) form(w http.ResponseWriter, r *http.Request) {
	a := p.applicant(w, r)
	if a == nil {
		return
	}
	ctx := r.Context()
	lang := langOf(r)
	n := r.PathValue("n")
	if !slices.Contains(portalFormAllowed, n) {
		p.s.notFound(w, r)
		return
	}
	v, err := p.loadMine(ctx, lang, a, r.PathValue("code"))
	if err != nil {
		p.s.fail(w, r, err)
		return
	}
	var buf bytes.Buffer
	if err := p.s.Dossiers.Form(ctx, a, v.Dossier.Code, n, &buf); err != nil {
		p.s.fail(w, r, err)
		return
	}
	w.Header().Set("Content-Type", "application/pdf")
	w.Header().Set("Content-Disposition", mime.FormatMediaType("inline", map[string]string{"filename": "mau-" + n + "-" + v.Dossier.Code + ".pdf"}))
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.Header().Set("Cache-Control", "private, no-store")
	_, _ = buf.WriteTo(w)
}

// portalMaxSupplement bounds a supplement or attachment request.
const portalMaxSupplement = 64 << 20

// mineForUpload opens the applicant's own dossier for an upload in the
// dossier page's panel: the request bounded and parsed (too large is shown
// under input), the dossier in the status the upload needs. ok is false once
// an answer has been written.
func (p *portal) mineForUpload(w http.ResponseWriter, r *http.Request, panel, input string, want dossier.Status,
	stateErr string) (*actor.Actor, dossier.View, bool) {
	a := p.applicant(w, r)
	if a == nil {
		return nil, dossier.View{}, false
	}
	lang := langOf(r)
	v, err := p.loadMine(r.Context(), lang, a, r.PathValue("code"))
	if err != nil {
		p.s.fail(w, r, err)
		return nil, v, false
	}
	r.Body = http.MaxBytesReader(w, r.Body, portalMaxSupplement)
	if err := r.ParseMultipartForm(8 << 20); err != nil {
		p.renderDossier(w, r, a, panel, "", apperr.Field(input, translate(lang, "portal.file.err.toolarge")))
		return nil, v, false
	}
	if v.Dossier.Status != want {
		r.MultipartForm.RemoveAll()
		p.renderDossier(w, r, a, "", "", apperr.New(apperr.Conflict, "%s", translate(lang, stateErr)))
		return nil, v, false
	}
	return a, v, true
}

// addScans stores the uploaded scans on the dossier; a refused file is shown
// under its input in the panel. ok is false once an answer has been written.
func (p *portal) addScans(w http.ResponseWriter, r *http.Request, a *actor.Actor, code, kind, panel string,
	scans []scan) bool {
	for _, sc := range scans {
		if _, err := p.s.Dossiers.AddFile(r.Context(), a, code, kind, sc.document, sc.name, bytes.NewReader(sc.data)); err != nil {
			if apperr.CodeOf(err) == apperr.Internal {
				p.s.fail(w, r, err)
				return false
			}
			p.renderDossier(w, r, a, panel, "", apperr.Field(sc.input, sc.name+": "+apperr.MessageOf(err)))
			return false
		}
	}
	return true
}

// supplement completes the file: the papers the office asked for, uploaded as
// supplements, and the "supplemented" action, in one step. A refused file
// stops it: the dossier stays waiting for the supplement.
func (p *portal) supplement(w http.ResponseWriter, r *http.Request) {
	a, v, ok := p.mineForUpload(w, r, "supplement", "sup_other", dossier.SupplementRequested, "portal.supplement.err.state")
	if !ok {
		return
	}
	defer r.MultipartForm.RemoveAll()
	ctx := r.Context()
	lang := langOf(r)
	data := p.dossierData(ctx, lang, v)
	inputs := [][2]string{}
	if data.Request != nil {
		for i, doc := range data.Request.Documents {
			inputs = append(inputs, [2]string{"sup_" + strconv.Itoa(i), doc})
		}
	}
	inputs = append(inputs, [2]string{"sup_other", ""})
	errs := apperr.Fields{}
	scans := readScans(lang, r.MultipartForm, inputs, errs, portalScanMessages)
	note := portalClip(r.PostForm.Get("note"), 2000)
	if len(errs) == 0 && len(scans) == 0 && note == "" {
		errs.Add("sup_other", translate(lang, "portal.supplement.err.empty"))
	}
	if len(errs) > 0 {
		p.renderDossier(w, r, a, "supplement", "", errs.Err())
		return
	}
	if !p.addScans(w, r, a, v.Dossier.Code, dossier.KindSupplement, "supplement", scans) {
		return
	}
	version, _ := strconv.Atoi(r.PostForm.Get("version"))
	if _, err := p.s.Dossiers.Act(ctx, a, v.Dossier.Code, dossier.ActSupplement, dossier.ActionInput{Note: note, Version: version}); err != nil {
		p.renderDossier(w, r, a, "supplement", "", err)
		return
	}
	p.s.redirect(w, r, "/ho-so/"+url.PathEscape(v.Dossier.Code), translate(lang, "portal.supplement.done"))
}

// attach adds a paper to a dossier not yet received (one refused when it was
// filed, or forgotten).
func (p *portal) attach(w http.ResponseWriter, r *http.Request) {
	a, v, ok := p.mineForUpload(w, r, "attach", "file", dossier.New, "portal.attach.err.state")
	if !ok {
		return
	}
	defer r.MultipartForm.RemoveAll()
	ctx := r.Context()
	lang := langOf(r)
	document := r.PostForm.Get("document")
	data := p.dossierData(ctx, lang, v)
	if document != "" && !slices.Contains(data.Documents, document) {
		document = ""
	}
	errs := apperr.Fields{}
	scans := readScans(lang, r.MultipartForm, [][2]string{{"file", document}}, errs, portalScanMessages)
	if len(errs) == 0 && len(scans) == 0 {
		errs.Add("file", translate(lang, "portal.attach.err.nofile"))
	}
	if len(errs) > 0 {
		p.renderDossier(w, r, a, "attach", "", errs.Err())
		return
	}
	if !p.addScans(w, r, a, v.Dossier.Code, dossier.KindAttachment, "attach", scans) {
		return
	}
	var names []string
	for _, sc := range scans {
		names = append(names, sc.name)
	}
	p.s.redirect(w, r, "/ho-so/"+url.PathEscape(v.Dossier.Code), fmt.Sprintf(translate(lang, "portal.attach.done"), strings.Join(names, ", ")))
}

type portalWithdrawData struct {
	Dossier dossier.Dossier
}

func (p *portal) withdrawPage(r *http.Request, d dossier.Dossier) Page {
	pg := p.page(r, "portal.withdraw.title", portalWithdrawData{Dossier: d})
	pg.Path = "/ho-so/" + d.Code + "/rut-ho-so"
	return pg
}

// withdrawForm asks for the reason and a confirmation before the request.
func (p *portal) withdrawForm(w http.ResponseWriter, r *http.Request) {
	a := p.applicant(w, r)
	if a == nil {
		return
	}
	lang := langOf(r)
	v, err := p.loadMine(r.Context(), lang, a, r.PathValue("code"))
	if err != nil {
		p.s.fail(w, r, err)
		return
	}
	p.s.render(w, r, http.StatusOK, "portal_withdraw", p.withdrawPage(r, v.Dossier))
}

func (p *portal) withdraw(w http.ResponseWriter, r *http.Request) {
	a := p.applicant(w, r)
	if a == nil {
		return
	}
	ctx := r.Context()
	lang := langOf(r)
	v, err := p.loadMine(ctx, lang, a, r.PathValue("code"))
	if err != nil {
		p.s.fail(w, r, err)
		return
	}
	if err := parseForm(w, r); err != nil {
		p.s.fail(w, r, err)
		return
	}
	pg := p.withdrawPage(r, v.Dossier)
	reason := portalClip(r.PostForm.Get("note"), 2000)
	errs := apperr.Fields{}
	if reason == "" {
		errs.Add("note", translate(lang, "portal.withdraw.err.reason"))
	}
	if r.PostForm.Get("confirm") != "yes" {
		errs.Add("confirm", translate(lang, "portal.withdraw.err.confirm"))
	}
	if len(errs) > 0 {
		p.s.formError(w, r, "portal_withdraw", pg, errs.Err())
		return
	}
	if _, err := p.s.Dossiers.Act(ctx, a, v.Dossier.Code, dossier.ActRequestWithdrawal, dossier.ActionInput{Note: reason}); err != nil {
		p.s.formError(w, r, "portal_withdraw", pg, err)
		return
	}
	p.s.redirect(w, r, "/ho-so/"+url.PathEscape(v.Dossier.Code), translate(lang, "portal.withdraw.done"))
}
