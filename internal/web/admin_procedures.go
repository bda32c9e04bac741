package web

import (
	"bytes"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"slices"
	"sort"
	"strconv"
	"strings"

	"github.com/congso/congso/internal/actor"
	"github.com/congso/congso/internal/apperr"
	"github.com/congso/congso/internal/audit"
	"github.com/congso/congso/internal/calendar"
	"github.com/congso/congso/internal/catalog"
	"github.com/congso/congso/internal/org"
)

// The procedure catalogue: list with diacritic-insensitive search and
// filters, detail with the e-form preview, create and edit forms whose lists
// (fees, documents, steps, e-form fields) are rows added, moved and removed
// by plain form buttons (no JavaScript needed), deactivation and activation
// with confirmation, implementing agencies, import and export. The catalog
// service decides who may do what; the pages show its answers.

// procedurePages serves the catalogue pages.
type procedurePages struct {
	s   *Server
	cat *catalog.Service
}

func newProcedurePages(s *Server, cat *catalog.Service) *procedurePages {
	return &procedurePages{s: s, cat: cat}
}

// registerAdminProcedures adds the catalogue pages.
func (s *Server) registerAdminProcedures(mux *http.ServeMux) {
	newProcedurePages(s, s.Catalog).register(mux)
}

func (pp *procedurePages) register(mux *http.ServeMux) {
	mux.HandleFunc("GET /admin/procedures", pp.list)
	mux.HandleFunc("POST /admin/procedures", pp.create)
	mux.HandleFunc("GET /admin/procedures/new", pp.newForm)
	mux.HandleFunc("GET /admin/procedures/export.json", pp.export("json"))
	mux.HandleFunc("GET /admin/procedures/export.csv", pp.export("csv"))
	mux.HandleFunc("GET /admin/procedures/import", pp.importForm)
	mux.HandleFunc("POST /admin/procedures/import", pp.importFile)
	mux.HandleFunc("POST /admin/procedures/assign", pp.assignByKind)
	mux.HandleFunc("GET /admin/procedures/{id}", pp.detail)
	mux.HandleFunc("POST /admin/procedures/{id}", pp.update)
	mux.HandleFunc("GET /admin/procedures/{id}/edit", pp.editForm)
	mux.HandleFunc("GET /admin/procedures/{id}/deactivate", pp.confirmForm(false))
	mux.HandleFunc("POST /admin/procedures/{id}/deactivate", pp.setActive(false))
	mux.HandleFunc("GET /admin/procedures/{id}/activate", pp.confirmForm(true))
	mux.HandleFunc("POST /admin/procedures/{id}/activate", pp.setActive(true))
	mux.HandleFunc("GET /admin/procedures/{id}/agencies", pp.agenciesForm)
	mux.HandleFunc("POST /admin/procedures/{id}/agencies", pp.saveAgencies)
}

func (pp *procedurePages) t(r *http.Request, key string) string { return translate(langOf(r), key) }

// mayEdit is the service's rule for editing, so that nobody fills in a form
// it will refuse.
func mayEdit(w http.ResponseWriter, r *http.Request, s *Server, a *actor.Actor) bool {
	if a.ProvinceAdmin() {
		return true
	}
	s.fail(w, r, actor.Deny(a, "Chỉ quản trị toàn tỉnh được thêm, sửa thủ tục hành chính."))
	return false
}

// formatDong writes an amount the Vietnamese way: 1.250.000 đồng.
func formatDong(n int64) string {
	s := strconv.FormatInt(n, 10)
	neg := strings.HasPrefix(s, "-")
	s = strings.TrimPrefix(s, "-")
	var b strings.Builder
	for i, c := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteByte('.')
		}
		b.WriteRune(c)
	}
	if neg {
		return "-" + b.String() + " đồng"
	}
	return b.String() + " đồng"
}

const procedurePageSize = 50

type procListData struct {
	Query, Field, Level, Online, AgencyID string
	Inactive                              bool
	Fields                                []string
	Levels                                []catalog.Level
	Onlines                               []catalog.OnlineLevel
	Agencies                              []org.Agency
	Items                                 []catalog.Summary
	Next                                  string
	CanManage                             bool
}

func (pp *procedurePages) list(w http.ResponseWriter, r *http.Request) {
	a := pp.s.official(w, r)
	if a == nil {
		return
	}
	ctx := r.Context()
	q := r.URL.Query()
	d := procListData{Query: strings.TrimSpace(q.Get("q")), Field: q.Get("field"), Level: q.Get("level"), Online: q.Get("online"),
		AgencyID: q.Get("agency"), Inactive: q.Get("inactive") == "1", Levels: catalog.Levels(), Onlines: catalog.OnlineLevels(),
		CanManage: a.ProvinceAdmin()}
	if len(d.Query) > 200 {
		d.Query = d.Query[:200]
	}
	items, err := pp.cat.Search(ctx, a, catalog.Filter{Query: d.Query, Field: d.Field, Level: catalog.Level(d.Level),
		OnlineLevel: catalog.OnlineLevel(d.Online), AgencyID: d.AgencyID, IncludeInactive: d.Inactive, After: q.Get("after"),
		Limit: procedurePageSize + 1})
	if err != nil {
		pp.s.fail(w, r, err)
		return
	}
	if len(items) > procedurePageSize {
		items = items[:procedurePageSize]
		next := url.Values{"after": {items[len(items)-1].ID}}
		for k, v := range map[string]string{"q": d.Query, "field": d.Field, "level": d.Level, "online": d.Online, "agency": d.AgencyID} {
			if v != "" {
				next.Set(k, v)
			}
		}
		if d.Inactive {
			next.Set("inactive", "1")
		}
		d.Next = "/admin/procedures?" + next.Encode()
	}
	d.Items = items
	if d.Fields, err = pp.cat.Fields(ctx, a); err != nil {
		pp.s.fail(w, r, err)
		return
	}
	if d.Agencies, err = pp.s.Org.Agencies(ctx, org.AgencyFilter{Limit: 1000}); err != nil {
		pp.s.fail(w, r, err)
		return
	}
	pp.s.render(w, r, http.StatusOK, "admin_procedures", pp.s.page(r, pp.t(r, "proc.title"), d))
}

// feeView, docView and stepView are the lists as the detail page shows them.
type feeView struct {
	Kind, Name, Amount, Note string
}

type docView struct {
	catalog.Document
	N int
}

type stepView struct {
	N            int
	Name, Budget string
	Role         actor.Role
}

type procDetailData struct {
	P        catalog.Procedure
	Agencies []org.Agency
	Docs     []docView
	Fees     []feeView
	Steps    []stepView
	Total    string // what the step budgets add up to
	Limit    string
	EForm    eformView
	Audit    []auditRow
	// CanManage shows the edit and state buttons, CanAssign the link to the
	// implementing agencies; the service still decides.
	CanManage bool
	CanAssign bool
}

// AuditTable shows the procedure's recent entries in a narrow table.
func (d procDetailData) AuditTable(lang string) auditTable {
	return auditTable{Lang: lang, Rows: d.Audit, Compact: true}
}

func (pp *procedurePages) detail(w http.ResponseWriter, r *http.Request) {
	a := pp.s.official(w, r)
	if a == nil {
		return
	}
	ctx := r.Context()
	p, err := pp.cat.Get(ctx, a, r.PathValue("id"))
	if err != nil {
		pp.s.fail(w, r, err)
		return
	}
	d := procDetailData{P: p, Total: p.LimitBudget().String(), Limit: p.LimitLabel(), CanManage: a.ProvinceAdmin(),
		CanAssign: a.ProvinceAdmin() || a.HasAnywhere(actor.AgencyAdmin)}
	for _, id := range p.AgencyIDs {
		if ag, err := pp.s.Org.Agency(ctx, id); err == nil {
			d.Agencies = append(d.Agencies, ag)
		}
	}
	lang := langOf(r)
	for _, f := range p.Fees {
		d.Fees = append(d.Fees, feeView{Kind: translate(lang, "proc.feekind."+string(f.Kind)), Name: f.Name, Amount: formatDong(f.Amount), Note: f.Note})
	}
	for i, doc := range p.Documents {
		d.Docs = append(d.Docs, docView{Document: doc, N: i + 1})
	}
	for i, st := range p.Steps {
		d.Steps = append(d.Steps, stepView{N: i + 1, Name: st.Name, Role: st.Role, Budget: st.Budget.String()})
	}
	d.EForm = pp.s.newEForm(r, p.Form, url.Values{}, nil)
	d.EForm.Preview = true
	entries, err := pp.s.Audit.List(ctx, a, audit.Filter{ObjectType: "procedure", ObjectID: p.ID, Limit: 10})
	if err != nil && !apperr.Is(err, apperr.Forbidden) {
		pp.s.fail(w, r, err)
		return
	}
	d.Audit = pp.s.auditRows(r, entries)
	pp.s.render(w, r, http.StatusOK, "admin_procedures_detail", pp.s.page(r, p.Name, d))
}

// The create and edit form. Inputs are named after the JSON paths the
// service reports problems under ("fees.0.amount", "steps.2.role",
// "form.fields.1.options"), so that each message lands beside its input.

// input is one input of the procedure form.
type input struct {
	Name, ID, Label, Value, Error, Hint string
	// Type is text, number (typed as text: officials write 15.000), time,
	// textarea, select or checkbox.
	Type                         string
	Options                      []pickOption
	Checked, Required, HideLabel bool
	Rows                         int
	List                         string // the id of a datalist of suggestions
}

// HTMLType is the input's type attribute: numbers are typed as text, so
// that "15.000" reaches the server as written.
func (in input) HTMLType() string {
	if in.Type == "number" {
		return "text"
	}
	return in.Type
}

// DescribedBy lists the ids of the hint and the error.
func (in input) DescribedBy() string {
	var ids []string
	if in.Hint != "" {
		ids = append(ids, in.ID+"-hint")
	}
	if in.Error != "" {
		ids = append(ids, in.ID+"-err")
	}
	return strings.Join(ids, " ")
}

// formRow is a row of a list: its inputs in column order.
type formRow struct {
	Lang   string
	List   string // the list's path, for the row buttons
	Label  string // "Bước 2", for the buttons and block rows
	Index  int
	Number int
	Inputs []input
	Error  string // a problem with the row as a whole
}

// formList is an editable list.
type formList struct {
	Lang                   string
	Path, Legend, AddLabel string
	Columns                []string
	Rows                   []formRow
	Error                  string
	// Wide lays the rows out as blocks (the e-form fields) instead of a table.
	Wide bool
}

// ID is the list's element id.
func (l formList) ID() string { return "list-" + strings.ReplaceAll(l.Path, ".", "-") }

type procFormData struct {
	New     bool
	ID      string
	Name    string // the stored name, for the breadcrumb
	Version string
	Main    []input
	Limit   []input // the time limit: number, unit
	Lists   []formList
	Lines   []input // results and legal basis, a line each
	Title   input   // the e-form's title
	EFields formList
	// Problems lists every message with the id of its input, for the
	// summary at the top of the form.
	Problems []problemLink
	Fields   []string // known fields, offered as suggestions
}

type problemLink struct{ ID, Message string }

func inputID(name string) string { return "f-" + strings.ReplaceAll(name, ".", "-") }

func unitOptions(lang, value string) []pickOption {
	var out []pickOption
	for _, u := range []calendar.Unit{calendar.UnitWorkingHours, calendar.UnitWorkingDays, calendar.UnitCalendarDays, calendar.UnitMonths} {
		code := unitCode(u)
		out = append(out, pickOption{Value: code, Label: translate(lang, "proc.unit."+code), Selected: code == value})
	}
	return out
}

func unitCode(u calendar.Unit) string {
	b, err := u.MarshalText()
	if err != nil {
		return ""
	}
	return string(b)
}

// listSpecs describes the editable lists: path, columns (name, input type)
// and the default values of a new row.
type column struct{ name, typ string }

func feeColumns() []column {
	return []column{{"kind", "select"}, {"name", "text"}, {"amount", "number"}, {"note", "text"}}
}
func documentColumns() []column {
	return []column{{"name", "text"}, {"originals", "number"}, {"copies", "number"}, {"from_estore", "checkbox"}, {"note", "text"}}
}
func stepColumns() []column {
	return []column{{"name", "text"}, {"role", "select"}, {"budget.n", "number"}, {"budget.unit", "select"}}
}
func fieldColumns() []column {
	return []column{{"name", "text"}, {"label", "text"}, {"type", "select"}, {"required", "checkbox"}, {"max_length", "number"},
		{"min", "number"}, {"max", "number"}, {"options", "textarea"}, {"help", "text"}, {"past_only", "checkbox"}}
}

func listColumns(path string) []column {
	switch path {
	case "fees":
		return feeColumns()
	case "documents":
		return documentColumns()
	case "steps":
		return stepColumns()
	case "form.fields":
		return fieldColumns()
	}
	return nil
}

// rowKey splits a row's key ("steps.2") into its list and index.
func rowKey(k string) (string, int, bool) {
	dot := strings.LastIndexByte(k, '.')
	if dot < 0 || listColumns(k[:dot]) == nil {
		return "", 0, false
	}
	i, err := strconv.Atoi(k[dot+1:])
	return k[:dot], i, err == nil
}

// rowCount counts the rows of a list in posted values.
func rowCount(v url.Values, path string) int {
	n := 0
	for {
		prefix := fmt.Sprintf("%s.%d.", path, n)
		found := false
		for k := range v {
			if strings.HasPrefix(k, prefix) {
				found = true
				break
			}
		}
		if !found {
			return n
		}
		n++
	}
}

// moveRow renames the keys of row from to row to (removing row to's keys).
func moveRow(v url.Values, path string, from, to int) {
	src, dst := fmt.Sprintf("%s.%d.", path, from), fmt.Sprintf("%s.%d.", path, to)
	for k := range v {
		if strings.HasPrefix(k, dst) {
			delete(v, k)
		}
	}
	for k, val := range v {
		if strings.HasPrefix(k, src) {
			v[dst+strings.TrimPrefix(k, src)] = val
			delete(v, k)
		}
	}
}

// applyRowOp adds, removes or moves up a row: op is "add:<list>",
// "remove:<list>:<i>" or "up:<list>:<i>". It reports whether op was one.
func applyRowOp(v url.Values, op string) bool {
	parts := strings.Split(op, ":")
	if len(parts) < 2 || listColumns(parts[1]) == nil {
		return false
	}
	path := parts[1]
	n := rowCount(v, path)
	i := -1
	if len(parts) == 3 {
		var err error
		if i, err = strconv.Atoi(parts[2]); err != nil || i < 0 || i >= n {
			return false
		}
	}
	switch {
	case parts[0] == "add" && len(parts) == 2 && n < 100:
		for _, c := range listColumns(path) {
			if c.typ != "checkbox" {
				v.Set(fmt.Sprintf("%s.%d.%s", path, n, c.name), "")
			}
		}
		if path == "steps" {
			v.Set(fmt.Sprintf("steps.%d.budget.unit", n), "working_hours")
		}
	case parts[0] == "remove" && i >= 0:
		for j := i; j < n-1; j++ {
			moveRow(v, path, j+1, j)
		}
		moveRow(v, path, n, n-1) // clears the last row's keys
	case parts[0] == "up" && i > 0:
		moveRow(v, path, i, n) // park row i past the end
		moveRow(v, path, i-1, i)
		moveRow(v, path, n, i-1)
	default:
		return false
	}
	return true
}

// specValues writes a spec as the form's values.
func specValues(sp catalog.Spec) url.Values {
	v := url.Values{}
	set := func(k, val string) { v.Set(k, val) }
	set("code", sp.Code)
	set("name", sp.Name)
	set("field", sp.Field)
	set("level", string(sp.Level))
	set("agency_kind", string(sp.AgencyKind))
	set("agency_hint", sp.AgencyHint)
	set("time_limit.n", strconv.Itoa(sp.TimeLimit.N))
	set("time_limit.unit", unitCode(sp.TimeLimit.Unit))
	set("cutoff", sp.CutOff)
	set("online_level", string(sp.OnlineLevel))
	set("results", strings.Join(sp.Results, "\n"))
	set("legal_basis", strings.Join(sp.LegalBasis, "\n"))
	yes := func(b bool) string {
		if b {
			return "1"
		}
		return ""
	}
	for i, f := range sp.Fees {
		p := fmt.Sprintf("fees.%d.", i)
		set(p+"kind", string(f.Kind))
		set(p+"name", f.Name)
		set(p+"amount", strconv.FormatInt(f.Amount, 10))
		set(p+"note", f.Note)
	}
	for i, d := range sp.Documents {
		p := fmt.Sprintf("documents.%d.", i)
		set(p+"name", d.Name)
		set(p+"originals", strconv.Itoa(d.Originals))
		set(p+"copies", strconv.Itoa(d.Copies))
		if d.FromEStore {
			set(p+"from_estore", "1")
		}
		set(p+"note", d.Note)
	}
	for i, st := range sp.Steps {
		p := fmt.Sprintf("steps.%d.", i)
		set(p+"name", st.Name)
		set(p+"role", string(st.Role))
		set(p+"budget.n", strconv.Itoa(st.Budget.N))
		set(p+"budget.unit", unitCode(st.Budget.Unit))
	}
	set("form.title", sp.Form.Title)
	num := func(f *float64) string {
		if f == nil {
			return ""
		}
		return strconv.FormatFloat(*f, 'f', -1, 64)
	}
	for i, x := range sp.Form.Fields {
		p := fmt.Sprintf("form.fields.%d.", i)
		set(p+"name", x.Name)
		set(p+"label", x.Label)
		set(p+"type", string(x.Type))
		set(p+"required", yes(x.Required))
		if x.MaxLength > 0 {
			set(p+"max_length", strconv.Itoa(x.MaxLength))
		} else {
			set(p+"max_length", "")
		}
		set(p+"min", num(x.Min))
		set(p+"max", num(x.Max))
		set(p+"options", strings.Join(x.Options, "\n"))
		set(p+"help", x.Help)
		set(p+"past_only", yes(x.PastOnly))
	}
	for k, val := range v {
		if len(val) == 1 && val[0] == "" && (strings.HasSuffix(k, ".required") || strings.HasSuffix(k, ".past_only")) {
			delete(v, k)
		}
	}
	return v
}

// newSpecValues is the form of a new procedure: the four usual steps, one
// document, the default cut-off.
func newSpecValues() url.Values {
	v := url.Values{"cutoff": {catalog.DefaultCutOff}, "time_limit.unit": {"working_days"}, "online_level": {"full"}}
	for i, role := range catalog.StepRoles() {
		p := fmt.Sprintf("steps.%d.", i)
		v.Set(p+"name", "")
		v.Set(p+"role", string(role))
		v.Set(p+"budget.n", "")
		v.Set(p+"budget.unit", "working_hours")
	}
	for _, c := range documentColumns() {
		if c.typ != "checkbox" {
			v.Set("documents.0."+c.name, "")
		}
	}
	v.Set("documents.0.originals", "1")
	v.Set("documents.0.copies", "0")
	return v
}

func lines(s string) []string {
	var out []string
	for _, l := range strings.Split(strings.ReplaceAll(s, "\r\n", "\n"), "\n") {
		if l = strings.TrimSpace(l); l != "" {
			out = append(out, l)
		}
	}
	return out
}

// specFromForm reads the posted form. Numbers that cannot be read are
// reported under their input's name.
func specFromForm(v url.Values) (catalog.Spec, apperr.Fields) {
	bad := apperr.Fields{}
	atoi := func(key, msg string) int {
		s := strings.TrimSpace(v.Get(key))
		if s == "" {
			return 0
		}
		n, err := strconv.Atoi(s)
		if err != nil {
			bad.Add(key, msg)
		}
		return n
	}
	unit := func(key string) calendar.Unit {
		var u calendar.Unit
		if err := u.UnmarshalText([]byte(v.Get(key))); err != nil {
			bad.Add(key, "Hãy chọn đơn vị thời gian.")
		}
		return u
	}
	sp := catalog.Spec{Code: v.Get("code"), Name: v.Get("name"), Field: v.Get("field"), Level: catalog.Level(v.Get("level")),
		AgencyKind: org.Kind(v.Get("agency_kind")), AgencyHint: v.Get("agency_hint"), CutOff: v.Get("cutoff"),
		OnlineLevel: catalog.OnlineLevel(v.Get("online_level")), Results: lines(v.Get("results")), LegalBasis: lines(v.Get("legal_basis"))}
	sp.TimeLimit.N = atoi("time_limit.n", "Thời hạn giải quyết phải là số nguyên.")
	if strings.TrimSpace(v.Get("time_limit.n")) == "" {
		bad.Add("time_limit.n", "Hãy nhập thời hạn giải quyết (0 ngày làm việc nếu trả kết quả trong ngày).")
	}
	sp.TimeLimit.Unit = unit("time_limit.unit")
	for i := range rowCount(v, "fees") {
		p, n := fmt.Sprintf("fees.%d.", i), i+1
		amount := strings.NewReplacer(".", "", " ", "", "\u00a0", "").Replace(v.Get(p + "amount"))
		a, err := strconv.ParseInt(amount, 10, 64)
		if err != nil && amount != "" {
			bad.Add(p+"amount", fmt.Sprintf("Khoản phí thứ %d: số tiền phải là số nguyên đồng (ví dụ 15000 hoặc 15.000).", n))
		}
		sp.Fees = append(sp.Fees, catalog.Fee{Kind: catalog.FeeKind(v.Get(p + "kind")), Name: v.Get(p + "name"), Amount: a, Note: v.Get(p + "note")})
	}
	for i := range rowCount(v, "documents") {
		p, n := fmt.Sprintf("documents.%d.", i), i+1
		sp.Documents = append(sp.Documents, catalog.Document{Name: v.Get(p + "name"),
			Originals:  atoi(p+"originals", fmt.Sprintf("Giấy tờ thứ %d: số bản chính phải là số nguyên.", n)),
			Copies:     atoi(p+"copies", fmt.Sprintf("Giấy tờ thứ %d: số bản sao phải là số nguyên.", n)),
			FromEStore: v.Get(p+"from_estore") != "", Note: v.Get(p + "note")})
	}
	for i := range rowCount(v, "steps") {
		p, n := fmt.Sprintf("steps.%d.", i), i+1
		st := catalog.Step{Name: v.Get(p + "name"), Role: actor.Role(v.Get(p + "role"))}
		st.Budget.N = atoi(p+"budget.n", fmt.Sprintf("Bước %d: thời gian phải là số nguyên.", n))
		if strings.TrimSpace(v.Get(p+"budget.n")) == "" {
			bad.Add(p+"budget.n", fmt.Sprintf("Bước %d: hãy nhập thời gian của bước.", n))
		}
		st.Budget.Unit = unit(p + "budget.unit")
		sp.Steps = append(sp.Steps, st)
	}
	sp.Form.Title = v.Get("form.title")
	for i := range rowCount(v, "form.fields") {
		p, n := fmt.Sprintf("form.fields.%d.", i), i+1
		x := catalog.Field{Name: v.Get(p + "name"), Label: v.Get(p + "label"), Type: catalog.FieldType(v.Get(p + "type")),
			Required: v.Get(p+"required") != "", Options: lines(v.Get(p + "options")), Help: v.Get(p + "help"), PastOnly: v.Get(p+"past_only") != ""}
		x.MaxLength = atoi(p+"max_length", fmt.Sprintf("Trường thứ %d: độ dài tối đa phải là số nguyên.", n))
		for _, b := range []struct {
			key  string
			into **float64
		}{{"min", &x.Min}, {"max", &x.Max}} {
			s := strings.ReplaceAll(strings.TrimSpace(v.Get(p+b.key)), ",", ".")
			if s == "" {
				continue
			}
			f, err := strconv.ParseFloat(s, 64)
			if err != nil {
				bad.Add(p+b.key, fmt.Sprintf("Trường thứ %d: giá trị giới hạn phải là một số.", n))
				continue
			}
			*b.into = &f
		}
		sp.Form.Fields = append(sp.Form.Fields, x)
	}
	return sp, bad
}

// formErrors places the service's problems on the form's inputs: budgets and
// the limit on their number, lines of results and legal basis on their box.
func formErrors(fields map[string]string) map[string]string {
	out := map[string]string{}
	add := func(k, msg string) {
		if _, ok := out[k]; !ok {
			out[k] = msg
		}
	}
	keys := make([]string, 0, len(fields))
	for k := range fields {
		keys = append(keys, k)
	}
	// Longer keys first: a problem reported on an input ("time_limit.n")
	// wins over the one the rules report for its group ("time_limit").
	sort.Slice(keys, func(i, j int) bool {
		return len(keys[i]) > len(keys[j]) || len(keys[i]) == len(keys[j]) && keys[i] < keys[j]
	})
	for _, k := range keys {
		msg := fields[k]
		switch {
		case k == "time_limit":
			add("time_limit.n", msg)
		case strings.HasPrefix(k, "steps.") && strings.HasSuffix(k, ".budget"):
			add(k+".n", msg)
		case strings.HasPrefix(k, "results."):
			add("results", msg)
		case strings.HasPrefix(k, "legal_basis."):
			add("legal_basis", msg)
		default:
			add(k, msg)
		}
	}
	return out
}

// procForm builds the form's view from values and the problems by input.
func (pp *procedurePages) procForm(r *http.Request, p *catalog.Procedure, v url.Values, errs map[string]string) procFormData {
	lang := langOf(r)
	t := func(k string) string { return translate(lang, k) }
	d := procFormData{New: p == nil}
	if p != nil {
		d.ID, d.Name, d.Version = p.ID, p.Name, strconv.Itoa(p.Version)
	}
	if fields, err := pp.cat.Fields(r.Context(), actor.From(r.Context())); err == nil {
		d.Fields = fields
	}
	used := map[string]bool{}
	in := func(name, label, typ string) input {
		used[name] = true
		return input{Name: name, ID: inputID(name), Label: label, Type: typ, Value: v.Get(name), Error: errs[name],
			Checked: v.Get(name) != ""}
	}
	opts := func(value string, pairs ...string) []pickOption {
		out := []pickOption{{Value: "", Label: "—"}}
		for i := 0; i+1 < len(pairs); i += 2 {
			out = append(out, pickOption{Value: pairs[i], Label: pairs[i+1], Selected: pairs[i] == value})
		}
		return out
	}
	var levels, kinds, onlines, roles, types, feeKinds []string
	for _, l := range catalog.Levels() {
		levels = append(levels, string(l), t("proc.level."+string(l)))
	}
	for _, k := range org.Kinds {
		kinds = append(kinds, string(k), t("kind."+string(k)))
	}
	for _, o := range catalog.OnlineLevels() {
		onlines = append(onlines, string(o), t("proc.online."+string(o)))
	}
	for _, r := range catalog.StepRoles() {
		roles = append(roles, string(r), t("role."+string(r)))
	}
	for _, ft := range catalog.FieldTypes() {
		types = append(types, string(ft), t("eform.type."+string(ft)))
	}
	for _, k := range []catalog.FeeKind{catalog.KindFee, catalog.KindCharge} {
		feeKinds = append(feeKinds, string(k), t("proc.feekind."+string(k)))
	}

	code := in("code", t("proc.code"), "text")
	code.Hint = t("proc.code.hint")
	name := in("name", t("proc.name"), "text")
	name.Required = true
	field := in("field", t("proc.field"), "text")
	field.Required, field.List = true, "known-fields"
	level := in("level", t("proc.level"), "select")
	level.Options, level.Required = opts(v.Get("level"), levels...), true
	kind := in("agency_kind", t("proc.agencykind"), "select")
	kind.Options, kind.Required = opts(v.Get("agency_kind"), kinds...), true
	hint := in("agency_hint", t("proc.agencyhint"), "text")
	hint.Hint = t("proc.agencyhint.hint")
	cutoff := in("cutoff", t("proc.cutoff"), "time")
	cutoff.Hint = t("proc.cutoff.hint")
	online := in("online_level", t("proc.online"), "select")
	online.Options, online.Required = opts(v.Get("online_level"), onlines...), true
	d.Main = []input{code, name, field, level, kind, hint, cutoff, online}

	limitN := in("time_limit.n", t("proc.limit.n"), "number")
	limitN.Required, limitN.Hint = true, t("proc.limit.hint")
	limitUnit := in("time_limit.unit", t("proc.limit.unit"), "select")
	limitUnit.Options, limitUnit.Required = unitOptions(lang, v.Get("time_limit.unit")), true
	d.Limit = []input{limitN, limitUnit}

	results := in("results", t("proc.results"), "textarea")
	results.Rows, results.Hint, results.Required = 3, t("proc.lines.hint"), true
	basis := in("legal_basis", t("proc.legalbasis"), "textarea")
	basis.Rows, basis.Hint, basis.Required = 5, t("proc.lines.hint"), true
	d.Lines = []input{results, basis}
	d.Title = in("form.title", t("eform.title"), "text")

	list := func(path, legend, add string, wide bool) formList {
		fl := formList{Lang: lang, Path: path, Legend: legend, AddLabel: add, Error: errs[path], Wide: wide}
		cols := listColumns(path)
		for _, c := range cols {
			fl.Columns = append(fl.Columns, t("proc.col."+path+"."+c.name))
		}
		n := rowCount(v, path)
		for i := range n {
			row := formRow{Lang: lang, List: path, Label: fmt.Sprintf("%s %d", t("proc.row."+path), i+1), Index: i, Number: i + 1}
			for j, c := range cols {
				key := fmt.Sprintf("%s.%d.%s", path, i, c.name)
				x := in(key, row.Label+": "+fl.Columns[j], c.typ)
				x.HideLabel = !wide
				if wide {
					x.Label = fl.Columns[j]
				}
				switch {
				case path == "fees" && c.name == "kind":
					x.Options = opts(x.Value, feeKinds...)
				case path == "steps" && c.name == "role":
					x.Options = opts(x.Value, roles...)
				case path == "steps" && c.name == "budget.unit":
					x.Options = unitOptions(lang, x.Value)
				case path == "form.fields" && c.name == "type":
					x.Options = opts(x.Value, types...)
				case c.typ == "textarea":
					x.Rows, x.Hint = 3, t("eform.options.hint")
				}
				row.Inputs = append(row.Inputs, x)
			}
			if msg := errs[fmt.Sprintf("%s.%d", path, i)]; msg != "" {
				row.Error = msg
			}
			used[fmt.Sprintf("%s.%d", path, i)] = true
			fl.Rows = append(fl.Rows, row)
		}
		used[path] = true
		return fl
	}
	d.Lists = []formList{
		list("documents", t("proc.documents"), t("proc.add.document"), false),
		list("fees", t("proc.fees"), t("proc.add.fee"), false),
		list("steps", t("proc.steps"), t("proc.add.step"), false),
	}
	d.EFields = list("form.fields", t("eform.field"), t("proc.add.field"), true)
	if msg := errs["form"]; msg != "" && d.EFields.Error == "" {
		d.EFields.Error = msg
	}
	used["form"] = true

	// The summary: every problem in the order of the form, linked to its
	// input (or its list).
	order := map[string]int{}
	for _, x := range append(append(append([]input{}, d.Main...), d.Limit...), d.Lines...) {
		order[x.Name] = len(order)
	}
	for _, l := range append(slices.Clone(d.Lists), d.EFields) {
		order[l.Path] = len(order)
		for _, row := range l.Rows {
			order[fmt.Sprintf("%s.%d", l.Path, row.Index)] = len(order)
			for _, x := range row.Inputs {
				order[x.Name] = len(order)
			}
		}
	}
	order[d.Title.Name] = len(order)
	keys := make([]string, 0, len(errs))
	for k := range errs {
		keys = append(keys, k)
	}
	sort.Slice(keys, func(a, b int) bool {
		oa, ka := order[keys[a]]
		ob, kb := order[keys[b]]
		if ka != kb {
			return !ka // problems without a place first
		}
		if oa != ob {
			return oa < ob
		}
		return keys[a] < keys[b]
	})
	for _, k := range keys {
		link := problemLink{Message: errs[k]}
		if listColumns(k) != nil {
			link.ID = "list-" + strings.ReplaceAll(k, ".", "-")
		} else if _, placed := order[k]; placed {
			link.ID = inputID(k)
			if path, i, ok := rowKey(k); ok {
				link.ID = inputID(fmt.Sprintf("%s.%d.%s", path, i, listColumns(path)[0].name))
			}
		}
		d.Problems = append(d.Problems, link)
	}
	return d
}

func (pp *procedurePages) newForm(w http.ResponseWriter, r *http.Request) {
	a := pp.s.official(w, r)
	if a == nil || !mayEdit(w, r, pp.s, a) {
		return
	}
	p := pp.s.page(r, pp.t(r, "proc.new"), pp.procForm(r, nil, newSpecValues(), nil))
	pp.s.render(w, r, http.StatusOK, "admin_procedures_form", p)
}

func (pp *procedurePages) editForm(w http.ResponseWriter, r *http.Request) {
	a := pp.s.official(w, r)
	if a == nil || !mayEdit(w, r, pp.s, a) {
		return
	}
	proc, err := pp.cat.Get(r.Context(), a, r.PathValue("id"))
	if err != nil {
		pp.s.fail(w, r, err)
		return
	}
	p := pp.s.page(r, pp.t(r, "proc.edit")+": "+proc.Name, pp.procForm(r, &proc, specValues(proc.Spec), nil))
	pp.s.render(w, r, http.StatusOK, "admin_procedures_form", p)
}

// submit handles a posted procedure form: a row button redraws the form;
// otherwise the procedure is saved by save, and problems are shown beside
// their inputs.
func (pp *procedurePages) submit(w http.ResponseWriter, r *http.Request, cur *catalog.Procedure, title string,
	save func(a *actor.Actor, spec catalog.Spec) (catalog.Procedure, error)) {
	a := pp.s.signedIn(w, r)
	if a == nil {
		return
	}
	if err := parseForm(w, r); err != nil {
		pp.s.fail(w, r, err)
		return
	}
	v := r.PostForm
	if op := v.Get("op"); op != "" {
		v.Del("op")
		if !applyRowOp(v, op) {
			pp.s.fail(w, r, apperr.New(apperr.Invalid, "Thao tác không hợp lệ; hãy tải lại trang."))
			return
		}
		pp.s.render(w, r, http.StatusOK, "admin_procedures_form", pp.s.page(r, title, pp.procForm(r, cur, v, nil)))
		return
	}
	spec, bad := specFromForm(v)
	var err error
	var saved catalog.Procedure
	if len(bad) > 0 {
		// Show every problem at once: the unreadable numbers, and what the
		// catalogue's rules say about the rest.
		check := spec
		check.Normalize()
		unreadableTime := false
		for k := range bad {
			unreadableTime = unreadableTime || strings.HasPrefix(k, "time_limit") || strings.HasPrefix(k, "steps.")
		}
		for k, msg := range check.Validate() {
			if k == "steps" && unreadableTime {
				continue // the sum of numbers that could not be read means nothing
			}
			bad.Add(k, msg)
		}
		err = bad.Err()
	} else {
		saved, err = save(a, spec)
	}
	if err != nil {
		code := apperr.CodeOf(err)
		if code != apperr.Invalid && code != apperr.Conflict {
			pp.s.fail(w, r, err)
			return
		}
		p := pp.s.page(r, title, pp.procForm(r, cur, v, formErrors(apperr.FieldsOf(err))))
		p.Error = apperr.MessageOf(err)
		if len(apperr.FieldsOf(err)) > 1 {
			p.Error = pp.t(r, "proc.problems")
		}
		p.Form = v
		pp.s.render(w, r, statusOf(code), "admin_procedures_form", p)
		return
	}
	pp.s.redirect(w, r, "/admin/procedures/"+url.PathEscape(saved.ID), fmt.Sprintf(pp.t(r, "proc.saved"), saved.Name))
}

func (pp *procedurePages) create(w http.ResponseWriter, r *http.Request) {
	pp.submit(w, r, nil, pp.t(r, "proc.new"), func(a *actor.Actor, spec catalog.Spec) (catalog.Procedure, error) {
		return pp.cat.Create(r.Context(), a, spec)
	})
}

func (pp *procedurePages) update(w http.ResponseWriter, r *http.Request) {
	a := pp.s.signedIn(w, r)
	if a == nil {
		return
	}
	cur, err := pp.cat.Get(r.Context(), a, r.PathValue("id"))
	if err != nil {
		pp.s.fail(w, r, err)
		return
	}
	pp.submit(w, r, &cur, pp.t(r, "proc.edit")+": "+cur.Name, func(a *actor.Actor, spec catalog.Spec) (catalog.Procedure, error) {
		version, err := strconv.Atoi(r.PostForm.Get("version"))
		if err != nil {
			return catalog.Procedure{}, apperr.New(apperr.Invalid, "Biểu mẫu thiếu phiên bản của thủ tục; hãy tải lại trang.")
		}
		return pp.cat.Update(r.Context(), a, cur.ID, version, spec)
	})
}

type procConfirmData struct {
	P        catalog.Procedure
	Activate bool
	Action   string // "activate" or "deactivate"
}

func confirmData(p catalog.Procedure, activate bool) procConfirmData {
	d := procConfirmData{P: p, Activate: activate, Action: "deactivate"}
	if activate {
		d.Action = "activate"
	}
	return d
}

func (pp *procedurePages) confirmForm(activate bool) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		a := pp.s.official(w, r)
		if a == nil || !mayEdit(w, r, pp.s, a) {
			return
		}
		p, err := pp.cat.Get(r.Context(), a, r.PathValue("id"))
		if err != nil {
			pp.s.fail(w, r, err)
			return
		}
		pp.s.render(w, r, http.StatusOK, "admin_procedures_confirm", pp.s.page(r, p.Name, confirmData(p, activate)))
	}
}

func (pp *procedurePages) setActive(activate bool) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		a := pp.s.signedIn(w, r)
		if a == nil {
			return
		}
		if err := parseForm(w, r); err != nil {
			pp.s.fail(w, r, err)
			return
		}
		p, err := pp.cat.Get(r.Context(), a, r.PathValue("id"))
		if err != nil {
			pp.s.fail(w, r, err)
			return
		}
		if r.PostForm.Get("confirm") != "yes" {
			err = apperr.Field("confirm", pp.t(r, "proc.confirm.missing"))
		} else {
			_, err = pp.cat.SetActive(r.Context(), a, p.ID, activate)
		}
		if err != nil {
			pp.s.formError(w, r, "admin_procedures_confirm", pp.s.page(r, p.Name, confirmData(p, activate)), err)
			return
		}
		key := "proc.deactivated"
		if activate {
			key = "proc.activated"
		}
		pp.s.redirect(w, r, "/admin/procedures/"+url.PathEscape(p.ID), fmt.Sprintf(pp.t(r, key), p.Name))
	}
}

// agencyCheck is an agency on the assignment page.
type agencyCheck struct {
	ID, Code, Name string
	Checked        bool
}

type agencyGroup struct {
	Kind  org.Kind
	Items []agencyCheck
}

type procAgenciesData struct {
	P catalog.Procedure
	// Groups are the agencies the actor may add or remove, by kind.
	Groups []agencyGroup
	// Others are the assigned agencies the actor may not change.
	Others []org.Agency
}

func (pp *procedurePages) agenciesData(r *http.Request, a *actor.Actor, p catalog.Procedure) (procAgenciesData, error) {
	d := procAgenciesData{P: p}
	all, err := pp.s.Org.Agencies(r.Context(), org.AgencyFilter{Limit: 1000, IncludeRetired: true})
	if err != nil {
		return d, err
	}
	byKind := map[org.Kind][]agencyCheck{}
	for _, ag := range all {
		assigned := slices.Contains(p.AgencyIDs, ag.ID)
		editable := a.ProvinceAdmin() || a.Has(actor.AgencyAdmin, ag.ID)
		switch {
		case editable && (!ag.Retired() || assigned):
			byKind[ag.Kind] = append(byKind[ag.Kind], agencyCheck{ID: ag.ID, Code: ag.Code, Name: ag.Name, Checked: assigned})
		case assigned:
			d.Others = append(d.Others, ag)
		}
	}
	for _, k := range org.Kinds {
		if items := byKind[k]; len(items) > 0 {
			d.Groups = append(d.Groups, agencyGroup{Kind: k, Items: items})
		}
	}
	return d, nil
}

func (pp *procedurePages) agenciesForm(w http.ResponseWriter, r *http.Request) {
	a := pp.s.official(w, r)
	if a == nil {
		return
	}
	if !a.ProvinceAdmin() && !a.HasAnywhere(actor.AgencyAdmin) {
		pp.s.fail(w, r, actor.Deny(a, "Chỉ quản trị toàn tỉnh và quản trị cơ quan được gán cơ quan thực hiện thủ tục."))
		return
	}
	p, err := pp.cat.Get(r.Context(), a, r.PathValue("id"))
	if err != nil {
		pp.s.fail(w, r, err)
		return
	}
	d, err := pp.agenciesData(r, a, p)
	if err != nil {
		pp.s.fail(w, r, err)
		return
	}
	pp.s.render(w, r, http.StatusOK, "admin_procedures_agencies", pp.s.page(r, p.Name, d))
}

func (pp *procedurePages) saveAgencies(w http.ResponseWriter, r *http.Request) {
	a := pp.s.signedIn(w, r)
	if a == nil {
		return
	}
	if err := parseForm(w, r); err != nil {
		pp.s.fail(w, r, err)
		return
	}
	p, err := pp.cat.Get(r.Context(), a, r.PathValue("id"))
	if err != nil {
		pp.s.fail(w, r, err)
		return
	}
	version, _ := strconv.Atoi(r.PostForm.Get("version"))
	// The agencies the actor may not change stay as they are.
	want := slices.Clone(r.PostForm["agency_id"])
	for _, id := range p.AgencyIDs {
		if !a.ProvinceAdmin() && !a.Has(actor.AgencyAdmin, id) {
			want = append(want, id)
		}
	}
	saved, err := pp.cat.SetAgencies(r.Context(), a, p.ID, version, want)
	if err != nil {
		d, derr := pp.agenciesData(r, a, p)
		if derr != nil {
			pp.s.fail(w, r, derr)
			return
		}
		pp.s.formError(w, r, "admin_procedures_agencies", pp.s.page(r, p.Name, d), err)
		return
	}
	pp.s.redirect(w, r, "/admin/procedures/"+url.PathEscape(p.ID), fmt.Sprintf(pp.t(r, "proc.agencies.saved"), len(saved.AgencyIDs)))
}

func (pp *procedurePages) assignByKind(w http.ResponseWriter, r *http.Request) {
	a := pp.s.signedIn(w, r)
	if a == nil {
		return
	}
	n, err := pp.cat.AssignByKind(r.Context(), a)
	if err != nil {
		pp.s.fail(w, r, err)
		return
	}
	pp.s.redirect(w, r, "/admin/procedures", fmt.Sprintf(pp.t(r, "proc.assigned"), n))
}

func (pp *procedurePages) export(format string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		a := pp.s.official(w, r)
		if a == nil {
			return
		}
		w.Header().Set("Cache-Control", "no-store")
		var err error
		if format == "csv" {
			w.Header().Set("Content-Type", "text/csv; charset=utf-8")
			w.Header().Set("Content-Disposition", `attachment; filename="thu-tuc-hanh-chinh.csv"`)
			err = pp.cat.ExportCSV(r.Context(), a, w)
		} else {
			w.Header().Set("Content-Type", "application/json; charset=utf-8")
			w.Header().Set("Content-Disposition", `attachment; filename="thu-tuc-hanh-chinh.json"`)
			err = pp.cat.ExportJSON(r.Context(), a, w)
		}
		if err != nil {
			// The header is gone: the download ends short, and the log says why.
			pp.s.Log.ErrorContext(r.Context(), "export procedures", "err", err)
		}
	}
}

type procImportData struct {
	Header string
	// Problems are the import's messages, one per bad entry and field.
	Problems []string
}

func (pp *procedurePages) importForm(w http.ResponseWriter, r *http.Request) {
	a := pp.s.official(w, r)
	if a == nil || !mayEdit(w, r, pp.s, a) {
		return
	}
	d := procImportData{Header: strings.Join(catalog.CSVHeader(), ", ")}
	pp.s.render(w, r, http.StatusOK, "admin_procedures_import", pp.s.page(r, pp.t(r, "proc.import"), d))
}

func (pp *procedurePages) importFile(w http.ResponseWriter, r *http.Request) {
	a := pp.s.signedIn(w, r)
	if a == nil {
		return
	}
	d := procImportData{Header: strings.Join(catalog.CSVHeader(), ", ")}
	page := pp.s.page(r, pp.t(r, "proc.import"), d)
	fail := func(err error) {
		code := apperr.CodeOf(err)
		if code != apperr.Invalid && code != apperr.Conflict {
			pp.s.fail(w, r, err)
			return
		}
		fields := apperr.FieldsOf(err)
		keys := make([]string, 0, len(fields))
		for k := range fields {
			keys = append(keys, k)
		}
		sort.Slice(keys, func(i, j int) bool { return positionLess(keys[i], keys[j]) })
		for _, k := range keys {
			pos, _, _ := strings.Cut(k, ": ")
			d.Problems = append(d.Problems, pos+": "+fields[k])
		}
		page.Data = d
		page.Error, _, _ = strings.Cut(apperr.MessageOf(err), "\n")
		if f, ok := fields["file"]; ok {
			page.Fields = map[string]string{"file": f}
			d.Problems = nil
			page.Data = d
		}
		pp.s.render(w, r, statusOf(code), "admin_procedures_import", page)
	}
	r.Body = http.MaxBytesReader(w, r.Body, catalog.MaxImportBytes+64<<10)
	if err := r.ParseMultipartForm(1 << 20); err != nil {
		fail(apperr.Field("file", pp.t(r, "proc.import.toolarge")))
		return
	}
	f, hdr, err := r.FormFile("file")
	if err != nil {
		fail(apperr.Field("file", pp.t(r, "proc.import.nofile")))
		return
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, catalog.MaxImportBytes+1))
	if err != nil {
		fail(apperr.Field("file", pp.t(r, "proc.import.nofile")))
		return
	}
	var res catalog.ImportResult
	trimmed := bytes.TrimLeft(bytes.TrimPrefix(data, []byte("\ufeff")), " \t\r\n")
	if strings.HasSuffix(strings.ToLower(hdr.Filename), ".json") || bytes.HasPrefix(trimmed, []byte("[")) {
		res, err = pp.cat.ImportJSON(r.Context(), a, bytes.NewReader(data))
	} else {
		res, err = pp.cat.ImportCSV(r.Context(), a, bytes.NewReader(data))
	}
	if err != nil {
		fail(err)
		return
	}
	pp.s.redirect(w, r, "/admin/procedures", fmt.Sprintf(pp.t(r, "proc.import.done"), res.Created, res.Updated, res.Unchanged))
}

// positionLess orders "mục 2: …" and "dòng 10: …" keys by their number.
func positionLess(a, b string) bool {
	num := func(s string) int {
		pos, _, _ := strings.Cut(s, ":")
		n, _ := strconv.Atoi(pos[strings.LastIndexByte(pos, ' ')+1:])
		return n
	}
	if na, nb := num(a), num(b); na != nb {
		return na < nb
	}
	return a < b
}
