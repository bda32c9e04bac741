package notify

import (
	"context"

	"github.com/congso/congso/internal/db"
)

// OfficialReminder is the event of a reminder to an official (a report a
// plan asks of their agency, for instance).
const OfficialReminder Event = "official_reminder"

// QueueForUser queues a message to an account, in the caller's transaction,
// on every channel the platform sends and the account has an address for.
// ref names what the message is about (it takes the dossier columns'
// place). It returns how many messages it queued.
func (s *Service) QueueForUser(ctx context.Context, tx *db.Tx, userID, ref, subject, body string) (int, error) {
	c, found, err := loadContact(ctx, tx, userID)
	if err != nil || !found {
		return 0, err
	}
	now := db.Instant(s.now())
	n := 0
	for _, t := range []target{{Email, c.Email}, {SMS, c.Phone}} {
		if t.Address == "" || !s.Enabled(t.Channel) {
			continue
		}
		text := body
		if t.Channel == SMS && s.cfg.SMSFold {
			text = FoldSMS(text)
		}
		row := outboxRow{ID: db.NewID(), UserID: userID, DossierID: ref, DossierCode: ref, Event: OfficialReminder, Channel: t.Channel,
			Address: t.Address, Template: string(OfficialReminder), Subject: subject, Body: text + "\n\n" + s.cfg.Sender, CreatedAt: now}
		if err := insertOutbox(ctx, tx, row); err != nil {
			return n, err
		}
		n++
	}
	return n, nil
}
