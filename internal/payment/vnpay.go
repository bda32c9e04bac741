package payment

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha512"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"time"
	"unicode"

	"golang.org/x/text/unicode/norm"
)

// The signed-redirect-and-callback protocol of the Vietnamese payment
// gateways, as VNPAY publishes it (version 2.1.0, HMAC-SHA512):
//
//   - the merchant sends the browser to the gateway's payment page with the
//     order in vnp_* query parameters and vnp_SecureHash, the HMAC-SHA512 under
//     the shared secret of the other vnp_* parameters sorted by name and
//     URL-encoded as "k1=v1&k2=v2…";
//   - once the customer has paid (or given up), the gateway calls the
//     merchant's IPN URL server to server with the result signed the same way,
//     and the merchant answers {"RspCode": "00", "Message": "Confirm Success"}
//     (or another code); it also sends the browser back to vnp_ReturnUrl with
//     the same signed parameters, for display only;
//   - for reconciliation the merchant may ask the gateway for a transaction's
//     state (vnp_Command=querydr, JSON over HTTPS, signed over the fields
//     joined by "|").

// Protocol constants.
const (
	Version     = "2.1.0"
	CommandPay  = "pay"
	CommandQDR  = "querydr"
	CurrencyVND = "VND"

	// hashField and hashTypeField never take part in the signature.
	hashField     = "vnp_SecureHash"
	hashTypeField = "vnp_SecureHashType"

	// gatewayTime is the gateways' time format, in Vietnam's time (GMT+7).
	gatewayTime = "20060102150405"
)

// Response codes (vnp_ResponseCode, vnp_TransactionStatus) that matter here.
const (
	CodeSuccess   = "00" // giao dịch thành công
	CodeCancelled = "24" // khách hàng hủy giao dịch
	CodeBankError = "75" // ngân hàng thanh toán đang bảo trì
	CodeTxnFailed = "02" // vnp_TransactionStatus: giao dịch bị lỗi
	CodeNotFound  = "91" // querydr: không tìm thấy giao dịch
)

// IPN answers (RspCode) of the merchant to the gateway.
const (
	RspConfirmed        = "00" // Confirm Success
	RspOrderNotFound    = "01" // Order not found
	RspAlreadyConfirmed = "02" // Order already confirmed
	RspInvalidAmount    = "04" // Invalid amount
	RspInvalidSignature = "97" // Invalid signature
	RspUnknownError     = "99" // Unknown error
)

// vietnamTime is GMT+7 as a fixed zone, so that no tzdata is needed.
var vietnamTime = time.FixedZone("GMT+7", 7*3600)

// FormatGatewayTime writes t as the gateways want it: yyyyMMddHHmmss in GMT+7.
func FormatGatewayTime(t time.Time) string { return t.In(vietnamTime).Format(gatewayTime) }

// ParseGatewayTime reads a yyyyMMddHHmmss time in GMT+7.
func ParseGatewayTime(s string) (time.Time, error) {
	if len(s) != len(gatewayTime) {
		return time.Time{}, fmt.Errorf("gateway time %q: want yyyyMMddHHmmss", s)
	}
	t, err := time.ParseInLocation(gatewayTime, s, vietnamTime)
	if err != nil {
		return time.Time{}, fmt.Errorf("gateway time %q: %w", s, err)
	}
	return t, nil
}

// formEncode URL-encodes s as the gateways' reference code does (PHP's
// urlencode, Java's URLEncoder, .NET's WebUtility.UrlEncode agree on this
// subset): letters, digits and "-_." stay, a space becomes "+", every other
// byte becomes %XX in upper case. Go's url.QueryEscape differs on "~"; the
// characters on which the reference implementations disagree among
// themselves ("*", "!", "(", ")") never occur in what this package sends.
func formEncode(s string) string {
	const hexDigits = "0123456789ABCDEF"
	var b strings.Builder
	b.Grow(len(s) + 8)
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z', '0' <= c && c <= '9', c == '-', c == '_', c == '.':
			b.WriteByte(c)
		case c == ' ':
			b.WriteByte('+')
		default:
			b.WriteByte('%')
			b.WriteByte(hexDigits[c>>4])
			b.WriteByte(hexDigits[c&15])
		}
	}
	return b.String()
}

// Canonical is the string that is signed: the vnp_* parameters other than
// the hash fields, with a non-empty value, sorted by name (byte order), each
// as name=value URL-encoded, joined by "&". It is also the query string of
// the payment URL (before vnp_SecureHash). A parameter given twice is taken
// once, with its first value: the gateways never repeat one.
func Canonical(params url.Values) string {
	keys := make([]string, 0, len(params))
	for k, v := range params {
		if !strings.HasPrefix(k, "vnp_") || k == hashField || k == hashTypeField || len(v) == 0 || v[0] == "" {
			continue
		}
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var b strings.Builder
	for i, k := range keys {
		if i > 0 {
			b.WriteByte('&')
		}
		b.WriteString(formEncode(k))
		b.WriteByte('=')
		b.WriteString(formEncode(params[k][0]))
	}
	return b.String()
}

// mac is the lower-case hex HMAC-SHA512 of data under secret.
func mac(secret, data string) string {
	h := hmac.New(sha512.New, []byte(secret))
	h.Write([]byte(data))
	return hex.EncodeToString(h.Sum(nil))
}

// Sign returns vnp_SecureHash for the parameters.
func Sign(secret string, params url.Values) string { return mac(secret, Canonical(params)) }

// ErrSignature is returned for parameters whose signature does not verify.
var ErrSignature = errors.New("payment: invalid signature")

// ErrMalformed is returned for parameters that are signed correctly but do
// not make sense (an amount that is not a number, a missing reference).
var ErrMalformed = errors.New("payment: malformed parameters")

// equalMAC compares a received hex MAC with the expected one in constant
// time (hex case ignored, as the gateways send either).
func equalMAC(got, want string) bool {
	g, err1 := hex.DecodeString(strings.TrimSpace(got))
	w, err2 := hex.DecodeString(want)
	if err1 != nil || err2 != nil || len(w) == 0 {
		return false
	}
	return hmac.Equal(g, w)
}

// Verify checks vnp_SecureHash of the parameters.
func Verify(secret string, params url.Values) error {
	if secret == "" || !equalMAC(params.Get(hashField), Sign(secret, params)) {
		return ErrSignature
	}
	return nil
}

// Order is what the merchant asks the customer to pay.
type Order struct {
	TxnRef    string
	Amount    int64 // whole đồng
	Info      string
	CreatedAt time.Time
	ExpiresAt time.Time
	ClientIP  string
	ReturnURL string
}

// Result is a verified result sent back by a gateway (IPN or return).
type Result struct {
	TmnCode           string
	TxnRef            string
	Amount            int64 // whole đồng
	ResponseCode      string
	TransactionStatus string
	TransactionNo     string
	BankCode          string
	BankTranNo        string
	CardType          string
	PayDate           time.Time // zero when absent
	OrderInfo         string
}

// Success reports whether the gateway says the money was taken.
func (r Result) Success() bool {
	return r.ResponseCode == CodeSuccess && r.TransactionStatus == CodeSuccess
}

// QueryResult is a gateway's answer about a transaction.
type QueryResult struct {
	// Found is false when the gateway has no such transaction.
	Found bool
	Result
}

// maxParamLen bounds one parameter's value and maxParams their number, so
// that a junk callback cannot make us store or hash much.
const (
	maxParamLen = 512
	maxParams   = 40
)

// checkSize refuses oversized parameter sets.
func checkSize(q url.Values) error {
	if len(q) > maxParams {
		return ErrMalformed
	}
	for _, v := range q {
		if len(v) > 1 {
			return ErrMalformed
		}
		for _, s := range v {
			if len(s) > maxParamLen {
				return ErrMalformed
			}
		}
	}
	return nil
}

// parseAmount reads a gateway amount (đồng × 100).
func parseAmount(s string) (int64, error) {
	if s == "" || len(s) > 18 {
		return 0, ErrMalformed
	}
	for _, c := range s {
		if c < '0' || c > '9' {
			return 0, ErrMalformed
		}
	}
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil || n%100 != 0 {
		return 0, ErrMalformed
	}
	return n / 100, nil
}

// VNPay speaks the protocol to one merchant account (TMN code and secret) of
// a gateway: VNPAY itself, or the platform's sandbox.
type VNPay struct {
	name, label string
	cfg         ProviderConfig
	client      *http.Client
	now         func() time.Time
	serverIP    string
}

// NewVNPay returns the provider for the configuration.
func NewVNPay(cfg ProviderConfig, client *http.Client, now func() time.Time, serverIP string) *VNPay {
	if cfg.Version == "" {
		cfg.Version = Version
	}
	if cfg.OrderType == "" {
		cfg.OrderType = "other"
	}
	if serverIP == "" {
		serverIP = "127.0.0.1"
	}
	return &VNPay{name: cfg.Name, label: cfg.label(), cfg: cfg, client: client, now: now, serverIP: serverIP}
}

// Name is the provider's name in URLs and records.
func (v *VNPay) Name() string { return v.name }

// Label is the provider's name for people.
func (v *VNPay) Label() string { return v.label }

// Sandbox reports whether the provider is the platform's test gateway.
func (v *VNPay) Sandbox() bool { return v.cfg.Name == ProviderSandbox }

// asciiInfo makes what vnp_OrderInfo may carry: Vietnamese without its
// diacritics (đ → d), keeping ASCII letters, digits, spaces and ".-_:" only.
func asciiInfo(s string) string {
	var b strings.Builder
	for _, c := range norm.NFD.String(s) {
		switch {
		case c == 'đ':
			b.WriteByte('d')
		case c == 'Đ':
			b.WriteByte('D')
		case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z', '0' <= c && c <= '9', c == ' ', c == '.', c == '-', c == '_', c == ':':
			b.WriteRune(c)
		case unicode.Is(unicode.Mn, c):
		default:
			b.WriteByte(' ')
		}
	}
	out := strings.Join(strings.Fields(b.String()), " ")
	if len(out) > 255 {
		out = out[:255]
	}
	return out
}

// PayParams are the signed parameters of the payment URL for the order.
func (v *VNPay) PayParams(o Order) url.Values {
	q := url.Values{}
	q.Set("vnp_Version", v.cfg.Version)
	q.Set("vnp_Command", CommandPay)
	q.Set("vnp_TmnCode", v.cfg.TmnCode)
	q.Set("vnp_Amount", strconv.FormatInt(o.Amount*100, 10))
	q.Set("vnp_CurrCode", CurrencyVND)
	q.Set("vnp_TxnRef", o.TxnRef)
	q.Set("vnp_OrderInfo", asciiInfo(o.Info))
	q.Set("vnp_OrderType", v.cfg.OrderType)
	q.Set("vnp_Locale", "vn")
	q.Set("vnp_ReturnUrl", o.ReturnURL)
	ip := o.ClientIP
	if ip == "" {
		ip = v.serverIP
	}
	q.Set("vnp_IpAddr", ip)
	q.Set("vnp_CreateDate", FormatGatewayTime(o.CreatedAt))
	q.Set("vnp_ExpireDate", FormatGatewayTime(o.ExpiresAt))
	q.Set(hashField, Sign(v.cfg.Secret, q))
	return q
}

// Start returns the address of the gateway's payment page for the order.
func (v *VNPay) Start(o Order) (string, error) {
	if o.TxnRef == "" || o.Amount <= 0 || o.ReturnURL == "" {
		return "", fmt.Errorf("payment: order needs a reference, a positive amount and a return URL")
	}
	q := v.PayParams(o)
	sep := "?"
	if strings.Contains(v.cfg.PayURL, "?") {
		sep = "&"
	}
	// The query is the canonical string itself, then the hash, as the
	// gateways' reference code builds it.
	return v.cfg.PayURL + sep + Canonical(q) + "&" + hashField + "=" + q.Get(hashField), nil
}

// verify checks the signature and the merchant code of a result and reads it.
func (v *VNPay) verify(q url.Values) (Result, error) {
	if err := checkSize(q); err != nil {
		return Result{}, err
	}
	if err := Verify(v.cfg.Secret, q); err != nil {
		return Result{}, err
	}
	// A correct signature under our secret with another merchant's code
	// cannot come from the gateway for us.
	if q.Get("vnp_TmnCode") != v.cfg.TmnCode {
		return Result{}, ErrSignature
	}
	return readResult(q)
}

func readResult(q url.Values) (Result, error) {
	r := Result{TmnCode: q.Get("vnp_TmnCode"), TxnRef: q.Get("vnp_TxnRef"), ResponseCode: q.Get("vnp_ResponseCode"),
		TransactionStatus: q.Get("vnp_TransactionStatus"), TransactionNo: q.Get("vnp_TransactionNo"), BankCode: q.Get("vnp_BankCode"),
		BankTranNo: q.Get("vnp_BankTranNo"), CardType: q.Get("vnp_CardType"), OrderInfo: q.Get("vnp_OrderInfo")}
	if r.TxnRef == "" || r.ResponseCode == "" {
		return r, ErrMalformed
	}
	var err error
	if r.Amount, err = parseAmount(q.Get("vnp_Amount")); err != nil {
		return r, err
	}
	if s := q.Get("vnp_PayDate"); s != "" {
		if r.PayDate, err = ParseGatewayTime(s); err != nil {
			return r, ErrMalformed
		}
	}
	return r, nil
}

// VerifyReturn checks the parameters the browser brings back.
func (v *VNPay) VerifyReturn(q url.Values) (Result, error) { return v.verify(q) }

// VerifyCallback checks the parameters of a server-to-server notification.
func (v *VNPay) VerifyCallback(q url.Values) (Result, error) { return v.verify(q) }

// queryRequest is the body of a querydr call.
type queryRequest struct {
	RequestID       string `json:"vnp_RequestId"`
	Version         string `json:"vnp_Version"`
	Command         string `json:"vnp_Command"`
	TmnCode         string `json:"vnp_TmnCode"`
	TxnRef          string `json:"vnp_TxnRef"`
	OrderInfo       string `json:"vnp_OrderInfo"`
	TransactionNo   string `json:"vnp_TransactionNo,omitempty"`
	TransactionDate string `json:"vnp_TransactionDate"`
	CreateDate      string `json:"vnp_CreateDate"`
	IPAddr          string `json:"vnp_IpAddr"`
	SecureHash      string `json:"vnp_SecureHash"`
}

func (r *queryRequest) hashData() string {
	return strings.Join([]string{r.RequestID, r.Version, r.Command, r.TmnCode, r.TxnRef, r.TransactionDate, r.CreateDate, r.IPAddr,
		r.OrderInfo}, "|")
}

// queryResponse is the answer to a querydr call.
type queryResponse struct {
	ResponseID        string `json:"vnp_ResponseId"`
	Command           string `json:"vnp_Command"`
	ResponseCode      string `json:"vnp_ResponseCode"`
	Message           string `json:"vnp_Message"`
	TmnCode           string `json:"vnp_TmnCode"`
	TxnRef            string `json:"vnp_TxnRef"`
	Amount            string `json:"vnp_Amount"`
	OrderInfo         string `json:"vnp_OrderInfo"`
	BankCode          string `json:"vnp_BankCode"`
	PayDate           string `json:"vnp_PayDate"`
	TransactionNo     string `json:"vnp_TransactionNo"`
	TransactionType   string `json:"vnp_TransactionType"`
	TransactionStatus string `json:"vnp_TransactionStatus"`
	PromotionCode     string `json:"vnp_PromotionCode"`
	PromotionAmount   string `json:"vnp_PromotionAmount"`
	SecureHash        string `json:"vnp_SecureHash"`
}

func (r *queryResponse) hashData() string {
	return strings.Join([]string{r.ResponseID, r.Command, r.ResponseCode, r.Message, r.TmnCode, r.TxnRef, r.Amount, r.BankCode,
		r.PayDate, r.TransactionNo, r.TransactionType, r.TransactionStatus, r.OrderInfo, r.PromotionCode, r.PromotionAmount}, "|")
}

func requestID() string {
	var b [12]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

// Query asks the gateway for the state of the order's transaction.
func (v *VNPay) Query(ctx context.Context, o Order) (QueryResult, error) {
	if v.cfg.QueryURL == "" {
		return QueryResult{}, errors.New("payment: no query URL configured for " + v.name)
	}
	req := queryRequest{RequestID: requestID(), Version: v.cfg.Version, Command: CommandQDR, TmnCode: v.cfg.TmnCode, TxnRef: o.TxnRef,
		OrderInfo: asciiInfo("Truy van giao dich " + o.TxnRef), TransactionDate: FormatGatewayTime(o.CreatedAt),
		CreateDate: FormatGatewayTime(v.now()), IPAddr: v.serverIP}
	req.SecureHash = mac(v.cfg.Secret, req.hashData())
	body, err := json.Marshal(req)
	if err != nil {
		return QueryResult{}, err
	}
	hr, err := http.NewRequestWithContext(ctx, http.MethodPost, v.cfg.QueryURL, bytes.NewReader(body))
	if err != nil {
		return QueryResult{}, fmt.Errorf("payment: query %s: %w", v.name, err)
	}
	hr.Header.Set("Content-Type", "application/json")
	res, err := v.client.Do(hr)
	if err != nil {
		return QueryResult{}, fmt.Errorf("payment: query %s: %w", v.name, err)
	}
	defer res.Body.Close()
	if res.StatusCode != http.StatusOK {
		return QueryResult{}, fmt.Errorf("payment: query %s: HTTP %d", v.name, res.StatusCode)
	}
	var out queryResponse
	if err := json.NewDecoder(io.LimitReader(res.Body, 64<<10)).Decode(&out); err != nil {
		return QueryResult{}, fmt.Errorf("payment: query %s: %w", v.name, err)
	}
	if !equalMAC(out.SecureHash, mac(v.cfg.Secret, out.hashData())) {
		return QueryResult{}, fmt.Errorf("payment: query %s: %w", v.name, ErrSignature)
	}
	switch out.ResponseCode {
	case CodeSuccess:
	case CodeNotFound:
		return QueryResult{Found: false}, nil
	default:
		return QueryResult{}, fmt.Errorf("payment: query %s: response code %s (%s)", v.name, out.ResponseCode, out.Message)
	}
	r := Result{TmnCode: out.TmnCode, TxnRef: out.TxnRef, ResponseCode: CodeSuccess, TransactionStatus: out.TransactionStatus,
		TransactionNo: out.TransactionNo, BankCode: out.BankCode, OrderInfo: out.OrderInfo}
	if out.TxnRef != o.TxnRef {
		return QueryResult{}, fmt.Errorf("payment: query %s: answer about another transaction", v.name)
	}
	if r.Amount, err = parseAmount(out.Amount); err != nil {
		return QueryResult{}, fmt.Errorf("payment: query %s: amount %q", v.name, out.Amount)
	}
	if out.PayDate != "" {
		r.PayDate, _ = ParseGatewayTime(out.PayDate)
	}
	return QueryResult{Found: true, Result: r}, nil
}
