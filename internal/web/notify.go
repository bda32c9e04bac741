package web

import (
	"net/http"
	"net/url"

	"github.com/congso/congso/internal/actor"
	"github.com/congso/congso/internal/apperr"
	"github.com/congso/congso/internal/notify"
)

// The citizen channel's pages: each account chooses how it is told about its
// dossiers (/tai-khoan/thong-bao), and province administrators watch the
// messages that could not be delivered and send them again.

// registerNotify adds the notification pages.
func (s *Server) registerNotify(mux *http.ServeMux, n *notify.Service) {
	h := notifyPages{s: s, n: n}
	mux.HandleFunc("GET /tai-khoan/thong-bao", h.prefs)
	mux.HandleFunc("POST /tai-khoan/thong-bao", h.savePrefs)
	mux.HandleFunc("GET /admin/notifications", h.outbox)
	mux.HandleFunc("POST /admin/notifications/{id}/retry", h.retry)
}

type notifyPages struct {
	s *Server
	n *notify.Service
}

type notifyPrefsData struct {
	Prefs  notify.Preferences
	Recent []notify.Item
}

func (h notifyPages) prefsData(r *http.Request, a *actor.Actor) (notifyPrefsData, error) {
	var d notifyPrefsData
	var err error
	if d.Prefs, err = h.n.Preferences(r.Context(), a, a.UserID); err != nil {
		return d, err
	}
	if d.Recent, err = h.n.Mine(r.Context(), a, 10); err != nil {
		return d, err
	}
	return d, nil
}

func (h notifyPages) prefs(w http.ResponseWriter, r *http.Request) {
	a := h.s.signedIn(w, r)
	if a == nil {
		return
	}
	d, err := h.prefsData(r, a)
	if err != nil {
		h.s.fail(w, r, err)
		return
	}
	p := h.s.page(r, translate(langOf(r), "notify.title"), d)
	p.Path = "/account"
	h.s.render(w, r, http.StatusOK, "notify_prefs", p)
}

// savePrefs reads one pair of check boxes per event: email.<event> and
// sms.<event>; an unticked box is absent from the form.
func (h notifyPages) savePrefs(w http.ResponseWriter, r *http.Request) {
	a := h.s.signedIn(w, r)
	if a == nil {
		return
	}
	if err := parseForm(w, r); err != nil {
		h.s.fail(w, r, err)
		return
	}
	var choices []notify.Choice
	for _, e := range notify.Events() {
		choices = append(choices, notify.Choice{Event: e, Email: r.PostForm.Get("email."+string(e)) == "on",
			SMS: r.PostForm.Get("sms."+string(e)) == "on"})
	}
	if _, err := h.n.SetPreferences(r.Context(), a, a.UserID, choices); err != nil {
		d, derr := h.prefsData(r, a)
		if derr != nil {
			h.s.fail(w, r, derr)
			return
		}
		p := h.s.page(r, translate(langOf(r), "notify.title"), d)
		p.Path = "/account"
		h.s.formError(w, r, "notify_prefs", p, err)
		return
	}
	h.s.redirect(w, r, "/tai-khoan/thong-bao", translate(langOf(r), "notify.saved"))
}

type notifyOutboxData struct {
	Status   string
	Statuses []notify.Status
	Items    []notify.Item
	Next     string
	CanRetry bool
}

func (h notifyPages) outbox(w http.ResponseWriter, r *http.Request) {
	a := h.s.signedIn(w, r)
	if a == nil {
		return
	}
	q := r.URL.Query()
	after := q.Get("after")
	items, err := h.n.List(r.Context(), a, notify.Filter{Status: notify.Status(q.Get("status")), After: after, Limit: deskPageSize + 1})
	if err != nil {
		h.s.fail(w, r, err)
		return
	}
	d := notifyOutboxData{Status: q.Get("status"), Statuses: []notify.Status{notify.Failed, notify.Dead, notify.Queued, notify.Sending, notify.Sent},
		Items: items, CanRetry: a.ProvinceAdmin()}
	if len(items) > deskPageSize {
		d.Items = items[:deskPageSize]
		v := url.Values{"after": {notify.Cursor(d.Items[deskPageSize-1])}}
		if d.Status != "" {
			v.Set("status", d.Status)
		}
		d.Next = "/admin/notifications?" + v.Encode()
	}
	h.s.render(w, r, http.StatusOK, "notify_admin", h.s.page(r, translate(langOf(r), "notify.admin.title"), d))
}

func (h notifyPages) retry(w http.ResponseWriter, r *http.Request) {
	a := h.s.signedIn(w, r)
	if a == nil {
		return
	}
	if _, err := h.n.Retry(r.Context(), a, r.PathValue("id")); err != nil {
		if apperr.CodeOf(err) == apperr.Conflict {
			h.s.redirect(w, r, "/admin/notifications", apperr.MessageOf(err))
			return
		}
		h.s.fail(w, r, err)
		return
	}
	h.s.redirect(w, r, "/admin/notifications", translate(langOf(r), "notify.admin.requeued"))
}
