package identity

import (
	"context"
	"database/sql"
	"errors"
	"strings"
	"time"

	"github.com/congso/congso/internal/actor"
	"github.com/congso/congso/internal/apperr"
	"github.com/congso/congso/internal/audit"
	"github.com/congso/congso/internal/db"
)

// Stage says how far a session has got through sign-in.
type Stage string

const (
	// StageDone: signed in.
	StageDone Stage = "done"
	// StageTOTP: the password was right; the second factor is still due.
	StageTOTP Stage = "totp"
	// StageEnrol: an admin without a second factor must set one up first.
	StageEnrol Stage = "enrol"
)

// Session is a signed-in browser.
type Session struct {
	IDHash     string    `json:"-"`
	UserID     string    `json:"user_id"`
	Stage      Stage     `json:"stage"`
	IP         string    `json:"ip"`
	UserAgent  string    `json:"user_agent"`
	CreatedAt  time.Time `json:"created_at"`
	LastSeenAt time.Time `json:"last_seen_at"`
	ExpiresAt  time.Time `json:"expires_at"`
}

// LoginInput is a sign-in attempt. Login is a username, a citizen ID number
// or an enterprise code.
type LoginInput struct {
	Login     string
	Password  string
	IP        string
	UserAgent string
}

// LoginResult carries the new session's secret token, to be set as a cookie.
type LoginResult struct {
	Token string
	User  User
	Stage Stage
}

// findLogin finds the account a login names: a 12-digit number is a citizen
// ID, a 10-digit (or 10-3-digit) number an enterprise code, anything else a
// username. A number that is nobody's citizen ID or enterprise code is tried
// as a username too, so that an account whose username looks like one (a
// phone number, say) can still sign in.
func (s *Service) findLogin(ctx context.Context, r db.Runner, login string) (User, string, error) {
	login = strings.TrimSpace(login)
	var columns []string
	switch {
	case len(login) == 12 && digitsPattern.MatchString(login):
		columns = []string{"citizen_id", "username"}
	case orgCodePattern.MatchString(login):
		columns = []string{"org_code", "username"}
	default:
		login = strings.ToLower(login)
		columns = []string{"username"}
	}
	for _, col := range columns {
		var hash string
		err := r.QueryRow(ctx, "SELECT password_hash FROM users WHERE "+col+" = ?", login).Scan(&hash)
		if errors.Is(err, sql.ErrNoRows) {
			continue
		}
		if err != nil {
			return User{}, "", apperr.Wrap(err, "find login")
		}
		u, err := s.lookup(ctx, r, col+" = ?", login)
		return u, hash, err
	}
	return User{}, "", apperr.New(apperr.NotFound, "no such login")
}

// Login checks a password. Repeated failures lock the account for a while,
// doubling each time; the lock holds even for the right password.
func (s *Service) Login(ctx context.Context, in LoginInput) (LoginResult, error) {
	if in.Login == "" || in.Password == "" || len(in.Password) > 200 || len(in.Login) > 100 {
		return LoginResult{}, apperr.New(apperr.Invalid, "Hãy nhập tên đăng nhập và mật khẩu.")
	}
	u, hash, err := s.findLogin(ctx, s.db, in.Login)
	if apperr.Is(err, apperr.NotFound) {
		CheckPassword(s.dummyHash, in.Password)
		return LoginResult{}, loginFailed()
	}
	if err != nil {
		return LoginResult{}, err
	}
	now := s.now().UTC()
	var res LoginResult
	var failure error
	err = s.db.Tx(ctx, func(tx *db.Tx) error {
		var failed int
		var lockedUntil sql.NullTime
		if err := tx.QueryRow(ctx, "SELECT failed_logins, locked_until FROM users WHERE id = ?", u.ID).Scan(&failed, &lockedUntil); err != nil {
			return apperr.Wrap(err, "read lock-out state")
		}
		if lockedUntil.Valid && lockedUntil.Time.After(now) {
			failure = apperr.New(apperr.TooMany, "Tài khoản tạm khóa do đăng nhập sai nhiều lần. Vui lòng thử lại sau %s.",
				lockedUntil.Time.In(vietnam).Format("15:04 ngày 02/01/2006"))
			return nil
		}
		if u.Kind == actor.Machine || hash == "" || !CheckPassword(hash, in.Password) {
			failed++
			var until any
			if failed >= s.cfg.LockThreshold {
				until = now.Add(s.lockFor(failed))
			}
			if _, err := tx.Exec(ctx, "UPDATE users SET failed_logins = ?, locked_until = ? WHERE id = ?", failed, until, u.ID); err != nil {
				return apperr.Wrap(err, "record failed login")
			}
			failure = loginFailed()
			return s.audit.Append(ctx, tx, &actor.Actor{UserID: "anonymous", IP: in.IP}, audit.Event{
				Action: "auth.login_failed", ObjectType: "user", ObjectID: u.ID, Detail: map[string]any{"failures": failed}})
		}
		if u.Disabled {
			failure = apperr.New(apperr.Forbidden, "Tài khoản đã bị vô hiệu hóa. Liên hệ quản trị hệ thống.")
			return nil
		}
		if _, err := tx.Exec(ctx, "UPDATE users SET failed_logins = 0, locked_until = NULL WHERE id = ?", u.ID); err != nil {
			return apperr.Wrap(err, "reset failed logins")
		}
		stage, err := s.stageAfterPassword(ctx, u)
		if err != nil {
			return err
		}
		token, err := s.createSession(ctx, tx, u.ID, stage, in.IP, in.UserAgent, now)
		if err != nil {
			return err
		}
		res = LoginResult{Token: token, User: u, Stage: stage}
		return s.audit.Append(ctx, tx, &actor.Actor{UserID: u.ID, IP: in.IP}, audit.Event{
			Action: "auth.login", ObjectType: "user", ObjectID: u.ID, Detail: map[string]any{"stage": stage}})
	})
	if err != nil {
		return LoginResult{}, err
	}
	if failure != nil {
		return LoginResult{}, failure
	}
	return res, nil
}

func (s *Service) lockFor(failures int) time.Duration {
	d := s.cfg.LockBase
	for i := s.cfg.LockThreshold; i < failures && d < s.cfg.LockMax; i++ {
		d *= 2
	}
	return min(d, s.cfg.LockMax)
}

// stageAfterPassword decides whether an official still owes a second factor:
// those who set one up always, and admins must set one up.
func (s *Service) stageAfterPassword(ctx context.Context, u User) (Stage, error) {
	if u.Kind != actor.Official {
		return StageDone, nil
	}
	if u.TOTPEnabled {
		return StageTOTP, nil
	}
	a, err := s.actorFor(ctx, u, "", "")
	if err != nil {
		return "", err
	}
	if a.IsAdmin() {
		return StageEnrol, nil
	}
	return StageDone, nil
}

func (s *Service) createSession(ctx context.Context, tx *db.Tx, userID string, stage Stage, ip, ua string, now time.Time) (string, error) {
	token := newSecretToken("css_")
	if len(ua) > 300 {
		ua = ua[:300]
	}
	_, err := tx.Exec(ctx, `INSERT INTO sessions (id_hash, user_id, mfa_done, ip, user_agent, created_at, last_seen_at, expires_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?)`, hashToken(token), userID, stage == StageDone, ip, ua, now, now, now.Add(s.cfg.SessionTTL))
	if err != nil {
		return "", apperr.Wrap(err, "create session")
	}
	return token, nil
}

// Authenticate resolves a session token into the actor and the session. A
// session still at the second-factor stage comes back with that stage; the
// caller must then allow nothing but finishing sign-in.
func (s *Service) Authenticate(ctx context.Context, token, ip string) (*actor.Actor, Session, error) {
	if token == "" || len(token) > 100 {
		return nil, Session{}, apperr.New(apperr.Unauthorized, "Bạn cần đăng nhập.")
	}
	now := s.now().UTC()
	sess := Session{IDHash: hashToken(token)}
	if e, ok := s.cache.get("s:"+sess.IDHash, now); ok && now.Before(e.session.ExpiresAt) {
		return withIP(e.actor, ip), e.session, nil
	}
	var mfa bool
	var disabled sql.NullTime
	err := s.db.QueryRow(ctx, `SELECT s.user_id, s.mfa_done, s.ip, s.user_agent, s.created_at, s.last_seen_at, s.expires_at, u.disabled_at
		FROM sessions s JOIN users u ON u.id = s.user_id WHERE s.id_hash = ?`, sess.IDHash).
		Scan(&sess.UserID, &mfa, &sess.IP, &sess.UserAgent, &sess.CreatedAt, &sess.LastSeenAt, &sess.ExpiresAt, &disabled)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, Session{}, apperr.New(apperr.Unauthorized, "Phiên đăng nhập đã hết hạn, vui lòng đăng nhập lại.")
	}
	if err != nil {
		return nil, Session{}, apperr.Wrap(err, "read session")
	}
	if disabled.Valid || !now.Before(sess.ExpiresAt) || !now.Before(sess.LastSeenAt.Add(s.cfg.IdleTTL)) {
		_, _ = s.db.Exec(ctx, "DELETE FROM sessions WHERE id_hash = ?", sess.IDHash)
		return nil, Session{}, apperr.New(apperr.Unauthorized, "Phiên đăng nhập đã hết hạn, vui lòng đăng nhập lại.")
	}
	u, err := s.lookup(ctx, s.db, "id = ?", sess.UserID)
	if err != nil {
		return nil, Session{}, err
	}
	sess.Stage = StageDone
	if !mfa {
		if sess.Stage, err = s.stageAfterPassword(ctx, u); err != nil {
			return nil, Session{}, err
		}
	}
	// Touch at most once a minute: a write per request would serialise reads
	// behind the single SQLite writer.
	if now.Sub(sess.LastSeenAt) > time.Minute {
		if _, err := s.db.Exec(ctx, "UPDATE sessions SET last_seen_at = ? WHERE id_hash = ?", now, sess.IDHash); err != nil {
			return nil, Session{}, apperr.Wrap(err, "touch session")
		}
		sess.LastSeenAt = now
	}
	a, err := s.actorFor(ctx, u, ip, sess.IDHash)
	if err == nil && sess.Stage == StageDone {
		s.cache.put("s:"+sess.IDHash, a, sess, now)
	}
	return a, sess, err
}

func (s *Service) actorFor(ctx context.Context, u User, ip, sessionID string) (*actor.Actor, error) {
	a := &actor.Actor{UserID: u.ID, Kind: u.Kind, Username: u.Username, DisplayName: u.DisplayName, IP: ip, SessionID: sessionID}
	if u.Kind == actor.Official || u.Kind == actor.Machine {
		var err error
		if a.Agencies, a.Province, err = s.roles.Roles(ctx, u.ID); err != nil {
			return nil, apperr.Wrap(err, "load roles")
		}
	}
	return a, nil
}

// ActorFor builds the actor of an account, for trusted callers such as the
// command line.
func (s *Service) ActorFor(ctx context.Context, userID string) (*actor.Actor, error) {
	u, err := s.lookup(ctx, s.db, "id = ?", userID)
	if err != nil {
		return nil, err
	}
	return s.actorFor(ctx, u, "", "")
}

// VerifyTOTP completes sign-in with a second-factor code and returns a new
// session token (the old one is dropped, so a token seen before the second
// factor is worthless after it). Wrong codes count towards the lock-out.
func (s *Service) VerifyTOTP(ctx context.Context, token, code, ip string) (string, error) {
	var newToken string
	var failure error
	now := s.now().UTC()
	err := s.db.Tx(ctx, func(tx *db.Tx) error {
		var userID, secret string
		var enabled bool
		var lastStep int64
		var failed int
		err := tx.QueryRow(ctx, `SELECT u.id, u.totp_secret, u.totp_enabled, u.totp_last_step, u.failed_logins
			FROM sessions s JOIN users u ON u.id = s.user_id WHERE s.id_hash = ? AND s.expires_at > ? AND s.last_seen_at > ?`,
			hashToken(token), now, now.Add(-s.cfg.IdleTTL)).
			Scan(&userID, &secret, &enabled, &lastStep, &failed)
		if errors.Is(err, sql.ErrNoRows) {
			failure = apperr.New(apperr.Unauthorized, "Phiên đăng nhập đã hết hạn, vui lòng đăng nhập lại.")
			return nil
		}
		if err != nil {
			return apperr.Wrap(err, "read session")
		}
		if !enabled {
			failure = apperr.New(apperr.Invalid, "Tài khoản chưa thiết lập xác thực hai lớp.")
			return nil
		}
		step, ok := checkTOTP(secret, code, now, lastStep)
		if !ok {
			failed++
			var until any
			if failed >= s.cfg.LockThreshold {
				until = now.Add(s.lockFor(failed))
				// A locked account loses its half-finished sessions too.
				if _, err := tx.Exec(ctx, "DELETE FROM sessions WHERE user_id = ? AND mfa_done = ?", userID, false); err != nil {
					return apperr.Wrap(err, "drop sessions")
				}
			}
			if _, err := tx.Exec(ctx, "UPDATE users SET failed_logins = ?, locked_until = ? WHERE id = ?", failed, until, userID); err != nil {
				return apperr.Wrap(err, "record failed code")
			}
			failure = apperr.Field("code", "Mã xác thực không đúng hoặc đã được dùng.")
			return s.audit.Append(ctx, tx, &actor.Actor{UserID: userID, IP: ip}, audit.Event{
				Action: "auth.totp_failed", ObjectType: "user", ObjectID: userID})
		}
		if _, err := tx.Exec(ctx, "UPDATE users SET totp_last_step = ?, failed_logins = 0, locked_until = NULL WHERE id = ?", step, userID); err != nil {
			return apperr.Wrap(err, "record code")
		}
		newToken, err = s.promoteSession(ctx, tx, token, userID, now)
		if err != nil {
			return err
		}
		return s.audit.Append(ctx, tx, &actor.Actor{UserID: userID, IP: ip}, audit.Event{
			Action: "auth.totp", ObjectType: "user", ObjectID: userID})
	})
	if err != nil {
		return "", err
	}
	return newToken, failure
}

// promoteSession replaces a half-finished session of the user by a full one.
func (s *Service) promoteSession(ctx context.Context, tx *db.Tx, token, userID string, now time.Time) (string, error) {
	var ip, ua string
	err := tx.QueryRow(ctx, "SELECT ip, user_agent FROM sessions WHERE id_hash = ? AND user_id = ? AND expires_at > ?",
		hashToken(token), userID, now).Scan(&ip, &ua)
	if errors.Is(err, sql.ErrNoRows) {
		return "", apperr.New(apperr.Unauthorized, "Phiên đăng nhập đã hết hạn, vui lòng đăng nhập lại.")
	}
	if err != nil {
		return "", apperr.Wrap(err, "read session")
	}
	if _, err := tx.Exec(ctx, "DELETE FROM sessions WHERE id_hash = ?", hashToken(token)); err != nil {
		return "", apperr.Wrap(err, "drop session")
	}
	return s.createSession(ctx, tx, userID, StageDone, ip, ua, now)
}

// BeginTOTPEnrol creates a new pending secret for the signed-in user and
// returns it with the otpauth:// address to scan. The factor is active only
// after ConfirmTOTPEnrol.
func (s *Service) BeginTOTPEnrol(ctx context.Context, by *actor.Actor) (secret, uri string, err error) {
	if by == nil || by.Kind != actor.Official {
		return "", "", actor.Deny(by, "Chỉ tài khoản cán bộ dùng xác thực hai lớp.")
	}
	var enabled bool
	if err := s.db.QueryRow(ctx, "SELECT totp_enabled FROM users WHERE id = ?", by.UserID).Scan(&enabled); err != nil {
		return "", "", apperr.Wrap(err, "read user")
	}
	if enabled {
		return "", "", apperr.New(apperr.Conflict, "Xác thực hai lớp đã được thiết lập.")
	}
	if secret, err = NewTOTPSecret(); err != nil {
		return "", "", apperr.Wrap(err, "totp secret")
	}
	if _, err := s.db.Exec(ctx, "UPDATE users SET totp_secret = ?, updated_at = ? WHERE id = ? AND totp_enabled = ?",
		secret, s.now().UTC(), by.UserID, false); err != nil {
		return "", "", apperr.Wrap(err, "store totp secret")
	}
	return secret, TOTPURI(s.cfg.Issuer, by.Username, secret), nil
}

// ConfirmTOTPEnrol activates the pending secret once the user proves their app
// shows the right code, and returns a new session token for a session that has
// now passed the second factor.
func (s *Service) ConfirmTOTPEnrol(ctx context.Context, by *actor.Actor, sessionToken, code string) (string, error) {
	if by == nil || by.Kind != actor.Official {
		return "", actor.Deny(by, "Chỉ tài khoản cán bộ dùng xác thực hai lớp.")
	}
	now := s.now().UTC()
	var newToken string
	err := s.db.Tx(ctx, func(tx *db.Tx) error {
		var secret string
		var enabled bool
		if err := tx.QueryRow(ctx, "SELECT totp_secret, totp_enabled FROM users WHERE id = ?", by.UserID).Scan(&secret, &enabled); err != nil {
			return apperr.Wrap(err, "read user")
		}
		if enabled {
			return apperr.New(apperr.Conflict, "Xác thực hai lớp đã được thiết lập.")
		}
		if secret == "" {
			return apperr.New(apperr.Invalid, "Hãy bắt đầu thiết lập lại xác thực hai lớp.")
		}
		step, ok := checkTOTP(secret, code, now, 0)
		if !ok {
			return apperr.Field("code", "Mã xác thực không đúng. Kiểm tra giờ trên điện thoại và thử lại.")
		}
		if _, err := tx.Exec(ctx, "UPDATE users SET totp_enabled = ?, totp_last_step = ?, updated_at = ? WHERE id = ?",
			true, step, now, by.UserID); err != nil {
			return apperr.Wrap(err, "enable totp")
		}
		var err error
		if newToken, err = s.promoteSession(ctx, tx, sessionToken, by.UserID, now); err != nil {
			return err
		}
		return s.audit.Append(ctx, tx, by, audit.Event{Action: "auth.totp_enrol", ObjectType: "user", ObjectID: by.UserID})
	})
	return newToken, err
}

// ResetTOTP removes a user's second factor (a lost phone); only province
// admins may, and the user must set one up again at next sign-in if they are
// an admin. All the user's sessions end.
func (s *Service) ResetTOTP(ctx context.Context, by *actor.Actor, userID string) error {
	if !by.ProvinceAdmin() {
		return actor.Deny(by, "Chỉ quản trị toàn tỉnh được đặt lại xác thực hai lớp.")
	}
	return s.db.Tx(ctx, func(tx *db.Tx) error {
		res, err := tx.Exec(ctx, "UPDATE users SET totp_enabled = ?, totp_secret = '', totp_last_step = 0, updated_at = ? WHERE id = ?",
			false, s.now().UTC(), userID)
		if err != nil {
			return apperr.Wrap(err, "reset totp")
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return apperr.New(apperr.NotFound, "Không tìm thấy tài khoản.")
		}
		if _, err := tx.Exec(ctx, "DELETE FROM sessions WHERE user_id = ?", userID); err != nil {
			return apperr.Wrap(err, "end sessions")
		}
		s.cache.forgetUser(userID)
		return s.audit.Append(ctx, tx, by, audit.Event{Action: "auth.totp_reset", ObjectType: "user", ObjectID: userID})
	})
}

// Logout ends one session.
func (s *Service) Logout(ctx context.Context, token string) error {
	if token == "" {
		return nil
	}
	s.cache.forgetKey("s:" + hashToken(token))
	_, err := s.db.Exec(ctx, "DELETE FROM sessions WHERE id_hash = ?", hashToken(token))
	return apperr.Wrap(err, "end session")
}

// LogoutEverywhere ends every session of the user (and the caller's own).
func (s *Service) LogoutEverywhere(ctx context.Context, by *actor.Actor) (int64, error) {
	if by == nil {
		return 0, apperr.New(apperr.Unauthorized, "Bạn cần đăng nhập.")
	}
	var n int64
	err := s.db.Tx(ctx, func(tx *db.Tx) error {
		res, err := tx.Exec(ctx, "DELETE FROM sessions WHERE user_id = ?", by.UserID)
		if err != nil {
			return apperr.Wrap(err, "end sessions")
		}
		n, _ = res.RowsAffected()
		s.cache.forgetUser(by.UserID)
		return s.audit.Append(ctx, tx, by, audit.Event{Action: "auth.logout_all", ObjectType: "user", ObjectID: by.UserID,
			Detail: map[string]any{"sessions": n}})
	})
	return n, err
}

// Sessions lists the user's open sessions, newest first.
func (s *Service) Sessions(ctx context.Context, by *actor.Actor) ([]Session, error) {
	if by == nil {
		return nil, apperr.New(apperr.Unauthorized, "Bạn cần đăng nhập.")
	}
	rows, err := s.db.Query(ctx, `SELECT id_hash, user_id, mfa_done, ip, user_agent, created_at, last_seen_at, expires_at
		FROM sessions WHERE user_id = ? AND expires_at > ? ORDER BY created_at DESC`, by.UserID, s.now().UTC())
	if err != nil {
		return nil, apperr.Wrap(err, "list sessions")
	}
	defer rows.Close()
	var out []Session
	for rows.Next() {
		var x Session
		var mfa bool
		if err := rows.Scan(&x.IDHash, &x.UserID, &mfa, &x.IP, &x.UserAgent, &x.CreatedAt, &x.LastSeenAt, &x.ExpiresAt); err != nil {
			return nil, apperr.Wrap(err, "scan session")
		}
		x.Stage = StageDone
		if !mfa {
			x.Stage = StageTOTP
		}
		out = append(out, x)
	}
	return out, apperr.Wrap(rows.Err(), "list sessions")
}

// vietnam is the platform's display zone (no daylight saving).
var vietnam = time.FixedZone("ICT", 7*3600)
