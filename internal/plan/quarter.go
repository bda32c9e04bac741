package plan

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/congso/congso/internal/actor"
	"github.com/congso/congso/internal/apperr"
	"github.com/congso/congso/internal/audit"
	"github.com/congso/congso/internal/calendar"
	"github.com/congso/congso/internal/db"
	"github.com/congso/congso/internal/vntext"
)

// ReportDue is the day a quarter's report is due: the plan's report day of
// the quarter's last month ("trước ngày 10 tháng cuối quý"). A report sent
// on that day is on time.
func ReportDue(year, quarter, day int) calendar.Date {
	return calendar.Date{Year: year, Month: time.Month(3 * quarter), Day: day}
}

// owing lists the agencies that owe the plan quarterly reports: those of
// the platform that lead a task or answer for an indicator.
func (s *Service) owing(ctx context.Context, planID string) ([]AgencyRef, error) {
	rows, err := s.db.Query(ctx, `SELECT DISTINCT agency_id FROM (SELECT lead_agency_id AS agency_id FROM plan_tasks WHERE plan_id = ?
		UNION SELECT agency_id FROM plan_indicators WHERE plan_id = ?) x WHERE agency_id IS NOT NULL ORDER BY agency_id`, planID, planID)
	if err != nil {
		return nil, apperr.Wrap(err, "list agencies owing reports")
	}
	var ids []string
	for rows.Next() {
		var id string
		if err := rows.Scan(&id); err != nil {
			rows.Close()
			return nil, apperr.Wrap(err, "read agency")
		}
		ids = append(ids, id)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, apperr.Wrap(err, "list agencies owing reports")
	}
	out := make([]AgencyRef, 0, len(ids))
	for _, id := range ids {
		name := id
		if s.agencies != nil {
			if n, err := s.agencies.AgencyName(ctx, id); err == nil {
				name = n
			}
		}
		out = append(out, AgencyRef{ID: id, Name: name})
	}
	slices.SortFunc(out, func(a, b AgencyRef) int { return strings.Compare(a.Name, b.Name) })
	return out, nil
}

// QuarterReports lists, for a quarter of the plan's year, the reports the
// agencies owe and those they sent; an agency's officials see their own.
func (s *Service) QuarterReports(ctx context.Context, by *actor.Actor, planID string, quarter int) ([]QuarterReport, error) {
	if err := mayRead(by); err != nil {
		return nil, err
	}
	p, err := s.loadPlan(ctx, s.db, planID)
	if err != nil {
		return nil, err
	}
	if quarter < 1 || quarter > 4 {
		return nil, apperr.Field("quarter", "Quý phải từ 1 đến 4.")
	}
	agencies, err := s.owing(ctx, planID)
	if err != nil {
		return nil, err
	}
	sent := map[string]QuarterReport{}
	rows, err := s.db.Query(ctx, `SELECT id, agency_id, summary, evidence_url, COALESCE(evidence_id, ''), submitted_by, submitted_at
		FROM plan_quarter_reports WHERE plan_id = ? AND year = ? AND quarter = ?`, planID, p.Year, quarter)
	if err != nil {
		return nil, apperr.Wrap(err, "list quarterly reports")
	}
	for rows.Next() {
		var r QuarterReport
		var at time.Time
		if err := rows.Scan(&r.ID, &r.AgencyID, &r.Summary, &r.EvidenceURL, &r.EvidenceID, &r.SubmittedBy, &at); err != nil {
			rows.Close()
			return nil, apperr.Wrap(err, "read quarterly report")
		}
		at = at.UTC()
		r.SubmittedAt = &at
		sent[r.AgencyID] = r
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, apperr.Wrap(err, "list quarterly reports")
	}
	due := ReportDue(p.Year, quarter, p.ReportDay)
	day := today(s.now())
	out := []QuarterReport{}
	for _, a := range agencies {
		if !concerns(by, a.ID, nil) {
			continue
		}
		r, ok := sent[a.ID]
		r.PlanID, r.AgencyID, r.AgencyName, r.Year, r.Quarter, r.Due = planID, a.ID, a.Name, p.Year, quarter, due.String()
		if ok {
			r.Late = calendar.DateOf(*r.SubmittedAt).After(due)
		} else {
			r.Late = day.After(due)
		}
		out = append(out, r)
	}
	return out, nil
}

// ReportInput is an agency's quarterly report.
type ReportInput struct {
	AgencyID    string `json:"agency_id"`
	Quarter     int    `json:"quarter"`
	Summary     string `json:"summary"`
	EvidenceURL string `json:"evidence_url"`
}

// SubmitReport records an agency's quarterly report on the plan; an agency
// sends one report a quarter.
func (s *Service) SubmitReport(ctx context.Context, by *actor.Actor, planID string, in ReportInput, file *Evidence) (QuarterReport, error) {
	if err := mayRead(by); err != nil {
		return QuarterReport{}, err
	}
	p, err := s.loadPlan(ctx, s.db, planID)
	if err != nil {
		return QuarterReport{}, err
	}
	if in.AgencyID == "" || !mayUpdate(by, in.AgencyID) {
		return QuarterReport{}, actor.Deny(by, "Bạn chỉ gửi được báo cáo của cơ quan mình.")
	}
	owing, err := s.owing(ctx, planID)
	if err != nil {
		return QuarterReport{}, err
	}
	f := apperr.Fields{}
	if !slices.ContainsFunc(owing, func(a AgencyRef) bool { return a.ID == in.AgencyID }) {
		f.Add("agency_id", "Cơ quan này không có nhiệm vụ hay chỉ tiêu trong kế hoạch.")
	}
	if in.Quarter < 1 || in.Quarter > 4 {
		f.Add("quarter", "Quý phải từ 1 đến 4.")
	}
	in.Summary = vntext.NFC(in.Summary)
	in.EvidenceURL = strings.TrimSpace(in.EvidenceURL)
	if in.Summary == "" {
		f.Add("summary", "Hãy nêu tóm tắt kết quả thực hiện trong quý.")
	} else if len(in.Summary) > 8000 || !vntext.Valid(in.Summary) {
		f.Add("summary", "Nội dung quá dài hoặc có ký tự không hợp lệ.")
	}
	clean := checkEvidence(in.EvidenceURL, file, f)
	if err := f.Err(); err != nil {
		return QuarterReport{}, err
	}
	now := db.Instant(s.now())
	r := QuarterReport{ID: db.NewID(), PlanID: planID, AgencyID: in.AgencyID, Year: p.Year, Quarter: in.Quarter, Summary: in.Summary,
		EvidenceURL: in.EvidenceURL, SubmittedBy: by.UserID, SubmittedAt: &now}
	due := ReportDue(p.Year, in.Quarter, p.ReportDay)
	r.Due, r.Late = due.String(), calendar.DateOf(now).After(due)
	err = s.db.Tx(ctx, func(tx *db.Tx) error {
		if clean != nil {
			if r.EvidenceID, err = insertEvidence(ctx, tx, *clean, by.UserID, now); err != nil {
				return err
			}
		}
		if _, err := tx.Exec(ctx, `INSERT INTO plan_quarter_reports (id, plan_id, agency_id, year, quarter, summary, evidence_url, evidence_id,
			submitted_by, submitted_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`, r.ID, planID, r.AgencyID, r.Year, r.Quarter, r.Summary,
			r.EvidenceURL, nullable(r.EvidenceID), r.SubmittedBy, now); err != nil {
			if db.IsUniqueViolation(err) {
				return apperr.New(apperr.Conflict, "Cơ quan đã gửi báo cáo quý %d.", in.Quarter)
			}
			return apperr.Wrap(err, "insert quarterly report")
		}
		return s.audit.Append(ctx, tx, by, audit.Event{Action: "plan.report.submit", ObjectType: "plan", ObjectID: planID, AgencyID: in.AgencyID,
			Detail: map[string]any{"year": r.Year, "quarter": r.Quarter, "late": r.Late}})
	})
	return r, err
}

// RemindDue queues the quarterly report reminders due today for every
// plan: RemindBefore days before the deadline to the agencies that have not
// reported yet, and RemindAfter days after it to those still missing; each
// reminder goes once. It returns how many messages it queued.
func (s *Service) RemindDue(ctx context.Context) (int, error) {
	if s.reminder == nil {
		return 0, nil
	}
	plans, err := s.loadPlans(ctx)
	if err != nil {
		return 0, err
	}
	day := today(s.now())
	total := 0
	for _, p := range plans {
		for q := 1; q <= 4; q++ {
			due := ReportDue(p.Year, q, p.ReportDay)
			var kind string
			switch {
			case s.cfg.RemindBefore > 0 && !day.Before(due.AddDays(-s.cfg.RemindBefore)) && !day.After(due):
				kind = "before"
			case s.cfg.RemindAfter > 0 && day.After(due) && !day.After(due.AddDays(s.cfg.RemindAfter)):
				kind = "after"
			default:
				continue
			}
			n, err := s.remind(ctx, p, q, due, kind)
			if err != nil {
				return total, err
			}
			total += n
		}
	}
	return total, nil
}

// errReminded rolls back a reminder another check has queued.
var errReminded = errors.New("already reminded")

func (s *Service) remind(ctx context.Context, p Plan, quarter int, due calendar.Date, kind string) (int, error) {
	agencies, err := s.owing(ctx, p.ID)
	if err != nil {
		return 0, err
	}
	total := 0
	for _, a := range agencies {
		err := s.db.Tx(ctx, func(tx *db.Tx) error {
			var n int
			if err := tx.QueryRow(ctx, `SELECT (SELECT COUNT(*) FROM plan_quarter_reports WHERE plan_id = ? AND agency_id = ? AND year = ? AND quarter = ?)
				+ (SELECT COUNT(*) FROM plan_reminders WHERE plan_id = ? AND agency_id = ? AND year = ? AND quarter = ? AND kind = ?)`,
				p.ID, a.ID, p.Year, quarter, p.ID, a.ID, p.Year, quarter, kind).Scan(&n); err != nil {
				return apperr.Wrap(err, "check reminder")
			}
			if n > 0 {
				return nil
			}
			subject := fmt.Sprintf("Nhắc gửi báo cáo quý %d/%d: %s", quarter, p.Year, p.Title)
			body := fmt.Sprintf("%s chưa gửi báo cáo quý %d/%d về thực hiện %s. Hạn gửi: ngày %02d/%02d/%d.", a.Name, quarter, p.Year, p.Title,
				due.Day, due.Month, due.Year)
			if kind == "after" {
				body = fmt.Sprintf("%s chưa gửi báo cáo quý %d/%d về thực hiện %s; hạn gửi ngày %02d/%02d/%d đã qua. Đề nghị gửi ngay.",
					a.Name, quarter, p.Year, p.Title, due.Day, due.Month, due.Year)
			}
			q, err := s.reminder.RemindAgency(ctx, tx, a.ID, fmt.Sprintf("plan-%s-%d-Q%d", p.Key, p.Year, quarter), subject, body)
			if err != nil || q == 0 {
				// Nobody reachable yet: the next check tries again.
				return err
			}
			if _, err := tx.Exec(ctx, "INSERT INTO plan_reminders (plan_id, agency_id, year, quarter, kind, queued_at) VALUES (?, ?, ?, ?, ?, ?)",
				p.ID, a.ID, p.Year, quarter, kind, db.Instant(s.now())); err != nil {
				if db.IsUniqueViolation(err) {
					// Another check queued it meanwhile: drop these messages.
					return errReminded
				}
				return apperr.Wrap(err, "record reminder")
			}
			total += q
			return nil
		})
		if errors.Is(err, errReminded) {
			continue
		}
		if err != nil {
			return total, err
		}
	}
	return total, nil
}

// RunReminders checks the reminders every interval until ctx ends.
func (s *Service) RunReminders(ctx context.Context, every time.Duration) {
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		if n, err := s.RemindDue(ctx); err != nil && ctx.Err() == nil {
			s.log.Error("plan reminders", "err", err)
		} else if n > 0 {
			s.log.Info("plan reminders queued", "messages", n)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}
