package payment

import (
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"

	"github.com/congso/congso/internal/httpx"
)

func env(m map[string]string) func(string) string { return func(k string) string { return m[k] } }

func TestConfigFromEnv(t *testing.T) {
	// Off by default, the sandbox in the demo.
	c, err := ConfigFromEnv(env(nil), "https://dvc.example.gov.vn", false)
	if err != nil || len(c.Providers) != 0 {
		t.Fatalf("default: %+v, %v", c, err)
	}
	c, err = ConfigFromEnv(env(nil), "https://dvc.example.gov.vn/", true)
	if err != nil || len(c.Providers) != 1 {
		t.Fatalf("demo: %+v, %v", c, err)
	}
	sb := c.Providers[0]
	if sb.Name != ProviderSandbox || sb.TmnCode != "CONGSO01" || len(sb.Secret) != 64 || sb.PayURL != "/sandbox/pay" ||
		sb.QueryURL != "https://dvc.example.gov.vn/sandbox/querydr" || c.ReturnBaseURL != "https://dvc.example.gov.vn" || c.Expire.Minutes() != 15 {
		t.Errorf("demo sandbox: %+v / %+v", sb, c)
	}
	// VNPAY with its secret in a file, next to the sandbox.
	file := filepath.Join(t.TempDir(), "secret")
	if err := os.WriteFile(file, []byte("0123456789ABCDEFGHIJ\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	c, err = ConfigFromEnv(env(map[string]string{"CONGSO_PAYMENT_PROVIDERS": "vnpay, sandbox", "CONGSO_PAYMENT_VNPAY_TMN_CODE": "HATINH01",
		"CONGSO_PAYMENT_VNPAY_SECRET_FILE": file, "CONGSO_PAYMENT_VNPAY_PAY_URL": "https://pay.vnpay.example/vpcpay.html",
		"CONGSO_PAYMENT_IPN_URL": "https://ipn.dvc.example.gov.vn", "CONGSO_PAYMENT_EXPIRE": "20m"}), "https://dvc.example.gov.vn", false)
	if err != nil {
		t.Fatal(err)
	}
	if len(c.Providers) != 2 || c.Providers[0].Secret != "0123456789ABCDEFGHIJ" || c.Expire.Minutes() != 20 ||
		c.Providers[1].QueryURL != "https://ipn.dvc.example.gov.vn/sandbox/querydr" {
		t.Errorf("vnpay and sandbox: %+v", c)
	}
	for name, vars := range map[string]map[string]string{
		"unknown provider": {"CONGSO_PAYMENT_PROVIDERS": "paypal"},
		"vnpay, no secret": {"CONGSO_PAYMENT_PROVIDERS": "vnpay", "CONGSO_PAYMENT_VNPAY_TMN_CODE": "X", "CONGSO_PAYMENT_VNPAY_PAY_URL": "https://p.example"},
		"bad expiry":       {"CONGSO_PAYMENT_PROVIDERS": "sandbox", "CONGSO_PAYMENT_EXPIRE": "soon"},
		"short secret":     {"CONGSO_PAYMENT_PROVIDERS": "vnpay", "CONGSO_PAYMENT_VNPAY_TMN_CODE": "X", "CONGSO_PAYMENT_VNPAY_SECRET": "short", "CONGSO_PAYMENT_VNPAY_PAY_URL": "https://p.example"},
		"twice":            {"CONGSO_PAYMENT_PROVIDERS": "sandbox,sandbox"},
		"missing pay URL":  {"CONGSO_PAYMENT_PROVIDERS": "vnpay", "CONGSO_PAYMENT_VNPAY_TMN_CODE": "X", "CONGSO_PAYMENT_VNPAY_SECRET": "0123456789ABCDEFGHIJ"},
	} {
		if _, err := ConfigFromEnv(env(vars), "https://dvc.example.gov.vn", false); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
	if _, err := ConfigFromEnv(env(map[string]string{"CONGSO_PAYMENT_PROVIDERS": "sandbox"}), "", false); err == nil {
		t.Errorf("no base URL: accepted (the sandbox needs somewhere to call the IPN)")
	}
	// A demo on a bare port: the sandbox's page and the return stay on the
	// browser's site, the IPN goes to the listening address.
	c, err = ConfigFromEnv(env(nil), "http://:8080", true)
	if err != nil {
		t.Fatalf("demo on :8080: %v", err)
	}
	if c.ReturnBaseURL != "" || c.Providers[0].PayURL != "/sandbox/pay" || c.IPNBaseURL != "http://127.0.0.1:8080" {
		t.Errorf("demo on :8080: %+v", c)
	}
}

func TestOrderInfoIsASCII(t *testing.T) {
	for in, want := range map[string]string{
		"Thanh toán hồ sơ 000.00.21.H25-260302-0001": "Thanh toan ho so 000.00.21.H25-260302-0001",
		"Đăng ký   khai sinh (lần 2)":                "Dang ky khai sinh lan 2",
		"Lệ phí: 100%":                               "Le phi: 100",
	} {
		if got := asciiInfo(in); got != want {
			t.Errorf("asciiInfo(%q) = %q, want %q", in, got, want)
		}
	}
}

// TestOpenAPIFragmentMatchesRoutes holds the fragment to the routes the API
// registers, both ways, as the app's test does for the whole document.
func TestOpenAPIFragmentMatchesRoutes(t *testing.T) {
	var doc struct {
		Paths map[string]map[string]any `yaml:"paths"`
	}
	if err := yaml.Unmarshal(OpenAPI, &doc); err != nil {
		t.Fatal(err)
	}
	described := map[string]bool{}
	for p, ops := range doc.Paths {
		for m := range ops {
			described[strings.ToUpper(m)+" "+p] = true
		}
	}
	r := httpx.NewRouter(http.NewServeMux())
	API{}.Register(r)
	var served []string
	for _, rt := range r.Routes() {
		k := rt.Method + " " + rt.Path
		served = append(served, k)
		if !described[k] {
			t.Errorf("route %s is not described", k)
		}
	}
	for k := range described {
		if !slices.Contains(served, k) {
			t.Errorf("%s is described but not served", k)
		}
	}
}
