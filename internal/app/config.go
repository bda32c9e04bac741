package app

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/congso/congso/internal/identity"
)

// Config is everything the platform needs to start. It comes from CONGSO_*
// environment variables (secrets also from CONGSO_*_FILE) and flags; nothing
// is read from anywhere else.
type Config struct {
	Addr        string
	DataDir     string
	DatabaseURL string
	Demo        bool
	// BaseURL is the public address, e.g. https://dichvucong.example.gov.vn.
	// An https address turns on Secure cookies.
	BaseURL string
	// TrustProxy takes the client address from X-Forwarded-For (behind a
	// reverse proxy that sets it).
	TrustProxy bool
	LogFormat  string
	LogLevel   slog.Level
	// Province is the GSO code of the province the platform serves.
	Province string
	OIDC     *identity.OIDCConfig
	Identity identity.Config
	// Now is the clock; tests set it.
	Now func() time.Time
	// Logger overrides the logger built from LogFormat.
	Logger *slog.Logger
	// ShutdownTimeout bounds the wait for requests in flight at shutdown.
	ShutdownTimeout time.Duration
	// Listener, when set, is used instead of binding Addr: tests bind
	// 127.0.0.1:0 first so that the public address (QR codes, payment
	// callbacks) carries the real port.
	Listener net.Listener
	// Env reads the settings of the optional parts (mail, SMS, payment
	// gateway, national portal…): os.Getenv, or a map in tests.
	Env Getenv
}

// Getenv reads one variable; tests pass a map instead of the environment.
type Getenv func(string) string

// secret reads NAME, or the contents of the file named by NAME_FILE.
func secret(getenv Getenv, name string) (string, error) {
	if v := getenv(name); v != "" {
		return v, nil
	}
	if path := getenv(name + "_FILE"); path != "" {
		b, err := os.ReadFile(path)
		if err != nil {
			return "", fmt.Errorf("%s_FILE: %w", name, err)
		}
		return strings.TrimSpace(string(b)), nil
	}
	return "", nil
}

// DefaultConfig reads the environment; flags may then override it.
func DefaultConfig(getenv Getenv) (Config, error) {
	c := Config{
		Addr:            "127.0.0.1:8080",
		DataDir:         "data",
		Demo:            true,
		LogFormat:       "",
		LogLevel:        slog.LevelInfo,
		Province:        "42",
		Identity:        identity.DefaultConfig(),
		Now:             time.Now,
		ShutdownTimeout: 30 * time.Second,
		Env:             getenv,
	}
	var err error
	if v := getenv("CONGSO_ADDR"); v != "" {
		c.Addr = v
	}
	if v := getenv("CONGSO_DATA_DIR"); v != "" {
		c.DataDir = v
	}
	if c.DatabaseURL, err = secret(getenv, "CONGSO_DATABASE_URL"); err != nil {
		return c, err
	}
	if v := getenv("CONGSO_DEMO"); v != "" {
		if c.Demo, err = strconv.ParseBool(v); err != nil {
			return c, fmt.Errorf("CONGSO_DEMO: %q is not true or false", v)
		}
	}
	c.BaseURL = strings.TrimRight(getenv("CONGSO_BASE_URL"), "/")
	if v := getenv("CONGSO_TRUST_PROXY"); v != "" {
		if c.TrustProxy, err = strconv.ParseBool(v); err != nil {
			return c, fmt.Errorf("CONGSO_TRUST_PROXY: %q is not true or false", v)
		}
	}
	c.LogFormat = getenv("CONGSO_LOG_FORMAT")
	if v := getenv("CONGSO_LOG_LEVEL"); v != "" {
		if err := c.LogLevel.UnmarshalText([]byte(v)); err != nil {
			return c, fmt.Errorf("CONGSO_LOG_LEVEL: %w", err)
		}
	}
	if v := getenv("CONGSO_PROVINCE"); v != "" {
		c.Province = v
	}
	if issuer := getenv("CONGSO_OIDC_ISSUER"); issuer != "" {
		o := &identity.OIDCConfig{Issuer: issuer, ClientID: getenv("CONGSO_OIDC_CLIENT_ID"), DisplayName: getenv("CONGSO_OIDC_NAME"),
			CitizenIDClaim: getenv("CONGSO_OIDC_CITIZEN_ID_CLAIM"), RedirectURL: getenv("CONGSO_OIDC_REDIRECT_URL")}
		if o.ClientSecret, err = secret(getenv, "CONGSO_OIDC_CLIENT_SECRET"); err != nil {
			return c, err
		}
		c.OIDC = o
	}
	return c, nil
}

// serveFlags parses `congso serve` flags over the environment's config.
func serveFlags(c *Config, args []string, stderr io.Writer) error {
	fs := flag.NewFlagSet("serve", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.StringVar(&c.Addr, "addr", c.Addr, "address to listen on (HOST:PORT)")
	fs.StringVar(&c.DataDir, "data", c.DataDir, "folder for the embedded database and files")
	fs.BoolVar(&c.Demo, "demo", c.Demo, "load demo data on first start (false in production)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("serve: unexpected argument %q", fs.Arg(0))
	}
	return c.validate()
}

func (c *Config) validate() error {
	var errs []error
	if _, _, err := net.SplitHostPort(c.Addr); err != nil {
		errs = append(errs, fmt.Errorf("--addr %q: want HOST:PORT", c.Addr))
	}
	switch c.LogFormat {
	case "", "text", "json":
	default:
		errs = append(errs, fmt.Errorf("CONGSO_LOG_FORMAT %q: want text or json", c.LogFormat))
	}
	if c.BaseURL != "" && !strings.HasPrefix(c.BaseURL, "http://") && !strings.HasPrefix(c.BaseURL, "https://") {
		errs = append(errs, fmt.Errorf("CONGSO_BASE_URL %q: want an http:// or https:// address", c.BaseURL))
	}
	if c.OIDC != nil {
		if c.OIDC.ClientID == "" {
			errs = append(errs, errors.New("CONGSO_OIDC_CLIENT_ID is required with CONGSO_OIDC_ISSUER"))
		}
		if c.OIDC.RedirectURL == "" {
			if c.BaseURL == "" {
				errs = append(errs, errors.New("CONGSO_BASE_URL (or CONGSO_OIDC_REDIRECT_URL) is required with CONGSO_OIDC_ISSUER"))
			}
			c.OIDC.RedirectURL = c.BaseURL + "/login/oidc/callback"
		}
	}
	return errors.Join(errs...)
}

func (c *Config) logger(stderr io.Writer) *slog.Logger {
	if c.Logger != nil {
		return c.Logger
	}
	opts := &slog.HandlerOptions{Level: c.LogLevel}
	format := c.LogFormat
	if format == "" {
		format = "json"
		if c.Demo {
			format = "text"
		}
	}
	if format == "json" {
		return slog.New(slog.NewJSONHandler(stderr, opts))
	}
	return slog.New(slog.NewTextHandler(stderr, opts))
}
