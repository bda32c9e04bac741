package indicator

import (
	"context"
	"fmt"

	"github.com/congso/congso/internal/actor"
)

// The conditions below define each figure over indicator_facts directly,
// for a period [F, T) of YYYYMMDD days. They are the reference the roll-ups
// must agree with, the baseline the benchmark measures them against, and
// the filters of the drill-down lists.
const (
	condReceived = `recv_day >= %[1]d AND recv_day < %[2]d`
	condEnded    = `end_day >= %[1]d AND end_day < %[2]d`
	condActive   = `recv_day < %[2]d AND (end_day = 0 OR end_day >= %[1]d)`
	condOnTime   = `((end_day >= %[1]d AND end_day < %[2]d AND on_time) OR ((end_day = 0 OR end_day >= %[2]d) AND due_day >= %[2]d))`
	condUnhappy  = `(negative OR complained)`
	condFeeDue   = `fee_bearing AND NOT zero_fee`
)

// figure is a criterion's denominator and numerator as conditions on facts.
type figure struct{ den, num string }

var figures = map[string]figure{
	"synced":             {condReceived, condReceived + ` AND synced`},
	"sync_complete":      {condReceived, condReceived + ` AND sync_complete`},
	"on_time":            {condActive, condActive + ` AND ` + condOnTime},
	"on_time_finished":   {condEnded, condEnded + ` AND on_time`},
	"online":             {condReceived + ` AND eligible_online`, condReceived + ` AND eligible_online AND online`},
	"paid_online":        {condReceived + ` AND ` + condFeeDue, condReceived + ` AND ` + condFeeDue + ` AND paid_online`},
	"fee_procedures":     {condReceived + ` AND ` + condFeeDue, condReceived + ` AND ` + condFeeDue + ` AND paid_online`},
	"e_result":           {condEnded + ` AND resulted`, condEnded + ` AND resulted AND e_result`},
	"digitised":          {condEnded + ` AND resulted`, condEnded + ` AND resulted AND digitised`},
	"reused":             {condReceived, condReceived + ` AND reused`},
	"store_linked":       {condReceived, condReceived + ` AND store_linked`},
	"popdb":              {condReceived, condReceived + ` AND popdb_used`},
	"complaints_on_time": {condReceived + ` AND complaints > 0`, condReceived + ` AND complaints_on_time > 0`},
	"satisfaction":       {condActive, condActive + ` AND ` + condOnTime + ` AND NOT ` + condUnhappy},
}

func cond(c string, from, end int) string { return fmt.Sprintf(c, from, end) }

// CountsFromFacts computes the counts by reading every dossier's facts, not
// the roll-ups: the from-scratch reference.
func (s *Service) CountsFromFacts(ctx context.Context, sc Scope, p Period) (Counts, error) {
	if err := sc.Validate(); err != nil {
		return Counts{}, err
	}
	from, end := p.days()
	sum := func(c string) string {
		return "COALESCE(SUM(CASE WHEN " + cond(c, from, end) + " THEN 1 ELSE 0 END), 0)"
	}
	cnt := func(c, col string) string {
		return "COALESCE(SUM(CASE WHEN " + cond(c, from, end) + " THEN " + col + " ELSE 0 END), 0)"
	}
	filter, args := scopeFilter(sc, "agency_id")
	var c Counts
	err := s.db.QueryRow(ctx, `SELECT `+
		sum(condReceived)+`, `+sum(condActive)+`, `+sum(condActive+` AND `+condOnTime)+`, `+
		sum(condEnded)+`, `+sum(condEnded+` AND on_time`)+`, `+
		sum(condReceived+` AND eligible_online`)+`, `+sum(condReceived+` AND eligible_online AND online`)+`, `+
		sum(condReceived+` AND `+condFeeDue)+`, `+sum(condReceived+` AND `+condFeeDue+` AND paid_online`)+`, `+
		sum(condEnded+` AND resulted`)+`, `+sum(condEnded+` AND resulted AND e_result`)+`, `+
		sum(condEnded+` AND resulted AND digitised`)+`, `+sum(condReceived+` AND reused`)+`, `+
		sum(condReceived+` AND store_linked`)+`, `+sum(condReceived+` AND popdb_used`)+`, `+
		sum(condReceived+` AND synced`)+`, `+sum(condReceived+` AND sync_complete`)+`, `+
		sum(condReceived+` AND `+condUnhappy)+`, `+cnt(condReceived, "complaints")+`, `+
		cnt(condReceived, "complaints_on_time")+`
		FROM indicator_facts WHERE 1 = 1`+filter, args...).Scan(
		&c.Received, &c.Active, &c.OnTime, &c.Finished, &c.FinishedOnTime, &c.Eligible, &c.OnlineEligible,
		&c.FeeDue, &c.PaidOnline, &c.Resulted, &c.EResult, &c.Digitised, &c.Reused, &c.StoreLinked, &c.PopDB,
		&c.Synced, &c.SyncComplete, &c.Unhappy, &c.Complaints, &c.ComplaintsOnTime)
	if err != nil {
		return c, fmt.Errorf("count from the facts: %w", err)
	}
	// The fee-procedure criterion works on whole months, as the roll-up does.
	mf, mt := p.months()
	err = s.db.QueryRow(ctx, `SELECT COUNT(DISTINCT procedure_id),
		COUNT(DISTINCT CASE WHEN paid_online THEN procedure_id END)
		FROM indicator_facts WHERE `+condFeeDue+` AND recv_day >= ? AND recv_day <= ?`+filter,
		append([]any{mf*100 + 1, mt*100 + 31}, args...)...).Scan(&c.FeeProcs, &c.FeeProcsPaid)
	if err != nil {
		return c, fmt.Errorf("count fee-bearing procedures from the facts: %w", err)
	}
	return c, nil
}

// ScorecardFromFacts is Scorecard computed by CountsFromFacts.
func (s *Service) ScorecardFromFacts(ctx context.Context, _ *actor.Actor, sc Scope, p Period) (Scorecard, error) {
	if err := p.Validate(); err != nil {
		return Scorecard{}, err
	}
	name, err := s.scopeName(ctx, sc)
	if err != nil {
		return Scorecard{}, err
	}
	c, err := s.CountsFromFacts(ctx, sc, p)
	if err != nil {
		return Scorecard{}, err
	}
	return s.grade(sc, name, p, c), nil
}
