package indicator_test

import (
	"context"
	"math"
	"testing"
	"time"

	"github.com/congso/congso/internal/calendar"
	"github.com/congso/congso/internal/db"
	"github.com/congso/congso/internal/db/dbtest"
	"github.com/congso/congso/internal/indicator"
)

// march builds the hand-computed data set: agency a1 (commune u-a) with ten
// dossiers touching March 2026, agency a2 (commune u-b) with one, and a few
// outside the month. The expected figures below are worked out by hand.
func march(t *testing.T, d *db.DB) *world {
	w := &world{t: t, d: d, ctx: context.Background()}
	w.base()
	mar := func(day, h int) *time.Time { v := at(2026, 3, day, h, 0); return &v }

	// D1 p1 online, returned 4/3 before its date 5/3: on time. Paid online, e-result,
	// digitised papers, result in the citizen's store, population DB, fully synced,
	// rated well.
	w.dossier(dossier{id: "d1", agency: "a1", proc: "p1", channel: "portal", status: 10, received: at(2026, 3, 2, 9, 0),
		due: mar(5, 17), returned: mar(4, 10), fee: 50000})
	w.payment("d1", "a1", "paid", at(2026, 3, 2, 9, 30))
	w.file("d1", "attachment", "upload", true, at(2026, 3, 2, 9, 0))
	w.file("d1", "result", "upload", false, at(2026, 3, 4, 10, 0))
	w.storeItem("d1", at(2026, 3, 4, 10, 0))
	w.popdb("d1", at(2026, 3, 2, 9, 0))
	w.synced("d1", 1, "sent", at(2026, 3, 2, 9, 0))
	w.synced("d1", 2, "sent", at(2026, 3, 4, 10, 0))
	w.rating("d1", "a1", false, at(2026, 3, 5, 8, 0))

	// D2 p1 at the counter, processed 9/3 after its date 6/3: late. Paid in cash,
	// no electronic result, one record still waiting for the national portal,
	// rated negatively.
	w.dossier(dossier{id: "d2", agency: "a1", proc: "p1", channel: "counter", status: 9, received: at(2026, 3, 3, 9, 0),
		due: mar(6, 17), processed: mar(9, 10), fee: 50000})
	w.payment("d2", "a1", "failed", at(2026, 3, 3, 9, 30))
	w.synced("d2", 1, "sent", at(2026, 3, 3, 9, 0))
	w.synced("d2", 2, "pending", at(2026, 3, 9, 10, 0))
	w.rating("d2", "a1", true, at(2026, 3, 10, 8, 0))

	// D3 p2 (no fee), one supplement request 11/3–13/3; the promised date already
	// moved from 16/3 to 18/3 by the wait; processed 17/3: on time. E-result,
	// digitised papers, a paper reused from the store, population DB. A
	// complaint answered 25/3, due 30/3: in time.
	w.dossier(dossier{id: "d3", agency: "a1", proc: "p2", channel: "counter", status: 9, received: at(2026, 3, 10, 9, 0),
		due: mar(18, 17), processed: mar(17, 10), supplements: 1})
	w.event("d3", 1, at(2026, 3, 10, 9, 0), 1, 2)
	w.event("d3", 2, at(2026, 3, 11, 9, 0), 4, 5)
	w.event("d3", 3, at(2026, 3, 13, 9, 0), 5, 4)
	w.event("d3", 4, at(2026, 3, 17, 10, 0), 4, 9)
	w.file("d3", "attachment", "upload", true, at(2026, 3, 10, 9, 0))
	w.file("d3", "attachment", "estore", false, at(2026, 3, 10, 9, 0))
	w.file("d3", "result", "upload", false, at(2026, 3, 17, 10, 0))
	w.popdb("d3", at(2026, 3, 10, 9, 0))
	w.complaint("d3", "a1", at(2026, 3, 20, 9, 0), at(2026, 3, 30, 17, 0), mar(25, 9))

	// D4 p1 online (national portal), fee waived (zero), two supplement requests:
	// late although processed 16/3 before 20/3. E-result without digitised papers.
	// A complaint answered 29/3, due 27/3: late.
	w.dossier(dossier{id: "d4", agency: "a1", proc: "p1", channel: "national", status: 9, received: at(2026, 3, 12, 9, 0),
		due: mar(20, 17), processed: mar(16, 10), supplements: 2})
	w.file("d4", "result", "upload", false, at(2026, 3, 16, 10, 0))
	w.complaint("d4", "a1", at(2026, 3, 20, 9, 0), at(2026, 3, 27, 17, 0), mar(29, 9))

	// D5 p3 online, stopped 23/3 before its date 27/3: ended on time, no result.
	// Fee due, not paid online.
	w.dossier(dossier{id: "d5", agency: "a1", proc: "p3", channel: "portal", status: 8, received: at(2026, 3, 20, 9, 0),
		due: mar(27, 17), end: mar(23, 10), fee: 20000})

	// D6 p1 online, received 25/2, returned 3/3 before 4/3: spans February and
	// March; counts in March's timeliness and results, not in its receipts.
	w.dossier(dossier{id: "d6", agency: "a1", proc: "p1", channel: "portal", status: 10, received: at(2026, 2, 25, 9, 0),
		due: mar(4, 17), returned: mar(3, 10), fee: 50000})
	w.payment("d6", "a1", "paid", at(2026, 2, 25, 9, 30))
	w.file("d6", "attachment", "upload", true, at(2026, 2, 25, 9, 0))
	w.file("d6", "result", "upload", false, at(2026, 3, 3, 10, 0))

	// D7 p2, still open, due 2/4: open at the end of March and not late.
	w.dossier(dossier{id: "d7", agency: "a1", proc: "p2", channel: "counter", status: 4, received: at(2026, 3, 25, 9, 0),
		due: ptr(at(2026, 4, 2, 17, 0))})
	// D8 p2, still open, due 10/3: late.
	w.dossier(dossier{id: "d8", agency: "a1", proc: "p2", channel: "counter", status: 4, received: at(2026, 3, 5, 9, 0),
		due: mar(10, 17)})
	// D9 p2 without a promised date: 2 calendar days from 26/3 9:00 is 28/3
	// 9:00; processed 31/3: late.
	w.dossier(dossier{id: "d9", agency: "a1", proc: "p2", channel: "counter", status: 9, received: at(2026, 3, 26, 9, 0),
		processed: mar(31, 10), limitN: 2, limitUnit: "calendar_days"})
	// D13 p2 waiting for the citizen's supplement since 28/3, before its date
	// 30/3: the clock is stopped, so not late at the end of March.
	w.dossier(dossier{id: "d13", agency: "a1", proc: "p2", channel: "counter", status: 5, received: at(2026, 3, 27, 9, 0),
		due: mar(30, 17), paused: mar(28, 9), supplements: 1})
	w.event("d13", 1, at(2026, 3, 28, 9, 0), 4, 5)

	// D10 at a2: p3 online, paid online, returned 16/3 before 18/3, e-result, synced.
	w.dossier(dossier{id: "d10", agency: "a2", proc: "p3", channel: "portal", status: 10, received: at(2026, 3, 15, 9, 0),
		due: mar(18, 17), returned: mar(16, 10), fee: 20000})
	w.payment("d10", "a2", "paid", at(2026, 3, 15, 9, 30))
	w.file("d10", "result", "upload", false, at(2026, 3, 16, 10, 0))
	w.synced("d10", 1, "sent", at(2026, 3, 15, 9, 0))

	// Outside March: D11 received 2/4, returned 3/4 before 6/4; D12 filed but
	// never received.
	w.dossier(dossier{id: "d11", agency: "a1", proc: "p1", channel: "portal", status: 10, received: at(2026, 4, 2, 9, 0),
		due: ptr(at(2026, 4, 6, 17, 0)), returned: ptr(at(2026, 4, 3, 10, 0)), fee: 50000})
	w.dossier(dossier{id: "d12", agency: "a1", proc: "p1", channel: "portal", status: 1, received: at(2026, 3, 30, 9, 0)})
	return w
}

func near(a, b float64) bool { return math.Abs(a-b) < 1e-9 }

func criterion(t *testing.T, sc indicator.Scorecard, key string) indicator.CriterionScore {
	t.Helper()
	for _, g := range sc.Groups {
		for _, c := range g.Criteria {
			if c.Key == key {
				return c
			}
		}
	}
	t.Fatalf("no criterion %s", key)
	return indicator.CriterionScore{}
}

func group(t *testing.T, sc indicator.Scorecard, key string) float64 {
	t.Helper()
	for _, g := range sc.Groups {
		if g.Key == key {
			return g.Score
		}
	}
	t.Fatalf("no group %s", key)
	return 0
}

type want struct {
	key      string
	num, den int64
	score    float64
}

func TestScorecardHandComputed(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		march(t, d)
		now := at(2026, 4, 10, 12, 0)
		svc := indicator.New(d, func() time.Time { return now }, nil)
		if _, err := svc.Refresh(ctx); err != nil {
			t.Fatal(err)
		}
		p := indicator.Month(2026, 3)
		a1, err := svc.Scorecard(ctx, nil, indicator.Scope{Kind: indicator.Agency, ID: "a1"}, p)
		if err != nil {
			t.Fatal(err)
		}
		// Agency a1, March 2026. Received in March: d1 d2 d3 d4 d5 d7 d8 d9 d13 = 9.
		// Active (received by 31/3, not finished before 1/3): those and d6 = 10.
		for _, w := range []want{
			// Transparency. Synced: d1, d2 of 9 → 9 × 2/9 = 2. Complete: d1 of 9 → 9 × 1/9 = 1.
			{"synced", 2, 9, 2},
			{"progress_public", 1, 9, 1},
			// Progress. On time: d1, d3 (wait already in its date), d5 (stopped
			// early), d6, d7 (open, due 2/4), d13 (waiting) = 6 of 10; late: d2, d4
			// (two supplements), d8 (open past its date), d9 (past the legal limit)
			// → 20 × 6/10 = 12.
			{"on_time", 6, 10, 12},
			// Online. Full-online procedures p1, p3 received: d1 d2 d4 d5 = 4; online
			// d1 d4 d5 = 3 → 0.75 < 0.8 → 12 × 0.75/0.8 = 11.25.
			{"online", 3, 4, 11.25},
			// Payment. Fee due: d1 d2 d5 (d4 waived, d3 d7 d8 d9 d13 free) = 3; paid
			// online d1 → 1/3 < 0.5 → 6 × (1/3)/0.5 = 4.
			{"paid_online", 1, 3, 4},
			// Fee procedures in March: p1 (paid) and p3 (not) → 4 × 1/2 = 2.
			{"fee_procedures", 1, 2, 2},
			// Digitisation. With a result, ended in March: d1 d2 d3 d4 d6 d9 = 6 (d5
			// stopped). E-result d1 d3 d4 d6 = 4 → 6 × 4/6 = 4. Papers and result
			// digitised d1 d3 d6 = 3 → 4 × 3/6 = 2. Reused d3 of 9 → 4 × (1/9)/0.5 =
			// 8/9. In the store d1 of 9 → 4 × 1/9 = 4/9. Population DB d1 d3 of 9 →
			// 4 × (2/9)/0.8 = 10/9.
			{"e_result", 4, 6, 4},
			{"digitised", 3, 6, 2},
			{"reused", 1, 9, 8.0 / 9},
			{"store_linked", 1, 9, 4.0 / 9},
			{"popdb", 2, 9, 10.0 / 9},
			// Satisfaction. Complaints d3 (in time), d4 (late) → 6 × 1/2 = 3.
			{"complaints_on_time", 1, 2, 3},
		} {
			c := criterion(t, a1, w.key)
			if c.Num != w.num || c.Den != w.den || !near(c.Score, w.score) {
				t.Errorf("%s: %d/%d → %v, want %d/%d → %v", w.key, c.Num, c.Den, c.Score, w.num, w.den, w.score)
			}
		}
		// Satisfied: 1 − (late 4/10 + unhappy d2 d3 d4 3/9) = 4/15 < 0.9 →
		// 12 × (4/15)/0.9 = 32/9.
		if c := criterion(t, a1, "satisfied"); !near(c.Rate, 4.0/15) || !near(c.Score, 32.0/9) {
			t.Errorf("satisfied: rate %v score %v, want 4/15 and 32/9", c.Rate, c.Score)
		}
		// Groups: transparency 3, progress 12, online 11.25, payment 6,
		// digitisation 4+2+8/9+4/9+10/9 = 6+22/9, satisfaction 3+32/9.
		for key, v := range map[string]float64{"transparency": 3, "progress": 12, "online": 11.25, "payment": 6,
			"digitisation": 6 + 22.0/9, "satisfaction": 3 + 32.0/9} {
			if g := group(t, a1, key); !near(g, v) {
				t.Errorf("group %s = %v, want %v", key, g, v)
			}
		}
		// Total: 3 + 12 + 11.25 + 6 + 6 + 3 + (22+32)/9 = 41.25 + 6 = 47.25.
		if !near(a1.Total, 47.25) {
			t.Errorf("a1 total = %v, want 47.25", a1.Total)
		}

		// The commune u-a holds a1 alone: the same card.
		cu, err := svc.Scorecard(ctx, nil, indicator.Scope{Kind: indicator.Commune, ID: "u-a"}, p)
		if err != nil {
			t.Fatal(err)
		}
		if !near(cu.Total, 47.25) {
			t.Errorf("commune u-a total = %v, want 47.25", cu.Total)
		}

		// Agency a2: d10 alone, everything met; digitised papers 0/1 → 0 and
		// reused, store, population DB 0/1 → 0: 18 + 20 + 12 + 10 + 6 + 18 = 84.
		a2, err := svc.Scorecard(ctx, nil, indicator.Scope{Kind: indicator.Agency, ID: "a2"}, p)
		if err != nil {
			t.Fatal(err)
		}
		if !near(a2.Total, 84) {
			t.Errorf("a2 total = %v, want 84", a2.Total)
		}

		// Province: received 10, active 11, on time 7 → 20 × 7/11 = 140/11.
		// Online 4/5 = 0.8 → 12. Paid online 2/4 = 0.5 → 6; fee procedures p1, p3
		// both paid somewhere → 4. E-result 5/7 → 30/7; digitised 3/7 → 12/7;
		// reused 1/10 → 0.8; store 1/10 → 0.4; population DB 2/10 → 1.
		// Synced 3/10 → 2.7; complete 2/10 → 1.8. Complaints 1/2 → 3.
		// Satisfied 1 − (4/11 + 3/10) = 37/110 → 12 × (37/110)/0.9 = 148/33.
		pr, err := svc.Scorecard(ctx, nil, indicator.Scope{Kind: indicator.Province}, p)
		if err != nil {
			t.Fatal(err)
		}
		wantP := 4.5 + 140.0/11 + 12 + 10 + (30.0/7 + 12.0/7 + 0.8 + 0.4 + 1) + 3 + 148.0/33
		if !near(pr.Total, wantP) {
			t.Errorf("province total = %v, want %v", pr.Total, wantP)
		}

		// The roll-ups agree with a count over every dossier's facts.
		for _, sc := range []indicator.Scope{{Kind: indicator.Province}, {Kind: indicator.Agency, ID: "a1"},
			{Kind: indicator.Commune, ID: "u-b"}} {
			for _, per := range []indicator.Period{p, indicator.Month(2026, 2), indicator.Month(2026, 4), indicator.Year(2026),
				{From: at2(2026, 3, 10), To: at2(2026, 4, 2)}} {
				x, err := svc.Scorecard(ctx, nil, sc, per)
				if err != nil {
					t.Fatal(err)
				}
				y, err := svc.ScorecardFromFacts(ctx, nil, sc, per)
				if err != nil {
					t.Fatal(err)
				}
				if x.Counts != y.Counts {
					t.Errorf("%v %v: roll-ups %+v, facts %+v", sc, per, x.Counts, y.Counts)
				}
			}
		}
		for _, per := range []indicator.Period{p, indicator.Month(2026, 2), indicator.Month(2026, 4), indicator.Year(2026),
			{From: at2(2026, 3, 10), To: at2(2026, 4, 2)}, {From: at2(2026, 2, 1), To: at2(2026, 4, 30)}} {
			rankAgrees(t, svc, per)
		}

		// A dossier spanning two periods: d6 is open at the end of February and
		// not yet due (4/3): February's on-time rate is 1/1.
		f, err := svc.Rate(ctx, indicator.OnTimeRate, indicator.Scope{Kind: indicator.Agency, ID: "a1"}, indicator.Month(2026, 2))
		if err != nil {
			t.Fatal(err)
		}
		if f != (indicator.Fraction{Num: 1, Den: 1}) {
			t.Errorf("February on time = %+v, want 1/1", f)
		}
		// April: active d7 (late since 2/4), d8 (late), d13 (waiting), d11 (on
		// time) → 2/4.
		f, err = svc.Rate(ctx, indicator.OnTimeRate, indicator.Scope{Kind: indicator.Agency, ID: "a1"}, indicator.Month(2026, 4))
		if err != nil {
			t.Fatal(err)
		}
		if f != (indicator.Fraction{Num: 2, Den: 4}) {
			t.Errorf("April on time = %+v, want 2/4", f)
		}

		// Rankings: a2 (84) before a1 (47.25); communes the same.
		for _, kind := range []indicator.ScopeKind{indicator.Agency, indicator.Commune} {
			r, err := svc.Rank(ctx, kind, p)
			if err != nil {
				t.Fatal(err)
			}
			if len(r.Rows) != 2 || !near(r.Rows[0].Total, 84) || !near(r.Rows[1].Total, 47.25) || r.Rows[1].Rank != 2 {
				t.Errorf("%s ranking = %+v", kind, r.Rows)
			}
		}
	})
}

func at2(y int, m time.Month, d int) calendar.Date { return calendar.Date{Year: y, Month: m, Day: d} }

// rankAgrees checks that every agency's place in the ranking has the total
// of its own scorecard, which counts fee-bearing procedures one by one.
func rankAgrees(t *testing.T, svc *indicator.Service, p indicator.Period) {
	t.Helper()
	ctx := context.Background()
	r, err := svc.Rank(ctx, indicator.Agency, p)
	if err != nil {
		t.Fatal(err)
	}
	for _, row := range r.Rows {
		sc, err := svc.Scorecard(ctx, nil, indicator.Scope{Kind: indicator.Agency, ID: row.ID}, p)
		if err != nil {
			t.Fatal(err)
		}
		if !near(row.Total, sc.Total) {
			t.Errorf("%v: %s ranked with %v, scorecard %v", p, row.ID, row.Total, sc.Total)
		}
	}
}
