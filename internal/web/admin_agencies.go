package web

import (
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/congso/congso/internal/actor"
	"github.com/congso/congso/internal/adminunit"
	"github.com/congso/congso/internal/apperr"
	"github.com/congso/congso/internal/audit"
	"github.com/congso/congso/internal/org"
)

// Agencies: list, detail, create and edit forms, retire and reinstate,
// CSV export and import. The org service decides who may do what; the pages
// show its answers.

func (s *Server) registerAdminAgencies(mux *http.ServeMux) {
	mux.HandleFunc("GET /admin/agencies", s.adminAgencies)
	mux.HandleFunc("POST /admin/agencies", s.adminAgencyCreate)
	mux.HandleFunc("GET /admin/agencies/new", s.adminAgencyNew)
	mux.HandleFunc("GET /admin/agencies/export.csv", s.adminAgencyExport)
	mux.HandleFunc("GET /admin/agencies/import", s.adminAgencyImportForm)
	mux.HandleFunc("POST /admin/agencies/import", s.adminAgencyImport)
	mux.HandleFunc("GET /admin/agencies/{id}", s.adminAgency)
	mux.HandleFunc("POST /admin/agencies/{id}", s.adminAgencyUpdate)
	mux.HandleFunc("GET /admin/agencies/{id}/edit", s.adminAgencyEdit)
	mux.HandleFunc("GET /admin/agencies/{id}/retire", s.adminAgencyRetireForm(true))
	mux.HandleFunc("POST /admin/agencies/{id}/retire", s.adminAgencyRetire(true))
	mux.HandleFunc("GET /admin/agencies/{id}/reinstate", s.adminAgencyRetireForm(false))
	mux.HandleFunc("POST /admin/agencies/{id}/reinstate", s.adminAgencyRetire(false))
}

// administrator returns a signed-in official with a province-wide role or an
// administrator role, or answers the request itself. The agency list is
// public data in the service (org.Service.Agencies takes no actor); the
// administration pages are for those who manage it.
func (s *Server) administrator(w http.ResponseWriter, r *http.Request) *actor.Actor {
	a := s.official(w, r)
	if a == nil {
		return nil
	}
	if !a.IsSystem() && !a.ProvinceWide() && !a.IsAdmin() {
		s.fail(w, r, actor.Deny(a, "Trang quản trị dành cho quản trị viên và cán bộ theo dõi toàn tỉnh."))
		return nil
	}
	return a
}

const agencyPageSize = 50

type agencyListData struct {
	Query   string
	Kind    string
	Retired bool
	Kinds   []org.Kind
	Items   []org.Agency
	Next    string // href of the next page, "" on the last
	// CanManage shows the create, import and edit buttons; the service
	// still decides.
	CanManage bool
}

func (s *Server) adminAgencies(w http.ResponseWriter, r *http.Request) {
	a := s.administrator(w, r)
	if a == nil {
		return
	}
	q := r.URL.Query()
	d := agencyListData{Query: strings.TrimSpace(q.Get("q")), Kind: q.Get("kind"), Retired: q.Get("retired") == "1", Kinds: org.Kinds,
		CanManage: a.ProvinceAdmin()}
	if len(d.Query) > 100 {
		d.Query = d.Query[:100]
	}
	items, err := s.Org.Agencies(r.Context(), org.AgencyFilter{Query: d.Query, Kind: org.Kind(d.Kind), IncludeRetired: d.Retired,
		After: q.Get("after"), Limit: agencyPageSize + 1})
	if err != nil {
		s.fail(w, r, err)
		return
	}
	if len(items) > agencyPageSize {
		items = items[:agencyPageSize]
		next := url.Values{"after": {items[len(items)-1].Code}}
		if d.Query != "" {
			next.Set("q", d.Query)
		}
		if d.Kind != "" {
			next.Set("kind", d.Kind)
		}
		if d.Retired {
			next.Set("retired", "1")
		}
		d.Next = "/admin/agencies?" + next.Encode()
	}
	d.Items = items
	s.render(w, r, http.StatusOK, "admin_agencies", s.page(r, translate(langOf(r), "agencies.title"), d))
}

// auditRow is an audit entry as the pages show it.
type auditRow struct {
	audit.Entry
	When        string
	Actor       actorRef
	AgencyName  string
	ObjectHref  string
	ObjectName  string // the agency's or official's name, when known
	ActionLabel string
	ObjectLabel string
}

// auditTable is a table of audit entries for the partial template.
type auditTable struct {
	Lang    string
	Rows    []auditRow
	Compact bool
}

type agencyDetailData struct {
	Agency   org.Agency
	Parent   *org.Agency
	Children []org.Agency
	Unit     string // full name and code of its administrative unit
	UnitHref string
	Staff    []org.Member
	// StaffHidden is the service's refusal to list the staff.
	StaffHidden string
	Audit       []auditRow
	CanEdit     bool
	CanManage   bool
}

// AuditTable shows the agency's recent entries in a narrow table.
func (d agencyDetailData) AuditTable(lang string) auditTable {
	return auditTable{Lang: lang, Rows: d.Audit, Compact: true}
}

func (s *Server) adminAgency(w http.ResponseWriter, r *http.Request) {
	a := s.administrator(w, r)
	if a == nil {
		return
	}
	ctx := r.Context()
	ag, err := s.Org.Agency(ctx, r.PathValue("id"))
	if err != nil {
		s.fail(w, r, err)
		return
	}
	d := agencyDetailData{Agency: ag, CanEdit: a.CanAdminister(ag.ID), CanManage: a.ProvinceAdmin()}
	if ag.ParentID != "" {
		if p, err := s.Org.Agency(ctx, ag.ParentID); err == nil {
			d.Parent = &p
		}
	}
	if d.Children, err = s.Org.Agencies(ctx, org.AgencyFilter{ParentID: ag.ID, IncludeRetired: true, Limit: 1000}); err != nil {
		s.fail(w, r, err)
		return
	}
	if id, err := adminunit.ParseID(ag.UnitID); err == nil {
		if u, err := s.Units.Unit(id); err == nil {
			d.Unit, d.UnitHref = u.FullName+" ("+u.Code+")", s.unitHref(u, s.today())
		} else {
			d.Unit = ag.UnitID
		}
	}
	staff, err := s.Org.Staff(ctx, a, ag.ID)
	switch {
	case apperr.Is(err, apperr.Forbidden):
		d.StaffHidden = apperr.MessageOf(err)
	case err != nil:
		s.fail(w, r, err)
		return
	default:
		d.Staff = staff
	}
	entries, err := s.Audit.List(ctx, a, audit.Filter{ObjectType: "agency", ObjectID: ag.ID, Limit: 10})
	if err != nil && !apperr.Is(err, apperr.Forbidden) {
		s.fail(w, r, err)
		return
	}
	d.Audit = s.auditRows(r, entries)
	s.render(w, r, http.StatusOK, "admin_agency", s.page(r, ag.Name, d))
}

// agencyFormData is the create and edit form.
type agencyFormData struct {
	Agency  org.Agency // the agency being edited; zero when creating
	New     bool
	Full    bool // every field may change (province admins); else contacts only
	Kinds   []org.Kind
	Parents []org.Agency
	Picker  unitPicker
}

// agencyForm fills the form: from the agency on first display, from the
// submitted values after an error.
func (s *Server) agencyForm(r *http.Request, a *actor.Actor, ag org.Agency, form url.Values) (agencyFormData, error) {
	d := agencyFormData{Agency: ag, New: ag.ID == "", Full: a.ProvinceAdmin(), Kinds: org.Kinds}
	list, err := s.Org.Agencies(r.Context(), org.AgencyFilter{Limit: 1000})
	if err != nil {
		return d, err
	}
	for _, p := range list {
		if p.ID != ag.ID {
			d.Parents = append(d.Parents, p)
		}
	}
	unit := ag.UnitID
	if form != nil {
		unit = unitFromForm(form, "unit_id")
	}
	d.Picker = s.newUnitPicker(r.Context(), langOf(r), "unit_id", unit)
	d.Picker.Disabled = !d.Full
	return d, nil
}

func agencyValues(ag org.Agency) url.Values {
	return url.Values{"code": {ag.Code}, "name": {ag.Name}, "short_name": {ag.ShortName}, "kind": {string(ag.Kind)},
		"parent_id": {ag.ParentID}, "unit_id": {ag.UnitID}, "address": {ag.Address}, "phone": {ag.Phone}, "email": {ag.Email},
		"version": {strconv.Itoa(ag.Version)}}
}

func agencyInput(form url.Values) org.AgencyInput {
	return org.AgencyInput{Code: form.Get("code"), Name: form.Get("name"), ShortName: form.Get("short_name"), Kind: org.Kind(form.Get("kind")),
		ParentID: form.Get("parent_id"), UnitID: unitFromForm(form, "unit_id"), Address: form.Get("address"), Phone: form.Get("phone"),
		Email: form.Get("email")}
}

func (s *Server) adminAgencyNew(w http.ResponseWriter, r *http.Request) {
	a := s.administrator(w, r)
	if a == nil {
		return
	}
	if !a.ProvinceAdmin() {
		// The same rule as org.Service.CreateAgency, so that nobody fills in
		// a form the service will refuse.
		s.fail(w, r, actor.Deny(a, "Chỉ quản trị toàn tỉnh được thêm cơ quan."))
		return
	}
	d, err := s.agencyForm(r, a, org.Agency{}, nil)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	p := s.page(r, translate(langOf(r), "agency.new"), d)
	p.Form = url.Values{"parent_id": {r.URL.Query().Get("parent_id")}}
	s.render(w, r, http.StatusOK, "admin_agency_form", p)
}

func (s *Server) adminAgencyCreate(w http.ResponseWriter, r *http.Request) {
	a := s.signedIn(w, r)
	if a == nil {
		return
	}
	if err := parseForm(w, r); err != nil {
		s.fail(w, r, err)
		return
	}
	ag, err := s.Org.CreateAgency(r.Context(), a, agencyInput(r.PostForm))
	if err != nil {
		s.agencyFormError(w, r, a, org.Agency{}, translate(langOf(r), "agency.new"), err)
		return
	}
	s.redirect(w, r, "/admin/agencies/"+url.PathEscape(ag.ID), fmt.Sprintf(translate(langOf(r), "agency.created"), ag.Name))
}

// agencyFormError shows the form again with the service's messages.
func (s *Server) agencyFormError(w http.ResponseWriter, r *http.Request, a *actor.Actor, ag org.Agency, title string, err error) {
	code := apperr.CodeOf(err)
	if code != apperr.Invalid && code != apperr.Conflict {
		s.fail(w, r, err)
		return
	}
	d, derr := s.agencyForm(r, a, ag, r.PostForm)
	if derr != nil {
		s.fail(w, r, derr)
		return
	}
	d.Picker.Error = apperr.FieldsOf(err)["unit_id"]
	s.formError(w, r, "admin_agency_form", s.page(r, title, d), err)
}

func (s *Server) adminAgencyEdit(w http.ResponseWriter, r *http.Request) {
	a := s.administrator(w, r)
	if a == nil {
		return
	}
	ag, err := s.Org.Agency(r.Context(), r.PathValue("id"))
	if err != nil {
		s.fail(w, r, err)
		return
	}
	if !a.CanAdminister(ag.ID) {
		// The same rule as org.Service.UpdateAgency.
		s.fail(w, r, actor.Deny(a, "Bạn không có quyền sửa thông tin cơ quan này."))
		return
	}
	d, err := s.agencyForm(r, a, ag, nil)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	p := s.page(r, translate(langOf(r), "agency.edit")+": "+ag.Name, d)
	p.Form = agencyValues(ag)
	s.render(w, r, http.StatusOK, "admin_agency_form", p)
}

func (s *Server) adminAgencyUpdate(w http.ResponseWriter, r *http.Request) {
	a := s.signedIn(w, r)
	if a == nil {
		return
	}
	if err := parseForm(w, r); err != nil {
		s.fail(w, r, err)
		return
	}
	id := r.PathValue("id")
	version, err := strconv.Atoi(r.PostForm.Get("version"))
	if err != nil {
		s.fail(w, r, apperr.New(apperr.Invalid, "Biểu mẫu thiếu phiên bản của cơ quan; hãy tải lại trang."))
		return
	}
	ag, err := s.Org.UpdateAgency(r.Context(), a, id, version, agencyInput(r.PostForm))
	if err != nil {
		cur, gerr := s.Org.Agency(r.Context(), id)
		if gerr != nil {
			s.fail(w, r, gerr)
			return
		}
		s.agencyFormError(w, r, a, cur, translate(langOf(r), "agency.edit")+": "+cur.Name, err)
		return
	}
	s.redirect(w, r, "/admin/agencies/"+url.PathEscape(ag.ID), fmt.Sprintf(translate(langOf(r), "agency.saved"), ag.Name))
}

type agencyRetireData struct {
	Agency org.Agency
	Retire bool
	Action string // "retire" or "reinstate"
}

func (s *Server) adminAgencyRetireForm(retire bool) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		a := s.administrator(w, r)
		if a == nil {
			return
		}
		ag, err := s.Org.Agency(r.Context(), r.PathValue("id"))
		if err != nil {
			s.fail(w, r, err)
			return
		}
		s.render(w, r, http.StatusOK, "admin_agency_retire", s.page(r, ag.Name, retireData(ag, retire)))
	}
}

func retireData(ag org.Agency, retire bool) agencyRetireData {
	d := agencyRetireData{Agency: ag, Retire: retire, Action: "reinstate"}
	if retire {
		d.Action = "retire"
	}
	return d
}

func (s *Server) adminAgencyRetire(retire bool) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		a := s.signedIn(w, r)
		if a == nil {
			return
		}
		if err := parseForm(w, r); err != nil {
			s.fail(w, r, err)
			return
		}
		ag, err := s.Org.Agency(r.Context(), r.PathValue("id"))
		if err != nil {
			s.fail(w, r, err)
			return
		}
		lang := langOf(r)
		if r.PostForm.Get("confirm") != "yes" {
			err = apperr.Field("confirm", translate(lang, "agency.confirm.missing"))
		} else {
			err = s.Org.RetireAgency(r.Context(), a, ag.ID, retire)
		}
		if err != nil {
			s.formError(w, r, "admin_agency_retire", s.page(r, ag.Name, retireData(ag, retire)), err)
			return
		}
		key := "agency.reinstated"
		if retire {
			key = "agency.retired"
		}
		s.redirect(w, r, "/admin/agencies/"+url.PathEscape(ag.ID), fmt.Sprintf(translate(lang, key), ag.Name))
	}
}

func (s *Server) adminAgencyExport(w http.ResponseWriter, r *http.Request) {
	if s.administrator(w, r) == nil {
		return
	}
	w.Header().Set("Content-Type", "text/csv; charset=utf-8")
	w.Header().Set("Content-Disposition", `attachment; filename="co-quan.csv"`)
	w.Header().Set("Cache-Control", "no-store")
	if err := s.Org.ExportCSV(r.Context(), w); err != nil {
		// The header is gone: the download ends short, and the log says why.
		s.Log.ErrorContext(r.Context(), "export agencies", "err", err)
	}
}

type agencyImportData struct {
	Problems []string
}

func (s *Server) adminAgencyImportForm(w http.ResponseWriter, r *http.Request) {
	if s.administrator(w, r) == nil {
		return
	}
	s.render(w, r, http.StatusOK, "admin_agency_import", s.page(r, translate(langOf(r), "agency.import"), agencyImportData{}))
}

const maxImportBytes = 5 << 20

func (s *Server) adminAgencyImport(w http.ResponseWriter, r *http.Request) {
	a := s.signedIn(w, r)
	if a == nil {
		return
	}
	lang := langOf(r)
	page := s.page(r, translate(lang, "agency.import"), agencyImportData{})
	r.Body = http.MaxBytesReader(w, r.Body, maxImportBytes+64<<10)
	if err := r.ParseMultipartForm(1 << 20); err != nil {
		s.importError(w, r, page, apperr.Field("file", translate(lang, "agency.import.toolarge")))
		return
	}
	f, _, err := r.FormFile("file")
	if err != nil {
		s.importError(w, r, page, apperr.Field("file", translate(lang, "agency.import.nofile")))
		return
	}
	defer f.Close()
	res, err := s.Org.ImportCSV(r.Context(), a, io.LimitReader(f, maxImportBytes))
	if err != nil {
		s.importError(w, r, page, err)
		return
	}
	s.redirect(w, r, "/admin/agencies", fmt.Sprintf(translate(lang, "agency.import.done"), res.Created, res.Updated))
}

// importError shows the import form with the service's message, one bad
// line per line.
func (s *Server) importError(w http.ResponseWriter, r *http.Request, p Page, err error) {
	code := apperr.CodeOf(err)
	if code != apperr.Invalid && code != apperr.Conflict {
		s.fail(w, r, err)
		return
	}
	msg := apperr.MessageOf(err)
	msg = strings.ReplaceAll(msg, ". dòng ", ".\ndòng ")
	p.Error = strings.ReplaceAll(msg, "; dòng ", "\ndòng ")
	p.Fields = apperr.FieldsOf(err)
	s.render(w, r, statusOf(code), "admin_agency_import", p)
}
