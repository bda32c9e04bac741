// Package popsim is a fake national population database (CSDL quốc gia về
// dân cư) for the demo (`congso sim population`) and the tests. It serves
// the check API the popdb package documents, holds the demo citizens, and
// fails on demand: time-outs, 5xx, 429, slow answers, and down (the port is
// closed).
//
// It compares like the real database: the ID number exactly, the birth date
// exactly, the name exactly as written in Vietnamese — diacritics count —
// except for letter case and spacing.
package popsim

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"regexp"
	"slices"
	"strings"
	"sync"
	"time"

	"golang.org/x/text/unicode/norm"

	"github.com/congso/congso/internal/simnet"
)

// Path is the check endpoint.
const Path = "/api/v1/xac-thuc-cong-dan"

// Citizen is a person the fake database knows.
type Citizen struct {
	IDNumber string
	FullName string
	// BirthDate is YYYY-MM-DD.
	BirthDate string
}

// DemoCitizens are the platform's demo citizens (those of the identity
// provider simulator). Each call returns a fresh slice.
func DemoCitizens() []Citizen {
	return []Citizen{
		{IDNumber: "042090001234", FullName: "Nguyễn Văn An", BirthDate: "1990-05-12"},
		{IDNumber: "042185003456", FullName: "Trần Thị Bình", BirthDate: "1985-11-02"},
		{IDNumber: "042201007890", FullName: "Lê Minh Châu", BirthDate: "2001-03-15"},
		{IDNumber: "042300005678", FullName: "Phan Thị Dung", BirthDate: "2000-08-30"},
	}
}

// Failure is a way for the database to misbehave.
type Failure string

const (
	None Failure = ""
	// Timeout hangs until the client gives up.
	Timeout Failure = "timeout"
	// ServerError answers 503.
	ServerError Failure = "error"
	// RateLimit answers 429.
	RateLimit Failure = "rate_limit"
	// Slow answers correctly after Options.SlowFor.
	Slow Failure = "slow"
	// Down closes the port.
	Down Failure = "down"
)

// Failures lists the failure modes.
func Failures() []Failure { return []Failure{Timeout, ServerError, RateLimit, Slow, Down} }

// ParseFailure reads a failure mode by name ("" or "none" is None).
func ParseFailure(s string) (Failure, error) {
	if s == "" || s == "none" {
		return None, nil
	}
	if f := Failure(s); slices.Contains(Failures(), f) {
		return f, nil
	}
	return None, fmt.Errorf("popsim: unknown failure %q", s)
}

// Options configure the fake database.
type Options struct {
	Addr string
	// Token, when set, is the bearer token callers must present.
	Token string
	// Citizens are the people it knows (DemoCitizens when nil).
	Citizens []Citizen
	Failure  Failure
	HangFor  time.Duration // 1 minute
	SlowFor  time.Duration // 2 s
	Now      func() time.Time
	// Log gets one line per check: request ID and result, nothing personal.
	Log *slog.Logger
}

// Counts are the fake database's counters.
type Counts struct {
	Requests int            `json:"requests"`
	Failed   int            `json:"failed"`
	Rejected int            `json:"rejected"`
	Results  map[string]int `json:"results"`
}

// Sim is a running (or ready to run) fake database.
type Sim struct {
	opts    Options
	log     *slog.Logger
	handler http.Handler

	mu       sync.Mutex
	port     *simnet.Port
	people   map[string]Citizen
	failure  Failure
	next     []Failure
	counts   Counts
	stopping chan struct{}
	closed   bool
}

// New returns a fake database; Start serves it.
func New(opts Options) (*Sim, error) {
	if opts.Addr == "" {
		opts.Addr = "127.0.0.1:0"
	}
	if opts.HangFor <= 0 {
		opts.HangFor = time.Minute
	}
	if opts.SlowFor <= 0 {
		opts.SlowFor = 2 * time.Second
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.Citizens == nil {
		opts.Citizens = DemoCitizens()
	}
	if _, err := ParseFailure(string(opts.Failure)); err != nil {
		return nil, err
	}
	s := &Sim{opts: opts, log: opts.Log, people: map[string]Citizen{}, failure: opts.Failure, stopping: make(chan struct{}),
		counts: Counts{Results: map[string]int{}}}
	if s.log == nil {
		s.log = slog.New(slog.DiscardHandler)
	}
	for _, c := range opts.Citizens {
		s.people[c.IDNumber] = c
	}
	mux := http.NewServeMux()
	mux.HandleFunc("POST "+Path, s.check)
	mux.HandleFunc("GET /_sim/counts", func(w http.ResponseWriter, r *http.Request) { writeJSON(w, http.StatusOK, s.Counts()) })
	mux.HandleFunc("POST /_sim/failure", s.setFailure)
	s.handler = mux
	s.port = simnet.NewPort("popsim", opts.Addr, mux)
	return s, nil
}

// Handler serves the endpoints.
func (s *Sim) Handler() http.Handler { return s.handler }

// Start listens and serves in the background; it returns the base URL (the
// value of CONGSO_POPDB_URL).
func (s *Sim) Start() (string, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.port.Start(s.failure == Down)
}

// Close stops the fake database.
func (s *Sim) Close() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if !s.closed {
		s.closed = true
		close(s.stopping)
	}
	return s.port.Close()
}

// SetFailure switches the failure mode; Down closes the port and leaving it
// opens it again on the same address.
func (s *Sim) SetFailure(f Failure) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.next = nil
	prev := s.failure
	s.failure = f
	switch {
	case f == Down && prev != Down:
		s.port.Down()
	case f != Down:
		return s.port.Up()
	}
	return nil
}

// FailNext makes the next n requests fail with f (not Down).
func (s *Sim) FailNext(n int, f Failure) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for range n {
		s.next = append(s.next, f)
	}
}

// Counts returns the counters.
func (s *Sim) Counts() Counts {
	s.mu.Lock()
	defer s.mu.Unlock()
	c := s.counts
	c.Results = map[string]int{}
	for k, v := range s.counts.Results {
		c.Results[k] = v
	}
	return c
}

func (s *Sim) mode() Failure {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.counts.Requests++
	if len(s.next) > 0 {
		f := s.next[0]
		s.next = s.next[1:]
		return f
	}
	return s.failure
}

type errorBody struct {
	MaLoi    string `json:"MaLoi"`
	ThongBao string `json:"ThongBao"`
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(v)
}

type request struct {
	MaYeuCau      string `json:"MaYeuCau"`
	MaDonViYeuCau string `json:"MaDonViYeuCau"`
	SoDinhDanh    string `json:"SoDinhDanh"`
	HoVaTen       string `json:"HoVaTen"`
	NgaySinh      string `json:"NgaySinh"`
}

var idPattern = regexp.MustCompile(`^\d{12}$`)

// sameName compares names as the database does: exactly, diacritics
// included, but not letter case or spacing.
func sameName(a, b string) bool {
	n := func(s string) string { return strings.ToLower(strings.Join(strings.Fields(norm.NFC.String(s)), " ")) }
	return n(a) == n(b)
}

func (s *Sim) check(w http.ResponseWriter, r *http.Request) {
	switch s.mode() {
	case Timeout:
		s.fail()
		t := time.NewTimer(s.opts.HangFor)
		defer t.Stop()
		select {
		case <-r.Context().Done():
		case <-s.stopping:
		case <-t.C:
		}
		return
	case ServerError:
		s.fail()
		writeJSON(w, http.StatusServiceUnavailable, errorBody{MaLoi: "HE_THONG_BAN", ThongBao: "Hệ thống đang bận."})
		return
	case RateLimit:
		s.fail()
		writeJSON(w, http.StatusTooManyRequests, errorBody{MaLoi: "QUA_NHIEU_YEU_CAU", ThongBao: "Vượt hạn mức yêu cầu."})
		return
	case Slow:
		t := time.NewTimer(s.opts.SlowFor)
		select {
		case <-r.Context().Done():
			t.Stop()
			s.fail()
			return
		case <-t.C:
		}
	}
	if s.opts.Token != "" && r.Header.Get("Authorization") != "Bearer "+s.opts.Token {
		s.reject()
		writeJSON(w, http.StatusUnauthorized, errorBody{MaLoi: "XAC_THUC", ThongBao: "Thông tin xác thực không hợp lệ."})
		return
	}
	var q request
	dec := json.NewDecoder(io.LimitReader(r.Body, 16<<10))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&q); err != nil || q.MaYeuCau == "" || !idPattern.MatchString(q.SoDinhDanh) || strings.TrimSpace(q.HoVaTen) == "" {
		s.reject()
		writeJSON(w, http.StatusBadRequest, errorBody{MaLoi: "DU_LIEU_KHONG_HOP_LE", ThongBao: "Yêu cầu thiếu hoặc sai định dạng."})
		return
	}
	if _, err := time.Parse("20060102", q.NgaySinh); err != nil {
		s.reject()
		writeJSON(w, http.StatusBadRequest, errorBody{MaLoi: "DU_LIEU_KHONG_HOP_LE", ThongBao: "NgaySinh có dạng yyyyMMdd."})
		return
	}
	s.mu.Lock()
	p, known := s.people[q.SoDinhDanh]
	s.mu.Unlock()
	answer := map[string]any{"MaYeuCau": q.MaYeuCau, "MaTraCuu": reference(s.opts.Now()), "ThoiGian": s.opts.Now().In(vietnam).Format("20060102150405")}
	var mismatched []string
	switch {
	case !known:
		answer["KetQua"] = "KHONG_TIM_THAY"
	default:
		if !sameName(p.FullName, q.HoVaTen) {
			mismatched = append(mismatched, "HoVaTen")
		}
		if strings.ReplaceAll(p.BirthDate, "-", "") != q.NgaySinh {
			mismatched = append(mismatched, "NgaySinh")
		}
		answer["KetQua"] = "KHOP"
		if len(mismatched) > 0 {
			answer["KetQua"] = "KHONG_KHOP"
			answer["TruongKhongKhop"] = mismatched
		}
	}
	s.mu.Lock()
	s.counts.Results[answer["KetQua"].(string)]++
	s.mu.Unlock()
	s.log.Info("population check", "request", q.MaYeuCau, "result", answer["KetQua"])
	writeJSON(w, http.StatusOK, answer)
}

var vietnam = time.FixedZone("ICT", 7*3600)

func reference(now time.Time) string {
	var b [5]byte
	_, _ = rand.Read(b[:])
	return "DC-" + now.In(vietnam).Format("20060102") + "-" + strings.ToUpper(hex.EncodeToString(b[:]))
}

func (s *Sim) fail() {
	s.mu.Lock()
	s.counts.Failed++
	s.mu.Unlock()
}

func (s *Sim) reject() {
	s.mu.Lock()
	s.counts.Rejected++
	s.mu.Unlock()
}

func (s *Sim) setFailure(w http.ResponseWriter, r *http.Request) {
	var in struct {
		Mode  string `json:"mode"`
		Count int    `json:"count"`
	}
	if err := json.NewDecoder(io.LimitReader(r.Body, 4096)).Decode(&in); err != nil {
		writeJSON(w, http.StatusBadRequest, errorBody{MaLoi: "400", ThongBao: `Gửi {"mode": "timeout|error|rate_limit|slow|down|none", "count": n}.`})
		return
	}
	f, err := ParseFailure(in.Mode)
	if err != nil || (f == Down && in.Count > 0) {
		writeJSON(w, http.StatusBadRequest, errorBody{MaLoi: "400", ThongBao: "Kiểu lỗi không hợp lệ."})
		return
	}
	if in.Count > 0 {
		s.FailNext(in.Count, f)
	} else if err := s.SetFailure(f); err != nil {
		writeJSON(w, http.StatusInternalServerError, errorBody{MaLoi: "500", ThongBao: err.Error()})
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"mode": string(f), "count": in.Count})
}

// Serve runs the fake database on addr until ctx ends.
func Serve(ctx context.Context, addr string, opts Options) error {
	opts.Addr = addr
	s, err := New(opts)
	if err != nil {
		return err
	}
	base, err := s.Start()
	if err != nil {
		return err
	}
	s.log.Info("population database simulator listening", "url", base, "citizens", len(opts.Citizens))
	<-ctx.Done()
	return s.Close()
}
