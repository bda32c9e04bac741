package web

import (
	"net/http"
	"strings"

	"github.com/congso/congso/internal/actor"
	"github.com/congso/congso/internal/apperr"
	"github.com/congso/congso/internal/identity"
)

// Sign-up of citizens (with their 12-digit citizen ID) and organisations
// (with their enterprise code): the account's login is that number, the
// password follows the platform's policy, and the new account is signed in
// at once. Every problem is shown next to its field, in Vietnamese.

type portalSignupData struct {
	Next  string
	Today string
}

// Kind is the kind of account chosen in the form.
func (d portalSignupData) Kind(p Page) string {
	if p.Value("kind") == string(actor.Organisation) {
		return string(actor.Organisation)
	}
	return string(actor.Citizen)
}

func (p *portal) signupPage(r *http.Request) Page {
	pg := p.page(r, "portal.signup.title", portalSignupData{Next: safeNext(r.FormValue("next")), Today: p.s.today().String()})
	pg.Path = "/dang-ky"
	return pg
}

func (p *portal) signupForm(w http.ResponseWriter, r *http.Request) {
	if actor.From(r.Context()) != nil {
		http.Redirect(w, r, "/dich-vu-cong", http.StatusSeeOther)
		return
	}
	p.s.render(w, r, http.StatusOK, "portal_signup", p.signupPage(r))
}

// signupField maps the identity service's field names to the form's.
func signupField(k string) string {
	switch k {
	case "citizen_id", "org_code", "username":
		return "id_number"
	}
	return k
}

func (p *portal) signup(w http.ResponseWriter, r *http.Request) {
	if actor.From(r.Context()) != nil {
		http.Redirect(w, r, "/dich-vu-cong", http.StatusSeeOther)
		return
	}
	if err := parseForm(w, r); err != nil {
		p.s.fail(w, r, err)
		return
	}
	ctx := r.Context()
	lang := langOf(r)
	f := r.PostForm
	kind := actor.Citizen
	if f.Get("kind") == string(actor.Organisation) {
		kind = actor.Organisation
	}
	number := strings.TrimSpace(f.Get("id_number"))
	password := f.Get("password")
	in := identity.NewUser{Kind: kind, Username: strings.ToLower(number), DisplayName: f.Get("display_name"), Phone: f.Get("phone"),
		Email: f.Get("email"), Password: password}
	errs := apperr.Fields{}
	if kind == actor.Citizen {
		in.CitizenID, in.BirthDate = number, strings.TrimSpace(f.Get("birth_date"))
		if in.BirthDate == "" {
			errs.Add("birth_date", translate(lang, "portal.signup.err.birth"))
		}
	} else {
		in.OrgCode = number
	}
	if number == "" {
		errs.Add("id_number", translate(lang, "portal.signup.err.number"))
	}
	if strings.TrimSpace(in.Phone) == "" {
		errs.Add("phone", translate(lang, "portal.signup.err.phone"))
	}
	if f.Get("password_confirm") != password {
		errs.Add("password_confirm", translate(lang, "portal.signup.err.confirm"))
	}
	if f.Get("consent") != "yes" {
		errs.Add("consent", translate(lang, "portal.signup.err.consent"))
	}
	check := in
	for k, v := range apperr.FieldsOf(check.Normalize()) {
		errs.Add(signupField(k), v)
	}
	// The passwords never come back in the page.
	f.Del("password")
	f.Del("password_confirm")
	if len(errs) > 0 {
		p.s.formError(w, r, "portal_signup", p.signupPage(r), errs.Err())
		return
	}
	if !p.signups.allow(ClientIP(r)) {
		p.s.formError(w, r, "portal_signup", p.signupPage(r), tooMany(lang))
		return
	}
	if _, err := p.s.Identity.Create(ctx, nil, in); err != nil {
		fields := apperr.Fields{}
		for k, v := range apperr.FieldsOf(err) {
			fields.Add(signupField(k), v)
		}
		if len(fields) > 0 {
			err = fields.Err()
		}
		p.s.formError(w, r, "portal_signup", p.signupPage(r), err)
		return
	}
	res, err := p.s.Identity.Login(ctx, identity.LoginInput{Login: number, Password: password, IP: ClientIP(r), UserAgent: r.UserAgent()})
	if err != nil {
		// The account exists; the citizen signs in by hand.
		p.s.redirect(w, r, "/login", translate(lang, "portal.signup.done"))
		return
	}
	p.s.setSession(w, res.Token)
	next := safeNext(f.Get("next"))
	if next == "/" {
		next = "/dich-vu-cong"
	}
	if res.Stage != identity.StageDone {
		p.s.afterFirstFactor(w, r, res.Stage, next)
		return
	}
	p.s.redirect(w, r, next, translate(lang, "portal.signup.done"))
}
