package indicator

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/congso/congso/internal/db"
)

// Dossier states as the national portal codes them (see package dossier).
const (
	stNew                 = 1
	stSupplementRequested = 5
	stStopped             = 8
	stProcessed           = 9
	stReturned            = 10
)

// neverDue marks a dossier that cannot be late yet: the clock is stopped
// while the citizen completes the file.
const neverDue = 99991231

// Fact is what the scorecard needs of one dossier.
type Fact struct {
	DossierID        string
	AgencyID         string
	UnitID           string
	ProcedureID      string
	Channel          string
	Status           int
	ReceivedAt       time.Time
	PromisedAt       *time.Time
	EndAt            *time.Time
	SupplementWait   time.Duration
	SupplementCount  int
	RecvDay          int
	EndDay           int // 0 while open
	DueDay           int
	OnTime           bool // finished on or before the promised date
	EligibleOnline   bool
	Online           bool
	FeeBearing       bool
	ZeroFee          bool
	PaidOnline       bool
	Resulted         bool
	EResult          bool
	Digitised        bool
	Reused           bool
	StoreLinked      bool
	PopDB            bool
	Synced           bool
	SyncComplete     bool
	Negative         bool // rated negatively
	Complained       bool // a complaint was filed about it
	Complaints       int  // complaints answered or past their answer deadline
	ComplaintsOnTime int  // of those, answered by the deadline
}

// feeDue says whether the dossier counts in the online-payment denominator.
func (f *Fact) feeDue() bool { return f.FeeBearing && !f.ZeroFee }

// derive reads one dossier and what other domains recorded of it, as of now.
// It returns nil for a dossier not (yet) received.
func derive(ctx context.Context, q db.Runner, id string, now time.Time) (*Fact, error) {
	var (
		f                                 Fact
		received, filed                   time.Time
		receivedAt, due, legalDue, paused sql.NullTime
		processed, returned, ended        sql.NullTime
		limitValue                        int
		limitUnit, onlineLevel, fees      string
		feeTotal                          int64
		resultDigitised                   bool
		negative                          sql.NullBool
	)
	err := q.QueryRow(ctx, `SELECT d.id, d.agency_id, COALESCE(a.unit_id, ''), d.procedure_id, d.channel, d.status,
		d.filed_at, d.received_at, d.due_at, d.legal_due_at, d.paused_at, d.limit_value, d.limit_unit, d.supplement_count,
		d.processed_at, d.returned_at, d.ended_at, d.fee_total, d.result_digitised,
		COALESCE(p.online_level, ''), COALESCE(p.fees, '[]'),
		EXISTS (SELECT 1 FROM payments y WHERE y.dossier_id = d.id AND y.status = 'paid'),
		EXISTS (SELECT 1 FROM dossier_files r WHERE r.dossier_id = d.id AND r.kind = 'result'),
		EXISTS (SELECT 1 FROM dossier_files c WHERE c.dossier_id = d.id AND c.kind <> 'result' AND c.digitised = ?),
		EXISTS (SELECT 1 FROM dossier_files s WHERE s.dossier_id = d.id AND s.source = 'estore')
			OR EXISTS (SELECT 1 FROM estore_uses u WHERE u.dossier_id = d.id),
		EXISTS (SELECT 1 FROM estore_items e WHERE e.dossier_id = d.id),
		EXISTS (SELECT 1 FROM popdb_checks k WHERE k.dossier_id = d.id),
		EXISTS (SELECT 1 FROM natsync_outbox o WHERE o.dossier_id = d.id AND o.state = 'sent'),
		NOT EXISTS (SELECT 1 FROM natsync_outbox o WHERE o.dossier_id = d.id AND o.state <> 'sent'),
		(SELECT g.negative FROM ratings g WHERE g.dossier_id = d.id)
		FROM dossiers d
		LEFT JOIN agencies a ON a.id = d.agency_id
		LEFT JOIN procedures p ON p.id = d.procedure_id
		WHERE d.id = ?`, true, id).Scan(
		&f.DossierID, &f.AgencyID, &f.UnitID, &f.ProcedureID, &f.Channel, &f.Status,
		&filed, &receivedAt, &due, &legalDue, &paused, &limitValue, &limitUnit, &f.SupplementCount,
		&processed, &returned, &ended, &feeTotal, &resultDigitised,
		&onlineLevel, &fees,
		&f.PaidOnline, &f.EResult, &f.Digitised, &f.Reused, &f.StoreLinked, &f.PopDB, &f.Synced, &f.SyncComplete, &negative)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("read dossier %s for the scorecard: %w", id, err)
	}
	if f.Status == stNew {
		return nil, nil
	}
	received = filed
	if receivedAt.Valid {
		received = receivedAt.Time
	}
	f.ReceivedAt = received.UTC()
	f.RecvDay = dayOf(received)
	f.Negative = negative.Valid && negative.Bool
	f.SyncComplete = f.SyncComplete && f.Synced
	f.EligibleOnline = onlineLevel == "full"
	f.Online = f.Channel == "portal" || f.Channel == "national"
	f.FeeBearing = feeBearing(fees)
	f.ZeroFee = feeTotal == 0
	f.PaidOnline = f.PaidOnline && f.feeDue()

	// The end is the first of processed, returned, stopped/refused/withdrawn.
	var end *time.Time
	for _, t := range []sql.NullTime{processed, returned, ended} {
		if t.Valid && (end == nil || t.Time.Before(*end)) {
			v := t.Time.UTC()
			end = &v
		}
	}
	f.EndAt = end
	if end != nil {
		f.EndDay = dayOf(*end)
	}
	f.Resulted = f.Status == stProcessed || f.Status == stReturned
	if !f.Resulted {
		f.EResult, f.Digitised = false, false
	} else {
		f.Digitised = f.Digitised && (f.EResult || resultDigitised)
	}

	// The promised date already moves by the time spent waiting for the
	// citizen (the dossier service shifts it on resumption); a dossier waiting
	// now cannot fall late until it resumes, unless it was late before.
	var promised *time.Time
	switch {
	case due.Valid:
		v := due.Time.UTC()
		promised = &v
	case legalDue.Valid:
		v := legalDue.Time.UTC()
		promised = &v
	default:
		v := legalLimit(received, limitValue, limitUnit)
		promised = &v
	}
	if due.Valid {
		f.PromisedAt = promised
	}
	f.DueDay = dayOf(*promised)
	if end != nil {
		f.OnTime = !end.After(*promised)
	} else if paused.Valid && !paused.Time.After(*promised) {
		f.DueDay = neverDue
	}
	if f.SupplementCount > 1 {
		// More than one supplement request counts as late: due from the first day.
		f.OnTime = false
		f.DueDay = f.RecvDay
	}
	if f.EndDay != 0 && f.DueDay == neverDue {
		f.DueDay = f.EndDay
	}

	wait, err := supplementWait(ctx, q, id, now)
	if err != nil {
		return nil, err
	}
	f.SupplementWait = wait

	err = q.QueryRow(ctx, `SELECT
		COALESCE(SUM(CASE WHEN answered_at IS NOT NULL OR due_at < ? THEN 1 ELSE 0 END), 0),
		COALESCE(SUM(CASE WHEN answered_at IS NOT NULL AND answered_at <= due_at THEN 1 ELSE 0 END), 0)
		FROM complaints WHERE dossier_id = ?`, db.Instant(now), id).Scan(&f.Complaints, &f.ComplaintsOnTime)
	if err != nil {
		return nil, fmt.Errorf("count complaints of dossier %s: %w", id, err)
	}
	var filedAny int
	if err := q.QueryRow(ctx, `SELECT COUNT(*) FROM complaints WHERE dossier_id = ?`, id).Scan(&filedAny); err != nil {
		return nil, fmt.Errorf("count complaints of dossier %s: %w", id, err)
	}
	f.Complained = filedAny > 0
	return &f, nil
}

// supplementWait adds up the time spent in "supplement requested".
func supplementWait(ctx context.Context, q db.Runner, id string, now time.Time) (time.Duration, error) {
	rows, err := q.Query(ctx, `SELECT at, to_status FROM dossier_events WHERE dossier_id = ? ORDER BY seq`, id)
	if err != nil {
		return 0, fmt.Errorf("read events of dossier %s: %w", id, err)
	}
	defer rows.Close()
	var total time.Duration
	var since *time.Time
	for rows.Next() {
		var at time.Time
		var to int
		if err := rows.Scan(&at, &to); err != nil {
			return 0, fmt.Errorf("read events of dossier %s: %w", id, err)
		}
		if since != nil && to != stSupplementRequested {
			total += at.Sub(*since)
			since = nil
		} else if since == nil && to == stSupplementRequested {
			v := at
			since = &v
		}
	}
	if err := rows.Err(); err != nil {
		return 0, fmt.Errorf("read events of dossier %s: %w", id, err)
	}
	if since != nil {
		total += now.Sub(*since)
	}
	return total, nil
}

// feeBearing reports whether a procedure's fee list charges anything.
func feeBearing(fees string) bool {
	var list []struct {
		Amount int64 `json:"amount"`
	}
	if err := json.Unmarshal([]byte(fees), &list); err != nil {
		return false
	}
	for _, f := range list {
		if f.Amount > 0 {
			return true
		}
	}
	return false
}

// legalLimit is the deadline from the procedure's time limit when the dossier
// has no promised date. Working days are counted as weeks of five.
func legalLimit(received time.Time, n int, unit string) time.Time {
	switch {
	case strings.Contains(unit, "month"):
		return received.AddDate(0, n, 0)
	case strings.Contains(unit, "hour"):
		return received.Add(time.Duration(n) * time.Hour)
	case unit == "calendar_days":
		return received.AddDate(0, 0, n)
	}
	days := n/5*7 + n%5
	return received.AddDate(0, 0, days)
}
