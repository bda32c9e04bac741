package notify

import (
	"context"

	"github.com/congso/congso/internal/actor"
	"github.com/congso/congso/internal/apperr"
	"github.com/congso/congso/internal/audit"
	"github.com/congso/congso/internal/db"
)

// Choice is an account's channels for one event.
type Choice struct {
	Event Event  `json:"event"`
	Label string `json:"label,omitempty"`
	Email bool   `json:"email"`
	SMS   bool   `json:"sms"`
	// Default is set when the account has not chosen and the defaults apply.
	Default bool `json:"default,omitempty"`
}

// Preferences are an account's notification settings with what they depend
// on: the contact details on the account and the channels the platform has.
type Preferences struct {
	// Email and Phone are the account's own contact details, where messages go.
	Email string `json:"email"`
	Phone string `json:"phone"`
	// EmailOn and SMSOn tell whether the platform sends on each channel.
	EmailOn bool     `json:"email_on"`
	SMSOn   bool     `json:"sms_on"`
	Events  []Choice `json:"events"`
}

// mayManage lets the account holder (and the platform itself) see and set
// their preferences; nobody else's are anyone's business.
func mayManage(by *actor.Actor, userID string) error {
	if by == nil {
		return apperr.New(apperr.Unauthorized, "Bạn cần đăng nhập.")
	}
	if by.UserID != userID && !by.IsSystem() {
		return actor.Deny(by, "Chỉ chủ tài khoản được xem và chọn cách nhận thông báo của mình.")
	}
	return nil
}

// Preferences returns the account's choices, the defaults filled in.
func (s *Service) Preferences(ctx context.Context, by *actor.Actor, userID string) (Preferences, error) {
	if err := mayManage(by, userID); err != nil {
		return Preferences{}, err
	}
	return s.preferences(ctx, s.db, userID)
}

func (s *Service) preferences(ctx context.Context, r db.Runner, userID string) (Preferences, error) {
	c, found, err := loadContact(ctx, r, userID)
	if err != nil {
		return Preferences{}, err
	}
	if !found {
		return Preferences{}, apperr.New(apperr.NotFound, "Không có tài khoản này.")
	}
	stored, err := loadChoices(ctx, r, userID)
	if err != nil {
		return Preferences{}, err
	}
	p := Preferences{Email: c.Email, Phone: c.Phone, EmailOn: s.Enabled(Email), SMSOn: s.Enabled(SMS)}
	for _, e := range Events() {
		ch, ok := stored[e]
		if !ok {
			ch = defaultChoice(e, c.Email != "", c.Phone != "")
		}
		p.Events = append(p.Events, Choice{Event: e, Label: e.Label(), Email: ch.Email, SMS: ch.SMS, Default: !ok})
	}
	return p, nil
}

// SetPreferences stores the account's choices for the events listed; the
// others keep theirs. A channel can be chosen only when the account has its
// address. Choosing neither channel for an event turns it off.
func (s *Service) SetPreferences(ctx context.Context, by *actor.Actor, userID string, choices []Choice) (Preferences, error) {
	if err := mayManage(by, userID); err != nil {
		return Preferences{}, err
	}
	if len(choices) > len(Events()) {
		return Preferences{}, apperr.Field("events", "Danh sách sự kiện không hợp lệ.")
	}
	var out Preferences
	err := s.db.Tx(ctx, func(tx *db.Tx) error {
		c, found, err := loadContact(ctx, tx, userID)
		if err != nil {
			return err
		}
		if !found {
			return apperr.New(apperr.NotFound, "Không có tài khoản này.")
		}
		f := apperr.Fields{}
		seen := map[Event]bool{}
		for _, ch := range choices {
			switch {
			case !ch.Event.Valid():
				f.Add("events", "Không có loại thông báo \""+string(ch.Event)+"\".")
			case seen[ch.Event]:
				f.Add("events", "Mỗi loại thông báo chỉ chọn một lần.")
			case ch.Email && c.Email == "":
				f.Add("email", "Tài khoản chưa có địa chỉ thư điện tử; hãy cập nhật thông tin liên hệ trước.")
			case ch.SMS && c.Phone == "":
				f.Add("sms", "Tài khoản chưa có số điện thoại; hãy cập nhật thông tin liên hệ trước.")
			}
			seen[ch.Event] = true
		}
		if err := f.Err(); err != nil {
			return err
		}
		now := db.Instant(s.now())
		changed := map[string]any{}
		for _, ch := range choices {
			if err := saveChoice(ctx, tx, userID, ch.Event, choice{Email: ch.Email, SMS: ch.SMS}, now); err != nil {
				return err
			}
			changed[string(ch.Event)] = map[string]bool{"email": ch.Email, "sms": ch.SMS}
		}
		if s.audit != nil {
			if err := s.audit.Append(ctx, tx, by, audit.Event{Action: "notify.preferences", ObjectType: "user", ObjectID: userID,
				Detail: changed}); err != nil {
				return err
			}
		}
		out, err = s.preferences(ctx, tx, userID)
		return err
	})
	return out, err
}
