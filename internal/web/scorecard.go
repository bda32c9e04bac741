package web

import (
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/congso/congso/internal/actor"
	"github.com/congso/congso/internal/apperr"
	"github.com/congso/congso/internal/indicator"
)

// The pages of the 766 service scorecard: the public transparency page
// (province scorecard, rankings, the months' trend; no sign-in, nothing
// personal), the officials' scorecard of any scope with every figure linked
// to the dossiers behind it, the rankings, and those dossier lists.

type scorecardPages struct {
	*Server
	svc *indicator.Service
}

func (s *Server) registerScorecard(mux *http.ServeMux, svc *indicator.Service) {
	if svc == nil {
		return
	}
	p := scorecardPages{Server: s, svc: svc}
	mux.HandleFunc("GET /bang-diem", p.public)
	mux.HandleFunc("GET /desk/scorecard", p.desk)
	mux.HandleFunc("GET /desk/scorecard/rankings", p.rankings)
	mux.HandleFunc("GET /desk/scorecard/dossiers", p.dossiers)
}

// scorecardForm is the period chooser's state.
type scorecardForm struct {
	Scope  string
	ID     string
	Period string
	From   string
	To     string
}

func readScorecardForm(q url.Values) scorecardForm {
	return scorecardForm{Scope: q.Get("scope"), ID: q.Get("id"), Period: q.Get("period"), From: q.Get("from"), To: q.Get("to")}
}

// query is the form as a query string, with extra parameters.
func (f scorecardForm) query(extra ...string) string {
	v := url.Values{}
	for k, x := range map[string]string{"scope": f.Scope, "id": f.ID, "period": f.Period, "from": f.From, "to": f.To} {
		if x != "" {
			v.Set(k, x)
		}
	}
	for i := 0; i+1 < len(extra); i += 2 {
		v.Set(extra[i], extra[i+1])
	}
	return v.Encode()
}

// cardView is a scorecard ready to show.
type cardView struct {
	Card   indicator.Scorecard
	Period string
	Total  string
	Groups []groupView
}

type groupView struct {
	Name   string
	Score  string
	Points string
	Rows   []criterionView
}

type criterionView struct {
	Name, Figure, Rate, Threshold, Score, Points string
	// NumHref and DenHref lead to the dossiers behind the figure (empty when
	// the viewer may not see them).
	NumHref, DenHref string
}

func pts(v float64) string { return strconv.FormatFloat(v, 'f', 2, 64) }

func pct(f indicator.Fraction) string {
	if f.Den == 0 {
		return "—"
	}
	return strconv.FormatFloat(100*f.Rate(), 'f', 1, 64) + "%"
}

func periodLabel(p indicator.Period) string {
	return p.From.String() + " – " + p.To.String()
}

// card shapes a scorecard; drill builds the link to a figure's dossiers, or
// is nil.
func card(sc indicator.Scorecard, drill func(criterion, part string) string) cardView {
	v := cardView{Card: sc, Period: periodLabel(sc.Period), Total: pts(sc.Total)}
	for _, g := range sc.Groups {
		gv := groupView{Name: g.Name, Score: pts(g.Score), Points: pts(g.Points)}
		for _, c := range g.Criteria {
			cv := criterionView{Name: c.Name, Figure: fmt.Sprintf("%d / %d", c.Num, c.Den), Rate: pct(c.Fraction),
				Threshold: strconv.FormatFloat(100*c.Threshold, 'f', 0, 64) + "%", Score: pts(c.Score), Points: pts(c.Points)}
			if c.Formula == "satisfaction" {
				cv.Figure = "—"
			}
			if drill != nil {
				cv.NumHref, cv.DenHref = drill(c.Key, "num"), drill(c.Key, "den")
			}
			gv.Rows = append(gv.Rows, cv)
		}
		v.Groups = append(v.Groups, gv)
	}
	return v
}

type rankingView struct {
	Groups []string
	Rows   []rankRowView
}

type rankRowView struct {
	Rank     int
	Name     string
	Href     string
	Total    string
	Groups   []string
	Received int64
}

func ranking(r indicator.Ranking, href func(id string) string) rankingView {
	var v rankingView
	for _, g := range r.Groups {
		v.Groups = append(v.Groups, fmt.Sprintf("%s (%s)", g.Name, pts(g.Points)))
	}
	for _, row := range r.Rows {
		rv := rankRowView{Rank: row.Rank, Name: row.Name, Total: pts(row.Total), Received: row.Received}
		if href != nil {
			rv.Href = href(row.ID)
		}
		for _, g := range row.Groups {
			rv.Groups = append(rv.Groups, pts(g))
		}
		v.Rows = append(v.Rows, rv)
	}
	return v
}

type trendView struct {
	Groups []string
	Rows   []trendRowView
	// Points are the figures behind the rows, for the charts.
	Points []indicator.TrendPoint
}

type trendRowView struct {
	Month, Total string
	Groups       []string
	Received     int64
}

func trend(groups []indicator.Group, points []indicator.TrendPoint) trendView {
	v := trendView{Points: points}
	for _, g := range groups {
		v.Groups = append(v.Groups, g.Name)
	}
	for _, p := range points {
		row := trendRowView{Month: p.Month, Total: pts(p.Total), Received: p.Counts.Received}
		for _, g := range p.Groups {
			row.Groups = append(row.Groups, pts(g))
		}
		v.Rows = append(v.Rows, row)
	}
	return v
}

type scorecardData struct {
	Form     scorecardForm
	Card     *cardView
	Agencies *rankingView
	Communes *rankingView
	Trend    *trendView
	// Desk links the official's views.
	Desk       bool
	RankingURL string
	PublicURL  string
}

// scorecardPart is what a partial template of the scorecard pages gets.
type scorecardPart struct {
	Page    Page
	Form    scorecardForm
	Action  string
	Card    *cardView
	Ranking *rankingView
	Caption string
	Trend   *trendView
}

// Part gives a partial its data: "period" (with the form's action after a
// colon), "card", "agencies", "communes" or "trend".
func (d *scorecardData) Part(p Page, what string) scorecardPart {
	out := scorecardPart{Page: p, Form: d.Form, Card: d.Card, Trend: d.Trend}
	switch {
	case strings.HasPrefix(what, "period:"):
		out.Action = strings.TrimPrefix(what, "period:")
	case what == "agencies":
		out.Ranking, out.Caption = d.Agencies, p.T("scorecard.rank.agencies")
	case what == "communes":
		out.Ranking, out.Caption = d.Communes, p.T("scorecard.rank.communes")
	}
	return out
}

// period reads the period; on bad input it renders the page with the message.
func (p scorecardPages) period(w http.ResponseWriter, r *http.Request, pg *Page, view string) (indicator.Period, bool) {
	per, err := indicator.ParsePeriod(r.URL.Query(), p.now())
	if err != nil {
		pg.Error, pg.Fields = apperr.MessageOf(err), apperr.FieldsOf(err)
		p.render(w, r, http.StatusUnprocessableEntity, view, *pg)
		return per, false
	}
	return per, true
}

func (p scorecardPages) public(w http.ResponseWriter, r *http.Request) {
	lang := langOf(r)
	d := &scorecardData{Form: readScorecardForm(r.URL.Query()), Desk: actor.From(r.Context()).IsOfficial()}
	d.Form.Scope, d.Form.ID = "", ""
	pg := p.page(r, translate(lang, "scorecard.public.title"), d)
	per, ok := p.period(w, r, &pg, "scorecard_public")
	if !ok {
		return
	}
	ctx := r.Context()
	sc, err := p.svc.Scorecard(ctx, nil, indicator.Scope{Kind: indicator.Province}, per)
	if err != nil {
		p.fail(w, r, err)
		return
	}
	c := card(sc, nil)
	d.Card = &c
	for _, k := range []indicator.ScopeKind{indicator.Agency, indicator.Commune} {
		rk, err := p.svc.Rank(ctx, k, per)
		if err != nil {
			p.fail(w, r, err)
			return
		}
		v := ranking(rk, nil)
		if k == indicator.Agency {
			d.Agencies = &v
		} else {
			d.Communes = &v
		}
	}
	if per.To.Sub(per.From) < 1000 {
		pts, err := p.svc.Trend(ctx, indicator.Scope{Kind: indicator.Province}, per)
		if err != nil {
			p.fail(w, r, err)
			return
		}
		t := trend(p.svc.Rules().At(per.To).Groups, pts)
		d.Trend = &t
	}
	p.render(w, r, http.StatusOK, "scorecard_public", pg)
}

// defaultScope is the official's own agency, or the province for
// province-wide roles.
func defaultScope(a *actor.Actor, f *scorecardForm) {
	if f.Scope != "" {
		return
	}
	if a.ProvinceWide() || a.PrimaryAgency() == "" {
		f.Scope = string(indicator.Province)
		return
	}
	f.Scope, f.ID = string(indicator.Agency), a.PrimaryAgency()
}

func (p scorecardPages) desk(w http.ResponseWriter, r *http.Request) {
	a := p.official(w, r)
	if a == nil {
		return
	}
	lang := langOf(r)
	d := &scorecardData{Form: readScorecardForm(r.URL.Query()), Desk: true}
	defaultScope(a, &d.Form)
	d.RankingURL = "/desk/scorecard/rankings?" + d.Form.query("scope", "", "id", "")
	d.PublicURL = "/bang-diem?" + d.Form.query("scope", "", "id", "")
	pg := p.page(r, translate(lang, "scorecard.title"), d)
	per, ok := p.period(w, r, &pg, "scorecard_desk")
	if !ok {
		return
	}
	q := url.Values{"scope": {d.Form.Scope}, "id": {d.Form.ID}}
	scope := indicator.ParseScope(q)
	ctx := r.Context()
	sc, err := p.svc.Scorecard(ctx, a, scope, per)
	if err != nil {
		if apperr.CodeOf(err) == apperr.Invalid {
			pg.Error, pg.Fields = apperr.MessageOf(err), apperr.FieldsOf(err)
			p.render(w, r, http.StatusUnprocessableEntity, "scorecard_desk", pg)
			return
		}
		p.fail(w, r, err)
		return
	}
	var drill func(string, string) string
	if scope.Kind != indicator.Agency || a.CanSee(scope.ID) {
		drill = func(criterion, part string) string {
			return "/desk/scorecard/dossiers?" + d.Form.query("scope", string(scope.Kind), "id", scope.ID,
				"criterion", criterion, "part", part)
		}
	}
	c := card(sc, drill)
	d.Card = &c
	pts, err := p.svc.Trend(ctx, scope, indicator.Period{From: per.From, To: per.To})
	if err == nil {
		t := trend(p.svc.Rules().At(per.To).Groups, pts)
		d.Trend = &t
	} else if apperr.CodeOf(err) != apperr.Invalid {
		p.fail(w, r, err)
		return
	}
	p.render(w, r, http.StatusOK, "scorecard_desk", pg)
}

func (p scorecardPages) rankings(w http.ResponseWriter, r *http.Request) {
	a := p.official(w, r)
	if a == nil {
		return
	}
	lang := langOf(r)
	d := &scorecardData{Form: readScorecardForm(r.URL.Query()), Desk: true}
	pg := p.page(r, translate(lang, "scorecard.rankings.title"), d)
	per, ok := p.period(w, r, &pg, "scorecard_rankings")
	if !ok {
		return
	}
	for _, k := range []indicator.ScopeKind{indicator.Agency, indicator.Commune} {
		rk, err := p.svc.Rank(r.Context(), k, per)
		if err != nil {
			p.fail(w, r, err)
			return
		}
		kind := k
		v := ranking(rk, func(id string) string {
			return "/desk/scorecard?" + d.Form.query("scope", string(kind), "id", id)
		})
		if k == indicator.Agency {
			d.Agencies = &v
		} else {
			d.Communes = &v
		}
	}
	p.render(w, r, http.StatusOK, "scorecard_rankings", pg)
}

type drillView struct {
	Form      scorecardForm
	Drill     indicator.Drill
	Criterion string
	Part      string
	Period    string
	Rows      []drillRowView
	Back      string
	Prev      string
	Next      string
}

type drillRowView struct {
	Code, Href, Procedure, Agency, Channel, Status, Received, Promised, End, Wait string
	Supplements                                                                   int
	OnTime                                                                        bool
}

func (p scorecardPages) dossiers(w http.ResponseWriter, r *http.Request) {
	a := p.official(w, r)
	if a == nil {
		return
	}
	lang := langOf(r)
	q := r.URL.Query()
	per, err := indicator.ParsePeriod(q, p.now())
	if err != nil {
		p.fail(w, r, err)
		return
	}
	page, _ := strconv.Atoi(q.Get("page"))
	part := q.Get("part")
	if part == "" {
		part = "den"
	}
	dr, err := p.svc.Dossiers(r.Context(), a, indicator.ParseScope(q), per, q.Get("criterion"), part, page)
	if err != nil {
		p.fail(w, r, err)
		return
	}
	f := readScorecardForm(q)
	v := &drillView{Form: f, Drill: dr, Criterion: dr.Criterion.Name, Part: translate(lang, "scorecard.part."+part),
		Period: periodLabel(per), Back: "/desk/scorecard?" + f.query()}
	for _, row := range dr.Rows {
		rv := drillRowView{Code: row.Code, Href: "/desk/dossiers/" + url.PathEscape(row.Code), Procedure: row.Procedure,
			Agency: row.Agency, Received: formatTime(row.ReceivedAt), Promised: formatTime(row.PromisedAt), End: formatTime(row.EndAt),
			Supplements: row.SupplementCount, OnTime: row.OnTime}
		rv.Channel = translate(lang, "scorecard.channel."+row.Channel)
		key := "dstatus." + strconv.Itoa(row.Status)
		if rv.Status = translate(lang, key); rv.Status == key {
			rv.Status = strconv.Itoa(row.Status)
		}
		if row.SupplementWait > 0 {
			rv.Wait = strconv.FormatFloat(float64(row.SupplementWait)/86400, 'f', 1, 64)
		}
		v.Rows = append(v.Rows, rv)
	}
	base := "/desk/scorecard/dossiers?" + f.query("scope", string(dr.Scope.Kind), "id", dr.Scope.ID, "criterion", dr.Criterion.Key, "part", part)
	if dr.Page > 1 {
		v.Prev = base + "&page=" + strconv.Itoa(dr.Page-1)
	}
	if dr.More {
		v.Next = base + "&page=" + strconv.Itoa(dr.Page+1)
	}
	pg := p.page(r, translate(lang, "scorecard.dossiers.title"), v)
	p.render(w, r, http.StatusOK, "scorecard_dossiers", pg)
}
