package payment

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"net/url"
	"os"
	"strconv"
	"strings"
	"time"
)

// Provider is a payment gateway as the platform uses it.
type Provider interface {
	// Name is the provider's short name in URLs and records ("vnpay").
	Name() string
	// Label is its name for people.
	Label() string
	// Start returns the address of the provider's payment page for the order.
	Start(o Order) (string, error)
	// VerifyReturn checks and reads the parameters the browser brings back.
	VerifyReturn(q url.Values) (Result, error)
	// VerifyCallback checks and reads a server-to-server notification (IPN).
	VerifyCallback(q url.Values) (Result, error)
	// Query asks the provider for the state of the order's transaction.
	Query(ctx context.Context, o Order) (QueryResult, error)
}

// Provider names.
const (
	ProviderVNPay   = "vnpay"
	ProviderSandbox = "sandbox"
)

// Paths the platform serves for the gateways; the web and API layers
// register them, the service builds the addresses it gives the gateways.
const (
	// ReturnPath + provider is where the gateway sends the browser back.
	ReturnPath = "/thanh-toan/ket-qua/"
	// IPNPath(provider) is where the gateway notifies the result.
	ipnPrefix = "/api/v1/payment-gateways/"
	// SandboxPayPath is the sandbox gateway's payment page.
	SandboxPayPath = "/sandbox/pay"
	// SandboxQueryPath is the sandbox gateway's querydr API.
	SandboxQueryPath = "/sandbox/querydr"
)

// IPNPath is the path of a provider's IPN endpoint.
func IPNPath(provider string) string { return ipnPrefix + provider + "/ipn" }

// ProviderConfig is one merchant account at a gateway.
type ProviderConfig struct {
	// Name is "vnpay" or "sandbox".
	Name string
	// TmnCode is the merchant's terminal code at the gateway (vnp_TmnCode).
	TmnCode string
	// Secret is the shared hash secret (vnp_HashSecret).
	Secret string
	// PayURL is the gateway's payment page.
	PayURL string
	// QueryURL is the gateway's transaction API (querydr), for reconciliation.
	QueryURL string
	// Version is the protocol version, 2.1.0 by default.
	Version string
	// OrderType is vnp_OrderType, "other" by default.
	OrderType string
}

func (p ProviderConfig) label() string {
	switch p.Name {
	case ProviderVNPay:
		return "VNPAY"
	case ProviderSandbox:
		return "Cổng thanh toán thử nghiệm"
	}
	return p.Name
}

// Config configures online payment. The lead fills it from the environment
// with ConfigFromEnv.
type Config struct {
	// Providers are the gateways offered to citizens, in the order shown.
	// None means online payment is off.
	Providers []ProviderConfig
	// ReturnBaseURL is the platform's public address; the browser comes back
	// to ReturnBaseURL + ReturnPath + provider.
	ReturnBaseURL string
	// IPNBaseURL is the address at which the gateway reaches the platform;
	// its IPN URL is IPNBaseURL + IPNPath(provider). For VNPAY it is
	// registered with the gateway; the sandbox gateway calls it.
	IPNBaseURL string
	// Expire is how long the customer has at the gateway (vnp_ExpireDate);
	// 15 minutes by default.
	Expire time.Duration
	// ServerIP is the vnp_IpAddr of the platform's own calls (querydr).
	ServerIP string
	// ReceiptSeries is the series printed on the receipts ("ký hiệu").
	ReceiptSeries string
	// SandboxAttempts and SandboxBackoff set how the sandbox gateway retries
	// an IPN that failed (network error, HTTP error, RspCode 99): 4 attempts,
	// 250 ms doubling, by default.
	SandboxAttempts int
	SandboxBackoff  time.Duration
}

func (c *Config) defaults() {
	if c.Expire <= 0 {
		c.Expire = 15 * time.Minute
	}
	if c.ServerIP == "" {
		c.ServerIP = "127.0.0.1"
	}
	if c.ReceiptSeries == "" {
		c.ReceiptSeries = "CS-E"
	}
	if c.SandboxAttempts <= 0 {
		c.SandboxAttempts = 4
	}
	if c.SandboxBackoff <= 0 {
		c.SandboxBackoff = 250 * time.Millisecond
	}
	c.ReturnBaseURL = strings.TrimRight(c.ReturnBaseURL, "/")
	c.IPNBaseURL = strings.TrimRight(c.IPNBaseURL, "/")
}

// localPath reports whether s is a path on this site ("/x", not "//x").
func localPath(s string) bool { return strings.HasPrefix(s, "/") && !strings.HasPrefix(s, "//") }

// absoluteHTTP reports whether s is an http(s) address with a host name.
func absoluteHTTP(s string) bool {
	u, err := url.Parse(s)
	return err == nil && (u.Scheme == "https" || u.Scheme == "http") && u.Hostname() != ""
}

// Validate checks the configuration. The sandbox, served by the platform
// itself, may use paths on this site for its payment page and the return;
// a real gateway needs absolute addresses.
func (c Config) Validate() error {
	seen := map[string]bool{}
	onlySandbox := true
	for _, p := range c.Providers {
		if p.Name != ProviderVNPay && p.Name != ProviderSandbox {
			return fmt.Errorf("payment: unknown provider %q (vnpay or sandbox)", p.Name)
		}
		if seen[p.Name] {
			return fmt.Errorf("payment: provider %s configured twice", p.Name)
		}
		seen[p.Name] = true
		if p.TmnCode == "" || p.Secret == "" || p.PayURL == "" {
			return fmt.Errorf("payment: provider %s needs a TMN code, a secret and a payment URL", p.Name)
		}
		sandbox := p.Name == ProviderSandbox
		if !absoluteHTTP(p.PayURL) && !(sandbox && localPath(p.PayURL)) {
			return fmt.Errorf("payment: provider %s: payment URL %q is not an http(s) address", p.Name, p.PayURL)
		}
		if p.QueryURL != "" && !absoluteHTTP(p.QueryURL) {
			return fmt.Errorf("payment: provider %s: query URL %q is not an http(s) address", p.Name, p.QueryURL)
		}
		if !sandbox {
			onlySandbox = false
			if len(p.Secret) < 16 {
				return fmt.Errorf("payment: provider %s: the secret is too short", p.Name)
			}
		}
	}
	if len(c.Providers) == 0 {
		return nil
	}
	if !absoluteHTTP(c.ReturnBaseURL) && !(onlySandbox && c.ReturnBaseURL == "") {
		return fmt.Errorf("payment: the return base URL %q is not an http(s) address", c.ReturnBaseURL)
	}
	if seen[ProviderSandbox] && !absoluteHTTP(c.IPNBaseURL) {
		return fmt.Errorf("payment: the sandbox calls the IPN at %q, which is not an http(s) address", c.IPNBaseURL)
	}
	return nil
}

// ConfigFromEnv reads the CONGSO_PAYMENT_* variables through getenv (os.Getenv
// in production). baseURL is the platform's public address; demo turns the
// sandbox on when no provider is named. NAME is VNPAY or SANDBOX:
//
//	CONGSO_PAYMENT_PROVIDERS          comma-separated: vnpay, sandbox (default: sandbox in demo mode, none otherwise)
//	CONGSO_PAYMENT_RETURN_URL         public base URL the browser comes back to (default: the platform's base URL)
//	CONGSO_PAYMENT_IPN_URL            base URL the gateway calls the IPN at (default: the platform's base URL)
//	CONGSO_PAYMENT_EXPIRE             time allowed at the gateway, a Go duration (default 15m)
//	CONGSO_PAYMENT_SERVER_IP          vnp_IpAddr of the platform's own queries (default 127.0.0.1)
//	CONGSO_PAYMENT_RECEIPT_SERIES     series printed on receipts (default CS-E)
//	CONGSO_PAYMENT_<NAME>_TMN_CODE    merchant terminal code (sandbox default CONGSO01)
//	CONGSO_PAYMENT_<NAME>_SECRET      hash secret, or CONGSO_PAYMENT_<NAME>_SECRET_FILE (sandbox default: random at start)
//	CONGSO_PAYMENT_<NAME>_PAY_URL     payment page (sandbox default: /sandbox/pay on the same site)
//	CONGSO_PAYMENT_<NAME>_QUERY_URL   querydr API (sandbox default: the IPN base URL + /sandbox/querydr)
func ConfigFromEnv(getenv func(string) string, baseURL string, demo bool) (Config, error) {
	baseURL = strings.TrimRight(baseURL, "/")
	c := Config{ReturnBaseURL: getenv("CONGSO_PAYMENT_RETURN_URL"), IPNBaseURL: getenv("CONGSO_PAYMENT_IPN_URL"),
		ServerIP: getenv("CONGSO_PAYMENT_SERVER_IP"), ReceiptSeries: getenv("CONGSO_PAYMENT_RECEIPT_SERIES")}
	if c.ReturnBaseURL == "" && absoluteHTTP(baseURL) {
		// Without a usable public address (a bare ":8080"), returns to the
		// sandbox stay relative to the site the browser is on.
		c.ReturnBaseURL = baseURL
	}
	if c.IPNBaseURL == "" {
		c.IPNBaseURL = baseURL
		// A listening address without a host (":8080") is this machine.
		if u, err := url.Parse(baseURL); err == nil && u.Hostname() == "" && u.Port() != "" {
			u.Host = "127.0.0.1:" + u.Port()
			c.IPNBaseURL = u.String()
		}
	}
	if s := getenv("CONGSO_PAYMENT_EXPIRE"); s != "" {
		d, err := time.ParseDuration(s)
		if err != nil || d < time.Minute || d > 24*time.Hour {
			return Config{}, fmt.Errorf("CONGSO_PAYMENT_EXPIRE=%q: a duration between 1m and 24h", s)
		}
		c.Expire = d
	}
	names := getenv("CONGSO_PAYMENT_PROVIDERS")
	if names == "" && demo {
		names = ProviderSandbox
	}
	for _, name := range strings.Split(names, ",") {
		name = strings.ToLower(strings.TrimSpace(name))
		if name == "" {
			continue
		}
		prefix := "CONGSO_PAYMENT_" + strings.ToUpper(name) + "_"
		p := ProviderConfig{Name: name, TmnCode: getenv(prefix + "TMN_CODE"), Secret: getenv(prefix + "SECRET"),
			PayURL: getenv(prefix + "PAY_URL"), QueryURL: getenv(prefix + "QUERY_URL")}
		if file := getenv(prefix + "SECRET_FILE"); file != "" && p.Secret == "" {
			b, err := os.ReadFile(file)
			if err != nil {
				return Config{}, fmt.Errorf("%sSECRET_FILE: %w", prefix, err)
			}
			p.Secret = strings.TrimSpace(string(b))
		}
		if name == ProviderSandbox {
			if p.TmnCode == "" {
				p.TmnCode = "CONGSO01"
			}
			if p.Secret == "" {
				var b [32]byte
				if _, err := rand.Read(b[:]); err != nil {
					return Config{}, err
				}
				p.Secret = hex.EncodeToString(b[:])
			}
			if p.PayURL == "" {
				// The sandbox's page is on the site the browser is on.
				p.PayURL = SandboxPayPath
			}
			if p.QueryURL == "" {
				p.QueryURL = c.IPNBaseURL + SandboxQueryPath
			}
		}
		c.Providers = append(c.Providers, p)
	}
	c.defaults()
	if err := c.Validate(); err != nil {
		return Config{}, err
	}
	return c, nil
}

// itoa is strconv.Itoa for int64.
func itoa(n int64) string { return strconv.FormatInt(n, 10) }
