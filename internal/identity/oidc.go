package identity

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
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
	// CitizenIDClaim names the claim carrying the 12-digit citizen ID number.
	CitizenIDClaim string
}

// OIDC signs people in through the configured provider. The provider's
// discovery document is fetched on first use, so the platform starts even
// when the provider is down.
type OIDC struct {
	svc *Service
	cfg OIDCConfig

	mu       sync.Mutex
	provider *oidc.Provider
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
	return &OIDC{svc: s, cfg: cfg}, nil
}

// DisplayName labels the sign-in button.
func (o *OIDC) DisplayName() string { return o.cfg.DisplayName }

func (o *OIDC) discover(ctx context.Context) (*oidc.Provider, error) {
	o.mu.Lock()
	defer o.mu.Unlock()
	if o.provider != nil {
		return o.provider, nil
	}
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	p, err := oidc.NewProvider(ctx, o.cfg.Issuer)
	if err != nil {
		return nil, apperr.Wrap(fmt.Errorf("discover %s: %w", o.cfg.Issuer, err), "oidc discovery")
	}
	o.provider = p
	return p, nil
}

func (o *OIDC) oauth(p *oidc.Provider) *oauth2.Config {
	return &oauth2.Config{ClientID: o.cfg.ClientID, ClientSecret: o.cfg.ClientSecret, RedirectURL: o.cfg.RedirectURL,
		Endpoint: p.Endpoint(), Scopes: []string{oidc.ScopeOpenID, "profile", "email"}}
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
	st.URL = o.oauth(p).AuthCodeURL(st.State, oidc.Nonce(st.Nonce), oauth2.S256ChallengeOption(st.Verifier))
	return st, nil
}

type oidcClaims struct {
	Subject           string   `json:"sub"`
	Name              string   `json:"name"`
	PreferredUsername string   `json:"preferred_username"`
	Email             string   `json:"email"`
	EmailVerified     bool     `json:"email_verified"`
	PhoneNumber       string   `json:"phone_number"`
	Birthdate         string   `json:"birthdate"`
	AMR               []string `json:"amr"`
}

// Complete exchanges the code, verifies the ID token and signs the person in:
// an account already linked to the provider's subject; else a citizen by the
// citizen ID claim (a new citizen account is opened if none exists); else an
// official whose username matches preferred_username. Nobody else gets in.
func (o *OIDC) Complete(ctx context.Context, start OIDCStart, state, code, ip, ua string) (LoginResult, error) {
	if state == "" || start.State == "" || state != start.State {
		return LoginResult{}, apperr.New(apperr.Invalid, "Phiên đăng nhập qua nhà cung cấp định danh không hợp lệ hoặc đã hết hạn; hãy thử lại.")
	}
	p, err := o.discover(ctx)
	if err != nil {
		return LoginResult{}, err
	}
	tok, err := o.oauth(p).Exchange(ctx, code, oauth2.VerifierOption(start.Verifier))
	if err != nil {
		return LoginResult{}, apperr.New(apperr.Unauthorized, "Nhà cung cấp định danh từ chối mã đăng nhập; hãy thử lại.")
	}
	raw, ok := tok.Extra("id_token").(string)
	if !ok {
		return LoginResult{}, apperr.New(apperr.Unauthorized, "Nhà cung cấp định danh không trả về thông tin định danh.")
	}
	idt, err := p.Verifier(&oidc.Config{ClientID: o.cfg.ClientID, Now: o.svc.now}).Verify(ctx, raw)
	if err != nil {
		return LoginResult{}, apperr.New(apperr.Unauthorized, "Thông tin định danh không hợp lệ (chữ ký, thời hạn hoặc đối tượng sai).")
	}
	if sum := sha256.Sum256([]byte(start.Nonce)); idt.Nonce != start.Nonce && idt.Nonce != base64.RawURLEncoding.EncodeToString(sum[:]) {
		return LoginResult{}, apperr.New(apperr.Unauthorized, "Thông tin định danh không khớp phiên đăng nhập (nonce).")
	}
	var c oidcClaims
	var all map[string]any
	if err := idt.Claims(&c); err != nil {
		return LoginResult{}, apperr.Wrap(err, "oidc claims")
	}
	if err := idt.Claims(&all); err != nil {
		return LoginResult{}, apperr.Wrap(err, "oidc claims")
	}
	citizenID, _ := all[o.cfg.CitizenIDClaim].(string)
	return o.signIn(ctx, idt.Issuer, c, strings.TrimSpace(citizenID), ip, ua)
}

func (o *OIDC) signIn(ctx context.Context, issuer string, c oidcClaims, citizenID, ip, ua string) (LoginResult, error) {
	s := o.svc
	var res LoginResult
	now := s.now().UTC()
	err := s.db.Tx(ctx, func(tx *db.Tx) error {
		u, linked, err := o.match(ctx, tx, issuer, c, citizenID)
		if err != nil {
			return err
		}
		if u.Disabled {
			return apperr.New(apperr.Forbidden, "Tài khoản đã bị vô hiệu hóa. Liên hệ quản trị hệ thống.")
		}
		if !linked {
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
		return s.audit.Append(ctx, tx, &actor.Actor{UserID: u.ID, IP: ip}, audit.Event{Action: "auth.login_oidc", ObjectType: "user",
			ObjectID: u.ID, Detail: map[string]any{"issuer": issuer, "stage": stage, "linked": !linked}})
	})
	return res, err
}

// match finds (or, for citizens, opens) the account for the provider's claims.
func (o *OIDC) match(ctx context.Context, tx *db.Tx, issuer string, c oidcClaims, citizenID string) (User, bool, error) {
	s := o.svc
	if c.Subject == "" {
		return User{}, false, apperr.New(apperr.Unauthorized, "Thông tin định danh thiếu mã đối tượng (sub).")
	}
	var userID string
	err := tx.QueryRow(ctx, "SELECT user_id FROM oidc_identities WHERE issuer = ? AND subject = ?", issuer, c.Subject).Scan(&userID)
	if err == nil {
		u, err := s.lookup(ctx, tx, "id = ?", userID)
		return u, true, err
	}
	if citizenID != "" {
		var birth time.Time
		if c.Birthdate != "" {
			birth, _ = time.Parse("2006-01-02", c.Birthdate)
		}
		if err := ValidateCitizenID(citizenID, birth); err != nil {
			return User{}, false, apperr.New(apperr.Unauthorized, "Số định danh cá nhân do nhà cung cấp định danh gửi không hợp lệ.")
		}
		u, err := s.lookup(ctx, tx, "citizen_id = ?", citizenID)
		if err == nil {
			if u.Kind != actor.Citizen {
				return User{}, false, apperr.New(apperr.Forbidden, "Số định danh này thuộc một tài khoản không phải người dân.")
			}
			return u, false, nil
		}
		if !apperr.Is(err, apperr.NotFound) {
			return User{}, false, err
		}
		name := c.Name
		if name == "" {
			name = "Công dân"
		}
		phone, _ := NormalizePhone(c.PhoneNumber)
		email, _ := NormalizeEmail(c.Email)
		birthDate := ""
		if !birth.IsZero() {
			birthDate = birth.Format("2006-01-02")
		}
		// A citizen from the provider has no password here; they always come
		// back through the provider.
		created, err := s.createExternalCitizen(ctx, tx, NewUser{Kind: actor.Citizen, Username: "cd-" + db.NewID(), DisplayName: name,
			Email: email, Phone: phone, CitizenID: citizenID, BirthDate: birthDate})
		return created, false, err
	}
	if c.PreferredUsername != "" {
		u, err := s.lookup(ctx, tx, "username = ? AND kind = 'official'", strings.ToLower(c.PreferredUsername))
		if err == nil {
			return u, false, nil
		}
		if !apperr.Is(err, apperr.NotFound) {
			return User{}, false, err
		}
	}
	return User{}, false, apperr.New(apperr.Forbidden, "Tài khoản định danh này chưa được đăng ký trên hệ thống. Cán bộ liên hệ quản trị để được cấp tài khoản.")
}

func (s *Service) createExternalCitizen(ctx context.Context, tx *db.Tx, in NewUser) (User, error) {
	// The password rule does not apply: the account has none.
	now := s.now().UTC()
	in.DisplayName = strings.TrimSpace(in.DisplayName)
	u := User{ID: db.NewID(), Kind: actor.Citizen, Username: in.Username, DisplayName: in.DisplayName, Email: in.Email, Phone: in.Phone,
		CitizenID: in.CitizenID, BirthDate: in.BirthDate, CreatedAt: now}
	_, err := tx.Exec(ctx, `INSERT INTO users (id, kind, username, display_name, email, phone, citizen_id, birth_date, name_fold, created_at, updated_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`, u.ID, string(u.Kind), u.Username, u.DisplayName, u.Email, u.Phone, u.CitizenID,
		nullable(u.BirthDate), foldName(u.DisplayName, u.Username), now, now)
	if err != nil {
		return User{}, apperr.Wrap(err, "create citizen from provider")
	}
	return u, s.audit.Append(ctx, tx, &actor.Actor{UserID: u.ID}, audit.Event{Action: "user.create", ObjectType: "user", ObjectID: u.ID,
		Detail: map[string]any{"kind": u.Kind, "via": "oidc"}})
}
