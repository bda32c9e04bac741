package web

import (
	"bytes"
	"context"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"

	"github.com/congso/congso/internal/actor"
	"github.com/congso/congso/internal/adminunit"
	"github.com/congso/congso/internal/apperr"
	"github.com/congso/congso/internal/catalog"
	"github.com/congso/congso/internal/dossier"
	"github.com/congso/congso/internal/draft"
	"github.com/congso/congso/internal/identity"
	"github.com/congso/congso/internal/org"
)

// Online filing: the applicant block filled from the account, the
// procedure's e-form, the agency when several implement the procedure, how
// the result comes back, and the papers — uploaded, or chosen from the
// e-data store. "Lưu nháp" keeps what was typed; "Nộp hồ sơ" checks
// everything first and creates nothing while anything is wrong, then files
// the dossier (channel portal) and attaches the uploads. A file the dossier
// service refuses after the dossier exists does not undo the filing: the
// message shows on the next page and the citizen adds the file there.

// portalDoc is a paper of the procedure with its inputs.
type portalDoc struct {
	Index      int
	Input      string // the upload input, doc_<i>
	StoreInput string // the e-data store select, store_<i>
	Document   catalog.Document
	Error      string
}

type portalFileData struct {
	Procedure catalog.Procedure
	Fees      int64
	User      identity.User
	// IDNumber is the account's citizen ID or enterprise code; when the
	// account has none, the form asks for it.
	IDNumber string
	// Agencies are offered when several implement the procedure; Agency is
	// the only one otherwise.
	Agencies  []org.Agency
	Agency    *org.Agency
	Communes  []pickOption
	EForm     eformView
	Documents []portalDoc
	Store     []portalStoreItem
	DraftID   string
	Drafts    bool
	FilesLost bool
	// Nonce identifies this filing form, so that sending it twice files once.
	Nonce string
}

// Delivery is the result delivery chosen in the form.
func (d portalFileData) Delivery(p Page) string {
	if p.Value("result_delivery") == "post" {
		return "post"
	}
	return "counter"
}

// Chosen reports whether a store item was chosen for a paper.
func (d portalFileData) Chosen(p Page, input, id string) bool {
	return slices.Contains(p.Form[input], id)
}

// Organisation reports whether the applicant is an organisation.
func (d portalFileData) Organisation() bool { return d.User.Kind == actor.Organisation }

// portalMaxUpload bounds the whole filing form with its files.
const portalMaxUpload = 64 << 20

// fileable reads a procedure that can be filed online now.
func (p *portal) fileable(ctx context.Context, lang string, a *actor.Actor, id string) (catalog.Procedure, error) {
	proc, err := p.s.Catalog.Get(ctx, a, id)
	if err != nil {
		return proc, err
	}
	switch {
	case !proc.Active:
		return proc, apperr.New(apperr.Conflict, "%s", translate(lang, "portal.file.err.inactive"))
	case proc.OnlineLevel == catalog.Offline:
		return proc, apperr.New(apperr.Conflict, "%s", translate(lang, "portal.file.err.offline"))
	case len(proc.AgencyIDs) == 0:
		return proc, apperr.New(apperr.Conflict, "%s", translate(lang, "portal.file.err.noagency"))
	}
	return proc, nil
}

// communes lists today's communes of the platform's province.
func (p *portal) communes(selected string) []pickOption {
	pu, err := p.s.Units.UnitOn(p.s.Province, p.s.today())
	if err != nil {
		return nil
	}
	kids, _ := p.s.Units.Children(pu.ID())
	out := make([]pickOption, 0, len(kids))
	for _, u := range kids {
		out = append(out, pickOption{Value: u.ID().String(), Label: u.FullName, Selected: u.ID().String() == selected})
	}
	return out
}

// fileData builds the filing form with the values and messages to show.
func (p *portal) fileData(r *http.Request, a *actor.Actor, proc catalog.Procedure, values map[string][]string, errs map[string]string) (portalFileData, error) {
	ctx := r.Context()
	d := portalFileData{Procedure: proc, Fees: proc.TotalFees(), Drafts: p.drafts != nil, Nonce: newNonce()}
	if n := urlValues(values).Get("nonce"); len(n) == 32 {
		d.Nonce = n
	}
	var err error
	if d.User, err = p.s.Identity.Get(ctx, a, a.UserID); err != nil {
		return d, err
	}
	d.IDNumber = d.User.CitizenID
	if d.User.Kind == actor.Organisation {
		d.IDNumber = d.User.OrgCode
	}
	agencies, err := p.portalAgencies(ctx, proc.AgencyIDs)
	if err != nil {
		return d, err
	}
	switch len(agencies) {
	case 0:
		return d, apperr.New(apperr.Conflict, "%s", translate(langOf(r), "portal.file.err.noagency"))
	case 1:
		d.Agency = &agencies[0]
	default:
		d.Agencies = agencies
	}
	form := urlValues(values)
	d.Communes = p.communes(form.Get("applicant_unit"))
	if d.Store, err = p.storeItems(ctx, a); err != nil {
		return d, err
	}
	for i, doc := range proc.Documents {
		in := "doc_" + strconv.Itoa(i)
		d.Documents = append(d.Documents, portalDoc{Index: i, Input: in, StoreInput: "store_" + strconv.Itoa(i), Document: doc,
			Error: errs[in] + errs["store_"+strconv.Itoa(i)]})
	}
	d.EForm = p.s.newEForm(r, proc.Form, form, errs)
	return d, nil
}

func urlValues(m map[string][]string) url.Values {
	if m == nil {
		return url.Values{}
	}
	return url.Values(m)
}

// prefill fills a new filing form from the account: contact details, and the
// e-form's fields about the applicant themself.
func prefill(u identity.User, proc catalog.Procedure) url.Values {
	v := url.Values{"result_delivery": {"counter"}}
	if u.Phone != "" {
		v.Set("applicant.phone", u.Phone)
	}
	if u.Email != "" {
		v.Set("applicant.email", u.Email)
	}
	if u.Address != "" {
		v.Set("applicant.address", u.Address)
	}
	var idDone, phoneDone bool
	for _, f := range proc.Form.Fields {
		switch {
		case f.Type == catalog.TypeCitizenID && !idDone && u.Kind == actor.Citizen && u.CitizenID != "":
			v.Set(f.Name, u.CitizenID)
			idDone = true
		case f.Type == catalog.TypePhone && !phoneDone && u.Phone != "":
			v.Set(f.Name, u.Phone)
			phoneDone = true
		case f.Type == catalog.TypeText && u.Kind == actor.Citizen &&
			(f.Name == "ho_ten" || f.Name == "ho_ten_nguoi_yeu_cau" || f.Name == "ho_ten_nguoi_nop"):
			v.Set(f.Name, u.DisplayName)
		}
	}
	return v
}

func (p *portal) renderFile(w http.ResponseWriter, r *http.Request, status int, d portalFileData, form url.Values, fields map[string]string, msg string) {
	pg := p.s.page(r, translate(langOf(r), "portal.file.title")+": "+d.Procedure.Name, d)
	pg.Path = "/nop-ho-so/" + d.Procedure.ID
	pg.Form = form
	pg.Fields = fields
	pg.Error = msg
	p.s.render(w, r, status, "portal_file", pg)
}

func (p *portal) fileForm(w http.ResponseWriter, r *http.Request) {
	a := p.applicant(w, r)
	if a == nil {
		return
	}
	ctx := r.Context()
	lang := langOf(r)
	proc, err := p.fileable(ctx, lang, a, r.PathValue("id"))
	if err != nil {
		p.s.fail(w, r, err)
		return
	}
	var values url.Values
	draftID := ""
	if id := r.URL.Query().Get("nhap"); id != "" && p.drafts != nil {
		dr, err := p.drafts.Get(ctx, a, id)
		if err == nil && dr.ProcedureID != proc.ID {
			err = apperr.New(apperr.NotFound, "%s", translate(lang, "portal.drafts.notfound"))
		}
		if err != nil {
			p.s.fail(w, r, err)
			return
		}
		values, draftID = url.Values(dr.Values), dr.ID
		if dr.AgencyID != "" {
			values.Set("agency_id", dr.AgencyID)
		}
		if dr.ResultDelivery != "" {
			values.Set("result_delivery", dr.ResultDelivery)
		}
	}
	d, err := p.fileData(r, a, proc, values, nil)
	if err != nil {
		p.s.fail(w, r, err)
		return
	}
	if values == nil {
		values = prefill(d.User, proc)
		d.EForm = p.s.newEForm(r, proc.Form, values, nil)
		d.Communes = p.communes("")
	}
	d.DraftID = draftID
	p.renderFile(w, r, http.StatusOK, d, values, nil, "")
}

// portalScanMessages are the portal's messages for a refused file.
var portalScanMessages = scanMessages{empty: "portal.file.err.empty", tooBig: "portal.file.err.toobig", fileType: "portal.file.err.filetype"}

// fileKnown are the fields of the filing form that show their messages
// beside them; others go to the top of the page.
func fileKnown(proc catalog.Procedure, d portalFileData, key string) bool {
	switch key {
	case "applicant.phone", "applicant.email", "applicant.address", "applicant_unit", "result_delivery", "doc_other":
		return true
	case "applicant.id_number":
		return d.IDNumber == ""
	case "agency_id":
		return len(d.Agencies) > 0
	}
	if strings.HasPrefix(key, "doc_") || strings.HasPrefix(key, "store_") {
		return true
	}
	_, ok := proc.Form.Field(key)
	return ok
}

// draftValues are the posted values a draft keeps: everything but the
// buttons and hidden controls.
func draftValues(form url.Values) map[string][]string {
	out := map[string][]string{}
	for k, v := range form {
		switch k {
		case "do", "draft_id", "agency_id", "result_delivery", "nonce":
			continue
		}
		out[k] = v
	}
	return out
}

func (p *portal) file(w http.ResponseWriter, r *http.Request) {
	a := p.applicant(w, r)
	if a == nil {
		return
	}
	ctx := r.Context()
	lang := langOf(r)
	proc, err := p.fileable(ctx, lang, a, r.PathValue("id"))
	if err != nil {
		p.s.fail(w, r, err)
		return
	}
	r.Body = http.MaxBytesReader(w, r.Body, portalMaxUpload)
	if err := r.ParseMultipartForm(8 << 20); err != nil {
		p.s.fail(w, r, apperr.New(apperr.Invalid, "%s", translate(lang, "portal.file.err.toolarge")))
		return
	}
	defer r.MultipartForm.RemoveAll()
	form := r.PostForm
	draftID := form.Get("draft_id")
	if form.Get("do") == "draft" {
		p.saveDraft(w, r, a, proc, form, draftID)
		return
	}
	d, err := p.fileData(r, a, proc, form, nil)
	if err != nil {
		p.s.fail(w, r, err)
		return
	}
	d.DraftID = draftID
	errs := apperr.Fields{}

	// The papers: uploads and e-data store items.
	inputs := [][2]string{}
	for i, doc := range proc.Documents {
		inputs = append(inputs, [2]string{"doc_" + strconv.Itoa(i), doc.Name})
	}
	for _, x := range proc.Form.Fields {
		if x.Type == catalog.TypeFile {
			inputs = append(inputs, [2]string{x.Name, x.Label})
		}
	}
	inputs = append(inputs, [2]string{"doc_other", ""})
	scans := readScans(lang, r.MultipartForm, inputs, errs, portalScanMessages)
	var refs []dossier.StoreRef
	for i, doc := range proc.Documents {
		input := "store_" + strconv.Itoa(i)
		for _, id := range form[input] {
			if id == "" {
				continue
			}
			if !slices.ContainsFunc(d.Store, func(it portalStoreItem) bool { return it.ID == id }) {
				errs.Add(input, translate(lang, "portal.file.err.store"))
				continue
			}
			refs = append(refs, dossier.StoreRef{ItemID: id, Document: doc.Name})
		}
	}

	// The e-form, checked here so that its messages show together with the
	// others (the service stops at the applicant's).
	values := eformValues(proc.Form, form)
	for _, x := range proc.Form.Fields {
		if x.Type != catalog.TypeFile {
			continue
		}
		for _, sc := range scans {
			if sc.input == x.Name {
				values[x.Name] = []string{sc.name}
			}
		}
	}
	if _, ferr := proc.Form.Check(values, p.s.Catalog.CheckEnv()); ferr != nil {
		for k, v := range apperr.FieldsOf(ferr) {
			errs.Add(k, v)
		}
	}

	// The applicant and where the result goes.
	in := dossier.CreateInput{ProcedureID: proc.ID, Channel: dossier.Portal, Form: values, ResultDelivery: d.Delivery(Page{Form: form}),
		FromStore: refs}
	applicant, aerrs := p.applicantOf(lang, d, form, in.ResultDelivery)
	for k, v := range aerrs {
		errs.Add(k, v)
	}
	in.Applicant = applicant
	switch {
	case d.Agency != nil:
		in.AgencyID = d.Agency.ID
	case slices.ContainsFunc(d.Agencies, func(ag org.Agency) bool { return ag.ID == form.Get("agency_id") }):
		in.AgencyID = form.Get("agency_id")
	default:
		errs.Add("agency_id", translate(lang, "portal.file.err.agency"))
	}

	lost := chosenFiles(r.MultipartForm)
	if len(errs) > 0 {
		p.fileError(w, r, a, proc, d, form, errs, errs.Err(), lost)
		return
	}
	// A form carries a nonce (see portalOnce); one sent again files nothing.
	once := ""
	if n := form.Get("nonce"); len(n) == 32 {
		once = a.UserID + "|" + n
		if code, busy, ok := p.once.begin(once); !ok {
			if busy {
				p.s.fail(w, r, apperr.New(apperr.Conflict, "%s", translate(lang, "portal.file.err.busy")))
				return
			}
			http.Redirect(w, r, "/ho-so/"+url.PathEscape(code)+"/da-nop", http.StatusSeeOther)
			return
		}
	}
	created, err := p.s.Dossiers.Create(ctx, a, in)
	if err != nil {
		if once != "" {
			p.once.release(once)
		}
		p.fileError(w, r, a, proc, d, form, apperr.Fields{}, err, lost)
		return
	}
	if once != "" {
		p.once.done(once, created.Code)
	}
	var problems []string
	for _, sc := range scans {
		if _, err := p.s.Dossiers.AddFile(ctx, a, created.Code, dossier.KindAttachment, sc.document, sc.name, bytes.NewReader(sc.data)); err != nil {
			problems = append(problems, sc.name+": "+apperr.MessageOf(err))
		}
	}
	if len(problems) > 0 {
		p.setProblem(w, translate(lang, "portal.file.err.attach")+" "+strings.Join(problems, "; "))
	}
	if draftID != "" && p.drafts != nil {
		if err := p.drafts.Delete(ctx, a, draftID); err != nil && !apperr.Is(err, apperr.NotFound) {
			p.s.Log.ErrorContext(ctx, "delete a filed draft", "err", err)
		}
	}
	p.s.redirect(w, r, "/ho-so/"+url.PathEscape(created.Code)+"/da-nop", fmt.Sprintf(translate(lang, "portal.file.done"), created.Code))
}

// applicantOf builds the applicant from the account and the form: the name
// and number are the account's (the form asks for the number only when the
// account has none); contact details and address are typed.
func (p *portal) applicantOf(lang string, d portalFileData, form url.Values, delivery string) (dossier.Applicant, apperr.Fields) {
	errs := apperr.Fields{}
	ap := dossier.Applicant{Kind: string(d.User.Kind), Name: d.User.DisplayName, IDNumber: d.IDNumber,
		Phone: strings.TrimSpace(form.Get("applicant.phone")), Email: strings.TrimSpace(form.Get("applicant.email"))}
	if ap.IDNumber == "" {
		ap.IDNumber = strings.TrimSpace(form.Get("applicant.id_number"))
	}
	line := portalClip(form.Get("applicant.address"), 300)
	unit := strings.TrimSpace(form.Get("applicant_unit"))
	ap.Address = line
	if unit != "" {
		id, err := adminunit.ParseID(unit)
		u, uerr := p.s.Units.Unit(id)
		switch {
		case err != nil || uerr != nil || !u.ValidOn(p.s.today()) || u.Level != adminunit.LevelCommune:
			errs.Add("applicant_unit", translate(lang, "portal.file.err.unit"))
		default:
			ap.UnitID = id.String()
			parts := []string{u.FullName}
			if pu, err := p.s.Units.Unit(adminunit.ID{Code: u.ProvinceCode, Edition: u.Edition}); err == nil {
				parts = append(parts, pu.FullName)
			}
			if line != "" {
				parts = append([]string{line}, parts...)
			}
			ap.Address = strings.Join(parts, ", ")
		}
	}
	if delivery == "post" && (line == "" || unit == "") {
		errs.Add("applicant.address", translate(lang, "portal.file.err.postaddress"))
	}
	if _, err := identity.NormalizePhone(ap.Phone); err != nil {
		errs.Add("applicant.phone", apperr.MessageOf(err))
	} else if ap.Phone == "" {
		errs.Add("applicant.phone", translate(lang, "portal.file.err.phone"))
	}
	return ap, errs
}

// fileError shows the filing form again with the values sent and every
// message.
func (p *portal) fileError(w http.ResponseWriter, r *http.Request, a *actor.Actor, proc catalog.Procedure, d portalFileData, form url.Values,
	errs apperr.Fields, err error, lost bool) {
	lang := langOf(r)
	code := apperr.CodeOf(err)
	if code == apperr.NotFound && len(apperr.FieldsOf(err)) > 0 {
		code = apperr.Invalid // an e-data store item that is gone, said at its field
	}
	if code != apperr.Invalid && code != apperr.Conflict && code != apperr.Forbidden {
		p.s.fail(w, r, err)
		return
	}
	for k, v := range apperr.FieldsOf(err) {
		errs.Add(k, v)
	}
	nd, derr := p.fileData(r, a, proc, form, errs)
	if derr != nil {
		p.s.fail(w, r, derr)
		return
	}
	nd.DraftID, nd.FilesLost = d.DraftID, lost
	msgs := []string{}
	if len(errs) > 0 {
		msgs = append(msgs, translate(lang, "portal.file.err.fix"))
		keys := make([]string, 0, len(errs))
		for k := range errs {
			keys = append(keys, k)
		}
		slices.Sort(keys)
		for _, k := range keys {
			if !fileKnown(proc, nd, k) {
				msgs = append(msgs, errs[k])
			}
		}
	} else {
		msgs = append(msgs, apperr.MessageOf(err))
	}
	status := statusOf(code)
	if len(errs) > 0 {
		status = http.StatusUnprocessableEntity
	}
	p.renderFile(w, r, status, nd, form, errs, strings.Join(msgs, "\n"))
}

func (p *portal) saveDraft(w http.ResponseWriter, r *http.Request, a *actor.Actor, proc catalog.Procedure, form url.Values, id string) {
	lang := langOf(r)
	if p.drafts == nil {
		p.s.fail(w, r, apperr.New(apperr.NotFound, "%s", translate(lang, "portal.drafts.off")))
		return
	}
	in := draft.Draft{ID: id, ProcedureID: proc.ID, ProcedureName: proc.Name, AgencyID: form.Get("agency_id"),
		ResultDelivery: form.Get("result_delivery"), Values: draftValues(form)}
	saved, err := p.drafts.Save(r.Context(), a, in)
	if err != nil {
		d, derr := p.fileData(r, a, proc, form, apperr.FieldsOf(err))
		if derr != nil {
			p.s.fail(w, r, derr)
			return
		}
		d.DraftID = id
		if apperr.CodeOf(err) == apperr.Internal || apperr.CodeOf(err) == apperr.NotFound {
			p.s.fail(w, r, err)
			return
		}
		p.renderFile(w, r, statusOf(apperr.CodeOf(err)), d, form, apperr.FieldsOf(err), apperr.MessageOf(err))
		return
	}
	flash := fmt.Sprintf(translate(lang, "portal.drafts.saved"), formatTime(saved.UpdatedAt))
	if chosenFiles(r.MultipartForm) {
		flash += " " + translate(lang, "portal.drafts.nofiles")
	}
	p.s.redirect(w, r, "/nop-ho-so/"+url.PathEscape(proc.ID)+"?nhap="+url.QueryEscape(saved.ID), flash)
}

// Drafts.

type portalDraftsData struct {
	Items []draft.Draft
	Off   bool
}

func (p *portal) draftList(w http.ResponseWriter, r *http.Request) {
	a := p.applicant(w, r)
	if a == nil {
		return
	}
	d := portalDraftsData{Off: p.drafts == nil}
	if p.drafts != nil {
		var err error
		if d.Items, err = p.drafts.List(r.Context(), a); err != nil {
			p.s.fail(w, r, err)
			return
		}
	}
	pg := p.page(r, "portal.drafts.title", d)
	pg.Path = "/ho-so-nhap"
	p.s.render(w, r, http.StatusOK, "portal_drafts", pg)
}

func (p *portal) draftDelete(w http.ResponseWriter, r *http.Request) {
	a := p.applicant(w, r)
	if a == nil {
		return
	}
	lang := langOf(r)
	if p.drafts == nil {
		p.s.fail(w, r, apperr.New(apperr.NotFound, "%s", translate(lang, "portal.drafts.off")))
		return
	}
	if err := p.drafts.Delete(r.Context(), a, r.PathValue("id")); err != nil {
		p.s.fail(w, r, err)
		return
	}
	p.s.redirect(w, r, "/ho-so-nhap", translate(lang, "portal.drafts.deleted"))
}
