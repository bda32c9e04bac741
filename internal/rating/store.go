package rating

import (
	"context"
	"database/sql"
	"errors"
	"time"

	"github.com/congso/congso/internal/apperr"
	"github.com/congso/congso/internal/db"
)

// The SQL of ratings and complaints, the same on both engines.

const ratingColumns = `id, dossier_id, dossier_code, procedure_name, agency_id, receiving_agency_id, user_id, criteria_version, comment,
	receipt_min, receipt_sum, receipt_count, processing_min, processing_sum, processing_count, negative, rated_at`

func scanRating(row interface{ Scan(...any) error }) (Rating, error) {
	var r Rating
	err := row.Scan(&r.ID, &r.DossierID, &r.DossierCode, &r.ProcedureName, &r.AgencyID, &r.ReceivingAgencyID, &r.UserID, &r.CriteriaVersion,
		&r.Comment, &r.Receipt.Min, &r.Receipt.Sum, &r.Receipt.Count, &r.Processing.Min, &r.Processing.Sum, &r.Processing.Count,
		&r.Negative, &r.RatedAt)
	r.Satisfied = r.Receipt.Satisfied() && r.Processing.Satisfied()
	return r, err
}

func insertRating(ctx context.Context, tx *db.Tx, r *Rating) error {
	if _, err := tx.Exec(ctx, `INSERT INTO ratings (`+ratingColumns+`) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		r.ID, r.DossierID, r.DossierCode, r.ProcedureName, r.AgencyID, r.ReceivingAgencyID, r.UserID, r.CriteriaVersion, r.Comment,
		int(r.Receipt.Min), r.Receipt.Sum, r.Receipt.Count, int(r.Processing.Min), r.Processing.Sum, r.Processing.Count, r.Negative,
		r.RatedAt); err != nil {
		if db.IsUniqueViolation(err) {
			return errAlreadyRated()
		}
		return apperr.Wrap(err, "insert rating")
	}
	for _, sc := range r.Scores {
		if _, err := tx.Exec(ctx, "INSERT INTO rating_scores (rating_id, criterion, stage, level) VALUES (?, ?, ?, ?)",
			r.ID, sc.Criterion, string(sc.Stage), int(sc.Level)); err != nil {
			return apperr.Wrap(err, "insert rating score")
		}
	}
	return nil
}

func errAlreadyRated() error {
	return apperr.New(apperr.Conflict, "Hồ sơ này đã được đánh giá; mỗi hồ sơ chỉ được đánh giá một lần.")
}

// ratingOf reads the rating of a dossier with its scores; found is false
// when the dossier has none.
func ratingOf(ctx context.Context, r db.Runner, dossierID string) (Rating, bool, error) {
	rt, err := scanRating(r.QueryRow(ctx, "SELECT "+ratingColumns+" FROM ratings WHERE dossier_id = ?", dossierID))
	if errors.Is(err, sql.ErrNoRows) {
		return Rating{}, false, nil
	}
	if err != nil {
		return Rating{}, false, apperr.Wrap(err, "read rating")
	}
	rows, err := r.Query(ctx, "SELECT criterion, stage, level FROM rating_scores WHERE rating_id = ?", rt.ID)
	if err != nil {
		return Rating{}, false, apperr.Wrap(err, "read rating scores")
	}
	defer rows.Close()
	for rows.Next() {
		var sc Score
		if err := rows.Scan(&sc.Criterion, &sc.Stage, &sc.Level); err != nil {
			return Rating{}, false, apperr.Wrap(err, "read rating score")
		}
		sc.Label = sc.Level.Label()
		rt.Scores = append(rt.Scores, sc)
	}
	return rt, true, apperr.Wrap(rows.Err(), "read rating scores")
}

const complaintColumns = `id, dossier_id, dossier_code, procedure_name, agency_id, user_id, kind, content, filed_at, due_at, answer,
	answered_by, answered_at, version`

func scanComplaint(row interface{ Scan(...any) error }) (Complaint, error) {
	var c Complaint
	var by sql.NullString
	var at sql.NullTime
	err := row.Scan(&c.ID, &c.DossierID, &c.DossierCode, &c.ProcedureName, &c.AgencyID, &c.UserID, &c.Kind, &c.Content, &c.FiledAt, &c.DueAt,
		&c.Answer, &by, &at, &c.Version)
	c.AnsweredBy = by.String
	if at.Valid {
		t := at.Time
		c.AnsweredAt = &t
	}
	return c, err
}

func insertComplaint(ctx context.Context, tx *db.Tx, c *Complaint) error {
	if _, err := tx.Exec(ctx, `INSERT INTO complaints (id, dossier_id, dossier_code, procedure_name, agency_id, user_id, kind, content,
		filed_at, due_at, status, version) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 'open', 1)`,
		c.ID, c.DossierID, c.DossierCode, c.ProcedureName, c.AgencyID, c.UserID, string(c.Kind), c.Content, c.FiledAt, c.DueAt); err != nil {
		return apperr.Wrap(err, "insert complaint")
	}
	return nil
}

func loadComplaint(ctx context.Context, r db.Runner, id string) (Complaint, error) {
	c, err := scanComplaint(r.QueryRow(ctx, "SELECT "+complaintColumns+" FROM complaints WHERE id = ?", id))
	if errors.Is(err, sql.ErrNoRows) {
		return Complaint{}, apperr.New(apperr.NotFound, "Không tìm thấy phản ánh, kiến nghị.")
	}
	if err != nil {
		return Complaint{}, apperr.Wrap(err, "read complaint")
	}
	return c, nil
}

// openComplaints counts a dossier's unanswered complaints.
func openComplaints(ctx context.Context, r db.Runner, dossierID string) (int, error) {
	var n int
	err := r.QueryRow(ctx, "SELECT COUNT(*) FROM complaints WHERE dossier_id = ? AND status = 'open'", dossierID).Scan(&n)
	return n, apperr.Wrap(err, "count open complaints")
}

// answer records the answer if the complaint is still open (and at the
// version given, when one is); it reports whether it was.
func answer(ctx context.Context, tx *db.Tx, id string, version int, text, by string, at time.Time) (bool, error) {
	q := `UPDATE complaints SET status = 'answered', answer = ?, answered_by = ?, answered_at = ?, version = version + 1
		WHERE id = ? AND status = 'open'`
	args := []any{text, by, at, id}
	if version > 0 {
		q += " AND version = ?"
		args = append(args, version)
	}
	res, err := tx.Exec(ctx, q, args...)
	if err != nil {
		return false, apperr.Wrap(err, "answer complaint")
	}
	n, err := res.RowsAffected()
	return n == 1, apperr.Wrap(err, "answer complaint")
}
