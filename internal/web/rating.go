package web

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"

	"github.com/congso/congso/internal/actor"
	"github.com/congso/congso/internal/apperr"
	"github.com/congso/congso/internal/calendar"
	"github.com/congso/congso/internal/org"
	"github.com/congso/congso/internal/rating"
)

// The citizen channel's feedback pages: the applicant's satisfaction rating
// of a dossier and their complaints and recommendations (phản ánh, kiến
// nghị) with the agencies' answers; the officials' worklist of complaints
// with their deadlines, the answer form, and the satisfaction figures. The
// rating service decides who may do what; the pages only ask it. Nothing
// personal goes into an address: complaints are named by their opaque ID.

// ratingPages are the pages, with the service they ask.
type ratingPages struct {
	*Server
	svc *rating.Service
}

// registerRating adds the feedback pages; without a rating service there
// are none.
func (s *Server) registerRating(mux *http.ServeMux, r *rating.Service) {
	if r == nil {
		return
	}
	p := ratingPages{Server: s, svc: r}
	mux.HandleFunc("GET /ho-so/{code}/danh-gia", p.rateForm)
	mux.HandleFunc("POST /ho-so/{code}/danh-gia", p.rate)
	mux.HandleFunc("GET /ho-so/{code}/phan-anh", p.dossierComplaints)
	mux.HandleFunc("POST /ho-so/{code}/phan-anh", p.fileComplaint)
	mux.HandleFunc("GET /phan-anh", p.myComplaints)
	mux.HandleFunc("GET /desk/complaints", p.deskComplaints)
	mux.HandleFunc("GET /desk/complaints/{id}", p.deskComplaint)
	mux.HandleFunc("POST /desk/complaints/{id}/answer", p.deskAnswer)
	mux.HandleFunc("GET /desk/satisfaction", p.satisfaction)
}

// ratingDossier is what the citizen's pages show of the dossier.
type ratingDossier struct {
	Code, Procedure, Agency, Status string
}

func (p ratingPages) dossierFacts(ctx context.Context, lang string, d rating.Dossier) ratingDossier {
	out := ratingDossier{Code: d.Code, Procedure: d.ProcedureName, Agency: p.agencyName(ctx, d.AgencyID)}
	key := "dstatus." + strconv.Itoa(int(d.Status))
	if out.Status = translate(lang, key); out.Status == key {
		out.Status = d.Status.Label()
	}
	return out
}

// agencyName names an agency, or gives its ID when it cannot be read.
func (p ratingPages) agencyName(ctx context.Context, id string) string {
	if p.Org == nil || id == "" {
		return id
	}
	a, err := p.Org.Agency(ctx, id)
	if err != nil {
		return id
	}
	return a.Name
}

func dossierPath(code, page string) string { return "/ho-so/" + url.PathEscape(code) + "/" + page }

// The rating form.

type ratingLevelView struct {
	Level int
	Key   string
}

type ratingCriterionView struct {
	Code, ID, Name, Hint string
	// Given is the level the rating gives, when showing one.
	Given int
}

type ratingStageView struct {
	Stage    rating.Stage
	Name     string
	Criteria []ratingCriterionView
}

type ratingFormData struct {
	Dossier     ratingDossier
	Rating      *rating.Rating
	RatedAt     string
	MayRate     bool
	Blocked     string
	Stages      []ratingStageView
	Levels      []ratingLevelView
	MaxComment  int
	Complaints  string
	MayComplain bool
}

func ratingLevels() []ratingLevelView {
	var out []ratingLevelView
	for _, l := range rating.Levels() {
		out = append(out, ratingLevelView{Level: int(l), Key: "rating.level." + strconv.Itoa(int(l))})
	}
	return out
}

// stagesOf shows a criteria set in the language, with the levels a rating
// gave when there is one.
func stagesOf(c rating.Criteria, lang string, r *rating.Rating) []ratingStageView {
	var out []ratingStageView
	for _, st := range c.Stages {
		v := ratingStageView{Stage: st.Stage, Name: st.Name}
		if lang == "en" {
			v.Name = st.NameEN
		}
		for _, cr := range st.Criteria {
			cv := ratingCriterionView{Code: cr.Code, ID: "r-" + strings.NewReplacer(".", "-", "_", "-").Replace(cr.Code), Name: cr.Name, Hint: cr.Hint}
			if lang == "en" {
				cv.Name, cv.Hint = cr.NameEN, cr.HintEN
			}
			if r != nil {
				cv.Given = int(r.Level(cr.Code))
			}
			v.Criteria = append(v.Criteria, cv)
		}
		out = append(out, v)
	}
	return out
}

func (p ratingPages) formData(r *http.Request, o rating.Overview) ratingFormData {
	lang := langOf(r)
	d := ratingFormData{Dossier: p.dossierFacts(r.Context(), lang, o.Dossier), Rating: o.Rating, MayRate: o.MayRate, Blocked: o.RateBlocked,
		Levels: ratingLevels(), MaxComment: rating.MaxComment, Complaints: dossierPath(o.Dossier.Code, "phan-anh"), MayComplain: o.MayComplain}
	crit := p.svc.Criteria()
	if o.Rating != nil {
		if c, ok := p.svc.CriteriaVersion(o.Rating.CriteriaVersion); ok {
			crit = c
		}
		d.RatedAt = formatTime(o.Rating.RatedAt)
	}
	d.Stages = stagesOf(crit, lang, o.Rating)
	return d
}

func (p ratingPages) renderRating(w http.ResponseWriter, r *http.Request, status int, o rating.Overview, err error) {
	pg := p.page(r, translate(langOf(r), "rating.title"), p.formData(r, o))
	if err != nil {
		pg.Error = apperr.MessageOf(err)
		pg.Fields = apperr.FieldsOf(err)
		pg.Form = r.PostForm
	}
	p.render(w, r, status, "rating_form", pg)
}

func (p ratingPages) rateForm(w http.ResponseWriter, r *http.Request) {
	o, err := p.svc.Overview(r.Context(), actor.From(r.Context()), r.PathValue("code"))
	if err != nil {
		p.fail(w, r, err)
		return
	}
	p.renderRating(w, r, http.StatusOK, o, nil)
}

func (p ratingPages) rate(w http.ResponseWriter, r *http.Request) {
	a := p.signedIn(w, r)
	if a == nil {
		return
	}
	if err := parseForm(w, r); err != nil {
		p.fail(w, r, err)
		return
	}
	code := r.PathValue("code")
	in := rating.RateInput{Scores: map[string]rating.Level{}, Comment: r.PostForm.Get("comment")}
	for _, c := range p.svc.Criteria().Codes() {
		if v := r.PostForm.Get(c); v != "" {
			n, err := strconv.Atoi(v)
			if err != nil {
				n = -1 // off the scale: the service says so
			}
			in.Scores[c] = rating.Level(n)
		}
	}
	_, err := p.svc.Rate(r.Context(), a, code, in)
	if err == nil {
		p.redirect(w, r, dossierPath(code, "danh-gia"), translate(langOf(r), "rating.done"))
		return
	}
	switch apperr.CodeOf(err) {
	case apperr.Invalid, apperr.Conflict:
		o, oerr := p.svc.Overview(r.Context(), a, code)
		if oerr != nil {
			p.fail(w, r, oerr)
			return
		}
		p.renderRating(w, r, statusOf(apperr.CodeOf(err)), o, err)
	default:
		p.fail(w, r, err)
	}
}

// The citizen's complaints.

type complaintView struct {
	C         rating.Complaint
	Kind      string
	StateKey  string
	Badge     string
	Agency    string
	Href      string
	Filed     string
	Due       string
	Answered  string
	Answerer  string
	Answering bool
}

// badgeOf is the badge class of a state.
func badgeOf(st rating.State) string {
	switch st {
	case rating.StateOverdue:
		return "bad"
	case rating.StateAnsweredLate:
		return "warn"
	case rating.StateAnswered:
		return "ok"
	}
	return ""
}

func (p ratingPages) complaintViews(ctx context.Context, cs []rating.Complaint, href func(rating.Complaint) string) []complaintView {
	names := map[string]string{}
	out := make([]complaintView, 0, len(cs))
	for _, c := range cs {
		if _, ok := names[c.AgencyID]; !ok {
			names[c.AgencyID] = p.agencyName(ctx, c.AgencyID)
		}
		v := complaintView{C: c, Kind: "complaint.kind." + string(c.Kind), StateKey: "complaint.state." + string(c.State), Badge: badgeOf(c.State),
			Agency: names[c.AgencyID], Filed: formatTime(c.FiledAt), Due: formatTime(c.DueAt), Answered: formatTime(c.AnsweredAt)}
		if href != nil {
			v.Href = href(c)
		}
		out = append(out, v)
	}
	return out
}

type complaintsData struct {
	Dossier     ratingDossier
	Complaints  []complaintView
	MayComplain bool
	Kinds       []rating.Kind
	Limit       string
	MaxText     int
	Rate        string
	MayRate     bool
}

func (p ratingPages) limitText(lang string) string {
	l := p.svc.AnswerLimit()
	if lang == "en" && l.Unit == calendar.UnitWorkingDays {
		return fmt.Sprintf("%d working days", l.N)
	}
	return l.String()
}

func (p ratingPages) renderComplaints(w http.ResponseWriter, r *http.Request, status int, o rating.Overview, err error) {
	lang := langOf(r)
	d := complaintsData{Dossier: p.dossierFacts(r.Context(), lang, o.Dossier), Complaints: p.complaintViews(r.Context(), o.Complaints, nil),
		MayComplain: o.MayComplain, Kinds: rating.Kinds(), Limit: p.limitText(lang), MaxText: rating.MaxText,
		Rate: dossierPath(o.Dossier.Code, "danh-gia"), MayRate: o.MayRate}
	pg := p.page(r, translate(lang, "complaint.title"), d)
	if err != nil {
		pg.Error = apperr.MessageOf(err)
		pg.Fields = apperr.FieldsOf(err)
		pg.Form = r.PostForm
	}
	p.render(w, r, status, "rating_complaints", pg)
}

func (p ratingPages) dossierComplaints(w http.ResponseWriter, r *http.Request) {
	o, err := p.svc.Overview(r.Context(), actor.From(r.Context()), r.PathValue("code"))
	if err != nil {
		p.fail(w, r, err)
		return
	}
	p.renderComplaints(w, r, http.StatusOK, o, nil)
}

func (p ratingPages) fileComplaint(w http.ResponseWriter, r *http.Request) {
	a := p.signedIn(w, r)
	if a == nil {
		return
	}
	if err := parseForm(w, r); err != nil {
		p.fail(w, r, err)
		return
	}
	code := r.PathValue("code")
	c, err := p.svc.File(r.Context(), a, code, rating.ComplaintInput{Kind: rating.Kind(r.PostForm.Get("kind")), Content: r.PostForm.Get("content")})
	if err == nil {
		p.redirect(w, r, dossierPath(code, "phan-anh"), fmt.Sprintf(translate(langOf(r), "complaint.sent"), formatTime(c.DueAt)))
		return
	}
	switch apperr.CodeOf(err) {
	case apperr.Invalid, apperr.Conflict:
		o, oerr := p.svc.Overview(r.Context(), a, code)
		if oerr != nil {
			p.fail(w, r, oerr)
			return
		}
		p.renderComplaints(w, r, statusOf(apperr.CodeOf(err)), o, err)
	default:
		p.fail(w, r, err)
	}
}

type myComplaintsData struct {
	Complaints []complaintView
	NextHref   string
}

const complaintPageSize = 50

// pageOf cuts the look-ahead row off a list and gives the next page's
// address (the cursor holds instants and an opaque ID only).
func pageOf(items []rating.Complaint, f rating.ComplaintFilter, base url.Values, path string) ([]rating.Complaint, string) {
	if len(items) <= complaintPageSize {
		return items, ""
	}
	items = items[:complaintPageSize]
	q := url.Values{}
	for k, v := range base {
		q[k] = v
	}
	q.Set("after", f.Cursor(items[len(items)-1]))
	return items, path + "?" + q.Encode()
}

func (p ratingPages) myComplaints(w http.ResponseWriter, r *http.Request) {
	a := p.signedIn(w, r)
	if a == nil {
		return
	}
	if a.IsOfficial() || a.Kind == actor.Machine {
		http.Redirect(w, r, "/desk/complaints", http.StatusSeeOther)
		return
	}
	f := rating.ComplaintFilter{After: r.URL.Query().Get("after"), Limit: complaintPageSize + 1}
	items, err := p.svc.Complaints(r.Context(), a, f)
	if err != nil {
		p.fail(w, r, err)
		return
	}
	items, next := pageOf(items, f, nil, "/phan-anh")
	d := myComplaintsData{NextHref: next, Complaints: p.complaintViews(r.Context(), items, func(c rating.Complaint) string {
		return dossierPath(c.DossierCode, "phan-anh")
	})}
	p.render(w, r, http.StatusOK, "rating_mine", p.page(r, translate(langOf(r), "complaint.mine"), d))
}

// The officials' worklist.

// deskComplaintTabs are the lists of the worklist, in the order an office
// works them; the first is the default, the last (empty) all of them.
func deskComplaintTabs() []rating.State {
	return []rating.State{rating.Unanswered, rating.StateOverdue, rating.StateAnswered, rating.StateAnsweredLate, ""}
}

type complaintTab struct {
	Key, Href string
	Current   bool
}

type deskComplaintsData struct {
	Tabs       []complaintTab
	State      rating.State
	AgencyID   string
	Agencies   []org.Agency
	Complaints []complaintView
	NextHref   string
	Limit      string
	ShowAgency bool
}

// visibleAgencies lists the agencies whose complaints the official sees,
// for the filter.
func (p ratingPages) visibleAgencies(ctx context.Context, a *actor.Actor) ([]org.Agency, error) {
	if a.ProvinceWide() || a.IsSystem() {
		return p.Org.Agencies(ctx, org.AgencyFilter{Limit: 1000})
	}
	var out []org.Agency
	for _, id := range a.AgencyIDs() {
		ag, err := p.Org.Agency(ctx, id)
		if err != nil {
			return nil, err
		}
		out = append(out, ag)
	}
	return out, nil
}

func (p ratingPages) deskComplaints(w http.ResponseWriter, r *http.Request) {
	a := p.official(w, r)
	if a == nil {
		return
	}
	lang := langOf(r)
	q := r.URL.Query()
	d := deskComplaintsData{State: rating.Unanswered, Limit: p.limitText(lang)}
	if st := rating.State(q.Get("state")); slices.Contains(deskComplaintTabs(), st) && q.Has("state") {
		d.State = st
	}
	agencies, err := p.visibleAgencies(r.Context(), a)
	if err != nil {
		p.fail(w, r, err)
		return
	}
	d.Agencies = agencies
	d.ShowAgency = len(agencies) > 1
	if id := q.Get("agency"); id != "" && slices.ContainsFunc(agencies, func(x org.Agency) bool { return x.ID == id }) {
		d.AgencyID = id
	}
	base := url.Values{"state": {string(d.State)}}
	if d.AgencyID != "" {
		base.Set("agency", d.AgencyID)
	}
	for _, st := range deskComplaintTabs() {
		v := url.Values{"state": {string(st)}}
		if d.AgencyID != "" {
			v.Set("agency", d.AgencyID)
		}
		key := "dcomplaint.tab.all"
		if st != "" {
			key = "dcomplaint.tab." + string(st)
		}
		d.Tabs = append(d.Tabs, complaintTab{Key: key, Href: "/desk/complaints?" + v.Encode(), Current: st == d.State})
	}
	f := rating.ComplaintFilter{State: d.State, AgencyID: d.AgencyID, After: q.Get("after"), Limit: complaintPageSize + 1}
	items, err := p.svc.Complaints(r.Context(), a, f)
	if err != nil {
		p.fail(w, r, err)
		return
	}
	items, d.NextHref = pageOf(items, f, base, "/desk/complaints")
	d.Complaints = p.complaintViews(r.Context(), items, func(c rating.Complaint) string { return "/desk/complaints/" + url.PathEscape(c.ID) })
	p.render(w, r, http.StatusOK, "rating_desk", p.page(r, translate(lang, "dcomplaint.title"), d))
}

type deskComplaintData struct {
	V         complaintView
	CanAnswer bool
	Dossier   string
}

func (p ratingPages) renderDeskComplaint(w http.ResponseWriter, r *http.Request, a *actor.Actor, status int, err error) {
	c, gerr := p.svc.Complaint(r.Context(), a, r.PathValue("id"))
	if gerr != nil {
		p.fail(w, r, gerr)
		return
	}
	views := p.complaintViews(r.Context(), []rating.Complaint{c}, nil)
	d := deskComplaintData{V: views[0], CanAnswer: rating.CanAnswer(a, c.AgencyID) && !c.State.Answered(),
		Dossier: "/desk/dossiers/" + url.PathEscape(c.DossierCode)}
	if c.AnsweredBy != "" && p.Identity != nil {
		if names, nerr := p.Identity.DisplayNames(r.Context(), []string{c.AnsweredBy}); nerr == nil {
			d.V.Answerer = names[c.AnsweredBy]
		}
	}
	pg := p.page(r, translate(langOf(r), "dcomplaint.detail"), d)
	if err != nil {
		pg.Error = apperr.MessageOf(err)
		pg.Fields = apperr.FieldsOf(err)
		pg.Form = r.PostForm
	}
	p.render(w, r, status, "rating_desk_complaint", pg)
}

func (p ratingPages) deskComplaint(w http.ResponseWriter, r *http.Request) {
	a := p.official(w, r)
	if a == nil {
		return
	}
	p.renderDeskComplaint(w, r, a, http.StatusOK, nil)
}

func (p ratingPages) deskAnswer(w http.ResponseWriter, r *http.Request) {
	a := p.official(w, r)
	if a == nil {
		return
	}
	if err := parseForm(w, r); err != nil {
		p.fail(w, r, err)
		return
	}
	version, _ := strconv.Atoi(r.PostForm.Get("version"))
	id := r.PathValue("id")
	_, err := p.svc.Answer(r.Context(), a, id, rating.AnswerInput{Answer: r.PostForm.Get("answer"), Version: version})
	if err == nil {
		p.redirect(w, r, "/desk/complaints/"+url.PathEscape(id), translate(langOf(r), "dcomplaint.answered"))
		return
	}
	switch apperr.CodeOf(err) {
	case apperr.Invalid, apperr.Conflict:
		p.renderDeskComplaint(w, r, a, statusOf(apperr.CodeOf(err)), err)
	default:
		p.fail(w, r, err)
	}
}

// The satisfaction figures.

type satisfactionRow struct {
	Name                                   string
	Stats                                  rating.Stats
	Satisfied, Receipt, Processing, OnTime string
	ReceiptMean, ProcessingMean            string
	Total                                  bool
}

type satisfactionData struct {
	From, To string
	AsOf     string
	Rows     []satisfactionRow
	Total    satisfactionRow
	// Empty is set when nothing was rated or filed in the period.
	Empty bool
}

// percent shows a share the way the language writes it ("66,7 %").
func percent(lang string, v *float64) string {
	if v == nil {
		return "—"
	}
	s := strconv.FormatFloat(*v*100, 'f', 1, 64)
	if lang == "en" {
		return s + "%"
	}
	return strings.Replace(s, ".", ",", 1) + " %"
}

func mean(lang string, s rating.StageStats) string {
	if s.Levels == 0 {
		return "—"
	}
	v := strconv.FormatFloat(s.MeanLevel(), 'f', 2, 64)
	if lang != "en" {
		v = strings.Replace(v, ".", ",", 1)
	}
	return v + "/5"
}

func (p ratingPages) satisfactionRow(lang, name string, st rating.Stats) satisfactionRow {
	return satisfactionRow{Name: name, Stats: st, Satisfied: percent(lang, st.SatisfiedShare), Receipt: percent(lang, st.ReceiptSatisfiedShare),
		Processing: percent(lang, st.ProcessingSatisfiedShare), OnTime: percent(lang, st.ComplaintsOnTimeShare),
		ReceiptMean: mean(lang, st.Receipt), ProcessingMean: mean(lang, st.Processing)}
}

func (p ratingPages) satisfaction(w http.ResponseWriter, r *http.Request) {
	a := p.official(w, r)
	if a == nil {
		return
	}
	lang := langOf(r)
	today := calendar.DateOf(p.now().In(calendar.Location()))
	q := r.URL.Query()
	d := satisfactionData{From: q.Get("from"), To: q.Get("to")}
	if d.From == "" {
		d.From = calendar.Date{Year: today.Year, Month: today.Month, Day: 1}.String()
	}
	if d.To == "" {
		d.To = today.String()
	}
	pg := p.page(r, translate(lang, "satisfaction.title"), &d)
	from, to, err := rating.PeriodOf(d.From, d.To)
	var sum rating.Summary
	if err == nil {
		sum, err = p.svc.Aggregate(r.Context(), a, rating.AggregateQuery{From: from, To: to})
	}
	if err != nil {
		if apperr.CodeOf(err) != apperr.Invalid {
			p.fail(w, r, err)
			return
		}
		pg.Error, pg.Fields = apperr.MessageOf(err), apperr.FieldsOf(err)
		p.render(w, r, http.StatusUnprocessableEntity, "rating_desk_summary", pg)
		return
	}
	d.AsOf = formatTime(sum.AsOf)
	d.Empty = sum.Total.Ratings == 0 && sum.Total.Complaints.Filed == 0
	for _, st := range sum.Agencies {
		d.Rows = append(d.Rows, p.satisfactionRow(lang, p.agencyName(r.Context(), st.AgencyID), st))
	}
	slices.SortFunc(d.Rows, func(x, y satisfactionRow) int { return strings.Compare(x.Name, y.Name) })
	d.Total = p.satisfactionRow(lang, translate(lang, "satisfaction.total"), sum.Total)
	d.Total.Total = true
	p.render(w, r, http.StatusOK, "rating_desk_summary", pg)
}
