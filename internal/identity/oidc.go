package identity

import (
	"context"
	"crypto/rand"
	"crypto/subtle"
	"database/sql"
	"encoding/base64"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/coreos/go-oidc/v3/oidc"
	"golang.org/x/oauth2"

	"github.com/congso/congso/internal/actor"
	"github.com/congso/congso/internal/apperr"
	"github.com/congso/congso/internal/audit"
	"github.com/congso/congso/internal/db"
	"github.com/congso/congso/internal/vntext"
)

// OIDCConfig configures sign-in through an external OpenID Connect provider:
// the province's single sign-on for officials, or a VNeID-style provider for
// citizens.
type OIDCConfig struct {
	Issuer       string
	ClientID     string
	ClientSecret string
	// RedirectURL is this platform's callback, e.g. https://dvc.example.gov.vn/login/oidc/callback.
	RedirectURL string
	// DisplayName labels the sign-in button.
	DisplayName string
	// CitizenIDClaim names the claim carrying the 12-digit citizen ID number:
	// "citizen_id" when empty, "-" for a provider whose citizen ID claims must
	// be ignored (a single sign-on for officials that also sends their ID
	// numbers, which would otherwise open citizen accounts for them).
	CitizenIDClaim string
}

const (
	// oidcTimeout bounds every call to the provider (discovery, keys, token),
	// whatever the caller's context allows.
	oidcTimeout = 10 * time.Second
	// oidcDiscoveryTTL is how long the provider's discovery document is
	// trusted before it is fetched again (its keys refresh on their own when
	// an unknown key ID turns up).
	oidcDiscoveryTTL = time.Hour
)

// OIDC signs people in through the configured provider. The provider's
// discovery document is fetched on first use, so the platform starts even
// when the provider is down, and again every hour.
type OIDC struct {
	svc    *Service
	cfg    OIDCConfig
	client *http.Client

	mu       sync.Mutex
	current  *oidcProvider // the last discovery that worked
	inflight *oidcDiscovery
}

// oidcProvider is what discovery tells about the provider.
type oidcProvider struct {
	provider *oidc.Provider
	oauth    *oauth2.Config
	fetched  time.Time
}

// oidcDiscovery is a discovery in progress, shared by everyone who needs it.
type oidcDiscovery struct {
	done chan struct{}
	p    *oidcProvider
	err  error
}

// NewOIDC returns the sign-in flow for cfg.
func (s *Service) NewOIDC(cfg OIDCConfig) (*OIDC, error) {
	if cfg.Issuer == "" || cfg.ClientID == "" || cfg.RedirectURL == "" {
		return nil, errors.New("oidc: issuer, client ID and redirect URL are required")
	}
	if cfg.CitizenIDClaim == "" {
		cfg.CitizenIDClaim = "citizen_id"
	}
	if cfg.DisplayName == "" {
		cfg.DisplayName = "tài khoản định danh"
	}
	return &OIDC{svc: s, cfg: cfg, client: &http.Client{Timeout: oidcTimeout}}, nil
}

// DisplayName labels the sign-in button.
func (o *OIDC) DisplayName() string { return o.cfg.DisplayName }

// oidcUnavailable is the answer when the provider cannot be reached or
// answers nonsense: an internal error (so that it is logged) with a message
// people can act on.
func oidcUnavailable(err error) error {
	return &apperr.Error{Code: apperr.Internal, Message: "Không kết nối được với nhà cung cấp định danh; vui lòng thử lại sau ít phút.", Err: err}
}

// discover returns the provider's endpoints. The first call fetches the
// discovery document; callers arriving meanwhile share that fetch, which the
// first caller's cancellation does not abort, and a failure is not
// remembered. Once the document is over an hour old it is fetched again in
// the background while the old one stays in use, also when that fails.
func (o *OIDC) discover(ctx context.Context) (*oidcProvider, error) {
	o.mu.Lock()
	cur, d := o.current, o.inflight
	if d == nil && (cur == nil || time.Since(cur.fetched) >= oidcDiscoveryTTL) {
		d = &oidcDiscovery{done: make(chan struct{})}
		o.inflight = d
		go o.fetch(d)
	}
	o.mu.Unlock()
	if cur != nil {
		return cur, nil
	}
	select {
	case <-d.done:
		return d.p, d.err
	case <-ctx.Done():
		return nil, oidcUnavailable(fmt.Errorf("discover %s: %w", o.cfg.Issuer, ctx.Err()))
	}
}

func (o *OIDC) fetch(d *oidcDiscovery) {
	ctx, cancel := context.WithTimeout(context.Background(), oidcTimeout)
	defer cancel()
	p, err := oidc.NewProvider(oidc.ClientContext(ctx, o.client), o.cfg.Issuer)
	if err != nil {
		d.err = oidcUnavailable(fmt.Errorf("discover %s: %w", o.cfg.Issuer, err))
	} else {
		d.p = o.newProvider(p)
	}
	o.mu.Lock()
	if d.p != nil {
		o.current = d.p
	}
	o.inflight = nil
	o.mu.Unlock()
	close(d.done)
}

func (o *OIDC) newProvider(p *oidc.Provider) *oidcProvider {
	var meta struct {
		Scopes      []string `json:"scopes_supported"`
		AuthMethods []string `json:"token_endpoint_auth_methods_supported"`
	}
	_ = p.Claims(&meta)
	// Ask for the profile, e-mail and phone claims the provider offers;
	// asking for a scope it does not know can make it refuse the request.
	scopes := []string{oidc.ScopeOpenID}
	for _, s := range []string{oidc.ScopeProfile, oidc.ScopeEmail, "phone"} {
		if slices.Contains(meta.Scopes, s) || (meta.Scopes == nil && s != "phone") {
			scopes = append(scopes, s)
		}
	}
	ep := p.Endpoint()
	// Send the client secret the one way the provider says it takes;
	// otherwise oauth2 tries the header, then the form.
	switch {
	case slices.Contains(meta.AuthMethods, "client_secret_basic"):
		ep.AuthStyle = oauth2.AuthStyleInHeader
	case slices.Contains(meta.AuthMethods, "client_secret_post"):
		ep.AuthStyle = oauth2.AuthStyleInParams
	}
	return &oidcProvider{provider: p, fetched: time.Now(), oauth: &oauth2.Config{ClientID: o.cfg.ClientID,
		ClientSecret: o.cfg.ClientSecret, RedirectURL: o.cfg.RedirectURL, Endpoint: ep, Scopes: scopes}}
}

// OIDCStart is what the browser must keep (in a short-lived cookie) between
// leaving for the provider and coming back.
type OIDCStart struct {
	State    string
	Nonce    string
	Verifier string
	URL      string
}

func randomString() string {
	var b [24]byte
	_, _ = rand.Read(b[:])
	return base64.RawURLEncoding.EncodeToString(b[:])
}

// Start prepares the authorisation request with state, nonce and PKCE.
func (o *OIDC) Start(ctx context.Context) (OIDCStart, error) {
	p, err := o.discover(ctx)
	if err != nil {
		return OIDCStart{}, err
	}
	st := OIDCStart{State: randomString(), Nonce: randomString(), Verifier: oauth2.GenerateVerifier()}
	st.URL = p.oauth.AuthCodeURL(st.State, oidc.Nonce(st.Nonce), oauth2.S256ChallengeOption(st.Verifier))
	return st, nil
}

// claimBool reads a boolean claim that some providers send as a string.
type claimBool bool

func (b *claimBool) UnmarshalJSON(data []byte) error {
	switch string(data) {
	case "true", `"true"`:
		*b = true
	case "false", `"false"`:
		*b = false
	default:
		return fmt.Errorf("not a boolean: %s", data)
	}
	return nil
}

type oidcClaims struct {
	Subject           string     `json:"sub"`
	AuthorizedParty   string     `json:"azp"`
	Name              string     `json:"name"`
	PreferredUsername string     `json:"preferred_username"`
	Email             string     `json:"email"`
	EmailVerified     *claimBool `json:"email_verified"`
	PhoneNumber       string     `json:"phone_number"`
	PhoneVerified     *claimBool `json:"phone_number_verified"`
	Birthdate         string     `json:"birthdate"`
	AMR               []string   `json:"amr"`
}

// Complete exchanges the code, verifies the ID token and signs the person in:
// an account already linked to the provider's subject; else, when the token
// carries a citizen ID, the citizen account with that ID (opened if none
// exists); else an official whose username matches preferred_username.
// Nobody else gets in.
func (o *OIDC) Complete(ctx context.Context, start OIDCStart, state, code, ip, ua string) (LoginResult, error) {
	if start.State == "" || start.Nonce == "" || start.Verifier == "" || subtle.ConstantTimeCompare([]byte(state), []byte(start.State)) != 1 {
		return LoginResult{}, apperr.New(apperr.Invalid, "Phiên đăng nhập qua nhà cung cấp định danh không hợp lệ hoặc đã hết hạn; hãy thử lại.")
	}
	if code == "" || len(code) > 4096 {
		return LoginResult{}, apperr.New(apperr.Unauthorized, "Nhà cung cấp định danh không trả về mã đăng nhập; hãy thử lại.")
	}
	p, err := o.discover(ctx)
	if err != nil {
		return LoginResult{}, err
	}
	ctx = oidc.ClientContext(ctx, o.client)
	tok, err := p.oauth.Exchange(ctx, code, oauth2.VerifierOption(start.Verifier))
	if err != nil {
		return LoginResult{}, oidcExchangeError(err)
	}
	raw, _ := tok.Extra("id_token").(string)
	if raw == "" {
		return LoginResult{}, &apperr.Error{Code: apperr.Internal, Message: "Nhà cung cấp định danh không trả về thông tin định danh.",
			Err: errors.New("oidc: token response without id_token")}
	}
	idt, err := p.provider.Verifier(&oidc.Config{ClientID: o.cfg.ClientID, Now: o.svc.now}).Verify(ctx, raw)
	if err != nil {
		var expired *oidc.TokenExpiredError
		if errors.As(err, &expired) {
			return LoginResult{}, o.reject(ctx, "expired", err, ip)
		}
		return LoginResult{}, o.reject(ctx, "token", err, ip)
	}
	// Verify leaves the nonce to us: it ties the token to this browser's
	// sign-in, so that a token obtained elsewhere cannot be replayed here.
	if subtle.ConstantTimeCompare([]byte(idt.Nonce), []byte(start.Nonce)) != 1 {
		return LoginResult{}, o.reject(ctx, "nonce", errors.New("oidc: nonce does not match"), ip)
	}
	if idt.AccessTokenHash != "" {
		if err := idt.VerifyAccessToken(tok.AccessToken); err != nil {
			return LoginResult{}, o.reject(ctx, "at_hash", err, ip)
		}
	}
	var c oidcClaims
	var all map[string]any
	if err := idt.Claims(&c); err != nil {
		return LoginResult{}, oidcUnavailable(fmt.Errorf("oidc claims: %w", err))
	}
	if err := idt.Claims(&all); err != nil {
		return LoginResult{}, oidcUnavailable(fmt.Errorf("oidc claims: %w", err))
	}
	// A token for several audiences must say it was issued to us (OpenID
	// Connect Core §3.1.3.7).
	if (len(idt.Audience) > 1 || c.AuthorizedParty != "") && c.AuthorizedParty != o.cfg.ClientID {
		return LoginResult{}, o.reject(ctx, "azp", fmt.Errorf("oidc: azp %q is not this client", c.AuthorizedParty), ip)
	}
	citizenID, err := o.citizenID(all)
	if err != nil {
		return LoginResult{}, err
	}
	return o.signIn(ctx, idt.Issuer, c, citizenID, ip, ua)
}

// oidcExchangeError explains a failed code exchange: the person's code was
// refused (used, expired, or not theirs), or the platform is misconfigured or
// cannot reach the provider, which the logs must show.
func oidcExchangeError(err error) error {
	var re *oauth2.RetrieveError
	if !errors.As(err, &re) || re.Response == nil || re.Response.StatusCode >= 500 {
		return oidcUnavailable(fmt.Errorf("oidc token exchange: %w", err))
	}
	if re.ErrorCode == "invalid_grant" {
		return &apperr.Error{Code: apperr.Unauthorized, Err: err,
			Message: "Mã đăng nhập của nhà cung cấp định danh không hợp lệ, đã được dùng hoặc đã hết hạn; hãy đăng nhập lại."}
	}
	return &apperr.Error{Code: apperr.Internal, Err: fmt.Errorf("oidc token exchange: %w", err),
		Message: "Nhà cung cấp định danh từ chối yêu cầu đăng nhập của hệ thống (cấu hình sai); hãy báo quản trị hệ thống."}
}

// reject refuses an ID token that failed verification and records the refusal
// in the audit log: it means a misconfigured or misbehaving provider, or an
// attempt to slip in a token, which administrators must be able to see.
func (o *OIDC) reject(ctx context.Context, reason string, cause error, ip string) error {
	msg := "Thông tin định danh không hợp lệ (chữ ký, nhà phát hành hoặc đối tượng nhận không đúng); hãy thử lại hoặc báo quản trị hệ thống."
	switch reason {
	case "expired":
		msg = "Thông tin định danh đã hết hạn; hãy đăng nhập lại. Nếu lỗi lặp lại, hãy báo quản trị kiểm tra đồng hồ máy chủ."
	case "nonce":
		msg = "Thông tin định danh không khớp với phiên đăng nhập này; hãy đăng nhập lại."
	}
	detail := cause.Error()
	if len(detail) > 300 {
		detail = detail[:300]
	}
	if err := o.svc.audit.Record(context.WithoutCancel(ctx), &actor.Actor{UserID: "anonymous", IP: ip}, audit.Event{
		Action: "auth.login_oidc_rejected", ObjectType: "oidc_provider", ObjectID: o.cfg.Issuer,
		Detail: map[string]any{"reason": reason, "error": detail}}); err != nil {
		return apperr.Wrap(err, "audit rejected oidc token")
	}
	return &apperr.Error{Code: apperr.Unauthorized, Message: msg, Err: cause}
}

// citizenID reads the citizen ID claim. It must be a string: a JSON number
// would have lost the leading zero that most ID numbers start with.
func (o *OIDC) citizenID(all map[string]any) (string, error) {
	if o.cfg.CitizenIDClaim == "-" {
		return "", nil
	}
	v, ok := all[o.cfg.CitizenIDClaim]
	if !ok || v == nil {
		return "", nil
	}
	s, ok := v.(string)
	if !ok {
		return "", apperr.New(apperr.Unauthorized, "Số định danh cá nhân do nhà cung cấp định danh gửi không hợp lệ.")
	}
	return strings.TrimSpace(s), nil
}

// oidcBirthdate reads the birthdate claim: YYYY-MM-DD, or the year alone, or
// 0000-MM-DD when the year is withheld (OpenID Connect Core §5.1). It returns
// the date to store ("" unless complete) and the year (0 when unknown).
func oidcBirthdate(s string, now time.Time) (string, int) {
	s = strings.TrimSpace(s)
	if t, err := time.Parse("2006-01-02", s); err == nil && t.Year() >= 1900 && t.Before(now) {
		return s, t.Year()
	}
	if t, err := time.Parse("2006", s); err == nil && t.Year() >= 1900 && t.Year() <= now.Year() {
		return "", t.Year()
	}
	return "", 0
}

func (o *OIDC) signIn(ctx context.Context, issuer string, c oidcClaims, citizenID, ip, ua string) (LoginResult, error) {
	res, err := o.signInTx(ctx, issuer, c, citizenID, ip, ua)
	if err != nil && db.IsUniqueViolation(err) {
		// Two first sign-ins of the same person raced and the other one
		// opened the account or linked it first: this time we find it.
		res, err = o.signInTx(ctx, issuer, c, citizenID, ip, ua)
	}
	return res, err
}

func (o *OIDC) signInTx(ctx context.Context, issuer string, c oidcClaims, citizenID, ip, ua string) (LoginResult, error) {
	s := o.svc
	var res LoginResult
	now := s.now().UTC()
	err := s.db.Tx(ctx, func(tx *db.Tx) error {
		u, how, err := o.match(ctx, tx, issuer, c, citizenID)
		if err != nil {
			return err
		}
		if u.Disabled {
			return apperr.New(apperr.Forbidden, "Tài khoản đã bị vô hiệu hóa. Liên hệ quản trị hệ thống.")
		}
		if how != "subject" {
			if _, err := tx.Exec(ctx, "INSERT INTO oidc_identities (issuer, subject, user_id, created_at) VALUES (?, ?, ?, ?)",
				issuer, c.Subject, u.ID, now); err != nil {
				return apperr.Wrap(err, "link identity")
			}
		}
		stage, err := s.stageAfterPassword(ctx, u)
		if err != nil {
			return err
		}
		// A provider that already asked for a second factor satisfies ours,
		// except for enrolment, which admins still owe.
		if stage == StageTOTP && (slices.Contains(c.AMR, "mfa") || slices.Contains(c.AMR, "otp") || slices.Contains(c.AMR, "hwk")) {
			stage = StageDone
		}
		token, err := s.createSession(ctx, tx, u.ID, stage, ip, ua, now)
		if err != nil {
			return err
		}
		res = LoginResult{Token: token, User: u, Stage: stage}
		by := &actor.Actor{UserID: u.ID, Kind: u.Kind, IP: ip}
		if how == "created" {
			if err := s.audit.Append(ctx, tx, by, audit.Event{Action: "user.create", ObjectType: "user", ObjectID: u.ID,
				Detail: map[string]any{"kind": u.Kind, "via": "oidc"}}); err != nil {
				return err
			}
		}
		return s.audit.Append(ctx, tx, by, audit.Event{Action: "auth.login_oidc", ObjectType: "user", ObjectID: u.ID,
			Detail: map[string]any{"issuer": issuer, "stage": stage, "matched": how, "amr": c.AMR}})
	})
	return res, err
}

// match finds (or, for citizens, opens) the account for the provider's claims
// and says how: "subject" (linked before), "citizen_id", "username" or
// "created". It never matches an organisation or machine account.
func (o *OIDC) match(ctx context.Context, tx *db.Tx, issuer string, c oidcClaims, citizenID string) (User, string, error) {
	s := o.svc
	if c.Subject == "" || len(c.Subject) > 255 {
		return User{}, "", apperr.New(apperr.Unauthorized, "Thông tin định danh thiếu mã đối tượng (sub).")
	}
	username := strings.ToLower(strings.TrimSpace(c.PreferredUsername))
	var userID string
	err := tx.QueryRow(ctx, "SELECT user_id FROM oidc_identities WHERE issuer = ? AND subject = ?", issuer, c.Subject).Scan(&userID)
	switch {
	case err == nil:
		u, err := s.lookup(ctx, tx, "id = ?", userID)
		if err != nil {
			return User{}, "", err
		}
		if citizenID != "" && u.CitizenID != "" && u.CitizenID != citizenID {
			return User{}, "", apperr.New(apperr.Forbidden,
				"Số định danh cá nhân do nhà cung cấp định danh gửi khác với số đã đăng ký cho tài khoản này. Liên hệ quản trị hệ thống.")
		}
		return u, "subject", nil
	case !errors.Is(err, sql.ErrNoRows):
		return User{}, "", apperr.Wrap(err, "find linked identity")
	}
	if citizenID != "" {
		birthDate, year := oidcBirthdate(c.Birthdate, s.now())
		var birth time.Time
		if year > 0 {
			birth = time.Date(year, 1, 1, 0, 0, 0, 0, time.UTC)
		}
		if err := ValidateCitizenID(citizenID, birth); err != nil {
			return User{}, "", apperr.New(apperr.Unauthorized, "Số định danh cá nhân do nhà cung cấp định danh gửi không hợp lệ.")
		}
		u, err := s.lookup(ctx, tx, "citizen_id = ?", citizenID)
		switch {
		case err == nil && u.Kind == actor.Citizen:
			return u, "citizen_id", nil
		case err == nil && u.Kind == actor.Official && username != "" && username == u.Username:
			// The official's own ID number and username: both claims agree.
			return u, "citizen_id", nil
		case err == nil:
			return User{}, "", apperr.New(apperr.Forbidden,
				"Số định danh cá nhân này đã gắn với một tài khoản không phải tài khoản người dân. Cán bộ hãy đăng nhập bằng tài khoản cán bộ; nếu cần, liên hệ quản trị hệ thống.")
		case !apperr.Is(err, apperr.NotFound):
			return User{}, "", err
		}
		// A citizen from the provider has no password here; they always come
		// back through the provider.
		created, err := s.createExternalCitizen(ctx, tx, NewUser{Kind: actor.Citizen, Username: "cd-" + db.NewID(),
			DisplayName: oidcName(c.Name), Email: oidcEmail(c), Phone: oidcPhone(c), CitizenID: citizenID, BirthDate: birthDate})
		return created, "created", err
	}
	if username != "" {
		u, err := s.lookup(ctx, tx, "username = ? AND kind = 'official'", username)
		if err == nil {
			return u, "username", nil
		}
		if !apperr.Is(err, apperr.NotFound) {
			return User{}, "", err
		}
	}
	return User{}, "", apperr.New(apperr.Forbidden, "Tài khoản định danh này chưa được đăng ký trên hệ thống. Cán bộ liên hệ quản trị để được cấp tài khoản.")
}

// oidcName is the display name for a new account: the name claim in NFC, at
// most 120 characters, or a neutral placeholder.
func oidcName(name string) string {
	name = vntext.NFC(name)
	if name == "" || !vntext.Valid(name) {
		return "Công dân"
	}
	if r := []rune(name); len(r) > 120 {
		name = strings.TrimSpace(string(r[:120]))
	}
	return name
}

// oidcEmail and oidcPhone keep contact details the provider does not say
// are unverified, when they are well formed.
func oidcEmail(c oidcClaims) string {
	if c.EmailVerified != nil && !*c.EmailVerified {
		return ""
	}
	e, err := NormalizeEmail(c.Email)
	if err != nil {
		return ""
	}
	return e
}

func oidcPhone(c oidcClaims) string {
	if c.PhoneVerified != nil && !*c.PhoneVerified {
		return ""
	}
	p, err := NormalizePhone(c.PhoneNumber)
	if err != nil {
		return ""
	}
	return p
}

// createExternalCitizen opens a citizen account without a password. The
// caller records it in the audit log.
func (s *Service) createExternalCitizen(ctx context.Context, tx *db.Tx, in NewUser) (User, error) {
	now := s.now().UTC()
	u := User{ID: db.NewID(), Kind: actor.Citizen, Username: in.Username, DisplayName: in.DisplayName, Email: in.Email, Phone: in.Phone,
		CitizenID: in.CitizenID, BirthDate: in.BirthDate, CreatedAt: now}
	_, err := tx.Exec(ctx, `INSERT INTO users (id, kind, username, display_name, email, phone, citizen_id, birth_date, name_fold, created_at, updated_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`, u.ID, string(u.Kind), u.Username, u.DisplayName, u.Email, u.Phone, u.CitizenID,
		nullable(u.BirthDate), foldName(u.DisplayName, u.Username), now, now)
	if err != nil {
		return User{}, apperr.Wrap(err, "create citizen from provider")
	}
	return u, nil
}
