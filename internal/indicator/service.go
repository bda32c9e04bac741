package indicator

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/congso/congso/internal/actor"
	"github.com/congso/congso/internal/apperr"
	"github.com/congso/congso/internal/calendar"
	"github.com/congso/congso/internal/db"
)

// Service computes scorecards, rankings and trends and lists the dossiers
// behind a figure.
type Service struct {
	db    *db.DB
	now   func() time.Time
	rules *RuleBook
}

// New returns the service with the shipped rules, or rb when given.
func New(d *db.DB, now func() time.Time, rb *RuleBook) *Service {
	if rb == nil {
		rb = ShippedRules()
	}
	return &Service{db: d, now: now, rules: rb}
}

// Rules returns the rule book.
func (s *Service) Rules() *RuleBook { return s.rules }

// Scorecard computes the scorecard of a scope over a period. Scores are
// aggregates with no personal data: the national portal publishes them, so
// anyone may read them.
func (s *Service) Scorecard(ctx context.Context, _ *actor.Actor, sc Scope, p Period) (Scorecard, error) {
	if err := sc.Validate(); err != nil {
		return Scorecard{}, err
	}
	if err := p.Validate(); err != nil {
		return Scorecard{}, err
	}
	name, err := s.scopeName(ctx, sc)
	if err != nil {
		return Scorecard{}, err
	}
	c, err := s.counts(ctx, sc, p)
	if err != nil {
		return Scorecard{}, err
	}
	return s.grade(sc, name, p, c), nil
}

func (s *Service) grade(sc Scope, name string, p Period, c Counts) Scorecard {
	r := s.rules.At(p.To)
	total, groups := Grade(r, c)
	return Scorecard{Scope: sc, Name: name, Period: p, Rules: r.Version, Total: total, Groups: groups, Counts: c}
}

// Rate returns one metric's figure for a scope and period.
func (s *Service) Rate(ctx context.Context, m Metric, sc Scope, p Period) (Fraction, error) {
	if err := sc.Validate(); err != nil {
		return Fraction{}, err
	}
	if err := p.Validate(); err != nil {
		return Fraction{}, err
	}
	c, err := s.counts(ctx, sc, p)
	if err != nil {
		return Fraction{}, err
	}
	f, ok := m.fraction(c)
	if !ok {
		return Fraction{}, apperr.Field("metric", "Chỉ số không được hỗ trợ.")
	}
	return f, nil
}

func (s *Service) scopeName(ctx context.Context, sc Scope) (string, error) {
	var name string
	var err error
	switch sc.Kind {
	case Province:
		return "Toàn tỉnh", nil
	case Agency:
		err = s.db.QueryRow(ctx, `SELECT name FROM agencies WHERE id = ?`, sc.ID).Scan(&name)
	case Commune:
		err = s.db.QueryRow(ctx, `SELECT full_name FROM admin_units WHERE id = ?`, sc.ID).Scan(&name)
	}
	if errors.Is(err, sql.ErrNoRows) {
		return "", apperr.New(apperr.NotFound, "Không tìm thấy cơ quan hoặc xã, phường.")
	}
	if err != nil {
		return "", fmt.Errorf("read scope name: %w", err)
	}
	return name, nil
}

// scopeFilter narrows a query on a table with an agency_id column.
func scopeFilter(sc Scope, col string) (string, []any) {
	switch sc.Kind {
	case Agency:
		return " AND " + col + " = ?", []any{sc.ID}
	case Commune:
		return " AND " + col + " IN (SELECT id FROM agencies WHERE unit_id = ?)", []any{sc.ID}
	}
	return "", nil
}

// dailySums is the select list over indicator_daily for a period starting on
// day F (the query is bounded by day < end): counters on the received or
// ended day within the period, and the running totals timeliness needs.
func dailySums(from int) string {
	in := func(c string) string {
		return fmt.Sprintf("COALESCE(SUM(CASE WHEN day >= %d THEN %s ELSE 0 END), 0)", from, c)
	}
	all := func(c string) string { return "COALESCE(SUM(" + c + "), 0)" }
	before := func(c string) string {
		return fmt.Sprintf("COALESCE(SUM(CASE WHEN day < %d THEN %s ELSE 0 END), 0)", from, c)
	}
	cols := []string{
		in("received"), all("received"), before("ended"), all("ended"), in("ended"), in("ended_on_time"),
		all("due"), all("settled"),
		in("eligible"), in("online_eligible"), in("fee_due"), in("paid_online"), in("resulted"), in("e_result"),
		in("digitised"), in("reused"), in("store_linked"), in("popdb_used"), in("synced"), in("sync_complete"),
		in("unhappy"), in("complaints"), in("complaints_on_time"),
	}
	return strings.Join(cols, ", ")
}

// scanDaily reads the dailySums columns into counts.
func scanDaily(sc interface{ Scan(...any) error }, extra ...any) (Counts, error) {
	var c Counts
	var recvBeforeEnd, endedBeforeFrom, endedBeforeEnd, dueBeforeEnd, settledBeforeEnd int64
	dest := append(extra, &c.Received, &recvBeforeEnd, &endedBeforeFrom, &endedBeforeEnd, &c.Finished, &c.FinishedOnTime,
		&dueBeforeEnd, &settledBeforeEnd,
		&c.Eligible, &c.OnlineEligible, &c.FeeDue, &c.PaidOnline, &c.Resulted, &c.EResult,
		&c.Digitised, &c.Reused, &c.StoreLinked, &c.PopDB, &c.Synced, &c.SyncComplete,
		&c.Unhappy, &c.Complaints, &c.ComplaintsOnTime)
	if err := sc.Scan(dest...); err != nil {
		return c, err
	}
	// Active: received before the end, less those finished before the start.
	c.Active = recvBeforeEnd - endedBeforeFrom
	// Open at the end of the period, and of those the ones past their date.
	open := recvBeforeEnd - endedBeforeEnd
	late := dueBeforeEnd - settledBeforeEnd
	c.OnTime = c.FinishedOnTime + open - late
	return c, nil
}

// rollups is a subquery giving (agency_id, day, counters…) for every day
// before end: whole months from indicator_monthly (as their first day), and
// from indicator_daily the days of the months the period's ends cut.
func rollups(from, end int) string {
	cols := strings.Join(counterColumns[:], ", ")
	var split []string
	if from%100 != 1 {
		split = append(split, strconv.Itoa(from/100))
	}
	if end%100 != 1 && end/100 != from/100 {
		split = append(split, strconv.Itoa(end/100))
	}
	monthly := fmt.Sprintf(`SELECT agency_id, month * 100 + 1 AS day, %s FROM indicator_monthly WHERE month < %d`, cols, end/100)
	if len(split) == 0 {
		return "(" + monthly + ") r"
	}
	var days []string
	for _, m := range split {
		days = append(days, fmt.Sprintf("(day >= %s00 AND day <= %s99)", m, m))
	}
	return fmt.Sprintf(`(%s AND month NOT IN (%s) UNION ALL SELECT agency_id, day, %s FROM indicator_daily WHERE day < %d AND (%s)) r`,
		monthly, strings.Join(split, ", "), cols, end, strings.Join(days, " OR "))
}

// counts reads a scope's counts from the roll-ups.
func (s *Service) counts(ctx context.Context, sc Scope, p Period) (Counts, error) {
	from, end := p.days()
	filter, args := scopeFilter(sc, "agency_id")
	q := `SELECT ` + dailySums(from) + ` FROM ` + rollups(from, end) + ` WHERE 1 = 1` + filter
	c, err := scanDaily(s.db.QueryRow(ctx, q, args...))
	if err != nil {
		return c, fmt.Errorf("add up the scorecard counts: %w", err)
	}
	mf, mt := p.months()
	fees := `SELECT procedure_id, SUM(paid_online) AS paid FROM indicator_fee_months
		WHERE month >= ? AND month <= ?` + filter + ` GROUP BY procedure_id HAVING SUM(fee_due) > 0`
	if sc.Kind == Province {
		fees = `SELECT procedure_id, paid_online AS paid FROM indicator_fee_province WHERE month >= ? AND month <= ? AND fee_due > 0`
		fees = `SELECT procedure_id, SUM(paid) AS paid FROM (` + fees + `) y GROUP BY procedure_id`
	}
	err = s.db.QueryRow(ctx, `SELECT COUNT(*), COALESCE(SUM(CASE WHEN paid > 0 THEN 1 ELSE 0 END), 0) FROM (`+fees+`) x`,
		append([]any{mf, mt}, args...)...).Scan(&c.FeeProcs, &c.FeeProcsPaid)
	if err != nil {
		return c, fmt.Errorf("count fee-bearing procedures: %w", err)
	}
	return c, nil
}

// Ranked is one row of a ranking.
type Ranked struct {
	Rank  int     `json:"rank"`
	ID    string  `json:"id"`
	Code  string  `json:"code,omitempty"`
	Name  string  `json:"name"`
	Total float64 `json:"total"`
	// Groups holds each group's score, in the rules' order.
	Groups []float64 `json:"groups"`
	// Received is the number of dossiers received in the period.
	Received int64 `json:"received"`
}

// Ranking is agencies or communes ordered by total score.
type Ranking struct {
	Kind   ScopeKind `json:"kind"`
	Period Period    `json:"period"`
	Rules  string    `json:"rules"`
	Groups []Group   `json:"groups"`
	Rows   []Ranked  `json:"rows"`
}

// Rank ranks every agency (kind Agency) or commune (kind Commune) that had
// dossiers in the period.
func (s *Service) Rank(ctx context.Context, kind ScopeKind, p Period) (Ranking, error) {
	if kind != Agency && kind != Commune {
		return Ranking{}, apperr.Field("kind", "Xếp hạng theo agency hoặc commune.")
	}
	if err := p.Validate(); err != nil {
		return Ranking{}, err
	}
	from, end := p.days()
	mf, mt := p.months()
	key, join, nameQ := "r.agency_id", "", `SELECT id, code, name FROM agencies`
	if kind == Commune {
		key, join = "a.unit_id", " JOIN agencies a ON a.id = r.agency_id AND a.unit_id IS NOT NULL"
		nameQ = `SELECT u.id, u.code, u.full_name FROM admin_units u WHERE u.level = 'commune'
			AND u.id IN (SELECT unit_id FROM agencies WHERE unit_id IS NOT NULL)`
	}
	rows, err := s.db.Query(ctx, `SELECT `+key+`, `+dailySums(from)+`
		FROM `+rollups(from, end)+join+` GROUP BY `+key)
	if err != nil {
		return Ranking{}, fmt.Errorf("rank: %w", err)
	}
	counts := map[string]*Counts{}
	for rows.Next() {
		var id string
		c, err := scanDaily(rows, &id)
		if err != nil {
			rows.Close()
			return Ranking{}, fmt.Errorf("rank: %w", err)
		}
		counts[id] = &c
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return Ranking{}, fmt.Errorf("rank: %w", err)
	}
	// An agency's procedures come from its chain of months; a commune's are
	// shared between its agencies, so they are counted procedure by procedure.
	fees, args := `SELECT agency_id, SUM(procedures), SUM(paid_procedures) FROM indicator_fee_chain
		WHERE month >= ? AND month <= ? AND prev_month < ? GROUP BY agency_id`, []any{mf, mt, mf}
	if kind == Commune {
		fees = `SELECT k, COUNT(*), SUM(CASE WHEN paid > 0 THEN 1 ELSE 0 END) FROM (
		SELECT ` + key + ` AS k, r.procedure_id, SUM(r.paid_online) AS paid FROM indicator_fee_months r` + join + `
		WHERE r.month >= ? AND r.month <= ? GROUP BY ` + key + `, r.procedure_id HAVING SUM(r.fee_due) > 0) x GROUP BY k`
		args = args[:2]
	}
	frows, err := s.db.Query(ctx, fees, args...)
	if err != nil {
		return Ranking{}, fmt.Errorf("rank fee procedures: %w", err)
	}
	for frows.Next() {
		var id string
		var n, paid int64
		if err := frows.Scan(&id, &n, &paid); err != nil {
			frows.Close()
			return Ranking{}, fmt.Errorf("rank fee procedures: %w", err)
		}
		if c := counts[id]; c != nil {
			c.FeeProcs, c.FeeProcsPaid = n, paid
		}
	}
	frows.Close()
	names := map[string][2]string{}
	nrows, err := s.db.Query(ctx, nameQ)
	if err != nil {
		return Ranking{}, fmt.Errorf("rank names: %w", err)
	}
	for nrows.Next() {
		var id, code, name string
		if err := nrows.Scan(&id, &code, &name); err != nil {
			nrows.Close()
			return Ranking{}, fmt.Errorf("rank names: %w", err)
		}
		names[id] = [2]string{code, name}
	}
	nrows.Close()
	r := s.rules.At(p.To)
	out := Ranking{Kind: kind, Period: p, Rules: r.Version, Groups: r.Groups}
	for id, c := range counts {
		nm, ok := names[id]
		if !ok || (c.Received == 0 && c.Active == 0) {
			continue
		}
		total, groups := Grade(r, *c)
		row := Ranked{ID: id, Code: nm[0], Name: nm[1], Total: total, Received: c.Received}
		for _, g := range groups {
			row.Groups = append(row.Groups, g.Score)
		}
		out.Rows = append(out.Rows, row)
	}
	sort.Slice(out.Rows, func(i, j int) bool {
		a, b := out.Rows[i], out.Rows[j]
		if a.Total != b.Total {
			return a.Total > b.Total
		}
		return a.Name < b.Name
	})
	for i := range out.Rows {
		out.Rows[i].Rank = i + 1
		if i > 0 && out.Rows[i].Total == out.Rows[i-1].Total {
			out.Rows[i].Rank = out.Rows[i-1].Rank
		}
	}
	return out, nil
}

// TrendPoint is one month of a trend.
type TrendPoint struct {
	Month  string    `json:"month"`
	Period Period    `json:"period"`
	Total  float64   `json:"total"`
	Groups []float64 `json:"groups"`
	Counts Counts    `json:"counts"`
}

// Trend computes the scorecard month by month over the period (at most 36 months).
func (s *Service) Trend(ctx context.Context, sc Scope, p Period) ([]TrendPoint, error) {
	if err := sc.Validate(); err != nil {
		return nil, err
	}
	if err := p.Validate(); err != nil {
		return nil, err
	}
	var out []TrendPoint
	m := calendar.Date{Year: p.From.Year, Month: p.From.Month, Day: 1}
	for !p.To.Before(m) {
		if len(out) == 36 {
			return nil, apperr.Field("to", "Chuỗi theo tháng tối đa 36 tháng.")
		}
		mp := Month(m.Year, m.Month)
		c, err := s.counts(ctx, sc, mp)
		if err != nil {
			return nil, err
		}
		total, groups := Grade(s.rules.At(mp.To), c)
		pt := TrendPoint{Month: fmt.Sprintf("%02d/%d", int(m.Month), m.Year), Period: mp, Total: total, Counts: c}
		for _, g := range groups {
			pt.Groups = append(pt.Groups, g.Score)
		}
		out = append(out, pt)
		m = m.AddMonths(1)
	}
	return out, nil
}
