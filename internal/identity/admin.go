package identity

import (
	"context"
	"fmt"

	"github.com/congso/congso/internal/actor"
	"github.com/congso/congso/internal/apperr"
	"github.com/congso/congso/internal/audit"
	"github.com/congso/congso/internal/db"
	"github.com/congso/congso/internal/vntext"
)

// ListFilter selects accounts.
type ListFilter struct {
	Kind  actor.Kind
	Query string
	// AgencyIDs limits officials to those with a role in these agencies.
	AgencyIDs []string
	// After is a cursor: accounts with a larger ID.
	After string
	Limit int
}

// List returns accounts ordered by ID. Province-wide roles see every account;
// agency admins see the officials of their agencies. Listing citizens or
// organisations is a read of personal data and is audited.
func (s *Service) List(ctx context.Context, by *actor.Actor, f ListFilter) ([]User, error) {
	switch {
	case by == nil || !by.IsOfficial():
		return nil, actor.Deny(by, "Bạn không có quyền xem danh sách tài khoản.")
	case by.IsSystem() || by.ProvinceWide():
	case by.HasAnywhere(actor.AgencyAdmin):
		if f.Kind != "" && f.Kind != actor.Official && f.Kind != actor.Machine {
			return nil, actor.Deny(by, "Bạn chỉ xem được tài khoản cán bộ của cơ quan mình.")
		}
		var mine []string
		for _, id := range by.AgencyIDs() {
			if by.Has(actor.AgencyAdmin, id) {
				mine = append(mine, id)
			}
		}
		if f.AgencyIDs == nil {
			f.AgencyIDs = mine
		}
		for _, id := range f.AgencyIDs {
			if !by.Has(actor.AgencyAdmin, id) {
				return nil, actor.Deny(by, "Bạn chỉ xem được tài khoản cán bộ của cơ quan mình.")
			}
		}
	default:
		return nil, actor.Deny(by, "Bạn không có quyền xem danh sách tài khoản.")
	}
	if f.Limit <= 0 || f.Limit > 1000 {
		f.Limit = 50
	}
	q := "SELECT " + userColumns + " FROM users WHERE id > ?"
	args := []any{f.After}
	if f.Kind != "" {
		q += " AND kind = ?"
		args = append(args, string(f.Kind))
	}
	if f.Query != "" {
		q += " AND name_fold LIKE ?"
		args = append(args, "%"+vntext.Fold(f.Query)+"%")
	}
	if f.AgencyIDs != nil {
		if len(f.AgencyIDs) == 0 {
			return nil, nil
		}
		q += " AND id IN (SELECT user_id FROM staff_roles WHERE agency_id IN (" + db.Placeholders(len(f.AgencyIDs)) + "))"
		for _, id := range f.AgencyIDs {
			args = append(args, id)
		}
	}
	q += fmt.Sprintf(" ORDER BY id LIMIT %d", f.Limit)
	rows, err := s.db.Query(ctx, q, args...)
	if err != nil {
		return nil, apperr.Wrap(err, "list users")
	}
	defer rows.Close()
	var out []User
	personal := 0
	for rows.Next() {
		u, err := s.scanUser(rows)
		if err != nil {
			return nil, apperr.Wrap(err, "scan user")
		}
		if u.HoldsPersonalData() {
			personal++
		}
		out = append(out, u)
	}
	if err := rows.Err(); err != nil {
		return nil, apperr.Wrap(err, "list users")
	}
	if personal > 0 && !by.IsSystem() {
		if err := s.audit.Record(ctx, by, audit.Event{Action: audit.ActionReadPersonal, ObjectType: "user_list",
			Detail: map[string]any{"accounts": personal, "kind": f.Kind}}); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// SetPassword changes a password: the account's own (with the current one),
// or anyone's for a province admin or the system.
func (s *Service) SetPassword(ctx context.Context, by *actor.Actor, userID, current, next string) error {
	u, err := s.lookup(ctx, s.db, "id = ?", userID)
	if err != nil {
		return err
	}
	self := by != nil && by.UserID == userID
	if !self && !by.IsSystem() && !by.ProvinceAdmin() {
		return actor.Deny(by, "Bạn không có quyền đổi mật khẩu tài khoản này.")
	}
	if u.Kind == actor.Machine {
		return apperr.New(apperr.Invalid, "Tài khoản máy không dùng mật khẩu.")
	}
	if self {
		var hash string
		if err := s.db.QueryRow(ctx, "SELECT password_hash FROM users WHERE id = ?", userID).Scan(&hash); err != nil {
			return apperr.Wrap(err, "read password")
		}
		if !CheckPassword(hash, current) {
			return apperr.Field("current_password", "Mật khẩu hiện tại không đúng.")
		}
	}
	if err := ValidatePassword(next, u.Username); err != nil {
		return err
	}
	hash, err := HashPassword(s.cfg.Argon2, next)
	if err != nil {
		return apperr.Wrap(err, "hash password")
	}
	return s.db.Tx(ctx, func(tx *db.Tx) error {
		if _, err := tx.Exec(ctx, "UPDATE users SET password_hash = ?, failed_logins = 0, locked_until = NULL, updated_at = ? WHERE id = ?",
			hash, s.now().UTC(), userID); err != nil {
			return apperr.Wrap(err, "set password")
		}
		s.cache.forgetUser(userID)
		// Other sessions end: a changed password must lock out whoever knew the old one.
		if _, err := tx.Exec(ctx, "DELETE FROM sessions WHERE user_id = ? AND id_hash <> ?", userID, sessionOf(by)); err != nil {
			return apperr.Wrap(err, "end sessions")
		}
		return s.audit.Append(ctx, tx, by, audit.Event{Action: "user.password", ObjectType: "user", ObjectID: userID})
	})
}

func sessionOf(a *actor.Actor) string {
	if a == nil {
		return ""
	}
	return a.SessionID
}

// SetDisabled disables or re-enables an account; disabling ends its sessions
// and stops its tokens.
func (s *Service) SetDisabled(ctx context.Context, by *actor.Actor, userID string, disabled bool) error {
	u, err := s.lookup(ctx, s.db, "id = ?", userID)
	if err != nil {
		return err
	}
	may, err := s.mayDisable(ctx, by, u)
	if err != nil {
		return err
	}
	if !may {
		return actor.Deny(by, "Bạn không có quyền khóa tài khoản này.")
	}
	if by.UserID == userID {
		return apperr.New(apperr.Invalid, "Bạn không thể tự khóa tài khoản của mình.")
	}
	return s.db.Tx(ctx, func(tx *db.Tx) error {
		var at any
		action := "user.enable"
		if disabled {
			at, action = s.now().UTC(), "user.disable"
			if _, err := tx.Exec(ctx, "DELETE FROM sessions WHERE user_id = ?", userID); err != nil {
				return apperr.Wrap(err, "end sessions")
			}
		}
		if _, err := tx.Exec(ctx, "UPDATE users SET disabled_at = ?, updated_at = ? WHERE id = ?", at, s.now().UTC(), userID); err != nil {
			return apperr.Wrap(err, "disable user")
		}
		s.cache.forgetUser(userID)
		return s.audit.Append(ctx, tx, by, audit.Event{Action: action, ObjectType: "user", ObjectID: userID})
	})
}

// mayDisable: the system and province admins may disable any account; an
// agency admin only an official of an agency they administer, and not one
// with a province-wide role (who answers to the province admins).
func (s *Service) mayDisable(ctx context.Context, by *actor.Actor, u User) (bool, error) {
	switch {
	case by == nil:
		return false, nil
	case by.IsSystem() || by.ProvinceAdmin():
		return true, nil
	case u.Kind != actor.Official || !by.HasAnywhere(actor.AgencyAdmin):
		return false, nil
	}
	agencies, province, err := s.roles.Roles(ctx, u.ID)
	if err != nil {
		return false, apperr.Wrap(err, "load roles")
	}
	if len(province) > 0 {
		return false, nil
	}
	for id := range agencies {
		if by.Has(actor.AgencyAdmin, id) {
			return true, nil
		}
	}
	return false, nil
}

// UpdateProfile changes the account's own contact details.
func (s *Service) UpdateProfile(ctx context.Context, by *actor.Actor, displayName, email, phone string) error {
	if by == nil || by.IsSystem() {
		return apperr.New(apperr.Unauthorized, "Bạn cần đăng nhập.")
	}
	f := apperr.Fields{}
	displayName = vntext.NFC(displayName)
	if displayName == "" || len([]rune(displayName)) > 120 || !vntext.Valid(displayName) {
		f.Add("display_name", "Họ tên là bắt buộc, tối đa 120 ký tự.")
	}
	email, err := NormalizeEmail(email)
	if err != nil {
		f.Add("email", apperr.MessageOf(err))
	}
	phone, err = NormalizePhone(phone)
	if err != nil {
		f.Add("phone", apperr.MessageOf(err))
	}
	if err := f.Err(); err != nil {
		return err
	}
	return s.db.Tx(ctx, func(tx *db.Tx) error {
		u, err := s.lookup(ctx, tx, "id = ?", by.UserID)
		if err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, "UPDATE users SET display_name = ?, email = ?, phone = ?, name_fold = ?, updated_at = ? WHERE id = ?",
			displayName, email, phone, foldName(displayName, u.Username), s.now().UTC(), by.UserID); err != nil {
			return apperr.Wrap(err, "update profile")
		}
		return s.audit.Append(ctx, tx, by, audit.Event{Action: "user.profile", ObjectType: "user", ObjectID: by.UserID})
	})
}
