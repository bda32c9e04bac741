package payment

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/congso/congso/internal/apperr"
	"github.com/congso/congso/internal/db"
)

const paymentColumns = `id, txn_ref, dossier_id, dossier_code, agency_id, payer_user_id, provider, amount, status, provider_code,
	provider_txn_no, bank_code, card_type, provider_paid_at, paid_at, receipt_no, note, expires_at, created_at, updated_at`

func scanPayment(row interface{ Scan(...any) error }) (Payment, error) {
	var p Payment
	var status string
	var provPaid, paid sql.NullTime
	err := row.Scan(&p.ID, &p.TxnRef, &p.DossierID, &p.DossierCode, &p.AgencyID, &p.PayerID, &p.Provider, &p.Amount, &status,
		&p.ProviderCode, &p.ProviderTxnNo, &p.BankCode, &p.CardType, &provPaid, &paid, &p.ReceiptNo, &p.Note, &p.ExpiresAt,
		&p.CreatedAt, &p.UpdatedAt)
	if err != nil {
		return p, err
	}
	p.Status = Status(status)
	p.StatusLabel = p.Status.Label()
	if provPaid.Valid {
		t := provPaid.Time
		p.ProviderPaidAt = &t
	}
	if paid.Valid {
		t := paid.Time
		p.PaidAt = &t
	}
	return p, nil
}

// loadPayment reads a payment by a column (id or txn_ref); inside a write
// transaction on PostgreSQL it locks the row until commit, so that two
// deliveries of one callback are handled one after the other (SQLite
// transactions hold the write lock from BEGIN anyway).
func loadPayment(ctx context.Context, r db.Runner, column, value string, forUpdate bool) (Payment, error) {
	if column != "id" && column != "txn_ref" {
		return Payment{}, fmt.Errorf("payment: load by %s", column)
	}
	q := "SELECT " + paymentColumns + " FROM payments WHERE " + column + " = ?"
	if tx, ok := r.(*db.Tx); ok && forUpdate && tx.Engine() == db.Postgres {
		q += " FOR UPDATE"
	}
	p, err := scanPayment(r.QueryRow(ctx, q, value))
	if errors.Is(err, sql.ErrNoRows) {
		return Payment{}, apperr.New(apperr.NotFound, "Không tìm thấy giao dịch thanh toán.")
	}
	if err != nil {
		return Payment{}, apperr.Wrap(err, "read payment")
	}
	return p, nil
}

func insertPayment(ctx context.Context, tx *db.Tx, p *Payment) error {
	_, err := tx.Exec(ctx, `INSERT INTO payments (id, txn_ref, dossier_id, dossier_code, agency_id, payer_user_id, provider, amount,
		status, expires_at, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`, p.ID, p.TxnRef, p.DossierID, p.DossierCode,
		p.AgencyID, p.PayerID, p.Provider, p.Amount, string(p.Status), p.ExpiresAt, p.CreatedAt, p.UpdatedAt)
	if err != nil {
		return apperr.Wrap(err, "insert payment")
	}
	return nil
}

// saveOutcome writes what a callback settled, only if the payment is still
// pending (the caller holds its lock; the condition is a second guard).
func saveOutcome(ctx context.Context, tx *db.Tx, p *Payment) error {
	res, err := tx.Exec(ctx, `UPDATE payments SET status = ?, provider_code = ?, provider_txn_no = ?, bank_code = ?, card_type = ?,
		provider_paid_at = ?, paid_at = ?, receipt_no = ?, note = ?, updated_at = ? WHERE id = ? AND status = ?`,
		string(p.Status), p.ProviderCode, p.ProviderTxnNo, p.BankCode, p.CardType, p.ProviderPaidAt, p.PaidAt, p.ReceiptNo, p.Note,
		p.UpdatedAt, p.ID, string(Pending))
	if err != nil {
		return apperr.Wrap(err, "update payment")
	}
	if n, _ := res.RowsAffected(); n != 1 {
		return apperr.New(apperr.Conflict, "Giao dịch thanh toán đã được xử lý.")
	}
	return nil
}

// nextReceiptNo numbers the receipts of an agency per year.
func nextReceiptNo(ctx context.Context, tx *db.Tx, agencyID string, year int) (string, error) {
	var n int
	err := tx.QueryRow(ctx, `INSERT INTO payment_receipt_seq (agency_id, year, last) VALUES (?, ?, 1)
		ON CONFLICT (agency_id, year) DO UPDATE SET last = payment_receipt_seq.last + 1 RETURNING last`, agencyID, year).Scan(&n)
	if err != nil {
		return "", apperr.Wrap(err, "number receipt")
	}
	return fmt.Sprintf("%07d", n), nil
}

// insertEvent writes an entry of the callback log.
func insertEvent(ctx context.Context, tx *db.Tx, e Event) error {
	params, err := json.Marshal(e.Params)
	if err != nil {
		return apperr.Wrap(err, "encode callback parameters")
	}
	var paymentID any
	if e.PaymentID != "" {
		paymentID = e.PaymentID
	}
	if _, err := tx.Exec(ctx, `INSERT INTO payment_events (at, provider, kind, txn_ref, payment_id, params, verdict, rsp_code, remote_ip)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`, e.At, e.Provider, e.Kind, e.TxnRef, paymentID, string(params), e.Verdict, e.RspCode,
		e.RemoteIP); err != nil {
		return apperr.Wrap(err, "log callback")
	}
	return nil
}

// Events lists the callback log of a transaction reference, oldest first.
func events(ctx context.Context, r db.Runner, txnRef string) ([]Event, error) {
	rows, err := r.Query(ctx, `SELECT id, at, provider, kind, txn_ref, COALESCE(payment_id, ''), params, verdict, rsp_code, remote_ip
		FROM payment_events WHERE txn_ref = ? ORDER BY id`, txnRef)
	if err != nil {
		return nil, apperr.Wrap(err, "read callback log")
	}
	defer rows.Close()
	var out []Event
	for rows.Next() {
		var e Event
		var params string
		if err := rows.Scan(&e.ID, &e.At, &e.Provider, &e.Kind, &e.TxnRef, &e.PaymentID, &params, &e.Verdict, &e.RspCode, &e.RemoteIP); err != nil {
			return nil, apperr.Wrap(err, "read callback log")
		}
		if err := json.Unmarshal([]byte(params), &e.Params); err != nil {
			return nil, apperr.Wrap(err, "decode callback parameters")
		}
		out = append(out, e)
	}
	return out, rows.Err()
}

// listPayments reads payments matching a condition, newest first.
func listPayments(ctx context.Context, r db.Runner, where string, limit int, args ...any) ([]Payment, error) {
	rows, err := r.Query(ctx, "SELECT "+paymentColumns+" FROM payments WHERE "+where+fmt.Sprintf(" ORDER BY created_at DESC, id LIMIT %d", limit),
		args...)
	if err != nil {
		return nil, apperr.Wrap(err, "list payments")
	}
	defer rows.Close()
	var out []Payment
	for rows.Next() {
		p, err := scanPayment(rows)
		if err != nil {
			return nil, apperr.Wrap(err, "list payments")
		}
		out = append(out, p)
	}
	return out, rows.Err()
}

// countOpen counts a dossier's pending attempts still within their time.
func countOpen(ctx context.Context, tx *db.Tx, dossierID string, now time.Time) (int, error) {
	var n int
	if err := tx.QueryRow(ctx, "SELECT COUNT(*) FROM payments WHERE dossier_id = ? AND status = ? AND expires_at > ?", dossierID,
		string(Pending), now).Scan(&n); err != nil {
		return 0, apperr.Wrap(err, "count payments")
	}
	return n, nil
}
