package dossier_test

import (
	"context"
	"fmt"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/congso/congso/internal/apperr"
	"github.com/congso/congso/internal/db"
	"github.com/congso/congso/internal/db/dbtest"
	"github.com/congso/congso/internal/dossier"
)

func eq[T comparable](t *testing.T, what string, got, want T) {
	t.Helper()
	if got != want {
		t.Errorf("%s = %v, want %v", what, got, want)
	}
}

func eqTime(t *testing.T, what string, got *time.Time, want time.Time) {
	t.Helper()
	if got == nil || !got.Equal(want) {
		t.Errorf("%s = %v, want %v", what, got, want.In(time.UTC))
	}
}

// TestLifecycleWithSupplementAndInterAgencyStep follows one dossier from the
// counter to the citizen, with a supplement request that stops the clock and
// a step handed to the tax office, and checks every deadline by hand.
func TestLifecycleWithSupplementAndInterAgencyStep(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		f := setup(t, d)
		ctx := context.Background()
		x := f.receive() // Monday 2 March 2026, 08:00
		if !regexp.MustCompile(`^000\.00\.21\.H25-260302-0001$`).MatchString(x.Code) {
			t.Fatalf("code %q", x.Code)
		}
		eq(t, "status at the counter", x.Status, dossier.Accepted)
		eqTime(t, "promised date", x.DueAt, at(2026, 3, 5, 17, 0)) // 3 working days after the day of receipt

		f.clock.Set(at(2026, 3, 2, 9, 0))
		x = f.act("tiepnhan", x.Code, dossier.ActForward, dossier.ActionInput{})
		eq(t, "status after forwarding", x.Status, dossier.Processing)
		f.clock.Set(at(2026, 3, 2, 9, 30))
		f.act("lanhdao", x.Code, dossier.ActAssign, dossier.ActionInput{AssigneeID: f.actors["chuyenvien"].UserID})
		// Someone else may not take over an assigned dossier.
		if _, err := f.svc.Act(ctx, f.actors["chuyenvien2"], x.Code, dossier.ActSubmit, dossier.ActionInput{}); !apperr.Is(err, apperr.Forbidden) {
			t.Fatalf("another specialist submitted an assigned dossier: %v", err)
		}

		f.clock.Set(at(2026, 3, 2, 10, 0))
		x = f.act("chuyenvien", x.Code, dossier.ActRequestSupplement, dossier.ActionInput{Documents: []string{"Bản sao hợp đồng thuê địa điểm kinh doanh"}})
		eq(t, "status while waiting", x.Status, dossier.SupplementRequested)

		// The citizen brings the paper on Wednesday at 10:00: 16 working hours waited.
		f.clock.Set(at(2026, 3, 4, 10, 0))
		x = f.act("tiepnhan", x.Code, dossier.ActSupplement, dossier.ActionInput{Note: "Đã bổ sung hợp đồng thuê"})
		eq(t, "status after supplement", x.Status, dossier.Processing)
		eqTime(t, "promised date moved by the wait", x.DueAt, at(2026, 3, 9, 17, 0))
		eqTime(t, "legal date moved by the wait", x.LegalDueAt, at(2026, 3, 9, 17, 0))
		eq(t, "supplement count", x.SupplementCount, 1)

		f.clock.Set(at(2026, 3, 4, 10, 30))
		x = f.act("chuyenvien", x.Code, dossier.ActTransfer, dossier.ActionInput{ToAgencyID: f.agencies["tax"], BudgetHours: 8,
			Note: "Xác định nghĩa vụ thuế khoán"})
		eq(t, "holder during the inter-agency step", x.HolderAgencyID, f.agencies["tax"])
		// The tax office sees the dossier it holds; another ward does not.
		if _, err := f.svc.Get(ctx, f.actors["thue"], x.Code); err != nil {
			t.Fatalf("the tax office cannot read the dossier it holds: %v", err)
		}
		if _, err := f.svc.Get(ctx, f.actors["tiepnhan.khac"], x.Code); !apperr.Is(err, apperr.Forbidden) {
			t.Fatalf("another ward read the dossier: %v", err)
		}
		// The ward cannot move the dossier while the tax office holds it.
		if _, err := f.svc.Act(ctx, f.actors["chuyenvien"], x.Code, dossier.ActSubmit, dossier.ActionInput{}); !apperr.Is(err, apperr.Conflict) {
			t.Fatalf("submitted during the inter-agency step: %v", err)
		}

		f.clock.Set(at(2026, 3, 5, 9, 0))
		x = f.act("thue", x.Code, dossier.ActTransferBack, dossier.ActionInput{Note: "Đã xác định mức thuế khoán"})
		eq(t, "holder after the inter-agency step", x.HolderAgencyID, f.agencies["ward"])
		f.clock.Set(at(2026, 3, 5, 10, 0))
		f.act("chuyenvien", x.Code, dossier.ActSubmit, dossier.ActionInput{})
		f.clock.Set(at(2026, 3, 5, 11, 0))
		f.act("lanhdao", x.Code, dossier.ActApprove, dossier.ActionInput{})
		f.clock.Set(at(2026, 3, 5, 14, 0))
		x = f.act("vanthu", x.Code, dossier.ActIssue, dossier.ActionInput{})
		eq(t, "status after issue", x.Status, dossier.Processed)
		eq(t, "outcome", x.Outcome, dossier.Early)
		f.clock.Set(at(2026, 3, 5, 15, 0))
		x = f.act("tiepnhan", x.Code, dossier.ActReturn, dossier.ActionInput{})
		eq(t, "status at the end", x.Status, dossier.Returned)

		v, err := f.svc.Get(ctx, f.actors["lanhdao"], x.Code)
		if err != nil {
			t.Fatal(err)
		}
		var actions []string
		for _, e := range v.Events {
			actions = append(actions, string(e.Action))
		}
		eq(t, "events", strings.Join(actions, ","), "receive,forward,assign,request_supplement,supplement,transfer,transfer_back,submit,approve,issue,return")
		type row struct {
			name    string
			agency  string
			due     time.Time
			outcome dossier.Outcome
		}
		want := []row{
			{"Tiếp nhận hồ sơ", "ward", at(2026, 3, 2, 14, 0), dossier.OnTime},
			{"Thẩm định hồ sơ", "ward", at(2026, 3, 5, 15, 0), dossier.Early}, // moved by the 16 hours waited
			{"Liên thông: Thuế tỉnh Hà Tĩnh", "tax", at(2026, 3, 5, 10, 30), dossier.OnTime},
			{"Thẩm định hồ sơ", "ward", at(2026, 3, 6, 15, 0), dossier.Early},
			{"Phê duyệt", "ward", at(2026, 3, 5, 16, 0), dossier.OnTime},
			{"Trả kết quả", "ward", at(2026, 3, 5, 17, 0), dossier.OnTime},
		}
		if len(v.Steps) != len(want) {
			t.Fatalf("%d steps, want %d: %+v", len(v.Steps), len(want), v.Steps)
		}
		for i, w := range want {
			s := v.Steps[i]
			if s.Name != w.name || s.AgencyID != f.agencies[w.agency] || !s.DueAt.Equal(w.due) || s.Outcome != w.outcome || s.FinishedAt == nil {
				t.Errorf("step %d = %s at %s due %s %s, want %s at %s due %s %s", i+1, s.Name, s.AgencyID, s.DueAt.In(time.UTC), s.Outcome,
					w.name, w.agency, w.due.In(time.UTC), w.outcome)
			}
		}
		rep, err := f.audit.Verify(ctx)
		if err != nil || rep.Problem != nil {
			t.Fatalf("audit chain: %+v %v", rep, err)
		}
	})
}

// TestTransitionsAreCheckedByRoleAgencyAndState: a refused action changes
// nothing.
func TestTransitionsAreCheckedByRoleAgencyAndState(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		f := setup(t, d)
		ctx := context.Background()
		x := f.receive()
		cases := []struct {
			who    string
			action dossier.Action
			in     dossier.ActionInput
			code   apperr.Code
		}{
			{"chuyenvien", dossier.ActForward, dossier.ActionInput{}, apperr.Forbidden},       // wrong role for the step
			{"tiepnhan", dossier.ActSubmit, dossier.ActionInput{}, apperr.Conflict},           // wrong action for the step
			{"tiepnhan.khac", dossier.ActForward, dossier.ActionInput{}, apperr.Forbidden},    // another agency
			{"tiepnhan", dossier.ActReturn, dossier.ActionInput{}, apperr.Conflict},           // not processed yet
			{"tiepnhan", dossier.ActAccept, dossier.ActionInput{}, apperr.Conflict},           // already accepted
			{"lanhdao", dossier.ActStop, dossier.ActionInput{}, apperr.Invalid},               // needs a reason
			{"chuyenvien", dossier.ActStop, dossier.ActionInput{Note: "x"}, apperr.Forbidden}, // heads stop
			{"citizen", dossier.ActForward, dossier.ActionInput{}, apperr.Forbidden},
			{"lanhdao", dossier.Action("teleport"), dossier.ActionInput{}, apperr.NotFound},
		}
		for _, c := range cases {
			_, err := f.svc.Act(ctx, f.actors[c.who], x.Code, c.action, c.in)
			if !apperr.Is(err, c.code) {
				t.Errorf("%s by %s: %v, want %s", c.action, c.who, err, c.code)
			}
		}
		if _, err := f.svc.Act(ctx, nil, x.Code, dossier.ActForward, dossier.ActionInput{}); !apperr.Is(err, apperr.Unauthorized) {
			t.Errorf("anonymous: %v", err)
		}
		v, err := f.svc.Get(ctx, f.actors["tiepnhan"], x.Code)
		if err != nil {
			t.Fatal(err)
		}
		eq(t, "version after refused actions", v.Dossier.Version, x.Version)
		eq(t, "events after refused actions", len(v.Events), 1)
		// A stale version is refused as a conflict.
		if _, err := f.svc.Act(ctx, f.actors["tiepnhan"], x.Code, dossier.ActForward, dossier.ActionInput{Version: x.Version + 1}); !apperr.Is(err, apperr.Conflict) {
			t.Errorf("stale version: %v", err)
		}
	})
}

// TestApologyOnceAndLateness: a dossier about to be late gets a new date
// once; the second request is refused, and the outcome is still judged
// against the legal date.
func TestApologyOnceAndLateness(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		f := setup(t, d)
		ctx := context.Background()
		x := f.receive()
		apology := dossier.ActionInput{Note: "Chờ xác minh địa điểm kinh doanh", NewDueDate: "2026-03-10"}
		if _, err := f.svc.Act(ctx, f.actors["lanhdao"], x.Code, dossier.ActApologise, apology); !apperr.Is(err, apperr.Conflict) {
			t.Fatalf("apology three days early: %v", err)
		}
		f.act("tiepnhan", x.Code, dossier.ActForward, dossier.ActionInput{})
		f.clock.Set(at(2026, 3, 5, 16, 30)) // half an hour before the promised time
		got, err := f.svc.Get(ctx, f.actors["lanhdao"], x.Code)
		if err != nil || !got.Dossier.DueSoon || got.Dossier.Late {
			t.Fatalf("due soon = %v, late = %v, %v", got.Dossier.DueSoon, got.Dossier.Late, err)
		}
		if _, err := f.svc.Act(ctx, f.actors["lanhdao"], x.Code, dossier.ActApologise, dossier.ActionInput{Note: "x", NewDueDate: "2026-03-07"}); !apperr.Is(err, apperr.Invalid) {
			t.Fatalf("apology to a Saturday: %v", err)
		}
		x = f.act("lanhdao", x.Code, dossier.ActApologise, apology)
		eqTime(t, "new appointment", x.DueAt, at(2026, 3, 10, 17, 0))
		eqTime(t, "legal date kept", x.LegalDueAt, at(2026, 3, 5, 17, 0))
		if _, err := f.svc.Act(ctx, f.actors["lanhdao"], x.Code, dossier.ActApologise, dossier.ActionInput{Note: "lần nữa", NewDueDate: "2026-03-12"}); !apperr.Is(err, apperr.Conflict) ||
			!strings.Contains(apperr.MessageOf(err), "lần thứ hai") {
			t.Fatalf("second apology: %v", err)
		}
		f.clock.Set(at(2026, 3, 9, 9, 0))
		f.act("chuyenvien", x.Code, dossier.ActSubmit, dossier.ActionInput{})
		f.act("lanhdao", x.Code, dossier.ActApprove, dossier.ActionInput{})
		x = f.act("vanthu", x.Code, dossier.ActIssue, dossier.ActionInput{})
		eq(t, "outcome after the legal date", x.Outcome, dossier.Late)
	})
}

func TestMoreThanOneSupplementIsFlaggedAndLate(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		f := setup(t, d)
		x := f.receive()
		f.act("tiepnhan", x.Code, dossier.ActForward, dossier.ActionInput{})
		for i := 0; i < 2; i++ {
			f.act("chuyenvien", x.Code, dossier.ActRequestSupplement, dossier.ActionInput{Note: fmt.Sprint("lần ", i+1)})
			x = f.act("tiepnhan", x.Code, dossier.ActSupplement, dossier.ActionInput{})
		}
		if !x.ManySupplements {
			t.Error("two supplement requests are not flagged")
		}
		f.act("chuyenvien", x.Code, dossier.ActSubmit, dossier.ActionInput{})
		f.act("lanhdao", x.Code, dossier.ActApprove, dossier.ActionInput{})
		x = f.act("vanthu", x.Code, dossier.ActIssue, dossier.ActionInput{})
		eq(t, "outcome with two supplement requests", x.Outcome, dossier.Late)
	})
}

func TestPaymentStopsTheClock(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		f := setup(t, d)
		ctx := context.Background()
		x := f.receive()
		f.act("tiepnhan", x.Code, dossier.ActForward, dossier.ActionInput{})
		f.clock.Set(at(2026, 3, 2, 14, 0))
		x = f.act("chuyenvien", x.Code, dossier.ActRequestPayment, dossier.ActionInput{})
		eq(t, "status", x.Status, dossier.PaymentRequested)
		f.clock.Set(at(2026, 3, 3, 14, 0)) // paid a working day later
		if _, err := f.svc.Act(ctx, f.actors["tiepnhan"], x.Code, dossier.ActPay, dossier.ActionInput{Amount: 50000}); !apperr.Is(err, apperr.Invalid) {
			t.Fatalf("wrong amount: %v", err)
		}
		x = f.act("tiepnhan", x.Code, dossier.ActPay, dossier.ActionInput{Amount: 100000, Method: "cash", Reference: "BL-0001"})
		eq(t, "status after payment", x.Status, dossier.Processing)
		eq(t, "paid", x.PaidTotal, int64(100000))
		eqTime(t, "promised date moved by one working day", x.DueAt, at(2026, 3, 6, 17, 0))
	})
}

func TestOnlineFilingAcceptRefuseAndWithdrawal(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		f := setup(t, d)
		ctx := context.Background()
		in := dossier.CreateInput{ProcedureID: "p3", AgencyID: f.agencies["ward"], Channel: dossier.Portal, Applicant: f.applicant()}
		online, err := f.svc.Create(ctx, f.actors["citizen"], in)
		if err != nil {
			t.Fatal(err)
		}
		eq(t, "status when filed", online.Status, dossier.New)
		if online.DueAt != nil {
			t.Error("an online dossier has a promised date before it is accepted")
		}
		// The officer accepts it on Tuesday after the 15:00 cut-off: the clock starts on Wednesday.
		f.clock.Set(at(2026, 3, 3, 15, 30))
		online = f.act("tiepnhan", online.Code, dossier.ActAccept, dossier.ActionInput{})
		eqTime(t, "promised date of a late-afternoon receipt", online.DueAt, at(2026, 3, 9, 17, 0))
		// The citizen asks to withdraw; the head agrees.
		online = f.act("citizen", online.Code, dossier.ActRequestWithdrawal, dossier.ActionInput{Note: "Không còn nhu cầu"})
		eq(t, "status", online.Status, dossier.WithdrawalRequested)
		online = f.act("lanhdao", online.Code, dossier.ActWithdraw, dossier.ActionInput{})
		eq(t, "status after withdrawal", online.Status, dossier.Stopped)

		second, err := f.svc.Create(ctx, f.actors["citizen"], in)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := f.svc.Act(ctx, f.actors["tiepnhan"], second.Code, dossier.ActRefuse, dossier.ActionInput{}); !apperr.Is(err, apperr.Invalid) {
			t.Fatalf("refusal without reason: %v", err)
		}
		second = f.act("tiepnhan", second.Code, dossier.ActRefuse, dossier.ActionInput{Note: "Thủ tục không thuộc thẩm quyền"})
		eq(t, "status after refusal", second.Status, dossier.Refused)
		// A citizen cannot file at the counter, nor for someone else's account.
		if _, err := f.svc.Create(ctx, f.actors["citizen"], dossier.CreateInput{ProcedureID: "p3", Channel: dossier.Counter, Applicant: f.applicant()}); !apperr.Is(err, apperr.Forbidden) {
			t.Fatalf("citizen at the counter: %v", err)
		}
		mine, err := f.svc.List(ctx, f.actors["citizen"], dossier.Filter{Mine: true})
		if err != nil || len(mine) != 2 {
			t.Fatalf("my dossiers: %d %v", len(mine), err)
		}
	})
}

// TestCodesHaveNoGapsUnderConcurrentReceipt: 64 officers receive at once.
func TestCodesHaveNoGapsUnderConcurrentReceipt(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		f := setup(t, d)
		const n = 64
		codes := make(chan string, n)
		var wg sync.WaitGroup
		for i := 0; i < n; i++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				x, err := f.svc.Create(context.Background(), f.actors["tiepnhan"], dossier.CreateInput{ProcedureID: "p3", Channel: dossier.Counter,
					Applicant: f.applicant()})
				if err != nil {
					t.Error(err)
					return
				}
				codes <- x.Code
			}()
		}
		wg.Wait()
		close(codes)
		seen := map[string]bool{}
		for c := range codes {
			if seen[c] {
				t.Errorf("duplicate code %s", c)
			}
			seen[c] = true
		}
		for i := 1; i <= n; i++ {
			if c := fmt.Sprintf("000.00.21.H25-260302-%04d", i); !seen[c] {
				t.Errorf("missing code %s", c)
			}
		}
	})
}

func TestQueues(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		f := setup(t, d)
		ctx := context.Background()
		a, b := f.receive(), f.receive()
		f.act("tiepnhan", a.Code, dossier.ActForward, dossier.ActionInput{})
		count := func(who string, q dossier.Queue) int {
			t.Helper()
			list, err := f.svc.List(ctx, f.actors[who], dossier.Filter{Queue: q})
			if err != nil {
				t.Fatal(err)
			}
			return len(list)
		}
		eq(t, "receiver's queue", count("tiepnhan", dossier.QueueProcess), 1) // b still at the receipt step
		for _, who := range []string{"tiepnhan", "chuyenvien", "lanhdao", "tiepnhan.khac"} {
			for _, q := range dossier.Queues() {
				n, err := f.svc.Count(ctx, f.actors[who], dossier.Filter{Queue: q})
				if err != nil || n != count(who, q) {
					t.Errorf("Count(%s, %s) = %d, %v; List gives %d", who, q, n, err, count(who, q))
				}
			}
		}
		eq(t, "specialist's queue", count("chuyenvien", dossier.QueueProcess), 1)
		eq(t, "head's queue", count("lanhdao", dossier.QueueApprove), 0)
		eq(t, "other ward sees nothing", count("tiepnhan.khac", dossier.QueueAll), 0)
		f.clock.Set(at(2026, 3, 6, 8, 0))
		eq(t, "late", count("lanhdao", dossier.QueueLate), 2)
		_ = b
		found, err := f.svc.List(ctx, f.actors["lanhdao"], dossier.Filter{Query: "khai sinh"})
		if err != nil || len(found) != 0 {
			t.Errorf("an unrelated query matched %d, %v", len(found), err)
		}
		found, err = f.svc.List(ctx, f.actors["lanhdao"], dossier.Filter{Query: "HỘ KINH DOANH"})
		if err != nil || len(found) != 2 {
			t.Errorf("search without diacritics found %d, %v", len(found), err)
		}
	})
}

func TestPublicStatusHasNoPersonalData(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		f := setup(t, d)
		x := f.receive()
		p, err := f.svc.Public(context.Background(), x.Code)
		if err != nil {
			t.Fatal(err)
		}
		out := fmt.Sprintf("%+v", p)
		for _, secret := range []string{"Nguyễn Văn An", "042090001234", "0912345678", "Hà Huy Tập"} {
			if strings.Contains(out, secret) {
				t.Errorf("public status shows %q", secret)
			}
		}
		if p.StatusLabel != "Được tiếp nhận" || len(p.Timeline) != 1 {
			t.Errorf("public status %+v", p)
		}
	})
}

func TestFilesAreCheckedAndStoredByContent(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		f := setup(t, d)
		ctx := context.Background()
		x := f.receive()
		pdf := "%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
		a, err := f.svc.AddFile(ctx, f.actors["tiepnhan"], x.Code, dossier.KindAttachment, "Giấy đề nghị", "de-nghi.pdf", strings.NewReader(pdf))
		if err != nil {
			t.Fatal(err)
		}
		b, err := f.svc.AddFile(ctx, f.actors["tiepnhan"], x.Code, dossier.KindAttachment, "Bản sao", "ban-sao.pdf", strings.NewReader(pdf))
		if err != nil || a.SHA256 != b.SHA256 {
			t.Fatalf("same content, different hashes: %v", err)
		}
		var blobs int
		if err := d.QueryRow(ctx, "SELECT COUNT(*) FROM blobs").Scan(&blobs); err != nil || blobs != 1 {
			t.Fatalf("%d blobs for one content: %v", blobs, err)
		}
		for name, content := range map[string]string{
			"virus.exe":  "MZ\x90\x00\x03\x00\x00\x00\x04\x00",
			"fake.pdf":   "<html><script>alert(1)</script></html>",
			"empty.pdf":  "",
			"script.pdf": "#!/bin/sh\nrm -rf /\n",
		} {
			if _, err := f.svc.AddFile(ctx, f.actors["tiepnhan"], x.Code, dossier.KindAttachment, "", name, strings.NewReader(content)); !apperr.Is(err, apperr.Invalid) {
				t.Errorf("%s accepted: %v", name, err)
			}
		}
		big := "%PDF-1.4\n" + strings.Repeat("0", 10<<20)
		if _, err := f.svc.AddFile(ctx, f.actors["tiepnhan"], x.Code, dossier.KindAttachment, "", "big.pdf", strings.NewReader(big)); !apperr.Is(err, apperr.Invalid) {
			t.Errorf("an 10 MB+ file was accepted: %v", err)
		}
		if _, err := f.svc.AddFile(ctx, f.actors["tiepnhan.khac"], x.Code, dossier.KindAttachment, "", "x.pdf", strings.NewReader(pdf)); !apperr.Is(err, apperr.Forbidden) {
			t.Errorf("another agency attached a file: %v", err)
		}
		got, data, err := f.svc.FileContent(ctx, f.actors["lanhdao"], x.Code, a.ID)
		if err != nil || string(data) != pdf || got.ContentType != "application/pdf" {
			t.Fatalf("read back: %v", err)
		}
	})
}
