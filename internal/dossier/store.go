package dossier

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/congso/congso/internal/actor"
	"github.com/congso/congso/internal/apperr"
	"github.com/congso/congso/internal/calendar"
	"github.com/congso/congso/internal/db"
)

const dossierColumns = `id, code, receiving_agency_id, agency_id, holder_agency_id, procedure_id, procedure_code, procedure_name, plan,
	channel, status, resume_status, prev_status, plan_idx, step_seq, step_role, COALESCE(assignee_id, ''), COALESCE(applicant_user_id, ''),
	applicant_kind, applicant_name, applicant_id_number, applicant_phone, applicant_email, applicant_address, COALESCE(applicant_unit_id, ''),
	form_data, result_delivery, fee_total, paid_total, limit_value, limit_unit, cutoff, filed_at, received_at, due_at, legal_due_at,
	paused_at, supplement_count, extended, processed_at, returned_at, ended_at, outcome, result_digitised, version, created_at, updated_at`

func timePtr(t sql.NullTime) *time.Time {
	if !t.Valid {
		return nil
	}
	v := t.Time
	return &v
}

func scanDossier(row interface{ Scan(...any) error }) (Dossier, error) {
	var d Dossier
	var plan, form, unit, cutoff, channel, role, outcome string
	var status, resume, prev int
	var received, due, legalDue, paused, processed, returned, ended sql.NullTime
	err := row.Scan(&d.ID, &d.Code, &d.ReceivingAgencyID, &d.AgencyID, &d.HolderAgencyID, &d.ProcedureID, &d.ProcedureCode, &d.ProcedureName,
		&plan, &channel, &status, &resume, &prev, &d.PlanIdx, &d.StepSeq, &role, &d.AssigneeID, &d.Applicant.UserID,
		&d.Applicant.Kind, &d.Applicant.Name, &d.Applicant.IDNumber, &d.Applicant.Phone, &d.Applicant.Email, &d.Applicant.Address,
		&d.Applicant.UnitID, &form, &d.ResultDelivery, &d.FeeTotal, &d.PaidTotal, &d.Limit.N, &unit, &cutoff, &d.FiledAt,
		&received, &due, &legalDue, &paused, &d.SupplementCount, &d.Extended, &processed, &returned, &ended, &outcome,
		&d.ResultDigitised, &d.Version, &d.CreatedAt, &d.UpdatedAt)
	if err != nil {
		return d, err
	}
	d.Channel, d.Status, d.ResumeStatus, d.PrevStatus = Channel(channel), Status(status), Status(resume), Status(prev)
	d.StatusLabel = d.Status.Label()
	d.StepRole, d.Outcome = actor.Role(role), Outcome(outcome)
	d.ReceivedAt, d.DueAt, d.LegalDueAt, d.PausedAt = timePtr(received), timePtr(due), timePtr(legalDue), timePtr(paused)
	d.ProcessedAt, d.ReturnedAt, d.EndedAt = timePtr(processed), timePtr(returned), timePtr(ended)
	if err := d.Limit.Unit.UnmarshalText([]byte(unit)); err != nil {
		return d, fmt.Errorf("dossier %s: limit unit: %w", d.Code, err)
	}
	if d.CutOff, err = calendar.ParseClock(cutoff); err != nil {
		return d, fmt.Errorf("dossier %s: cut-off: %w", d.Code, err)
	}
	if err := json.Unmarshal([]byte(plan), &d.Plan); err != nil {
		return d, fmt.Errorf("dossier %s: plan: %w", d.Code, err)
	}
	if err := json.Unmarshal([]byte(form), &d.Form); err != nil {
		return d, fmt.Errorf("dossier %s: form: %w", d.Code, err)
	}
	return d, nil
}

// load reads a dossier by code; inside a write transaction on PostgreSQL it
// locks the row until commit (SQLite transactions hold the write lock anyway).
func load(ctx context.Context, r db.Runner, code string, forUpdate bool) (Dossier, error) {
	q := "SELECT " + dossierColumns + " FROM dossiers WHERE code = ?"
	if tx, ok := r.(*db.Tx); ok && forUpdate && tx.Engine() == db.Postgres {
		q += " FOR UPDATE"
	}
	d, err := scanDossier(r.QueryRow(ctx, q, code))
	if errors.Is(err, sql.ErrNoRows) {
		return Dossier{}, apperr.New(apperr.NotFound, "Không tìm thấy hồ sơ %s.", code)
	}
	if err != nil {
		return Dossier{}, apperr.Wrap(err, "read dossier")
	}
	return d, nil
}

func insertDossier(ctx context.Context, tx *db.Tx, d *Dossier, fold string) error {
	plan, err := json.Marshal(d.Plan)
	if err != nil {
		return apperr.Wrap(err, "encode plan")
	}
	form, err := json.Marshal(d.Form)
	if err != nil {
		return apperr.Wrap(err, "encode form")
	}
	unit, _ := d.Limit.Unit.MarshalText()
	_, err = tx.Exec(ctx, `INSERT INTO dossiers (id, code, receiving_agency_id, agency_id, holder_agency_id, procedure_id, procedure_code,
		procedure_name, plan, channel, status, plan_idx, step_seq, step_role, applicant_user_id, applicant_kind, applicant_name,
		applicant_id_number, applicant_phone, applicant_email, applicant_address, applicant_unit_id, form_data, result_delivery, fee_total,
		limit_value, limit_unit, cutoff, filed_at, received_at, due_at, legal_due_at, search_fold, version, created_at, updated_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 1, ?, ?)`,
		d.ID, d.Code, d.ReceivingAgencyID, d.AgencyID, d.HolderAgencyID, d.ProcedureID, d.ProcedureCode, d.ProcedureName, string(plan),
		string(d.Channel), int(d.Status), d.PlanIdx, d.StepSeq, string(d.StepRole), nullable(d.Applicant.UserID), d.Applicant.Kind,
		d.Applicant.Name, d.Applicant.IDNumber, d.Applicant.Phone, d.Applicant.Email, d.Applicant.Address, nullable(d.Applicant.UnitID),
		string(form), d.ResultDelivery, d.FeeTotal, d.Limit.N, string(unit), d.CutOff.String(), d.FiledAt, d.ReceivedAt, d.DueAt,
		d.LegalDueAt, fold, d.CreatedAt, d.UpdatedAt)
	if err != nil {
		return apperr.Wrap(err, "insert dossier")
	}
	return nil
}

// saveState writes the fields a transition may change, checking the version
// read at the start of the transaction.
func saveState(ctx context.Context, tx *db.Tx, d *Dossier) error {
	res, err := tx.Exec(ctx, `UPDATE dossiers SET holder_agency_id = ?, status = ?, resume_status = ?, prev_status = ?, plan_idx = ?,
		step_seq = ?, step_role = ?, assignee_id = ?, fee_total = ?, paid_total = ?, received_at = ?, due_at = ?, legal_due_at = ?,
		paused_at = ?, supplement_count = ?, extended = ?, processed_at = ?, returned_at = ?, ended_at = ?, outcome = ?,
		result_digitised = ?, version = version + 1, updated_at = ? WHERE id = ? AND version = ?`,
		d.HolderAgencyID, int(d.Status), int(d.ResumeStatus), int(d.PrevStatus), d.PlanIdx, d.StepSeq, string(d.StepRole),
		nullable(d.AssigneeID), d.FeeTotal, d.PaidTotal, d.ReceivedAt, d.DueAt, d.LegalDueAt, d.PausedAt, d.SupplementCount, d.Extended,
		d.ProcessedAt, d.ReturnedAt, d.EndedAt, string(d.Outcome), d.ResultDigitised, d.UpdatedAt, d.ID, d.Version)
	if err != nil {
		return apperr.Wrap(err, "update dossier")
	}
	if n, _ := res.RowsAffected(); n != 1 {
		return apperr.New(apperr.Conflict, "Hồ sơ %s vừa được người khác cập nhật; hãy tải lại và thao tác lại.", d.Code)
	}
	d.Version++
	return nil
}

func nullable(s string) any {
	if s == "" {
		return nil
	}
	return s
}

func insertStep(ctx context.Context, tx *db.Tx, dossierID string, s Step) error {
	_, err := tx.Exec(ctx, `INSERT INTO dossier_steps (dossier_id, seq, plan_idx, name, role, agency_id, assignee_id, started_at, due_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`, dossierID, s.Seq, s.PlanIdx, s.Name, string(s.Role), s.AgencyID, nullable(s.AssigneeID),
		s.StartedAt, s.DueAt)
	return apperr.Wrap(err, "insert step")
}

const stepColumns = `seq, plan_idx, name, role, agency_id, COALESCE(assignee_id, ''), started_at, due_at, finished_at,
	COALESCE(finished_by, ''), outcome`

func scanStep(row interface{ Scan(...any) error }) (Step, error) {
	var s Step
	var role, outcome string
	var finished sql.NullTime
	err := row.Scan(&s.Seq, &s.PlanIdx, &s.Name, &role, &s.AgencyID, &s.AssigneeID, &s.StartedAt, &s.DueAt, &finished, &s.FinishedBy, &outcome)
	s.Role, s.Outcome, s.FinishedAt = actor.Role(role), Outcome(outcome), timePtr(finished)
	return s, err
}

func loadStep(ctx context.Context, r db.Runner, dossierID string, seq int) (Step, error) {
	s, err := scanStep(r.QueryRow(ctx, "SELECT "+stepColumns+" FROM dossier_steps WHERE dossier_id = ? AND seq = ?", dossierID, seq))
	if err != nil {
		return Step{}, apperr.Wrap(err, "read step")
	}
	return s, nil
}

func updateStep(ctx context.Context, tx *db.Tx, dossierID string, s Step) error {
	_, err := tx.Exec(ctx, `UPDATE dossier_steps SET assignee_id = ?, due_at = ?, finished_at = ?, finished_by = ?, outcome = ?
		WHERE dossier_id = ? AND seq = ?`, nullable(s.AssigneeID), s.DueAt, s.FinishedAt, nullable(s.FinishedBy), string(s.Outcome), dossierID, s.Seq)
	return apperr.Wrap(err, "update step")
}

func steps(ctx context.Context, r db.Runner, dossierID string) ([]Step, error) {
	rows, err := r.Query(ctx, "SELECT "+stepColumns+" FROM dossier_steps WHERE dossier_id = ? ORDER BY seq", dossierID)
	if err != nil {
		return nil, apperr.Wrap(err, "read steps")
	}
	defer rows.Close()
	var out []Step
	for rows.Next() {
		s, err := scanStep(rows)
		if err != nil {
			return nil, apperr.Wrap(err, "read step")
		}
		out = append(out, s)
	}
	return out, apperr.Wrap(rows.Err(), "read steps")
}

func insertEvent(ctx context.Context, tx *db.Tx, dossierID string, e Event) error {
	detail := "{}"
	if len(e.Detail) > 0 {
		b, err := json.Marshal(e.Detail)
		if err != nil {
			return apperr.Wrap(err, "encode event detail")
		}
		detail = string(b)
	}
	_, err := tx.Exec(ctx, `INSERT INTO dossier_events (dossier_id, seq, at, actor_id, agency_id, action, from_status, to_status, note, detail)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`, dossierID, e.Seq, e.At, e.ActorID, e.AgencyID, string(e.Action), int(e.FromStatus),
		int(e.ToStatus), e.Note, detail)
	return apperr.Wrap(err, "insert event")
}

func events(ctx context.Context, r db.Runner, dossierID string) ([]Event, error) {
	rows, err := r.Query(ctx, `SELECT seq, at, actor_id, agency_id, action, from_status, to_status, note, detail
		FROM dossier_events WHERE dossier_id = ? ORDER BY seq`, dossierID)
	if err != nil {
		return nil, apperr.Wrap(err, "read events")
	}
	defer rows.Close()
	var out []Event
	for rows.Next() {
		var e Event
		var action, detail string
		var from, to int
		if err := rows.Scan(&e.Seq, &e.At, &e.ActorID, &e.AgencyID, &action, &from, &to, &e.Note, &detail); err != nil {
			return nil, apperr.Wrap(err, "read event")
		}
		e.Action, e.FromStatus, e.ToStatus = Action(action), Status(from), Status(to)
		if detail != "{}" {
			if err := json.Unmarshal([]byte(detail), &e.Detail); err != nil {
				return nil, apperr.Wrap(err, "decode event detail")
			}
		}
		out = append(out, e)
	}
	return out, apperr.Wrap(rows.Err(), "read events")
}

func addAgency(ctx context.Context, tx *db.Tx, dossierID, agencyID string) error {
	_, err := tx.Exec(ctx, "INSERT INTO dossier_agencies (dossier_id, agency_id) VALUES (?, ?) ON CONFLICT DO NOTHING", dossierID, agencyID)
	return apperr.Wrap(err, "link agency")
}

// nextCode takes the next number of the agency's day. The counter row is
// updated in the dossier's own transaction, so a failed receipt gives its
// number back and the numbers of a day have no gaps; concurrent receipts at
// one agency queue on that row until the one before commits.
func nextCode(ctx context.Context, tx *db.Tx, agencyID, agencyCode string, day calendar.Date) (string, error) {
	key := fmt.Sprintf("%04d%02d%02d", day.Year, int(day.Month), day.Day)
	var n int
	err := tx.QueryRow(ctx, `INSERT INTO dossier_code_seq (agency_id, day, last) VALUES (?, ?, 1)
		ON CONFLICT (agency_id, day) DO UPDATE SET last = dossier_code_seq.last + 1 RETURNING last`, agencyID, key).Scan(&n)
	if err != nil {
		return "", apperr.Wrap(err, "number dossier")
	}
	return fmt.Sprintf("%s-%02d%02d%02d-%04d", agencyCode, day.Year%100, int(day.Month), day.Day, n), nil
}
