package web

import (
	"context"
	"encoding/json"
	"net"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/congso/congso/internal/actor"
	"github.com/congso/congso/internal/apperr"
	"github.com/congso/congso/internal/identity"
)

// SessionCookie holds the session token.
const SessionCookie = "congso_session"

const oidcCookie = "congso_oidc"

type pendingKey struct{}

// pending is a session that passed the password but still owes the second
// factor (or, for admins, its enrolment).
type pending struct {
	actor *actor.Actor
	stage identity.Stage
	token string
}

// ClientIP is the caller's address for the audit log. Behind a trusted proxy
// the app puts X-Forwarded-For's first hop into RemoteAddr before this runs.
func ClientIP(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return host
}

// Authenticate resolves the session cookie or the bearer token into the
// actor in the request's context. A bad bearer token is refused outright; a
// stale cookie is dropped and the request goes on anonymously.
func (s *Server) Authenticate(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ctx := r.Context()
		ip := ClientIP(r)
		if h := r.Header.Get("Authorization"); h != "" {
			scheme, token, _ := strings.Cut(h, " ")
			if !strings.EqualFold(scheme, "Bearer") {
				writeAuthError(w, apperr.New(apperr.Unauthorized, "Chỉ hỗ trợ xác thực Bearer."))
				return
			}
			a, err := s.Identity.AuthenticateToken(ctx, strings.TrimSpace(token), ip)
			if err != nil {
				writeAuthError(w, err)
				return
			}
			next.ServeHTTP(w, r.WithContext(actor.With(ctx, a)))
			return
		}
		if c, err := r.Cookie(SessionCookie); err == nil && c.Value != "" {
			a, sess, err := s.Identity.Authenticate(ctx, c.Value, ip)
			switch {
			case err != nil:
				s.clearSession(w)
			case sess.Stage == identity.StageDone:
				ctx = actor.With(ctx, a)
			default:
				ctx = context.WithValue(ctx, pendingKey{}, &pending{actor: a, stage: sess.Stage, token: c.Value})
			}
		}
		next.ServeHTTP(w, r.WithContext(ctx))
	})
}

func writeAuthError(w http.ResponseWriter, err error) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.Header().Set("WWW-Authenticate", `Bearer realm="congso"`)
	code := apperr.CodeOf(err)
	w.WriteHeader(statusOf(code))
	_ = json.NewEncoder(w).Encode(map[string]any{"error": map[string]any{"code": code, "message": apperr.MessageOf(err)}})
}

func pendingFrom(ctx context.Context) *pending {
	p, _ := ctx.Value(pendingKey{}).(*pending)
	return p
}

func (s *Server) setSession(w http.ResponseWriter, token string) {
	http.SetCookie(w, &http.Cookie{Name: SessionCookie, Value: token, Path: "/", HttpOnly: true, SameSite: http.SameSiteLaxMode,
		Secure: s.SecureCookies})
}

func (s *Server) clearSession(w http.ResponseWriter) {
	http.SetCookie(w, &http.Cookie{Name: SessionCookie, Path: "/", MaxAge: -1, HttpOnly: true, SameSite: http.SameSiteLaxMode,
		Secure: s.SecureCookies})
}

func (s *Server) registerAuth(mux *http.ServeMux) {
	mux.HandleFunc("GET /login", s.loginForm)
	mux.HandleFunc("POST /login", s.login)
	mux.HandleFunc("GET /login/totp", s.totpForm)
	mux.HandleFunc("POST /login/totp", s.totp)
	mux.HandleFunc("GET /login/enrol", s.enrolForm)
	mux.HandleFunc("POST /login/enrol", s.enrol)
	mux.HandleFunc("POST /logout", s.logout)
	mux.HandleFunc("GET /login/oidc", s.oidcStart)
	mux.HandleFunc("GET /login/oidc/callback", s.oidcCallback)
}

type loginData struct {
	Next     string
	OIDCName string
	Accounts []DemoAccount
}

func (s *Server) loginPage(r *http.Request) Page {
	d := loginData{Next: safeNext(r.FormValue("next"))}
	if s.OIDC != nil {
		d.OIDCName = s.OIDC.DisplayName()
	}
	if s.Demo {
		d.Accounts = s.DemoAccounts
	}
	return s.page(r, translate(langOf(r), "login.title"), d)
}

func (s *Server) loginForm(w http.ResponseWriter, r *http.Request) {
	if actor.From(r.Context()) != nil {
		http.Redirect(w, r, "/", http.StatusSeeOther)
		return
	}
	s.render(w, r, http.StatusOK, "login", s.loginPage(r))
}

func (s *Server) login(w http.ResponseWriter, r *http.Request) {
	if err := parseForm(w, r); err != nil {
		s.formError(w, r, "login", s.loginPage(r), err)
		return
	}
	res, err := s.Identity.Login(r.Context(), identity.LoginInput{Login: r.PostForm.Get("login"), Password: r.PostForm.Get("password"),
		IP: ClientIP(r), UserAgent: r.UserAgent()})
	if err != nil {
		p := s.loginPage(r)
		r.PostForm.Del("password")
		s.formError(w, r, "login", p, err)
		return
	}
	s.setSession(w, res.Token)
	s.afterFirstFactor(w, r, res.Stage, safeNext(r.PostForm.Get("next")))
}

func (s *Server) afterFirstFactor(w http.ResponseWriter, r *http.Request, stage identity.Stage, next string) {
	switch stage {
	case identity.StageTOTP:
		http.Redirect(w, r, "/login/totp?next="+url.QueryEscape(next), http.StatusSeeOther)
	case identity.StageEnrol:
		http.Redirect(w, r, "/login/enrol?next="+url.QueryEscape(next), http.StatusSeeOther)
	default:
		http.Redirect(w, r, next, http.StatusSeeOther)
	}
}

func (s *Server) totpForm(w http.ResponseWriter, r *http.Request) {
	if p := pendingFrom(r.Context()); p == nil || p.stage != identity.StageTOTP {
		http.Redirect(w, r, "/login", http.StatusSeeOther)
		return
	}
	s.render(w, r, http.StatusOK, "totp", s.page(r, translate(langOf(r), "totp.title"), loginData{Next: safeNext(r.FormValue("next"))}))
}

func (s *Server) totp(w http.ResponseWriter, r *http.Request) {
	p := pendingFrom(r.Context())
	if p == nil || p.stage != identity.StageTOTP {
		http.Redirect(w, r, "/login", http.StatusSeeOther)
		return
	}
	page := s.page(r, translate(langOf(r), "totp.title"), loginData{Next: safeNext(r.FormValue("next"))})
	if err := parseForm(w, r); err != nil {
		s.formError(w, r, "totp", page, err)
		return
	}
	token, err := s.Identity.VerifyTOTP(r.Context(), p.token, r.PostForm.Get("code"), ClientIP(r))
	if err != nil {
		if apperr.Is(err, apperr.Unauthorized) {
			s.clearSession(w)
		}
		s.formError(w, r, "totp", page, err)
		return
	}
	s.setSession(w, token)
	http.Redirect(w, r, safeNext(r.PostForm.Get("next")), http.StatusSeeOther)
}

type enrolData struct {
	Next     string
	Secret   string
	URI      string
	Required bool
}

// enrolForm starts second-factor enrolment: for an admin still owing it, or
// for any signed-in official who chooses it from the account page.
func (s *Server) enrolForm(w http.ResponseWriter, r *http.Request) {
	a, _, required := s.enrollee(r)
	if a == nil {
		http.Redirect(w, r, "/login", http.StatusSeeOther)
		return
	}
	secret, uri, err := s.Identity.BeginTOTPEnrol(r.Context(), a)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	s.render(w, r, http.StatusOK, "enrol", s.page(r, translate(langOf(r), "enrol.title"),
		enrolData{Next: safeNext(r.FormValue("next")), Secret: secret, URI: uri, Required: required}))
}

func (s *Server) enrollee(r *http.Request) (*actor.Actor, string, bool) {
	if p := pendingFrom(r.Context()); p != nil && p.stage == identity.StageEnrol {
		return p.actor, p.token, true
	}
	if a := actor.From(r.Context()); a != nil && a.Kind == actor.Official {
		c, _ := r.Cookie(SessionCookie)
		if c != nil {
			return a, c.Value, false
		}
	}
	return nil, "", false
}

func (s *Server) enrol(w http.ResponseWriter, r *http.Request) {
	a, token, required := s.enrollee(r)
	if a == nil {
		http.Redirect(w, r, "/login", http.StatusSeeOther)
		return
	}
	if err := parseForm(w, r); err != nil {
		s.fail(w, r, err)
		return
	}
	newToken, err := s.Identity.ConfirmTOTPEnrol(r.Context(), a, token, r.PostForm.Get("code"))
	if err != nil {
		page := s.page(r, translate(langOf(r), "enrol.title"), enrolData{Next: safeNext(r.PostForm.Get("next")),
			Secret: r.PostForm.Get("secret"), URI: r.PostForm.Get("uri"), Required: required})
		s.formError(w, r, "enrol", page, err)
		return
	}
	s.setSession(w, newToken)
	s.redirect(w, r, safeNext(r.PostForm.Get("next")), translate(langOf(r), "enrol.done"))
}

func (s *Server) logout(w http.ResponseWriter, r *http.Request) {
	if c, err := r.Cookie(SessionCookie); err == nil {
		if err := s.Identity.Logout(r.Context(), c.Value); err != nil {
			s.fail(w, r, err)
			return
		}
	}
	s.clearSession(w)
	http.Redirect(w, r, "/", http.StatusSeeOther)
}

func (s *Server) oidcStart(w http.ResponseWriter, r *http.Request) {
	if s.OIDC == nil {
		s.notFound(w, r)
		return
	}
	st, err := s.OIDC.Start(r.Context())
	if err != nil {
		s.fail(w, r, err)
		return
	}
	v := url.Values{"s": {st.State}, "n": {st.Nonce}, "v": {st.Verifier}, "next": {safeNext(r.FormValue("next"))}}
	http.SetCookie(w, &http.Cookie{Name: oidcCookie, Value: v.Encode(), Path: "/login/oidc", HttpOnly: true,
		SameSite: http.SameSiteLaxMode, Secure: s.SecureCookies, MaxAge: 600})
	http.Redirect(w, r, st.URL, http.StatusFound)
}

func (s *Server) oidcCallback(w http.ResponseWriter, r *http.Request) {
	if s.OIDC == nil {
		s.notFound(w, r)
		return
	}
	var st identity.OIDCStart
	next := "/"
	if c, err := r.Cookie(oidcCookie); err == nil {
		if v, err := url.ParseQuery(c.Value); err == nil {
			st = identity.OIDCStart{State: v.Get("s"), Nonce: v.Get("n"), Verifier: v.Get("v")}
			next = safeNext(v.Get("next"))
		}
	}
	http.SetCookie(w, &http.Cookie{Name: oidcCookie, Path: "/login/oidc", MaxAge: -1})
	if e := r.URL.Query().Get("error"); e != "" {
		s.fail(w, r, apperr.New(apperr.Unauthorized, "Nhà cung cấp định danh không cho phép đăng nhập (%s).", truncate(e, 60)))
		return
	}
	ctx, cancel := context.WithTimeout(r.Context(), 15*time.Second)
	defer cancel()
	res, err := s.OIDC.Complete(ctx, st, r.URL.Query().Get("state"), r.URL.Query().Get("code"), ClientIP(r), r.UserAgent())
	if err != nil {
		if apperr.Is(err, apperr.Unauthorized) {
			err = apperr.New(apperr.Forbidden, "%s", apperr.MessageOf(err))
		}
		s.fail(w, r, err)
		return
	}
	s.setSession(w, res.Token)
	s.afterFirstFactor(w, r, res.Stage, next)
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n]
}
