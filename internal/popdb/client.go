// Package popdb checks a citizen's ID number, full name and birth date
// against the national population database (Cơ sở dữ liệu quốc gia về dân
// cư), records the outcome — who checked, when, the answer and the
// database's reference for the check, never the data checked — so that
// dossiers can report it to the national portal, and offers the check to the
// dossier system and the portal.
//
// The upstream is reached over an HTTP JSON API modelled on the population
// database's sharing services, directly or through the province's LGSP
// (then the URL is the gateway's address of the service, the client presents
// its LGSP key in X-LGSP-Key instead of the bearer token, and names the
// account the check is made for in X-LGSP-End-User):
//
//	POST {URL}/api/v1/xac-thuc-cong-dan
//	Authorization: Bearer {token}
//	{"MaYeuCau": "…", "MaDonViYeuCau": "…", "SoDinhDanh": "042090001234",
//	 "HoVaTen": "Nguyễn Văn An", "NgaySinh": "19900512"}
//
//	200 {"MaYeuCau": "…", "MaTraCuu": "DC-…", "KetQua": "KHOP" | "KHONG_KHOP" | "KHONG_TIM_THAY",
//	     "TruongKhongKhop": ["HoVaTen", "NgaySinh"], "ThoiGian": "yyyyMMddHHmmss"}
//	400 invalid request, 401 refused credentials, 429 too many requests,
//	5xx unavailable: {"MaLoi": "…", "ThongBao": "…"}
//
// The database compares names exactly as Vietnamese is written: diacritics
// count ("Nguyen Van An" is not "Nguyễn Văn An"); only letter case and
// spacing are not significant. The client normalises to NFC and single
// spaces before sending; the comparison is the database's.
package popdb

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"net"
	"net/http"
	"strings"
	"time"

	"github.com/congso/congso/internal/db"
)

// Path is the upstream's check endpoint, under Config.URL.
const Path = "/api/v1/xac-thuc-cong-dan"

// Result is the database's answer.
type Result string

const (
	Match    Result = "match"     // khớp
	NoMatch  Result = "no_match"  // không khớp
	NotFound Result = "not_found" // không tìm thấy số định danh
)

// Label is the result in Vietnamese.
func (r Result) Label() string {
	switch r {
	case Match:
		return "Thông tin khớp với CSDL quốc gia về dân cư"
	case NoMatch:
		return "Thông tin không khớp với CSDL quốc gia về dân cư"
	case NotFound:
		return "Không tìm thấy số định danh trong CSDL quốc gia về dân cư"
	}
	return string(r)
}

// Upstream codes of the answers.
const (
	wireMatch    = "KHOP"
	wireNoMatch  = "KHONG_KHOP"
	wireNotFound = "KHONG_TIM_THAY"
)

// Query is what is checked.
type Query struct {
	IDNumber string
	FullName string
	// BirthDate is YYYY-MM-DD.
	BirthDate string
	// EndUser is the account the check is made for (the official's, or
	// the citizen's); sent through the LGSP, never to the upstream itself.
	EndUser string
}

// Answer is the database's answer to one query.
type Answer struct {
	RequestID string
	Reference string
	Result    Result
	// Mismatched names the fields that differ: "full_name", "birth_date".
	Mismatched []string
}

// Verifier asks the population database. Client implements it; tests and
// the LGSP adapter may stand in.
type Verifier interface {
	Verify(ctx context.Context, q Query) (Answer, error)
}

// ErrUnavailable is returned when the database could not be asked (down,
// time-outs, errors) after the retries.
var ErrUnavailable = errors.New("population database unavailable")

// ClientConfig configures the upstream connection.
type ClientConfig struct {
	// URL is the upstream's base address.
	URL   string
	Token string
	// LGSPKey, when set, is the platform's key at the province's LGSP
	// (KEY_ID.SECRET): URL is then the gateway's address of the service.
	LGSPKey string
	// Requester identifies the platform to the upstream (MaDonViYeuCau).
	Requester string
	// Timeout bounds one attempt (5 s); Retries is how many times a failed
	// attempt is repeated (2), after RetryDelay doubling with jitter
	// (300 ms).
	Timeout    time.Duration
	Retries    int
	RetryDelay time.Duration
}

// Client is the HTTP client of the upstream.
type Client struct {
	cfg  ClientConfig
	http *http.Client
	log  *slog.Logger
}

// NewClient returns a client; hc may be nil.
func NewClient(cfg ClientConfig, hc *http.Client, log *slog.Logger) *Client {
	if cfg.Timeout <= 0 {
		cfg.Timeout = 5 * time.Second
	}
	if cfg.Retries < 0 {
		cfg.Retries = 0
	}
	if cfg.RetryDelay <= 0 {
		cfg.RetryDelay = 300 * time.Millisecond
	}
	if hc == nil {
		hc = &http.Client{Timeout: cfg.Timeout}
	}
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	cfg.URL = strings.TrimRight(cfg.URL, "/")
	return &Client{cfg: cfg, http: hc, log: log}
}

type wireRequest struct {
	MaYeuCau      string `json:"MaYeuCau"`
	MaDonViYeuCau string `json:"MaDonViYeuCau"`
	SoDinhDanh    string `json:"SoDinhDanh"`
	HoVaTen       string `json:"HoVaTen"`
	NgaySinh      string `json:"NgaySinh"`
}

type wireAnswer struct {
	MaYeuCau        string   `json:"MaYeuCau"`
	MaTraCuu        string   `json:"MaTraCuu"`
	KetQua          string   `json:"KetQua"`
	TruongKhongKhop []string `json:"TruongKhongKhop"`
	MaLoi           string   `json:"MaLoi"`
	ThongBao        string   `json:"ThongBao"`
}

// permanent marks an answer that asking again will not change.
type permanent struct{ err error }

func (p permanent) Error() string { return p.err.Error() }
func (p permanent) Unwrap() error { return p.err }

// Verify asks the database, retrying time-outs, refused connections, 429
// and 5xx answers. Nothing personal is logged: only the request ID, the
// attempt and the outcome.
func (c *Client) Verify(ctx context.Context, q Query) (Answer, error) {
	birth, err := time.Parse("2006-01-02", q.BirthDate)
	if err != nil {
		return Answer{}, fmt.Errorf("popdb: birth date %q: want YYYY-MM-DD", q.BirthDate)
	}
	body, err := json.Marshal(wireRequest{MaYeuCau: db.NewID(), MaDonViYeuCau: c.cfg.Requester, SoDinhDanh: q.IDNumber,
		HoVaTen: q.FullName, NgaySinh: birth.Format("20060102")})
	if err != nil {
		return Answer{}, err
	}
	var req wireRequest
	_ = json.Unmarshal(body, &req)
	var last error
	for attempt := 0; attempt <= c.cfg.Retries; attempt++ {
		if attempt > 0 {
			d := c.cfg.RetryDelay << (attempt - 1)
			t := time.NewTimer(d/2 + rand.N(d/2+1))
			select {
			case <-ctx.Done():
				t.Stop()
				return Answer{}, ctx.Err()
			case <-t.C:
			}
		}
		a, err := c.once(ctx, req.MaYeuCau, q.EndUser, body)
		if err == nil {
			c.log.Info("population database check", "request", req.MaYeuCau, "attempt", attempt+1, "result", string(a.Result),
				"reference", a.Reference)
			return a, nil
		}
		last = err
		var p permanent
		if errors.As(err, &p) || ctx.Err() != nil {
			c.log.Warn("population database check refused", "request", req.MaYeuCau, "attempt", attempt+1, "err", err)
			return Answer{}, err
		}
		c.log.Warn("population database check failed", "request", req.MaYeuCau, "attempt", attempt+1, "err", err)
	}
	return Answer{}, fmt.Errorf("%w: %v", ErrUnavailable, last)
}

func (c *Client) once(ctx context.Context, requestID, endUser string, body []byte) (Answer, error) {
	if c.cfg.URL == "" {
		return Answer{}, permanent{errors.New("popdb: no upstream configured")}
	}
	actx, cancel := context.WithTimeout(ctx, c.cfg.Timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(actx, http.MethodPost, c.cfg.URL+Path, bytes.NewReader(body))
	if err != nil {
		return Answer{}, permanent{err}
	}
	req.Header.Set("Content-Type", "application/json; charset=utf-8")
	req.Header.Set("Accept", "application/json")
	switch {
	case c.cfg.LGSPKey != "":
		req.Header.Set("X-LGSP-Key", c.cfg.LGSPKey)
		req.Header.Set("X-Request-ID", requestID)
		if endUser != "" {
			req.Header.Set("X-LGSP-End-User", endUser)
		}
	case c.cfg.Token != "":
		req.Header.Set("Authorization", "Bearer "+c.cfg.Token)
	}
	resp, err := c.http.Do(req)
	if err != nil {
		var ne net.Error
		if errors.As(err, &ne) && ne.Timeout() {
			return Answer{}, errors.New("time-out")
		}
		var op *net.OpError
		if errors.As(err, &op) && op.Op == "dial" {
			return Answer{}, errors.New("upstream unreachable")
		}
		// The error text names the URL, never the body: safe to keep.
		return Answer{}, err
	}
	defer resp.Body.Close()
	var w wireAnswer
	data, err := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
	if err != nil {
		return Answer{}, fmt.Errorf("read answer: %w", err)
	}
	_ = json.Unmarshal(data, &w)
	switch {
	case resp.StatusCode == http.StatusOK:
	case resp.StatusCode == http.StatusTooManyRequests || resp.StatusCode >= 500:
		return Answer{}, fmt.Errorf("HTTP %d %s", resp.StatusCode, w.MaLoi)
	default:
		return Answer{}, permanent{fmt.Errorf("HTTP %d %s", resp.StatusCode, w.MaLoi)}
	}
	a := Answer{RequestID: requestID, Reference: w.MaTraCuu}
	switch w.KetQua {
	case wireMatch:
		a.Result = Match
	case wireNoMatch:
		a.Result = NoMatch
	case wireNotFound:
		a.Result = NotFound
	default:
		return Answer{}, fmt.Errorf("unexpected answer %q", w.KetQua)
	}
	if a.Reference == "" || len(a.Reference) > 100 {
		return Answer{}, errors.New("answer without a valid reference")
	}
	for _, f := range w.TruongKhongKhop {
		switch f {
		case "HoVaTen":
			a.Mismatched = append(a.Mismatched, "full_name")
		case "NgaySinh":
			a.Mismatched = append(a.Mismatched, "birth_date")
		}
	}
	return a, nil
}
