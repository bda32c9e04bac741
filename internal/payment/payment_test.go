package payment_test

import (
	"bytes"
	"context"
	"net/url"
	"os/exec"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/xuri/excelize/v2"

	"github.com/congso/congso/internal/apperr"
	"github.com/congso/congso/internal/calendar"
	"github.com/congso/congso/internal/db"
	"github.com/congso/congso/internal/db/dbtest"
	"github.com/congso/congso/internal/dossier"
	"github.com/congso/congso/internal/payment"
)

func TestPaymentThroughTheSandbox(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		f := setup(t, d)
		ctx := context.Background()
		before := f.awaitingPayment()
		// The citizen takes two working hours to pay: the clock stood still.
		f.clock.Set(f.clock.Now().Add(2 * time.Hour))

		p, q := f.start(before.Code)
		if p.Amount != fee || p.Status != payment.Pending || p.Provider != payment.ProviderSandbox {
			t.Fatalf("started %+v", p)
		}
		if q.Get("vnp_OrderInfo") != "Thanh toan ho so "+before.Code || strings.Contains(q.Encode(), "042090001234") {
			t.Errorf("order info %q (ASCII, no personal data)", q.Get("vnp_OrderInfo"))
		}
		order, err := f.pay.Sandbox().Check(ctx, q)
		if err != nil {
			t.Fatalf("the sandbox refused our request: %v", err)
		}
		if order.Amount != fee || order.TxnRef != p.TxnRef {
			t.Fatalf("sandbox shows %+v", order)
		}
		out := f.decide(q, payment.DecideSuccess)
		if !out.Delivered || out.RspCode != payment.RspConfirmed || out.Attempts != 1 {
			t.Fatalf("IPN delivery: %+v", out)
		}

		got := f.payment(p.ID)
		if got.Status != payment.Paid || got.PaidAt == nil || got.ProviderTxnNo == "" || got.BankCode != "NCB" || got.ReceiptNo != "0000001" {
			t.Fatalf("payment after the IPN: %+v", got)
		}
		after := f.dossier(before.Code)
		if after.Status != dossier.Processing || after.PaidTotal != fee || after.PausedAt != nil {
			t.Fatalf("dossier after payment: status %d, paid %d, paused %v", after.Status, after.PaidTotal, after.PausedAt)
		}
		if !after.DueAt.After(*before.DueAt) {
			t.Errorf("the clock did not restart: due %v, was %v", after.DueAt, before.DueAt)
		}
		if n := f.count("SELECT COUNT(*) FROM dossier_payments WHERE dossier_id = ? AND method = 'online' AND reference = ? AND amount = ?",
			after.ID, p.TxnRef, fee); n != 1 {
			t.Errorf("%d dossier payment rows", n)
		}
		if n := f.count("SELECT COUNT(*) FROM audit_log WHERE action = 'payment.confirm' AND object_id = ? AND actor_id = 'system:payment'",
			p.ID); n != 1 {
			t.Errorf("%d audit entries of the confirmation", n)
		}
		if n := f.count("SELECT COUNT(*) FROM audit_log WHERE action = 'dossier.pay' AND actor_id = 'system:payment'"); n != 1 {
			t.Errorf("%d audit entries of the dossier's payment", n)
		}
		evs, err := f.pay.Events(ctx, f.actors["tiepnhan"], p.ID)
		if err != nil || len(evs) != 1 || evs[0].Verdict != payment.VerdictConfirmed || evs[0].Params["vnp_TxnRef"] != p.TxnRef {
			t.Fatalf("callback log %+v, %v", evs, err)
		}

		// The browser's return shows the result and changes nothing.
		ret, err := url.Parse(out.ReturnURL)
		if err != nil || !strings.HasPrefix(out.ReturnURL, "https://dichvucong.hatinh.example"+payment.ReturnPath+"sandbox?") {
			t.Fatalf("return URL %s", out.ReturnURL)
		}
		view, err := f.pay.Return(ctx, payment.ProviderSandbox, ret.Query())
		if err != nil || view.Payment.Status != payment.Paid || !view.GatewaySuccess {
			t.Fatalf("return: %+v, %v", view, err)
		}

		// The receipt, for the payer and for the agency's officials.
		var pdf bytes.Buffer
		if err := f.pay.Receipt(ctx, f.actors["citizen"], p.ID, &pdf); err != nil {
			t.Fatal(err)
		}
		if !bytes.HasPrefix(pdf.Bytes(), []byte("%PDF-")) {
			t.Fatalf("receipt is not a PDF: %q", pdf.Bytes()[:min(20, pdf.Len())])
		}
		if err := f.pay.Receipt(ctx, f.actors["chuyenvien"], p.ID, &bytes.Buffer{}); err != nil {
			t.Errorf("an official of the agency cannot download the receipt: %v", err)
		}
		for _, who := range []string{"neighbour", "khac"} {
			if err := f.pay.Receipt(ctx, f.actors[who], p.ID, &bytes.Buffer{}); !apperr.Is(err, apperr.Forbidden) {
				t.Errorf("%s downloads the receipt: %v", who, err)
			}
		}
		text := pdfText(t, pdf.Bytes())
		for _, want := range []string{"BIÊN LAI THU PHÍ, LỆ PHÍ", "Ủy ban nhân dân phường Thành Sen", "Nguyễn Văn An", before.Code,
			"Đăng ký thành lập hộ kinh doanh", "150.000 đồng", "Một trăm năm mươi nghìn đồng", got.ProviderTxnNo, "HT-26E", "0000001"} {
			if !strings.Contains(text, want) {
				t.Errorf("receipt lacks %q:\n%s", want, text)
			}
		}

		// Paid: no second payment can start.
		if _, err := f.pay.Start(ctx, f.actors["citizen"], payment.StartInput{DossierCode: before.Code}, ""); !apperr.Is(err, apperr.Conflict) {
			t.Errorf("second start: %v", err)
		}
	})
}

func pdfText(t *testing.T, pdf []byte) string {
	t.Helper()
	tool, err := exec.LookPath("pdftotext")
	if err != nil {
		dbtest.Skip(t, "reading PDF text needs pdftotext (apt-get install poppler-utils)")
	}
	cmd := exec.Command(tool, "-enc", "UTF-8", "-", "-")
	cmd.Stdin = bytes.NewReader(pdf)
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("pdftotext: %v", err)
	}
	return strings.Join(strings.Fields(string(out)), " ")
}

func TestWhoMayStartAPayment(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		f := setup(t, d)
		ctx := context.Background()
		x := f.awaitingPayment()
		for who, want := range map[string]apperr.Code{"neighbour": apperr.Forbidden, "tiepnhan": apperr.Forbidden, "khac": apperr.Forbidden} {
			_, err := f.pay.Start(ctx, f.actors[who], payment.StartInput{DossierCode: x.Code}, "")
			if !apperr.Is(err, want) {
				t.Errorf("%s starts a payment: %v, want %s", who, err, want)
			}
		}
		if _, err := f.pay.Start(ctx, nil, payment.StartInput{DossierCode: x.Code}, ""); !apperr.Is(err, apperr.Unauthorized) {
			t.Errorf("anonymous: %v", err)
		}
		if _, err := f.pay.Start(ctx, f.actors["citizen"], payment.StartInput{DossierCode: x.Code, Provider: "paypal"}, ""); !apperr.Is(err, apperr.Invalid) {
			t.Errorf("unknown provider: %v", err)
		}
		// A dossier not waiting for payment.
		y, err := f.dos.Create(ctx, f.actors["citizen"], dossier.CreateInput{ProcedureID: "p", Channel: dossier.Portal,
			Applicant: dossier.Applicant{Kind: "citizen", Name: "Nguyễn Văn An", IDNumber: "042090001234"}})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := f.pay.Start(ctx, f.actors["citizen"], payment.StartInput{DossierCode: y.Code}, ""); !apperr.Is(err, apperr.Conflict) {
			t.Errorf("state 1: %v", err)
		}
		if n := f.count("SELECT COUNT(*) FROM payments"); n != 0 {
			t.Errorf("%d payments recorded by refused starts", n)
		}
		// Attempts pile up to a bound.
		for i := 0; i < 5; i++ {
			f.start(x.Code)
		}
		if _, err := f.pay.Start(ctx, f.actors["citizen"], payment.StartInput{DossierCode: x.Code}, ""); !apperr.Is(err, apperr.TooMany) {
			t.Errorf("sixth pending attempt: %v", err)
		}
	})
}

// assertUnchanged checks that nothing was recorded on the dossier and the
// payment is still pending.
func (f *fixture) assertUnchanged(code, paymentID string) {
	f.t.Helper()
	x := f.dossier(code)
	if x.Status != dossier.PaymentRequested || x.PaidTotal != 0 || x.PausedAt == nil {
		f.t.Errorf("dossier changed: status %d, paid %d, paused %v", x.Status, x.PaidTotal, x.PausedAt)
	}
	if p := f.payment(paymentID); p.Status != payment.Pending {
		f.t.Errorf("payment is %s", p.Status)
	}
	if n := f.count("SELECT COUNT(*) FROM dossier_payments"); n != 0 {
		f.t.Errorf("%d dossier payments", n)
	}
}

func (f *fixture) lastEvent(txnRef string) (verdict, rsp, params string) {
	f.t.Helper()
	err := f.db.QueryRow(context.Background(), "SELECT verdict, rsp_code, params FROM payment_events WHERE txn_ref = ? ORDER BY id DESC LIMIT 1",
		txnRef).Scan(&verdict, &rsp, &params)
	if err != nil {
		f.t.Fatalf("callback log of %s: %v", txnRef, err)
	}
	return
}

func TestForgedCallbacksAreRefusedAndLogged(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		f := setup(t, d)
		x := f.awaitingPayment()
		p, _ := f.start(x.Code)

		forged := signed(p, "00", fee)
		forged.Set("vnp_SecureHash", payment.Sign("a guessed secret", forged))
		if a := f.ipn(forged); a.RspCode != payment.RspInvalidSignature {
			t.Fatalf("forged callback answered %+v", a)
		}
		f.assertUnchanged(x.Code, p.ID)
		verdict, rsp, params := f.lastEvent(p.TxnRef)
		if verdict != payment.VerdictInvalidSignature || rsp != "97" || !strings.Contains(params, forged.Get("vnp_SecureHash")) ||
			strings.Contains(params, sandboxSecret) {
			t.Errorf("logged %s %s %s", verdict, rsp, params)
		}
		// A genuine callback whose amount was edited in transit.
		edited := signed(p, "00", fee)
		edited.Set("vnp_Amount", "100")
		if a := f.ipn(edited); a.RspCode != payment.RspInvalidSignature {
			t.Fatalf("edited callback answered %+v", a)
		}
		f.assertUnchanged(x.Code, p.ID)
	})
}

func TestReplayedCallbackChangesNothing(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		f := setup(t, d)
		x := f.awaitingPayment()
		p, _ := f.start(x.Code)
		cb := signed(p, "00", fee)
		if a := f.ipn(cb); a.RspCode != payment.RspConfirmed || a.Message != "Confirm Success" {
			t.Fatalf("first delivery: %+v", a)
		}
		first := f.payment(p.ID)
		f.clock.Set(f.clock.Now().Add(time.Hour))
		for i := 0; i < 2; i++ {
			if a := f.ipn(cb); a.RspCode != payment.RspAlreadyConfirmed {
				t.Fatalf("replay %d: %+v", i+1, a)
			}
		}
		again := f.payment(p.ID)
		if !again.UpdatedAt.Equal(first.UpdatedAt) || again.ReceiptNo != first.ReceiptNo {
			t.Errorf("the replay changed the payment: %+v → %+v", first, again)
		}
		if y := f.dossier(x.Code); y.PaidTotal != fee || y.Status != dossier.Processing {
			t.Errorf("dossier: paid %d, status %d", y.PaidTotal, y.Status)
		}
		if n := f.count("SELECT COUNT(*) FROM dossier_payments"); n != 1 {
			t.Errorf("%d dossier payments", n)
		}
		if n := f.count("SELECT COUNT(*) FROM payment_events WHERE txn_ref = ? AND verdict = ?", p.TxnRef, payment.VerdictAlreadyConfirmed); n != 2 {
			t.Errorf("%d replays logged", n)
		}
		// A late failure report for a settled payment changes nothing either.
		if a := f.ipn(signed(p, "24", fee)); a.RspCode != payment.RspAlreadyConfirmed {
			t.Errorf("late cancellation: %+v", a)
		}
		if f.payment(p.ID).Status != payment.Paid {
			t.Errorf("a late cancellation undid the payment")
		}
	})
}

func TestWrongAmountAndUnknownOrder(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		f := setup(t, d)
		x := f.awaitingPayment()
		p, _ := f.start(x.Code)
		if a := f.ipn(signed(p, "00", fee-50_000)); a.RspCode != payment.RspInvalidAmount {
			t.Fatalf("wrong amount answered %+v", a)
		}
		f.assertUnchanged(x.Code, p.ID)
		if v, rsp, _ := f.lastEvent(p.TxnRef); v != payment.VerdictWrongAmount || rsp != "04" {
			t.Errorf("logged %s %s", v, rsp)
		}
		ghost := p
		ghost.TxnRef = "260302NOSUCHORDER"
		if a := f.ipn(signed(ghost, "00", fee)); a.RspCode != payment.RspOrderNotFound {
			t.Fatalf("unknown order answered %+v", a)
		}
		if v, rsp, _ := f.lastEvent(ghost.TxnRef); v != payment.VerdictUnknownOrder || rsp != "01" {
			t.Errorf("logged %s %s", v, rsp)
		}
		f.assertUnchanged(x.Code, p.ID)
		// The right amount still settles it afterwards.
		if a := f.ipn(signed(p, "00", fee)); a.RspCode != payment.RspConfirmed {
			t.Fatalf("genuine callback after the refusals: %+v", a)
		}
	})
}

func TestCallbackAfterTheDossierLeftState6(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		f := setup(t, d)
		ctx := context.Background()
		x := f.awaitingPayment()
		p, q := f.start(x.Code)
		// The head stops the dossier while the citizen is at the gateway.
		f.act("lanhdao", x.Code, dossier.ActStop, dossier.ActionInput{Note: "Hồ sơ không đủ điều kiện"})
		out := f.decide(q, payment.DecideSuccess)
		if !out.Delivered || out.RspCode != payment.RspAlreadyConfirmed {
			t.Fatalf("IPN: %+v", out)
		}
		y := f.dossier(x.Code)
		if y.Status != dossier.Stopped || y.PaidTotal != 0 {
			t.Errorf("dossier: status %d, paid %d", y.Status, y.PaidTotal)
		}
		got := f.payment(p.ID)
		if got.Status != payment.Failed || got.ProviderCode != "00" || got.ProviderTxnNo == "" || !strings.Contains(got.Note, "hoàn tiền") {
			t.Errorf("payment: %+v", got)
		}
		if n := f.count("SELECT COUNT(*) FROM dossier_payments"); n != 0 {
			t.Errorf("%d dossier payments", n)
		}
		if v, _, _ := f.lastEvent(p.TxnRef); v != payment.VerdictDossierRefused {
			t.Errorf("logged %s", v)
		}
		if n := f.count("SELECT COUNT(*) FROM audit_log WHERE action = 'payment.refuse' AND object_id = ?", p.ID); n != 1 {
			t.Errorf("%d audit entries of the refusal", n)
		}
		// Reconciliation shows the money to refund.
		rep, err := f.pay.Reconcile(ctx, f.actors["tiepnhan"], payment.ReconFilter{From: calendar.DateOf(f.clock.Now()),
			To: calendar.DateOf(f.clock.Now()), AgencyID: f.agencies["ward"]})
		if err != nil {
			t.Fatal(err)
		}
		if len(rep.Rows) != 1 || rep.Rows[0].Mismatch != payment.MismatchPaidNotRecorded || rep.Rows[0].ProviderState != payment.ProviderPaid {
			t.Fatalf("reconciliation: %+v", rep.Rows)
		}
	})
}

func TestConcurrentDuplicateCallbacks(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		f := setup(t, d)
		x := f.awaitingPayment()
		p, _ := f.start(x.Code)
		cb := signed(p, "00", fee)
		const n = 8
		answers := make([]payment.IPNAnswer, n)
		var wg sync.WaitGroup
		start := make(chan struct{})
		for i := range n {
			wg.Add(1)
			go func() {
				defer wg.Done()
				<-start
				answers[i] = f.pay.HandleIPN(context.Background(), payment.ProviderSandbox, cb, "198.51.100.1")
			}()
		}
		close(start)
		wg.Wait()
		confirmed, replays := 0, 0
		for _, a := range answers {
			switch a.RspCode {
			case payment.RspConfirmed:
				confirmed++
			case payment.RspAlreadyConfirmed:
				replays++
			default:
				t.Errorf("answer %+v", a)
			}
		}
		if confirmed != 1 || replays != n-1 {
			t.Fatalf("%d confirmed, %d replays", confirmed, replays)
		}
		if y := f.dossier(x.Code); y.PaidTotal != fee {
			t.Errorf("paid total %d", y.PaidTotal)
		}
		if c := f.count("SELECT COUNT(*) FROM dossier_payments"); c != 1 {
			t.Errorf("%d dossier payments", c)
		}
		if c := f.count("SELECT COUNT(*) FROM payment_events WHERE txn_ref = ?", p.TxnRef); c != n {
			t.Errorf("%d callbacks logged", c)
		}
	})
}

func TestReturnWithABadSignatureChangesNothing(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		f := setup(t, d)
		ctx := context.Background()
		x := f.awaitingPayment()
		p, _ := f.start(x.Code)
		ret := signed(p, "00", fee)
		ret.Set("vnp_SecureHash", payment.Sign("wrong", ret))
		if _, err := f.pay.Return(ctx, payment.ProviderSandbox, ret); !apperr.Is(err, apperr.Invalid) {
			t.Fatalf("forged return: %v", err)
		}
		f.assertUnchanged(x.Code, p.ID)
		// Even a genuine return leaves the payment to the IPN.
		view, err := f.pay.Return(ctx, payment.ProviderSandbox, signed(p, "00", fee))
		if err != nil || view.Payment.Status != payment.Pending || !view.GatewaySuccess {
			t.Fatalf("genuine return before the IPN: %+v, %v", view, err)
		}
		f.assertUnchanged(x.Code, p.ID)
		if n := f.count("SELECT COUNT(*) FROM payment_events"); n != 0 {
			t.Errorf("returns wrote %d callback log entries", n)
		}
	})
}

func TestCancelledAndFailedPayments(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		f := setup(t, d)
		ctx := context.Background()
		x := f.awaitingPayment()
		p1, q1 := f.start(x.Code)
		if out := f.decide(q1, payment.DecideCancel); out.RspCode != payment.RspConfirmed {
			t.Fatalf("cancel: %+v", out)
		}
		p2, q2 := f.start(x.Code)
		if out := f.decide(q2, payment.DecideBankError); out.RspCode != payment.RspConfirmed {
			t.Fatalf("bank error: %+v", out)
		}
		if s := f.payment(p1.ID).Status; s != payment.Cancelled {
			t.Errorf("cancelled payment is %s", s)
		}
		if s := f.payment(p2.ID).Status; s != payment.Failed {
			t.Errorf("failed payment is %s", s)
		}
		f.assertUnchanged(x.Code, f.startOnly(x.Code).ID)
		// The sandbox takes each reference once.
		if _, err := f.pay.Sandbox().Decide(ctx, q1, payment.DecideSuccess); !apperr.Is(err, apperr.Conflict) {
			t.Errorf("second decision on one reference: %v", err)
		}
		// An expired request is refused at the gateway.
		_, q3 := f.start(x.Code)
		f.clock.Set(f.clock.Now().Add(16 * time.Minute))
		if _, err := f.pay.Sandbox().Check(ctx, q3); !apperr.Is(err, apperr.Conflict) {
			t.Errorf("expired request: %v", err)
		}
		// A tampered request is refused at the gateway.
		_, q4 := f.start(x.Code)
		q4.Set("vnp_Amount", "100")
		if _, err := f.pay.Sandbox().Check(ctx, q4); !apperr.Is(err, apperr.Invalid) {
			t.Errorf("tampered request: %v", err)
		}
		_, list, err := f.pay.ForDossier(ctx, f.actors["citizen"], x.Code)
		if err != nil || len(list) != 5 {
			t.Fatalf("the citizen's payments: %d, %v", len(list), err)
		}
	})
}

// startOnly starts a payment and leaves it pending.
func (f *fixture) startOnly(code string) payment.Payment {
	p, _ := f.start(code)
	return p
}

func TestSandboxRetriesTheIPN(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		f := setup(t, d)
		x := f.awaitingPayment()
		_, q := f.start(x.Code)
		f.ipnDown.Store(true)
		out := f.decide(q, payment.DecideSuccess)
		if out.Delivered || out.Attempts != 3 || f.ipnHits.Load() != 3 {
			t.Fatalf("delivery to a platform that is down: %+v, %d hits", out, f.ipnHits.Load())
		}
		if y := f.dossier(x.Code); y.Status != dossier.PaymentRequested {
			t.Errorf("dossier status %d", y.Status)
		}
	})
}

func TestReconciliation(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		f := setup(t, d)
		ctx := context.Background()
		// A: paid and recorded — consistent.
		a := f.awaitingPayment()
		pa, qa := f.start(a.Code)
		f.decide(qa, payment.DecideSuccess)
		// B: paid at the gateway while the platform was down — never recorded.
		b := f.awaitingPayment()
		pb, qb := f.start(b.Code)
		f.ipnDown.Store(true)
		f.decide(qb, payment.DecideSuccess)
		f.ipnDown.Store(false)
		// C: cancelled at the gateway, then marked paid by hand in the
		// database — recorded but never paid.
		c := f.awaitingPayment()
		pc, qc := f.start(c.Code)
		f.decide(qc, payment.DecideCancel)
		if _, err := d.Exec(ctx, "UPDATE payments SET status = 'paid' WHERE id = ?", pc.ID); err != nil {
			t.Fatal(err)
		}
		// D: started, never taken to the gateway.
		pd, _ := f.start(c.Code)

		day := calendar.DateOf(f.clock.Now())
		ward := payment.ReconFilter{From: day, To: day, AgencyID: f.agencies["ward"]}
		rep, err := f.pay.Reconcile(ctx, f.actors["tiepnhan"], ward)
		if err != nil {
			t.Fatal(err)
		}
		byRef := map[string]payment.ReconRow{}
		for _, r := range rep.Rows {
			byRef[r.TxnRef] = r
		}
		for _, want := range []struct {
			p        payment.Payment
			state    string
			mismatch string
		}{
			{pa, payment.ProviderPaid, ""},
			{pb, payment.ProviderPaid, payment.MismatchPaidNotRecorded},
			{pc, payment.ProviderNotPaid, payment.MismatchRecordedNotPaid},
			{pd, payment.ProviderNotFound, ""},
		} {
			r, ok := byRef[want.p.TxnRef]
			if !ok {
				t.Errorf("%s missing from the reconciliation", want.p.TxnRef)
				continue
			}
			if r.ProviderState != want.state || r.Mismatch != want.mismatch {
				t.Errorf("%s: provider %s, mismatch %q; want %s, %q", want.p.TxnRef, r.ProviderState, r.Mismatch, want.state, want.mismatch)
			}
		}
		if rep.Count != 4 || rep.Mismatches != 2 || rep.PaidCount != 2 || rep.PaidTotal != 2*fee {
			t.Errorf("totals: %d rows, %d mismatches, %d paid for %d", rep.Count, rep.Mismatches, rep.PaidCount, rep.PaidTotal)
		}
		if r := byRef[pa.TxnRef]; !r.DossierRecorded || r.ProviderAmount != fee || r.ProviderTxnNoQ == "" {
			t.Errorf("consistent row: %+v", r)
		}
		if r := byRef[pb.TxnRef]; r.MismatchLabel == "" || r.Status != payment.Pending {
			t.Errorf("unrecorded row: %+v", r)
		}

		// Without asking the gateway, the platform's own records still show C.
		own := ward
		own.SkipProvider = true
		rep, err = f.pay.Reconcile(ctx, f.actors["tiepnhan"], own)
		if err != nil {
			t.Fatal(err)
		}
		if rep.Mismatches != 1 {
			t.Errorf("own records: %d mismatches", rep.Mismatches)
		}

		// Who may reconcile.
		for who, flt := range map[string]payment.ReconFilter{"citizen": ward, "khac": ward,
			"tiepnhan": {From: day, To: day}} {
			if _, err := f.pay.Reconcile(ctx, f.actors[who], flt); !apperr.Is(err, apperr.Forbidden) {
				t.Errorf("%s reconciles %q: %v", who, flt.AgencyID, err)
			}
		}
		all, err := f.pay.Reconcile(ctx, f.actors["tinh"], payment.ReconFilter{From: day, To: day})
		if err != nil || all.Count != 4 {
			t.Errorf("province-wide: %d rows, %v", all.Count, err)
		}
		empty, err := f.pay.Reconcile(ctx, f.actors["tinh"], payment.ReconFilter{From: day.AddDays(1), To: day.AddDays(2)})
		if err != nil || empty.Count != 0 || empty.Rows == nil {
			t.Errorf("an empty period: %+v, %v", empty, err)
		}
		if _, err := f.pay.Reconcile(ctx, f.actors["tinh"], payment.ReconFilter{From: day, To: day.AddDays(-1)}); !apperr.Is(err, apperr.Invalid) {
			t.Errorf("reversed period: %v", err)
		}

		// The spreadsheet.
		var buf bytes.Buffer
		if err := f.pay.ReconcileXLSX(ctx, f.actors["tiepnhan"], ward, &buf); err != nil {
			t.Fatal(err)
		}
		x, err := excelize.OpenReader(&buf)
		if err != nil {
			t.Fatal(err)
		}
		defer x.Close()
		rows, err := x.GetRows("Đối soát")
		if err != nil {
			t.Fatal(err)
		}
		if len(rows) != 5+4 {
			t.Fatalf("%d rows in the workbook", len(rows))
		}
		found := false
		for _, r := range rows[5:] {
			if len(r) > 13 && r[1] == pb.TxnRef && r[13] == payment.MismatchLabel(payment.MismatchPaidNotRecorded) {
				found = true
			}
		}
		if !found {
			t.Errorf("the workbook does not flag %s: %v", pb.TxnRef, rows)
		}
	})
}
