package payment

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/congso/congso/internal/actor"
	"github.com/congso/congso/internal/apperr"
	"github.com/congso/congso/internal/audit"
	"github.com/congso/congso/internal/db"
	"github.com/congso/congso/internal/dossier"
)

// Service takes fees online: it starts payments at a gateway, settles them
// from the gateway's verified callbacks (recording the payment on the dossier
// in the same transaction), reconciles them with the gateway and prints the
// receipts.
type Service struct {
	db        *db.DB
	audit     *audit.Log
	dossiers  Dossiers
	agencies  Agencies
	now       func() time.Time
	log       *slog.Logger
	cfg       Config
	providers map[string]Provider
	order     []string
	sandbox   *Sandbox
}

// Deps are what the service is built from.
type Deps struct {
	DB       *db.DB
	Audit    *audit.Log
	Dossiers Dossiers
	Agencies Agencies
	Now      func() time.Time
	Log      *slog.Logger
	// HTTPClient makes the calls to the gateways (querydr) and the sandbox
	// gateway's calls to the IPN endpoint; nil means a client with a
	// 15-second timeout.
	HTTPClient *http.Client
}

// New returns the payment service.
func New(d Deps, cfg Config) (*Service, error) {
	cfg.defaults()
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if d.Now == nil {
		d.Now = time.Now
	}
	if d.Log == nil {
		d.Log = slog.New(slog.DiscardHandler)
	}
	if d.HTTPClient == nil {
		d.HTTPClient = &http.Client{Timeout: 15 * time.Second}
	}
	s := &Service{db: d.DB, audit: d.Audit, dossiers: d.Dossiers, agencies: d.Agencies, now: d.Now, log: d.Log, cfg: cfg,
		providers: map[string]Provider{}}
	for _, pc := range cfg.Providers {
		s.providers[pc.Name] = NewVNPay(pc, d.HTTPClient, d.Now, cfg.ServerIP)
		s.order = append(s.order, pc.Name)
		if pc.Name == ProviderSandbox {
			s.sandbox = &Sandbox{cfg: pc, db: d.DB, client: d.HTTPClient, now: d.Now, log: d.Log,
				ipnURL: cfg.IPNBaseURL + IPNPath(ProviderSandbox), attempts: cfg.SandboxAttempts, backoff: cfg.SandboxBackoff}
		}
	}
	return s, nil
}

// ProviderInfo names a gateway offered to citizens.
type ProviderInfo struct {
	Name  string `json:"name"`
	Label string `json:"label"`
	// Sandbox marks the test gateway: no real money moves.
	Sandbox bool `json:"sandbox"`
}

// Providers lists the gateways offered, in order.
func (s *Service) Providers() []ProviderInfo {
	out := make([]ProviderInfo, 0, len(s.order))
	for _, n := range s.order {
		out = append(out, ProviderInfo{Name: n, Label: s.providers[n].Label(), Sandbox: n == ProviderSandbox})
	}
	return out
}

// Enabled reports whether any gateway is configured.
func (s *Service) Enabled() bool { return len(s.order) > 0 }

// Sandbox is the platform's test gateway, nil when it is not configured.
func (s *Service) Sandbox() *Sandbox { return s.sandbox }

// systemActor is who records a gateway's confirmation on a dossier.
func systemActor() *actor.Actor { return actor.SystemActor("payment") }

// StartInput asks to pay what a dossier asks.
type StartInput struct {
	DossierCode string `json:"dossier_code"`
	// Provider is the gateway's name; it may be left out when there is one.
	Provider string `json:"provider"`
}

// Started is a new payment with the address of the gateway's page.
type Started struct {
	Payment     Payment `json:"payment"`
	RedirectURL string  `json:"redirect_url"`
}

// maxOpenAttempts bounds a dossier's pending attempts still within their time.
const maxOpenAttempts = 5

func (s *Service) provider(name string) (Provider, string, error) {
	if len(s.order) == 0 {
		return nil, "", apperr.New(apperr.Conflict, "Thanh toán trực tuyến chưa được bật trên hệ thống.")
	}
	if name == "" && len(s.order) == 1 {
		name = s.order[0]
	}
	p, ok := s.providers[name]
	if !ok {
		return nil, "", apperr.Field("provider", "Hãy chọn cổng thanh toán.")
	}
	return p, name, nil
}

func newTxnRef(now time.Time) string {
	return now.In(vietnamTime).Format("060102") + strings.ToUpper(db.NewID()[:10])
}

// orderInfo is vnp_OrderInfo: ASCII, and nothing personal.
func orderInfo(code string) string { return "Thanh toan ho so " + code }

// Start opens a payment of what the dossier asks (its fees less what was
// paid) at the gateway. Only the dossier's applicant — the citizen or
// organisation account that filed it — may, and only while the dossier
// waits for payment (state 6).
func (s *Service) Start(ctx context.Context, by *actor.Actor, in StartInput, clientIP string) (Started, error) {
	if by == nil {
		return Started{}, apperr.New(apperr.Unauthorized, "Bạn cần đăng nhập.")
	}
	if by.Kind != actor.Citizen && by.Kind != actor.Organisation {
		return Started{}, actor.Deny(by, "Chỉ người nộp hồ sơ (công dân, tổ chức) được thanh toán trực tuyến.")
	}
	prov, name, err := s.provider(in.Provider)
	if err != nil {
		return Started{}, err
	}
	v, err := s.dossiers.Get(ctx, by, strings.TrimSpace(in.DossierCode))
	if err != nil {
		return Started{}, err
	}
	d := v.Dossier
	if d.Applicant.UserID == "" || d.Applicant.UserID != by.UserID {
		return Started{}, actor.Deny(by, "Chỉ người nộp hồ sơ được thanh toán phí, lệ phí của hồ sơ.")
	}
	if d.Status != dossier.PaymentRequested {
		return Started{}, apperr.New(apperr.Conflict, "Hồ sơ %s không có yêu cầu nộp phí, lệ phí (trạng thái: %s).", d.Code, d.Status.Label())
	}
	due := d.FeeTotal - d.PaidTotal
	if due <= 0 {
		return Started{}, apperr.New(apperr.Conflict, "Hồ sơ %s không còn khoản phí, lệ phí nào phải nộp.", d.Code)
	}
	now := db.Instant(s.now()).Truncate(time.Second)
	p := Payment{ID: db.NewID(), TxnRef: newTxnRef(now), DossierID: d.ID, DossierCode: d.Code, AgencyID: d.AgencyID, PayerID: by.UserID,
		Provider: name, Amount: due, Status: Pending, ExpiresAt: now.Add(s.cfg.Expire), CreatedAt: now, UpdatedAt: now}
	redirect, err := prov.Start(s.orderOf(p, clientIP))
	if err != nil {
		return Started{}, apperr.Wrap(err, "build the payment URL")
	}
	err = s.db.Tx(ctx, func(tx *db.Tx) error {
		n, err := countOpen(ctx, tx, d.ID, now)
		if err != nil {
			return err
		}
		if n >= maxOpenAttempts {
			return apperr.New(apperr.TooMany, "Hồ sơ %s đã có %d giao dịch đang chờ thanh toán; hãy hoàn tất một giao dịch hoặc chờ %d phút.",
				d.Code, n, int(s.cfg.Expire.Minutes()))
		}
		if err := insertPayment(ctx, tx, &p); err != nil {
			return err
		}
		return s.audit.Append(ctx, tx, by, audit.Event{Action: "payment.start", ObjectType: "payment", ObjectID: p.ID, AgencyID: d.AgencyID,
			Detail: map[string]any{"dossier": d.Code, "amount": p.Amount, "provider": name, "txn_ref": p.TxnRef}})
	})
	if err != nil {
		return Started{}, err
	}
	p.StatusLabel = p.Status.Label()
	return Started{Payment: p, RedirectURL: redirect}, nil
}

// orderOf is the gateway order of a payment.
func (s *Service) orderOf(p Payment, clientIP string) Order {
	return Order{TxnRef: p.TxnRef, Amount: p.Amount, Info: orderInfo(p.DossierCode), CreatedAt: p.CreatedAt, ExpiresAt: p.ExpiresAt,
		ClientIP: clientIP, ReturnURL: s.cfg.ReturnBaseURL + ReturnPath + p.Provider}
}

// IPNAnswer is the merchant's answer to a gateway's callback.
type IPNAnswer struct {
	RspCode string `json:"RspCode"`
	Message string `json:"Message"`
}

func answer(code, msg string) IPNAnswer { return IPNAnswer{RspCode: code, Message: msg} }

// flatten keeps a callback's parameters for the log, bounded in size.
func flatten(q url.Values) map[string]string {
	out := map[string]string{}
	for k, v := range q {
		if len(out) >= maxParams {
			break
		}
		if len(k) > 64 {
			k = k[:64]
		}
		val := ""
		if len(v) > 0 {
			val = v[0]
		}
		if len(val) > maxParamLen {
			val = val[:maxParamLen]
		}
		out[k] = val
	}
	return out
}

func clip(s string, n int) string {
	if len(s) > n {
		return s[:n]
	}
	return s
}

// HandleIPN settles a payment from a gateway's server-to-server callback. It
// checks, in order, the signature (in constant time), that the order exists,
// that the amount is the payment's, and that the payment is still pending; a
// replay of a settled callback answers 02 and changes nothing. A successful
// payment is recorded on the dossier through the dossier system, in the same
// transaction as the payment's own change; if the dossier no longer waits for
// it (it was stopped or withdrawn meanwhile, or its fees changed), the payment
// is marked failed with the reason and the dossier is left as it is — the
// money is then to be refunded (reconciliation shows it). Every callback,
// accepted or not, is written to the callback log.
func (s *Service) HandleIPN(ctx context.Context, providerName string, q url.Values, remoteIP string) IPNAnswer {
	now := db.Instant(s.now())
	ev := Event{At: now, Provider: clip(providerName, 20), Kind: KindIPN, TxnRef: clip(q.Get("vnp_TxnRef"), 100), Params: flatten(q),
		RemoteIP: clip(remoteIP, 64)}
	refuse := func(verdict, code, msg string) IPNAnswer {
		ev.Verdict, ev.RspCode = verdict, code
		if err := s.db.Tx(ctx, func(tx *db.Tx) error { return insertEvent(ctx, tx, ev) }); err != nil {
			s.log.ErrorContext(ctx, "payment: log a refused callback", "err", err)
		}
		s.log.WarnContext(ctx, "payment callback refused", "provider", ev.Provider, "verdict", verdict, "txn_ref", ev.TxnRef)
		return answer(code, msg)
	}
	prov, ok := s.providers[providerName]
	if !ok {
		return refuse(VerdictUnknownOrder, RspOrderNotFound, "Order not found")
	}
	res, err := prov.VerifyCallback(q)
	switch {
	case errors.Is(err, ErrSignature):
		return refuse(VerdictInvalidSignature, RspInvalidSignature, "Invalid signature")
	case err != nil:
		return refuse(VerdictMalformed, RspUnknownError, "Invalid request")
	}
	var out IPNAnswer
	err = s.db.Tx(ctx, func(tx *db.Tx) error {
		var err error
		out, err = s.settle(ctx, tx, providerName, res, &ev, now)
		if err != nil {
			return err
		}
		return insertEvent(ctx, tx, ev)
	})
	if err != nil {
		s.log.ErrorContext(ctx, "payment: settle a callback", "provider", providerName, "txn_ref", ev.TxnRef, "err", err)
		return refuse(VerdictError, RspUnknownError, "Unknown error")
	}
	if ev.Verdict != VerdictConfirmed && ev.Verdict != VerdictFailed && ev.Verdict != VerdictCancelled {
		s.log.WarnContext(ctx, "payment callback refused", "provider", ev.Provider, "verdict", ev.Verdict, "txn_ref", ev.TxnRef)
	}
	return out
}

// settle applies a verified callback inside the transaction and fills the
// log entry's verdict.
func (s *Service) settle(ctx context.Context, tx *db.Tx, provider string, res Result, ev *Event, now time.Time) (IPNAnswer, error) {
	verdict := func(v, code, msg string) (IPNAnswer, error) {
		ev.Verdict, ev.RspCode = v, code
		return answer(code, msg), nil
	}
	p, err := loadPayment(ctx, tx, "txn_ref", res.TxnRef, true)
	if apperr.Is(err, apperr.NotFound) || (err == nil && p.Provider != provider) {
		return verdict(VerdictUnknownOrder, RspOrderNotFound, "Order not found")
	}
	if err != nil {
		return IPNAnswer{}, err
	}
	ev.PaymentID = p.ID
	if res.Amount != p.Amount {
		return verdict(VerdictWrongAmount, RspInvalidAmount, "Invalid amount")
	}
	if p.Status != Pending {
		return verdict(VerdictAlreadyConfirmed, RspAlreadyConfirmed, "Order already confirmed")
	}
	p.ProviderCode, p.ProviderTxnNo, p.BankCode, p.CardType = clip(res.ResponseCode, 8), clip(res.TransactionNo, 64), clip(res.BankCode, 32),
		clip(res.CardType, 32)
	if !res.PayDate.IsZero() {
		t := db.Instant(res.PayDate)
		p.ProviderPaidAt = &t
	}
	p.UpdatedAt = now
	sys := systemActor()
	detail := map[string]any{"dossier": p.DossierCode, "amount": p.Amount, "txn_ref": p.TxnRef, "provider": provider,
		"provider_txn_no": p.ProviderTxnNo, "response_code": res.ResponseCode}
	if !res.Success() {
		p.Status, p.Note = Failed, "Cổng thanh toán báo giao dịch không thành công (mã "+clip(res.ResponseCode, 8)+")."
		v, action := VerdictFailed, "payment.fail"
		if res.ResponseCode == CodeCancelled {
			p.Status, p.Note, v, action = Cancelled, "Người nộp hủy giao dịch tại cổng thanh toán.", VerdictCancelled, "payment.cancel"
		}
		if err := saveOutcome(ctx, tx, &p); err != nil {
			return IPNAnswer{}, err
		}
		if err := s.audit.Append(ctx, tx, sys, audit.Event{Action: action, ObjectType: "payment", ObjectID: p.ID, AgencyID: p.AgencyID,
			Detail: detail}); err != nil {
			return IPNAnswer{}, err
		}
		return verdict(v, RspConfirmed, "Confirm Success")
	}
	// The dossier's part may be refused (it left state 6, its fees
	// changed); a savepoint undoes whatever it did before refusing, so that
	// the refusal itself can still be recorded.
	if _, err := tx.Exec(ctx, "SAVEPOINT payment_dossier"); err != nil {
		return IPNAnswer{}, apperr.Wrap(err, "savepoint")
	}
	_, actErr := s.dossiers.ActIn(ctx, tx, sys, p.DossierCode, dossier.ActPay,
		dossier.ActionInput{Amount: p.Amount, Method: "online", Reference: p.TxnRef})
	if actErr != nil {
		if apperr.CodeOf(actErr) == apperr.Internal {
			return IPNAnswer{}, actErr
		}
		if _, err := tx.Exec(ctx, "ROLLBACK TO SAVEPOINT payment_dossier"); err != nil {
			return IPNAnswer{}, apperr.Wrap(err, "rollback to savepoint")
		}
		p.Status, p.Note = Failed, "Đã trừ tiền tại cổng thanh toán nhưng hồ sơ không còn chờ nộp phí; cần hoàn tiền. "+apperr.MessageOf(actErr)
		if err := saveOutcome(ctx, tx, &p); err != nil {
			return IPNAnswer{}, err
		}
		detail["reason"] = apperr.MessageOf(actErr)
		if err := s.audit.Append(ctx, tx, sys, audit.Event{Action: "payment.refuse", ObjectType: "payment", ObjectID: p.ID, AgencyID: p.AgencyID,
			Detail: detail}); err != nil {
			return IPNAnswer{}, err
		}
		return verdict(VerdictDossierRefused, RspAlreadyConfirmed, "Order no longer awaiting payment")
	}
	if _, err := tx.Exec(ctx, "RELEASE SAVEPOINT payment_dossier"); err != nil {
		return IPNAnswer{}, apperr.Wrap(err, "release savepoint")
	}
	p.Status, p.PaidAt = Paid, &now
	if p.ReceiptNo, err = nextReceiptNo(ctx, tx, p.AgencyID, now.In(vietnamTime).Year()); err != nil {
		return IPNAnswer{}, err
	}
	if err := saveOutcome(ctx, tx, &p); err != nil {
		return IPNAnswer{}, err
	}
	detail["receipt_no"] = p.ReceiptNo
	if err := s.audit.Append(ctx, tx, sys, audit.Event{Action: "payment.confirm", ObjectType: "payment", ObjectID: p.ID, AgencyID: p.AgencyID,
		Detail: detail}); err != nil {
		return IPNAnswer{}, err
	}
	return verdict(VerdictConfirmed, RspConfirmed, "Confirm Success")
}

// ReturnView is what the browser's return from the gateway shows: the
// payment as the platform has it (only the IPN changes it) and what the
// gateway told the browser.
type ReturnView struct {
	Payment Payment `json:"payment"`
	// GatewaySuccess is the gateway's word to the browser; the payment counts
	// only once its IPN has confirmed it (Payment.Status paid).
	GatewaySuccess bool   `json:"gateway_success"`
	GatewayCode    string `json:"gateway_code"`
}

// Return reads the gateway's return of the browser. It verifies the
// signature and re-reads the payment; it never changes anything.
func (s *Service) Return(ctx context.Context, providerName string, q url.Values) (ReturnView, error) {
	prov, ok := s.providers[providerName]
	if !ok {
		return ReturnView{}, apperr.New(apperr.NotFound, "Không có cổng thanh toán này.")
	}
	res, err := prov.VerifyReturn(q)
	if err != nil {
		s.log.WarnContext(ctx, "payment return refused", "provider", providerName, "err", err)
		return ReturnView{}, apperr.New(apperr.Invalid,
			"Kết quả thanh toán nhận được không hợp lệ (sai chữ ký hoặc thiếu thông tin). Không có thay đổi nào được ghi nhận; hãy kiểm tra lại trạng thái hồ sơ.")
	}
	p, err := loadPayment(ctx, s.db, "txn_ref", res.TxnRef, false)
	if err != nil {
		return ReturnView{}, err
	}
	if p.Provider != providerName {
		return ReturnView{}, apperr.New(apperr.NotFound, "Không tìm thấy giao dịch thanh toán.")
	}
	s.decorate(&p)
	return ReturnView{Payment: p, GatewaySuccess: res.Success() && res.Amount == p.Amount, GatewayCode: res.ResponseCode}, nil
}

func (s *Service) decorate(p *Payment) {
	p.StatusLabel = p.Status.Label()
	p.Expired = p.Status == Pending && s.now().After(p.ExpiresAt)
}

// mayRead lets the payer and those who may read the dossier see a payment.
func (s *Service) mayRead(ctx context.Context, by *actor.Actor, p Payment) error {
	switch {
	case by == nil:
		return apperr.New(apperr.Unauthorized, "Bạn cần đăng nhập.")
	case by.IsSystem(), by.UserID == p.PayerID:
		return nil
	}
	_, err := s.dossiers.Get(ctx, by, p.DossierCode)
	return err
}

// Get reads a payment: for its payer, and for those who may read its dossier.
func (s *Service) Get(ctx context.Context, by *actor.Actor, id string) (Payment, error) {
	p, err := loadPayment(ctx, s.db, "id", id, false)
	if err != nil {
		return Payment{}, err
	}
	if err := s.mayRead(ctx, by, p); err != nil {
		return Payment{}, err
	}
	s.decorate(&p)
	return p, nil
}

// ForDossier reads a dossier and its payments, newest first, for those who
// may read the dossier.
func (s *Service) ForDossier(ctx context.Context, by *actor.Actor, code string) (dossier.Dossier, []Payment, error) {
	v, err := s.dossiers.Get(ctx, by, strings.TrimSpace(code))
	if err != nil {
		return dossier.Dossier{}, nil, err
	}
	list, err := listPayments(ctx, s.db, "dossier_id = ?", 200, v.Dossier.ID)
	if err != nil {
		return dossier.Dossier{}, nil, err
	}
	for i := range list {
		s.decorate(&list[i])
	}
	return v.Dossier, list, nil
}

// Events reads the callback log of a payment, for officials who may read its
// dossier.
func (s *Service) Events(ctx context.Context, by *actor.Actor, id string) ([]Event, error) {
	p, err := loadPayment(ctx, s.db, "id", id, false)
	if err != nil {
		return nil, err
	}
	if by == nil {
		return nil, apperr.New(apperr.Unauthorized, "Bạn cần đăng nhập.")
	}
	if !by.IsOfficial() {
		return nil, actor.Deny(by, "Nhật ký giao dịch chỉ dành cho cán bộ.")
	}
	if err := s.mayRead(ctx, by, p); err != nil {
		return nil, err
	}
	return events(ctx, s.db, p.TxnRef)
}
