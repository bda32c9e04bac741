package web

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/congso/congso/internal/actor"
	"github.com/congso/congso/internal/apperr"
	"github.com/congso/congso/internal/db"
	"github.com/congso/congso/internal/identity"
	"github.com/congso/congso/internal/org"
)

// Users: the account list, an account's page with its roles and the actions
// an administrator may take on it, and the form that opens an official's
// account with a first role. The identity and org services decide who may
// see and do what.

func (s *Server) registerAdminUsers(mux *http.ServeMux) {
	mux.HandleFunc("GET /admin/users", s.adminUsers)
	// The search is posted so that names typed into it stay out of addresses
	// (browser history, proxies): they may be citizens' names.
	mux.HandleFunc("POST /admin/users/search", s.adminUsers)
	mux.HandleFunc("GET /admin/users/new", s.adminUserNew)
	mux.HandleFunc("POST /admin/users", s.adminUserCreate)
	mux.HandleFunc("GET /admin/users/{id}", s.adminUser)
	mux.HandleFunc("POST /admin/users/{id}/roles", s.adminUserGrant)
	mux.HandleFunc("POST /admin/users/{id}/roles/revoke", s.adminUserRevoke)
	mux.HandleFunc("POST /admin/users/{id}/disable", s.adminUserDisable(true))
	mux.HandleFunc("POST /admin/users/{id}/enable", s.adminUserDisable(false))
	mux.HandleFunc("POST /admin/users/{id}/reset-totp", s.adminUserResetTOTP)
	mux.HandleFunc("POST /admin/users/{id}/password", s.adminUserPassword)
}

const userPageSize = 50

var userKinds = []actor.Kind{actor.Official, actor.Citizen, actor.Organisation, actor.Machine}

type userListData struct {
	Query string
	Kind  string
	After string
	Kinds []actor.Kind
	Items []identity.User
	// NextAfter is the cursor of the next page, "" on the last.
	NextAfter string
	CanCreate bool
}

func (s *Server) adminUsers(w http.ResponseWriter, r *http.Request) {
	a := s.signedIn(w, r)
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
	d := userListData{Query: strings.TrimSpace(form.Get("q")), Kind: form.Get("kind"), After: form.Get("after"), Kinds: userKinds,
		CanCreate: a.ProvinceAdmin() || a.HasAnywhere(actor.AgencyAdmin)}
	if len(d.Query) > 100 {
		d.Query = d.Query[:100]
	}
	if d.Kind != "" && !actor.Kind(d.Kind).Valid() {
		d.Kind = ""
	}
	items, err := s.Identity.List(r.Context(), a, identity.ListFilter{Kind: actor.Kind(d.Kind), Query: d.Query, After: d.After,
		Limit: userPageSize + 1})
	if err != nil {
		s.fail(w, r, err)
		return
	}
	if len(items) > userPageSize {
		items = items[:userPageSize]
		d.NextAfter = items[len(items)-1].ID
	}
	d.Items = items
	p := s.page(r, translate(langOf(r), "users.title"), d)
	p.Path = "/admin/users"
	s.render(w, r, http.StatusOK, "admin_users", p)
}

// userData is an account's page.
type userData struct {
	User     identity.User
	Roles    []org.Assignment
	Agencies map[string]org.Agency
	// HiddenRoles counts roles in agencies the viewer does not manage.
	HiddenRoles int
	Self        bool
	// What the viewer may try; the services decide.
	CanGrant        bool
	ProvinceAdmin   bool
	CanDisable      bool
	GrantAgencies   []org.Agency
	AgencyRoles     []actor.Role
	ProvinceRoles   []actor.Role
	HoldsRoles      bool // officials and machines hold roles
	PasswordAllowed bool
	PersonalData    bool // reading the account was recorded
	BirthShown      string
}

func (s *Server) userData(ctx context.Context, a *actor.Actor, id string) (userData, error) {
	var d userData
	u, err := s.Identity.Get(ctx, a, id)
	if err != nil {
		return d, err
	}
	d = userData{User: u, Self: a.UserID == u.ID, ProvinceAdmin: a.ProvinceAdmin(), AgencyRoles: actor.AgencyRoles,
		ProvinceRoles: actor.ProvinceRoles, HoldsRoles: u.Kind == actor.Official || u.Kind == actor.Machine,
		PasswordAllowed: u.Kind != actor.Machine, PersonalData: u.HoldsPersonalData() && a.UserID != u.ID}
	if t, err := time.Parse("2006-01-02", u.BirthDate); err == nil {
		d.BirthShown = t.Format("02/01/2006")
	}
	d.CanDisable = !d.Self && (a.ProvinceAdmin() || (a.IsAdmin() && u.Kind == actor.Official))
	if d.HoldsRoles {
		all, err := s.Org.Assignments(ctx, u.ID)
		if err != nil {
			return d, err
		}
		// As the JSON API does: a viewer sees the roles of agencies they may
		// administer, and all of them if province-wide or their own.
		for _, x := range all {
			if d.Self || a.ProvinceWide() || (x.AgencyID != "" && a.CanAdminister(x.AgencyID)) {
				d.Roles = append(d.Roles, x)
			} else {
				d.HiddenRoles++
			}
		}
		ids := []string{}
		for _, x := range d.Roles {
			if x.AgencyID != "" && !slices.Contains(ids, x.AgencyID) {
				ids = append(ids, x.AgencyID)
			}
		}
		if d.Agencies, err = s.agencyNames(ctx, ids); err != nil {
			return d, err
		}
		if d.GrantAgencies, err = s.grantAgencies(ctx, a); err != nil {
			return d, err
		}
		d.CanGrant = a.ProvinceAdmin() || len(d.GrantAgencies) > 0
	}
	return d, nil
}

// grantAgencies are the operating agencies the viewer may grant roles in.
func (s *Server) grantAgencies(ctx context.Context, a *actor.Actor) ([]org.Agency, error) {
	if a.ProvinceAdmin() {
		return s.Org.Agencies(ctx, org.AgencyFilter{Limit: 1000})
	}
	var out []org.Agency
	for _, id := range a.AgencyIDs() {
		if !a.Has(actor.AgencyAdmin, id) {
			continue
		}
		ag, err := s.Org.Agency(ctx, id)
		if err != nil {
			return nil, err
		}
		if !ag.Retired() {
			out = append(out, ag)
		}
	}
	return out, nil
}

func (s *Server) adminUser(w http.ResponseWriter, r *http.Request) {
	a := s.signedIn(w, r)
	if a == nil {
		return
	}
	d, err := s.userData(r.Context(), a, r.PathValue("id"))
	if err != nil {
		s.fail(w, r, err)
		return
	}
	s.render(w, r, http.StatusOK, "admin_user", s.page(r, d.User.DisplayName, d))
}

// userFormError shows the account's page again with the error of one of its
// forms.
func (s *Server) userFormError(w http.ResponseWriter, r *http.Request, a *actor.Actor, id string, err error) {
	d, derr := s.userData(r.Context(), a, id)
	if derr != nil {
		s.fail(w, r, derr)
		return
	}
	p := s.page(r, d.User.DisplayName, d)
	p.Path = "/admin/users/" + id
	s.formError(w, r, "admin_user", p, err)
}

// userAction runs one of the account page's forms and goes back to the page.
func (s *Server) userAction(w http.ResponseWriter, r *http.Request, do func(a *actor.Actor, id string) error, flashKey string) {
	a := s.signedIn(w, r)
	if a == nil {
		return
	}
	if err := parseForm(w, r); err != nil {
		s.fail(w, r, err)
		return
	}
	id := r.PathValue("id")
	if err := do(a, id); err != nil {
		s.userFormError(w, r, a, id, err)
		return
	}
	s.redirect(w, r, "/admin/users/"+url.PathEscape(id), translate(langOf(r), flashKey))
}

func (s *Server) adminUserGrant(w http.ResponseWriter, r *http.Request) {
	s.userAction(w, r, func(a *actor.Actor, id string) error {
		return s.Org.Grant(r.Context(), a, id, r.PostForm.Get("agency_id"), actor.Role(r.PostForm.Get("role")))
	}, "user.granted")
}

func (s *Server) adminUserRevoke(w http.ResponseWriter, r *http.Request) {
	s.userAction(w, r, func(a *actor.Actor, id string) error {
		return s.Org.Revoke(r.Context(), a, id, r.PostForm.Get("agency_id"), actor.Role(r.PostForm.Get("role")))
	}, "user.revoked")
}

func (s *Server) adminUserDisable(disabled bool) http.HandlerFunc {
	key := "user.enabled"
	if disabled {
		key = "user.disabled"
	}
	return func(w http.ResponseWriter, r *http.Request) {
		s.userAction(w, r, func(a *actor.Actor, id string) error {
			return s.Identity.SetDisabled(r.Context(), a, id, disabled)
		}, key)
	}
}

func (s *Server) adminUserResetTOTP(w http.ResponseWriter, r *http.Request) {
	s.userAction(w, r, func(a *actor.Actor, id string) error {
		if r.PostForm.Get("confirm") != "yes" {
			return apperr.Field("confirm_totp", translate(langOf(r), "user.confirm.missing"))
		}
		return s.Identity.ResetTOTP(r.Context(), a, id)
	}, "user.totpreset")
}

func (s *Server) adminUserPassword(w http.ResponseWriter, r *http.Request) {
	s.userAction(w, r, func(a *actor.Actor, id string) error {
		pw := r.PostForm.Get("password")
		r.PostForm.Del("password")
		if a.UserID == id {
			// One's own password is changed on the account page, with the
			// current one.
			return apperr.Field("password", translate(langOf(r), "user.password.self"))
		}
		return s.Identity.SetPassword(r.Context(), a, id, "", pw)
	}, "user.passwordset")
}

// userNewData is the form that opens an official's account.
type userNewData struct {
	Agencies      []org.Agency
	AgencyRoles   []actor.Role
	ProvinceRoles []actor.Role
	ProvinceAdmin bool
	Posted        bool // the form comes back after an error
}

func (s *Server) userNewPage(r *http.Request, a *actor.Actor) (Page, error) {
	agencies, err := s.grantAgencies(r.Context(), a)
	if err != nil {
		return Page{}, err
	}
	d := userNewData{Agencies: agencies, AgencyRoles: actor.AgencyRoles, ProvinceRoles: actor.ProvinceRoles, ProvinceAdmin: a.ProvinceAdmin(),
		Posted: r.Method == http.MethodPost}
	p := s.page(r, translate(langOf(r), "user.new"), d)
	p.Path = "/admin/users/new"
	return p, nil
}

func (s *Server) adminUserNew(w http.ResponseWriter, r *http.Request) {
	a := s.official(w, r)
	if a == nil {
		return
	}
	if !a.ProvinceAdmin() && !a.HasAnywhere(actor.AgencyAdmin) && !a.IsSystem() {
		// The same rule as identity.Service.CreateUser for officials.
		s.fail(w, r, actor.Deny(a, "Bạn không có quyền tạo loại tài khoản này."))
		return
	}
	p, err := s.userNewPage(r, a)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	p.Form = url.Values{"agency_id": {r.URL.Query().Get("agency_id")}}
	s.render(w, r, http.StatusOK, "admin_user_new", p)
}

// adminUserCreate opens an official's account and grants its first role in
// one transaction: a refused role leaves no account behind.
func (s *Server) adminUserCreate(w http.ResponseWriter, r *http.Request) {
	a := s.signedIn(w, r)
	if a == nil {
		return
	}
	if err := parseForm(w, r); err != nil {
		s.fail(w, r, err)
		return
	}
	lang := langOf(r)
	agencyID, role := r.PostForm.Get("agency_id"), actor.Role(r.PostForm.Get("role"))
	fail := func(err error) {
		r.PostForm.Del("password")
		p, perr := s.userNewPage(r, a)
		if perr != nil {
			s.fail(w, r, perr)
			return
		}
		s.formError(w, r, "admin_user_new", p, err)
	}
	switch {
	case role == "":
		fail(apperr.Field("role", translate(lang, "user.role.missing")))
		return
	case agencyID == "" && !role.ProvinceWide():
		fail(apperr.Field("agency_id", "Vai trò này phải gắn với một cơ quan."))
		return
	case agencyID != "" && !role.AgencyScoped():
		fail(apperr.Field("role", "Vai trò này áp dụng toàn tỉnh, không gắn với cơ quan."))
		return
	case agencyID == "" && !a.ProvinceAdmin():
		fail(actor.Deny(a, "Chỉ quản trị toàn tỉnh được giao vai trò toàn tỉnh."))
		return
	case agencyID != "" && !a.CanAdminister(agencyID):
		fail(actor.Deny(a, "Bạn chỉ giao được vai trò trong cơ quan mình quản trị."))
		return
	}
	var u identity.User
	err := s.Tx(r.Context(), func(tx *db.Tx) error {
		var err error
		u, err = s.Identity.CreateUser(r.Context(), tx, a, identity.NewUser{Kind: actor.Official, Username: r.PostForm.Get("username"),
			DisplayName: r.PostForm.Get("display_name"), Email: r.PostForm.Get("email"), Phone: r.PostForm.Get("phone"),
			Password: r.PostForm.Get("password")})
		if err != nil {
			return err
		}
		return s.Org.GrantTx(r.Context(), tx, a, u.ID, agencyID, role)
	})
	if err != nil {
		fail(err)
		return
	}
	to := "/admin/users/" + url.PathEscape(u.ID)
	s.redirect(w, r, to, fmt.Sprintf(translate(lang, "user.created"), u.Username))
}

// userStatus is an account with the language to show its status in.
type userStatus struct {
	Lang string
	User identity.User
}

// Status pairs an account with a language, for the status partial.
func (d userListData) Status(lang string, u identity.User) userStatus {
	return userStatus{Lang: lang, User: u}
}

// Status pairs an account with a language, for the status partial.
func (d userData) Status(lang string, u identity.User) userStatus {
	return userStatus{Lang: lang, User: u}
}
