package rating_test

import (
	"context"
	"slices"
	"strings"
	"testing"

	"golang.org/x/text/unicode/norm"

	"github.com/congso/congso/internal/apperr"
	"github.com/congso/congso/internal/audit"
	"github.com/congso/congso/internal/db"
	"github.com/congso/congso/internal/db/dbtest"
	"github.com/congso/congso/internal/dossier"
	"github.com/congso/congso/internal/rating"
)

func TestShippedCriteria(t *testing.T) {
	set, err := rating.LoadCriteria()
	if err != nil {
		t.Fatal(err)
	}
	c := set.CurrentCriteria()
	if c.Version == "" || c.Basis == "" {
		t.Fatalf("current criteria %+v", c)
	}
	// The criteria the brief names are all there, one per concern.
	for _, code := range []string{"receipt.attitude", "receipt.guidance", "processing.on_time", "processing.accuracy", "processing.cost"} {
		if _, ok := c.Criterion(code); !ok {
			t.Errorf("no criterion %s", code)
		}
	}
	if st, _ := c.StageOf("processing.cost"); st != rating.StageProcessing {
		t.Errorf("stage of processing.cost = %q", st)
	}
}

func TestBrokenCriteriaAreRefused(t *testing.T) {
	// The loader is the only way into the service; a broken data file must
	// stop start-up, not produce ratings nobody can aggregate.
	for name, js := range map[string]string{
		"no current": `{"current":"x","versions":[]}`,
		"one stage": `{"current":"v","versions":[{"version":"v","stages":[{"stage":"receipt","criteria":[
			{"code":"receipt.a","name":"A","name_en":"A"}]}]}]}`,
		"bad prefix": `{"current":"v","versions":[{"version":"v","stages":[{"stage":"receipt","criteria":[{"code":"processing.a","name":"A","name_en":"A"}]},
			{"stage":"processing","criteria":[{"code":"processing.b","name":"B","name_en":"B"}]}]}]}`,
		"repeated code": `{"current":"v","versions":[{"version":"v","stages":[{"stage":"receipt","criteria":[{"code":"receipt.a","name":"A","name_en":"A"},
			{"code":"receipt.a","name":"A","name_en":"A"}]},{"stage":"processing","criteria":[{"code":"processing.b","name":"B","name_en":"B"}]}]}]}`,
	} {
		if _, err := rating.ParseCriteria([]byte(js)); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
}

// TestRateOnlyApplicantOnceAfterResult: only the applicant's own account
// rates, only once the result is there, only once.
func TestRateOnlyApplicantOnceAfterResult(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		f := setup(t, d)
		ctx := context.Background()
		x := f.file("citizen", "ward")
		good := rating.RateInput{Scores: f.scores(rating.VerySatisfied, nil)}

		_, err := f.svc.Rate(ctx, f.actors["citizen"], x.Code, good)
		wantCode(t, "rating before the result", err, apperr.Conflict)
		x = f.finish(x)

		_, err = f.svc.Rate(ctx, nil, x.Code, good)
		wantCode(t, "anonymous", err, apperr.Unauthorized)
		for _, who := range []string{"citizen2", "lanhdao", "canbo", "admin", "quansat"} {
			_, err = f.svc.Rate(ctx, f.actors[who], x.Code, good)
			wantCode(t, "rating by "+who, err, apperr.Forbidden)
		}
		_, err = f.svc.Rate(ctx, f.actors["citizen"], "000.00.21.H25-260302-9999", good)
		wantCode(t, "unknown dossier", err, apperr.NotFound)

		// Every criterion must be rated, on the scale, and only known ones.
		partial := f.scores(rating.Satisfied, nil)
		delete(partial, "processing.cost")
		_, err = f.svc.Rate(ctx, f.actors["citizen"], x.Code, rating.RateInput{Scores: partial})
		wantCode(t, "a criterion left out", err, apperr.Invalid)
		if msg := apperr.FieldsOf(err)["processing.cost"]; !strings.Contains(msg, "Chi phí") {
			t.Errorf("the missing criterion is not named: %v", apperr.FieldsOf(err))
		}
		for name, in := range map[string]rating.RateInput{
			"level 6":       {Scores: f.scores(rating.Satisfied, map[string]rating.Level{"receipt.attitude": 6})},
			"level -1":      {Scores: f.scores(rating.Satisfied, map[string]rating.Level{"receipt.attitude": -1})},
			"unknown":       {Scores: f.scores(rating.Satisfied, map[string]rating.Level{"receipt.parking": 5})},
			"long comment":  {Scores: f.scores(rating.Satisfied, nil), Comment: strings.Repeat("ạ", rating.MaxComment+1)},
			"control chars": {Scores: f.scores(rating.Satisfied, nil), Comment: "tốt\x00"},
		} {
			_, err = f.svc.Rate(ctx, f.actors["citizen"], x.Code, in)
			wantCode(t, name, err, apperr.Invalid)
		}

		// The applicant rates; the comment is kept in NFC.
		good.Comment = norm.NFD.String("  Cán bộ hướng dẫn tận tình, trả kết quả sớm.  ")
		r := f.rate("citizen", x.Code, good)
		eq(t, "comment", r.Comment, "Cán bộ hướng dẫn tận tình, trả kết quả sớm.")
		eq(t, "negative", r.Negative, false)
		eq(t, "satisfied", r.Satisfied, true)
		eq(t, "criteria version", r.CriteriaVersion, f.svc.Criteria().Version)
		eq(t, "agency", r.AgencyID, f.agencies["ward"])
		eq(t, "scores", len(r.Scores), len(f.svc.Criteria().Codes()))

		// Once only.
		_, err = f.svc.Rate(ctx, f.actors["citizen"], x.Code, good)
		wantCode(t, "second rating", err, apperr.Conflict)

		// The rating as read back; officials of another agency and other
		// citizens may not read it; the agency's official's read is audited.
		got, err := f.svc.RatingOf(ctx, f.actors["citizen"], x.Code)
		if err != nil {
			t.Fatal(err)
		}
		eq(t, "read back comment", got.Comment, r.Comment)
		eq(t, "read back level", got.Level("processing.on_time"), rating.VerySatisfied)
		eq(t, "read back satisfied", got.Satisfied, true)
		_, err = f.svc.RatingOf(ctx, f.actors["lanhdao.khac"], x.Code)
		wantCode(t, "read by another agency", err, apperr.Forbidden)
		_, err = f.svc.RatingOf(ctx, f.actors["citizen2"], x.Code)
		wantCode(t, "read by another citizen", err, apperr.Forbidden)
		if _, err := f.svc.RatingOf(ctx, f.actors["chuyenvien"], x.Code); err != nil {
			t.Fatal(err)
		}
		entries, err := f.audit.List(ctx, f.actors["admin"], audit.Filter{Action: audit.ActionReadPersonal, ObjectType: "rating"})
		if err != nil || len(entries) != 1 || entries[0].ActorID != f.actors["chuyenvien"].UserID {
			t.Errorf("audited reads of the rating: %+v %v", entries, err)
		}

		// A returned dossier (status 10) may be rated too.
		y := f.finish(f.file("citizen", "ward"))
		y = f.act("canbo", y.Code, dossier.ActReturn)
		eq(t, "status", y.Status, dossier.Returned)
		f.rate("citizen", y.Code, good)

		// A dossier received at a counter has no applicant account: nobody
		// may rate it here.
		counter, err := f.dos.Create(ctx, f.actors["canbo"], dossier.CreateInput{ProcedureID: "p3", Channel: dossier.Counter,
			Applicant: dossier.Applicant{Kind: "citizen", Name: "Nguyễn Văn An", IDNumber: "042090001234"}})
		if err != nil {
			t.Fatal(err)
		}
		counter = f.finish(counter)
		_, err = f.svc.Rate(ctx, f.actors["citizen"], counter.Code, good)
		wantCode(t, "dossier without an applicant account", err, apperr.Forbidden)
	})
}

// TestNegativeRule: a rating is negative when any criterion is Không hài
// lòng or worse; satisfied when every criterion is Hài lòng or better.
func TestNegativeRule(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		f := setup(t, d)
		cases := []struct {
			name                string
			base                rating.Level
			except              map[string]rating.Level
			negative, satisfied bool
		}{
			{"all very satisfied", rating.VerySatisfied, nil, false, true},
			{"all satisfied", rating.Satisfied, nil, false, true},
			{"one neutral", rating.VerySatisfied, map[string]rating.Level{"processing.cost": rating.Neutral}, false, false},
			{"all neutral", rating.Neutral, nil, false, false},
			{"one dissatisfied at receipt", rating.VerySatisfied, map[string]rating.Level{"receipt.attitude": rating.Dissatisfied}, true, false},
			{"one very dissatisfied in processing", rating.Satisfied, map[string]rating.Level{"processing.on_time": rating.VeryDissatisfied}, true, false},
		}
		for _, c := range cases {
			x := f.finish(f.file("citizen", "ward"))
			r := f.rate("citizen", x.Code, rating.RateInput{Scores: f.scores(c.base, c.except)})
			if r.Negative != c.negative || r.Satisfied != c.satisfied {
				t.Errorf("%s: negative %v satisfied %v, want %v %v", c.name, r.Negative, r.Satisfied, c.negative, c.satisfied)
			}
			back, err := f.svc.RatingOf(context.Background(), f.actors["citizen"], x.Code)
			if err != nil || back.Negative != c.negative || back.Satisfied != c.satisfied {
				t.Errorf("%s read back: negative %v satisfied %v (%v)", c.name, back.Negative, back.Satisfied, err)
			}
		}
	})
	for l, want := range map[rating.Level]bool{1: true, 2: true, 3: false, 4: false, 5: false, 0: false, 6: false} {
		if rating.Level(l).Negative() != want {
			t.Errorf("Level(%d).Negative() = %v", l, !want)
		}
	}
}

// TestComplaintDeadlineOverTet: the answer is due 15 working days after the
// filing, counted on the agency's calendar over the Tết break (14–22
// February 2026).
func TestComplaintDeadlineOverTet(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		f := setup(t, d)
		ctx := context.Background()
		f.clock.Set(at(2026, 2, 2, 9, 0))
		x := f.file("citizen", "ward")

		// Friday 13 February at 10:00, the last working day before Tết: the
		// count starts on Monday 23 February; the 15th working day is Friday
		// 13 March.
		f.clock.Set(at(2026, 2, 13, 10, 0))
		c := f.complain("citizen", x.Code, "Đã quá hẹn trả kết quả nhưng chưa nhận được thông báo.")
		eqTime(t, "due", c.DueAt, at(2026, 3, 13, 17, 0))
		eq(t, "state", c.State, rating.StateOpen)
		eq(t, "agency", c.AgencyID, f.agencies["ward"])

		// Filed after the office closed, it counts from the next working day
		// (Monday 23 February): due on Monday 16 March.
		f.clock.Set(at(2026, 2, 13, 18, 30))
		late := f.complain("citizen", x.Code, "Bổ sung: số điện thoại liên hệ đã thay đổi.")
		eqTime(t, "due of a complaint filed after hours", late.DueAt, at(2026, 3, 16, 17, 0))
		// Filed during the break, likewise.
		f.clock.Set(at(2026, 2, 18, 9, 0))
		during := f.complain("citizen", x.Code, "Kiến nghị trả kết quả qua bưu chính.")
		eqTime(t, "due of a complaint filed during Tết", during.DueAt, at(2026, 3, 16, 17, 0))

		// At most three unanswered complaints per dossier.
		_, err := f.svc.File(ctx, f.actors["citizen"], x.Code, rating.ComplaintInput{Content: "Thêm một ý kiến."})
		wantCode(t, "a fourth unanswered complaint", err, apperr.Conflict)

		// Only the applicant's account, with a text.
		y := f.file("citizen", "ward")
		_, err = f.svc.File(ctx, nil, y.Code, rating.ComplaintInput{Content: "x"})
		wantCode(t, "anonymous", err, apperr.Unauthorized)
		for _, who := range []string{"citizen2", "lanhdao", "admin"} {
			_, err = f.svc.File(ctx, f.actors[who], y.Code, rating.ComplaintInput{Content: "Phản ánh hộ."})
			wantCode(t, "complaint by "+who, err, apperr.Forbidden)
		}
		_, err = f.svc.File(ctx, f.actors["citizen"], y.Code, rating.ComplaintInput{Content: "   "})
		wantCode(t, "empty", err, apperr.Invalid)
		_, err = f.svc.File(ctx, f.actors["citizen"], y.Code, rating.ComplaintInput{Kind: "khieu_nai", Content: "Khiếu nại."})
		wantCode(t, "unknown kind", err, apperr.Invalid)
		_, err = f.svc.File(ctx, f.actors["citizen"], y.Code, rating.ComplaintInput{Content: strings.Repeat("a", rating.MaxText+1)})
		wantCode(t, "too long", err, apperr.Invalid)
	})
}

// TestComplaintAnswersAndOverdue: answered on time and late, the overdue
// lists of the agency and of the province with the injected clock, and
// officials of another agency who neither see nor answer.
func TestComplaintAnswersAndOverdue(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		f := setup(t, d)
		ctx := context.Background()
		f.clock.Set(at(2026, 2, 2, 9, 0))
		x := f.file("citizen", "ward")
		other := f.file("citizen2", "other")
		f.clock.Set(at(2026, 2, 13, 10, 0))
		c1 := f.complain("citizen", x.Code, "Cán bộ hẹn trả kết quả nhưng không liên lạc được.")
		cB := f.complain("citizen2", other.Code, "Hồ sơ bị yêu cầu bổ sung giấy tờ không có trong thành phần hồ sơ.")
		f.clock.Set(at(2026, 2, 13, 11, 0))
		c2 := f.complain("citizen", x.Code, "Kiến nghị được nhận kết quả qua bưu chính.")
		eqTime(t, "c2 due", c2.DueAt, at(2026, 3, 13, 17, 0))

		// Who sees what.
		_, err := f.svc.Complaint(ctx, f.actors["lanhdao.khac"], c1.ID)
		wantCode(t, "another agency's head reads", err, apperr.Forbidden)
		_, err = f.svc.Complaint(ctx, f.actors["citizen2"], c1.ID)
		wantCode(t, "another citizen reads", err, apperr.Forbidden)
		list, err := f.svc.Complaints(ctx, f.actors["lanhdao.khac"], rating.ComplaintFilter{})
		if err != nil || len(list) != 1 || list[0].ID != cB.ID {
			t.Errorf("the other agency's list: %v %v", ids(list), err)
		}
		_, err = f.svc.Complaints(ctx, f.actors["lanhdao.khac"], rating.ComplaintFilter{AgencyID: f.agencies["ward"]})
		wantCode(t, "another agency's list by filter", err, apperr.Forbidden)

		// Answered on the due day, before the office closes: on time.
		f.clock.Set(at(2026, 3, 13, 16, 0))
		_, err = f.svc.Answer(ctx, f.actors["lanhdao.khac"], c1.ID, rating.AnswerInput{Answer: "Trả lời."})
		wantCode(t, "another agency's head answers", err, apperr.Forbidden)
		_, err = f.svc.Answer(ctx, f.actors["chuyenvien"], c1.ID, rating.AnswerInput{Answer: "Trả lời."})
		wantCode(t, "a specialist answers", err, apperr.Forbidden)
		_, err = f.svc.Answer(ctx, f.actors["quansat"], c1.ID, rating.AnswerInput{Answer: "Trả lời."})
		wantCode(t, "an observer answers", err, apperr.Forbidden)
		_, err = f.svc.Answer(ctx, f.actors["lanhdao"], c1.ID, rating.AnswerInput{Answer: "  "})
		wantCode(t, "an empty answer", err, apperr.Invalid)
		_, err = f.svc.Answer(ctx, f.actors["lanhdao"], c1.ID, rating.AnswerInput{Answer: "Trả lời.", Version: 7})
		wantCode(t, "a stale version", err, apperr.Conflict)
		a1, err := f.svc.Answer(ctx, f.actors["lanhdao"], c1.ID, rating.AnswerInput{Answer: "Kết quả đã có, mời ông đến nhận.", Version: c1.Version})
		if err != nil {
			t.Fatal(err)
		}
		eq(t, "c1 state", a1.State, rating.StateAnswered)
		_, err = f.svc.Answer(ctx, f.actors["lanhdao"], c1.ID, rating.AnswerInput{Answer: "Lần nữa."})
		wantCode(t, "a second answer", err, apperr.Conflict)

		// Monday 16 March: c2 and cB are overdue.
		f.clock.Set(at(2026, 3, 16, 9, 0))
		over, err := f.svc.Complaints(ctx, f.actors["lanhdao"], rating.ComplaintFilter{State: rating.StateOverdue})
		if err != nil || !slices.Equal(ids(over), []string{c2.ID}) {
			t.Errorf("the ward's overdue list: %v %v", ids(over), err)
		}
		if len(over) == 1 && over[0].State != rating.StateOverdue {
			t.Errorf("state in the list: %s", over[0].State)
		}
		over, err = f.svc.Complaints(ctx, f.actors["quansat"], rating.ComplaintFilter{State: rating.StateOverdue})
		if err != nil || len(over) != 2 {
			t.Errorf("the province's overdue list: %v %v", ids(over), err)
		}
		open, err := f.svc.Complaints(ctx, f.actors["lanhdao"], rating.ComplaintFilter{State: rating.StateOpen})
		if err != nil || len(open) != 0 {
			t.Errorf("open (not overdue) complaints: %v %v", ids(open), err)
		}
		// Before the deadline the same complaint was open, not overdue.
		f.clock.Set(at(2026, 3, 13, 17, 0))
		open, _ = f.svc.Complaints(ctx, f.actors["lanhdao"], rating.ComplaintFilter{State: rating.StateOpen})
		over, _ = f.svc.Complaints(ctx, f.actors["lanhdao"], rating.ComplaintFilter{State: rating.StateOverdue})
		if !slices.Equal(ids(open), []string{c2.ID}) || len(over) != 0 {
			t.Errorf("at the due instant: open %v overdue %v", ids(open), ids(over))
		}
		f.clock.Set(at(2026, 3, 16, 9, 0))

		// The agency admin answers c2 late; a province admin answers cB.
		a2, err := f.svc.Answer(ctx, f.actors["quantri"], c2.ID, rating.AnswerInput{Answer: "Đồng ý trả kết quả qua bưu chính."})
		if err != nil {
			t.Fatal(err)
		}
		eq(t, "c2 state", a2.State, rating.StateAnsweredLate)
		if _, err := f.svc.Answer(ctx, f.actors["admin"], cB.ID, rating.AnswerInput{Answer: "Đã chỉ đạo phường rà soát."}); err != nil {
			t.Fatal(err)
		}
		late, err := f.svc.Complaints(ctx, f.actors["lanhdao"], rating.ComplaintFilter{State: rating.StateAnsweredLate})
		if err != nil || !slices.Equal(ids(late), []string{c2.ID}) {
			t.Errorf("answered late: %v %v", ids(late), err)
		}
		onTime, err := f.svc.Complaints(ctx, f.actors["lanhdao"], rating.ComplaintFilter{State: rating.StateAnswered})
		if err != nil || !slices.Equal(ids(onTime), []string{c1.ID}) {
			t.Errorf("answered on time: %v %v", ids(onTime), err)
		}

		// The citizen sees the answers, and only their own complaints.
		mine, err := f.svc.Complaints(ctx, f.actors["citizen"], rating.ComplaintFilter{})
		if err != nil || !slices.Equal(ids(mine), []string{c2.ID, c1.ID}) {
			t.Fatalf("the citizen's complaints, newest first: %v %v", ids(mine), err)
		}
		eq(t, "answer seen by the citizen", mine[0].Answer, "Đồng ý trả kết quả qua bưu chính.")
		o, err := f.svc.Overview(ctx, f.actors["citizen"], x.Code)
		if err != nil || len(o.Complaints) != 2 || !o.MayComplain || o.MayRate || o.RateBlocked == "" {
			t.Errorf("overview: %+v %v", o, err)
		}
		_, err = f.svc.Overview(ctx, f.actors["citizen2"], x.Code)
		wantCode(t, "another citizen's overview", err, apperr.Forbidden)

		// The officials' reads were audited, the citizen's not.
		entries, err := f.audit.List(ctx, f.actors["admin"], audit.Filter{Action: audit.ActionReadPersonal, Limit: 100})
		if err != nil {
			t.Fatal(err)
		}
		readers := map[string]bool{}
		for _, e := range entries {
			readers[e.ActorID] = true
		}
		if !readers[f.actors["lanhdao"].UserID] || !readers[f.actors["quansat"].UserID] || readers[f.actors["citizen"].UserID] {
			t.Errorf("audited readers: %v", readers)
		}
	})
}

func ids(cs []rating.Complaint) []string {
	out := []string{}
	for _, c := range cs {
		out = append(out, c.ID)
	}
	return out
}

// TestComplaintPaging: the work list comes by deadline and pages with its
// cursor.
func TestComplaintPaging(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		f := setup(t, d)
		ctx := context.Background()
		var want []string
		for day := 2; day <= 6; day++ {
			x := f.file("citizen", "ward")
			f.clock.Set(at(2026, 3, day, 9, 0))
			want = append(want, f.complain("citizen", x.Code, "Phản ánh.").ID)
		}
		var got []string
		filter := rating.ComplaintFilter{State: rating.Unanswered, Limit: 2}
		for range 5 {
			page, err := f.svc.Complaints(ctx, f.actors["lanhdao"], filter)
			if err != nil {
				t.Fatal(err)
			}
			got = append(got, ids(page)...)
			if len(page) < 2 {
				break
			}
			filter.After = filter.Cursor(page[len(page)-1])
		}
		if !slices.Equal(got, want) {
			t.Errorf("pages by deadline: %v, want %v", got, want)
		}
	})
}

// TestAggregates: the satisfaction figures of March for the ward and the
// province.
func TestAggregates(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		f := setup(t, d)
		ctx := context.Background()
		var w []dossier.Dossier
		for range 5 {
			w = append(w, f.finish(f.file("citizen", "ward")))
		}
		b := f.finish(f.file("citizen2", "other"))

		f.clock.Set(at(2026, 3, 3, 10, 0))
		f.rate("citizen", w[0].Code, rating.RateInput{Scores: f.scores(rating.VerySatisfied, nil)})
		// Neutral on a processing criterion: satisfied with the receipt only.
		f.rate("citizen", w[1].Code, rating.RateInput{Scores: f.scores(rating.Satisfied, map[string]rating.Level{"processing.cost": rating.Neutral})})
		// Negative on the receipt, and a complaint: one dossier with an issue.
		f.rate("citizen", w[2].Code, rating.RateInput{Scores: f.scores(rating.Satisfied, map[string]rating.Level{"receipt.attitude": rating.Dissatisfied})})
		f.complain("citizen", w[2].Code, "Cán bộ tiếp nhận thiếu tôn trọng.")
		c3 := f.complain("citizen", w[3].Code, "Trả kết quả chậm.") // due Tuesday 24 March
		f.rate("citizen2", b.Code, rating.RateInput{Scores: f.scores(rating.VeryDissatisfied, nil)})

		march := rating.AggregateQuery{From: at(2026, 3, 1, 0, 0), To: at(2026, 4, 1, 0, 0)}
		// Early in the month both complaints are pending.
		f.clock.Set(at(2026, 3, 10, 9, 0))
		sum, err := f.svc.Aggregate(ctx, f.actors["lanhdao"], march)
		if c := sum.Total.Complaints; err != nil || c.Pending != 2 || c.Overdue != 0 || sum.Total.ComplaintsOnTimeShare != nil {
			t.Errorf("complaints as of 10 March: %+v, share %v, %v", c, sum.Total.ComplaintsOnTimeShare, err)
		}

		f.clock.Set(at(2026, 3, 25, 9, 0))
		if _, err := f.svc.Answer(ctx, f.actors["lanhdao"], c3.ID, rating.AnswerInput{Answer: "Xin lỗi ông."}); err != nil {
			t.Fatal(err)
		}
		f.clock.Set(at(2026, 4, 1, 10, 0))
		f.rate("citizen", w[4].Code, rating.RateInput{Scores: f.scores(rating.VerySatisfied, nil)})

		f.clock.Set(at(2026, 4, 2, 9, 0))
		sum, err = f.svc.Aggregate(ctx, f.actors["lanhdao"], march)
		if err != nil {
			t.Fatal(err)
		}
		if len(sum.Agencies) != 1 || sum.Agencies[0].AgencyID != f.agencies["ward"] {
			t.Fatalf("the ward's head sees %+v", sum.Agencies)
		}
		ward := sum.Agencies[0]
		eq(t, "ratings", ward.Ratings, 3)
		eq(t, "satisfied", ward.Satisfied, 1)
		eq(t, "negative", ward.Negative, 1)
		eq(t, "receipt satisfied", ward.Receipt.Satisfied, 2)
		eq(t, "receipt negative", ward.Receipt.Negative, 1)
		eq(t, "processing satisfied", ward.Processing.Satisfied, 2)
		eq(t, "processing negative", ward.Processing.Negative, 0)
		n := len(f.svc.Criteria().Codes())
		eq(t, "levels counted", ward.Receipt.Levels+ward.Processing.Levels, 3*n)
		eq(t, "complaints filed", ward.Complaints.Filed, 2)
		eq(t, "answered late", ward.Complaints.AnsweredLate, 1)
		eq(t, "overdue", ward.Complaints.Overdue, 1)
		eq(t, "answered on time", ward.Complaints.AnsweredOnTime, 0)
		eq(t, "dossiers with an issue", ward.DossiersWithIssue, 2)
		if ward.SatisfiedShare == nil || *ward.SatisfiedShare != 1.0/3 {
			t.Errorf("satisfied share %v", ward.SatisfiedShare)
		}
		if ward.ComplaintsOnTimeShare == nil || *ward.ComplaintsOnTimeShare != 0 {
			t.Errorf("complaints on time share %v", ward.ComplaintsOnTimeShare)
		}

		// The province: both wards, and the total.
		sum, err = f.svc.Aggregate(ctx, f.actors["quansat"], march)
		if err != nil {
			t.Fatal(err)
		}
		eq(t, "agencies in the province", len(sum.Agencies), 2)
		eq(t, "province ratings", sum.Total.Ratings, 4)
		eq(t, "province negative", sum.Total.Negative, 2)
		eq(t, "province dossiers with an issue", sum.Total.DossiersWithIssue, 3)
		eq(t, "province processing negative", sum.Total.Processing.Negative, 1)

		// April holds one rating; an agency asked for by name gets its row
		// even when nothing happened there.
		sum, err = f.svc.Aggregate(ctx, f.actors["admin"], rating.AggregateQuery{From: at(2026, 4, 1, 0, 0), To: at(2026, 5, 1, 0, 0),
			AgencyIDs: []string{f.agencies["ward"], f.agencies["other"]}})
		if err != nil || len(sum.Agencies) != 2 || sum.Total.Ratings != 1 || sum.Total.Satisfied != 1 {
			t.Errorf("April: %+v %v", sum, err)
		}

		_, err = f.svc.Aggregate(ctx, f.actors["lanhdao"], rating.AggregateQuery{From: march.From, To: march.To, AgencyIDs: []string{f.agencies["other"]}})
		wantCode(t, "another agency's figures", err, apperr.Forbidden)
		_, err = f.svc.Aggregate(ctx, f.actors["citizen"], march)
		wantCode(t, "a citizen", err, apperr.Forbidden)
		_, err = f.svc.Aggregate(ctx, f.actors["admin"], rating.AggregateQuery{From: march.To, To: march.From})
		wantCode(t, "an empty period", err, apperr.Invalid)
	})
}

// TestListenerHearsInTheTransaction: a listener's failure undoes the change.
func TestListenerHearsInTheTransaction(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		f := setup(t, d)
		ctx := context.Background()
		var heard []rating.EventKind
		fail := false
		f.svc.Listen(listenerFunc(func(_ context.Context, tx *db.Tx, e rating.Event) error {
			if tx == nil {
				t.Error("no transaction")
			}
			if fail {
				return apperr.New(apperr.Internal, "hỏng")
			}
			heard = append(heard, e.Kind)
			return nil
		}))
		x := f.finish(f.file("citizen", "ward"))
		c := f.complain("citizen", x.Code, "Phản ánh.")
		if _, err := f.svc.Answer(ctx, f.actors["lanhdao"], c.ID, rating.AnswerInput{Answer: "Trả lời."}); err != nil {
			t.Fatal(err)
		}
		fail = true
		if _, err := f.svc.Rate(ctx, f.actors["citizen"], x.Code, rating.RateInput{Scores: f.scores(rating.Satisfied, nil)}); err == nil {
			t.Fatal("the rating was kept although the listener failed")
		}
		fail = false
		f.rate("citizen", x.Code, rating.RateInput{Scores: f.scores(rating.Satisfied, nil)})
		want := []rating.EventKind{rating.EventComplaintFiled, rating.EventComplaintAnswered, rating.EventRated}
		if !slices.Equal(heard, want) {
			t.Errorf("heard %v, want %v", heard, want)
		}
	})
}

type listenerFunc func(ctx context.Context, tx *db.Tx, e rating.Event) error

func (l listenerFunc) RatingChanged(ctx context.Context, tx *db.Tx, e rating.Event) error {
	return l(ctx, tx, e)
}
