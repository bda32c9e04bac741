package web

import (
	"net/http"
	"strconv"
	"time"

	"github.com/congso/congso/internal/actor"
	"github.com/congso/congso/internal/apperr"
	"github.com/congso/congso/internal/identity"
	"github.com/congso/congso/internal/org"
)

func (s *Server) registerAccount(mux *http.ServeMux) {
	mux.HandleFunc("GET /account", s.account)
	mux.HandleFunc("POST /account/profile", s.accountProfile)
	mux.HandleFunc("POST /account/password", s.accountPassword)
	mux.HandleFunc("POST /account/logout-all", s.accountLogoutAll)
	mux.HandleFunc("POST /account/tokens", s.accountTokenCreate)
	mux.HandleFunc("POST /account/tokens/{id}/revoke", s.accountTokenRevoke)
}

type accountData struct {
	User     identity.User
	Sessions []identity.Session
	Current  string
	Tokens   []identity.Token
	NewToken string
	Roles    []org.Assignment
	Agencies map[string]org.Agency
}

// signedIn returns the actor or sends the browser to the sign-in page.
func (s *Server) signedIn(w http.ResponseWriter, r *http.Request) *actor.Actor {
	a := actor.From(r.Context())
	if a == nil {
		s.fail(w, r, apperr.New(apperr.Unauthorized, "Bạn cần đăng nhập."))
	}
	return a
}

func (s *Server) accountData(r *http.Request, a *actor.Actor) (accountData, error) {
	ctx := r.Context()
	var d accountData
	var err error
	if d.User, err = s.Identity.Get(ctx, a, a.UserID); err != nil {
		return d, err
	}
	if d.Sessions, err = s.Identity.Sessions(ctx, a); err != nil {
		return d, err
	}
	d.Current = a.SessionID
	if a.Kind == actor.Official || a.Kind == actor.Machine {
		if d.Tokens, err = s.Identity.Tokens(ctx, a, a.UserID); err != nil {
			return d, err
		}
		if d.Roles, err = s.Org.Assignments(ctx, a.UserID); err != nil {
			return d, err
		}
		if d.Agencies, err = s.agencyNames(ctx, a.AgencyIDs()); err != nil {
			return d, err
		}
	}
	return d, nil
}

func (s *Server) account(w http.ResponseWriter, r *http.Request) {
	a := s.signedIn(w, r)
	if a == nil {
		return
	}
	d, err := s.accountData(r, a)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	s.render(w, r, http.StatusOK, "account", s.page(r, translate(langOf(r), "account.title"), d))
}

// accountFormError shows the account page again with the error of one of its forms.
func (s *Server) accountFormError(w http.ResponseWriter, r *http.Request, a *actor.Actor, err error) {
	d, derr := s.accountData(r, a)
	if derr != nil {
		s.fail(w, r, derr)
		return
	}
	s.formError(w, r, "account", s.page(r, translate(langOf(r), "account.title"), d), err)
}

func (s *Server) accountProfile(w http.ResponseWriter, r *http.Request) {
	a := s.signedIn(w, r)
	if a == nil {
		return
	}
	if err := parseForm(w, r); err != nil {
		s.fail(w, r, err)
		return
	}
	if err := s.Identity.UpdateProfile(r.Context(), a, r.PostForm.Get("display_name"), r.PostForm.Get("email"), r.PostForm.Get("phone")); err != nil {
		s.accountFormError(w, r, a, err)
		return
	}
	s.redirect(w, r, "/account", translate(langOf(r), "account.saved"))
}

func (s *Server) accountPassword(w http.ResponseWriter, r *http.Request) {
	a := s.signedIn(w, r)
	if a == nil {
		return
	}
	if err := parseForm(w, r); err != nil {
		s.fail(w, r, err)
		return
	}
	err := s.Identity.SetPassword(r.Context(), a, a.UserID, r.PostForm.Get("current_password"), r.PostForm.Get("password"))
	r.PostForm.Del("current_password")
	r.PostForm.Del("password")
	if err != nil {
		s.accountFormError(w, r, a, err)
		return
	}
	s.redirect(w, r, "/account", translate(langOf(r), "account.password.changed"))
}

func (s *Server) accountLogoutAll(w http.ResponseWriter, r *http.Request) {
	a := s.signedIn(w, r)
	if a == nil {
		return
	}
	if _, err := s.Identity.LogoutEverywhere(r.Context(), a); err != nil {
		s.fail(w, r, err)
		return
	}
	s.clearSession(w)
	s.redirect(w, r, "/login", translate(langOf(r), "account.loggedout.all"))
}

func (s *Server) accountTokenCreate(w http.ResponseWriter, r *http.Request) {
	a := s.signedIn(w, r)
	if a == nil {
		return
	}
	if err := parseForm(w, r); err != nil {
		s.fail(w, r, err)
		return
	}
	var ttl time.Duration
	if days := r.PostForm.Get("days"); days != "" {
		n, err := strconv.Atoi(days)
		if err != nil || n < 0 || n > 3650 {
			s.accountFormError(w, r, a, apperr.Field("days", "Thời hạn là số ngày từ 0 (không hết hạn) đến 3650."))
			return
		}
		ttl = time.Duration(n) * 24 * time.Hour
	}
	secret, _, err := s.Identity.CreateToken(r.Context(), a, a.UserID, r.PostForm.Get("name"), ttl)
	if err != nil {
		s.accountFormError(w, r, a, err)
		return
	}
	// The secret is shown in this response only, never stored or redirected.
	d, err := s.accountData(r, a)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	d.NewToken = secret
	s.render(w, r, http.StatusOK, "account", s.page(r, translate(langOf(r), "account.title"), d))
}

func (s *Server) accountTokenRevoke(w http.ResponseWriter, r *http.Request) {
	a := s.signedIn(w, r)
	if a == nil {
		return
	}
	if err := s.Identity.RevokeToken(r.Context(), a, r.PathValue("id")); err != nil {
		s.fail(w, r, err)
		return
	}
	s.redirect(w, r, "/account", translate(langOf(r), "account.token.revoked"))
}
