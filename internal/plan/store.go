package plan

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"time"

	"github.com/congso/congso/internal/apperr"
	"github.com/congso/congso/internal/calendar"
	"github.com/congso/congso/internal/db"
)

// The plans' SQL, written once for both engines.

func nullable(s string) any {
	if s == "" {
		return nil
	}
	return s
}

const planColumns = `p.id, p.plan_key, p.title, p.issuer, p.number, p.issued_on, p.year, p.province, p.source, p.report_day,
	(SELECT COUNT(*) FROM plan_indicators i WHERE i.plan_id = p.id), (SELECT COUNT(*) FROM plan_tasks t WHERE t.plan_id = p.id)`

func scanPlan(row interface{ Scan(...any) error }) (Plan, error) {
	var p Plan
	err := row.Scan(&p.ID, &p.Key, &p.Title, &p.Issuer, &p.Number, &p.IssuedOn, &p.Year, &p.Province, &p.Source, &p.ReportDay,
		&p.Indicators, &p.Tasks)
	return p, err
}

func (s *Service) loadPlans(ctx context.Context) ([]Plan, error) {
	rows, err := s.db.Query(ctx, "SELECT "+planColumns+" FROM plans p ORDER BY p.year DESC, p.title")
	if err != nil {
		return nil, apperr.Wrap(err, "list plans")
	}
	defer rows.Close()
	var out []Plan
	for rows.Next() {
		p, err := scanPlan(rows)
		if err != nil {
			return nil, apperr.Wrap(err, "read plan")
		}
		out = append(out, p)
	}
	return out, apperr.Wrap(rows.Err(), "list plans")
}

func (s *Service) loadPlan(ctx context.Context, r db.Runner, id string) (Plan, error) {
	p, err := scanPlan(r.QueryRow(ctx, "SELECT "+planColumns+" FROM plans p WHERE p.id = ?", id))
	if errors.Is(err, sql.ErrNoRows) {
		return p, apperr.New(apperr.NotFound, "Không tìm thấy kế hoạch.")
	}
	return p, apperr.Wrap(err, "read plan")
}

const indicatorColumns = `id, plan_id, seq, code, group_name, name, target, baseline, unit, deadline, COALESCE(agency_id, ''), agency_name, metric`

func scanIndicator(row interface{ Scan(...any) error }) (Indicator, error) {
	var i Indicator
	var deadline string
	err := row.Scan(&i.ID, &i.PlanID, &i.Seq, &i.Code, &i.Group, &i.Name, &i.Target, &i.Baseline, &i.Unit, &deadline,
		&i.Agency.ID, &i.Agency.Name, &i.Metric)
	if err != nil {
		return i, err
	}
	i.Deadline, err = ParseDeadline(deadline)
	return i, err
}

func (s *Service) loadIndicators(ctx context.Context, r db.Runner, where string, args ...any) ([]Indicator, error) {
	rows, err := r.Query(ctx, "SELECT "+indicatorColumns+" FROM plan_indicators WHERE "+where+" ORDER BY plan_id, seq", args...)
	if err != nil {
		return nil, apperr.Wrap(err, "list indicators")
	}
	defer rows.Close()
	var out []Indicator
	for rows.Next() {
		i, err := scanIndicator(rows)
		if err != nil {
			return nil, apperr.Wrap(err, "read indicator")
		}
		out = append(out, i)
	}
	return out, apperr.Wrap(rows.Err(), "list indicators")
}

func (s *Service) loadIndicator(ctx context.Context, r db.Runner, id string) (Indicator, error) {
	list, err := s.loadIndicators(ctx, r, "id = ?", id)
	if err != nil {
		return Indicator{}, err
	}
	if len(list) == 0 {
		return Indicator{}, apperr.New(apperr.NotFound, "Không tìm thấy chỉ tiêu.")
	}
	return list[0], nil
}

const taskColumns = `id, plan_id, seq, code, section, content, expected, COALESCE(lead_agency_id, ''), lead_name, partners,
	deadline_text, state, progress, note, updated_at, version`

func scanTask(row interface{ Scan(...any) error }) (Task, error) {
	var t Task
	var partners, deadline string
	var updated sql.NullTime
	err := row.Scan(&t.ID, &t.PlanID, &t.Seq, &t.Code, &t.Section, &t.Content, &t.Expected, &t.Lead.ID, &t.Lead.Name, &partners,
		&deadline, &t.State, &t.Progress, &t.Note, &updated, &t.Version)
	if err != nil {
		return t, err
	}
	if updated.Valid {
		u := updated.Time.UTC()
		t.UpdatedAt = &u
	}
	if err := json.Unmarshal([]byte(partners), &t.Partners); err != nil {
		return t, err
	}
	if t.Partners == nil {
		t.Partners = []AgencyRef{}
	}
	t.Deadline, err = ParseDeadline(deadline)
	return t, err
}

func (s *Service) loadTasks(ctx context.Context, r db.Runner, where string, args ...any) ([]Task, error) {
	rows, err := r.Query(ctx, "SELECT "+taskColumns+" FROM plan_tasks WHERE "+where+" ORDER BY plan_id, seq", args...)
	if err != nil {
		return nil, apperr.Wrap(err, "list tasks")
	}
	defer rows.Close()
	var out []Task
	for rows.Next() {
		t, err := scanTask(rows)
		if err != nil {
			return nil, apperr.Wrap(err, "read task")
		}
		out = append(out, t)
	}
	return out, apperr.Wrap(rows.Err(), "list tasks")
}

func (s *Service) loadTask(ctx context.Context, r db.Runner, id string) (Task, error) {
	list, err := s.loadTasks(ctx, r, "id = ?", id)
	if err != nil {
		return Task{}, err
	}
	if len(list) == 0 {
		return Task{}, apperr.New(apperr.NotFound, "Không tìm thấy nhiệm vụ.")
	}
	return list[0], nil
}

// latestValues returns each indicator's latest reported value (the one
// reported last), for the indicators of a plan.
func (s *Service) latestValues(ctx context.Context, planID string) (map[string]Value, error) {
	rows, err := s.db.Query(ctx, `SELECT v.id, v.indicator_id, v.period, v.value, v.note, v.evidence_url, COALESCE(v.evidence_id, ''),
		v.reported_by, v.reported_at FROM plan_indicator_values v JOIN plan_indicators i ON i.id = v.indicator_id
		WHERE i.plan_id = ? ORDER BY v.reported_at, v.id`, planID)
	if err != nil {
		return nil, apperr.Wrap(err, "read reported values")
	}
	defer rows.Close()
	out := map[string]Value{}
	for rows.Next() {
		v, err := scanValue(rows)
		if err != nil {
			return nil, apperr.Wrap(err, "read reported value")
		}
		out[v.IndicatorID] = v
	}
	return out, apperr.Wrap(rows.Err(), "read reported values")
}

func scanValue(row interface{ Scan(...any) error }) (Value, error) {
	var v Value
	err := row.Scan(&v.ID, &v.IndicatorID, &v.Period, &v.Value, &v.Note, &v.EvidenceURL, &v.EvidenceID, &v.ReportedBy, &v.ReportedAt)
	v.ReportedAt = v.ReportedAt.UTC()
	return v, err
}

func insertEvidence(ctx context.Context, tx *db.Tx, e Evidence, by string, at time.Time) (string, error) {
	id := db.NewID()
	if _, err := tx.Exec(ctx, `INSERT INTO plan_evidence (id, name, content_type, size, data, uploaded_by, uploaded_at)
		VALUES (?, ?, ?, ?, ?, ?, ?)`, id, e.Name, e.ContentType, len(e.Data), e.Data, by, at); err != nil {
		return "", apperr.Wrap(err, "store evidence")
	}
	return id, nil
}

// dateString writes a date for the text columns; "" for the zero date.
func dateString(d calendar.Date) string {
	if d.IsZero() {
		return ""
	}
	return d.String()
}
