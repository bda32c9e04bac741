package notify

import (
	"context"
	"time"

	"github.com/congso/congso/internal/db"
	"github.com/congso/congso/internal/dossier"
)

// eventOf tells which event, if any, a dossier transition is for its
// applicant.
func eventOf(e dossier.Event) (Event, bool) {
	switch e.Action {
	case dossier.ActReceive, dossier.ActAccept:
		return Received, true
	case dossier.ActRequestSupplement:
		return Supplement, true
	case dossier.ActRequestPayment:
		return Payment, true
	case dossier.ActReturn:
		return Returned, true
	case dossier.ActRefuse:
		return Refused, true
	case dossier.ActStop, dossier.ActWithdraw:
		return Stopped, true
	case dossier.ActApologise:
		return Apology, true
	}
	// The last step of the process, whatever its role, produces the result.
	if e.ToStatus == dossier.Processed && e.FromStatus != dossier.Processed {
		return Result, true
	}
	return "", false
}

// target is where one message goes.
type target struct {
	Channel Channel
	Address string
}

// DossierChanged queues the messages a change of a dossier calls for, in the
// change's own transaction (it implements dossier.Listener): to the
// applicant's account on the channels they chose, or, for an applicant
// without an account, to the contact details on the dossier on the default
// channels.
func (s *Service) DossierChanged(ctx context.Context, tx *db.Tx, d *dossier.Dossier, e dossier.Event) error {
	ev, ok := eventOf(e)
	if !ok {
		return nil
	}
	targets, userID, err := s.targets(ctx, tx, d, ev)
	if err != nil || len(targets) == 0 {
		return err
	}
	data := s.messageData(d, e, ev)
	now := db.Instant(s.now())
	for _, t := range targets {
		msg, err := s.render(ev, t.Channel, data)
		if err != nil {
			return err
		}
		row := outboxRow{ID: db.NewID(), UserID: userID, DossierID: d.ID, DossierCode: d.Code, Event: ev, Channel: t.Channel,
			Address: t.Address, Template: msg.Template, Subject: msg.Subject, Body: msg.Body, CreatedAt: now}
		if err := insertOutbox(ctx, tx, row); err != nil {
			return err
		}
	}
	return nil
}

// targets decides the channels and addresses for the event.
func (s *Service) targets(ctx context.Context, tx *db.Tx, d *dossier.Dossier, ev Event) ([]target, string, error) {
	var email, phone string
	var picked choice
	userID := d.Applicant.UserID
	if userID != "" {
		c, found, err := loadContact(ctx, tx, userID)
		if err != nil {
			return nil, "", err
		}
		if !found {
			return nil, "", nil
		}
		email, phone = c.Email, c.Phone
		choices, err := loadChoices(ctx, tx, userID)
		if err != nil {
			return nil, "", err
		}
		var ok bool
		if picked, ok = choices[ev]; !ok {
			picked = defaultChoice(ev, email != "", phone != "")
		}
	} else {
		if s.cfg.AccountsOnly {
			return nil, "", nil
		}
		email, phone = d.Applicant.Email, d.Applicant.Phone
		picked = defaultChoice(ev, email != "", phone != "")
	}
	var out []target
	if picked.Email && email != "" && s.Enabled(Email) {
		out = append(out, target{Email, email})
	}
	if picked.SMS && phone != "" && s.Enabled(SMS) {
		out = append(out, target{SMS, phone})
	}
	return out, userID, nil
}

// defaultChoice is what an account gets until its holder chooses: e-mail for
// every event if there is an address, a text message for the events that
// ask the citizen to act and for the result if there is a phone number.
func defaultChoice(ev Event, hasEmail, hasPhone bool) choice {
	return choice{Email: hasEmail, SMS: hasPhone && smsByDefault(ev)}
}

// messageData gathers what the templates show.
func (s *Service) messageData(d *dossier.Dossier, e dossier.Event, ev Event) msgData {
	m := msgData{Name: d.Applicant.Name, Code: d.Code, Procedure: d.ProcedureName, Status: d.Status.Label(),
		Note: e.Note, Link: s.statusLink(d.Code), PayLink: s.payLink(d.Code),
		Withdrawn: e.Action == dossier.ActWithdraw}
	if d.DueAt != nil {
		m.Due, m.DueDate = formatDue(*d.DueAt), formatDate(*d.DueAt)
	}
	switch ev {
	case Supplement:
		m.Documents = stringsOf(e.Detail["documents"])
	case Payment:
		amount, ok := int64Of(e.Detail["amount"])
		if !ok {
			amount = d.FeeTotal - d.PaidTotal
		}
		m.Amount = formatMoney(amount)
	case Apology:
		if t, ok := timeOf(e.Detail["new_due"]); ok {
			m.Due, m.DueDate = formatDue(t), formatDate(t)
		}
		if t, ok := timeOf(e.Detail["old_due"]); ok {
			m.OldDue = formatDue(t)
		}
	}
	return m
}

func stringsOf(v any) []string {
	switch x := v.(type) {
	case []string:
		return x
	case []any:
		var out []string
		for _, s := range x {
			if str, ok := s.(string); ok {
				out = append(out, str)
			}
		}
		return out
	}
	return nil
}

func int64Of(v any) (int64, bool) {
	switch x := v.(type) {
	case int64:
		return x, true
	case int:
		return int64(x), true
	case float64:
		return int64(x), true
	}
	return 0, false
}

func timeOf(v any) (time.Time, bool) {
	switch x := v.(type) {
	case time.Time:
		return x, true
	case *time.Time:
		if x != nil {
			return *x, true
		}
	case string:
		t, err := time.Parse(time.RFC3339Nano, x)
		return t, err == nil
	}
	return time.Time{}, false
}
