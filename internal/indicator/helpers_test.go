package indicator_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/congso/congso/internal/calendar"
	"github.com/congso/congso/internal/db"
)

func at(y int, m time.Month, d, h, min int) time.Time {
	return time.Date(y, m, d, h, min, 0, 0, calendar.Location())
}

// world writes the rows the other domains would write, directly.
type world struct {
	t   *testing.T
	d   *db.DB
	ctx context.Context
	seq int
}

func (w *world) exec(q string, args ...any) {
	w.t.Helper()
	if _, err := w.d.Exec(w.ctx, q, args...); err != nil {
		w.t.Fatalf("%s: %v", q, err)
	}
}

func (w *world) next() string { w.seq++; return fmt.Sprintf("x%04d", w.seq) }

func (w *world) base() {
	now := at(2026, 1, 1, 0, 0)
	for _, u := range [][2]string{{"u-a", "Xã An Bình"}, {"u-b", "Phường Bình Minh"}} {
		w.exec(`INSERT INTO admin_units (id, code, edition, level, kind, name, full_name, name_fold)
			VALUES (?, ?, 'test', 'commune', 'xa', ?, ?, ?)`, u[0], u[0], u[1], u[1], u[1])
	}
	for _, a := range [][3]string{{"a1", "UBND xã An Bình", "u-a"}, {"a2", "UBND phường Bình Minh", "u-b"}} {
		w.exec(`INSERT INTO agencies (id, code, name, kind, unit_id, name_fold, created_at, updated_at)
			VALUES (?, ?, ?, 'commune', ?, ?, ?, ?)`, a[0], a[0], a[1], a[2], a[1], now, now)
	}
	w.exec(`INSERT INTO users (id, kind, username, display_name, name_fold, created_at, updated_at)
		VALUES ('c1', 'citizen', 'c1', 'Công dân', 'cong dan', ?, ?)`, now, now)
	w.exec(`INSERT INTO blobs (sha256, size, content_type, data, created_at) VALUES ('h', 1, 'application/pdf', ?, ?)`, []byte("x"), now)
	// p1: full online, fee-bearing; p2: partly online, no fee; p3: full online, fee-bearing.
	for _, p := range [][3]string{{"p1", "full", `[{"kind":"fee","name":"Lệ phí","amount":50000}]`},
		{"p2", "partial", `[]`}, {"p3", "full", `[{"kind":"charge","name":"Phí","amount":20000}]`}} {
		w.exec(`INSERT INTO procedures (id, code, name, name_fold, search_fold, field, level, agency_kind, limit_n, limit_unit,
			cutoff, online_level, active, version, created_at, updated_at, fees, documents, results, legal_basis, steps, form)
			VALUES (?, ?, ?, ?, ?, 'f', 'commune', 'commune', 3, 'working_days', '15:00', ?, ?, 1, ?, ?, ?, '[]', '[]', '[]', '[]', '{}')`,
			p[0], p[0], "Thủ tục "+p[0], p[0], p[0], p[1], true, now, now, p[2])
	}
}

// dossier is what a test sets of a dossier row.
type dossier struct {
	id, agency, proc, channel string
	status                    int
	received                  time.Time
	due, paused               *time.Time
	processed, returned, end  *time.Time
	supplements               int
	fee                       int64
	limitN                    int
	limitUnit                 string
}

func ptr(t time.Time) *time.Time { return &t }

func (w *world) dossier(d dossier) {
	w.t.Helper()
	if d.limitUnit == "" {
		d.limitN, d.limitUnit = 3, "working_days"
	}
	var recv any = d.received
	if d.status == 1 {
		recv = nil
	}
	tp := func(t *time.Time) any {
		if t == nil {
			return nil
		}
		return *t
	}
	w.exec(`INSERT INTO dossiers (id, code, receiving_agency_id, agency_id, holder_agency_id, procedure_id, procedure_code,
		procedure_name, plan, channel, status, applicant_kind, applicant_name, limit_value, limit_unit, cutoff, filed_at,
		received_at, due_at, legal_due_at, paused_at, supplement_count, processed_at, returned_at, ended_at, fee_total,
		search_fold, created_at, updated_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, 'Thủ tục', '[]', ?, ?, 'citizen', 'Nguyễn Văn A', ?, ?, '15:00', ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, '', ?, ?)`,
		d.id, "HS-"+d.id, d.agency, d.agency, d.agency, d.proc, d.proc, d.channel, d.status, d.limitN, d.limitUnit,
		d.received, recv, tp(d.due), tp(d.due), tp(d.paused), d.supplements, tp(d.processed), tp(d.returned), tp(d.end),
		d.fee, d.received, d.received)
}

func (w *world) event(dossierID string, seq int, t time.Time, from, to int) {
	w.exec(`INSERT INTO dossier_events (dossier_id, seq, at, actor_id, agency_id, action, from_status, to_status)
		VALUES (?, ?, ?, 'u', 'a1', 'x', ?, ?)`, dossierID, seq, t, from, to)
}

func (w *world) file(dossierID, kind, source string, digitised bool, t time.Time) {
	w.exec(`INSERT INTO dossier_files (id, dossier_id, kind, file_name, sha256, size, content_type, digitised, uploaded_by, uploaded_at, source)
		VALUES (?, ?, ?, 'f.pdf', 'h', 1, 'application/pdf', ?, 'u', ?, ?)`, w.next(), dossierID, kind, digitised, t, source)
}

func (w *world) payment(dossierID, agency, status string, t time.Time) {
	w.exec(`INSERT INTO payments (id, txn_ref, dossier_id, dossier_code, agency_id, payer_user_id, provider, amount, status,
		expires_at, created_at, updated_at) VALUES (?, ?, ?, ?, ?, 'c1', 'sandbox', 1, ?, ?, ?, ?)`,
		w.next(), w.next(), dossierID, "HS-"+dossierID, agency, status, t, t, t)
}

func (w *world) rating(dossierID, agency string, negative bool, t time.Time) {
	w.exec(`INSERT INTO ratings (id, dossier_id, dossier_code, procedure_name, agency_id, receiving_agency_id, user_id,
		criteria_version, receipt_min, receipt_sum, receipt_count, processing_min, processing_sum, processing_count, negative, rated_at)
		VALUES (?, ?, ?, 'Thủ tục', ?, ?, 'c1', 'v1', 1, 1, 1, 1, 1, 1, ?, ?)`, w.next(), dossierID, "HS-"+dossierID, agency, agency, negative, t)
}

func (w *world) complaint(dossierID, agency string, filed, due time.Time, answered *time.Time) {
	status := "open"
	var ans any
	if answered != nil {
		status, ans = "answered", *answered
	}
	w.exec(`INSERT INTO complaints (id, dossier_id, dossier_code, procedure_name, agency_id, user_id, kind, content, filed_at,
		due_at, status, answered_at) VALUES (?, ?, ?, 'Thủ tục', ?, 'c1', 'complaint', 'Nội dung', ?, ?, ?, ?)`,
		w.next(), dossierID, "HS-"+dossierID, agency, filed, due, status, ans)
}

func (w *world) storeItem(dossierID string, t time.Time) {
	w.exec(`INSERT INTO estore_items (id, owner_id, kind, document, file_name, sha256, size, content_type, dossier_id,
		search_fold, created_at, updated_at) VALUES (?, 'c1', 'result', 'Giấy', 'f.pdf', 'h', 1, 'application/pdf', ?, '', ?, ?)`,
		w.next(), dossierID, t, t)
}

func (w *world) popdb(dossierID string, t time.Time) {
	w.exec(`INSERT INTO popdb_checks (id, request_id, reference, result, dossier_id, checked_by, checked_at)
		VALUES (?, 'r', 'ref', 'match', ?, 'u', ?)`, w.next(), dossierID, t)
}

func (w *world) synced(dossierID string, seq int, state string, t time.Time) {
	w.exec(`INSERT INTO natsync_outbox (idem_key, dossier_id, dossier_code, seq, status, payload, state, next_at, created_at, updated_at)
		VALUES (?, ?, ?, ?, 1, '{}', ?, ?, ?, ?)`, fmt.Sprintf("HS-%s:%d", dossierID, seq), dossierID, "HS-"+dossierID, seq, state, t, t, t)
}
