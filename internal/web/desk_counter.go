package web

import (
	"bytes"
	"context"
	"fmt"
	"mime/multipart"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"

	"github.com/congso/congso/internal/actor"
	"github.com/congso/congso/internal/apperr"
	"github.com/congso/congso/internal/catalog"
	"github.com/congso/congso/internal/dossier"
	"github.com/congso/congso/internal/org"
	"github.com/congso/congso/internal/vntext"
)

// The counter flow of receiving officers: choose the procedure among those
// the officer's desks receive, fill in the applicant and the procedure's
// e-form, attach the scans, receive. The dossier is created only when
// everything is right; otherwise the form comes back with the values kept
// and each message next to its field.

// deskCounterDesk is a one-stop desk where the officer receives.
type deskCounterDesk struct {
	Agency org.Agency
	// Centre marks a public administrative service centre, which receives
	// the province's procedures for the departments.
	Centre bool
}

// deskCounterDesks lists the agencies where the official is a receiving officer.
func (s *Server) deskCounterDesks(ctx context.Context, a *actor.Actor) ([]deskCounterDesk, error) {
	var out []deskCounterDesk
	for _, id := range a.AgencyIDs() {
		if !a.Has(actor.Receiver, id) {
			continue
		}
		ag, err := s.Org.Agency(ctx, id)
		if err != nil {
			return nil, err
		}
		if ag.Retired() {
			continue
		}
		out = append(out, deskCounterDesk{Agency: ag, Centre: ag.Kind == org.ServiceCentre || ag.Kind == org.ServiceBranch})
	}
	return out, nil
}

// receives reports whether the desk takes dossiers of the procedure: it
// implements it, or it is a service centre and the procedure is the
// province's.
func (d deskCounterDesk) receives(p catalog.Procedure) bool {
	return slices.Contains(p.AgencyIDs, d.Agency.ID) || (d.Centre && p.Level == catalog.LevelProvince && len(p.AgencyIDs) > 0)
}

// deskReceiver returns the signed-in receiving officer, or answers the request.
func (s *Server) deskReceiver(w http.ResponseWriter, r *http.Request) (*actor.Actor, []deskCounterDesk) {
	a := s.official(w, r)
	if a == nil {
		return nil, nil
	}
	desks, err := s.deskCounterDesks(r.Context(), a)
	if err != nil {
		s.fail(w, r, err)
		return nil, nil
	}
	if len(desks) == 0 {
		s.fail(w, r, actor.Deny(a, translate(langOf(r), "counter.err.notreceiver")))
		return nil, nil
	}
	return a, desks
}

type deskProc struct {
	Procedure catalog.Procedure
	Fees      string
}

type deskCounterList struct {
	Query string
	Items []deskProc
	// More is set when the list was cut: the officer should refine the search.
	More  bool
	Desks []deskCounterDesk
}

const deskCounterMax = 30

func (s *Server) deskCounter(w http.ResponseWriter, r *http.Request) {
	a, desks := s.deskReceiver(w, r)
	if a == nil {
		return
	}
	ctx := r.Context()
	q := strings.TrimSpace(r.URL.Query().Get("q"))
	if len([]rune(q)) > 100 {
		q = string([]rune(q)[:100])
	}
	d := deskCounterList{Query: q, Desks: desks}
	seen := map[string]bool{}
	var found []catalog.Summary
	collect := func(f catalog.Filter) error {
		f.Query, f.Limit = q, 1000
		list, err := s.Catalog.Search(ctx, a, f)
		if err != nil {
			return err
		}
		for _, x := range list {
			if !seen[x.ID] {
				seen[x.ID] = true
				found = append(found, x)
			}
		}
		return nil
	}
	centre := false
	for _, desk := range desks {
		if err := collect(catalog.Filter{AgencyID: desk.Agency.ID}); err != nil {
			s.fail(w, r, err)
			return
		}
		centre = centre || desk.Centre
	}
	if centre {
		if err := collect(catalog.Filter{Level: catalog.LevelProvince}); err != nil {
			s.fail(w, r, err)
			return
		}
	}
	slices.SortFunc(found, func(x, y catalog.Summary) int { return strings.Compare(vntext.Fold(x.Name), vntext.Fold(y.Name)) })
	for _, x := range found {
		if len(d.Items) == deskCounterMax {
			d.More = true
			break
		}
		p, err := s.Catalog.Get(ctx, a, x.ID)
		if err != nil {
			s.fail(w, r, err)
			return
		}
		ok := false
		for _, desk := range desks {
			ok = ok || desk.receives(p)
		}
		if ok {
			d.Items = append(d.Items, deskProc{Procedure: p, Fees: deskMoney(p.TotalFees())})
		}
	}
	p := s.partialPage(r, translate(langOf(r), "counter.title"), d)
	p.Path = "/desk/counter"
	s.render(w, r, http.StatusOK, "desk_counter", p)
}

// deskDoc is a paper of the procedure with its file input.
type deskDoc struct {
	Index    int
	Input    string
	Document catalog.Document
	Error    string
}

type deskCounterFormData struct {
	Procedure catalog.Procedure
	Fees      string
	Desks     []deskCounterDesk
	// Agencies lets the officer choose the processing agency when the desk
	// does not implement the procedure and several agencies do.
	Agencies  []org.Agency
	EForm     eformView
	Documents []deskDoc
	Today     string
	// Posted marks a form sent back after an error.
	Posted bool
	// FilesLost says files were chosen and must be chosen again.
	FilesLost bool
}

// Channel is the channel chosen in the form.
func (d deskCounterFormData) Channel(p Page) string {
	if c := p.Value("channel"); c == string(dossier.Post) {
		return c
	}
	return string(dossier.Counter)
}

// Delivery is the result delivery chosen in the form.
func (d deskCounterFormData) Delivery(p Page) string {
	if c := p.Value("result_delivery"); c == "post" {
		return c
	}
	return "counter"
}

// ApplicantKind is the kind of applicant chosen in the form.
func (d deskCounterFormData) ApplicantKind(p Page) string {
	if k := p.Value("applicant.kind"); k == string(actor.Organisation) {
		return k
	}
	return string(actor.Citizen)
}

// deskCounterProcedure reads the procedure and the desks that receive it.
func (s *Server) deskCounterProcedure(ctx context.Context, lang string, a *actor.Actor, desks []deskCounterDesk, id string) (catalog.Procedure, []deskCounterDesk, error) {
	p, err := s.Catalog.Get(ctx, a, id)
	if err != nil {
		return p, nil, err
	}
	if !p.Active {
		return p, nil, apperr.New(apperr.Conflict, "%s", translate(lang, "counter.err.inactive"))
	}
	var ok []deskCounterDesk
	for _, d := range desks {
		if d.receives(p) {
			ok = append(ok, d)
		}
	}
	if len(ok) == 0 {
		return p, nil, actor.Deny(a, translate(lang, "counter.err.notyours"))
	}
	// Desks that implement the procedure first.
	slices.SortStableFunc(ok, func(x, y deskCounterDesk) int {
		return deskBtoi(!slices.Contains(p.AgencyIDs, x.Agency.ID)) - deskBtoi(!slices.Contains(p.AgencyIDs, y.Agency.ID))
	})
	return p, ok, nil
}

func deskBtoi(b bool) int {
	if b {
		return 1
	}
	return 0
}

// deskCounterData builds the counter form of the procedure with the values
// and messages to show.
func (s *Server) deskCounterData(r *http.Request, p catalog.Procedure, desks []deskCounterDesk, values url.Values, errs map[string]string) (deskCounterFormData, error) {
	d := deskCounterFormData{Procedure: p, Fees: deskMoney(p.TotalFees()), Desks: desks, Today: s.today().String()}
	needChoice := len(p.AgencyIDs) > 1
	for _, desk := range desks {
		if slices.Contains(p.AgencyIDs, desk.Agency.ID) {
			needChoice = false
		}
	}
	if needChoice {
		for _, id := range p.AgencyIDs {
			ag, err := s.Org.Agency(r.Context(), id)
			if err != nil {
				return d, err
			}
			d.Agencies = append(d.Agencies, ag)
		}
	}
	for i, doc := range p.Documents {
		input := "doc_" + strconv.Itoa(i)
		d.Documents = append(d.Documents, deskDoc{Index: i, Input: input, Document: doc, Error: errs[input]})
	}
	d.EForm = s.newEForm(r, p.Form, values, errs)
	return d, nil
}

func (s *Server) deskCounterForm(w http.ResponseWriter, r *http.Request) {
	a, desks := s.deskReceiver(w, r)
	if a == nil {
		return
	}
	lang := langOf(r)
	p, ok, err := s.deskCounterProcedure(r.Context(), lang, a, desks, r.PathValue("id"))
	if err != nil {
		s.fail(w, r, err)
		return
	}
	d, err := s.deskCounterData(r, p, ok, url.Values{}, nil)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	page := s.page(r, translate(lang, "counter.title"), d)
	page.Path = "/desk/counter/" + p.ID
	page.Form = url.Values{"receiving_agency_id": {ok[0].Agency.ID}}
	s.render(w, r, http.StatusOK, "desk_counter_form", page)
}

// deskMaxCounterUpload bounds the whole counter form with its scans.
const deskMaxCounterUpload = 64 << 20

// counterScanMessages are the counter form's messages for a refused file.
var counterScanMessages = scanMessages{empty: "counter.err.empty", tooBig: "counter.err.toobig", fileType: "counter.err.filetype"}

// deskReadScans reads the files of the form: one input per document of the
// procedure, the e-form's file fields, and "other papers".
func deskReadScans(lang string, form *multipart.Form, p catalog.Procedure, errs apperr.Fields) []scan {
	var inputs [][2]string
	for i, doc := range p.Documents {
		inputs = append(inputs, [2]string{"doc_" + strconv.Itoa(i), doc.Name})
	}
	for _, x := range p.Form.Fields {
		if x.Type == catalog.TypeFile {
			inputs = append(inputs, [2]string{x.Name, x.Label})
		}
	}
	inputs = append(inputs, [2]string{"doc_other", ""})
	return readScans(lang, form, inputs, errs, counterScanMessages)
}

// deskCounterKnown are the fields of the counter form that show their own
// messages; messages about other keys go to the top of the form.
func deskCounterKnown(p catalog.Procedure, key string) bool {
	switch key {
	case "applicant.kind", "applicant.name", "applicant.id_number", "applicant.phone", "applicant.email", "applicant.address",
		"channel", "received_on", "result_delivery", "receiving_agency_id", "agency_id", "doc_other":
		return true
	}
	if strings.HasPrefix(key, "doc_") {
		return true
	}
	_, ok := p.Form.Field(key)
	return ok
}

func (s *Server) deskCounterReceive(w http.ResponseWriter, r *http.Request) {
	a, desks := s.deskReceiver(w, r)
	if a == nil {
		return
	}
	ctx := r.Context()
	lang := langOf(r)
	p, ok, err := s.deskCounterProcedure(ctx, lang, a, desks, r.PathValue("id"))
	if err != nil {
		s.fail(w, r, err)
		return
	}
	r.Body = http.MaxBytesReader(w, r.Body, deskMaxCounterUpload)
	if err := r.ParseMultipartForm(8 << 20); err != nil {
		s.fail(w, r, apperr.New(apperr.Invalid, "%s", translate(lang, "counter.err.toolarge")))
		return
	}
	defer r.MultipartForm.RemoveAll()
	form := r.PostForm
	errs := apperr.Fields{}
	scans := deskReadScans(lang, r.MultipartForm, p, errs)
	values := eformValues(p.Form, form)
	for _, x := range p.Form.Fields {
		if x.Type != catalog.TypeFile {
			continue
		}
		// A file field's value is the file's name; the file itself is
		// attached to the dossier once it exists.
		for _, sc := range scans {
			if sc.input == x.Name {
				values[x.Name] = []string{sc.name}
			}
		}
	}
	in := dossier.CreateInput{ProcedureID: p.ID, AgencyID: form.Get("agency_id"), ReceivingAgencyID: form.Get("receiving_agency_id"),
		Channel: dossier.Channel(form.Get("channel")), Form: values, ResultDelivery: form.Get("result_delivery"),
		Applicant: dossier.Applicant{Kind: form.Get("applicant.kind"), Name: form.Get("applicant.name"),
			IDNumber: strings.TrimSpace(form.Get("applicant.id_number")), Phone: form.Get("applicant.phone"),
			Email: form.Get("applicant.email"), Address: form.Get("applicant.address")}}
	if in.Channel == dossier.Post {
		in.ReceivedOn = strings.TrimSpace(form.Get("received_on"))
		if in.ReceivedOn == s.today().String() {
			in.ReceivedOn = ""
		}
	}
	if in.Channel == "" {
		in.Channel = dossier.Counter
	}
	var created dossier.Dossier
	if len(errs) == 0 {
		created, err = s.Dossiers.Create(ctx, a, in)
	} else {
		err = errs.Err()
	}
	if err != nil {
		s.deskCounterError(w, r, p, ok, values, errs, err, chosenFiles(r.MultipartForm))
		return
	}
	var problems []string
	for _, sc := range scans {
		if _, err := s.Dossiers.AddFile(ctx, a, created.Code, dossier.KindAttachment, sc.document, sc.name, bytes.NewReader(sc.data)); err != nil {
			problems = append(problems, sc.name+": "+apperr.MessageOf(err))
		}
	}
	flash := fmt.Sprintf(translate(lang, "counter.received"), created.Code)
	if len(problems) > 0 {
		flash += " " + translate(lang, "counter.err.attach") + " " + strings.Join(problems, "; ")
	}
	s.redirect(w, r, "/desk/dossiers/"+url.PathEscape(created.Code)+"/receipt", flash)
}

// deskCounterError shows the counter form again with the values sent and every
// message: the service stops at the applicant's errors before it checks the
// e-form, so the e-form is checked here too and both are shown at once.
func (s *Server) deskCounterError(w http.ResponseWriter, r *http.Request, p catalog.Procedure, desks []deskCounterDesk, values map[string][]string,
	errs apperr.Fields, err error, filesLost bool) {
	lang := langOf(r)
	code := apperr.CodeOf(err)
	if code != apperr.Invalid && code != apperr.Conflict && code != apperr.Forbidden {
		s.fail(w, r, err)
		return
	}
	for k, v := range apperr.FieldsOf(err) {
		errs.Add(k, v)
	}
	formChecked := false
	for k := range errs {
		if _, ok := p.Form.Field(k); ok {
			formChecked = true
		}
	}
	if !formChecked && code == apperr.Invalid {
		if _, ferr := p.Form.Check(values, s.Catalog.CheckEnv()); ferr != nil {
			for k, v := range apperr.FieldsOf(ferr) {
				errs.Add(k, v)
			}
		}
	}
	d, derr := s.deskCounterData(r, p, desks, r.PostForm, errs)
	if derr != nil {
		s.fail(w, r, derr)
		return
	}
	d.Posted, d.FilesLost = true, filesLost
	page := s.page(r, translate(lang, "counter.title"), d)
	page.Path = "/desk/counter/" + p.ID
	page.Form = r.PostForm
	page.Fields = errs
	msgs := []string{}
	if len(errs) > 0 {
		msgs = append(msgs, translate(lang, "counter.err.fix"))
		keys := make([]string, 0, len(errs))
		for k := range errs {
			keys = append(keys, k)
		}
		slices.Sort(keys)
		for _, k := range keys {
			if !deskCounterKnown(p, k) {
				msgs = append(msgs, errs[k])
			}
		}
	} else {
		msgs = append(msgs, apperr.MessageOf(err))
	}
	page.Error = strings.Join(msgs, "\n")
	status := statusOf(code)
	if len(errs) > 0 {
		status = http.StatusUnprocessableEntity
	}
	s.render(w, r, status, "desk_counter_form", page)
}

type deskReceiptData struct {
	Dossier   dossier.Dossier
	Receiving string
	Agency    string
	StatusURL string
	FormHref  string
}

func (s *Server) deskReceipt(w http.ResponseWriter, r *http.Request) {
	a := s.official(w, r)
	if a == nil {
		return
	}
	v, err := s.Dossiers.Get(r.Context(), a, r.PathValue("code"))
	if err != nil {
		s.fail(w, r, err)
		return
	}
	d := v.Dossier
	agencies := s.deskAgencyCache(r.Context())
	data := deskReceiptData{Dossier: d, Receiving: agencies.name(d.ReceivingAgencyID), Agency: agencies.name(d.AgencyID),
		StatusURL: s.Dossiers.StatusURL(d.Code), FormHref: "/api/v1/dossiers/" + url.PathEscape(d.Code) + "/forms/01"}
	p := s.page(r, translate(langOf(r), "counter.receipt"), data)
	p.Path = "/desk/dossiers/" + d.Code + "/receipt"
	s.render(w, r, http.StatusOK, "desk_receipt", p)
}

// DeskMoney writes a sum of đồng with thousands separated by dots.
func (p Page) DeskMoney(n int64) string { return deskMoney(n) }

// DeskCopies says how many originals and copies of a paper to file.
func (p Page) DeskCopies(doc catalog.Document) string {
	switch {
	case doc.Originals == 0 && doc.Copies == 0:
		return p.T("counter.copies.show")
	case doc.Copies == 0:
		return fmt.Sprintf(p.T("counter.copies.originals"), doc.Originals)
	case doc.Originals == 0:
		return fmt.Sprintf(p.T("counter.copies.copies"), doc.Copies)
	}
	return fmt.Sprintf(p.T("counter.copies.both"), doc.Originals, doc.Copies)
}
