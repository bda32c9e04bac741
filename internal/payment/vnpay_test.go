package payment

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"
)

// The vectors below were computed outside Go, with
//
//	printf '%s' "$canonical" | openssl dgst -sha512 -hmac "$secret"
//
// so that the signing code is checked against an independent HMAC, and the
// canonical strings were written by hand from the protocol's rules.
const (
	vecSecret       = "SECRETKEYFORTESTS0123456789ABCDEF"
	vecPayCanonical = "vnp_Amount=10000000&vnp_Command=pay&vnp_CreateDate=20260302090000&vnp_CurrCode=VND&vnp_ExpireDate=20260302091500" +
		"&vnp_IpAddr=203.0.113.7&vnp_Locale=vn&vnp_OrderInfo=Thanh+toan+ho+so+000.00.21.H25-260302-0001&vnp_OrderType=other" +
		"&vnp_ReturnUrl=https%3A%2F%2Fdichvucong.hatinh.example%2Fthanh-toan%2Fket-qua%2Fvnpay&vnp_TmnCode=CONGSO01" +
		"&vnp_TxnRef=260302ABCDEFGHJK&vnp_Version=2.1.0"
	vecPayHash      = "73d254db95c5161868013155943905647c528a9265a51a2eb6f905433a8475f82c8e14d575d2d3fa725362238312fd437b4f93f5a843e45c4d5c9aba3c04e3ee"
	vecIPNCanonical = "vnp_Amount=10000000&vnp_BankCode=NCB&vnp_BankTranNo=VNP14000001&vnp_CardType=ATM" +
		"&vnp_OrderInfo=Thanh+toan+ho+so+000.00.21.H25-260302-0001&vnp_PayDate=20260302091012&vnp_ResponseCode=00&vnp_TmnCode=CONGSO01" +
		"&vnp_TransactionNo=14000001&vnp_TransactionStatus=00&vnp_TxnRef=260302ABCDEFGHJK"
	vecIPNHash   = "b1f8441d6dfb8e5576d9876b275c57bd6cf06a74d26cbd922b3efbf511c81e0b4bfddb44c47428b4407d4d053990f6ac299abcf2b4367cec58ada78b79ddc221"
	vecQueryHash = "ef7c746d7a378ecc5fa1e2a257564d13017ccd90ea718580c1d2046190ccf2aa6f30c127d0d5d8c870f4e168479fcdaeb2947498ca88385c2b2ffdd1b8c3b135"
)

func vecProvider() *VNPay {
	return NewVNPay(ProviderConfig{Name: ProviderVNPay, TmnCode: "CONGSO01", Secret: vecSecret, PayURL: "https://pay.example/vpcpay.html"},
		http.DefaultClient, time.Now, "127.0.0.1")
}

func vecOrder() Order {
	created := time.Date(2026, 3, 2, 9, 0, 0, 0, vietnamTime)
	return Order{TxnRef: "260302ABCDEFGHJK", Amount: 100000, Info: "Thanh toán hồ sơ 000.00.21.H25-260302-0001", CreatedAt: created.UTC(),
		ExpiresAt: created.Add(15 * time.Minute), ClientIP: "203.0.113.7", ReturnURL: "https://dichvucong.hatinh.example/thanh-toan/ket-qua/vnpay"}
}

func TestPaymentURLIsSignedOverTheSortedEncodedParameters(t *testing.T) {
	v := vecProvider()
	q := v.PayParams(vecOrder())
	if got := Canonical(q); got != vecPayCanonical {
		t.Fatalf("canonical string\n got %s\nwant %s", got, vecPayCanonical)
	}
	if got := q.Get("vnp_SecureHash"); got != vecPayHash {
		t.Fatalf("vnp_SecureHash\n got %s\nwant %s", got, vecPayHash)
	}
	u, err := v.Start(vecOrder())
	if err != nil {
		t.Fatal(err)
	}
	if want := "https://pay.example/vpcpay.html?" + vecPayCanonical + "&vnp_SecureHash=" + vecPayHash; u != want {
		t.Fatalf("payment URL\n got %s\nwant %s", u, want)
	}
	// What the gateway parses out of the URL verifies with the same secret.
	parsed, err := url.Parse(u)
	if err != nil {
		t.Fatal(err)
	}
	if err := Verify(vecSecret, parsed.Query()); err != nil {
		t.Fatalf("the gateway could not verify our URL: %v", err)
	}
	// The order info lost its diacritics (vnp_OrderInfo is ASCII) and the
	// amount is in đồng × 100, the times in GMT+7.
	for k, want := range map[string]string{"vnp_OrderInfo": "Thanh toan ho so 000.00.21.H25-260302-0001", "vnp_Amount": "10000000",
		"vnp_CreateDate": "20260302090000", "vnp_ExpireDate": "20260302091500", "vnp_CurrCode": "VND", "vnp_Locale": "vn"} {
		if got := parsed.Query().Get(k); got != want {
			t.Errorf("%s = %q, want %q", k, got, want)
		}
	}
}

func TestCallbackVerification(t *testing.T) {
	v := vecProvider()
	q, err := url.ParseQuery(vecIPNCanonical + "&vnp_SecureHash=" + vecIPNHash)
	if err != nil {
		t.Fatal(err)
	}
	if got := Canonical(q); got != vecIPNCanonical {
		t.Fatalf("canonical\n got %s\nwant %s", got, vecIPNCanonical)
	}
	r, err := v.VerifyCallback(q)
	if err != nil {
		t.Fatalf("a genuine callback was refused: %v", err)
	}
	if r.Amount != 100000 || r.TxnRef != "260302ABCDEFGHJK" || !r.Success() || r.TransactionNo != "14000001" || r.BankCode != "NCB" {
		t.Fatalf("read %+v", r)
	}
	if want := time.Date(2026, 3, 2, 2, 10, 12, 0, time.UTC); !r.PayDate.Equal(want) {
		t.Errorf("pay date %v, want %v (GMT+7 read as such)", r.PayDate, want)
	}
	// Upper-case hex and the hash type field (sent by older versions) are
	// accepted; neither takes part in the signature.
	up := cloneValues(q)
	up.Set("vnp_SecureHash", strings.ToUpper(vecIPNHash))
	up.Set("vnp_SecureHashType", "HmacSHA512")
	if _, err := v.VerifyCallback(up); err != nil {
		t.Errorf("upper-case hash refused: %v", err)
	}
	// Parameters that are not the gateway's are not signed and change nothing.
	extra := cloneValues(q)
	extra.Set("utm_source", "x")
	if _, err := v.VerifyCallback(extra); err != nil {
		t.Errorf("a foreign parameter broke the signature: %v", err)
	}

	for name, mutate := range map[string]func(url.Values){
		"amount changed":          func(q url.Values) { q.Set("vnp_Amount", "100") },
		"response code changed":   func(q url.Values) { q.Set("vnp_ResponseCode", "24") },
		"parameter added":         func(q url.Values) { q.Set("vnp_Extra", "1") },
		"parameter removed":       func(q url.Values) { q.Del("vnp_BankTranNo") },
		"hash missing":            func(q url.Values) { q.Del("vnp_SecureHash") },
		"hash truncated":          func(q url.Values) { q.Set("vnp_SecureHash", vecIPNHash[:64]) },
		"hash not hex":            func(q url.Values) { q.Set("vnp_SecureHash", "zz"+vecIPNHash[2:]) },
		"signed with another key": func(q url.Values) { q.Set("vnp_SecureHash", Sign("another secret", q)) },
	} {
		bad := cloneValues(q)
		mutate(bad)
		if _, err := v.VerifyCallback(bad); err != ErrSignature {
			t.Errorf("%s: err = %v, want ErrSignature", name, err)
		}
	}
	// Signed correctly, but for another merchant's terminal.
	other := cloneValues(q)
	other.Set("vnp_TmnCode", "OTHER001")
	other.Set("vnp_SecureHash", Sign(vecSecret, other))
	if _, err := v.VerifyCallback(other); err != ErrSignature {
		t.Errorf("another merchant's callback: err = %v, want ErrSignature", err)
	}
	// Signed, but the amount is not whole đồng × 100.
	odd := cloneValues(q)
	odd.Set("vnp_Amount", "10000050")
	odd.Set("vnp_SecureHash", Sign(vecSecret, odd))
	if _, err := v.VerifyCallback(odd); err != ErrMalformed {
		t.Errorf("odd amount: err = %v, want ErrMalformed", err)
	}
}

func TestQueryHashData(t *testing.T) {
	r := queryRequest{RequestID: "REQ1", Version: "2.1.0", Command: "querydr", TmnCode: "CONGSO01", TxnRef: "260302ABCDEFGHJK",
		TransactionDate: "20260302090000", CreateDate: "20260303080000", IPAddr: "127.0.0.1", OrderInfo: "Truy van giao dich 260302ABCDEFGHJK"}
	if got := mac(vecSecret, r.hashData()); got != vecQueryHash {
		t.Fatalf("querydr hash\n got %s\nwant %s", got, vecQueryHash)
	}
}

func TestFormEncodeMatchesTheGatewaysReferenceCode(t *testing.T) {
	for in, want := range map[string]string{
		"abcXYZ019-_.": "abcXYZ019-_.",
		"a b":          "a+b",
		"~":            "%7E", // url.QueryEscape leaves it; the reference code does not
		"a+b&c=d/e:f":  "a%2Bb%26c%3Dd%2Fe%3Af",
		"ố":            "%E1%BB%91",
	} {
		if got := formEncode(in); got != want {
			t.Errorf("formEncode(%q) = %q, want %q", in, got, want)
		}
	}
	// Empty values and the hash fields are left out of the signed string.
	q := url.Values{"vnp_B": {"2"}, "vnp_A": {"1"}, "vnp_Empty": {""}, "vnp_SecureHash": {"x"}, "vnp_SecureHashType": {"y"}, "other": {"z"}}
	if got := Canonical(q); got != "vnp_A=1&vnp_B=2" {
		t.Errorf("Canonical = %q", got)
	}
}

func TestGatewayTime(t *testing.T) {
	instant := time.Date(2026, 12, 31, 17, 30, 5, 0, time.UTC) // 00:30:05 on 1 January 2027 in Vietnam
	if got := FormatGatewayTime(instant); got != "20270101003005" {
		t.Errorf("FormatGatewayTime = %s", got)
	}
	back, err := ParseGatewayTime("20270101003005")
	if err != nil || !back.Equal(instant) {
		t.Errorf("ParseGatewayTime = %v, %v", back, err)
	}
	for _, bad := range []string{"", "2027010100300", "20271301003005", "2027-01-01T00"} {
		if _, err := ParseGatewayTime(bad); err == nil {
			t.Errorf("ParseGatewayTime(%q) accepted", bad)
		}
	}
}

func cloneValues(q url.Values) url.Values {
	out := url.Values{}
	for k, v := range q {
		out[k] = append([]string(nil), v...)
	}
	return out
}
