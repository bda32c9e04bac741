package payment

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"sort"
	"strings"
	"time"

	"github.com/congso/congso/internal/apperr"
	"github.com/congso/congso/internal/db"
)

// Sandbox is the platform's own test gateway, for the demo and the tests. It
// plays the gateway's side of the protocol with the same signing code: it
// checks the signed payment request, shows a payment page (served by the
// web layer under /sandbox/pay, clearly marked as a test environment), and
// when the tester decides it records the transaction in its own ledger, calls
// the platform's IPN endpoint over HTTP — server to server, retrying a
// failed call as gateways do — and sends the browser back to the return URL
// with the signed result. It also answers querydr for reconciliation. No
// money moves.
type Sandbox struct {
	cfg      ProviderConfig
	db       *db.DB
	client   *http.Client
	now      func() time.Time
	log      *slog.Logger
	ipnURL   string
	attempts int
	backoff  time.Duration
}

// Sandbox decisions, as the buttons of its page send them.
const (
	DecideSuccess   = "success"    // Thanh toán thành công
	DecideCancel    = "cancel"     // Hủy
	DecideBankError = "bank_error" // Lỗi ngân hàng
)

// SandboxField is a signed request parameter the page carries back.
type SandboxField struct{ Name, Value string }

// SandboxOrder is a checked payment request, as the sandbox page shows it.
type SandboxOrder struct {
	TxnRef    string
	Amount    int64
	OrderInfo string
	ReturnURL string
	ExpiresAt time.Time
	// Fields are the request's parameters, to post back with the decision.
	Fields []SandboxField
}

func errSandboxRequest() error {
	return apperr.New(apperr.Invalid, "Yêu cầu thanh toán không hợp lệ (sai chữ ký hoặc thiếu thông tin).")
}

// Check verifies a payment request as the gateway would: the signature under
// the merchant's secret, the merchant code, the command, the currency, the
// amount, the return address, the expiry, and that the reference was not
// already paid or cancelled here.
func (g *Sandbox) Check(ctx context.Context, q url.Values) (SandboxOrder, error) {
	if checkSize(q) != nil || Verify(g.cfg.Secret, q) != nil {
		return SandboxOrder{}, errSandboxRequest()
	}
	if q.Get("vnp_TmnCode") != g.cfg.TmnCode || q.Get("vnp_Command") != CommandPay || q.Get("vnp_CurrCode") != CurrencyVND ||
		q.Get("vnp_Version") != Version || q.Get("vnp_TxnRef") == "" {
		return SandboxOrder{}, errSandboxRequest()
	}
	amount, err := parseAmount(q.Get("vnp_Amount"))
	if err != nil || amount <= 0 {
		return SandboxOrder{}, errSandboxRequest()
	}
	ret := q.Get("vnp_ReturnUrl")
	if !absoluteHTTP(ret) && !localPath(ret) {
		return SandboxOrder{}, errSandboxRequest()
	}
	expires, err := ParseGatewayTime(q.Get("vnp_ExpireDate"))
	if err != nil {
		return SandboxOrder{}, errSandboxRequest()
	}
	if g.now().After(expires) {
		return SandboxOrder{}, apperr.New(apperr.Conflict, "Giao dịch đã hết thời hạn thanh toán; hãy quay lại Cổng số và thanh toán lại.")
	}
	var n int
	if err := g.db.QueryRow(ctx, "SELECT COUNT(*) FROM payment_sandbox_txns WHERE txn_ref = ?", q.Get("vnp_TxnRef")).Scan(&n); err != nil {
		return SandboxOrder{}, apperr.Wrap(err, "read sandbox ledger")
	}
	if n > 0 {
		return SandboxOrder{}, apperr.New(apperr.Conflict, "Giao dịch này đã được xử lý tại cổng thanh toán thử nghiệm.")
	}
	o := SandboxOrder{TxnRef: q.Get("vnp_TxnRef"), Amount: amount, OrderInfo: q.Get("vnp_OrderInfo"), ReturnURL: ret,
		ExpiresAt: expires}
	for k, v := range q {
		if strings.HasPrefix(k, "vnp_") && len(v) == 1 {
			o.Fields = append(o.Fields, SandboxField{Name: k, Value: v[0]})
		}
	}
	sort.Slice(o.Fields, func(i, j int) bool { return o.Fields[i].Name < o.Fields[j].Name })
	return o, nil
}

// SandboxOutcome is what a decision led to.
type SandboxOutcome struct {
	// ReturnURL is where the browser goes next, with the signed result.
	ReturnURL string
	// Result holds the signed result parameters.
	Result url.Values
	// Attempts is how many times the IPN was called; Delivered whether the
	// platform took it (any answer but 99); RspCode its last answer.
	Attempts  int
	Delivered bool
	RspCode   string
}

// Decide carries out the tester's decision on a checked request.
func (g *Sandbox) Decide(ctx context.Context, q url.Values, decision string) (SandboxOutcome, error) {
	o, err := g.Check(ctx, q)
	if err != nil {
		return SandboxOutcome{}, err
	}
	code, status, bank := CodeSuccess, CodeSuccess, "NCB"
	switch decision {
	case DecideSuccess:
	case DecideCancel:
		code, status, bank = CodeCancelled, CodeTxnFailed, "VNPAY"
	case DecideBankError:
		code, status = CodeBankError, CodeTxnFailed
	default:
		return SandboxOutcome{}, apperr.Field("decision", "Hãy chọn kết quả giao dịch.")
	}
	now := g.now()
	var id int64
	err = g.db.Tx(ctx, func(tx *db.Tx) error {
		err := tx.QueryRow(ctx, `INSERT INTO payment_sandbox_txns (txn_ref, tmn_code, amount, order_info, response_code, transaction_status,
			transaction_no, bank_code, pay_date) VALUES (?, ?, ?, ?, ?, ?, '', ?, ?) RETURNING id`, o.TxnRef, g.cfg.TmnCode, o.Amount,
			o.OrderInfo, code, status, bank, now).Scan(&id)
		if db.IsUniqueViolation(err) {
			return apperr.New(apperr.Conflict, "Giao dịch này đã được xử lý tại cổng thanh toán thử nghiệm.")
		}
		if err != nil {
			return apperr.Wrap(err, "record sandbox transaction")
		}
		_, err = tx.Exec(ctx, "UPDATE payment_sandbox_txns SET transaction_no = ? WHERE id = ?", sandboxTxnNo(id), id)
		return apperr.Wrap(err, "number sandbox transaction")
	})
	if err != nil {
		return SandboxOutcome{}, err
	}
	res := url.Values{}
	res.Set("vnp_Amount", itoa(o.Amount*100))
	res.Set("vnp_BankCode", bank)
	if code == CodeSuccess {
		res.Set("vnp_BankTranNo", "VNP"+sandboxTxnNo(id))
		res.Set("vnp_CardType", "ATM")
	}
	res.Set("vnp_OrderInfo", o.OrderInfo)
	res.Set("vnp_PayDate", FormatGatewayTime(now))
	res.Set("vnp_ResponseCode", code)
	res.Set("vnp_TmnCode", g.cfg.TmnCode)
	res.Set("vnp_TransactionNo", sandboxTxnNo(id))
	res.Set("vnp_TransactionStatus", status)
	res.Set("vnp_TxnRef", o.TxnRef)
	res.Set(hashField, Sign(g.cfg.Secret, res))
	out := SandboxOutcome{Result: res}
	out.Attempts, out.Delivered, out.RspCode = g.deliver(ctx, res)
	if _, err := g.db.Exec(ctx, "UPDATE payment_sandbox_txns SET ipn_attempts = ?, ipn_rsp_code = ? WHERE id = ?", out.Attempts, out.RspCode,
		id); err != nil {
		g.log.ErrorContext(ctx, "sandbox gateway: record IPN delivery", "err", err)
	}
	sep := "?"
	if strings.Contains(o.ReturnURL, "?") {
		sep = "&"
	}
	out.ReturnURL = o.ReturnURL + sep + Canonical(res) + "&" + hashField + "=" + res.Get(hashField)
	return out, nil
}

func sandboxTxnNo(id int64) string { return fmt.Sprintf("%d", 14000000+id) }

// deliver calls the IPN URL with the result until the platform takes it,
// waiting longer after each failure.
func (g *Sandbox) deliver(ctx context.Context, res url.Values) (attempts int, delivered bool, rsp string) {
	target := g.ipnURL + "?" + Canonical(res) + "&" + hashField + "=" + res.Get(hashField)
	wait := g.backoff
	for attempts < g.attempts {
		if attempts > 0 {
			select {
			case <-ctx.Done():
				return attempts, false, rsp
			case <-time.After(wait):
			}
			wait *= 2
		}
		attempts++
		code, err := g.callIPN(ctx, target)
		if err != nil {
			g.log.WarnContext(ctx, "sandbox gateway: IPN call failed", "attempt", attempts, "err", err)
			rsp = ""
			continue
		}
		rsp = code
		if code != RspUnknownError {
			return attempts, true, rsp
		}
	}
	return attempts, false, rsp
}

func (g *Sandbox) callIPN(ctx context.Context, target string) (string, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, target, nil)
	if err != nil {
		return "", err
	}
	res, err := g.client.Do(req)
	if err != nil {
		return "", err
	}
	defer res.Body.Close()
	if res.StatusCode != http.StatusOK {
		return "", fmt.Errorf("HTTP %d", res.StatusCode)
	}
	var a IPNAnswer
	if err := json.NewDecoder(io.LimitReader(res.Body, 4096)).Decode(&a); err != nil {
		return "", fmt.Errorf("answer: %w", err)
	}
	if a.RspCode == "" {
		return "", errors.New("answer without RspCode")
	}
	return a.RspCode, nil
}

// ServeQuery answers querydr as the gateway does: a signed JSON request, a
// signed JSON answer (00 with the transaction, 91 when there is none, 97 for
// a bad signature).
func (g *Sandbox) ServeQuery(w http.ResponseWriter, r *http.Request) {
	var req queryRequest
	write := func(resp queryResponse) {
		resp.ResponseID, resp.Command, resp.TmnCode = requestID(), CommandQDR, g.cfg.TmnCode
		resp.SecureHash = mac(g.cfg.Secret, resp.hashData())
		w.Header().Set("Content-Type", "application/json; charset=utf-8")
		_ = json.NewEncoder(w).Encode(resp)
	}
	if err := json.NewDecoder(io.LimitReader(r.Body, 16<<10)).Decode(&req); err != nil {
		write(queryResponse{ResponseCode: "03", Message: "Invalid request"})
		return
	}
	if req.Command != CommandQDR || !equalMAC(req.SecureHash, mac(g.cfg.Secret, req.hashData())) {
		write(queryResponse{ResponseCode: "97", Message: "Invalid checksum"})
		return
	}
	if req.TmnCode != g.cfg.TmnCode {
		write(queryResponse{ResponseCode: "02", Message: "Merchant is not valid"})
		return
	}
	var amount int64
	var info, code, status, no, bank string
	var paid time.Time
	err := g.db.QueryRow(r.Context(), `SELECT amount, order_info, response_code, transaction_status, transaction_no, bank_code, pay_date
		FROM payment_sandbox_txns WHERE txn_ref = ?`, req.TxnRef).Scan(&amount, &info, &code, &status, &no, &bank, &paid)
	if errors.Is(err, sql.ErrNoRows) {
		write(queryResponse{ResponseCode: CodeNotFound, Message: "Transaction not found", TxnRef: req.TxnRef})
		return
	}
	if err != nil {
		g.log.ErrorContext(r.Context(), "sandbox gateway: querydr", "err", err)
		write(queryResponse{ResponseCode: "99", Message: "Unknown error", TxnRef: req.TxnRef})
		return
	}
	write(queryResponse{ResponseCode: CodeSuccess, Message: "QueryDR Success", TxnRef: req.TxnRef, Amount: itoa(amount * 100),
		OrderInfo: info, BankCode: bank, PayDate: FormatGatewayTime(paid), TransactionNo: no, TransactionType: "01",
		TransactionStatus: status})
}

// Label is how the sandbox is named on its page.
func (g *Sandbox) Label() string { return g.cfg.label() }

// TmnCode is the merchant code the sandbox serves.
func (g *Sandbox) TmnCode() string { return g.cfg.TmnCode }
