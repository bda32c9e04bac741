package web

import (
	"crypto/rand"
	"encoding/hex"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/congso/congso/internal/actor"
	"github.com/congso/congso/internal/apperr"
	"github.com/congso/congso/internal/dossier"
	"github.com/congso/congso/internal/draft"
	"github.com/congso/congso/internal/estore"
)

// The public portal: the citizen's side of the one-stop system. Anyone reads
// the procedures and looks up a dossier's status; citizens and organisations
// sign up, file online with the procedure's e-form, keep drafts, follow their
// dossiers, complete a file when asked, withdraw, and reach the payment,
// rating and complaint pages. Every page works on a 360-pixel-wide phone and
// without JavaScript. Personal data never goes into an address: lookups by
// phone or ID number are posted, and nothing typed is put in a redirect.

// portal holds what the portal's handlers share besides the server: the
// drafts store and the rate limiters (created with the routes, never
// package state).
type portal struct {
	s      *Server
	drafts *draft.Service
	// lookups bounds the verified status lookups per client address, so that
	// phone numbers and ID numbers cannot be guessed against a dossier code.
	lookups *portalLimiter
	// signups bounds self-registrations per client address.
	signups *portalLimiter
	// store is the applicants' e-data store, offered in the filing form; nil
	// offers uploads only.
	store *estore.Service
	// once keeps a filing form sent twice from filing two dossiers.
	once *portalOnce
}

// registerPortal adds the portal's pages. drafts may be nil: the pages then
// offer no drafts. store, when given, is the e-data store whose items the
// filing form offers ("chọn từ kho dữ liệu").
func (s *Server) registerPortal(mux *http.ServeMux, drafts *draft.Service, store ...*estore.Service) {
	p := &portal{s: s, drafts: drafts,
		lookups: newPortalLimiter(s.now, 10, 30*time.Second),
		signups: newPortalLimiter(s.now, 5, 10*time.Minute), once: newPortalOnce(time.Now)}
	if len(store) > 0 {
		p.store = store[0]
	}
	mux.HandleFunc("GET /dich-vu-cong", p.s.cachedPublic(p.search, nil))
	mux.HandleFunc("GET /thu-tuc/{id}", p.s.cachedPublic(p.procedure, nil))
	mux.HandleFunc("GET /dang-ky", p.signupForm)
	mux.HandleFunc("POST /dang-ky", p.signup)
	mux.HandleFunc("GET /nop-ho-so/{id}", p.fileForm)
	mux.HandleFunc("POST /nop-ho-so/{id}", p.file)
	mux.HandleFunc("GET /ho-so-nhap", p.draftList)
	mux.HandleFunc("POST /ho-so-nhap/{id}/xoa", p.draftDelete)
	mux.HandleFunc("GET /ho-so-cua-toi", p.mine)
	mux.HandleFunc("GET /ho-so/{code}", p.dossier)
	mux.HandleFunc("GET /ho-so/{code}/da-nop", p.filed)
	mux.HandleFunc("GET /ho-so/{code}/tep/{id}", p.download)
	mux.HandleFunc("GET /ho-so/{code}/mau/{n}", p.form)
	mux.HandleFunc("POST /ho-so/{code}/bo-sung", p.supplement)
	mux.HandleFunc("POST /ho-so/{code}/dinh-kem", p.attach)
	mux.HandleFunc("GET /ho-so/{code}/rut-ho-so", p.withdrawForm)
	mux.HandleFunc("POST /ho-so/{code}/rut-ho-so", p.withdraw)
	mux.HandleFunc("GET /tra-cuu-ho-so", p.lookupForm)
	mux.HandleFunc("POST /tra-cuu-ho-so", p.lookup)
}

// portalNav is the navigation of the public and of citizens and
// organisations; navFor appends it for them.
func portalNav(a *actor.Actor) []NavItem {
	items := []NavItem{{Href: "/dich-vu-cong", Key: "nav.portal.services"}}
	if a != nil && (a.Kind == actor.Citizen || a.Kind == actor.Organisation) {
		items = append(items, NavItem{Href: "/ho-so-cua-toi", Key: "nav.portal.mine"}, NavItem{Href: "/ho-so-nhap", Key: "nav.portal.drafts"},
			NavItem{Href: "/kho-du-lieu", Key: "nav.portal.estore"})
	}
	return append(items, NavItem{Href: "/tra-cuu-ho-so", Key: "nav.portal.lookup"})
}

// applicant returns the signed-in citizen or organisation, or answers the
// request: the sign-in page for anonymous visitors (GET), "not for you" for
// officials.
func (p *portal) applicant(w http.ResponseWriter, r *http.Request) *actor.Actor {
	a := p.s.signedIn(w, r)
	if a == nil {
		return nil
	}
	if a.Kind != actor.Citizen && a.Kind != actor.Organisation {
		p.s.fail(w, r, actor.Deny(a, translate(langOf(r), "portal.err.citizensonly")))
		return nil
	}
	return a
}

// page is the server's page titled by a message key.
func (p *portal) page(r *http.Request, titleKey string, data any) Page {
	return p.s.page(r, translate(langOf(r), titleKey), data)
}

// portalProblemCookie carries the messages about files refused after a
// dossier was created to the next page: the dossier is valid and filed, the
// citizen adds the file on its page.
const portalProblemCookie = "portal_problem"

func (p *portal) setProblem(w http.ResponseWriter, msg string) {
	// A cookie holds 4 KB; escaped Vietnamese takes up to 9 bytes a letter.
	if utf8.RuneCountInString(msg) > 300 {
		msg = string([]rune(msg)[:299]) + "…"
	}
	http.SetCookie(w, &http.Cookie{Name: portalProblemCookie, Value: url.QueryEscape(msg), Path: "/ho-so/", HttpOnly: true,
		SameSite: http.SameSiteLaxMode, Secure: p.s.SecureCookies, MaxAge: 120})
}

// takeProblem reads and clears the message.
func (p *portal) takeProblem(w http.ResponseWriter, r *http.Request) string {
	c, err := r.Cookie(portalProblemCookie)
	if err != nil || c.Value == "" {
		return ""
	}
	http.SetCookie(w, &http.Cookie{Name: portalProblemCookie, Path: "/ho-so/", MaxAge: -1, HttpOnly: true, SameSite: http.SameSiteLaxMode,
		Secure: p.s.SecureCookies})
	msg, err := url.QueryUnescape(c.Value)
	if err != nil {
		return ""
	}
	return msg
}

// portalMoney writes a sum of đồng with thousands separated by dots.
func portalMoney(n int64) string {
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

// portalSize writes a file size.
func portalSize(n int64) string {
	switch {
	case n >= 1<<20:
		return strconv.FormatFloat(float64(n)/(1<<20), 'f', 1, 64) + " MB"
	case n >= 1<<10:
		return strconv.FormatInt(n>>10, 10) + " KB"
	}
	return strconv.FormatInt(n, 10) + " B"
}

// PortalMoney writes a sum of đồng for the templates.
func (p Page) PortalMoney(n int64) string { return portalMoney(n) }

// portalClip bounds a typed search or note.
func portalClip(s string, n int) string {
	s = strings.TrimSpace(s)
	if utf8.RuneCountInString(s) > n {
		s = string([]rune(s)[:n])
	}
	return s
}

// portalLimiter is a token bucket per client address: burst attempts at
// once, then one every interval.
type portalLimiter struct {
	mu      sync.Mutex
	now     func() time.Time
	burst   float64
	every   time.Duration
	buckets map[string]*portalBucket
}

type portalBucket struct {
	tokens float64
	at     time.Time
}

// portalLimiterMax bounds the addresses remembered; past it, the buckets
// that have refilled are forgotten.
const portalLimiterMax = 10000

func newPortalLimiter(now func() time.Time, burst int, every time.Duration) *portalLimiter {
	return &portalLimiter{now: now, burst: float64(burst), every: every, buckets: map[string]*portalBucket{}}
}

// allow takes a token for the key, reporting false when there is none left.
func (l *portalLimiter) allow(key string) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	now := l.now()
	b, ok := l.buckets[key]
	if !ok {
		if len(l.buckets) >= portalLimiterMax {
			l.forget(now)
		}
		b = &portalBucket{tokens: l.burst, at: now}
		l.buckets[key] = b
	}
	if elapsed := now.Sub(b.at); elapsed > 0 {
		b.tokens = min(l.burst, b.tokens+float64(elapsed)/float64(l.every))
		b.at = now
	}
	if b.tokens < 1 {
		return false
	}
	b.tokens--
	return true
}

// forget drops the buckets that are full again (and, if that is not enough,
// all of them: a flood of addresses must not grow the map without bound).
func (l *portalLimiter) forget(now time.Time) {
	for k, b := range l.buckets {
		if b.tokens+float64(now.Sub(b.at))/float64(l.every) >= l.burst {
			delete(l.buckets, k)
		}
	}
	if len(l.buckets) >= portalLimiterMax {
		clear(l.buckets)
	}
}

// tooMany is the error of a client over its limit.
func tooMany(lang string) error {
	return apperr.New(apperr.TooMany, "%s", translate(lang, "portal.err.toomany"))
}

// portalBadge is a dossier with the language, for the status partial.
type portalBadge struct {
	Lang    string
	Dossier dossier.Dossier
}

// PortalBadge pairs a dossier with the page's language.
func (p Page) PortalBadge(d dossier.Dossier) portalBadge {
	return portalBadge{Lang: p.Lang, Dossier: d}
}

// portalTimeline is a timeline with the language, for the timeline partial.
type portalTimeline struct {
	Lang   string
	Events []portalEvent
}

// Money writes a sum of đồng.
func (portalTimeline) Money(n int64) string { return portalMoney(n) }

// PortalTimeline pairs a timeline with the page's language.
func (p Page) PortalTimeline(evs []portalEvent) portalTimeline {
	return portalTimeline{Lang: p.Lang, Events: evs}
}

// portalRequestView is a supplement request with the language.
type portalRequestView struct {
	Lang    string
	Request *portalRequest
}

// PortalRequest pairs a supplement request with the page's language.
func (p Page) PortalRequest(r *portalRequest) portalRequestView {
	return portalRequestView{Lang: p.Lang, Request: r}
}

// portalOnce remembers the filing forms already sent, by a random nonce
// each form carries, so that a double tap on "Nộp hồ sơ" or a resend after a
// lost connection files one dossier, not two. It is a best effort kept in
// memory, bounded, for an hour.
type portalOnce struct {
	mu   sync.Mutex
	now  func() time.Time
	seen map[string]portalOnceEntry
}

type portalOnceEntry struct {
	code string // "" while the filing is in progress
	at   time.Time
}

const (
	portalOnceTTL = time.Hour
	portalOnceMax = 20000
)

func newPortalOnce(now func() time.Time) *portalOnce {
	return &portalOnce{now: now, seen: map[string]portalOnceEntry{}}
}

// begin reserves the key. It returns the code of the dossier already filed
// with it, or busy when that filing is still in progress; ok means go on.
func (o *portalOnce) begin(key string) (code string, busy, ok bool) {
	o.mu.Lock()
	defer o.mu.Unlock()
	now := o.now()
	if e, found := o.seen[key]; found && now.Sub(e.at) < portalOnceTTL {
		return e.code, e.code == "", false
	}
	if len(o.seen) >= portalOnceMax {
		for k, e := range o.seen {
			if now.Sub(e.at) >= portalOnceTTL {
				delete(o.seen, k)
			}
		}
		if len(o.seen) >= portalOnceMax {
			clear(o.seen)
		}
	}
	o.seen[key] = portalOnceEntry{at: now}
	return "", false, true
}

// done records the dossier filed with the key.
func (o *portalOnce) done(key, code string) {
	o.mu.Lock()
	o.seen[key] = portalOnceEntry{code: code, at: o.now()}
	o.mu.Unlock()
}

// release forgets the key of a filing that did not happen.
func (o *portalOnce) release(key string) {
	o.mu.Lock()
	delete(o.seen, key)
	o.mu.Unlock()
}

// newNonce returns a random nonce for a form.
func newNonce() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}
