// Package identity holds accounts (officials, citizens, organisations,
// machines), password and second-factor sign-in with lock-out, sessions,
// bearer tokens for machines, and sign-in through an external OpenID Connect
// provider.
package identity

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"database/sql"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/congso/congso/internal/actor"
	"github.com/congso/congso/internal/apperr"
	"github.com/congso/congso/internal/audit"
	"github.com/congso/congso/internal/db"
	"github.com/congso/congso/internal/vntext"
)

// Config tunes sign-in.
type Config struct {
	Argon2 Argon2Params
	// SessionTTL is a session's absolute lifetime; IdleTTL ends it earlier
	// when unused.
	SessionTTL time.Duration
	IdleTTL    time.Duration
	// After LockThreshold failed attempts an account is locked for LockBase,
	// doubling with every further failure up to LockMax.
	LockThreshold int
	LockBase      time.Duration
	LockMax       time.Duration
	// Issuer names the platform in authenticator apps.
	Issuer string
	// ActorCacheTTL is how long a resolved session or token is reused
	// without asking the database; 0 turns the cache off.
	ActorCacheTTL time.Duration
}

// DefaultConfig is what production uses.
func DefaultConfig() Config {
	return Config{
		Argon2:        DefaultArgon2,
		SessionTTL:    12 * time.Hour,
		IdleTTL:       2 * time.Hour,
		LockThreshold: 5,
		LockBase:      time.Minute,
		LockMax:       time.Hour,
		Issuer:        "Cổng số",
		ActorCacheTTL: 3 * time.Second,
	}
}

// RoleSource loads an official's roles; the org domain implements it.
type RoleSource interface {
	Roles(ctx context.Context, userID string) (agencies map[string][]actor.Role, province []actor.Role, err error)
}

// Service manages accounts and sign-in.
type Service struct {
	db    *db.DB
	audit *audit.Log
	roles RoleSource
	now   func() time.Time
	cfg   Config
	// dummyHash is checked for unknown logins so that they take as long as
	// known ones and do not reveal which accounts exist.
	dummyHash string
	cache     *actorCache
}

// New returns the identity service.
func New(d *db.DB, log *audit.Log, roles RoleSource, now func() time.Time, cfg Config) (*Service, error) {
	h, err := HashPassword(cfg.Argon2, "không-có-tài-khoản-này")
	if err != nil {
		return nil, err
	}
	return &Service{db: d, audit: log, roles: roles, now: now, cfg: cfg, dummyHash: h, cache: newActorCache(cfg.ActorCacheTTL)}, nil
}

// User is an account.
type User struct {
	ID          string     `json:"id"`
	Kind        actor.Kind `json:"kind"`
	Username    string     `json:"username"`
	DisplayName string     `json:"display_name"`
	Email       string     `json:"email,omitempty"`
	Phone       string     `json:"phone,omitempty"`
	CitizenID   string     `json:"citizen_id,omitempty"`
	OrgCode     string     `json:"org_code,omitempty"`
	BirthDate   string     `json:"birth_date,omitempty"`
	Address     string     `json:"address,omitempty"`
	TOTPEnabled bool       `json:"totp_enabled"`
	Locked      bool       `json:"locked"`
	Disabled    bool       `json:"disabled"`
	CreatedAt   time.Time  `json:"created_at"`
}

// HoldsPersonalData reports whether reading the account reveals a citizen's or
// organisation's personal data.
func (u *User) HoldsPersonalData() bool {
	return u.Kind == actor.Citizen || u.Kind == actor.Organisation
}

// MaskedCitizenID shows only the last three digits, for lists.
func (u *User) MaskedCitizenID() string {
	if len(u.CitizenID) < 3 {
		return ""
	}
	return strings.Repeat("•", len(u.CitizenID)-3) + u.CitizenID[len(u.CitizenID)-3:]
}

// NewUser is the input for creating an account.
type NewUser struct {
	Kind        actor.Kind `json:"kind"`
	Username    string     `json:"username"`
	DisplayName string     `json:"display_name"`
	Email       string     `json:"email"`
	Phone       string     `json:"phone"`
	CitizenID   string     `json:"citizen_id"`
	OrgCode     string     `json:"org_code"`
	BirthDate   string     `json:"birth_date"`
	Address     string     `json:"address"`
	Password    string     `json:"password"`
}

// Normalize trims and normalises the input and checks it.
func (n *NewUser) Normalize() error {
	f := apperr.Fields{}
	n.Username = strings.ToLower(strings.TrimSpace(n.Username))
	n.DisplayName = vntext.NFC(n.DisplayName)
	n.Address = vntext.NFC(n.Address)
	n.CitizenID = strings.TrimSpace(n.CitizenID)
	n.OrgCode = strings.TrimSpace(n.OrgCode)
	n.BirthDate = strings.TrimSpace(n.BirthDate)
	if !n.Kind.Valid() {
		f.Add("kind", "Loại tài khoản không hợp lệ.")
	}
	if err := ValidateUsername(n.Username); err != nil {
		f.Add("username", apperr.MessageOf(err))
	}
	if n.DisplayName == "" || len([]rune(n.DisplayName)) > 120 || !vntext.Valid(n.DisplayName) {
		f.Add("display_name", "Họ tên (hoặc tên tổ chức) là bắt buộc, tối đa 120 ký tự.")
	}
	if len([]rune(n.Address)) > 300 || !vntext.Valid(n.Address) {
		f.Add("address", "Địa chỉ tối đa 300 ký tự.")
	}
	var err error
	if n.Email, err = NormalizeEmail(n.Email); err != nil {
		f.Add("email", apperr.MessageOf(err))
	}
	if n.Phone, err = NormalizePhone(n.Phone); err != nil {
		f.Add("phone", apperr.MessageOf(err))
	}
	var birth time.Time
	if n.BirthDate != "" {
		if birth, err = time.Parse("2006-01-02", n.BirthDate); err != nil || birth.Year() < 1900 {
			f.Add("birth_date", "Ngày sinh không hợp lệ (định dạng YYYY-MM-DD).")
			birth = time.Time{}
		}
	}
	switch n.Kind {
	case actor.Citizen:
		if err := ValidateCitizenID(n.CitizenID, birth); err != nil {
			f.Add("citizen_id", apperr.MessageOf(err))
		}
		n.OrgCode = ""
	case actor.Organisation:
		if err := ValidateOrgCode(n.OrgCode); err != nil {
			f.Add("org_code", apperr.MessageOf(err))
		}
		n.CitizenID = ""
	default:
		if n.CitizenID != "" {
			if err := ValidateCitizenID(n.CitizenID, birth); err != nil {
				f.Add("citizen_id", apperr.MessageOf(err))
			}
		}
		n.OrgCode = ""
	}
	if n.Kind == actor.Machine {
		if n.Password != "" {
			f.Add("password", "Tài khoản máy không đăng nhập bằng mật khẩu; hãy cấp mã truy cập (token).")
		}
	} else if n.Password != "" || n.Kind != actor.Official {
		if err := ValidatePassword(n.Password, n.Username); err != nil {
			f.Add("password", apperr.MessageOf(err))
		}
	}
	return f.Err()
}

func hashToken(token string) string {
	sum := sha256.Sum256([]byte(token))
	return hex.EncodeToString(sum[:])
}

func newSecretToken(prefix string) string {
	var b [32]byte
	if _, err := rand.Read(b[:]); err != nil {
		panic(fmt.Sprintf("crypto/rand failed: %v", err))
	}
	return prefix + base64.RawURLEncoding.EncodeToString(b[:])
}

// mayCreate decides who may open which kind of account. Nil is an anonymous
// visitor registering themselves.
func mayCreate(by *actor.Actor, kind actor.Kind) bool {
	switch {
	case by.IsSystem() || by.ProvinceAdmin():
		return true
	case by == nil:
		return kind == actor.Citizen || kind == actor.Organisation
	case by.HasAnywhere(actor.AgencyAdmin):
		return kind == actor.Official || kind == actor.Machine
	}
	return false
}

// CreateUser opens an account in the caller's transaction.
func (s *Service) CreateUser(ctx context.Context, tx *db.Tx, by *actor.Actor, in NewUser) (User, error) {
	if err := in.Normalize(); err != nil {
		return User{}, err
	}
	if !mayCreate(by, in.Kind) {
		return User{}, actor.Deny(by, "Bạn không có quyền tạo loại tài khoản này.")
	}
	hash := ""
	if in.Password != "" {
		var err error
		if hash, err = HashPassword(s.cfg.Argon2, in.Password); err != nil {
			return User{}, apperr.Wrap(err, "hash password")
		}
	}
	now := s.now().UTC()
	u := User{ID: db.NewID(), Kind: in.Kind, Username: in.Username, DisplayName: in.DisplayName, Email: in.Email,
		Phone: in.Phone, CitizenID: in.CitizenID, OrgCode: in.OrgCode, BirthDate: in.BirthDate, Address: in.Address, CreatedAt: now}
	_, err := tx.Exec(ctx, `INSERT INTO users (id, kind, username, display_name, email, phone, citizen_id, org_code, birth_date,
		address, password_hash, name_fold, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		u.ID, string(u.Kind), u.Username, u.DisplayName, u.Email, u.Phone, nullable(u.CitizenID), nullable(u.OrgCode),
		nullable(u.BirthDate), u.Address, hash, foldName(u.DisplayName, u.Username), now, now)
	if db.IsUniqueViolation(err) {
		return User{}, uniqueUserError(err)
	}
	if err != nil {
		return User{}, apperr.Wrap(err, "insert user")
	}
	if err := s.audit.Append(ctx, tx, by, audit.Event{Action: "user.create", ObjectType: "user", ObjectID: u.ID,
		Detail: map[string]any{"kind": u.Kind}}); err != nil {
		return User{}, err
	}
	return u, nil
}

func uniqueUserError(err error) error {
	msg := err.Error()
	switch {
	case strings.Contains(msg, "citizen_id"):
		return apperr.Field("citizen_id", "Số định danh cá nhân này đã có tài khoản.")
	case strings.Contains(msg, "org_code"):
		return apperr.Field("org_code", "Mã số doanh nghiệp này đã có tài khoản.")
	}
	return apperr.Field("username", "Tên đăng nhập này đã được dùng.")
}

func foldName(name, username string) string { return vntext.Fold(name + " " + username) }

func nullable(s string) any {
	if s == "" {
		return nil
	}
	return s
}

// Create opens an account in a transaction of its own.
func (s *Service) Create(ctx context.Context, by *actor.Actor, in NewUser) (User, error) {
	var u User
	err := s.db.Tx(ctx, func(tx *db.Tx) error {
		var err error
		u, err = s.CreateUser(ctx, tx, by, in)
		return err
	})
	return u, err
}

const userColumns = `id, kind, username, display_name, email, phone, COALESCE(citizen_id, ''), COALESCE(org_code, ''),
	COALESCE(birth_date, ''), address, totp_enabled, locked_until, disabled_at, created_at`

func (s *Service) scanUser(row interface{ Scan(...any) error }) (User, error) {
	var u User
	var kind string
	var locked, disabled sql.NullTime
	err := row.Scan(&u.ID, &kind, &u.Username, &u.DisplayName, &u.Email, &u.Phone, &u.CitizenID, &u.OrgCode,
		&u.BirthDate, &u.Address, &u.TOTPEnabled, &locked, &disabled, &u.CreatedAt)
	u.Kind = actor.Kind(kind)
	u.Locked = locked.Valid && locked.Time.After(s.now())
	u.Disabled = disabled.Valid
	return u, err
}

// lookup reads an account without authorisation checks or audit, for the
// service's own use.
func (s *Service) lookup(ctx context.Context, r db.Runner, where string, arg any) (User, error) {
	u, err := s.scanUser(r.QueryRow(ctx, "SELECT "+userColumns+" FROM users WHERE "+where, arg))
	if errors.Is(err, sql.ErrNoRows) {
		return User{}, apperr.New(apperr.NotFound, "Không tìm thấy tài khoản.")
	}
	if err != nil {
		return User{}, apperr.Wrap(err, "read user")
	}
	return u, nil
}

// UserByUsername reads an account by its login name (for the command line and
// other trusted callers).
func (s *Service) UserByUsername(ctx context.Context, username string) (User, error) {
	return s.lookup(ctx, s.db, "username = ?", strings.ToLower(strings.TrimSpace(username)))
}

// Get reads an account. An official's read of a citizen's or organisation's
// account is recorded in the audit log.
func (s *Service) Get(ctx context.Context, by *actor.Actor, id string) (User, error) {
	u, err := s.lookup(ctx, s.db, "id = ?", id)
	if err != nil {
		return User{}, err
	}
	if err := s.mayRead(ctx, by, u); err != nil {
		return User{}, err
	}
	if u.HoldsPersonalData() && by.UserID != u.ID {
		if err := s.audit.Record(ctx, by, audit.Event{Action: audit.ActionReadPersonal, ObjectType: "user", ObjectID: u.ID}); err != nil {
			return User{}, err
		}
	}
	return u, nil
}

func (s *Service) mayRead(ctx context.Context, by *actor.Actor, u User) error {
	if by == nil {
		return apperr.New(apperr.Unauthorized, "Bạn cần đăng nhập.")
	}
	if by.UserID == u.ID || by.IsSystem() || by.ProvinceWide() {
		return nil
	}
	if u.Kind == actor.Official || u.Kind == actor.Machine {
		agencies, _, err := s.roles.Roles(ctx, u.ID)
		if err != nil {
			return apperr.Wrap(err, "load roles")
		}
		for id := range agencies {
			if by.CanAdminister(id) {
				return nil
			}
		}
	}
	return actor.Deny(by, "Bạn không có quyền xem tài khoản này.")
}

// loginFailed is the one answer to a wrong login or password, so that the
// answer does not reveal which accounts exist.
func loginFailed() error {
	return apperr.New(apperr.Unauthorized, "Tên đăng nhập hoặc mật khẩu không đúng.")
}
