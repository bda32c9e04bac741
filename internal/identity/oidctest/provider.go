// Package oidctest is an OpenID Connect provider that runs in-process, for
// tests and for the `congso sim idp` simulator of a VNeID-style national
// identity provider or a province's single sign-on.
//
// It follows the standards the way a real provider does, refusals included:
// discovery (/.well-known/openid-configuration), an RS256 key set (/jwks), the
// authorization-code flow (/authorize) with state, nonce and PKCE S256 all
// required, a token endpoint (/token) that authenticates the client
// (client_secret_basic or client_secret_post) and checks the code (known,
// unused, unexpired, issued to this client for this redirect URI) and the PKCE
// verifier, and /userinfo. A code presented twice is refused, and the access
// token issued for it is revoked (RFC 6749 §4.1.2).
//
// Nobody types a password: /authorize signs in one of the configured users at
// once, chosen by the login_hint parameter (a subject, preferred username,
// citizen ID or e-mail), else Options.DefaultUser, else the first user; with
// Options.Chooser it shows a page to pick one instead. SetFailure makes the
// provider misbehave in the ways a client must survive: refusing sign-in,
// signing with a foreign key, issuing expired tokens or tokens for another
// audience, issuer or nonce, answering 500 or hanging at the token endpoint.
//
// A test starts one with New and Start, points the client at the returned
// issuer URL, and drives the browser's part with Authorize:
//
//	p, _ := oidctest.New(oidctest.Options{
//		Clients: []oidctest.Client{{ID: "congso", Secret: "s3cret", RedirectURIs: []string{cb}}},
//		Users:   oidctest.DemoCitizens(),
//	})
//	issuer, _ := p.Start()
//	defer p.Close()
//	callback, _ := p.Authorize(ctx, authURL, "042090001234") // ?code=…&state=…
package oidctest

import (
	"context"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/json"
	"errors"
	"fmt"
	"html/template"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"sync"
	"time"
)

// User is a person the provider knows. Empty claims are left out of tokens.
type User struct {
	// Subject is the provider's stable identifier for the person (sub).
	Subject           string
	Name              string
	PreferredUsername string
	Email             string
	// EmailVerified is sent as email_verified with the e-mail address.
	EmailVerified bool
	Phone         string
	// PhoneUnverified sends phone_number_verified=false with the phone number
	// (it is true otherwise: a national identity provider vouches for it).
	PhoneUnverified bool
	// Birthdate is YYYY-MM-DD (or YYYY, or 0000-MM-DD, as OpenID Connect allows).
	Birthdate string
	// CitizenID is the 12-digit citizen ID number, sent in the claim named by
	// Options.CitizenIDClaim.
	CitizenID string
	// AMR lists the authentication methods used (RFC 8176: "pwd", "otp",
	// "mfa", "hwk", …); ["pwd"] when empty.
	AMR []string
	// Extra claims are added to the ID token and userinfo as they are, and
	// override the ones above (e.g. a citizen ID sent as a JSON number).
	Extra map[string]any
}

// Client is a relying party registered with the provider.
type Client struct {
	ID     string
	Secret string
	// RedirectURIs are the exact callback addresses allowed; an empty list
	// allows any (a simulator convenience that real providers do not offer).
	RedirectURIs []string
}

// Failure is a way for the provider to misbehave, set with SetFailure.
type Failure string

// The failures a client must survive.
const (
	// None: the provider behaves.
	None Failure = ""
	// AccessDenied: /authorize sends the browser back with error=access_denied,
	// as when the person refuses consent.
	AccessDenied Failure = "access_denied"
	// BadSignature: ID tokens are signed with a key not in /jwks (but under
	// the key ID of the real one).
	BadSignature Failure = "bad_signature"
	// Expired: ID tokens expired a minute before they were issued.
	Expired Failure = "expired"
	// WrongAudience: ID tokens are issued to another client.
	WrongAudience Failure = "wrong_audience"
	// WrongIssuer: ID tokens name another issuer.
	WrongIssuer Failure = "wrong_issuer"
	// WrongNonce: ID tokens carry a nonce other than the one asked for.
	WrongNonce Failure = "wrong_nonce"
	// TokenServerError: /token answers 500 Internal Server Error.
	TokenServerError Failure = "token_server_error"
	// TokenHang: /token does not answer until the client gives up (or the
	// provider closes).
	TokenHang Failure = "token_hang"
)

// Failures lists every failure mode, for command-line help.
func Failures() []Failure {
	return []Failure{AccessDenied, BadSignature, Expired, WrongAudience, WrongIssuer, WrongNonce, TokenServerError, TokenHang}
}

// ParseFailure reads a failure mode by name ("" or "none" is None).
func ParseFailure(s string) (Failure, error) {
	if s == "" || s == "none" {
		return None, nil
	}
	if f := Failure(s); slices.Contains(Failures(), f) {
		return f, nil
	}
	return None, fmt.Errorf("oidctest: unknown failure %q", s)
}

// Token endpoint client authentication methods.
const (
	ClientSecretBasic = "client_secret_basic"
	ClientSecretPost  = "client_secret_post"
)

// Options configure a Provider. Every field is optional.
type Options struct {
	// Issuer is the provider's public URL. Empty means the address Start
	// listens on ("http://127.0.0.1:PORT"). A path in it prefixes every
	// endpoint.
	Issuer string
	// Addr is where Start listens; "127.0.0.1:0" (a free loopback port) by default.
	Addr    string
	Clients []Client
	Users   []User
	// DefaultUser picks the user signed in when /authorize has no login_hint
	// (matched like login_hint); the first user when empty.
	DefaultUser string
	// Chooser makes /authorize without a login_hint show a page listing the
	// users (and a refuse button) instead of signing one in at once: the
	// simulator's mode for people at a browser.
	Chooser bool
	// CitizenIDClaim names the citizen ID claim; "citizen_id" by default.
	CitizenIDClaim string
	// TokenAuthMethods are the client authentication methods /token accepts
	// and discovery advertises; both client_secret_basic and
	// client_secret_post by default.
	TokenAuthMethods []string
	// Now is the provider's clock (time.Now by default); give it the same
	// clock as the client under test.
	Now func() time.Time
	// CodeTTL is how long an authorization code stays valid (1 minute);
	// TokenTTL how long ID and access tokens do (5 minutes).
	CodeTTL  time.Duration
	TokenTTL time.Duration
	// Key signs ID tokens (at least 2048 bits); a fresh key by default.
	Key *rsa.PrivateKey
	// Failure is the failure mode to start in.
	Failure Failure
	// Log receives one line per sign-in and token request; nothing by default.
	// It never gets claims or secrets.
	Log *slog.Logger
}

// Provider is a running (or ready to run) OpenID Connect provider. Its
// methods are safe for concurrent use.
type Provider struct {
	opts    Options
	prefix  string
	key     signingKey
	log     *slog.Logger
	chooser *template.Template
	handler http.Handler

	mu       sync.Mutex
	issuer   string
	users    []User
	clients  map[string]Client
	failure  Failure
	rogue    *rsa.PrivateKey
	codes    map[string]*grant
	tokens   map[string]*accessToken
	requests map[string]int
	server   *http.Server
	stopped  chan struct{}
}

// grant is an authorization code and what it was issued for.
type grant struct {
	clientID    string
	redirectURI string
	subject     string
	nonce       string
	challenge   string
	scopes      []string
	authTime    time.Time
	expires     time.Time
	used        bool
}

type accessToken struct {
	code    string
	subject string
	scopes  []string
	expires time.Time
}

// New returns a provider; Start serves it, or mount Handler yourself.
func New(opts Options) (*Provider, error) {
	if opts.Addr == "" {
		opts.Addr = "127.0.0.1:0"
	}
	if opts.CitizenIDClaim == "" {
		opts.CitizenIDClaim = "citizen_id"
	}
	if len(opts.TokenAuthMethods) == 0 {
		opts.TokenAuthMethods = []string{ClientSecretBasic, ClientSecretPost}
	}
	for _, m := range opts.TokenAuthMethods {
		if m != ClientSecretBasic && m != ClientSecretPost {
			return nil, fmt.Errorf("oidctest: unsupported token endpoint auth method %q", m)
		}
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.CodeTTL <= 0 {
		opts.CodeTTL = time.Minute
	}
	if opts.TokenTTL <= 0 {
		opts.TokenTTL = 5 * time.Minute
	}
	if _, err := ParseFailure(string(opts.Failure)); err != nil {
		return nil, err
	}
	p := &Provider{opts: opts, log: opts.Log, issuer: strings.TrimSuffix(opts.Issuer, "/"), clients: map[string]Client{},
		failure: opts.Failure, codes: map[string]*grant{}, tokens: map[string]*accessToken{}, requests: map[string]int{}}
	if p.log == nil {
		p.log = slog.New(slog.DiscardHandler)
	}
	if p.issuer != "" {
		u, err := url.Parse(p.issuer)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.RawQuery != "" || u.Fragment != "" {
			return nil, fmt.Errorf("oidctest: issuer %q must be an http(s) URL without query or fragment", opts.Issuer)
		}
		p.prefix = strings.TrimSuffix(u.Path, "/")
	}
	var err error
	if p.key, err = newSigningKey(opts.Key); err != nil {
		return nil, err
	}
	for _, c := range opts.Clients {
		if err := p.AddClient(c); err != nil {
			return nil, err
		}
	}
	for _, u := range opts.Users {
		if err := p.AddUser(u); err != nil {
			return nil, err
		}
	}
	p.chooser = template.Must(template.New("chooser").Parse(chooserPage))
	mux := http.NewServeMux()
	mux.HandleFunc("GET "+p.prefix+"/.well-known/openid-configuration", p.discovery)
	mux.HandleFunc("GET "+p.prefix+"/jwks", p.jwks)
	mux.HandleFunc("GET "+p.prefix+"/authorize", p.authorize)
	mux.HandleFunc("POST "+p.prefix+"/authorize", p.authorize)
	mux.HandleFunc("POST "+p.prefix+"/token", p.token)
	mux.HandleFunc("GET "+p.prefix+"/userinfo", p.userinfo)
	mux.HandleFunc("POST "+p.prefix+"/userinfo", p.userinfo)
	p.handler = p.count(mux)
	return p, nil
}

// AddUser adds a user, or replaces the one with the same subject.
func (p *Provider) AddUser(u User) error {
	if u.Subject == "" {
		return errors.New("oidctest: a user needs a subject")
	}
	u.AMR = slices.Clone(u.AMR)
	p.mu.Lock()
	defer p.mu.Unlock()
	if i := slices.IndexFunc(p.users, func(x User) bool { return x.Subject == u.Subject }); i >= 0 {
		p.users[i] = u
	} else {
		p.users = append(p.users, u)
	}
	return nil
}

// AddClient registers a client, or replaces the one with the same ID.
func (p *Provider) AddClient(c Client) error {
	if c.ID == "" || c.Secret == "" {
		return errors.New("oidctest: a client needs an ID and a secret")
	}
	c.RedirectURIs = slices.Clone(c.RedirectURIs)
	p.mu.Lock()
	defer p.mu.Unlock()
	p.clients[c.ID] = c
	return nil
}

// SetFailure switches the failure mode for the requests that follow (None to
// behave again).
func (p *Provider) SetFailure(f Failure) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.failure = f
}

// Requests counts the requests served on an endpoint path ("/token",
// "/.well-known/openid-configuration", …, without the issuer's path).
func (p *Provider) Requests(path string) int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.requests[path]
}

// Handler serves the provider's endpoints. Without Options.Issuer and Start,
// the issuer is taken from each request's Host.
func (p *Provider) Handler() http.Handler { return p.handler }

// Issuer is the issuer URL ("" before Start when Options.Issuer is empty).
func (p *Provider) Issuer() string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.issuer
}

// Start listens on Options.Addr and serves in the background until Close; it
// returns the issuer URL.
func (p *Provider) Start() (string, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.server != nil {
		return "", errors.New("oidctest: provider already started")
	}
	ln, err := net.Listen("tcp", p.opts.Addr)
	if err != nil {
		return "", fmt.Errorf("oidctest: listen on %s: %w", p.opts.Addr, err)
	}
	if p.issuer == "" {
		host, port, _ := net.SplitHostPort(ln.Addr().String())
		if ip := net.ParseIP(host); ip == nil || ip.IsUnspecified() {
			host = "127.0.0.1"
		}
		p.issuer = "http://" + net.JoinHostPort(host, port)
	}
	p.stopped = make(chan struct{})
	srv := &http.Server{Handler: p.handler, ReadHeaderTimeout: 10 * time.Second}
	p.server = srv
	go func() { _ = srv.Serve(ln) }()
	return p.issuer, nil
}

// Close stops the server and the requests in flight (a hanging /token
// included).
func (p *Provider) Close() error {
	p.mu.Lock()
	srv, stopped := p.server, p.stopped
	p.server = nil
	p.mu.Unlock()
	if srv == nil {
		return nil
	}
	close(stopped)
	return srv.Close()
}

// Serve runs a provider on addr until ctx ends: the simulator's entry point.
// The issuer URL is logged to opts.Log when the provider is up.
func Serve(ctx context.Context, addr string, opts Options) error {
	opts.Addr = addr
	p, err := New(opts)
	if err != nil {
		return err
	}
	issuer, err := p.Start()
	if err != nil {
		return err
	}
	p.log.Info("OpenID Connect provider listening", "issuer", issuer, "users", len(opts.Users), "clients", len(opts.Clients))
	<-ctx.Done()
	return p.Close()
}

// Authorize plays the browser: it adds login_hint (when not empty) to the
// authorization URL, requests it without following the redirect, and returns
// where the provider sends the browser back — the client's callback with code
// and state, or with error.
func (p *Provider) Authorize(ctx context.Context, authURL, loginHint string) (*url.URL, error) {
	u, err := url.Parse(authURL)
	if err != nil {
		return nil, fmt.Errorf("oidctest: authorization URL: %w", err)
	}
	if loginHint != "" {
		q := u.Query()
		q.Set("login_hint", loginHint)
		u.RawQuery = q.Encode()
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u.String(), nil)
	if err != nil {
		return nil, err
	}
	c := &http.Client{Timeout: 10 * time.Second, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := c.Do(req)
	if err != nil {
		return nil, fmt.Errorf("oidctest: authorize: %w", err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(io.LimitReader(resp.Body, 4096))
	if resp.StatusCode != http.StatusFound && resp.StatusCode != http.StatusSeeOther {
		return nil, fmt.Errorf("oidctest: authorize answered %s: %s", resp.Status, strings.TrimSpace(string(body)))
	}
	return resp.Location()
}

func (p *Provider) count(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		p.mu.Lock()
		p.requests[strings.TrimPrefix(r.URL.Path, p.prefix)]++
		p.mu.Unlock()
		next.ServeHTTP(w, r)
	})
}

func (p *Provider) issuerFor(r *http.Request) string {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.issuer != "" {
		return p.issuer
	}
	scheme := "http"
	if r.TLS != nil {
		scheme = "https"
	}
	return scheme + "://" + r.Host + p.prefix
}

func (p *Provider) discovery(w http.ResponseWriter, r *http.Request) {
	iss := p.issuerFor(r)
	writeJSON(w, http.StatusOK, map[string]any{
		"issuer":                                iss,
		"authorization_endpoint":                iss + "/authorize",
		"token_endpoint":                        iss + "/token",
		"userinfo_endpoint":                     iss + "/userinfo",
		"jwks_uri":                              iss + "/jwks",
		"response_types_supported":              []string{"code"},
		"response_modes_supported":              []string{"query"},
		"grant_types_supported":                 []string{"authorization_code"},
		"subject_types_supported":               []string{"public"},
		"id_token_signing_alg_values_supported": []string{"RS256"},
		"scopes_supported":                      []string{"openid", "profile", "email", "phone"},
		"token_endpoint_auth_methods_supported": p.opts.TokenAuthMethods,
		"code_challenge_methods_supported":      []string{"S256"},
		"claims_supported": []string{"iss", "sub", "aud", "exp", "iat", "auth_time", "nonce", "amr", "name",
			"preferred_username", "birthdate", "email", "email_verified", "phone_number", "phone_number_verified", p.opts.CitizenIDClaim},
		"authorization_response_iss_parameter_supported": true,
	})
}

func (p *Provider) jwks(w http.ResponseWriter, r *http.Request) {
	writeJSON(w, http.StatusOK, map[string]any{"keys": []any{p.key.jwk()}})
}

// findUser matches a login hint against subjects, usernames, citizen IDs and
// e-mail addresses. The caller holds p.mu.
func (p *Provider) findUser(hint string) (User, bool) {
	if hint == "" {
		if len(p.users) == 0 {
			return User{}, false
		}
		if p.opts.DefaultUser == "" {
			return p.users[0], true
		}
		hint = p.opts.DefaultUser
	}
	for _, u := range p.users {
		if u.Subject == hint || (u.PreferredUsername != "" && strings.EqualFold(u.PreferredUsername, hint)) ||
			(u.CitizenID != "" && u.CitizenID == hint) || (u.Email != "" && strings.EqualFold(u.Email, hint)) {
			return u, true
		}
	}
	return User{}, false
}

// userBySubject finds a user by subject. The caller holds p.mu.
func (p *Provider) userBySubject(sub string) (User, bool) {
	i := slices.IndexFunc(p.users, func(u User) bool { return u.Subject == sub })
	if i < 0 {
		return User{}, false
	}
	return p.users[i], true
}

func (p *Provider) authorize(w http.ResponseWriter, r *http.Request) {
	if err := r.ParseForm(); err != nil {
		http.Error(w, "invalid request", http.StatusBadRequest)
		return
	}
	q := r.Form
	clientID, redirectURI := q.Get("client_id"), q.Get("redirect_uri")
	p.mu.Lock()
	client, known := p.clients[clientID]
	failure := p.failure
	p.mu.Unlock()
	// Without a known client and one of its redirect URIs, the error is shown
	// here: sending the browser to an unchecked address would make the
	// provider an open redirector.
	if !known {
		p.log.Info("authorize refused", "reason", "unknown client")
		http.Error(w, "invalid_request: unknown client_id", http.StatusBadRequest)
		return
	}
	if !validRedirect(client, redirectURI) {
		p.log.Info("authorize refused", "client", clientID, "reason", "redirect_uri not registered")
		http.Error(w, "invalid_request: redirect_uri is missing or not registered for this client", http.StatusBadRequest)
		return
	}
	back := func(v url.Values) {
		v.Set("iss", p.issuerFor(r))
		if s := q.Get("state"); s != "" {
			v.Set("state", s)
		}
		u, _ := url.Parse(redirectURI)
		cur := u.Query()
		for k, vs := range v {
			cur[k] = vs
		}
		u.RawQuery = cur.Encode()
		http.Redirect(w, r, u.String(), http.StatusFound)
	}
	fail := func(code, desc string) {
		p.log.Info("authorize refused", "client", clientID, "error", code)
		back(url.Values{"error": {code}, "error_description": {desc}})
	}
	scopes := strings.Fields(q.Get("scope"))
	switch {
	case q.Get("response_type") != "code":
		fail("unsupported_response_type", "only the authorization code flow (response_type=code) is supported")
		return
	case !slices.Contains(scopes, "openid"):
		fail("invalid_scope", "the openid scope is required")
		return
	case q.Get("state") == "":
		fail("invalid_request", "state is required")
		return
	case q.Get("nonce") == "":
		fail("invalid_request", "nonce is required")
		return
	case q.Get("code_challenge") == "" || q.Get("code_challenge_method") != "S256":
		fail("invalid_request", "PKCE with code_challenge_method=S256 is required")
		return
	case len(q.Get("code_challenge")) != 43:
		fail("invalid_request", "code_challenge must be a base64url SHA-256 digest")
		return
	case failure == AccessDenied || q.Get("deny") != "":
		fail("access_denied", "the user refused to sign in")
		return
	}
	hint := q.Get("login_hint")
	if hint == "" && p.opts.Chooser && q.Get("prompt") != "none" {
		p.showChooser(w, r)
		return
	}
	p.mu.Lock()
	user, ok := p.findUser(hint)
	p.mu.Unlock()
	if !ok {
		if q.Get("prompt") == "none" {
			fail("login_required", "no user is signed in")
		} else {
			fail("access_denied", "no such user")
		}
		return
	}
	code := randomToken()
	now := p.opts.Now()
	p.mu.Lock()
	p.sweep(now)
	p.codes[code] = &grant{clientID: clientID, redirectURI: redirectURI, subject: user.Subject, nonce: q.Get("nonce"),
		challenge: q.Get("code_challenge"), scopes: scopes, authTime: now, expires: now.Add(p.opts.CodeTTL)}
	p.mu.Unlock()
	p.log.Info("signed in", "client", clientID)
	back(url.Values{"code": {code}})
}

func validRedirect(c Client, uri string) bool {
	u, err := url.Parse(uri)
	if err != nil || !u.IsAbs() || u.Fragment != "" || (u.Scheme != "http" && u.Scheme != "https") {
		return false
	}
	return len(c.RedirectURIs) == 0 || slices.Contains(c.RedirectURIs, uri)
}

// sweep forgets codes and tokens long expired, so that a simulator running
// for weeks does not grow. The caller holds p.mu.
func (p *Provider) sweep(now time.Time) {
	for k, g := range p.codes {
		// Used codes are kept a while after expiry so that a replay is
		// recognised as one.
		if now.After(g.expires.Add(10 * time.Minute)) {
			delete(p.codes, k)
		}
	}
	for k, t := range p.tokens {
		if now.After(t.expires) {
			delete(p.tokens, k)
		}
	}
}

type chooserData struct {
	Issuer string
	Users  []chooserUser
	Deny   string
}

type chooserUser struct {
	Label, Detail, URL string
}

func (p *Provider) showChooser(w http.ResponseWriter, r *http.Request) {
	with := func(k, v string) string {
		q := r.Form
		c := url.Values{}
		for key, vs := range q {
			c[key] = slices.Clone(vs)
		}
		c.Set(k, v)
		return p.prefix + "/authorize?" + c.Encode()
	}
	d := chooserData{Issuer: p.issuerFor(r), Deny: with("deny", "1")}
	p.mu.Lock()
	for _, u := range p.users {
		label := u.Name
		if label == "" {
			label = u.Subject
		}
		detail := u.PreferredUsername
		if u.CitizenID != "" {
			detail = "CCCD " + u.CitizenID
		}
		d.Users = append(d.Users, chooserUser{Label: label, Detail: detail, URL: with("login_hint", u.Subject)})
	}
	p.mu.Unlock()
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	_ = p.chooser.Execute(w, d)
}

const chooserPage = `<!doctype html>
<html lang="vi"><head><meta charset="utf-8"><title>Nhà cung cấp định danh mô phỏng</title>
<style>body{font-family:sans-serif;max-width:36em;margin:3em auto}a.u{display:block;padding:.6em;border:1px solid #ccc;margin:.4em 0;text-decoration:none;color:#000}small{color:#555}</style>
</head><body>
<h1>Nhà cung cấp định danh mô phỏng</h1>
<p><small>{{.Issuer}} — chỉ dùng để thử nghiệm.</small></p>
<p>Chọn người đăng nhập:</p>
{{range .Users}}<a class="u" href="{{.URL}}">{{.Label}}<br><small>{{.Detail}}</small></a>
{{else}}<p>Chưa có người dùng nào.</p>{{end}}
<p><a href="{{.Deny}}">Từ chối đăng nhập</a></p>
</body></html>`

// tokenError answers /token with an OAuth 2.0 error (RFC 6749 §5.2).
func tokenError(w http.ResponseWriter, status int, code, desc string) {
	writeJSON(w, status, map[string]string{"error": code, "error_description": desc})
}

// authenticateClient checks the client's credentials, sent either in an HTTP
// Basic header (form-encoded, RFC 6749 §2.3.1) or in the form, never both.
func (p *Provider) authenticateClient(w http.ResponseWriter, r *http.Request) (Client, bool) {
	id, secret, basic := r.BasicAuth()
	method := ClientSecretBasic
	if basic {
		var err1, err2 error
		id, err1 = url.QueryUnescape(id)
		secret, err2 = url.QueryUnescape(secret)
		if err1 != nil || err2 != nil {
			tokenError(w, http.StatusBadRequest, "invalid_request", "malformed client credentials")
			return Client{}, false
		}
		if r.PostForm.Get("client_secret") != "" {
			tokenError(w, http.StatusBadRequest, "invalid_request", "client authenticated in more than one way")
			return Client{}, false
		}
		if f := r.PostForm.Get("client_id"); f != "" && f != id {
			tokenError(w, http.StatusBadRequest, "invalid_request", "client_id does not match the credentials")
			return Client{}, false
		}
	} else {
		id, secret, method = r.PostForm.Get("client_id"), r.PostForm.Get("client_secret"), ClientSecretPost
	}
	refuse := func(desc string) (Client, bool) {
		if basic {
			w.Header().Set("WWW-Authenticate", `Basic realm="oidctest"`)
		}
		p.log.Info("token refused", "error", "invalid_client")
		tokenError(w, http.StatusUnauthorized, "invalid_client", desc)
		return Client{}, false
	}
	if secret == "" {
		return refuse("client authentication is required")
	}
	if !slices.Contains(p.opts.TokenAuthMethods, method) {
		return refuse("client authentication method " + method + " is not allowed")
	}
	p.mu.Lock()
	c, ok := p.clients[id]
	p.mu.Unlock()
	if !ok || subtle.ConstantTimeCompare([]byte(c.Secret), []byte(secret)) != 1 {
		return refuse("unknown client or wrong secret")
	}
	return c, true
}

func (p *Provider) token(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("Pragma", "no-cache")
	p.mu.Lock()
	failure, stopped := p.failure, p.stopped
	p.mu.Unlock()
	switch failure {
	case TokenServerError:
		p.log.Info("token failed", "error", "simulated 500")
		http.Error(w, "Internal Server Error", http.StatusInternalServerError)
		return
	case TokenHang:
		p.log.Info("token hanging", "error", "simulated hang")
		select {
		case <-r.Context().Done():
		case <-stopped: // nil when not started by Start: waits for the client alone
		}
		return
	}
	if ct := r.Header.Get("Content-Type"); !strings.HasPrefix(ct, "application/x-www-form-urlencoded") {
		tokenError(w, http.StatusBadRequest, "invalid_request", "the body must be application/x-www-form-urlencoded")
		return
	}
	r.Body = http.MaxBytesReader(w, r.Body, 64<<10)
	if err := r.ParseForm(); err != nil {
		tokenError(w, http.StatusBadRequest, "invalid_request", "malformed form")
		return
	}
	client, ok := p.authenticateClient(w, r)
	if !ok {
		return
	}
	if gt := r.PostForm.Get("grant_type"); gt != "authorization_code" {
		tokenError(w, http.StatusBadRequest, "unsupported_grant_type", "only authorization_code is supported")
		return
	}
	now := p.opts.Now()
	code := r.PostForm.Get("code")
	p.mu.Lock()
	g, found := p.codes[code]
	var problem string
	switch {
	case !found:
		problem = "unknown authorization code"
	case g.used:
		problem = "authorization code already used"
		// RFC 6749 §4.1.2: a code presented twice revokes what it gave.
		for k, t := range p.tokens {
			if t.code == code {
				delete(p.tokens, k)
			}
		}
	case g.clientID != client.ID:
		problem = "authorization code was issued to another client"
	case !now.Before(g.expires):
		problem = "authorization code expired"
	case g.redirectURI != r.PostForm.Get("redirect_uri"):
		problem = "redirect_uri does not match the authorization request"
	case !pkceMatches(g.challenge, r.PostForm.Get("code_verifier")):
		problem = "PKCE code_verifier does not match the code_challenge"
	}
	if found {
		// A code is good for one attempt, successful or not.
		g.used = true
	}
	var user User
	if problem == "" {
		var ok bool
		if user, ok = p.userBySubject(g.subject); !ok {
			problem = "the user no longer exists"
		}
	}
	p.mu.Unlock()
	if problem != "" {
		p.log.Info("token refused", "client", client.ID, "error", "invalid_grant", "reason", problem)
		tokenError(w, http.StatusBadRequest, "invalid_grant", problem)
		return
	}
	access := randomToken()
	idToken, err := p.idToken(r, client.ID, g, user, access, failure, now)
	if err != nil {
		tokenError(w, http.StatusInternalServerError, "server_error", "could not sign the ID token")
		return
	}
	p.mu.Lock()
	p.tokens[access] = &accessToken{code: code, subject: user.Subject, scopes: g.scopes, expires: now.Add(p.opts.TokenTTL)}
	p.mu.Unlock()
	p.log.Info("token issued", "client", client.ID)
	writeJSON(w, http.StatusOK, map[string]any{"access_token": access, "token_type": "Bearer",
		"expires_in": int(p.opts.TokenTTL / time.Second), "id_token": idToken, "scope": strings.Join(g.scopes, " ")})
}

func pkceMatches(challenge, verifier string) bool {
	// RFC 7636 §4.1: 43 to 128 unreserved characters.
	if len(verifier) < 43 || len(verifier) > 128 || strings.Trim(verifier,
		"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~") != "" {
		return false
	}
	sum := sha256.Sum256([]byte(verifier))
	return subtle.ConstantTimeCompare([]byte(b64.EncodeToString(sum[:])), []byte(challenge)) == 1
}

// claims are a user's claims released for the scopes.
func (p *Provider) claims(u User, scopes []string) map[string]any {
	c := map[string]any{"sub": u.Subject}
	set := func(k string, v any) {
		if s, ok := v.(string); !ok || s != "" {
			c[k] = v
		}
	}
	if slices.Contains(scopes, "profile") {
		set("name", u.Name)
		set("preferred_username", u.PreferredUsername)
		set("birthdate", u.Birthdate)
	}
	if slices.Contains(scopes, "email") && u.Email != "" {
		c["email"], c["email_verified"] = u.Email, u.EmailVerified
	}
	if slices.Contains(scopes, "phone") && u.Phone != "" {
		c["phone_number"], c["phone_number_verified"] = u.Phone, !u.PhoneUnverified
	}
	// A national identity provider releases the citizen ID with openid.
	set(p.opts.CitizenIDClaim, u.CitizenID)
	for k, v := range u.Extra {
		c[k] = v
	}
	return c
}

func (p *Provider) idToken(r *http.Request, clientID string, g *grant, u User, access string, failure Failure, now time.Time) (string, error) {
	iss, aud, nonce := p.issuerFor(r), clientID, g.nonce
	iat, exp := now, now.Add(p.opts.TokenTTL)
	key := p.key.key
	switch failure {
	case BadSignature:
		p.mu.Lock()
		if p.rogue == nil {
			var err error
			if p.rogue, err = rsa.GenerateKey(rand.Reader, 2048); err != nil {
				p.mu.Unlock()
				return "", err
			}
		}
		key = p.rogue
		p.mu.Unlock()
	case Expired:
		iat, exp = now.Add(-p.opts.TokenTTL-time.Minute), now.Add(-time.Minute)
	case WrongAudience:
		aud = clientID + "-other"
	case WrongIssuer:
		iss += "/other"
	case WrongNonce:
		nonce = randomToken()
	}
	c := p.claims(u, g.scopes)
	amr := u.AMR
	if len(amr) == 0 {
		amr = []string{"pwd"}
	}
	for k, v := range map[string]any{"iss": iss, "aud": aud, "exp": exp.Unix(), "iat": iat.Unix(),
		"auth_time": g.authTime.Unix(), "nonce": nonce, "amr": amr, "at_hash": halfHash(access)} {
		c[k] = v
	}
	return sign(key, p.key.kid, c)
}

func (p *Provider) userinfo(w http.ResponseWriter, r *http.Request) {
	tok, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
	if !ok && r.Method == http.MethodPost {
		tok = r.PostFormValue("access_token")
	}
	now := p.opts.Now()
	p.mu.Lock()
	t, found := p.tokens[strings.TrimSpace(tok)]
	var u User
	if found && now.Before(t.expires) {
		u, found = p.userBySubject(t.subject)
	} else {
		found = false
	}
	p.mu.Unlock()
	if !found {
		w.Header().Set("WWW-Authenticate", `Bearer error="invalid_token"`)
		writeJSON(w, http.StatusUnauthorized, map[string]string{"error": "invalid_token"})
		return
	}
	writeJSON(w, http.StatusOK, p.claims(u, t.scopes))
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

func randomToken() string {
	var b [32]byte
	_, _ = rand.Read(b[:])
	return b64.EncodeToString(b[:])
}
