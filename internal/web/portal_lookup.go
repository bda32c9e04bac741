package web

import (
	"crypto/subtle"
	"net/http"
	"regexp"
	"strconv"
	"strings"

	"github.com/congso/congso/internal/actor"
	"github.com/congso/congso/internal/apperr"
	"github.com/congso/congso/internal/dossier"
	"github.com/congso/congso/internal/identity"
)

// The status lookup with owner verification: the dossier code (printed with
// a QR code on form 01) and the applicant's phone number or ID number,
// posted, never in an address. When they match the dossier's applicant, the
// page shows the full status with the applicant's own data (masked) and
// what the office asks for; otherwise only what the public status page shows,
// with a message that does not say which part did not match. Attempts are
// bounded per client address, so that numbers cannot be guessed.

var portalCodePattern = regexp.MustCompile(`^[0-9A-Z.]{1,20}-[0-9]{6}-[0-9]{1,6}$`)

type portalOwner struct {
	Name     string
	IDNumber string
	Phone    string
	Delivery string
	Address  string
	Request  *portalRequest
	Due      int64
	Next     portalNext
	// Mine is set when the signed-in account is the applicant's.
	Mine bool
}

type portalLookupData struct {
	Code     string
	Status   *dossier.PublicStatus
	Timeline []portalEvent
	Owner    *portalOwner
	// Unverified is set when a verification was tried and did not match.
	Unverified bool
	Missing    bool
}

func (p *portal) lookupPage(r *http.Request, d portalLookupData) Page {
	pg := p.page(r, "portal.lookup.title", d)
	pg.Path = "/tra-cuu-ho-so"
	return pg
}

func (p *portal) lookupForm(w http.ResponseWriter, r *http.Request) {
	code := strings.ToUpper(portalClip(r.URL.Query().Get("ma"), 40))
	if !portalCodePattern.MatchString(code) {
		code = ""
	}
	pg := p.lookupPage(r, portalLookupData{Code: code})
	pg.Form = map[string][]string{"ma": {code}}
	p.s.render(w, r, http.StatusOK, "portal_lookup", pg)
}

// maskName keeps the family name and the initials of the other names:
// "Nguyễn Văn An" → "Nguyễn V** A*".
func maskName(name string) string {
	words := strings.Fields(name)
	for i, w := range words {
		if i == 0 {
			continue
		}
		r := []rune(w)
		words[i] = string(r[0]) + strings.Repeat("*", len(r)-1)
	}
	return strings.Join(words, " ")
}

// maskNumber keeps the first keep and the last three characters.
func maskNumber(s string, keep int) string {
	if len(s) <= keep+3 {
		return strings.Repeat("*", len(s))
	}
	return s[:keep] + strings.Repeat("*", len(s)-keep-3) + s[len(s)-3:]
}

// ownerMatches reports whether the secret typed is the applicant's phone
// number or ID number.
func ownerMatches(ap dossier.Applicant, secret string) bool {
	secret = strings.TrimSpace(secret)
	if secret == "" {
		return false
	}
	eq := func(a, b string) bool { return a != "" && subtle.ConstantTimeCompare([]byte(a), []byte(b)) == 1 }
	if phone, err := identity.NormalizePhone(secret); err == nil && eq(ap.Phone, phone) {
		return true
	}
	return eq(ap.IDNumber, strings.ToUpper(strings.ReplaceAll(secret, " ", "")))
}

func (p *portal) lookup(w http.ResponseWriter, r *http.Request) {
	if err := parseForm(w, r); err != nil {
		p.s.fail(w, r, err)
		return
	}
	ctx := r.Context()
	lang := langOf(r)
	code := strings.ToUpper(portalClip(r.PostForm.Get("ma"), 40))
	secret := portalClip(r.PostForm.Get("xac_minh"), 40)
	// What was typed to verify is never written back into the page.
	r.PostForm.Del("xac_minh")
	d := portalLookupData{Code: code}
	errs := apperr.Fields{}
	if !portalCodePattern.MatchString(code) {
		errs.Add("ma", translate(lang, "portal.lookup.err.code"))
	}
	if secret == "" {
		errs.Add("xac_minh", translate(lang, "portal.lookup.err.secret"))
	}
	if len(errs) > 0 {
		p.s.formError(w, r, "portal_lookup", p.lookupPage(r, d), errs.Err())
		return
	}
	if !p.lookups.allow(ClientIP(r)) {
		p.s.formError(w, r, "portal_lookup", p.lookupPage(r, d), tooMany(lang))
		return
	}
	st, err := p.s.Dossiers.Public(ctx, code)
	if apperr.Is(err, apperr.NotFound) {
		d.Missing = true
		pg := p.lookupPage(r, d)
		pg.Form = r.PostForm
		p.s.render(w, r, http.StatusNotFound, "portal_lookup", pg)
		return
	}
	if err != nil {
		p.s.fail(w, r, err)
		return
	}
	d.Status = &st
	// The verification reads the applicant's data as the platform; it is
	// shown only if the caller proves to be the applicant.
	v, err := p.s.Dossiers.Get(ctx, actor.SystemActor("portal-lookup"), code)
	if err != nil {
		p.s.fail(w, r, err)
		return
	}
	if ownerMatches(v.Dossier.Applicant, secret) {
		dd := v.Dossier
		data := p.dossierData(ctx, lang, v)
		d.Timeline = data.Events
		o := &portalOwner{Name: maskName(dd.Applicant.Name), IDNumber: maskNumber(dd.Applicant.IDNumber, 0), Phone: maskNumber(dd.Applicant.Phone, 3),
			Delivery: dd.ResultDelivery, Request: data.Request, Due: data.Due, Next: data.Next}
		if a := actor.From(ctx); a != nil && a.UserID != "" && a.UserID == dd.Applicant.UserID {
			o.Mine = true
		}
		d.Owner = o
	} else {
		d.Unverified = true
		for _, x := range st.Timeline {
			d.Timeline = append(d.Timeline, portalEvent{At: x.At, Action: x.Action, Status: x.Status})
		}
		d.Timeline = p.translatePublic(lang, d.Timeline)
	}
	pg := p.lookupPage(r, d)
	pg.Form = r.PostForm
	p.s.render(w, r, http.StatusOK, "portal_lookup", pg)
}

// translatePublic puts the public timeline's Vietnamese labels into the
// page's language.
func (p *portal) translatePublic(lang string, evs []portalEvent) []portalEvent {
	if lang == "vi" {
		return evs
	}
	actions, statuses := map[string]string{}, map[string]string{}
	for _, a := range append([]dossier.Action{dossier.ActFile, dossier.ActReceive}, dossier.Actions()...) {
		actions[a.Label()] = portalLabel(lang, "dact."+string(a), a.Label())
	}
	for st := dossier.New; st <= dossier.Returned; st++ {
		statuses[st.Label()] = portalLabel(lang, "dstatus."+strconv.Itoa(int(st)), st.Label())
	}
	for i := range evs {
		if t, ok := actions[evs[i].Action]; ok {
			evs[i].Action = t
		}
		if t, ok := statuses[evs[i].Status]; ok {
			evs[i].Status = t
		}
	}
	return evs
}
