package indicator

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/congso/congso/internal/db"
)

// The counters of indicator_daily, each added on the day named in its comment.
const (
	cReceived         = iota // day received
	cEnded                   // day ended
	cEndedOnTime             // day ended
	cDue                     // day due
	cSettled                 // later of the day due and the day ended, once ended
	cEligible                // day received
	cOnlineEligible          // day received
	cFeeDue                  // day received
	cPaidOnline              // day received
	cResulted                // day ended
	cEResult                 // day ended
	cDigitised               // day ended
	cReused                  // day received
	cStoreLinked             // day received
	cPopDB                   // day received
	cSynced                  // day received
	cSyncComplete            // day received
	cUnhappy                 // day received
	cComplaints              // day received
	cComplaintsOnTime        // day received
	nCounters
)

var counterColumns = [nCounters]string{"received", "ended", "ended_on_time", "due", "settled", "eligible",
	"online_eligible", "fee_due", "paid_online", "resulted", "e_result", "digitised", "reused", "store_linked",
	"popdb_used", "synced", "sync_complete", "unhappy", "complaints", "complaints_on_time"}

type dayKey struct {
	agency string
	day    int
}

type monthKey struct {
	agency, procedure string
	month             int
}

// delta is the change a set of facts makes to the roll-ups.
type delta struct {
	days   map[dayKey]*[nCounters]int64
	months map[monthKey]*[2]int64
}

func newDelta() *delta {
	return &delta{days: map[dayKey]*[nCounters]int64{}, months: map[monthKey]*[2]int64{}}
}

func b2i(b bool) int64 {
	if b {
		return 1
	}
	return 0
}

// add adds the fact's contribution times sign (+1 or −1).
func (d *delta) add(f *Fact, sign int64) {
	at := func(day, c int, v int64) {
		if v == 0 {
			return
		}
		k := dayKey{f.AgencyID, day}
		row := d.days[k]
		if row == nil {
			row = new([nCounters]int64)
			d.days[k] = row
		}
		row[c] += sign * v
	}
	r := f.RecvDay
	at(r, cReceived, 1)
	at(r, cEligible, b2i(f.EligibleOnline))
	at(r, cOnlineEligible, b2i(f.EligibleOnline && f.Online))
	at(r, cFeeDue, b2i(f.feeDue()))
	at(r, cPaidOnline, b2i(f.feeDue() && f.PaidOnline))
	at(r, cReused, b2i(f.Reused))
	at(r, cStoreLinked, b2i(f.StoreLinked))
	at(r, cPopDB, b2i(f.PopDB))
	at(r, cSynced, b2i(f.Synced))
	at(r, cSyncComplete, b2i(f.SyncComplete))
	at(r, cUnhappy, b2i(f.Negative || f.Complained))
	at(r, cComplaints, int64(f.Complaints))
	at(r, cComplaintsOnTime, int64(f.ComplaintsOnTime))
	if f.DueDay != neverDue {
		at(f.DueDay, cDue, 1)
	}
	if e := f.EndDay; e != 0 {
		at(e, cEnded, 1)
		at(e, cEndedOnTime, b2i(f.OnTime))
		at(max(e, f.DueDay), cSettled, 1)
		at(e, cResulted, b2i(f.Resulted))
		at(e, cEResult, b2i(f.Resulted && f.EResult))
		at(e, cDigitised, b2i(f.Resulted && f.Digitised))
	}
	if f.feeDue() {
		k := monthKey{f.AgencyID, f.ProcedureID, f.RecvDay / 100}
		m := d.months[k]
		if m == nil {
			m = new([2]int64)
			d.months[k] = m
		}
		m[0] += sign
		m[1] += sign * b2i(f.PaidOnline)
	}
}

// apply writes the delta into the roll-ups: per agency and day, per agency
// and month, and the fee-bearing procedures per agency and for the province.
func (d *delta) apply(ctx context.Context, tx db.Runner) error {
	months := map[dayKey]*[nCounters]int64{}
	for k, row := range d.days {
		mk := dayKey{k.agency, k.day / 100}
		m := months[mk]
		if m == nil {
			m = new([nCounters]int64)
			months[mk] = m
		}
		for i, v := range row {
			m[i] += v
		}
	}
	if err := upsertCounters(ctx, tx, "indicator_daily", "day", d.days); err != nil {
		return err
	}
	if err := upsertCounters(ctx, tx, "indicator_monthly", "month", months); err != nil {
		return err
	}
	mkeys := make([]monthKey, 0, len(d.months))
	province := map[monthKey]*[2]int64{}
	for k, m := range d.months {
		mkeys = append(mkeys, k)
		pk := monthKey{procedure: k.procedure, month: k.month}
		p := province[pk]
		if p == nil {
			p = new([2]int64)
			province[pk] = p
		}
		p[0] += m[0]
		p[1] += m[1]
	}
	// A fixed order keeps two writers from deadlocking on PostgreSQL.
	sort.Slice(mkeys, func(i, j int) bool {
		a, b := mkeys[i], mkeys[j]
		if a.agency != b.agency {
			return a.agency < b.agency
		}
		if a.procedure != b.procedure {
			return a.procedure < b.procedure
		}
		return a.month < b.month
	})
	if err := d.applyChains(ctx, tx, mkeys); err != nil {
		return err
	}
	for _, k := range mkeys {
		m := d.months[k]
		if *m == ([2]int64{}) {
			continue
		}
		if _, err := tx.Exec(ctx, `INSERT INTO indicator_fee_months (agency_id, procedure_id, month, fee_due, paid_online)
			VALUES (?, ?, ?, ?, ?) ON CONFLICT (agency_id, procedure_id, month) DO UPDATE SET
			fee_due = indicator_fee_months.fee_due + excluded.fee_due,
			paid_online = indicator_fee_months.paid_online + excluded.paid_online`,
			k.agency, k.procedure, k.month, m[0], m[1]); err != nil {
			return fmt.Errorf("update monthly fee counts: %w", err)
		}
	}
	pkeys := make([]monthKey, 0, len(province))
	for k := range province {
		pkeys = append(pkeys, k)
	}
	sort.Slice(pkeys, func(i, j int) bool {
		if pkeys[i].procedure != pkeys[j].procedure {
			return pkeys[i].procedure < pkeys[j].procedure
		}
		return pkeys[i].month < pkeys[j].month
	})
	for _, k := range pkeys {
		m := province[k]
		if *m == ([2]int64{}) {
			continue
		}
		if _, err := tx.Exec(ctx, `INSERT INTO indicator_fee_province (procedure_id, month, fee_due, paid_online)
			VALUES (?, ?, ?, ?) ON CONFLICT (procedure_id, month) DO UPDATE SET
			fee_due = indicator_fee_province.fee_due + excluded.fee_due,
			paid_online = indicator_fee_province.paid_online + excluded.paid_online`,
			k.procedure, k.month, m[0], m[1]); err != nil {
			return fmt.Errorf("update the province's monthly fee counts: %w", err)
		}
	}
	return nil
}

// upsertCounters adds rows of counters into a roll-up keyed by agency and
// the named period column.
func upsertCounters(ctx context.Context, tx db.Runner, table, period string, rows map[dayKey]*[nCounters]int64) error {
	keys := make([]dayKey, 0, len(rows))
	for k := range rows {
		keys = append(keys, k)
	}
	sort.Slice(keys, func(i, j int) bool {
		if keys[i].agency != keys[j].agency {
			return keys[i].agency < keys[j].agency
		}
		return keys[i].day < keys[j].day
	})
	var set strings.Builder
	for i, c := range counterColumns {
		if i > 0 {
			set.WriteString(", ")
		}
		fmt.Fprintf(&set, "%s = %s.%s + excluded.%s", c, table, c, c)
	}
	upsert := `INSERT INTO ` + table + ` (agency_id, ` + period + `, ` + strings.Join(counterColumns[:], ", ") + `)
		VALUES (?, ?, ` + db.Placeholders(nCounters) + `)
		ON CONFLICT (agency_id, ` + period + `) DO UPDATE SET ` + set.String()
	for _, k := range keys {
		row := rows[k]
		if *row == ([nCounters]int64{}) {
			continue
		}
		args := make([]any, 0, nCounters+2)
		args = append(args, k.agency, k.day)
		for _, v := range row {
			args = append(args, v)
		}
		if _, err := tx.Exec(ctx, upsert, args...); err != nil {
			return fmt.Errorf("update %s: %w", table, err)
		}
	}
	return nil
}

const factColumns = `dossier_id, agency_id, unit_id, procedure_id, channel, status, received_at, promised_at, end_at,
	supplement_wait_s, supplement_count, recv_day, end_day, due_day, on_time, eligible_online, online, fee_bearing,
	zero_fee, paid_online, resulted, e_result, digitised, reused, store_linked, popdb_used, synced, sync_complete,
	negative, complained, complaints, complaints_on_time, refreshed_at`

func scanFact(sc interface{ Scan(...any) error }) (*Fact, error) {
	var f Fact
	var promised, end sql.NullTime
	var wait int64
	var refreshed time.Time
	err := sc.Scan(&f.DossierID, &f.AgencyID, &f.UnitID, &f.ProcedureID, &f.Channel, &f.Status, &f.ReceivedAt,
		&promised, &end, &wait, &f.SupplementCount, &f.RecvDay, &f.EndDay, &f.DueDay, &f.OnTime, &f.EligibleOnline,
		&f.Online, &f.FeeBearing, &f.ZeroFee, &f.PaidOnline, &f.Resulted, &f.EResult, &f.Digitised, &f.Reused,
		&f.StoreLinked, &f.PopDB, &f.Synced, &f.SyncComplete, &f.Negative, &f.Complained, &f.Complaints,
		&f.ComplaintsOnTime, &refreshed)
	if err != nil {
		return nil, err
	}
	if promised.Valid {
		v := promised.Time.UTC()
		f.PromisedAt = &v
	}
	if end.Valid {
		v := end.Time.UTC()
		f.EndAt = &v
	}
	f.ReceivedAt = f.ReceivedAt.UTC()
	f.SupplementWait = time.Duration(wait) * time.Second
	return &f, nil
}

func loadFact(ctx context.Context, q db.Runner, id string) (*Fact, error) {
	f, err := scanFact(q.QueryRow(ctx, `SELECT `+factColumns+` FROM indicator_facts WHERE dossier_id = ?`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("read scorecard facts of dossier %s: %w", id, err)
	}
	return f, nil
}

func nullTime(t *time.Time) any {
	if t == nil {
		return nil
	}
	return db.Instant(*t)
}

// factArgs are the values of one indicator_facts row, in factColumns order.
func factArgs(f *Fact, now time.Time) []any {
	return []any{f.DossierID, f.AgencyID, f.UnitID, f.ProcedureID, f.Channel, f.Status, db.Instant(f.ReceivedAt),
		nullTime(f.PromisedAt), nullTime(f.EndAt), int64(f.SupplementWait / time.Second), f.SupplementCount,
		f.RecvDay, f.EndDay, f.DueDay, f.OnTime, f.EligibleOnline, f.Online, f.FeeBearing, f.ZeroFee, f.PaidOnline,
		f.Resulted, f.EResult, f.Digitised, f.Reused, f.StoreLinked, f.PopDB, f.Synced, f.SyncComplete, f.Negative,
		f.Complained, f.Complaints, f.ComplaintsOnTime, db.Instant(now)}
}

const nFactColumns = 33

func saveFact(ctx context.Context, q db.Runner, f *Fact, now time.Time) error {
	if _, err := q.Exec(ctx, `DELETE FROM indicator_facts WHERE dossier_id = ?`, f.DossierID); err != nil {
		return fmt.Errorf("replace scorecard facts: %w", err)
	}
	if _, err := q.Exec(ctx, `INSERT INTO indicator_facts (`+factColumns+`) VALUES (`+db.Placeholders(nFactColumns)+`)`,
		factArgs(f, now)...); err != nil {
		return fmt.Errorf("write scorecard facts: %w", err)
	}
	return nil
}

// sameFact reports whether two facts contribute the same to every figure.
func sameFact(a, b *Fact) bool {
	if a == nil || b == nil {
		return a == b
	}
	x, y := *a, *b
	x.SupplementWait, y.SupplementWait = 0, 0
	x.ReceivedAt, y.ReceivedAt = time.Time{}, time.Time{}
	x.PromisedAt, y.PromisedAt, x.EndAt, y.EndAt = nil, nil, nil, nil
	return x == y && eqTime(a.PromisedAt, b.PromisedAt) && eqTime(a.EndAt, b.EndAt) &&
		a.ReceivedAt.Equal(b.ReceivedAt) && a.SupplementWait/time.Second == b.SupplementWait/time.Second
}

func eqTime(a, b *time.Time) bool {
	if a == nil || b == nil {
		return a == b
	}
	return a.Equal(*b)
}

// refreshOne re-derives one dossier's facts and moves the roll-ups by the
// difference, in the caller's transaction.
func refreshOne(ctx context.Context, tx db.Runner, id string, now time.Time) (changed bool, err error) {
	old, err := loadFact(ctx, tx, id)
	if err != nil {
		return false, err
	}
	nf, err := derive(ctx, tx, id, now)
	if err != nil {
		return false, err
	}
	if sameFact(old, nf) {
		return false, nil
	}
	d := newDelta()
	if old != nil {
		d.add(old, -1)
	}
	if nf != nil {
		d.add(nf, +1)
		if err := saveFact(ctx, tx, nf, now); err != nil {
			return false, err
		}
	} else if _, err := tx.Exec(ctx, `DELETE FROM indicator_facts WHERE dossier_id = ?`, id); err != nil {
		return false, fmt.Errorf("remove scorecard facts: %w", err)
	}
	return true, d.apply(ctx, tx)
}

// chainKey is a row of indicator_fee_chain.
type chainKey struct {
	agency      string
	month, prev int
}

// addChains adds sign times the chain links of one agency's procedure whose
// fee-bearing dossiers and online payments per month are given: each month
// with some links to the previous such month.
func addChains(out map[chainKey]*[2]int64, agency string, months map[int][2]int64, sign int64) {
	ms := make([]int, 0, len(months))
	for m := range months {
		ms = append(ms, m)
	}
	sort.Ints(ms)
	for i := range 2 {
		prev := 0
		for _, m := range ms {
			if months[m][i] <= 0 {
				continue
			}
			k := chainKey{agency, m, prev}
			row := out[k]
			if row == nil {
				row = new([2]int64)
				out[k] = row
			}
			row[i] += sign
			prev = m
		}
	}
}

// applyChains moves indicator_fee_chain by the delta's monthly fee counts,
// which are yet to be written into indicator_fee_months; keys are sorted.
func (d *delta) applyChains(ctx context.Context, tx db.Runner, keys []monthKey) error {
	type pair struct{ agency, procedure string }
	changes := map[chainKey]*[2]int64{}
	for i := 0; i < len(keys); {
		p := pair{keys[i].agency, keys[i].procedure}
		j := i
		for j < len(keys) && keys[j].agency == p.agency && keys[j].procedure == p.procedure {
			j++
		}
		group := keys[i:j]
		i = j
		rows, err := tx.Query(ctx, `SELECT month, fee_due, paid_online FROM indicator_fee_months
			WHERE agency_id = ? AND procedure_id = ?`, p.agency, p.procedure)
		if err != nil {
			return fmt.Errorf("read monthly fee counts: %w", err)
		}
		old := map[int][2]int64{}
		for rows.Next() {
			var m int
			var v [2]int64
			if err := rows.Scan(&m, &v[0], &v[1]); err != nil {
				rows.Close()
				return fmt.Errorf("read monthly fee counts: %w", err)
			}
			old[m] = v
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return fmt.Errorf("read monthly fee counts: %w", err)
		}
		updated := make(map[int][2]int64, len(old)+len(group))
		for m, v := range old {
			updated[m] = v
		}
		flipped := false
		for _, k := range group {
			a, b := old[k.month], old[k.month]
			dm := d.months[k]
			b[0] += dm[0]
			b[1] += dm[1]
			updated[k.month] = b
			flipped = flipped || (a[0] > 0) != (b[0] > 0) || (a[1] > 0) != (b[1] > 0)
		}
		if !flipped {
			continue
		}
		addChains(changes, p.agency, old, -1)
		addChains(changes, p.agency, updated, +1)
	}
	ckeys := make([]chainKey, 0, len(changes))
	for k, v := range changes {
		if *v != ([2]int64{}) {
			ckeys = append(ckeys, k)
		}
	}
	sort.Slice(ckeys, func(i, j int) bool {
		a, b := ckeys[i], ckeys[j]
		if a.agency != b.agency {
			return a.agency < b.agency
		}
		if a.month != b.month {
			return a.month < b.month
		}
		return a.prev < b.prev
	})
	for _, k := range ckeys {
		v := changes[k]
		if _, err := tx.Exec(ctx, `INSERT INTO indicator_fee_chain (agency_id, month, prev_month, procedures, paid_procedures)
			VALUES (?, ?, ?, ?, ?) ON CONFLICT (agency_id, month, prev_month) DO UPDATE SET
			procedures = indicator_fee_chain.procedures + excluded.procedures,
			paid_procedures = indicator_fee_chain.paid_procedures + excluded.paid_procedures`,
			k.agency, k.month, k.prev, v[0], v[1]); err != nil {
			return fmt.Errorf("update the fee-bearing procedures' chain: %w", err)
		}
	}
	return nil
}
