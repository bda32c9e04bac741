package natsync

import (
	"errors"
	"fmt"
	"net/url"
	"os"
	"strconv"
	"strings"
	"time"
)

// Config tunes the synchronisation.
type Config struct {
	// URL is the national hub's endpoint for sync records (JSON POST). Empty
	// turns delivery off; records are still queued, and go out once it is
	// configured.
	URL string
	// Token is sent as "Authorization: Bearer …"; APIKey, if set, in the
	// APIKeyHeader header (X-API-Key by default). Either or both.
	Token        string
	APIKey       string
	APIKeyHeader string
	// LGSPKey, when set, is the platform's key at the province's LGSP
	// (KEY_ID.SECRET, sent in X-LGSP-Key instead of Token and APIKey): URL
	// is then the gateway's address of the hub's sync endpoint.
	LGSPKey string
	// BaseURL is the platform's public address, for the links to result
	// files.
	BaseURL string
	// Timeout bounds one delivery (10 s). A delivery that times out is
	// retried: the hub deduplicates by idempotency key.
	Timeout time.Duration
	// MaxAttempts is how many failed deliveries make a record dead (20:
	// about six hours of a hub that keeps failing, with the default delays).
	MaxAttempts int
	// BaseDelay and MaxDelay bound the exponential back-off of a record
	// (5 s doubling to 30 min, with jitter).
	BaseDelay time.Duration
	MaxDelay  time.Duration
	// HubDelay and HubMaxDelay bound the pause of all deliveries after the
	// hub itself failed (unreachable, time-out, 5xx): one record probes the
	// hub after the pause, and the others are not spent on a hub that is
	// down (2 s doubling to 5 min).
	HubDelay    time.Duration
	HubMaxDelay time.Duration
	// Workers deliver in parallel (2); each sends up to Batch records (one
	// per dossier) at once (16).
	Workers int
	Batch   int
	// Poll is how often an idle worker looks for work (1 s).
	Poll time.Duration
	// SendApplicantID adds the applicant's ID number (MaDoiTuong) to the
	// records. Off by default: the scorecard does not need it. The national
	// portal uses it only to list dossiers filed at a counter in the
	// citizen's own account on dichvucong.gov.vn; a province that wants that
	// turns it on, knowing that the number then leaves the platform with
	// every record (Nghị định 13/2023: data minimisation).
	SendApplicantID bool
	// VNeIDIssuer, when set, is the OIDC issuer whose identities count as
	// VNeID-verified; otherwise any OIDC identity of a citizen does.
	VNeIDIssuer string
}

func (c *Config) defaults() {
	if c.APIKeyHeader == "" {
		c.APIKeyHeader = "X-API-Key"
	}
	if c.Timeout <= 0 {
		c.Timeout = 10 * time.Second
	}
	if c.MaxAttempts <= 0 {
		c.MaxAttempts = 20
	}
	if c.BaseDelay <= 0 {
		c.BaseDelay = 5 * time.Second
	}
	if c.MaxDelay <= 0 {
		c.MaxDelay = 30 * time.Minute
	}
	if c.HubDelay <= 0 {
		c.HubDelay = 2 * time.Second
	}
	if c.HubMaxDelay <= 0 {
		c.HubMaxDelay = 5 * time.Minute
	}
	if c.Workers <= 0 {
		c.Workers = 2
	}
	if c.Batch <= 0 {
		c.Batch = 16
	}
	if c.Poll <= 0 {
		c.Poll = time.Second
	}
	c.BaseURL = strings.TrimRight(c.BaseURL, "/")
}

// ConfigFromEnv reads the configuration from CONGSO_NATIONAL_PORTAL_*
// variables (secrets also from *_FILE):
//
//	CONGSO_NATIONAL_PORTAL_URL             the hub's endpoint for sync records
//	CONGSO_NATIONAL_PORTAL_TOKEN[_FILE]    bearer token
//	CONGSO_NATIONAL_PORTAL_API_KEY[_FILE]  API key (header X-API-Key, or
//	CONGSO_NATIONAL_PORTAL_API_KEY_HEADER)
//	CONGSO_NATIONAL_PORTAL_LGSP_KEY[_FILE] the platform's key at the LGSP,
//	                                       when the URL is the gateway's
//	CONGSO_NATIONAL_PORTAL_TIMEOUT         e.g. 10s
//	CONGSO_NATIONAL_PORTAL_MAX_ATTEMPTS    e.g. 20
//	CONGSO_NATIONAL_PORTAL_WORKERS         e.g. 2
//	CONGSO_NATIONAL_PORTAL_SEND_APPLICANT_ID  true to send MaDoiTuong
//	CONGSO_NATIONAL_PORTAL_VNEID_ISSUER    OIDC issuer counted as VNeID
//
// baseURL is the platform's public address (CONGSO_BASE_URL).
func ConfigFromEnv(getenv func(string) string, baseURL string) (Config, error) {
	c := Config{BaseURL: baseURL, URL: strings.TrimSpace(getenv("CONGSO_NATIONAL_PORTAL_URL")),
		APIKeyHeader: getenv("CONGSO_NATIONAL_PORTAL_API_KEY_HEADER"), VNeIDIssuer: getenv("CONGSO_NATIONAL_PORTAL_VNEID_ISSUER")}
	var errs []error
	var err error
	if c.Token, err = secret(getenv, "CONGSO_NATIONAL_PORTAL_TOKEN"); err != nil {
		errs = append(errs, err)
	}
	if c.APIKey, err = secret(getenv, "CONGSO_NATIONAL_PORTAL_API_KEY"); err != nil {
		errs = append(errs, err)
	}
	if c.LGSPKey, err = secret(getenv, "CONGSO_NATIONAL_PORTAL_LGSP_KEY"); err != nil {
		errs = append(errs, err)
	}
	if c.URL != "" {
		if u, err := url.Parse(c.URL); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			errs = append(errs, fmt.Errorf("CONGSO_NATIONAL_PORTAL_URL %q: want an http:// or https:// address", c.URL))
		}
	}
	if v := getenv("CONGSO_NATIONAL_PORTAL_TIMEOUT"); v != "" {
		if c.Timeout, err = time.ParseDuration(v); err != nil || c.Timeout <= 0 {
			errs = append(errs, fmt.Errorf("CONGSO_NATIONAL_PORTAL_TIMEOUT %q: want a duration such as 10s", v))
		}
	}
	for name, dst := range map[string]*int{"CONGSO_NATIONAL_PORTAL_MAX_ATTEMPTS": &c.MaxAttempts, "CONGSO_NATIONAL_PORTAL_WORKERS": &c.Workers} {
		if v := getenv(name); v != "" {
			if *dst, err = strconv.Atoi(v); err != nil || *dst <= 0 {
				errs = append(errs, fmt.Errorf("%s %q: want a positive whole number", name, v))
			}
		}
	}
	if v := getenv("CONGSO_NATIONAL_PORTAL_SEND_APPLICANT_ID"); v != "" {
		if c.SendApplicantID, err = strconv.ParseBool(v); err != nil {
			errs = append(errs, fmt.Errorf("CONGSO_NATIONAL_PORTAL_SEND_APPLICANT_ID %q: want true or false", v))
		}
	}
	return c, errors.Join(errs...)
}

// secret reads NAME, or the contents of the file named by NAME_FILE.
func secret(getenv func(string) string, name string) (string, error) {
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
