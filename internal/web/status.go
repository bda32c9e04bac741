package web

import (
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"

	"github.com/congso/congso/internal/apperr"
	"github.com/congso/congso/internal/dossier"
)

// The public status page: anyone with a dossier's code (printed with a QR
// code on every form) sees where the dossier is — procedure, agency, status,
// dates and the steps taken — and nothing personal: no name, no number, no
// address, no official's name.

func (s *Server) registerStatus(mux *http.ServeMux) {
	mux.HandleFunc("GET /tra-cuu", s.trackForm)
	mux.HandleFunc("GET /tra-cuu/{code}", s.cachedPublic(s.trackPage, trackedCode))
}

// trackCodePattern is the shape of a dossier code: the receiving agency's
// identifier, the day and a number (000.00.21.H25-260302-0001).
var trackCodePattern = regexp.MustCompile(`^[0-9A-Z.]{1,20}-[0-9]{6}-[0-9]{1,6}$`)

type trackStep struct {
	Step   dossier.PublicStep
	Action string
	Status string
}

type trackData struct {
	Code     string
	Status   *dossier.PublicStatus
	Timeline []trackStep
	// Missing is set when no dossier has the code.
	Missing bool
}

func trackCode(code string) string { return strings.ToUpper(strings.TrimSpace(code)) }

func (s *Server) trackForm(w http.ResponseWriter, r *http.Request) {
	lang := langOf(r)
	code := trackCode(r.URL.Query().Get("ma"))
	if code != "" {
		if trackCodePattern.MatchString(code) {
			http.Redirect(w, r, "/tra-cuu/"+url.PathEscape(code), http.StatusSeeOther)
			return
		}
		p := s.page(r, translate(lang, "track.title"), trackData{Code: code})
		p.Path = "/tra-cuu"
		p.Fields = map[string]string{"ma": translate(lang, "track.err.format")}
		s.render(w, r, http.StatusUnprocessableEntity, "status", p)
		return
	}
	p := s.page(r, translate(lang, "track.title"), trackData{})
	p.Path = "/tra-cuu"
	s.render(w, r, http.StatusOK, "status", p)
}

// trackLabels maps the service's Vietnamese labels back to the catalog's keys,
// so that the English page reads in English.
func trackLabels(lang string) (actions, statuses map[string]string) {
	actions, statuses = map[string]string{}, map[string]string{}
	for _, a := range append([]dossier.Action{dossier.ActFile, dossier.ActReceive}, dossier.Actions()...) {
		actions[a.Label()] = translate(lang, "dact."+string(a))
	}
	for _, st := range deskStatuses() {
		statuses[st.Label()] = translate(lang, deskStatusKey(st))
	}
	return actions, statuses
}

func deskStatusKey(st dossier.Status) string { return "dstatus." + strconv.Itoa(int(st)) }

func (s *Server) trackPage(w http.ResponseWriter, r *http.Request) {
	lang := langOf(r)
	code := trackCode(r.PathValue("code"))
	d := trackData{Code: code}
	p := s.page(r, translate(lang, "track.title"), nil)
	p.Path = "/tra-cuu/" + code
	if !trackCodePattern.MatchString(code) {
		d.Missing = true
		p.Data = d
		s.render(w, r, http.StatusNotFound, "status", p)
		return
	}
	st, err := s.Dossiers.Public(r.Context(), code)
	switch {
	case apperr.Is(err, apperr.NotFound):
		d.Missing = true
		p.Data = d
		s.render(w, r, http.StatusNotFound, "status", p)
		return
	case err != nil:
		s.fail(w, r, err)
		return
	}
	d.Status = &st
	actions, statuses := trackLabels(lang)
	for _, x := range st.Timeline {
		row := trackStep{Step: x, Action: actions[x.Action], Status: statuses[x.Status]}
		if row.Action == "" {
			row.Action = x.Action
		}
		if row.Status == "" {
			row.Status = x.Status
		}
		d.Timeline = append(d.Timeline, row)
	}
	p.Title = translate(lang, "track.title") + " " + st.Code
	p.Data = d
	s.render(w, r, http.StatusOK, "status", p)
}
