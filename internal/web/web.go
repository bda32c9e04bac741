// Package web is the platform's HTML interface: server-rendered pages in
// Vietnamese (with an English switch) that work without JavaScript, with htmx
// for partial updates. Every rule lives in the domain services; pages only
// ask them.
package web

import (
	"bytes"
	"context"
	"embed"
	"errors"
	"fmt"
	"html/template"
	"io/fs"
	"log/slog"
	"net/http"
	"net/url"
	"path"
	"strings"
	"time"

	"github.com/congso/congso/internal/actor"
	"github.com/congso/congso/internal/adminunit"
	"github.com/congso/congso/internal/apperr"
	"github.com/congso/congso/internal/audit"
	"github.com/congso/congso/internal/calendar"
	"github.com/congso/congso/internal/catalog"
	"github.com/congso/congso/internal/db"
	"github.com/congso/congso/internal/dossier"
	"github.com/congso/congso/internal/draft"
	"github.com/congso/congso/internal/estore"
	"github.com/congso/congso/internal/exchange"
	"github.com/congso/congso/internal/exchange/async"
	"github.com/congso/congso/internal/identity"
	"github.com/congso/congso/internal/indicator"
	"github.com/congso/congso/internal/notify"
	"github.com/congso/congso/internal/org"
	"github.com/congso/congso/internal/payment"
	"github.com/congso/congso/internal/plan"
	"github.com/congso/congso/internal/rating"
)

//go:embed templates static
var assets embed.FS

// Deps are the services the pages use.
type Deps struct {
	Identity *identity.Service
	Org      *org.Service
	Units    *adminunit.Registry
	Audit    *audit.Log
	OIDC     *identity.OIDC // nil when no external provider is configured
	Log      *slog.Logger
	Now      func() time.Time
	// Tx runs fn in one database transaction, for pages whose action spans
	// two services (an account and its first role).
	Tx func(ctx context.Context, fn func(*db.Tx) error) error
	// Province is the GSO code of the province the platform serves.
	Province string
	Catalog  *catalog.Service
	Dossiers *dossier.Service
	Calendar *calendar.Service
	Notify   *notify.Service
	Rating   *rating.Service
	EStore   *estore.Service
	Payments *payment.Service
	Drafts   *draft.Service
	// Indicators computes the 766 service scorecard.
	Indicators *indicator.Service
	Plans      *plan.Service
	// Exchange is the integration platform (LGSP) whose admin pages are
	// under /admin/lgsp.
	Exchange *exchange.Service
	// Async is the LGSP's async exchange (topics under /admin/lgsp/topics).
	Async *async.Service
	// SecureCookies sets the Secure flag on cookies (behind TLS).
	SecureCookies bool
	// Demo shows the demo banner and the demo accounts on the sign-in page.
	Demo         bool
	DemoAccounts []DemoAccount
	// PublicCacheTTL, when set, keeps the public pages served to visitors
	// who are not signed in for that long (see publicPages).
	PublicCacheTTL time.Duration
}

// DemoAccount is shown on the sign-in page of the demo.
type DemoAccount struct {
	Login, Password, Role string
}

// Server renders the pages.
type Server struct {
	Deps
	pages  map[string]*template.Template
	public *publicPages
}

// New parses the templates; a missing or broken template fails start-up, not
// a request.
func New(d Deps) (*Server, error) {
	s := &Server{Deps: d, pages: map[string]*template.Template{}}
	if d.PublicCacheTTL > 0 {
		s.public = newPublicPages(d.PublicCacheTTL)
		if d.Dossiers != nil {
			d.Dossiers.Listen(s.public)
		}
	}
	funcs := template.FuncMap{
		"tr":        translate,
		"roleLabel": func(r actor.Role) string { return r.Label() },
		"kindLabel": func(k org.Kind) string { return k.Label() },
		"when":      formatTime,
		"date":      func(t time.Time) string { return t.In(vietnam).Format("02/01/2006") },
		"join":      strings.Join,
		"qr":        func(text string) (template.URL, error) { return qrDataURI(text, 220) },
	}
	partials, err := fs.Glob(assets, "templates/partials/*.html")
	if err != nil {
		return nil, fmt.Errorf("list partials: %w", err)
	}
	files, err := fs.Glob(assets, "templates/*.html")
	if err != nil {
		return nil, fmt.Errorf("list templates: %w", err)
	}
	for _, f := range files {
		name := strings.TrimSuffix(path.Base(f), ".html")
		if name == "layout" {
			continue
		}
		t, err := template.New("layout.html").Funcs(funcs).ParseFS(assets, append([]string{"templates/layout.html", f}, partials...)...)
		if err != nil {
			return nil, fmt.Errorf("parse template %s: %w", name, err)
		}
		s.pages[name] = t
	}
	return s, nil
}

var vietnam = time.FixedZone("ICT", 7*3600)

func formatTime(t any) string {
	switch v := t.(type) {
	case time.Time:
		if v.IsZero() {
			return ""
		}
		return v.In(vietnam).Format("15:04 02/01/2006")
	case *time.Time:
		if v == nil {
			return ""
		}
		return v.In(vietnam).Format("15:04 02/01/2006")
	}
	return ""
}

// Page is what every template receives.
type Page struct {
	Title   string
	Lang    string
	Path    string
	Actor   *actor.Actor
	Nav     []NavItem
	Flash   string
	Error   string
	Fields  map[string]string
	Form    url.Values
	Demo    bool
	Data    any
	Partial bool
	// ErrorPage shows Error under the page's heading instead of above it.
	ErrorPage bool
}

// NavItem is an entry of the navigation, shown by role.
type NavItem struct {
	Href, Key string
	Current   bool
}

func (p Page) T(key string) string { return translate(p.Lang, key) }

// FieldError returns the message about a form field, if any.
func (p Page) FieldError(name string) string { return p.Fields[name] }

// Value returns a submitted form value, to refill a form after an error.
func (p Page) Value(name string) string { return p.Form.Get(name) }

func langOf(r *http.Request) string {
	if c, err := r.Cookie("lang"); err == nil && c.Value == "en" {
		return "en"
	}
	return "vi"
}

func (s *Server) page(r *http.Request, title string, data any) Page {
	a := actor.From(r.Context())
	p := Page{Title: title, Lang: langOf(r), Path: r.URL.Path, Actor: a, Demo: s.Demo, Data: data,
		Partial: r.Header.Get("HX-Request") == "true" && r.Header.Get("HX-Boosted") != "true"}
	p.Nav = navFor(a, r.URL.Path)
	if c, err := r.Cookie("flash"); err == nil {
		if v, err := url.QueryUnescape(c.Value); err == nil {
			p.Flash = v
		}
	}
	return p
}

func navFor(a *actor.Actor, current string) []NavItem {
	items := []NavItem{{Href: "/", Key: "nav.home"}}
	if a != nil && a.IsOfficial() {
		items = append(items, NavItem{Href: "/desk", Key: "nav.desk"}, NavItem{Href: "/ops", Key: "nav.ops"})
		if a.HasAnywhere(actor.Receiver) {
			items = append(items, NavItem{Href: "/desk/counter", Key: "nav.counter"})
		}
		items = append(items, NavItem{Href: "/desk/complaints", Key: "nav.complaints"}, NavItem{Href: "/desk/satisfaction", Key: "nav.satisfaction"},
			NavItem{Href: "/desk/payments", Key: "nav.payments"}, NavItem{Href: "/desk/plans", Key: "nav.plans"})
		if a.ProvinceWide() || a.IsAdmin() {
			items = append(items, NavItem{Href: "/admin/agencies", Key: "nav.agencies"}, NavItem{Href: "/admin/users", Key: "nav.users"})
		}
		items = append(items, NavItem{Href: "/admin/procedures", Key: "nav.procedures"}, NavItem{Href: "/admin/units", Key: "nav.units"},
			NavItem{Href: "/admin/calendar", Key: "nav.calendar"})
		if a.ProvinceWide() || a.IsAdmin() {
			items = append(items, NavItem{Href: "/admin/audit", Key: "nav.audit"}, NavItem{Href: "/admin/lgsp", Key: "nav.lgsp"})
		}
		if a.ProvinceWide() {
			items = append(items, NavItem{Href: "/admin/notifications", Key: "nav.notifications"})
		}
	}
	if a == nil || a.Kind == actor.Citizen || a.Kind == actor.Organisation {
		items = append(items, portalNav(a)...)
		if a != nil {
			items = append(items, NavItem{Href: "/phan-anh", Key: "nav.complaints"})
		}
	} else {
		items = append(items, NavItem{Href: "/tra-cuu", Key: "nav.track"})
	}
	if a != nil {
		items = append(items, NavItem{Href: "/account", Key: "nav.account"})
	}
	// The entry whose address is the longest prefix of the page is current.
	best := -1
	for i, it := range items {
		match := it.Href == current || (it.Href != "/" && strings.HasPrefix(current, it.Href+"/"))
		if match && (best < 0 || len(it.Href) > len(items[best].Href)) {
			best = i
		}
	}
	if best >= 0 {
		items[best].Current = true
	}
	return items
}

// render writes a page; for htmx requests that target a fragment it writes
// only the "content" block.
func (s *Server) render(w http.ResponseWriter, r *http.Request, status int, name string, p Page) {
	t, ok := s.pages[name]
	if !ok {
		s.Log.Error("missing template", "name", name)
		http.Error(w, "template missing", http.StatusInternalServerError)
		return
	}
	block := "layout.html"
	if p.Partial {
		block = "content"
	}
	var buf bytes.Buffer
	if err := t.ExecuteTemplate(&buf, block, p); err != nil {
		s.Log.Error("render page", "name", name, "err", err)
		http.Error(w, "render failed", http.StatusInternalServerError)
		return
	}
	if p.Flash != "" {
		http.SetCookie(w, &http.Cookie{Name: "flash", Path: "/", MaxAge: -1})
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	_, _ = buf.WriteTo(w)
}

// fail renders an error page, or the form again with its errors when the
// error is about the input.
func (s *Server) fail(w http.ResponseWriter, r *http.Request, err error) {
	code := apperr.CodeOf(err)
	if code == apperr.Internal {
		s.Log.ErrorContext(r.Context(), "page failed", "route", r.Pattern, "err", err)
	}
	if code == apperr.Unauthorized && r.Method == http.MethodGet {
		http.Redirect(w, r, "/login?next="+url.QueryEscape(r.URL.RequestURI()), http.StatusSeeOther)
		return
	}
	p := s.page(r, translate(langOf(r), "error.title"), nil)
	p.Error, p.ErrorPage = apperr.MessageOf(err), true
	s.render(w, r, statusOf(code), "error", p)
}

// formError re-renders a form page with the submitted values and the errors.
func (s *Server) formError(w http.ResponseWriter, r *http.Request, name string, p Page, err error) {
	if apperr.CodeOf(err) != apperr.Invalid && apperr.CodeOf(err) != apperr.Conflict && apperr.CodeOf(err) != apperr.TooMany &&
		apperr.CodeOf(err) != apperr.Unauthorized {
		s.fail(w, r, err)
		return
	}
	p.Error = apperr.MessageOf(err)
	p.Fields = apperr.FieldsOf(err)
	p.Form = r.PostForm
	s.render(w, r, statusOf(apperr.CodeOf(err)), name, p)
}

func statusOf(code apperr.Code) int {
	switch code {
	case apperr.Invalid:
		return http.StatusUnprocessableEntity
	case apperr.NotFound:
		return http.StatusNotFound
	case apperr.Conflict:
		return http.StatusConflict
	case apperr.Unauthorized:
		return http.StatusUnauthorized
	case apperr.Forbidden:
		return http.StatusForbidden
	case apperr.TooMany:
		return http.StatusTooManyRequests
	}
	return http.StatusInternalServerError
}

// redirect sends the browser on after a successful form, with a message to
// show on the next page.
func (s *Server) redirect(w http.ResponseWriter, r *http.Request, to, flash string) {
	if flash != "" {
		http.SetCookie(w, &http.Cookie{Name: "flash", Value: url.QueryEscape(flash), Path: "/", HttpOnly: true,
			SameSite: http.SameSiteLaxMode, Secure: s.SecureCookies, MaxAge: 60})
	}
	http.Redirect(w, r, to, http.StatusSeeOther)
}

// parseForm reads a posted form, bounded in size.
func parseForm(w http.ResponseWriter, r *http.Request) error {
	r.Body = http.MaxBytesReader(w, r.Body, 1<<20)
	if err := r.ParseForm(); err != nil {
		return apperr.New(apperr.Invalid, "Biểu mẫu gửi lên không hợp lệ hoặc quá lớn.")
	}
	return nil
}

// safeNext keeps post-login redirects on this site.
func safeNext(next string) string {
	if next == "" || !strings.HasPrefix(next, "/") || strings.HasPrefix(next, "//") || strings.HasPrefix(next, "/\\") {
		return "/"
	}
	return next
}

// Register adds the pages and the static files to mux.
func (s *Server) Register(mux *http.ServeMux) {
	static, _ := fs.Sub(assets, "static")
	fileServer := http.FileServer(http.FS(static))
	mux.Handle("GET /static/", http.StripPrefix("/static/", cacheForever(fileServer)))
	mux.HandleFunc("GET /{$}", s.home)
	mux.Handle("GET /favicon.ico", http.RedirectHandler("/static/favicon.svg", http.StatusMovedPermanently))
	mux.HandleFunc("GET /lang/{lang}", s.switchLang)
	s.registerAuth(mux)
	s.registerAccount(mux)
	s.registerAdmin(mux)
	s.registerDesk(mux)
	if s.Notify != nil {
		s.registerNotify(mux, s.Notify)
	}
	if s.Rating != nil {
		s.registerRating(mux, s.Rating)
	}
	s.registerScorecard(mux, s.Indicators)
	if s.EStore != nil {
		s.registerEStore(mux, s.EStore)
	}
	if s.Payments != nil {
		s.registerPayment(mux, s.Payments)
	}
	if s.Plans != nil {
		s.registerPlans(mux, s.Plans)
	}
	if s.Exchange != nil {
		s.registerLGSP(mux, s.Exchange)
		if s.Async != nil {
			s.registerLGSPAsync(mux, s.Exchange, s.Async)
		}
	}
	s.registerPortal(mux, s.Drafts, s.EStore)
	mux.HandleFunc("/", s.notFound)
}

func cacheForever(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Cache-Control", "public, max-age=86400")
		h.ServeHTTP(w, r)
	})
}

func (s *Server) notFound(w http.ResponseWriter, r *http.Request) {
	if strings.HasPrefix(r.URL.Path, "/api/") {
		w.Header().Set("Content-Type", "application/json; charset=utf-8")
		w.WriteHeader(http.StatusNotFound)
		_, _ = w.Write([]byte(`{"error":{"code":"not_found","message":"Không có API này."}}` + "\n"))
		return
	}
	p := s.page(r, translate(langOf(r), "error.title"), nil)
	p.Error, p.ErrorPage = translate(p.Lang, "error.notfound"), true
	s.render(w, r, http.StatusNotFound, "error", p)
}

func (s *Server) switchLang(w http.ResponseWriter, r *http.Request) {
	lang := r.PathValue("lang")
	if lang != "en" {
		lang = "vi"
	}
	http.SetCookie(w, &http.Cookie{Name: "lang", Value: lang, Path: "/", MaxAge: 365 * 24 * 3600, SameSite: http.SameSiteLaxMode,
		Secure: s.SecureCookies})
	http.Redirect(w, r, safeNext(r.URL.Query().Get("next")), http.StatusSeeOther)
}

type homeData struct {
	Roles    []org.Assignment
	Agencies map[string]org.Agency
}

func (s *Server) home(w http.ResponseWriter, r *http.Request) {
	a := actor.From(r.Context())
	var data homeData
	if a != nil && (a.Kind == actor.Official || a.Kind == actor.Machine) {
		var err error
		if data.Roles, err = s.Org.Assignments(r.Context(), a.UserID); err != nil {
			s.fail(w, r, err)
			return
		}
		if data.Agencies, err = s.agencyNames(r.Context(), a.AgencyIDs()); err != nil {
			s.fail(w, r, err)
			return
		}
	}
	s.render(w, r, http.StatusOK, "home", s.page(r, translate(langOf(r), "nav.home"), data))
}

func (s *Server) agencyNames(ctx context.Context, ids []string) (map[string]org.Agency, error) {
	out := map[string]org.Agency{}
	for _, id := range ids {
		a, err := s.Org.Agency(ctx, id)
		if err != nil && !errors.Is(err, context.Canceled) {
			return nil, err
		}
		out[id] = a
	}
	return out, nil
}
