package web

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/congso/congso/internal/actor"
	"github.com/congso/congso/internal/apperr"
	"github.com/congso/congso/internal/calendar"
	"github.com/congso/congso/internal/catalog"
	"github.com/congso/congso/internal/dossier"
	"github.com/congso/congso/internal/org"
)

// The dossier page: every datum of the dossier, its timeline, the steps of
// its process (the process control), its files and printable forms, and the
// actions the official may take now, each a form with a confirmation box.
// Which actions are offered mirrors the dossier service's rules loosely; the
// service has the final word and its refusal is shown on the page.

// Note requirements of an action's form.
const (
	deskNoteOptional = 1
	deskNoteRequired = 2
)

type deskEvent struct {
	Event   dossier.Event
	Actor   string
	Details []string
	Changed bool // the status changed
}

type deskStep struct {
	Step    dossier.Step
	Agency  string
	Who     string
	Current bool
	Overdue bool
}

type deskFile struct {
	File dossier.File
	By   string
	Href string
	Size string
}

type deskForm struct {
	N, Href string
}

type deskValue struct {
	Label, Value string
}

// deskAction is the form of one action the official may take.
type deskAction struct {
	Action dossier.Action
	Note   int
	Danger bool
	// Primary marks the action that moves the dossier on.
	Primary bool
	// Assign: the officials who may be assigned; SelfOnly when the official
	// can only take the dossier themself.
	Assignees []org.Member
	SelfOnly  bool
	// Transfer: the agencies the step can be handed to.
	Agencies []org.Agency
	// Supplement requests: the procedure's documents to tick.
	Documents []string
	// Payment: the amount due.
	Amount int64
	// Apology: the earliest new date.
	MinDate string
}

type deskDossierData struct {
	Dossier    dossier.Dossier
	Procedure  catalog.Procedure
	Receiving  string
	Agency     string
	Holder     string
	Applicant  string // kind of applicant, translated key
	Events     []deskEvent
	Steps      []deskStep
	Files      []deskFile
	Forms      []deskForm
	FormValues []deskValue
	FormTitle  string
	Actions    []deskAction
	// Open is the action (or "upload") whose form comes back after an error.
	Open        string
	CanAttach   bool
	AttachKinds []string
	Documents   []string
	Paid        string
	Fees        string
	Assignee    string
}

// Outcome pairs an outcome with the language, for the outcome partial.
func (d deskDossierData) Outcome(lang string, o dossier.Outcome) deskOutcome {
	return deskOutcome{Lang: lang, Outcome: o}
}

type deskOutcome struct {
	Lang    string
	Outcome dossier.Outcome
}

// Limit is the dossier's time limit in words.
func (d deskDossierData) Limit() string {
	return catalog.Spec{TimeLimit: d.Dossier.Limit, CutOff: d.Dossier.CutOff.String()}.LimitLabel()
}

// IsOpen reports whether the form of the action should be shown unfolded.
func (d deskDossierData) IsOpen(action any) bool { return d.Open != "" && d.Open == fmt.Sprint(action) }

// DeskChecked reports whether a value was ticked in the form sent back.
func (p Page) DeskChecked(name, value string) bool { return slices.Contains(p.Form[name], value) }

func deskMoney(n int64) string {
	neg := n < 0
	if neg {
		n = -n
	}
	s := strconv.FormatInt(n, 10)
	var b strings.Builder
	for i, c := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteByte('.')
		}
		b.WriteRune(c)
	}
	if neg {
		return "-" + b.String()
	}
	return b.String()
}

func deskSize(n int64) string {
	switch {
	case n >= 1<<20:
		return fmt.Sprintf("%.1f MB", float64(n)/(1<<20))
	case n >= 1<<10:
		return fmt.Sprintf("%d KB", n>>10)
	}
	return fmt.Sprintf("%d B", n)
}

func deskTime(t time.Time) string { return t.In(vietnam).Format("15:04 02/01/2006") }

// deskValueText writes a clean e-form value for reading.
func deskValueText(v any) string {
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
		switch {
		case text == "":
			return unit
		case unit == "":
			return text
		}
		return text + ", " + unit
	case []any:
		parts := make([]string, 0, len(x))
		for _, e := range x {
			parts = append(parts, deskValueText(e))
		}
		return strings.Join(parts, "; ")
	}
	return fmt.Sprint(v)
}

// loadDeskDossier reads the dossier and everything the page shows of it.
func (s *Server) loadDeskDossier(ctx context.Context, lang string, a *actor.Actor, code string) (deskDossierData, error) {
	v, err := s.Dossiers.Get(ctx, a, code)
	if err != nil {
		return deskDossierData{}, err
	}
	d := v.Dossier
	data := deskDossierData{Dossier: d,
		Fees: deskMoney(d.FeeTotal), Paid: deskMoney(d.PaidTotal), Applicant: "dossier.applicant." + d.Applicant.Kind}
	if p, err := s.Catalog.Get(ctx, a, d.ProcedureID); err == nil {
		data.Procedure = p
		data.FormTitle = p.Form.Title
		for _, doc := range p.Documents {
			data.Documents = append(data.Documents, doc.Name)
		}
	}
	agencies := s.deskAgencyCache(ctx)
	data.Receiving, data.Agency, data.Holder = agencies.name(d.ReceivingAgencyID), agencies.name(d.AgencyID), agencies.name(d.HolderAgencyID)
	ids := []string{d.AssigneeID}
	for _, e := range v.Events {
		ids = append(ids, e.ActorID)
		if id, ok := e.Detail["assignee_id"].(string); ok {
			ids = append(ids, id)
		}
	}
	for _, st := range v.Steps {
		ids = append(ids, st.FinishedBy, st.AssigneeID)
	}
	for _, f := range v.Files {
		ids = append(ids, f.UploadedBy)
	}
	names, err := s.Identity.DisplayNames(ctx, ids)
	if err != nil {
		return data, apperr.Wrap(err, "read names")
	}
	who := func(id string) string {
		switch {
		case id == "":
			return ""
		case names[id] != "":
			return names[id]
		case d.Applicant.UserID != "" && id == d.Applicant.UserID:
			return translate(lang, "dossier.byapplicant")
		case strings.HasPrefix(id, "system:"):
			return translate(lang, "dossier.bysystem")
		}
		return translate(lang, "dossier.byunknown")
	}
	data.Assignee = names[d.AssigneeID]
	for _, e := range v.Events {
		data.Events = append(data.Events, deskEvent{Event: e, Actor: who(e.ActorID), Details: deskEventDetails(lang, e, names, agencies),
			Changed: e.FromStatus != e.ToStatus})
	}
	now := s.now()
	for _, st := range v.Steps {
		row := deskStep{Step: st, Agency: agencies.name(st.AgencyID), Who: who(st.FinishedBy)}
		if row.Who == "" {
			row.Who = names[st.AssigneeID]
		}
		row.Current = st.Seq == d.StepSeq && d.Status.Open() && st.FinishedAt == nil
		row.Overdue = st.FinishedAt == nil && d.Status.Clocked() && now.After(st.DueAt)
		data.Steps = append(data.Steps, row)
	}
	for _, f := range v.Files {
		data.Files = append(data.Files, deskFile{File: f, By: who(f.UploadedBy), Size: deskSize(f.Size),
			Href: "/api/v1/dossiers/" + url.PathEscape(d.Code) + "/files/" + url.PathEscape(f.ID)})
	}
	data.Forms = deskForms(d, v.Events)
	for _, f := range data.Procedure.Form.Fields {
		if val, ok := d.Form[f.Name]; ok {
			data.FormValues = append(data.FormValues, deskValue{Label: f.Label, Value: deskValueText(val)})
		}
	}
	if len(data.Procedure.Form.Fields) == 0 {
		keys := make([]string, 0, len(d.Form))
		for k := range d.Form {
			keys = append(keys, k)
		}
		slices.Sort(keys)
		for _, k := range keys {
			data.FormValues = append(data.FormValues, deskValue{Label: k, Value: deskValueText(d.Form[k])})
		}
	}
	if data.Actions, err = s.deskActions(ctx, a, v, data.Documents); err != nil {
		return data, err
	}
	open := d.Status.Open()
	if open && (a.Has(actor.Receiver, d.ReceivingAgencyID) || a.Has(actor.Specialist, d.HolderAgencyID)) {
		data.AttachKinds = append(data.AttachKinds, dossier.KindAttachment, dossier.KindSupplement)
	}
	if (d.Status == dossier.Processing || d.Status == dossier.Processed) &&
		(a.Has(actor.Specialist, d.AgencyID) || a.Has(actor.Head, d.AgencyID) || a.Has(actor.Clerk, d.AgencyID)) {
		data.AttachKinds = append(data.AttachKinds, dossier.KindResult)
	}
	data.CanAttach = len(data.AttachKinds) > 0
	return data, nil
}

// deskForms lists the forms the dossier's history calls for, in order.
func deskForms(d dossier.Dossier, evs []dossier.Event) []deskForm {
	happened := map[dossier.Action]bool{}
	for _, e := range evs {
		happened[e.Action] = true
	}
	received := d.ReceivedAt != nil
	want := map[string]bool{
		"01": received,
		"02": happened[dossier.ActRequestSupplement],
		"03": happened[dossier.ActRefuse],
		"04": happened[dossier.ActApologise],
		"05": happened[dossier.ActStop] || happened[dossier.ActWithdraw],
		"06": received,
	}
	var out []deskForm
	for _, n := range dossier.Forms() {
		if want[n] {
			out = append(out, deskForm{N: n, Href: "/api/v1/dossiers/" + url.PathEscape(d.Code) + "/forms/" + n})
		}
	}
	return out
}

// deskEventDetails writes what an event's detail says, in words.
func deskEventDetails(lang string, e dossier.Event, names map[string]string, agencies *deskAgencyNames) []string {
	var out []string
	line := func(key, value string) {
		if value != "" {
			out = append(out, translate(lang, key)+": "+value)
		}
	}
	when := func(k string) string {
		if s, ok := e.Detail[k].(string); ok {
			if t, err := time.Parse(time.RFC3339Nano, s); err == nil {
				return deskTime(t)
			}
		}
		return ""
	}
	if docs, ok := e.Detail["documents"].([]any); ok && len(docs) > 0 {
		line("dossier.ev.documents", deskValueText(docs))
	}
	if id, ok := e.Detail["assignee_id"].(string); ok {
		line("dossier.ev.assignee", names[id])
	}
	if id, ok := e.Detail["to_agency_id"].(string); ok {
		line("dossier.ev.toagency", agencies.name(id))
	}
	if h, ok := e.Detail["budget_hours"].(float64); ok {
		line("dossier.ev.budget", fmt.Sprintf(translate(lang, "dossier.ev.hours"), int(h)))
	}
	if e.Action == dossier.ActApologise {
		line("dossier.ev.olddue", when("old_due"))
		line("dossier.ev.newdue", when("new_due"))
	}
	if amount, ok := e.Detail["amount"].(float64); ok {
		line("dossier.ev.amount", deskMoney(int64(amount))+" "+translate(lang, "dossier.dong"))
	}
	if m, ok := e.Detail["method"].(string); ok {
		line("dossier.ev.method", translate(lang, "dossier.method."+m))
	}
	line("dossier.ev.waited", when("waited_from"))
	if c, ok := e.Detail["channel"].(string); ok {
		line("dossier.ev.channel", translate(lang, "dchannel."+c))
	}
	return out
}

// deskCompleting is the action that finishes a step of the role (as the
// dossier service has it).
func deskCompleting(r actor.Role) dossier.Action {
	switch r {
	case actor.Receiver:
		return dossier.ActForward
	case actor.Specialist:
		return dossier.ActSubmit
	case actor.Head:
		return dossier.ActApprove
	case actor.Clerk:
		return dossier.ActIssue
	}
	return ""
}

// deskActions lists the actions the official may take on the dossier now.
func (s *Server) deskActions(ctx context.Context, a *actor.Actor, v dossier.View, documents []string) ([]deskAction, error) {
	d := v.Dossier
	has := func(agency string, roles ...actor.Role) bool {
		for _, r := range roles {
			if a.Has(r, agency) {
				return true
			}
		}
		return false
	}
	var st dossier.Step
	haveStep := false
	for _, x := range v.Steps {
		if x.Seq == d.StepSeq && x.FinishedAt == nil {
			st, haveStep = x, true
		}
	}
	recv := d.ReceivingAgencyID
	mine := func() bool { return st.AssigneeID == "" || st.AssigneeID == a.UserID }
	var out []deskAction
	add := func(x deskAction) { out = append(out, x) }
	switch d.Status {
	case dossier.New:
		if has(recv, actor.Receiver) {
			add(deskAction{Action: dossier.ActAccept, Note: deskNoteOptional, Primary: true})
			add(deskAction{Action: dossier.ActRequestSupplement, Note: deskNoteOptional, Documents: documents})
			add(deskAction{Action: dossier.ActRefuse, Note: deskNoteRequired, Danger: true})
		}
	case dossier.SupplementRequested:
		if has(recv, actor.Receiver) {
			add(deskAction{Action: dossier.ActSupplement, Note: deskNoteOptional, Primary: true})
			if d.ResumeStatus == dossier.New {
				add(deskAction{Action: dossier.ActRefuse, Note: deskNoteRequired, Danger: true})
			}
		}
	case dossier.Accepted, dossier.Processing:
		if haveStep {
			if st.InterAgency() {
				if has(st.AgencyID, actor.Specialist, actor.Head) {
					add(deskAction{Action: dossier.ActTransferBack, Note: deskNoteRequired, Primary: true})
				}
			} else {
				if has(st.AgencyID, st.Role) && mine() {
					add(deskAction{Action: deskCompleting(st.Role), Note: deskNoteOptional, Primary: true})
				}
				if d.Status == dossier.Processing && st.Role == actor.Head && has(st.AgencyID, actor.Head) {
					add(deskAction{Action: dossier.ActSendBack, Note: deskNoteRequired})
				}
				if d.Status == dossier.Processing && st.Role == actor.Specialist && has(st.AgencyID, actor.Specialist) && mine() {
					all, err := s.Org.Agencies(ctx, org.AgencyFilter{Limit: 1000})
					if err != nil {
						return nil, err
					}
					all = slices.DeleteFunc(all, func(x org.Agency) bool { return x.ID == st.AgencyID })
					add(deskAction{Action: dossier.ActTransfer, Note: deskNoteOptional, Agencies: all})
				}
			}
			switch {
			case has(st.AgencyID, actor.Head):
				staff, err := s.Org.Staff(ctx, a, st.AgencyID)
				if err != nil {
					return nil, err
				}
				staff = slices.DeleteFunc(staff, func(m org.Member) bool { return !slices.Contains(m.Roles, st.Role) })
				if len(staff) > 0 {
					add(deskAction{Action: dossier.ActAssign, Note: deskNoteOptional, Assignees: staff})
				}
			case has(st.AgencyID, st.Role) && st.AssigneeID != a.UserID && !st.InterAgency():
				add(deskAction{Action: dossier.ActAssign, Note: deskNoteOptional, SelfOnly: true})
			}
		}
		if (d.Status == dossier.Accepted && has(recv, actor.Receiver)) ||
			(d.Status == dossier.Processing && has(d.HolderAgencyID, actor.Specialist, actor.Receiver)) {
			add(deskAction{Action: dossier.ActRequestSupplement, Note: deskNoteOptional, Documents: documents})
		}
		if has(recv, actor.Receiver) || has(d.HolderAgencyID, actor.Specialist) {
			due := d.FeeTotal - d.PaidTotal
			if due < 0 {
				due = 0
			}
			add(deskAction{Action: dossier.ActRequestPayment, Note: deskNoteOptional, Amount: due})
		}
	case dossier.PaymentRequested:
		if has(recv, actor.Receiver) {
			add(deskAction{Action: dossier.ActPay, Note: deskNoteOptional, Primary: true, Amount: d.FeeTotal - d.PaidTotal})
		}
	case dossier.Processed:
		if has(recv, actor.Receiver, actor.Clerk) || has(d.AgencyID, actor.Clerk) {
			add(deskAction{Action: dossier.ActReturn, Note: deskNoteOptional, Primary: true})
		}
	}
	mayEnd := has(recv, actor.Receiver, actor.Head) || has(d.AgencyID, actor.Head)
	if d.Status == dossier.WithdrawalRequested && mayEnd {
		add(deskAction{Action: dossier.ActWithdraw, Note: deskNoteOptional, Primary: true, Danger: true})
		add(deskAction{Action: dossier.ActDeclineWithdrawal, Note: deskNoteRequired})
	}
	// An apology is for a dossier that is late or about to be, once.
	if d.Status.Open() && d.Status != dossier.New && d.DueAt != nil && !d.Extended && (d.Late || d.DueSoon) &&
		(has(d.AgencyID, actor.Head) || has(d.HolderAgencyID, actor.Head)) {
		min := calendar.DateOf(d.DueAt.In(calendar.Location())).AddDays(1)
		if today := calendar.DateOf(s.now().In(calendar.Location())).AddDays(1); today.After(min) {
			min = today
		}
		add(deskAction{Action: dossier.ActApologise, Note: deskNoteRequired, MinDate: min.String()})
	}
	switch d.Status {
	case dossier.New, dossier.Accepted, dossier.Processing, dossier.SupplementRequested, dossier.PaymentRequested:
		if mayEnd {
			add(deskAction{Action: dossier.ActWithdraw, Note: deskNoteRequired, Danger: true})
		}
	}
	switch d.Status {
	case dossier.Accepted, dossier.Processing, dossier.SupplementRequested, dossier.PaymentRequested, dossier.WithdrawalRequested:
		if has(d.AgencyID, actor.Head) {
			add(deskAction{Action: dossier.ActStop, Note: deskNoteRequired, Danger: true})
		}
	}
	return out, nil
}

func (s *Server) deskDossier(w http.ResponseWriter, r *http.Request) {
	a := s.official(w, r)
	if a == nil {
		return
	}
	s.renderDeskDossier(w, r, a, "", nil)
}

// renderDeskDossier shows the dossier page, with the error of one of its forms
// when err is set.
func (s *Server) renderDeskDossier(w http.ResponseWriter, r *http.Request, a *actor.Actor, open string, err error) {
	code := r.PathValue("code")
	lang := langOf(r)
	data, derr := s.loadDeskDossier(r.Context(), lang, a, code)
	if derr != nil {
		s.fail(w, r, derr)
		return
	}
	data.Open = open
	p := s.page(r, data.Dossier.Code, data)
	p.Path = "/desk/dossiers/" + data.Dossier.Code
	if err == nil {
		s.render(w, r, http.StatusOK, "desk_dossier", p)
		return
	}
	switch apperr.CodeOf(err) {
	case apperr.Invalid, apperr.Conflict, apperr.Forbidden, apperr.TooMany:
		p.Error = apperr.MessageOf(err)
		p.Fields = apperr.FieldsOf(err)
		p.Form = r.PostForm
		s.render(w, r, statusOf(apperr.CodeOf(err)), "desk_dossier", p)
	default:
		s.fail(w, r, err)
	}
}

// deskAmount reads a sum of đồng as officials type it: "100000",
// "100.000", "100 000".
func deskAmount(s string) (int64, bool) {
	s = strings.NewReplacer(".", "", ",", "", " ", "", "\u00a0", "").Replace(strings.TrimSpace(s))
	if s == "" {
		return 0, true
	}
	n, err := strconv.ParseInt(s, 10, 64)
	return n, err == nil && n >= 0
}

// deskActionInput reads an action's form.
func deskActionInput(lang string, form url.Values) (dossier.ActionInput, error) {
	in := dossier.ActionInput{Note: strings.TrimSpace(form.Get("note")), AssigneeID: form.Get("assignee_id"),
		ToAgencyID: form.Get("to_agency_id"), StepName: strings.TrimSpace(form.Get("step_name")),
		NewDueDate: strings.TrimSpace(form.Get("new_due_date")), Method: form.Get("method"), Reference: strings.TrimSpace(form.Get("reference"))}
	in.Version, _ = strconv.Atoi(form.Get("version"))
	if h := strings.TrimSpace(form.Get("budget_hours")); h != "" {
		n, err := strconv.Atoi(h)
		if err != nil {
			return in, apperr.Field("budget_hours", translate(lang, "dossier.err.hours"))
		}
		in.BudgetHours = n
	}
	amount, ok := deskAmount(form.Get("amount"))
	if !ok {
		return in, apperr.Field("amount", translate(lang, "dossier.err.amount"))
	}
	in.Amount = amount
	for _, doc := range form["documents"] {
		if doc = strings.TrimSpace(doc); doc != "" {
			in.Documents = append(in.Documents, doc)
		}
	}
	for _, doc := range strings.Split(form.Get("documents_other"), "\n") {
		if doc = strings.TrimSpace(doc); doc != "" {
			in.Documents = append(in.Documents, doc)
		}
	}
	return in, nil
}

// deskFormOf names the form an action calls for, to point to it after the
// action.
func deskFormOf(a dossier.Action) string {
	switch a {
	case dossier.ActRequestSupplement:
		return "02"
	case dossier.ActRefuse:
		return "03"
	case dossier.ActApologise:
		return "04"
	case dossier.ActStop, dossier.ActWithdraw:
		return "05"
	case dossier.ActAccept:
		return "01"
	}
	return ""
}

func (s *Server) deskAct(w http.ResponseWriter, r *http.Request) {
	a := s.official(w, r)
	if a == nil {
		return
	}
	if err := parseForm(w, r); err != nil {
		s.fail(w, r, err)
		return
	}
	lang := langOf(r)
	action := dossier.Action(r.PathValue("action"))
	if !slices.Contains(dossier.Actions(), action) {
		s.notFound(w, r)
		return
	}
	if r.PostForm.Get("confirm") != "yes" {
		s.renderDeskDossier(w, r, a, string(action), apperr.Field("confirm", translate(lang, "dossier.confirm.missing")))
		return
	}
	in, err := deskActionInput(lang, r.PostForm)
	if err == nil {
		_, err = s.Dossiers.Act(r.Context(), a, r.PathValue("code"), action, in)
	}
	if err != nil {
		s.renderDeskDossier(w, r, a, string(action), err)
		return
	}
	flash := fmt.Sprintf(translate(lang, "dossier.done"), translate(lang, "dact."+string(action)))
	if n := deskFormOf(action); n != "" {
		flash += " " + fmt.Sprintf(translate(lang, "dossier.done.form"), n)
	}
	s.redirect(w, r, "/desk/dossiers/"+url.PathEscape(r.PathValue("code")), flash)
}

// deskMaxUpload bounds an upload request; the dossier service bounds the file
// itself (and says so in Vietnamese).
const deskMaxUpload = 32 << 20

func (s *Server) deskUpload(w http.ResponseWriter, r *http.Request) {
	a := s.official(w, r)
	if a == nil {
		return
	}
	lang := langOf(r)
	r.Body = http.MaxBytesReader(w, r.Body, deskMaxUpload)
	if err := r.ParseMultipartForm(1 << 20); err != nil {
		s.renderDeskDossier(w, r, a, "upload", apperr.Field("file", translate(lang, "dossier.err.upload")))
		return
	}
	defer r.MultipartForm.RemoveAll()
	file, header, err := r.FormFile("file")
	if err != nil {
		s.renderDeskDossier(w, r, a, "upload", apperr.Field("file", translate(lang, "dossier.err.nofile")))
		return
	}
	defer file.Close()
	kind := r.PostForm.Get("kind")
	if kind == "" {
		kind = dossier.KindAttachment
	}
	f, err := s.Dossiers.AddFile(r.Context(), a, r.PathValue("code"), kind, r.PostForm.Get("document"), header.Filename, file)
	if err != nil {
		s.renderDeskDossier(w, r, a, "upload", err)
		return
	}
	s.redirect(w, r, "/desk/dossiers/"+url.PathEscape(r.PathValue("code")), fmt.Sprintf(translate(lang, "dossier.attached"), f.Name))
}

// deskActionView is one action's form with the page around it, for the
// action partial.
type deskActionView struct {
	Page Page
	Data deskDossierData
	A    deskAction
	// Open marks the form that comes back after an error: it shows the
	// values sent and the errors.
	Open bool
}

// DeskAction pairs an action with the page, for the action partial.
func (p Page) DeskAction(d deskDossierData, a deskAction) deskActionView {
	return deskActionView{Page: p, Data: d, A: a, Open: d.IsOpen(a.Action)}
}

// T translates into the page's language.
func (v deskActionView) T(key string) string { return v.Page.T(key) }

// Label is the action's name; taking a dossier for oneself reads as such.
func (v deskActionView) Label() string {
	if v.A.Action == dossier.ActAssign && v.A.SelfOnly {
		return v.T("dossier.assign.self")
	}
	return v.T("dact." + string(v.A.Action))
}

// NoteLabel names the note field: the reason, when the action needs one.
func (v deskActionView) NoteLabel() string {
	key := "dnote." + string(v.A.Action)
	if l := v.T(key); l != key {
		return l
	}
	return v.T("dossier.in.note")
}

// ID is the id of one of the form's fields.
func (v deskActionView) ID(name string) string { return "a-" + string(v.A.Action) + "-" + name }

// Value is a value sent with this form, after an error.
func (v deskActionView) Value(name string) string {
	if !v.Open {
		return ""
	}
	return v.Page.Value(name)
}

// Err is the message about one of the form's fields.
func (v deskActionView) Err(name string) string {
	if !v.Open {
		return ""
	}
	return v.Page.FieldError(name)
}

// Checked reports whether a document was ticked in the form sent back.
func (v deskActionView) Checked(value string) bool {
	return v.Open && v.Page.DeskChecked("documents", value)
}

// AmountValue is the amount field's value: what was sent, else the sum due.
func (v deskActionView) AmountValue() string {
	if v.Open {
		return v.Page.Value("amount")
	}
	if v.A.Amount > 0 {
		return deskMoney(v.A.Amount)
	}
	return ""
}

// Is reports whether the form is for the action.
func (v deskActionView) Is(action string) bool { return string(v.A.Action) == action }

// Methods are the ways a fee is paid at the desk.
func (v deskActionView) Methods() []string { return []string{"cash", "transfer", "card"} }
