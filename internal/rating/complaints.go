package rating

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/congso/congso/internal/actor"
	"github.com/congso/congso/internal/apperr"
	"github.com/congso/congso/internal/audit"
	"github.com/congso/congso/internal/calendar"
	"github.com/congso/congso/internal/db"
)

// closeOfBusiness is the cut-off of complaints: one filed before the
// agency's office closes counts as received that day, one filed later (or on
// a day off) on the next working day. The 15 working days run from the day
// after (the first day is not counted).
const closeOfBusiness = calendar.Clock(24 * 60)

// File records a complaint or recommendation on a dossier by its applicant's
// own account and addresses it to the dossier's processing agency, with the
// deadline for the answer counted on that agency's calendar.
func (s *Service) File(ctx context.Context, by *actor.Actor, code string, in ComplaintInput) (Complaint, error) {
	d, err := s.lookup(ctx, by, code)
	if err != nil {
		return Complaint{}, err
	}
	if !isApplicant(by, d) {
		return Complaint{}, actor.Deny(by, "Chỉ người nộp hồ sơ, bằng tài khoản của mình, được phản ánh, kiến nghị về hồ sơ.")
	}
	if err := in.Validate(); err != nil {
		return Complaint{}, err
	}
	now := db.Instant(s.now())
	cal, err := s.calendars.ForAgency(ctx, d.AgencyID)
	if err != nil {
		return Complaint{}, err
	}
	due, err := cal.Due(now, s.cfg.AnswerLimit, closeOfBusiness)
	if err != nil {
		return Complaint{}, apperr.Wrap(err, "complaint deadline")
	}
	c := Complaint{ID: db.NewID(), DossierID: d.ID, DossierCode: d.Code, ProcedureName: d.ProcedureName, AgencyID: d.AgencyID,
		UserID: by.UserID, Kind: in.Kind, Content: in.Content, FiledAt: now, DueAt: db.Instant(due), Version: 1}
	c.State = c.StateAt(now)
	err = s.db.Tx(ctx, func(tx *db.Tx) error {
		open, err := openComplaints(ctx, tx, d.ID)
		if err != nil {
			return err
		}
		if open >= s.cfg.MaxOpenPerDossier {
			return apperr.New(apperr.Conflict, "Hồ sơ này đã có %d phản ánh, kiến nghị đang chờ trả lời; hãy chờ cơ quan trả lời trước khi gửi thêm.", open)
		}
		if err := insertComplaint(ctx, tx, &c); err != nil {
			return err
		}
		if err := s.audit.Append(ctx, tx, by, audit.Event{Action: "complaint.file", ObjectType: "complaint", ObjectID: c.ID, AgencyID: c.AgencyID,
			Detail: map[string]any{"dossier_id": d.ID, "kind": c.Kind, "due_at": c.DueAt}}); err != nil {
			return err
		}
		return s.changed(ctx, tx, Event{Kind: EventComplaintFiled, Complaint: &c})
	})
	if err != nil {
		return Complaint{}, err
	}
	return c, nil
}

// Complaint returns one complaint to its author, and to the officials of the
// agency it is addressed to and province-wide roles (audited).
func (s *Service) Complaint(ctx context.Context, by *actor.Actor, id string) (Complaint, error) {
	if by == nil {
		return Complaint{}, apperr.New(apperr.Unauthorized, "Bạn cần đăng nhập.")
	}
	c, err := loadComplaint(ctx, s.db, id)
	if err != nil {
		return Complaint{}, err
	}
	if c.UserID != by.UserID && !seesAgency(by, c.AgencyID) {
		return Complaint{}, actor.Deny(by, "Bạn không có quyền xem phản ánh, kiến nghị này.")
	}
	if official(by) {
		if err := s.audit.Record(ctx, by, audit.Event{Action: audit.ActionReadPersonal, ObjectType: "complaint", ObjectID: c.ID,
			AgencyID: agencyFor(by, c.AgencyID)}); err != nil {
			return Complaint{}, err
		}
	}
	c.State = c.StateAt(s.now())
	return c, nil
}

// Unanswered is a filter, not a state: the open and the overdue complaints.
const Unanswered State = "unanswered"

// ComplaintFilter selects complaints.
type ComplaintFilter struct {
	// State is one of the states, Unanswered, or empty for all.
	State State
	// AgencyID keeps the complaints addressed to one agency.
	AgencyID string
	// DossierCode keeps the complaints about one dossier.
	DossierCode string
	// DossierID is DossierCode resolved (for the package's own use).
	DossierID string
	// After is a cursor: the complaints after this one in the list's order.
	After string
	Limit int
}

// byDue reports whether the list is ordered by deadline (work to do) rather
// than newest first.
func (f ComplaintFilter) byDue() bool {
	return f.State == Unanswered || f.State == StateOpen || f.State == StateOverdue
}

// Cursor is the position after c in a list selected by f.
func (f ComplaintFilter) Cursor(c Complaint) string {
	t := c.FiledAt
	if f.byDue() {
		t = c.DueAt
	}
	return t.UTC().Format(time.RFC3339Nano) + "|" + c.ID
}

// Complaints lists complaints: citizens their own; officials those addressed
// to their agencies (each list is audited as a read of personal data);
// province-wide roles all. Work lists (unanswered, open, overdue) come by
// deadline, the soonest first; the others newest first.
func (s *Service) Complaints(ctx context.Context, by *actor.Actor, f ComplaintFilter) ([]Complaint, error) {
	if by == nil {
		return nil, apperr.New(apperr.Unauthorized, "Bạn cần đăng nhập.")
	}
	var scope string
	var args []any
	switch {
	case by.Kind == actor.Citizen || by.Kind == actor.Organisation:
		scope, args = "c.user_id = ?", []any{by.UserID}
	case by.IsSystem() || by.ProvinceWide():
	case by.Kind == actor.Official || by.Kind == actor.Machine:
		ids := by.AgencyIDs()
		if f.AgencyID != "" {
			if _, ok := by.Agencies[f.AgencyID]; !ok {
				return nil, actor.Deny(by, "Bạn không có quyền xem phản ánh, kiến nghị gửi cơ quan này.")
			}
			ids = []string{f.AgencyID}
		}
		if len(ids) == 0 {
			return nil, nil
		}
		scope = "c.agency_id IN (" + db.Placeholders(len(ids)) + ")"
		for _, id := range ids {
			args = append(args, id)
		}
	default:
		return nil, actor.Deny(by, "Bạn không có quyền xem phản ánh, kiến nghị.")
	}
	if code := strings.TrimSpace(f.DossierCode); code != "" && f.DossierID == "" {
		d, err := s.dossiers.Lookup(ctx, code)
		if apperr.Is(err, apperr.NotFound) {
			return []Complaint{}, nil // no such dossier: no complaints about it
		}
		if err != nil {
			return nil, err
		}
		f.DossierID = d.ID
	}
	out, err := s.list(ctx, f, scope, args...)
	if err != nil {
		return nil, err
	}
	if official(by) && len(out) > 0 {
		if err := s.audit.Record(ctx, by, audit.Event{Action: audit.ActionReadPersonal, ObjectType: "complaint_list",
			AgencyID: agencyFor(by, f.AgencyID), Detail: map[string]any{"complaints": len(out), "state": f.State}}); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// list runs the query of a complaint list within the scope condition.
func (s *Service) list(ctx context.Context, f ComplaintFilter, scope string, scopeArgs ...any) ([]Complaint, error) {
	if f.Limit <= 0 || f.Limit > 1000 {
		f.Limit = 50
	}
	where := []string{"1=1"}
	args := []any{}
	add := func(cond string, a ...any) { where = append(where, cond); args = append(args, a...) }
	if scope != "" {
		add(scope, scopeArgs...)
	}
	now := db.Instant(s.now())
	switch f.State {
	case "":
	case Unanswered:
		add("c.status = 'open'")
	case StateOpen:
		add("c.status = 'open' AND c.due_at >= ?", now)
	case StateOverdue:
		add("c.status = 'open' AND c.due_at < ?", now)
	case StateAnswered:
		add("c.status = 'answered' AND c.answered_at <= c.due_at")
	case StateAnsweredLate:
		add("c.status = 'answered' AND c.answered_at > c.due_at")
	default:
		return nil, apperr.Field("state", "Trạng thái là open, overdue, unanswered, answered hoặc answered_late.")
	}
	if f.AgencyID != "" {
		add("c.agency_id = ?", f.AgencyID)
	}
	if f.DossierID != "" {
		add("c.dossier_id = ?", f.DossierID)
	}
	col, dir, cmp := "c.filed_at", "DESC", "<"
	if f.byDue() {
		col, dir, cmp = "c.due_at", "ASC", ">"
	}
	if f.After != "" {
		at, id, ok := strings.Cut(f.After, "|")
		t, err := time.Parse(time.RFC3339Nano, at)
		if !ok || err != nil {
			return nil, apperr.Field("cursor", "Con trỏ phân trang không hợp lệ.")
		}
		add(fmt.Sprintf("(%s %s ? OR (%s = ? AND c.id %s ?))", col, cmp, col, cmp), t, t, id)
	}
	q := "SELECT " + prefixed("c.", complaintColumns) + " FROM complaints c WHERE " + strings.Join(where, " AND ") +
		fmt.Sprintf(" ORDER BY %s %s, c.id %s LIMIT %d", col, dir, dir, f.Limit)
	rows, err := s.db.Query(ctx, q, args...)
	if err != nil {
		return nil, apperr.Wrap(err, "list complaints")
	}
	defer rows.Close()
	out := []Complaint{}
	for rows.Next() {
		c, err := scanComplaint(rows)
		if err != nil {
			return nil, apperr.Wrap(err, "read complaint")
		}
		c.State = c.StateAt(now)
		out = append(out, c)
	}
	return out, apperr.Wrap(rows.Err(), "list complaints")
}

// prefixed qualifies a column list with a table alias.
func prefixed(alias, columns string) string {
	parts := strings.Split(columns, ",")
	for i, p := range parts {
		parts[i] = alias + strings.TrimSpace(p)
	}
	return strings.Join(parts, ", ")
}

// Answer records the agency's answer to a complaint: its heads, its agency
// admins and province admins may answer, once. An answer after the deadline
// is kept as answered late.
func (s *Service) Answer(ctx context.Context, by *actor.Actor, id string, in AnswerInput) (Complaint, error) {
	if by == nil {
		return Complaint{}, apperr.New(apperr.Unauthorized, "Bạn cần đăng nhập.")
	}
	c, err := loadComplaint(ctx, s.db, id)
	if err != nil {
		return Complaint{}, err
	}
	if !seesAgency(by, c.AgencyID) {
		return Complaint{}, actor.Deny(by, "Bạn không có quyền xem phản ánh, kiến nghị này.")
	}
	if !CanAnswer(by, c.AgencyID) {
		return Complaint{}, actor.Deny(by, "Chỉ lãnh đạo hoặc quản trị của cơ quan được trả lời phản ánh, kiến nghị.")
	}
	if c.AnsweredAt != nil {
		return Complaint{}, apperr.New(apperr.Conflict, "Phản ánh, kiến nghị này đã được trả lời.")
	}
	if err := in.Validate(); err != nil {
		return Complaint{}, err
	}
	now := db.Instant(s.now())
	err = s.db.Tx(ctx, func(tx *db.Tx) error {
		ok, err := answer(ctx, tx, c.ID, in.Version, in.Answer, by.UserID, now)
		if err != nil {
			return err
		}
		if !ok {
			return apperr.New(apperr.Conflict, "Phản ánh, kiến nghị vừa được người khác trả lời hoặc thay đổi; hãy tải lại trang.")
		}
		c.Answer, c.AnsweredBy, c.AnsweredAt, c.Version = in.Answer, by.UserID, &now, c.Version+1
		c.State = c.StateAt(now)
		if err := s.audit.Append(ctx, tx, by, audit.Event{Action: "complaint.answer", ObjectType: "complaint", ObjectID: c.ID, AgencyID: c.AgencyID,
			Detail: map[string]any{"late": c.State == StateAnsweredLate}}); err != nil {
			return err
		}
		return s.changed(ctx, tx, Event{Kind: EventComplaintAnswered, Complaint: &c})
	})
	if err != nil {
		return Complaint{}, err
	}
	return c, nil
}
