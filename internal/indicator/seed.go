package indicator

import (
	"context"
	"fmt"
	"math/rand/v2"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/stdlib"

	"github.com/congso/congso/internal/calendar"
	"github.com/congso/congso/internal/db"
)

// SeedOptions shape a generated province for the benchmark.
type SeedOptions struct {
	Dossiers int
	// Real is how many of them are written as dossier rows (and derived by
	// the refresher like any other); the rest are written as facts only.
	Real        int
	Departments int
	Communes    int
	Procedures  int
	// Now is the end of the two years generated.
	Now  time.Time
	Seed uint64
	// Progress, when set, hears how many dossiers are written.
	Progress func(done int)
	// Phase, when set, hears how long each phase took.
	Phase func(name string, took time.Duration)
}

// SeedResult says what was generated.
type SeedResult struct {
	Agencies   []string
	RealIDs    []string
	FactRows   int
	DailyRows  int
	MonthRows  int
	FirstDay   calendar.Date
	LastDay    calendar.Date
	ElapsedAll time.Duration
}

type genProc struct {
	id       string
	full     bool
	fee      int64
	limitDay int
}

// Seed generates a province: agencies (departments and commune people's
// committees seated in communes), procedures, and dossiers spread over two
// years in every channel and state, with their facts and roll-ups written in
// bulk. Dossier rows are written only for opt.Real of them.
func Seed(ctx context.Context, d *db.DB, opt SeedOptions) (SeedResult, error) {
	start := time.Now()
	if opt.Departments == 0 {
		opt.Departments = 25
	}
	if opt.Communes == 0 {
		opt.Communes = 125
	}
	if opt.Procedures == 0 {
		opt.Procedures = 300
	}
	if opt.Real > opt.Dossiers {
		opt.Real = opt.Dossiers
	}
	var existing int
	if err := d.QueryRow(ctx, `SELECT COUNT(*) FROM indicator_daily`).Scan(&existing); err != nil {
		return SeedResult{}, fmt.Errorf("check the database is empty: %w", err)
	}
	if existing > 0 {
		return SeedResult{}, fmt.Errorf("the database already holds scorecard data: seed an empty one")
	}
	rng := rand.New(rand.NewPCG(opt.Seed, 766))
	mark := time.Now()
	phase := func(name string) {
		if opt.Phase != nil {
			opt.Phase(name, time.Since(mark))
		}
		mark = time.Now()
	}
	now := opt.Now.UTC()
	var res SeedResult
	ts := db.Instant(now)

	// Reference rows.
	err := d.Tx(ctx, func(tx *db.Tx) error {
		for i := 0; i < opt.Communes; i++ {
			id := fmt.Sprintf("bench-u%03d", i)
			name := fmt.Sprintf("Xã Thử Nghiệm %d", i+1)
			if _, err := tx.Exec(ctx, `INSERT INTO admin_units (id, code, edition, level, kind, name, full_name, name_fold)
				VALUES (?, ?, 'bench', 'commune', 'xa', ?, ?, ?)`, id, fmt.Sprintf("9%04d", i), name, name, strings.ToLower(name)); err != nil {
				return fmt.Errorf("seed units: %w", err)
			}
		}
		for i := 0; i < opt.Departments+opt.Communes; i++ {
			id := fmt.Sprintf("bench-a%03d", i)
			name, kind, unit := fmt.Sprintf("Sở Thử Nghiệm %d", i+1), "department", any(nil)
			if i >= opt.Departments {
				name, kind, unit = fmt.Sprintf("UBND Xã Thử Nghiệm %d", i-opt.Departments+1), "commune", fmt.Sprintf("bench-u%03d", i-opt.Departments)
			}
			if _, err := tx.Exec(ctx, `INSERT INTO agencies (id, code, name, kind, unit_id, name_fold, created_at, updated_at)
				VALUES (?, ?, ?, ?, ?, ?, ?, ?)`, id, "B"+id[7:], name, kind, unit, strings.ToLower(name), ts, ts); err != nil {
				return fmt.Errorf("seed agencies: %w", err)
			}
			res.Agencies = append(res.Agencies, id)
		}
		for i := 0; i < opt.Procedures; i++ {
			online := "partial"
			if i%5 < 3 {
				online = "full"
			}
			fees := "[]"
			if i%5 >= 3 || i%7 == 0 {
				fees = fmt.Sprintf(`[{"kind":"fee","name":"Lệ phí","amount":%d}]`, 10000*(1+i%10))
			}
			if _, err := tx.Exec(ctx, `INSERT INTO procedures (id, code, name, name_fold, search_fold, field, level, agency_kind,
				limit_n, limit_unit, cutoff, online_level, active, version, created_at, updated_at, fees, documents, results, legal_basis, steps, form)
				VALUES (?, ?, ?, ?, ?, 'Thử nghiệm', 'commune', 'commune', ?, 'working_days', '15:00', ?, ?, 1, ?, ?, ?, '[]', '[]', '[]', '[]', '{}')`,
				fmt.Sprintf("bench-p%03d", i), fmt.Sprintf("9.%06d", i), fmt.Sprintf("Thủ tục thử nghiệm %d", i),
				fmt.Sprintf("thu tuc thu nghiem %d", i), fmt.Sprintf("thu tuc thu nghiem %d", i), 3+i%12, online, true, ts, ts, fees); err != nil {
				return fmt.Errorf("seed procedures: %w", err)
			}
		}
		return nil
	})
	if err != nil {
		return res, err
	}
	procs := make([]genProc, opt.Procedures)
	for i := range procs {
		var fee int64
		if i%5 >= 3 || i%7 == 0 {
			fee = int64(10000 * (1 + i%10))
		}
		procs[i] = genProc{id: fmt.Sprintf("bench-p%03d", i), full: i%5 < 3, fee: fee, limitDay: 3 + i%12}
	}
	units := map[string]string{}
	for i, id := range res.Agencies {
		if i >= opt.Departments {
			units[id] = fmt.Sprintf("bench-u%03d", i-opt.Departments)
		}
	}

	// Indexes are built once after the load rather than row by row.
	for _, ix := range factIndexes {
		if _, err := d.Exec(ctx, `DROP INDEX IF EXISTS `+ix[0]); err != nil {
			return res, fmt.Errorf("drop index %s: %w", ix[0], err)
		}
	}
	first := now.AddDate(-2, 0, 0)
	span := now.Sub(first)
	res.FirstDay, res.LastDay = calendar.DateOf(first.In(calendar.Location())), calendar.DateOf(now.In(calendar.Location()))
	roll := newDelta()
	batch := make([]*Fact, 0, 20000)
	flush := func() error {
		if len(batch) == 0 {
			return nil
		}
		if err := insertFacts(ctx, d, batch, now); err != nil {
			return err
		}
		res.FactRows += len(batch)
		batch = batch[:0]
		return nil
	}
	realEvery := 0
	if opt.Real > 0 {
		realEvery = max(1, opt.Dossiers/opt.Real)
	}
	var realRows []*realDossier
	for i := 0; i < opt.Dossiers; i++ {
		// Agencies by a skewed share: departments and large communes take more.
		ai := int(float64(len(res.Agencies)) * rng.Float64() * rng.Float64())
		agency := res.Agencies[ai]
		p := procs[rng.IntN(len(procs))]
		recv := first.Add(time.Duration(rng.Int64N(int64(span))))
		f := genFact(rng, fmt.Sprintf("bench-d%09d", i), agency, units[agency], p, recv, now)
		if realEvery > 0 && i%realEvery == 0 && len(realRows) < opt.Real {
			realRows = append(realRows, &realDossier{f: f, proc: p})
			continue
		}
		roll.add(f, +1)
		batch = append(batch, f)
		if len(batch) == cap(batch) {
			if err := flush(); err != nil {
				return res, err
			}
			if opt.Progress != nil {
				opt.Progress(res.FactRows)
			}
		}
	}
	if err := flush(); err != nil {
		return res, err
	}
	phase("facts")
	for _, ix := range factIndexes {
		if _, err := d.Exec(ctx, `CREATE INDEX `+ix[0]+` ON indicator_facts `+ix[1]); err != nil {
			return res, fmt.Errorf("create index %s: %w", ix[0], err)
		}
	}
	phase("indexes")
	res.DailyRows, res.MonthRows = len(roll.days), len(roll.months)
	if err := d.Tx(ctx, func(tx *db.Tx) error { return roll.load(ctx, tx) }); err != nil {
		return res, err
	}
	phase("roll-ups")
	if err := insertReal(ctx, d, realRows, now); err != nil {
		return res, err
	}
	phase("dossier rows")
	for _, r := range realRows {
		res.RealIDs = append(res.RealIDs, r.f.DossierID)
	}
	res.ElapsedAll = time.Since(start)
	return res, nil
}

// factIndexes are the indexes of indicator_facts, as the migration creates them.
var factIndexes = [][2]string{
	{"indicator_facts_recv", "(agency_id, recv_day)"},
	{"indicator_facts_end", "(agency_id, end_day)"},
	{"indicator_facts_due", "(agency_id, due_day)"},
}

// genFact draws one dossier's facts.
func genFact(rng *rand.Rand, id, agency, unit string, p genProc, recv, now time.Time) *Fact {
	channels := []string{"portal", "portal", "portal", "portal", "portal", "national", "national", "counter", "counter", "counter", "post"}
	f := &Fact{DossierID: id, AgencyID: agency, UnitID: unit, ProcedureID: p.id, Channel: channels[rng.IntN(len(channels))],
		ReceivedAt: recv.UTC(), RecvDay: dayOf(recv)}
	f.Online = f.Channel == "portal" || f.Channel == "national"
	f.EligibleOnline = p.full
	promised := recv.AddDate(0, 0, p.limitDay*7/5)
	switch rng.IntN(100) {
	case 0, 1, 2:
		f.SupplementCount = 2
	case 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14:
		f.SupplementCount = 1
	}
	if f.SupplementCount > 0 {
		wait := time.Duration(1+rng.IntN(5)) * 24 * time.Hour
		f.SupplementWait = wait
		promised = promised.Add(wait)
	}
	f.PromisedAt = &promised
	// Most dossiers finish on time; some late, some stopped or refused.
	took := time.Duration(float64(promised.Sub(recv)) * (0.2 + rng.Float64()*0.85))
	if rng.IntN(100) < 6 {
		took = promised.Sub(recv) + time.Duration(1+rng.IntN(10))*24*time.Hour
	}
	end := recv.Add(took)
	f.Status = stReturned
	switch r := rng.IntN(100); {
	case r < 2:
		f.Status = 3 // refused
		end = recv.Add(time.Hour)
	case r < 4:
		f.Status = stStopped
	case r < 30:
		f.Status = stProcessed
	}
	if end.After(now) {
		f.Status = 4
		if f.SupplementCount > 0 && rng.IntN(3) == 0 {
			f.Status = stSupplementRequested
		}
	} else {
		f.EndAt = &end
		f.EndDay = dayOf(end)
		f.OnTime = !end.After(promised)
	}
	f.DueDay = dayOf(promised)
	if f.Status == stSupplementRequested {
		f.DueDay = neverDue
	}
	if f.SupplementCount > 1 {
		f.OnTime = false
		f.DueDay = f.RecvDay
	}
	f.FeeBearing = p.fee > 0
	f.ZeroFee = !f.FeeBearing || rng.IntN(20) == 0
	f.PaidOnline = f.feeDue() && f.Online && rng.IntN(100) < 55
	f.Resulted = f.Status == stProcessed || f.Status == stReturned
	f.EResult = f.Resulted && rng.IntN(100) < 85
	f.Digitised = f.EResult && rng.IntN(100) < 75
	f.Reused = rng.IntN(100) < 20
	f.StoreLinked = f.Online && rng.IntN(100) < 80
	f.PopDB = rng.IntN(100) < 55
	f.Synced = rng.IntN(100) < 96
	f.SyncComplete = f.Synced && rng.IntN(100) < 93
	f.Negative = rng.IntN(100) < 2
	if rng.IntN(100) == 0 {
		f.Complained = true
		if f.EndAt != nil || rng.IntN(2) == 0 {
			f.Complaints = 1
			if rng.IntN(100) < 85 {
				f.ComplaintsOnTime = 1
			}
		}
	}
	return f
}

// insertFacts writes facts in bulk: COPY on PostgreSQL, multi-row
// statements in one transaction on SQLite.
func insertFacts(ctx context.Context, d *db.DB, facts []*Fact, now time.Time) error {
	if d.Engine() == db.Postgres {
		return copyFacts(ctx, d, facts, now)
	}
	const per = 400
	return d.Tx(ctx, func(tx *db.Tx) error {
		for len(facts) > 0 {
			part := facts[:min(per, len(facts))]
			facts = facts[len(part):]
			var sb strings.Builder
			sb.WriteString(`INSERT INTO indicator_facts (` + factColumns + `) VALUES `)
			args := make([]any, 0, len(part)*nFactColumns)
			row := "(" + db.Placeholders(nFactColumns) + ")"
			for i, f := range part {
				if i > 0 {
					sb.WriteByte(',')
				}
				sb.WriteString(row)
				args = append(args, factArgs(f, now)...)
			}
			if _, err := tx.Exec(ctx, sb.String(), args...); err != nil {
				return fmt.Errorf("write generated facts: %w", err)
			}
		}
		return nil
	})
}

func copyFacts(ctx context.Context, d *db.DB, facts []*Fact, now time.Time) error {
	write, _ := d.Pools()
	conn, err := write.Conn(ctx)
	if err != nil {
		return fmt.Errorf("write generated facts: %w", err)
	}
	defer conn.Close()
	var cols []string
	for _, c := range strings.Split(factColumns, ",") {
		cols = append(cols, strings.TrimSpace(c))
	}
	rows := make([][]any, len(facts))
	for i, f := range facts {
		rows[i] = factArgs(f, now)
	}
	err = conn.Raw(func(dc any) error {
		c := dc.(*stdlib.Conn).Conn()
		_, err := c.CopyFrom(ctx, pgx.Identifier{"indicator_facts"}, cols, pgx.CopyFromRows(rows))
		return err
	})
	if err != nil {
		return fmt.Errorf("write generated facts: %w", err)
	}
	return nil
}

type realDossier struct {
	f    *Fact
	proc genProc
}

// insertReal writes dossier rows (and what other domains would write of
// them) for the dossiers the refresher derives like real ones.
func insertReal(ctx context.Context, d *db.DB, rows []*realDossier, now time.Time) error {
	ts := db.Instant(now)
	for len(rows) > 0 {
		part := rows[:min(500, len(rows))]
		rows = rows[len(part):]
		err := d.Tx(ctx, func(tx *db.Tx) error {
			for _, r := range part {
				f := r.f
				var processed, returned, ended any
				if f.EndAt != nil {
					switch f.Status {
					case stProcessed:
						processed = *f.EndAt
					case stReturned:
						processed, returned = *f.EndAt, *f.EndAt
					default:
						ended = *f.EndAt
					}
				}
				var paused any
				if f.Status == stSupplementRequested {
					paused = f.ReceivedAt.Add(24 * time.Hour)
				}
				fee := r.proc.fee
				if f.ZeroFee {
					fee = 0
				}
				if _, err := tx.Exec(ctx, `INSERT INTO dossiers (id, code, receiving_agency_id, agency_id, holder_agency_id,
					procedure_id, procedure_code, procedure_name, plan, channel, status, applicant_kind, applicant_name,
					limit_value, limit_unit, cutoff, filed_at, received_at, due_at, legal_due_at, paused_at, supplement_count,
					processed_at, returned_at, ended_at, fee_total, result_digitised, search_fold, created_at, updated_at)
					VALUES (?, ?, ?, ?, ?, ?, ?, 'Thủ tục thử nghiệm', '[]', ?, ?, 'citizen', 'Người nộp thử nghiệm', ?, 'working_days', '15:00',
					?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, '', ?, ?)`,
					f.DossierID, "BENCH-"+f.DossierID[7:], f.AgencyID, f.AgencyID, f.AgencyID, f.ProcedureID, f.ProcedureID,
					f.Channel, f.Status, r.proc.limitDay, db.Instant(f.ReceivedAt), db.Instant(f.ReceivedAt),
					db.Instant(*f.PromisedAt), db.Instant(*f.PromisedAt), paused, f.SupplementCount, processed, returned, ended,
					fee, f.Digitised, db.Instant(f.ReceivedAt), ts); err != nil {
					return fmt.Errorf("write generated dossier: %w", err)
				}
			}
			return nil
		})
		if err != nil {
			return err
		}
	}
	return nil
}

// load writes the delta into empty roll-up tables with multi-row inserts.
func (d *delta) load(ctx context.Context, tx *db.Tx) error {
	cols := append([]string{"agency_id", "day"}, counterColumns[:]...)
	months := map[dayKey]*[nCounters]int64{}
	var rows [][]any
	for k, row := range d.days {
		r := []any{k.agency, k.day}
		for _, v := range row {
			r = append(r, v)
		}
		rows = append(rows, r)
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
	if err := insertRows(ctx, tx, "indicator_daily", cols, rows); err != nil {
		return err
	}
	rows = rows[:0]
	for k, row := range months {
		r := []any{k.agency, k.day}
		for _, v := range row {
			r = append(r, v)
		}
		rows = append(rows, r)
	}
	cols[1] = "month"
	if err := insertRows(ctx, tx, "indicator_monthly", cols, rows); err != nil {
		return err
	}
	rows = rows[:0]
	province := map[monthKey]*[2]int64{}
	for k, m := range d.months {
		rows = append(rows, []any{k.agency, k.procedure, k.month, m[0], m[1]})
		pk := monthKey{procedure: k.procedure, month: k.month}
		p := province[pk]
		if p == nil {
			p = new([2]int64)
			province[pk] = p
		}
		p[0] += m[0]
		p[1] += m[1]
	}
	if err := insertRows(ctx, tx, "indicator_fee_months", []string{"agency_id", "procedure_id", "month", "fee_due", "paid_online"}, rows); err != nil {
		return err
	}
	rows = rows[:0]
	perProc := map[monthKey]map[int][2]int64{}
	for k, m := range d.months {
		pk := monthKey{agency: k.agency, procedure: k.procedure}
		if perProc[pk] == nil {
			perProc[pk] = map[int][2]int64{}
		}
		perProc[pk][k.month] = *m
	}
	chains := map[chainKey]*[2]int64{}
	for pk, months := range perProc {
		addChains(chains, pk.agency, months, +1)
	}
	for k, v := range chains {
		rows = append(rows, []any{k.agency, k.month, k.prev, v[0], v[1]})
	}
	if err := insertRows(ctx, tx, "indicator_fee_chain", []string{"agency_id", "month", "prev_month", "procedures", "paid_procedures"}, rows); err != nil {
		return err
	}
	rows = rows[:0]
	for k, m := range province {
		rows = append(rows, []any{k.procedure, k.month, m[0], m[1]})
	}
	return insertRows(ctx, tx, "indicator_fee_province", []string{"procedure_id", "month", "fee_due", "paid_online"}, rows)
}

func insertRows(ctx context.Context, tx *db.Tx, table string, cols []string, rows [][]any) error {
	per := 30000 / len(cols)
	row := "(" + db.Placeholders(len(cols)) + ")"
	for len(rows) > 0 {
		part := rows[:min(per, len(rows))]
		rows = rows[len(part):]
		var sb strings.Builder
		sb.WriteString("INSERT INTO " + table + " (" + strings.Join(cols, ", ") + ") VALUES ")
		var args []any
		for i, r := range part {
			if i > 0 {
				sb.WriteByte(',')
			}
			sb.WriteString(row)
			args = append(args, r...)
		}
		if _, err := tx.Exec(ctx, sb.String(), args...); err != nil {
			return fmt.Errorf("load %s: %w", table, err)
		}
	}
	return nil
}
