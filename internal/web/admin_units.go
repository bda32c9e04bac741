package web

import (
	"bytes"
	"context"
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"time"

	"github.com/congso/congso/internal/actor"
	"github.com/congso/congso/internal/adminunit"
	"github.com/congso/congso/internal/apperr"
	"github.com/congso/congso/internal/org"
)

// The administrative-unit browser: provinces on a date, a unit's children,
// successors and predecessors across the reorganisation of 1 July 2025, a
// search restricted to the date, and the unit picker used by forms.

func (s *Server) registerAdminUnits(mux *http.ServeMux) {
	mux.HandleFunc("GET /admin/units", s.adminUnits)
	mux.HandleFunc("GET /admin/units/picker", s.adminUnitPicker)
	mux.HandleFunc("GET /admin/units/{ref}", s.adminUnit)
}

// official returns the signed-in official (or the system), or answers the
// request itself: the sign-in page for anonymous visitors, "not allowed" for
// citizens and organisations.
func (s *Server) official(w http.ResponseWriter, r *http.Request) *actor.Actor {
	a := s.signedIn(w, r)
	if a == nil {
		return nil
	}
	if !a.IsOfficial() {
		s.fail(w, r, actor.Deny(a, "Trang này dành cho cán bộ, công chức."))
		return nil
	}
	return a
}

func (s *Server) now() time.Time {
	if s.Now != nil {
		return s.Now()
	}
	return time.Now()
}

// today is today's date in Vietnam.
func (s *Server) today() adminunit.Date { return adminunit.VietnamDate(s.now()) }

// partialPage is s.page for pages that answer htmx with a fragment: a
// history restore (the user pressed Back after a reload) needs the whole page.
func (s *Server) partialPage(r *http.Request, title string, data any) Page {
	p := s.page(r, title, data)
	if r.Header.Get("HX-History-Restore-Request") == "true" {
		p.Partial = false
	}
	return p
}

// renderFragment writes one named partial template, for htmx requests that
// replace a piece of a form.
func (s *Server) renderFragment(w http.ResponseWriter, r *http.Request, name string, data any) {
	t, ok := s.pages["admin_units"]
	if !ok {
		s.Log.Error("missing template", "name", "admin_units")
		http.Error(w, "template missing", http.StatusInternalServerError)
		return
	}
	var buf bytes.Buffer
	if err := t.ExecuteTemplate(&buf, name, data); err != nil {
		s.Log.ErrorContext(r.Context(), "render fragment", "name", name, "err", err)
		http.Error(w, "render failed", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("Vary", "HX-Request")
	_, _ = buf.WriteTo(w)
}

// viDate shows a civil date the Vietnamese way, "" for the zero date.
func viDate(d adminunit.Date) string {
	if d.IsZero() {
		return ""
	}
	return d.String()[8:10] + "/" + d.String()[5:7] + "/" + d.String()[:4]
}

// unitView is a unit as the browser shows it.
type unitView struct {
	ID, Code, Kind, FullName string
	Level                    adminunit.Level
	Old                      bool   // edition 2025-03-01
	From, To                 string // dd/mm/yyyy; "" when unknown or open-ended
	Href                     string // browse the unit (its children) on a date it is valid
	// Links are the successors of an old unit or the predecessors of a
	// current one.
	Links []unitLink
	// Abolished marks an old district: districts have no successors.
	Abolished bool
}

// unitCell is a unit with the language to show it in, for the partial
// templates (which do not receive the page).
type unitCell struct {
	Lang string
	Unit unitView
}

// In pairs the unit with a language.
func (v unitView) In(lang string) unitCell { return unitCell{Lang: lang, Unit: v} }

// unitTable is a table of units.
type unitTable struct {
	Lang string
	Rows []unitView
}

// Table pairs rows with a language.
func (d unitsData) Table(lang string, rows []unitView) unitTable {
	return unitTable{Lang: lang, Rows: rows}
}

// unitLink is one side of a succession.
type unitLink struct {
	Code, FullName string
	Full           bool
	Href           string
}

// unitHref links to the unit browser for a unit on a date it is valid: the
// date being browsed if the unit is valid then, otherwise today or the edge of
// the unit's validity.
func (s *Server) unitHref(u adminunit.Unit, on adminunit.Date) string {
	return "/admin/units/" + url.PathEscape(u.Code) + "?" + url.Values{"date": {s.unitDate(u, on).String()}}.Encode()
}

// unitDate is on if the unit is valid then, else today or the edge of the
// unit's validity.
func (s *Server) unitDate(u adminunit.Unit, on adminunit.Date) adminunit.Date {
	switch {
	case u.ValidOn(on):
		return on
	case u.ValidOn(s.today()):
		return s.today()
	case !u.ValidTo.IsZero():
		return u.ValidTo
	}
	return u.ValidFrom
}

func (s *Server) viewUnit(u adminunit.Unit, on adminunit.Date) unitView {
	v := unitView{ID: u.ID().String(), Code: u.Code, Kind: u.Kind, FullName: u.FullName, Level: u.Level,
		Old: u.Edition == adminunit.EditionThreeLevel, From: viDate(u.ValidFrom), To: viDate(u.ValidTo), Href: s.unitHref(u, on)}
	var rows []adminunit.Succession
	if v.Old {
		rows, _ = s.Units.Successors(u.ID())
		v.Abolished = u.Level == adminunit.LevelDistrict && len(rows) == 0
	} else {
		rows, _ = s.Units.Predecessors(u.ID())
	}
	for _, row := range rows {
		other := row.New
		if !v.Old {
			other = row.Old
		}
		l := unitLink{Code: other.Code, FullName: other.String(), Full: row.Full}
		if ou, err := s.Units.Unit(other); err == nil {
			l.FullName = ou.FullName
			l.Href = s.unitHref(ou, on)
		}
		v.Links = append(v.Links, l)
	}
	return v
}

func (s *Server) viewUnits(us []adminunit.Unit, on adminunit.Date) []unitView {
	out := make([]unitView, len(us))
	for i, u := range us {
		out[i] = s.viewUnit(u, on)
	}
	return out
}

// unitsData is the unit browser.
type unitsData struct {
	Date      string // YYYY-MM-DD, for the date field
	DateShown string // dd/mm/yyyy
	Current   bool   // the date falls in the two-level structure
	Query     string
	Searched  bool
	Results   []unitView
	Provinces []unitView
	// Selected is the unit being browsed, with its parent and children.
	Selected   *unitView
	Parent     *unitView
	Children   []unitView
	ProvinceID string // the province being browsed, to mark it in the list
	Missing    string // why the unit asked for is not shown
}

// unitsPage reads the date (today when absent) and fills the province list.
func (s *Server) unitsPage(r *http.Request) (unitsData, adminunit.Date, error) {
	d := s.today()
	var err error
	if v := strings.TrimSpace(r.URL.Query().Get("date")); v != "" {
		if d, err = adminunit.ParseDate(v); err != nil {
			d = s.today()
			err = apperr.Field("date", "Ngày không hợp lệ (định dạng năm-tháng-ngày).")
		}
	}
	data := unitsData{Date: d.String(), DateShown: viDate(d), Current: !d.Before(adminunit.EditionCurrent.ValidFrom())}
	data.Provinces = s.viewUnits(s.Units.Provinces(d), d)
	return data, d, err
}

func (s *Server) unitsTitle(r *http.Request) string { return translate(langOf(r), "units.title") }

func (s *Server) adminUnits(w http.ResponseWriter, r *http.Request) {
	if s.official(w, r) == nil {
		return
	}
	data, d, derr := s.unitsPage(r)
	data.Query = strings.TrimSpace(r.URL.Query().Get("q"))
	if data.Query != "" {
		if len(data.Query) > 100 {
			data.Query = data.Query[:100]
		}
		data.Searched = true
		data.Results = s.viewUnits(s.Units.Search(data.Query, adminunit.SearchFilter{On: d, Limit: 100}), d)
	}
	p := s.partialPage(r, s.unitsTitle(r), data)
	p.Partial = false // the search answers with the whole page
	status := http.StatusOK
	if derr != nil {
		p.Error, p.Fields, status = apperr.MessageOf(derr), apperr.FieldsOf(derr), http.StatusUnprocessableEntity
	}
	s.render(w, r, status, "admin_units", p)
}

// adminUnit browses one unit: {ref} is a code (valid on ?date=) or a unit ID
// "<code>@<edition>".
func (s *Server) adminUnit(w http.ResponseWriter, r *http.Request) {
	if s.official(w, r) == nil {
		return
	}
	data, d, derr := s.unitsPage(r)
	ref := r.PathValue("ref")
	var u adminunit.Unit
	var err error
	if id, perr := adminunit.ParseID(ref); perr == nil {
		if u, err = s.Units.Unit(id); err == nil && !u.ValidOn(d) {
			// A unit ID names its edition: browse it on a date it was valid.
			http.Redirect(w, r, s.unitHref(u, d), http.StatusSeeOther)
			return
		}
	} else {
		u, err = s.Units.UnitOn(ref, d)
	}
	status := http.StatusOK
	if err != nil {
		// The registry's own message is for developers (English, with
		// editions); say it plainly.
		status = statusOf(apperr.CodeOf(org.UnitError(err)))
		data.Missing = fmt.Sprintf(translate(langOf(r), "units.notfound.text"), ref, data.DateShown)
		if status != http.StatusNotFound {
			data.Missing = fmt.Sprintf(translate(langOf(r), "units.badcode"), ref)
		}
	} else {
		v := s.viewUnit(u, d)
		data.Selected = &v
		if pid := u.ParentID(); !pid.IsZero() {
			if pu, err := s.Units.Unit(pid); err == nil {
				pv := s.viewUnit(pu, d)
				data.Parent = &pv
			}
		}
		kids, _ := s.Units.Children(u.ID())
		data.Children = s.viewUnits(kids, d)
		data.ProvinceID = adminunit.ID{Code: u.ProvinceCode, Edition: u.Edition}.String()
	}
	p := s.partialPage(r, s.unitsTitle(r), data)
	if data.Selected != nil {
		p.Title = data.Selected.FullName + " — " + p.Title
	}
	if derr != nil {
		p.Error, p.Fields, status = apperr.MessageOf(derr), apperr.FieldsOf(derr), http.StatusUnprocessableEntity
	}
	s.render(w, r, status, "admin_units", p)
}

// unitPicker is the administrative-unit field of a form: a province select
// that reloads the commune select through htmx, and without JavaScript a
// commune select of one province plus a field for a unit code.
type unitPicker struct {
	Lang      string
	Name      string // the form field that carries the unit ID
	Province  string // code of the province whose communes are listed
	Provinces []pickOption
	Options   []pickOption
	// Extra is the current value when it is not among Options (a unit of the
	// old structure that an agency still refers to).
	Extra    *pickOption
	Error    string
	Disabled bool
	Current  string // the current value's label, for a read-only field
}

type pickOption struct {
	Value, Label string
	Selected     bool
}

var pickerName = regexp.MustCompile(`^[a-z][a-z_]{0,30}$`)

// homeProvince is the province the platform serves.
func (s *Server) homeProvince(context.Context) string { return s.Province }

// newUnitPicker builds the picker for the current value. The communes listed
// are those of the value's province, else of the platform's province.
func (s *Server) newUnitPicker(ctx context.Context, lang, name, value string) unitPicker {
	p := unitPicker{Lang: lang, Name: name}
	today := s.today()
	var cur adminunit.Unit
	haveCur := false
	if id, err := adminunit.ParseID(value); err == nil {
		if u, err := s.Units.Unit(id); err == nil {
			cur, haveCur = u, true
			p.Current = u.FullName + " (" + u.Code + ")"
			if u.ValidOn(today) {
				p.Province = u.ProvinceCode
			}
		}
	}
	if value != "" && !haveCur {
		p.Current = value
	}
	if p.Province == "" {
		p.Province = s.homeProvince(ctx)
	}
	for _, u := range s.Units.Provinces(today) {
		p.Provinces = append(p.Provinces, pickOption{Value: u.Code, Label: u.FullName, Selected: u.Code == p.Province})
	}
	p.Options = s.pickOptions(lang, p.Province, value)
	found := value == ""
	for _, o := range p.Options {
		found = found || o.Selected
	}
	if !found {
		label := value
		if haveCur {
			label = cur.FullName + " (" + cur.Code + ")"
			if !cur.ValidOn(today) {
				label += " — " + translate(lang, "picker.reorganised")
			}
		}
		p.Extra = &pickOption{Value: value, Label: label, Selected: true}
	}
	return p
}

// pickOptions lists a province (for province-level agencies) and its
// communes today.
func (s *Server) pickOptions(lang, province, value string) []pickOption {
	if province == "" {
		return nil
	}
	pu, err := s.Units.UnitOn(province, s.today())
	if err != nil {
		return nil
	}
	out := []pickOption{{Value: pu.ID().String(), Label: pu.FullName + " (" + pu.Code + ") — " + translate(lang, "picker.provincelevel"),
		Selected: pu.ID().String() == value}}
	kids, _ := s.Units.Children(pu.ID())
	for _, u := range kids {
		out = append(out, pickOption{Value: u.ID().String(), Label: u.FullName + " (" + u.Code + ")", Selected: u.ID().String() == value})
	}
	return out
}

// adminUnitPicker answers the picker's province select with the commune
// select of the chosen province.
func (s *Server) adminUnitPicker(w http.ResponseWriter, r *http.Request) {
	if s.official(w, r) == nil {
		return
	}
	q := r.URL.Query()
	name := q.Get("name")
	if !pickerName.MatchString(name) {
		name = "unit_id"
	}
	lang := langOf(r)
	p := unitPicker{Lang: lang, Name: name, Province: q.Get(name + "_province")}
	p.Options = s.pickOptions(lang, p.Province, q.Get(name))
	s.renderFragment(w, r, "admin-unit-communes", p)
}

// unitFromForm reads the picker's value: the code typed without JavaScript
// wins over the select.
func unitFromForm(form url.Values, name string) string {
	if code := strings.TrimSpace(form.Get(name + "_code")); code != "" {
		if strings.Contains(code, "@") {
			return code
		}
		return adminunit.ID{Code: code, Edition: adminunit.EditionCurrent}.String()
	}
	return strings.TrimSpace(form.Get(name))
}
