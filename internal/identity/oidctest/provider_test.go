package oidctest_test

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/coreos/go-oidc/v3/oidc"
	"golang.org/x/oauth2"

	"github.com/congso/congso/internal/identity/oidctest"
)

const (
	callback = "http://127.0.0.1:1/login/oidc/callback"
	clientID = "congso"
	secret   = "bí mật & khó đoán"
)

type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

type env struct {
	t      *testing.T
	p      *oidctest.Provider
	issuer string
	clock  *clock
	rp     *oidc.Provider
	oauth  *oauth2.Config
}

func start(t *testing.T, opts oidctest.Options) *env {
	t.Helper()
	e := &env{t: t, clock: &clock{t: time.Date(2026, 3, 2, 2, 0, 0, 0, time.UTC)}}
	if opts.Now == nil {
		opts.Now = e.clock.Now
	}
	if opts.Clients == nil {
		opts.Clients = []oidctest.Client{{ID: clientID, Secret: secret, RedirectURIs: []string{callback}}}
	}
	if opts.Users == nil {
		opts.Users = append(oidctest.DemoCitizens(), oidctest.DemoOfficials()...)
	}
	var err error
	if e.p, err = oidctest.New(opts); err != nil {
		t.Fatal(err)
	}
	if e.issuer, err = e.p.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { e.p.Close() })
	if e.rp, err = oidc.NewProvider(context.Background(), e.issuer); err != nil {
		t.Fatalf("discovery: %v", err)
	}
	e.oauth = &oauth2.Config{ClientID: clientID, ClientSecret: secret, RedirectURL: callback, Endpoint: e.rp.Endpoint(),
		Scopes: []string{oidc.ScopeOpenID, "profile", "email", "phone"}}
	return e
}

// flow is one authorization request as a client makes it.
type flow struct {
	state, nonce, verifier string
	url                    string
}

func (e *env) begin() flow {
	f := flow{state: oauth2.GenerateVerifier(), nonce: oauth2.GenerateVerifier(), verifier: oauth2.GenerateVerifier()}
	f.url = e.oauth.AuthCodeURL(f.state, oidc.Nonce(f.nonce), oauth2.S256ChallengeOption(f.verifier))
	return f
}

// code runs the browser's part and returns the code, checking state and iss.
func (e *env) code(f flow, hint string) string {
	e.t.Helper()
	back, err := e.p.Authorize(context.Background(), f.url, hint)
	if err != nil {
		e.t.Fatal(err)
	}
	q := back.Query()
	if q.Get("error") != "" {
		e.t.Fatalf("authorize refused: %s (%s)", q.Get("error"), q.Get("error_description"))
	}
	if q.Get("state") != f.state || q.Get("iss") != e.issuer || q.Get("code") == "" {
		e.t.Fatalf("callback %s: want state %q, iss %q and a code", back, f.state, e.issuer)
	}
	if got := back.Scheme + "://" + back.Host + back.Path; got != callback {
		e.t.Fatalf("sent back to %s, want %s", got, callback)
	}
	return q.Get("code")
}

func (e *env) exchange(f flow, code string) (*oauth2.Token, error) {
	return e.oauth.Exchange(context.Background(), code, oauth2.VerifierOption(f.verifier))
}

func (e *env) verify(tok *oauth2.Token) (*oidc.IDToken, error) {
	raw, _ := tok.Extra("id_token").(string)
	return e.rp.Verifier(&oidc.Config{ClientID: clientID, Now: e.clock.Now}).Verify(context.Background(), raw)
}

func oauthError(err error) string {
	var re *oauth2.RetrieveError
	if errors.As(err, &re) {
		return re.ErrorCode
	}
	return ""
}

func TestDiscoveryAndKeys(t *testing.T) {
	e := start(t, oidctest.Options{})
	var doc map[string]any
	getJSON(t, e.issuer+"/.well-known/openid-configuration", &doc)
	for k, want := range map[string]string{"issuer": e.issuer, "token_endpoint": e.issuer + "/token", "jwks_uri": e.issuer + "/jwks"} {
		if doc[k] != want {
			t.Errorf("%s = %v, want %s", k, doc[k], want)
		}
	}
	var keys struct {
		Keys []map[string]string `json:"keys"`
	}
	getJSON(t, e.issuer+"/jwks", &keys)
	if len(keys.Keys) != 1 || keys.Keys[0]["alg"] != "RS256" || keys.Keys[0]["kid"] == "" || keys.Keys[0]["e"] != "AQAB" {
		t.Fatalf("jwks = %v", keys)
	}
}

func TestIssuerWithPathBehindAnotherServer(t *testing.T) {
	var srv *httptest.Server
	mux := http.NewServeMux()
	srv = httptest.NewServer(mux)
	defer srv.Close()
	p, err := oidctest.New(oidctest.Options{Issuer: srv.URL + "/realms/hatinh/"})
	if err != nil {
		t.Fatal(err)
	}
	mux.Handle("/realms/hatinh/", p.Handler())
	rp, err := oidc.NewProvider(context.Background(), srv.URL+"/realms/hatinh")
	if err != nil {
		t.Fatalf("discovery under a path: %v", err)
	}
	if got := rp.Endpoint().AuthURL; got != srv.URL+"/realms/hatinh/authorize" {
		t.Fatalf("authorization endpoint %s", got)
	}
}

func TestCodeFlowIssuesVerifiableTokens(t *testing.T) {
	e := start(t, oidctest.Options{})
	f := e.begin()
	tok, err := e.exchange(f, e.code(f, "042090001234"))
	if err != nil {
		t.Fatal(err)
	}
	idt, err := e.verify(tok)
	if err != nil {
		t.Fatal(err)
	}
	if idt.Nonce != f.nonce || idt.Subject != "vneid-042090001234" {
		t.Fatalf("nonce %q subject %q", idt.Nonce, idt.Subject)
	}
	if err := idt.VerifyAccessToken(tok.AccessToken); err != nil {
		t.Fatalf("at_hash: %v", err)
	}
	var c map[string]any
	if err := idt.Claims(&c); err != nil {
		t.Fatal(err)
	}
	want := map[string]any{"name": "Nguyễn Văn An", "citizen_id": "042090001234", "birthdate": "1990-05-12",
		"email": "an.nguyen@example.vn", "email_verified": true, "phone_number": "+84912345678", "phone_number_verified": true}
	for k, v := range want {
		if c[k] != v {
			t.Errorf("claim %s = %v, want %v", k, c[k], v)
		}
	}
	if amr, _ := c["amr"].([]any); len(amr) != 3 || amr[2] != "mfa" {
		t.Errorf("amr = %v", c["amr"])
	}
	ui, err := e.rp.UserInfo(context.Background(), oauth2.StaticTokenSource(tok))
	if err != nil {
		t.Fatalf("userinfo: %v", err)
	}
	if ui.Subject != idt.Subject || ui.Email != "an.nguyen@example.vn" {
		t.Fatalf("userinfo %+v", ui)
	}
}

func TestScopesLimitClaims(t *testing.T) {
	e := start(t, oidctest.Options{})
	e.oauth.Scopes = []string{oidc.ScopeOpenID}
	f := e.begin()
	tok, err := e.exchange(f, e.code(f, "admin"))
	if err != nil {
		t.Fatal(err)
	}
	idt, err := e.verify(tok)
	if err != nil {
		t.Fatal(err)
	}
	var c map[string]any
	_ = idt.Claims(&c)
	for _, k := range []string{"name", "preferred_username", "email", "phone_number"} {
		if _, ok := c[k]; ok {
			t.Errorf("claim %s released without its scope", k)
		}
	}
}

func TestClientAuthentication(t *testing.T) {
	cases := []struct {
		name    string
		methods []string
		style   oauth2.AuthStyle
		secret  string
		want    string // "" for success, else the OAuth error code
	}{
		{"basic", nil, oauth2.AuthStyleInHeader, secret, ""},
		{"post", nil, oauth2.AuthStyleInParams, secret, ""},
		{"basic when only post is allowed", []string{oidctest.ClientSecretPost}, oauth2.AuthStyleInHeader, secret, "invalid_client"},
		{"post when only basic is allowed", []string{oidctest.ClientSecretBasic}, oauth2.AuthStyleInParams, secret, "invalid_client"},
		{"auto-detect falls back to post", []string{oidctest.ClientSecretPost}, oauth2.AuthStyleAutoDetect, secret, ""},
		{"wrong secret", nil, oauth2.AuthStyleInHeader, "đoán bừa", "invalid_client"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			e := start(t, oidctest.Options{TokenAuthMethods: c.methods})
			e.oauth.Endpoint.AuthStyle = c.style
			e.oauth.ClientSecret = c.secret
			f := e.begin()
			_, err := e.exchange(f, e.code(f, ""))
			if got := oauthError(err); got != c.want || (c.want == "" && err != nil) {
				t.Fatalf("error %v, want %q", err, c.want)
			}
		})
	}
}

func TestAuthorizeRefusals(t *testing.T) {
	e := start(t, oidctest.Options{})
	noRedirect := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	good := url.Values{"client_id": {clientID}, "redirect_uri": {callback}, "response_type": {"code"}, "scope": {"openid"},
		"state": {"s1"}, "nonce": {"n1"}, "code_challenge": {oauth2.S256ChallengeFromVerifier(oauth2.GenerateVerifier())},
		"code_challenge_method": {"S256"}}
	cases := []struct {
		name   string
		change func(url.Values)
		status int
		error  string
	}{
		{"ok", func(url.Values) {}, http.StatusFound, ""},
		{"unknown client is not redirected", func(v url.Values) { v.Set("client_id", "ke-gian") }, http.StatusBadRequest, ""},
		{"unregistered redirect is not followed", func(v url.Values) { v.Set("redirect_uri", "https://evil.example/cb") }, http.StatusBadRequest, ""},
		{"implicit flow", func(v url.Values) { v.Set("response_type", "id_token") }, http.StatusFound, "unsupported_response_type"},
		{"no openid scope", func(v url.Values) { v.Set("scope", "profile") }, http.StatusFound, "invalid_scope"},
		{"no state", func(v url.Values) { v.Del("state") }, http.StatusFound, "invalid_request"},
		{"no nonce", func(v url.Values) { v.Del("nonce") }, http.StatusFound, "invalid_request"},
		{"no PKCE", func(v url.Values) { v.Del("code_challenge") }, http.StatusFound, "invalid_request"},
		{"plain PKCE", func(v url.Values) { v.Set("code_challenge_method", "plain") }, http.StatusFound, "invalid_request"},
		{"unknown user", func(v url.Values) { v.Set("login_hint", "000000000000") }, http.StatusFound, "access_denied"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			v := url.Values{}
			for k, vs := range good {
				v[k] = vs
			}
			c.change(v)
			resp, err := noRedirect.Get(e.issuer + "/authorize?" + v.Encode())
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			if resp.StatusCode != c.status {
				t.Fatalf("status %d, want %d", resp.StatusCode, c.status)
			}
			if c.status != http.StatusFound {
				return
			}
			loc, _ := resp.Location()
			if got := loc.Query().Get("error"); got != c.error {
				t.Fatalf("error %q, want %q (%s)", got, c.error, loc.Query().Get("error_description"))
			}
			if loc.Query().Get("state") != v.Get("state") {
				t.Fatalf("state not echoed: %s", loc)
			}
		})
	}
	t.Run("access denied", func(t *testing.T) {
		e.p.SetFailure(oidctest.AccessDenied)
		defer e.p.SetFailure(oidctest.None)
		f := e.begin()
		back, err := e.p.Authorize(context.Background(), f.url, "")
		if err != nil {
			t.Fatal(err)
		}
		if back.Query().Get("error") != "access_denied" || back.Query().Get("state") != f.state || back.Query().Has("code") {
			t.Fatalf("callback %s", back)
		}
	})
}

func TestTokenRefusals(t *testing.T) {
	e := start(t, oidctest.Options{CodeTTL: time.Minute})
	t.Run("wrong PKCE verifier burns the code", func(t *testing.T) {
		f := e.begin()
		code := e.code(f, "")
		good := f.verifier
		f.verifier = oauth2.GenerateVerifier()
		if _, err := e.exchange(f, code); oauthError(err) != "invalid_grant" {
			t.Fatalf("wrong verifier: %v", err)
		}
		f.verifier = good
		if _, err := e.exchange(f, code); oauthError(err) != "invalid_grant" {
			t.Fatalf("code usable after a failed attempt: %v", err)
		}
	})
	t.Run("reused code revokes the access token", func(t *testing.T) {
		f := e.begin()
		code := e.code(f, "")
		tok, err := e.exchange(f, code)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := e.rp.UserInfo(context.Background(), oauth2.StaticTokenSource(tok)); err != nil {
			t.Fatalf("userinfo before replay: %v", err)
		}
		if _, err := e.exchange(f, code); oauthError(err) != "invalid_grant" {
			t.Fatalf("replay: %v", err)
		}
		if _, err := e.rp.UserInfo(context.Background(), oauth2.StaticTokenSource(tok)); err == nil {
			t.Fatal("access token still valid after the code was replayed")
		}
	})
	t.Run("expired code", func(t *testing.T) {
		f := e.begin()
		code := e.code(f, "")
		e.clock.Advance(time.Minute)
		if _, err := e.exchange(f, code); oauthError(err) != "invalid_grant" {
			t.Fatalf("expired code: %v", err)
		}
	})
	t.Run("redirect URI mismatch", func(t *testing.T) {
		f := e.begin()
		code := e.code(f, "")
		other := *e.oauth
		other.RedirectURL = callback + "?x=1"
		if _, err := other.Exchange(context.Background(), code, oauth2.VerifierOption(f.verifier)); oauthError(err) != "invalid_grant" {
			t.Fatalf("redirect mismatch: %v", err)
		}
	})
	t.Run("unknown code", func(t *testing.T) {
		if _, err := e.exchange(e.begin(), "bịa-đặt"); oauthError(err) != "invalid_grant" {
			t.Fatalf("unknown code: %v", err)
		}
	})
}

func TestFailureModes(t *testing.T) {
	e := start(t, oidctest.Options{})
	cases := []struct {
		failure oidctest.Failure
		check   func(t *testing.T, f flow, tok *oauth2.Token, err error)
	}{
		{oidctest.BadSignature, func(t *testing.T, f flow, tok *oauth2.Token, err error) {
			if _, err := e.verify(tok); err == nil || !strings.Contains(err.Error(), "signature") {
				t.Fatalf("verify: %v", err)
			}
		}},
		{oidctest.Expired, func(t *testing.T, f flow, tok *oauth2.Token, err error) {
			var exp *oidc.TokenExpiredError
			if _, err := e.verify(tok); !errors.As(err, &exp) {
				t.Fatalf("verify: %v", err)
			}
		}},
		{oidctest.WrongAudience, func(t *testing.T, f flow, tok *oauth2.Token, err error) {
			if _, err := e.verify(tok); err == nil || !strings.Contains(err.Error(), "audience") {
				t.Fatalf("verify: %v", err)
			}
		}},
		{oidctest.WrongIssuer, func(t *testing.T, f flow, tok *oauth2.Token, err error) {
			if _, err := e.verify(tok); err == nil || !strings.Contains(err.Error(), "issued by a different provider") {
				t.Fatalf("verify: %v", err)
			}
		}},
		{oidctest.WrongNonce, func(t *testing.T, f flow, tok *oauth2.Token, err error) {
			idt, err := e.verify(tok)
			if err != nil || idt.Nonce == f.nonce || idt.Nonce == "" {
				t.Fatalf("verify: %v", err)
			}
		}},
		{oidctest.TokenServerError, func(t *testing.T, f flow, tok *oauth2.Token, err error) {
			var re *oauth2.RetrieveError
			if !errors.As(err, &re) || re.Response.StatusCode != http.StatusInternalServerError {
				t.Fatalf("exchange: %v", err)
			}
		}},
	}
	for _, c := range cases {
		t.Run(string(c.failure), func(t *testing.T) {
			f := e.begin()
			code := e.code(f, "")
			e.p.SetFailure(c.failure)
			defer e.p.SetFailure(oidctest.None)
			tok, err := e.exchange(f, code)
			if err != nil && c.failure != oidctest.TokenServerError {
				t.Fatal(err)
			}
			c.check(t, f, tok, err)
		})
	}
	t.Run("token hang ends with the client's deadline", func(t *testing.T) {
		f := e.begin()
		code := e.code(f, "")
		e.p.SetFailure(oidctest.TokenHang)
		defer e.p.SetFailure(oidctest.None)
		ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
		defer cancel()
		if _, err := e.oauth.Exchange(ctx, code, oauth2.VerifierOption(f.verifier)); !errors.Is(err, context.DeadlineExceeded) {
			t.Fatalf("exchange: %v", err)
		}
	})
	if _, err := oidctest.ParseFailure("bogus"); err == nil {
		t.Fatal("ParseFailure accepted an unknown name")
	}
}

func TestChooserPage(t *testing.T) {
	e := start(t, oidctest.Options{Chooser: true, Users: []oidctest.User{{Subject: "x", Name: "<b>Hà</b>", CitizenID: "042090001234"}}})
	f := e.begin()
	resp, err := http.Get(f.url)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	page := string(body)
	if resp.StatusCode != http.StatusOK || !strings.Contains(page, "&lt;b&gt;Hà&lt;/b&gt;") || !strings.Contains(page, "login_hint=x") ||
		!strings.Contains(page, "deny=1") {
		t.Fatalf("chooser page (%d):\n%s", resp.StatusCode, page)
	}
	// Picking the user from the page completes the flow.
	code := e.code(f, "x")
	if _, err := e.exchange(f, code); err != nil {
		t.Fatal(err)
	}
}

// lines is a writer handing each log line to a channel.
type lines chan string

func (l lines) Write(b []byte) (int, error) {
	sc := bufio.NewScanner(strings.NewReader(string(b)))
	for sc.Scan() {
		l <- sc.Text()
	}
	return len(b), nil
}

func TestServeUntilCancelled(t *testing.T) {
	logs := make(lines, 100)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		done <- oidctest.Serve(ctx, "127.0.0.1:0", oidctest.Options{Users: oidctest.DemoCitizens(), Log: slog.New(slog.NewJSONHandler(logs, nil))})
	}()
	var issuer string
	select {
	case line := <-logs:
		var rec struct{ Issuer string }
		_ = json.Unmarshal([]byte(line), &rec)
		issuer = rec.Issuer
	case err := <-done:
		t.Fatalf("Serve returned early: %v", err)
	case <-time.After(5 * time.Second):
		t.Fatal("Serve did not start")
	}
	if _, err := oidc.NewProvider(context.Background(), issuer); err != nil {
		t.Fatalf("discovery on %q: %v", issuer, err)
	}
	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("Serve did not stop")
	}
}

func getJSON(t *testing.T, u string, v any) {
	t.Helper()
	resp, err := http.Get(u)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET %s: %s", u, resp.Status)
	}
	if err := json.NewDecoder(resp.Body).Decode(v); err != nil {
		t.Fatal(err)
	}
}
