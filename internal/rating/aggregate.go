package rating

import (
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/congso/congso/internal/actor"
	"github.com/congso/congso/internal/apperr"
	"github.com/congso/congso/internal/db"
)

// StageStats sums up the ratings of one stage.
type StageStats struct {
	// Satisfied ratings rate every criterion of the stage Hài lòng or better;
	// negative ones rate at least one Không hài lòng or worse.
	Satisfied int `json:"satisfied"`
	Negative  int `json:"negative"`
	// LevelSum / Levels is the mean level (1–5) over all criteria of the stage.
	LevelSum int `json:"level_sum"`
	Levels   int `json:"levels"`
}

// MeanLevel is the mean level given to the stage's criteria, 0 when none.
func (s StageStats) MeanLevel() float64 {
	if s.Levels == 0 {
		return 0
	}
	return float64(s.LevelSum) / float64(s.Levels)
}

// ComplaintStats sums up the complaints filed in the period, each in the
// state it is in at the time of the query.
type ComplaintStats struct {
	Filed          int `json:"filed"`
	AnsweredOnTime int `json:"answered_on_time"`
	AnsweredLate   int `json:"answered_late"`
	// Overdue complaints are unanswered past their deadline; pending ones are
	// unanswered with time left.
	Overdue int `json:"overdue"`
	Pending int `json:"pending"`
}

// OnTimeShare is the share of complaints answered in time among those whose
// outcome is known (answered, or overdue); ok is false when there is none.
func (c ComplaintStats) OnTimeShare() (share float64, ok bool) {
	n := c.AnsweredOnTime + c.AnsweredLate + c.Overdue
	if n == 0 {
		return 0, false
	}
	return float64(c.AnsweredOnTime) / float64(n), true
}

// Stats is the satisfaction group of the 766 scorecard for one agency (or,
// with an empty AgencyID, for all the agencies of a summary). Ratings and
// complaints count for the dossier's processing agency.
type Stats struct {
	AgencyID string `json:"agency_id,omitempty"`
	// Ratings given in the period; Satisfied ones are satisfied at both
	// stages; Negative ones rate a criterion Không hài lòng or worse.
	Ratings    int            `json:"ratings"`
	Satisfied  int            `json:"satisfied"`
	Negative   int            `json:"negative"`
	Receipt    StageStats     `json:"receipt"`
	Processing StageStats     `json:"processing"`
	Complaints ComplaintStats `json:"complaints"`
	// DossiersWithIssue counts the dossiers with a complaint filed, or a
	// negative rating given, in the period (each dossier once).
	DossiersWithIssue int `json:"dossiers_with_issue"`

	// Shares, filled for the JSON answer; null when there is nothing to
	// divide by.
	SatisfiedShare           *float64 `json:"satisfied_share"`
	ReceiptSatisfiedShare    *float64 `json:"receipt_satisfied_share"`
	ProcessingSatisfiedShare *float64 `json:"processing_satisfied_share"`
	ComplaintsOnTimeShare    *float64 `json:"complaints_on_time_share"`
}

func (s *Stats) add(o Stats) {
	s.Ratings += o.Ratings
	s.Satisfied += o.Satisfied
	s.Negative += o.Negative
	for _, p := range []struct{ dst, src *StageStats }{{&s.Receipt, &o.Receipt}, {&s.Processing, &o.Processing}} {
		p.dst.Satisfied += p.src.Satisfied
		p.dst.Negative += p.src.Negative
		p.dst.LevelSum += p.src.LevelSum
		p.dst.Levels += p.src.Levels
	}
	s.Complaints.Filed += o.Complaints.Filed
	s.Complaints.AnsweredOnTime += o.Complaints.AnsweredOnTime
	s.Complaints.AnsweredLate += o.Complaints.AnsweredLate
	s.Complaints.Overdue += o.Complaints.Overdue
	s.Complaints.Pending += o.Complaints.Pending
	s.DossiersWithIssue += o.DossiersWithIssue
}

// fill computes the shares.
func (s *Stats) fill() {
	ratio := func(n, d int) *float64 {
		if d == 0 {
			return nil
		}
		v := float64(n) / float64(d)
		return &v
	}
	s.SatisfiedShare = ratio(s.Satisfied, s.Ratings)
	s.ReceiptSatisfiedShare = ratio(s.Receipt.Satisfied, s.Ratings)
	s.ProcessingSatisfiedShare = ratio(s.Processing.Satisfied, s.Ratings)
	if v, ok := s.Complaints.OnTimeShare(); ok {
		s.ComplaintsOnTimeShare = &v
	}
}

// AggregateQuery selects the aggregates.
type AggregateQuery struct {
	// From and To bound the period [From, To): ratings given and complaints
	// filed in it.
	From, To time.Time
	// AgencyIDs are the agencies wanted, each with a row even when nothing
	// happened there; empty means every agency the actor may see (only those
	// with ratings or complaints get a row).
	AgencyIDs []string
}

// Summary is the satisfaction figures of a period.
type Summary struct {
	From time.Time `json:"from"`
	To   time.Time `json:"to"`
	// AsOf is when the complaints' states were taken.
	AsOf time.Time `json:"as_of"`
	// Total sums the agencies below.
	Total    Stats   `json:"total"`
	Agencies []Stats `json:"agencies"`
}

// Aggregate returns the satisfaction figures of a period per agency, for the
// 766 scorecard (issue 5) and the officials' summary page. Officials see
// their agencies' figures, province-wide roles and the platform any agency's;
// the figures hold no personal data.
func (s *Service) Aggregate(ctx context.Context, by *actor.Actor, q AggregateQuery) (Summary, error) {
	if by == nil {
		return Summary{}, apperr.New(apperr.Unauthorized, "Bạn cần đăng nhập.")
	}
	if !(by.IsOfficial() || by.Kind == actor.Machine) {
		return Summary{}, actor.Deny(by, "Số liệu đánh giá dành cho cán bộ, công chức.")
	}
	if q.From.IsZero() || q.To.IsZero() || !q.From.Before(q.To) {
		return Summary{}, apperr.Field("to", "Khoảng thời gian không hợp lệ: ngày bắt đầu phải trước ngày kết thúc.")
	}
	ids := slices.Clone(q.AgencyIDs)
	slices.Sort(ids)
	ids = slices.Compact(ids)
	if !by.IsSystem() && !by.ProvinceWide() {
		for _, id := range ids {
			if _, ok := by.Agencies[id]; !ok {
				return Summary{}, actor.Deny(by, "Bạn không có quyền xem số liệu của cơ quan này.")
			}
		}
		if len(ids) == 0 {
			ids = by.AgencyIDs()
		}
	}
	now := db.Instant(s.now())
	sum := Summary{From: q.From, To: q.To, AsOf: now, Agencies: []Stats{}}
	if !(by.IsSystem() || by.ProvinceWide()) && len(ids) == 0 {
		sum.Total.fill()
		return sum, nil
	}
	rows := map[string]*Stats{}
	row := func(id string) *Stats {
		if rows[id] == nil {
			rows[id] = &Stats{AgencyID: id}
		}
		return rows[id]
	}
	for _, id := range ids {
		row(id)
	}
	in, inArgs := "", []any{}
	if len(ids) > 0 {
		in = " AND agency_id IN (" + db.Placeholders(len(ids)) + ")"
		for _, id := range ids {
			inArgs = append(inArgs, id)
		}
	}
	period := func(col string) (string, []any) {
		return col + " >= ? AND " + col + " < ?" + in, append([]any{q.From, q.To}, inArgs...)
	}
	pos, neg := int(Satisfied), int(Dissatisfied)

	cond, args := period("rated_at")
	if err := s.scan(ctx, fmt.Sprintf(`SELECT agency_id, COUNT(*),
		SUM(CASE WHEN receipt_min >= %[1]d AND processing_min >= %[1]d THEN 1 ELSE 0 END),
		SUM(CASE WHEN negative THEN 1 ELSE 0 END),
		SUM(CASE WHEN receipt_min >= %[1]d THEN 1 ELSE 0 END), SUM(CASE WHEN receipt_min <= %[2]d THEN 1 ELSE 0 END),
		SUM(receipt_sum), SUM(receipt_count),
		SUM(CASE WHEN processing_min >= %[1]d THEN 1 ELSE 0 END), SUM(CASE WHEN processing_min <= %[2]d THEN 1 ELSE 0 END),
		SUM(processing_sum), SUM(processing_count)
		FROM ratings WHERE %[3]s GROUP BY agency_id`, pos, neg, cond), args, func(scan func(...any) error) error {
		var id string
		var st Stats
		if err := scan(&id, &st.Ratings, &st.Satisfied, &st.Negative, &st.Receipt.Satisfied, &st.Receipt.Negative, &st.Receipt.LevelSum,
			&st.Receipt.Levels, &st.Processing.Satisfied, &st.Processing.Negative, &st.Processing.LevelSum, &st.Processing.Levels); err != nil {
			return err
		}
		r := row(id)
		r.Ratings, r.Satisfied, r.Negative, r.Receipt, r.Processing = st.Ratings, st.Satisfied, st.Negative, st.Receipt, st.Processing
		return nil
	}); err != nil {
		return Summary{}, err
	}

	cond, args = period("filed_at")
	if err := s.scan(ctx, `SELECT agency_id, COUNT(*),
		SUM(CASE WHEN status = 'answered' AND answered_at <= due_at THEN 1 ELSE 0 END),
		SUM(CASE WHEN status = 'answered' AND answered_at > due_at THEN 1 ELSE 0 END),
		SUM(CASE WHEN status = 'open' AND due_at < ? THEN 1 ELSE 0 END),
		SUM(CASE WHEN status = 'open' AND due_at >= ? THEN 1 ELSE 0 END)
		FROM complaints WHERE `+cond+` GROUP BY agency_id`, append([]any{now, now}, args...), func(scan func(...any) error) error {
		var id string
		var c ComplaintStats
		if err := scan(&id, &c.Filed, &c.AnsweredOnTime, &c.AnsweredLate, &c.Overdue, &c.Pending); err != nil {
			return err
		}
		row(id).Complaints = c
		return nil
	}); err != nil {
		return Summary{}, err
	}

	cc, ca := period("filed_at")
	rc, ra := period("rated_at")
	if err := s.scan(ctx, `SELECT agency_id, COUNT(DISTINCT dossier_id) FROM (
		SELECT agency_id, dossier_id FROM complaints WHERE `+cc+`
		UNION SELECT agency_id, dossier_id FROM ratings WHERE negative AND `+rc+`) x GROUP BY agency_id`,
		append(ca, ra...), func(scan func(...any) error) error {
			var id string
			var n int
			if err := scan(&id, &n); err != nil {
				return err
			}
			row(id).DossiersWithIssue = n
			return nil
		}); err != nil {
		return Summary{}, err
	}

	keys := make([]string, 0, len(rows))
	for id := range rows {
		keys = append(keys, id)
	}
	slices.Sort(keys)
	for _, id := range keys {
		r := rows[id]
		r.fill()
		sum.Total.add(*r)
		sum.Agencies = append(sum.Agencies, *r)
	}
	sum.Total.fill()
	return sum, nil
}

// scan runs a grouped query and hands each row to fn.
func (s *Service) scan(ctx context.Context, q string, args []any, fn func(scan func(...any) error) error) error {
	rows, err := s.db.Query(ctx, q, args...)
	if err != nil {
		return apperr.Wrap(err, "aggregate ratings")
	}
	defer rows.Close()
	for rows.Next() {
		if err := fn(rows.Scan); err != nil {
			return apperr.Wrap(err, "aggregate ratings")
		}
	}
	return apperr.Wrap(rows.Err(), "aggregate ratings")
}
