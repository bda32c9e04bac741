package web

import (
	"context"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/congso/congso/internal/actor"
	"github.com/congso/congso/internal/apperr"
	"github.com/congso/congso/internal/calendar"
	"github.com/congso/congso/internal/dossier"
)

// The officers' workspace: the worklists of the dossier system as tabs with
// their counts, a search that never puts what was typed into the address
// (applicants' names are personal data), filters and cursor paging. The
// dossier service decides what each official sees; the pages only ask it.

// registerDesk adds the workspace, the dossier page with its actions, the
// counter flow and the public status page.
func (s *Server) registerDesk(mux *http.ServeMux) {
	mux.HandleFunc("GET /desk", s.deskList)
	// The search is posted: the query may hold an applicant's name.
	mux.HandleFunc("POST /desk/search", s.deskList)
	mux.HandleFunc("GET /desk/dossiers/{code}", s.deskDossier)
	mux.HandleFunc("POST /desk/dossiers/{code}/actions/{action}", s.deskAct)
	mux.HandleFunc("POST /desk/dossiers/{code}/files", s.deskUpload)
	mux.HandleFunc("GET /desk/dossiers/{code}/receipt", s.deskReceipt)
	mux.HandleFunc("GET /desk/counter", s.deskCounter)
	mux.HandleFunc("GET /desk/counter/{id}", s.deskCounterForm)
	mux.HandleFunc("POST /desk/counter/{id}", s.deskCounterReceive)
	s.registerStatus(mux)
}

const deskPageSize = 50

// deskCountCap bounds the counts shown on the tabs ("100+").
const deskCountCap = 100

// deskDossierCounter is implemented by a dossier service that can count a
// worklist without reading it; the tabs use it when it exists.
type deskDossierCounter interface {
	Count(ctx context.Context, by *actor.Actor, f dossier.Filter) (int, error)
}

type deskTab struct {
	Queue   dossier.Queue
	Count   string
	Href    string
	Current bool
	// Work marks the lists of things to do (not the views by deadline).
	Work bool
}

type deskRow struct {
	Dossier dossier.Dossier
	// Step is the current step in words, with the official it is assigned to.
	Step string
	// Holder is the agency holding the dossier.
	Holder string
}

type deskListData struct {
	Queue     dossier.Queue
	Tabs      []deskTab
	Query     string
	Status    int
	Channel   string
	From, To  string
	Items     []deskRow
	NextAfter string
	// NextHref is the next page's address when the search is empty (no
	// personal data in it); with a query the next page is posted.
	NextHref   string
	Statuses   []dossier.Status
	Channels   []dossier.Channel
	CanReceive bool
}

// Filtered reports whether any filter is set.
func (d deskListData) Filtered() bool {
	return d.Query != "" || d.Status != 0 || d.Channel != "" || d.From != "" || d.To != ""
}

func deskStatuses() []dossier.Status {
	out := make([]dossier.Status, 0, 10)
	for i := dossier.New; i <= dossier.Returned; i++ {
		out = append(out, i)
	}
	return out
}

func deskChannels() []dossier.Channel {
	return []dossier.Channel{dossier.Counter, dossier.Post, dossier.Portal, dossier.National}
}

// deskWorkQueues are the lists of things to do, in the order an office works.
var deskWorkQueues = []dossier.Queue{dossier.QueueReceive, dossier.QueueProcess, dossier.QueueApprove, dossier.QueueIssue, dossier.QueueReturn}

// readFilters reads the filters that may travel in an address (never the
// query).
func (d *deskListData) readFilters(form url.Values) error {
	d.Queue = dossier.Queue(form.Get("queue"))
	if n, err := strconv.Atoi(form.Get("status")); err == nil && n >= int(dossier.New) && n <= int(dossier.Returned) {
		d.Status = n
	}
	for _, c := range deskChannels() {
		if form.Get("channel") == string(c) {
			d.Channel = string(c)
		}
	}
	for _, x := range []struct {
		key string
		dst *string
	}{{"from", &d.From}, {"to", &d.To}} {
		v := strings.TrimSpace(form.Get(x.key))
		if v == "" {
			continue
		}
		if _, err := calendar.ParseDate(v); err != nil {
			return apperr.Field(x.key, "Ngày không hợp lệ (định dạng YYYY-MM-DD).")
		}
		*x.dst = v
	}
	if d.From != "" && d.To != "" && d.To < d.From {
		return apperr.Field("to", "Ngày kết thúc phải không trước ngày bắt đầu.")
	}
	return nil
}

// filter is the service's filter for the list.
func (d deskListData) filter(after string) dossier.Filter {
	f := dossier.Filter{Queue: d.Queue, Status: dossier.Status(d.Status), Channel: dossier.Channel(d.Channel), Query: d.Query,
		After: after, Limit: deskPageSize + 1}
	if day, err := calendar.ParseDate(d.From); err == nil {
		f.From = day.At(0)
	}
	if day, err := calendar.ParseDate(d.To); err == nil {
		f.To = day.AddDays(1).At(0)
	}
	return f
}

// addressQuery is the part of the filters that may go into a link.
func (d deskListData) addressQuery(queue dossier.Queue) url.Values {
	v := url.Values{}
	if queue != "" {
		v.Set("queue", string(queue))
	}
	if d.Status != 0 {
		v.Set("status", strconv.Itoa(d.Status))
	}
	if d.Channel != "" {
		v.Set("channel", d.Channel)
	}
	if d.From != "" {
		v.Set("from", d.From)
	}
	if d.To != "" {
		v.Set("to", d.To)
	}
	return v
}

func deskHref(v url.Values) string {
	if len(v) == 0 {
		return "/desk"
	}
	return "/desk?" + v.Encode()
}

// deskQueueCount counts a worklist, capped; "" when it cannot be counted.
func (s *Server) deskQueueCount(ctx context.Context, a *actor.Actor, q dossier.Queue) (int, string) {
	if c, ok := any(s.Dossiers).(deskDossierCounter); ok {
		n, err := c.Count(ctx, a, dossier.Filter{Queue: q})
		if err != nil {
			return 0, ""
		}
		return n, strconv.Itoa(n)
	}
	list, err := s.Dossiers.List(ctx, a, dossier.Filter{Queue: q, Limit: deskCountCap + 1})
	if err != nil {
		return 0, ""
	}
	if len(list) > deskCountCap {
		return len(list), strconv.Itoa(deskCountCap) + "+"
	}
	return len(list), strconv.Itoa(len(list))
}

func (s *Server) deskList(w http.ResponseWriter, r *http.Request) {
	a := s.official(w, r)
	if a == nil {
		return
	}
	var form url.Values
	if r.Method == http.MethodPost {
		if err := parseForm(w, r); err != nil {
			s.fail(w, r, err)
			return
		}
		form = r.PostForm
	} else {
		form = r.URL.Query()
		form.Del("q") // never taken from the address
	}
	lang := langOf(r)
	d := deskListData{Statuses: deskStatuses(), Channels: deskChannels(), CanReceive: a.HasAnywhere(actor.Receiver)}
	ferr := d.readFilters(form)
	d.Query = strings.TrimSpace(form.Get("q"))
	if len([]rune(d.Query)) > 100 {
		d.Query = string([]rune(d.Query)[:100])
	}
	ctx := r.Context()
	counts := map[dossier.Queue]int{}
	for _, q := range dossier.Queues() {
		n, label := s.deskQueueCount(ctx, a, q)
		counts[q] = n
		d.Tabs = append(d.Tabs, deskTab{Queue: q, Count: label})
	}
	valid := false
	for _, q := range dossier.Queues() {
		valid = valid || q == d.Queue
	}
	if !valid {
		// The first list with work in it, else all dossiers.
		d.Queue = dossier.QueueAll
		for _, q := range deskWorkQueues {
			if counts[q] > 0 {
				d.Queue = q
				break
			}
		}
	}
	for i := range d.Tabs {
		t := &d.Tabs[i]
		t.Href = deskHref(d.addressQuery(t.Queue))
		t.Current = t.Queue == d.Queue
		for _, q := range deskWorkQueues {
			t.Work = t.Work || q == t.Queue
		}
	}
	p := s.partialPage(r, translate(lang, "desk.title"), nil)
	p.Path = "/desk"
	if ferr != nil {
		p.Data = d
		p.Error = apperr.MessageOf(ferr)
		p.Fields = apperr.FieldsOf(ferr)
		p.Form = form
		s.render(w, r, http.StatusUnprocessableEntity, "desk", p)
		return
	}
	list, err := s.Dossiers.List(ctx, a, d.filter(form.Get("after")))
	if err != nil {
		s.fail(w, r, err)
		return
	}
	if len(list) > deskPageSize {
		list = list[:deskPageSize]
		d.NextAfter = dossier.Cursor(list[len(list)-1])
		if d.Query == "" {
			v := d.addressQuery(d.Queue)
			v.Set("after", d.NextAfter)
			d.NextHref = deskHref(v)
		}
	}
	rows, err := s.deskRows(ctx, lang, list)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	d.Items = rows
	p.Data = d
	s.render(w, r, http.StatusOK, "desk", p)
}

// deskAgencyNames resolves agency names once per request.
type deskAgencyNames struct {
	s     *Server
	ctx   context.Context
	names map[string]string
}

func (s *Server) deskAgencyCache(ctx context.Context) *deskAgencyNames {
	return &deskAgencyNames{s: s, ctx: ctx, names: map[string]string{}}
}

func (c *deskAgencyNames) name(id string) string {
	if id == "" {
		return ""
	}
	if n, ok := c.names[id]; ok {
		return n
	}
	n := id
	if a, err := c.s.Org.Agency(c.ctx, id); err == nil {
		n = a.Name
	}
	c.names[id] = n
	return n
}

// deskRows adds to each dossier its current step in words.
func (s *Server) deskRows(ctx context.Context, lang string, list []dossier.Dossier) ([]deskRow, error) {
	ids := []string{}
	for _, d := range list {
		ids = append(ids, d.AssigneeID)
	}
	names, err := s.Identity.DisplayNames(ctx, ids)
	if err != nil {
		return nil, apperr.Wrap(err, "read names")
	}
	agencies := s.deskAgencyCache(ctx)
	rows := make([]deskRow, 0, len(list))
	for _, d := range list {
		rows = append(rows, deskRow{Dossier: d, Step: deskCurrentStep(lang, d, names, agencies), Holder: agencies.name(d.HolderAgencyID)})
	}
	return rows, nil
}

// deskCurrentStep describes where an open dossier is: the step of its process,
// or the inter-agency step at another agency, and who it is assigned to.
func deskCurrentStep(lang string, d dossier.Dossier, names map[string]string, agencies *deskAgencyNames) string {
	if !d.Status.Open() || d.Status == dossier.New {
		return ""
	}
	st, ok := d.CurrentStep()
	if !ok {
		return ""
	}
	label := st.Name
	home := d.AgencyID
	if st.Role == actor.Receiver {
		home = d.ReceivingAgencyID
	}
	if d.HolderAgencyID != "" && d.HolderAgencyID != home {
		label = translate(lang, "desk.step.interagency") + " " + agencies.name(d.HolderAgencyID)
	}
	if n := names[d.AssigneeID]; n != "" {
		label += " · " + n
	}
	return label
}

// deskBadge is a dossier with the language to label its status and deadline
// in, for the partials.
type deskBadge struct {
	Lang    string
	Dossier dossier.Dossier
}

// DeskBadge pairs a dossier with the page's language.
func (p Page) DeskBadge(d dossier.Dossier) deskBadge { return deskBadge{Lang: p.Lang, Dossier: d} }
