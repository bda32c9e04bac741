package web

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"

	"github.com/congso/congso/internal/actor"
	"github.com/congso/congso/internal/catalog"
	"github.com/congso/congso/internal/dossier"
	"github.com/congso/congso/internal/org"
	"github.com/congso/congso/internal/vntext"
)

// The public procedure pages: a search that ignores diacritics, with filters
// by field, level and online level, and a page per procedure with everything
// a citizen needs before filing.

const portalSearchPage = 20

type portalSearchData struct {
	Query, Field, Level, Online string
	Fields                      []string
	Levels                      []catalog.Level
	Onlines                     []catalog.OnlineLevel
	Items                       []catalog.Summary
	NextHref                    string
	// Todo lists the signed-in applicant's dossiers that wait for them.
	Todo []dossier.Dossier
}

// Filtered reports whether a search or a filter is set.
func (d portalSearchData) Filtered() bool {
	return d.Query != "" || d.Field != "" || d.Level != "" || d.Online != ""
}

// PortalOnline reports whether a procedure can be filed online.
func (p Page) PortalOnline(level catalog.OnlineLevel) bool {
	return level == catalog.OnlineFull || level == catalog.OnlinePartial
}

func (p *portal) search(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	a := actor.From(ctx)
	q := r.URL.Query()
	d := portalSearchData{Query: portalClip(q.Get("q"), 100), Levels: catalog.Levels(), Onlines: catalog.OnlineLevels()}
	var err error
	if d.Fields, err = p.s.Catalog.Fields(ctx, nil); err != nil {
		p.s.fail(w, r, err)
		return
	}
	if f := q.Get("field"); slices.Contains(d.Fields, f) {
		d.Field = f
	}
	if l := catalog.Level(q.Get("level")); slices.Contains(d.Levels, l) {
		d.Level = string(l)
	}
	if o := catalog.OnlineLevel(q.Get("online")); slices.Contains(d.Onlines, o) {
		d.Online = string(o)
	}
	list, err := p.s.Catalog.Search(ctx, nil, catalog.Filter{Query: d.Query, Field: d.Field, Level: catalog.Level(d.Level),
		OnlineLevel: catalog.OnlineLevel(d.Online), After: q.Get("after"), Limit: portalSearchPage + 1})
	if err != nil {
		p.s.fail(w, r, err)
		return
	}
	if len(list) > portalSearchPage {
		list = list[:portalSearchPage]
		v := url.Values{}
		for k, x := range map[string]string{"q": d.Query, "field": d.Field, "level": d.Level, "online": d.Online} {
			if x != "" {
				v.Set(k, x)
			}
		}
		v.Set("after", list[len(list)-1].ID)
		d.NextHref = "/dich-vu-cong?" + v.Encode()
	}
	d.Items = list
	if a != nil && (a.Kind == actor.Citizen || a.Kind == actor.Organisation) {
		for _, st := range []dossier.Status{dossier.SupplementRequested, dossier.PaymentRequested} {
			todo, err := p.s.Dossiers.List(ctx, a, dossier.Filter{Mine: true, Status: st, Limit: 10})
			if err != nil {
				p.s.fail(w, r, err)
				return
			}
			d.Todo = append(d.Todo, todo...)
		}
	}
	pg := p.page(r, "portal.search.title", d)
	pg.Path = "/dich-vu-cong"
	p.s.render(w, r, http.StatusOK, "portal_search", pg)
}

type portalProcData struct {
	Procedure catalog.Procedure
	Agencies  []org.Agency
	Fees      int64
	// CanFile is set when the procedure is filed online and has an agency
	// to take it.
	CanFile bool
	// FromStore is set when some paper can be taken from the e-data store.
	FromStore bool
}

// portalAgencies lists the operating agencies of a procedure by name.
func (p *portal) portalAgencies(ctx context.Context, ids []string) ([]org.Agency, error) {
	var out []org.Agency
	for _, id := range ids {
		ag, err := p.s.Org.Agency(ctx, id)
		if err != nil {
			return nil, err
		}
		if !ag.Retired() {
			out = append(out, ag)
		}
	}
	slices.SortFunc(out, func(x, y org.Agency) int { return strings.Compare(vntext.Fold(x.Name), vntext.Fold(y.Name)) })
	return out, nil
}

func (p *portal) procedure(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	proc, err := p.s.Catalog.Get(ctx, nil, r.PathValue("id"))
	if err != nil {
		p.s.fail(w, r, err)
		return
	}
	d := portalProcData{Procedure: proc, Fees: proc.TotalFees()}
	if d.Agencies, err = p.portalAgencies(ctx, proc.AgencyIDs); err != nil {
		p.s.fail(w, r, err)
		return
	}
	d.CanFile = proc.Active && proc.OnlineLevel != catalog.Offline && len(d.Agencies) > 0
	for _, doc := range proc.Documents {
		d.FromStore = d.FromStore || doc.FromEStore
	}
	pg := p.s.page(r, proc.Name, d)
	pg.Path = "/thu-tuc/" + proc.ID
	p.s.render(w, r, http.StatusOK, "portal_procedure", pg)
}

// PortalCopies says how many originals and copies of a paper to file.
func (p Page) PortalCopies(doc catalog.Document) string {
	switch {
	case doc.Originals == 0 && doc.Copies == 0:
		return p.T("portal.copies.show")
	case doc.Copies == 0:
		return fmt.Sprintf(p.T("portal.copies.originals"), doc.Originals)
	case doc.Originals == 0:
		return fmt.Sprintf(p.T("portal.copies.copies"), doc.Copies)
	}
	return fmt.Sprintf(p.T("portal.copies.both"), doc.Originals, doc.Copies)
}
