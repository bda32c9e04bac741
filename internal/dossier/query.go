package dossier

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/congso/congso/internal/actor"
	"github.com/congso/congso/internal/apperr"
	"github.com/congso/congso/internal/audit"
	"github.com/congso/congso/internal/db"
	"github.com/congso/congso/internal/vntext"
)

// mayRead reports whether the actor may see the dossier: the applicant, the
// officials of every agency that held part of it, and province-wide roles.
func (s *Service) mayRead(ctx context.Context, by *actor.Actor, d *Dossier) error {
	switch {
	case by == nil:
		return apperr.New(apperr.Unauthorized, "Bạn cần đăng nhập.")
	case by.IsSystem() || by.ProvinceWide():
		return nil
	case d.Applicant.UserID != "" && by.UserID == d.Applicant.UserID:
		return nil
	case by.Kind == actor.Official || by.Kind == actor.Machine:
		ids := by.AgencyIDs()
		if len(ids) == 0 {
			break
		}
		args := []any{d.ID}
		for _, id := range ids {
			args = append(args, id)
		}
		var n int
		if err := s.db.QueryRow(ctx, "SELECT COUNT(*) FROM dossier_agencies WHERE dossier_id = ? AND agency_id IN ("+db.Placeholders(len(ids))+")",
			args...).Scan(&n); err != nil {
			return apperr.Wrap(err, "check dossier access")
		}
		if n > 0 {
			return nil
		}
	}
	return actor.Deny(by, "Bạn không có quyền xem hồ sơ này.")
}

// View is a dossier with its history.
type View struct {
	Dossier Dossier `json:"dossier"`
	Steps   []Step  `json:"steps"`
	Events  []Event `json:"events"`
	Files   []File  `json:"files"`
}

// Get reads a dossier with its steps, events and files. An official's read is
// recorded in the audit log: the dossier holds the applicant's personal data.
func (s *Service) Get(ctx context.Context, by *actor.Actor, code string) (View, error) {
	d, err := load(ctx, s.db, code, false)
	if err != nil {
		return View{}, err
	}
	if err := s.mayRead(ctx, by, &d); err != nil {
		return View{}, err
	}
	v := View{Dossier: d}
	if v.Steps, err = steps(ctx, s.db, d.ID); err != nil {
		return View{}, err
	}
	if v.Events, err = events(ctx, s.db, d.ID); err != nil {
		return View{}, err
	}
	if v.Files, err = files(ctx, s.db, d.ID); err != nil {
		return View{}, err
	}
	if by.UserID != d.Applicant.UserID && !by.IsSystem() {
		if err := s.audit.Record(ctx, by, audit.Event{Action: audit.ActionReadPersonal, ObjectType: "dossier", ObjectID: d.ID,
			AgencyID: s.agencyFor(by, &d)}); err != nil {
			return View{}, err
		}
	}
	s.decorate(&v.Dossier)
	return v, nil
}

func (s *Service) agencyFor(by *actor.Actor, d *Dossier) string {
	for _, id := range []string{d.HolderAgencyID, d.AgencyID, d.ReceivingAgencyID} {
		if _, ok := by.Agencies[id]; ok {
			return id
		}
	}
	return by.PrimaryAgency()
}

// Queue names a worklist.
type Queue string

const (
	QueueReceive Queue = "receive" // hồ sơ trực tuyến chờ tiếp nhận
	QueueProcess Queue = "process" // chờ xử lý (tiếp nhận chuyển, chuyên viên xử lý)
	QueueApprove Queue = "approve" // chờ phê duyệt
	QueueIssue   Queue = "issue"   // chờ ban hành
	QueueReturn  Queue = "return"  // chờ trả kết quả
	QueueDueSoon Queue = "due_soon"
	QueueLate    Queue = "late"
	QueueAll     Queue = "all"
)

// Queues lists the worklists in display order.
func Queues() []Queue {
	return []Queue{QueueReceive, QueueProcess, QueueApprove, QueueIssue, QueueReturn, QueueDueSoon, QueueLate, QueueAll}
}

// Label is the worklist's Vietnamese name.
func (q Queue) Label() string {
	switch q {
	case QueueReceive:
		return "Chờ tiếp nhận"
	case QueueProcess:
		return "Chờ xử lý"
	case QueueApprove:
		return "Chờ phê duyệt"
	case QueueIssue:
		return "Chờ ban hành"
	case QueueReturn:
		return "Chờ trả kết quả"
	case QueueDueSoon:
		return "Sắp đến hạn"
	case QueueLate:
		return "Quá hạn"
	case QueueAll:
		return "Tất cả hồ sơ"
	}
	return string(q)
}

// Filter selects dossiers.
type Filter struct {
	Queue    Queue
	Status   Status
	Channel  Channel
	AgencyID string
	// Query matches the code, the procedure or the applicant's name,
	// diacritics ignored.
	Query string
	// From and To bound the filing time.
	From, To time.Time
	// Mine lists the citizen's own dossiers.
	Mine bool
	// After is a cursor: dossiers filed before this one (filed_at|id).
	After string
	Limit int
}

// List returns dossiers newest first. Officials see those of their agencies
// (each list of applicants is recorded as a read of personal data),
// province-wide roles all, citizens their own.
// filterSQL turns a filter into the WHERE clause of a list, scoped to what
// the actor may see; "" means nothing is visible.
func (s *Service) filterSQL(ctx context.Context, by *actor.Actor, f Filter) (string, []any, error) {
	if by == nil {
		return "", nil, apperr.New(apperr.Unauthorized, "Bạn cần đăng nhập.")
	}
	where := []string{"1=1"}
	var args []any
	add := func(cond string, a ...any) { where = append(where, cond); args = append(args, a...) }
	// agenciesWith lists the actor's agencies where they hold the role.
	agenciesWith := func(r actor.Role) []any {
		var ids []any
		for _, id := range by.AgencyIDs() {
			if by.Has(r, id) {
				ids = append(ids, id)
			}
		}
		return ids
	}
	// inAgencies requires col to be one of the agencies where the actor
	// holds one of the roles.
	inAgencies := func(col string, roles ...actor.Role) {
		var ids []any
		for _, r := range roles {
			ids = append(ids, agenciesWith(r)...)
		}
		if len(ids) == 0 {
			add("1=0")
			return
		}
		add(col+" IN ("+db.Placeholders(len(ids))+")", ids...)
	}
	// atMyStep requires the dossier to be at a step of the role in an agency
	// where the actor holds that role.
	atMyStep := func(roles ...actor.Role) {
		var conds []string
		var a []any
		for _, r := range roles {
			ids := agenciesWith(r)
			if len(ids) == 0 {
				continue
			}
			conds = append(conds, "(d.step_role = ? AND d.holder_agency_id IN ("+db.Placeholders(len(ids))+"))")
			a = append(append(a, string(r)), ids...)
		}
		if len(conds) == 0 {
			add("1=0")
			return
		}
		add("("+strings.Join(conds, " OR ")+")", a...)
	}
	official := by.Kind == actor.Official || by.Kind == actor.Machine || by.IsSystem()
	switch {
	case f.Mine || !official:
		add("d.applicant_user_id = ?", by.UserID)
	case by.ProvinceWide() || by.IsSystem():
	default:
		ids := by.AgencyIDs()
		if len(ids) == 0 {
			return "", nil, nil
		}
		var a []any
		for _, id := range ids {
			a = append(a, id)
		}
		add("EXISTS (SELECT 1 FROM dossier_agencies x WHERE x.dossier_id = d.id AND x.agency_id IN ("+db.Placeholders(len(ids))+"))", a...)
	}
	now := db.Instant(s.now())
	switch f.Queue {
	case "", QueueAll:
	case QueueReceive:
		add("d.status = ?", int(New))
		inAgencies("d.receiving_agency_id", actor.Receiver)
	case QueueProcess:
		add("d.status IN (?, ?) AND (d.assignee_id IS NULL OR d.assignee_id = ?)", int(Accepted), int(Processing), by.UserID)
		atMyStep(actor.Receiver, actor.Specialist)
	case QueueApprove:
		add("d.status = ?", int(Processing))
		atMyStep(actor.Head)
	case QueueIssue:
		add("d.status = ?", int(Processing))
		atMyStep(actor.Clerk)
	case QueueReturn:
		add("d.status = ?", int(Processed))
		inAgencies("d.receiving_agency_id", actor.Receiver, actor.Clerk)
	case QueueLate:
		add("d.status IN (?, ?) AND d.due_at < ?", int(Accepted), int(Processing), now)
	case QueueDueSoon:
		cal, err := s.calendars.ForAgency(ctx, f.AgencyID)
		if err != nil {
			return "", nil, err
		}
		soon, err := cal.AddWorkingTime(now, s.cfg.DueSoon)
		if err != nil {
			return "", nil, apperr.Wrap(err, "due-soon threshold")
		}
		add("d.status IN (?, ?) AND d.due_at >= ? AND d.due_at <= ?", int(Accepted), int(Processing), now, soon)
	default:
		return "", nil, apperr.Field("queue", "Danh sách hồ sơ không hợp lệ.")
	}
	if f.Status != 0 {
		add("d.status = ?", int(f.Status))
	}
	if f.Channel != "" {
		add("d.channel = ?", string(f.Channel))
	}
	if f.AgencyID != "" {
		add("(d.agency_id = ? OR d.receiving_agency_id = ? OR d.holder_agency_id = ?)", f.AgencyID, f.AgencyID, f.AgencyID)
	}
	if q := vntext.Fold(f.Query); q != "" {
		add("d.search_fold LIKE ?", "%"+q+"%")
	}
	if !f.From.IsZero() {
		add("d.filed_at >= ?", f.From)
	}
	if !f.To.IsZero() {
		add("d.filed_at < ?", f.To)
	}
	if f.After != "" {
		at, id, ok := strings.Cut(f.After, "|")
		t, err := time.Parse(time.RFC3339Nano, at)
		if !ok || err != nil {
			return "", nil, apperr.Field("cursor", "Con trỏ phân trang không hợp lệ.")
		}
		add("(d.filed_at < ? OR (d.filed_at = ? AND d.id < ?))", t, t, id)
	}
	return strings.Join(where, " AND "), args, nil
}

// Count counts the dossiers a filter selects (for the worklists' tabs); it
// reads no personal data and records nothing.
func (s *Service) Count(ctx context.Context, by *actor.Actor, f Filter) (int, error) {
	f.After = ""
	where, args, err := s.filterSQL(ctx, by, f)
	if err != nil || where == "" {
		return 0, err
	}
	var n int
	if err := s.db.QueryRow(ctx, "SELECT COUNT(*) FROM dossiers d WHERE "+where, args...).Scan(&n); err != nil {
		return 0, apperr.Wrap(err, "count dossiers")
	}
	return n, nil
}

func (s *Service) List(ctx context.Context, by *actor.Actor, f Filter) ([]Dossier, error) {
	if f.Limit <= 0 || f.Limit > 1000 {
		f.Limit = 50
	}
	where, args, err := s.filterSQL(ctx, by, f)
	if err != nil || where == "" {
		return nil, err
	}
	official := by.Kind == actor.Official || by.Kind == actor.Machine || by.IsSystem()
	q := "SELECT " + dossierColumns + " FROM dossiers d WHERE " + where +
		fmt.Sprintf(" ORDER BY d.filed_at DESC, d.id DESC LIMIT %d", f.Limit)
	rows, err := s.db.Query(ctx, q, args...)
	if err != nil {
		return nil, apperr.Wrap(err, "list dossiers")
	}
	defer rows.Close()
	var out []Dossier
	for rows.Next() {
		d, err := scanDossier(rows)
		if err != nil {
			return nil, apperr.Wrap(err, "read dossier")
		}
		s.decorate(&d)
		out = append(out, d)
	}
	if err := rows.Err(); err != nil {
		return nil, apperr.Wrap(err, "list dossiers")
	}
	if official && !f.Mine && len(out) > 0 && !by.IsSystem() {
		if err := s.audit.Record(ctx, by, audit.Event{Action: audit.ActionReadPersonal, ObjectType: "dossier_list",
			Detail: map[string]any{"dossiers": len(out), "queue": f.Queue}}); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// Cursor is the position after d in a list.
func Cursor(d Dossier) string { return d.FiledAt.UTC().Format(time.RFC3339Nano) + "|" + d.ID }

// PublicStep is a line of the public status page: no names, no personal data.
type PublicStep struct {
	At     time.Time `json:"at"`
	Action string    `json:"action"`
	Status string    `json:"status"`
}

// PublicStatus is what anyone with the dossier code may see.
type PublicStatus struct {
	Code        string       `json:"code"`
	Procedure   string       `json:"procedure"`
	Agency      string       `json:"agency"`
	Status      Status       `json:"status"`
	StatusLabel string       `json:"status_label"`
	FiledAt     time.Time    `json:"filed_at"`
	ReceivedAt  *time.Time   `json:"received_at,omitempty"`
	DueAt       *time.Time   `json:"due_at,omitempty"`
	ProcessedAt *time.Time   `json:"processed_at,omitempty"`
	ReturnedAt  *time.Time   `json:"returned_at,omitempty"`
	Timeline    []PublicStep `json:"timeline"`
}

// Public returns the status of a dossier without any personal data, for the
// public status page behind the QR code on the forms.
func (s *Service) Public(ctx context.Context, code string) (PublicStatus, error) {
	d, err := load(ctx, s.db, strings.TrimSpace(code), false)
	if err != nil {
		return PublicStatus{}, err
	}
	evs, err := events(ctx, s.db, d.ID)
	if err != nil {
		return PublicStatus{}, err
	}
	agency, err := s.agencies.AgencyInfo(ctx, d.AgencyID)
	if err != nil {
		return PublicStatus{}, err
	}
	p := PublicStatus{Code: d.Code, Procedure: d.ProcedureName, Agency: agency.Name, Status: d.Status, StatusLabel: d.Status.Label(),
		FiledAt: d.FiledAt, ReceivedAt: d.ReceivedAt, DueAt: d.DueAt, ProcessedAt: d.ProcessedAt, ReturnedAt: d.ReturnedAt}
	for _, e := range evs {
		p.Timeline = append(p.Timeline, PublicStep{At: e.At, Action: e.Action.Label(), Status: e.ToStatus.Label()})
	}
	return p, nil
}
