// Package hubsim simulates the national public-service portal's hub, the
// outside system that the province's sync records go to, for the demo
// (`congso sim national-portal`) and for the tests. It behaves like the real
// thing, failures included:
//
//   - POST /api/hoso/dongbo accepts one sync record (JSON) with an
//     Idempotency-Key header, after checking the bearer token or API key
//     (when configured). It validates the record against the schema the
//     province documents (natsync.Record: unknown keys, missing fields, bad
//     codes and dates are refused with 400) and deduplicates by key: a key it
//     already holds is acknowledged again and counted as a duplicate, not
//     stored twice. It notes records that arrive out of order for their
//     dossier.
//   - POST /api/hoso/nop (optional) files a national dossier into the
//     platform — what a citizen filing on dichvucong.gov.vn causes — by
//     forwarding the body to the platform's inbound endpoint.
//   - GET /_sim/received lists what it holds, per dossier, with the
//     counters; POST /_sim/failure sets the failure mode.
//
// Failures on demand (SetFailure, FailNext, Down/Up, or POST /_sim/failure):
// time-outs (hang longer than any client waits, before storing), lost
// replies (store, then hang: the client cannot know the record arrived),
// 5xx, slow answers, refusal of every record (422), and down (the port is
// closed: connection refused).
package hubsim

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"regexp"
	"slices"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/congso/congso/internal/simnet"
)

// Path is where the hub takes sync records.
const Path = "/api/hoso/dongbo"

// FilePath is where the hub takes a national dossier to forward to the
// platform.
const FilePath = "/api/hoso/nop"

// Failure is a way for the hub to misbehave.
type Failure string

const (
	None Failure = ""
	// Timeout hangs before handling the record, until the client gives up
	// (or Options.HangFor passes).
	Timeout Failure = "timeout"
	// LostReply stores the record, then hangs: the client times out
	// without knowing that the record arrived, and sends it again.
	LostReply Failure = "lost_reply"
	// ServerError answers 503.
	ServerError Failure = "error"
	// Slow answers correctly after Options.SlowFor.
	Slow Failure = "slow"
	// Reject refuses every record with 422, as the hub does with a record
	// it finds invalid.
	Reject Failure = "reject"
	// Down closes the port: connections are refused.
	Down Failure = "down"
)

// Failures lists the failure modes, for command-line help.
func Failures() []Failure { return []Failure{Timeout, LostReply, ServerError, Slow, Reject, Down} }

// ParseFailure reads a failure mode by name ("" or "none" is None).
func ParseFailure(s string) (Failure, error) {
	if s == "" || s == "none" {
		return None, nil
	}
	if f := Failure(s); slices.Contains(Failures(), f) {
		return f, nil
	}
	return None, fmt.Errorf("hubsim: unknown failure %q", s)
}

// Options configure the hub.
type Options struct {
	// Addr is where to listen (127.0.0.1:0 by default).
	Addr string
	// Token, when set, is the bearer token callers must present; APIKey,
	// when set, the X-API-Key they must present. With neither, any caller
	// is served.
	Token  string
	APIKey string
	// Failure is the failure mode to start in.
	Failure Failure
	// HangFor bounds a time-out's hang (1 minute); the hang ends earlier
	// when the client gives up.
	HangFor time.Duration
	// SlowFor is the delay of slow answers (2 s).
	SlowFor time.Duration
	// PlatformURL and PlatformToken are where FilePath forwards national
	// dossiers: the platform's address and a token of its national-portal
	// machine account.
	PlatformURL   string
	PlatformToken string
	Now           func() time.Time
	// Log gets one line per request (no payloads).
	Log *slog.Logger
}

// Received is one record the hub holds.
type Received struct {
	Key        string          `json:"key"`
	Seq        int             `json:"seq"`
	Status     int             `json:"status"`
	ReceivedAt time.Time       `json:"received_at"`
	Record     json.RawMessage `json:"record"`
}

// Counts are the hub's counters.
type Counts struct {
	// Accepted is the distinct records stored.
	Accepted int `json:"accepted"`
	// Duplicates is the deliveries of a key already held.
	Duplicates int `json:"duplicates"`
	// Rejected is the deliveries refused as invalid or unauthorised.
	Rejected int `json:"rejected"`
	// Failed is the deliveries answered with a failure (5xx, time-out,
	// lost reply, injected refusal).
	Failed int `json:"failed"`
	// OutOfOrder is the records that arrived after a later record of the
	// same dossier.
	OutOfOrder int `json:"out_of_order"`
	// Requests is every request to Path.
	Requests int `json:"requests"`
}

// Hub is a running (or ready to run) simulated hub. Its methods are safe for
// concurrent use.
type Hub struct {
	opts    Options
	log     *slog.Logger
	handler http.Handler

	mu       sync.Mutex
	port     *simnet.Port
	failure  Failure
	next     []Failure
	byKey    map[string]bool
	byCode   map[string][]Received
	maxSeq   map[string]int
	counts   Counts
	stopping chan struct{}
	closed   bool
}

// New returns a hub; Start serves it.
func New(opts Options) (*Hub, error) {
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
	if _, err := ParseFailure(string(opts.Failure)); err != nil {
		return nil, err
	}
	h := &Hub{opts: opts, log: opts.Log, failure: opts.Failure, byKey: map[string]bool{}, byCode: map[string][]Received{},
		maxSeq: map[string]int{}, stopping: make(chan struct{})}
	if h.log == nil {
		h.log = slog.New(slog.DiscardHandler)
	}
	mux := http.NewServeMux()
	mux.HandleFunc("POST "+Path, h.sync)
	mux.HandleFunc("POST "+FilePath, h.file)
	mux.HandleFunc("GET /_sim/received", h.received)
	mux.HandleFunc("POST /_sim/failure", h.setFailure)
	h.handler = mux
	h.port = simnet.NewPort("hubsim", opts.Addr, mux)
	return h, nil
}

// Handler serves the hub's endpoints (for mounting without Start).
func (h *Hub) Handler() http.Handler { return h.handler }

// Start listens on Options.Addr and serves in the background; it returns the
// hub's base URL. Unless the hub starts Down.
func (h *Hub) Start() (string, error) {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.port.Start(h.failure == Down)
}

// URL is the endpoint for sync records.
func (h *Hub) URL() string {
	h.mu.Lock()
	defer h.mu.Unlock()
	return "http://" + h.port.Addr() + Path
}

// BaseURL is the hub's address.
func (h *Hub) BaseURL() string {
	h.mu.Lock()
	defer h.mu.Unlock()
	return "http://" + h.port.Addr()
}

// Close stops the hub and the requests in flight.
func (h *Hub) Close() error {
	h.mu.Lock()
	defer h.mu.Unlock()
	if !h.closed {
		h.closed = true
		close(h.stopping)
	}
	return h.port.Close()
}

// SetFailure switches the failure mode (None to behave again). Down closes
// the port; leaving Down opens it again on the same address.
func (h *Hub) SetFailure(f Failure) error {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.next = nil
	return h.switchLocked(f)
}

func (h *Hub) switchLocked(f Failure) error {
	prev := h.failure
	h.failure = f
	switch {
	case f == Down && prev != Down:
		h.port.Down()
	case f != Down:
		return h.port.Up()
	}
	return nil
}

// FailNext makes the next n requests fail with f, then returns to the
// current mode. Down cannot be counted this way.
func (h *Hub) FailNext(n int, f Failure) {
	h.mu.Lock()
	defer h.mu.Unlock()
	for range n {
		h.next = append(h.next, f)
	}
}

// Failure is the current failure mode.
func (h *Hub) Failure() Failure {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.failure
}

// Counts returns the counters.
func (h *Hub) Counts() Counts {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.counts
}

// Received lists the records held for a dossier, in arrival order.
func (h *Hub) Received(code string) []Received {
	h.mu.Lock()
	defer h.mu.Unlock()
	return slices.Clone(h.byCode[code])
}

// Dossiers lists the codes of the dossiers the hub holds records of.
func (h *Hub) Dossiers() []string {
	h.mu.Lock()
	defer h.mu.Unlock()
	out := make([]string, 0, len(h.byCode))
	for c := range h.byCode {
		out = append(out, c)
	}
	sort.Strings(out)
	return out
}

// Reset forgets every record and counter.
func (h *Hub) Reset() {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.byKey, h.byCode, h.maxSeq, h.counts = map[string]bool{}, map[string][]Received{}, map[string]int{}, Counts{}
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

func (h *Hub) authorised(r *http.Request) bool {
	if h.opts.Token != "" && r.Header.Get("Authorization") != "Bearer "+h.opts.Token {
		return false
	}
	if h.opts.APIKey != "" && r.Header.Get("X-API-Key") != h.opts.APIKey {
		return false
	}
	return true
}

// mode takes the failure for this request.
func (h *Hub) mode() Failure {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.counts.Requests++
	if len(h.next) > 0 {
		f := h.next[0]
		h.next = h.next[1:]
		return f
	}
	return h.failure
}

func (h *Hub) count(f func(c *Counts)) {
	h.mu.Lock()
	f(&h.counts)
	h.mu.Unlock()
}

// hang waits until the client gives up, the hub stops or HangFor passes.
func (h *Hub) hang(r *http.Request) {
	t := time.NewTimer(h.opts.HangFor)
	defer t.Stop()
	select {
	case <-r.Context().Done():
	case <-h.stopping:
	case <-t.C:
	}
}

func (h *Hub) sync(w http.ResponseWriter, r *http.Request) {
	f := h.mode()
	switch f {
	case Timeout:
		h.count(func(c *Counts) { c.Failed++ })
		h.hang(r)
		return
	case ServerError:
		h.count(func(c *Counts) { c.Failed++ })
		writeJSON(w, http.StatusServiceUnavailable, errorBody{MaLoi: "503", ThongBao: "Hệ thống đang bận, vui lòng thử lại sau."})
		return
	case Slow:
		t := time.NewTimer(h.opts.SlowFor)
		select {
		case <-r.Context().Done():
			t.Stop()
			h.count(func(c *Counts) { c.Failed++ })
			return
		case <-t.C:
		}
	}
	if !h.authorised(r) {
		h.count(func(c *Counts) { c.Rejected++ })
		writeJSON(w, http.StatusUnauthorized, errorBody{MaLoi: "401", ThongBao: "Thông tin xác thực không hợp lệ."})
		return
	}
	key := r.Header.Get("Idempotency-Key")
	body, err := io.ReadAll(io.LimitReader(r.Body, 1<<20))
	if err != nil {
		h.count(func(c *Counts) { c.Rejected++ })
		writeJSON(w, http.StatusBadRequest, errorBody{MaLoi: "400", ThongBao: "Không đọc được nội dung."})
		return
	}
	rec, problems := validate(key, body)
	if f == Reject {
		problems = append(problems, "bản ghi bị từ chối (mô phỏng)")
	}
	if len(problems) > 0 {
		h.count(func(c *Counts) { c.Rejected++ })
		h.log.Info("sync record refused", "key", key, "problems", len(problems))
		writeJSON(w, http.StatusUnprocessableEntity, errorBody{MaLoi: "422", ThongBao: strings.Join(problems, "; ")})
		return
	}
	h.mu.Lock()
	dup := h.byKey[key]
	if dup {
		h.counts.Duplicates++
	} else {
		h.byKey[key] = true
		h.counts.Accepted++
		if rec.SoThuTuSuKien < h.maxSeq[rec.MaHoSo] {
			h.counts.OutOfOrder++
		}
		h.maxSeq[rec.MaHoSo] = max(h.maxSeq[rec.MaHoSo], rec.SoThuTuSuKien)
		h.byCode[rec.MaHoSo] = append(h.byCode[rec.MaHoSo], Received{Key: key, Seq: rec.SoThuTuSuKien, Status: rec.TrangThaiHoSo,
			ReceivedAt: h.opts.Now().UTC(), Record: json.RawMessage(body)})
	}
	h.mu.Unlock()
	if f == LostReply {
		h.count(func(c *Counts) { c.Failed++ })
		h.hang(r)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"MaLoi": "0", "ThongBao": "Thành công", "TrungLap": dup})
}

// record is the schema of a sync record as the hub checks it: the hub's own
// copy of the contract (natsync.Record), so that a change on either side
// that breaks it fails the tests.
type record struct {
	MaHoSo               string      `json:"MaHoSo"`
	MaHoSoQG             string      `json:"MaHoSoQG"`
	MaTTHC               string      `json:"MaTTHC"`
	MaDonVi              string      `json:"MaDonVi"`
	MaDonViXuLy          string      `json:"MaDonViXuLy"`
	KenhThucHien         int         `json:"KenhThucHien"`
	TrangThaiHoSo        int         `json:"TrangThaiHoSo"`
	NgayNopHoSo          string      `json:"NgayNopHoSo"`
	NgayTiepNhan         string      `json:"NgayTiepNhan"`
	NgayHenTra           string      `json:"NgayHenTra"`
	HanXuLyTheoQuyDinh   string      `json:"HanXuLyTheoQuyDinh"`
	NgayKetThucXuLy      string      `json:"NgayKetThucXuLy"`
	NgayTra              string      `json:"NgayTra"`
	ThanhToanTrucTuyen   int         `json:"ThanhToanTrucTuyen"`
	TongPhiLePhi         int64       `json:"TongPhiLePhi"`
	DaThanhToan          int64       `json:"DaThanhToan"`
	SoThanhPhanHoSo      int         `json:"SoThanhPhanHoSo"`
	SoThanhPhanTaiSuDung int         `json:"SoThanhPhanTaiSuDung"`
	KetQuaSoHoa          int         `json:"KetQuaSoHoa"`
	XacThucVNeID         int         `json:"XacThucVNeID"`
	MaXacThucDanCu       string      `json:"MaXacThucDanCu"`
	KetQuaXacThucDanCu   int         `json:"KetQuaXacThucDanCu"`
	LoaiDoiTuong         int         `json:"LoaiDoiTuong"`
	MaDoiTuong           string      `json:"MaDoiTuong"`
	DanhSachGiayToKetQua []resultDoc `json:"DanhSachGiayToKetQua"`
	ThaoTac              string      `json:"ThaoTac"`
	SoThuTuSuKien        int         `json:"SoThuTuSuKien"`
	ThoiDiemCapNhat      string      `json:"ThoiDiemCapNhat"`
}

type resultDoc struct {
	TenGiayTo      string `json:"TenGiayTo"`
	DuongDanTepTin string `json:"DuongDanTepTin"`
	MaBam          string `json:"MaBam"`
}

var (
	codePattern   = regexp.MustCompile(`^[0-9A-Za-z.]+-\d{6}-\d{4}$`)
	digitsPattern = regexp.MustCompile(`^\d{12}$|^\d{10}(-\d{3})?$`)
)

// validate checks a record the way the hub would.
func validate(key string, body []byte) (record, []string) {
	var rec record
	var problems []string
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&rec); err != nil {
		return rec, []string{"JSON không hợp lệ: " + err.Error()}
	}
	bad := func(format string, args ...any) { problems = append(problems, fmt.Sprintf(format, args...)) }
	if key == "" {
		bad("thiếu Idempotency-Key")
	} else if key != fmt.Sprintf("%s:%d", rec.MaHoSo, rec.SoThuTuSuKien) {
		bad("Idempotency-Key không khớp MaHoSo và SoThuTuSuKien")
	}
	if !codePattern.MatchString(rec.MaHoSo) {
		bad("MaHoSo không đúng định dạng")
	}
	if rec.MaTTHC == "" {
		bad("thiếu MaTTHC")
	}
	if rec.MaDonVi == "" || rec.MaDonViXuLy == "" {
		bad("thiếu MaDonVi hoặc MaDonViXuLy")
	}
	if rec.KenhThucHien < 1 || rec.KenhThucHien > 3 {
		bad("KenhThucHien phải từ 1 đến 3")
	}
	if rec.TrangThaiHoSo < 1 || rec.TrangThaiHoSo > 10 {
		bad("TrangThaiHoSo phải từ 1 đến 10")
	}
	if rec.ThanhToanTrucTuyen < 0 || rec.ThanhToanTrucTuyen > 2 {
		bad("ThanhToanTrucTuyen phải là 0, 1 hoặc 2")
	}
	if rec.LoaiDoiTuong != 1 && rec.LoaiDoiTuong != 2 {
		bad("LoaiDoiTuong phải là 1 hoặc 2")
	}
	if rec.KetQuaXacThucDanCu < 0 || rec.KetQuaXacThucDanCu > 3 || (rec.KetQuaXacThucDanCu > 0) != (rec.MaXacThucDanCu != "") {
		bad("MaXacThucDanCu và KetQuaXacThucDanCu phải đi cùng nhau")
	}
	if rec.MaDoiTuong != "" && !digitsPattern.MatchString(rec.MaDoiTuong) {
		bad("MaDoiTuong không hợp lệ")
	}
	if rec.SoThuTuSuKien < 1 {
		bad("SoThuTuSuKien phải từ 1")
	}
	if rec.SoThanhPhanTaiSuDung > rec.SoThanhPhanHoSo || rec.SoThanhPhanTaiSuDung < 0 {
		bad("SoThanhPhanTaiSuDung không được vượt SoThanhPhanHoSo")
	}
	if rec.DaThanhToan < 0 || rec.TongPhiLePhi < 0 {
		bad("phí, lệ phí không được âm")
	}
	for name, v := range map[string]string{"NgayNopHoSo": rec.NgayNopHoSo, "NgayTiepNhan": rec.NgayTiepNhan, "NgayHenTra": rec.NgayHenTra,
		"HanXuLyTheoQuyDinh": rec.HanXuLyTheoQuyDinh, "NgayKetThucXuLy": rec.NgayKetThucXuLy, "NgayTra": rec.NgayTra,
		"ThoiDiemCapNhat": rec.ThoiDiemCapNhat} {
		if v == "" {
			continue
		}
		if _, err := time.Parse("20060102150405", v); err != nil {
			bad("%s phải có dạng yyyyMMddHHmmss", name)
		}
	}
	required := func(name, v string, statuses ...int) {
		if v == "" && slices.Contains(statuses, rec.TrangThaiHoSo) {
			bad("trạng thái %d cần %s", rec.TrangThaiHoSo, name)
		}
	}
	required("NgayNopHoSo", rec.NgayNopHoSo, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10)
	required("ThoiDiemCapNhat", rec.ThoiDiemCapNhat, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10)
	required("NgayTiepNhan", rec.NgayTiepNhan, 2, 4, 5, 6, 9, 10)
	required("NgayHenTra", rec.NgayHenTra, 2, 4, 5, 6, 9, 10)
	required("NgayKetThucXuLy", rec.NgayKetThucXuLy, 3, 8, 9, 10)
	required("NgayTra", rec.NgayTra, 10)
	if rec.DanhSachGiayToKetQua == nil {
		bad("thiếu DanhSachGiayToKetQua (danh sách rỗng nếu chưa có)")
	}
	for _, d := range rec.DanhSachGiayToKetQua {
		if d.DuongDanTepTin == "" || !strings.HasPrefix(d.DuongDanTepTin, "http") || len(d.MaBam) != 64 {
			bad("giấy tờ kết quả cần đường dẫn http(s) và mã băm SHA-256")
		}
	}
	if rec.KetQuaSoHoa == 1 && len(rec.DanhSachGiayToKetQua) == 0 {
		bad("KetQuaSoHoa = 1 nhưng không có giấy tờ kết quả")
	}
	return rec, problems
}

func (h *Hub) received(w http.ResponseWriter, r *http.Request) {
	code := r.URL.Query().Get("MaHoSo")
	h.mu.Lock()
	out := map[string][]Received{}
	for c, recs := range h.byCode {
		if code == "" || c == code {
			out[c] = slices.Clone(recs)
		}
	}
	counts := h.counts
	h.mu.Unlock()
	writeJSON(w, http.StatusOK, map[string]any{"counts": counts, "dossiers": out})
}

func (h *Hub) setFailure(w http.ResponseWriter, r *http.Request) {
	var in struct {
		Mode  string `json:"mode"`
		Count int    `json:"count"`
	}
	if err := json.NewDecoder(io.LimitReader(r.Body, 4096)).Decode(&in); err != nil {
		writeJSON(w, http.StatusBadRequest, errorBody{MaLoi: "400", ThongBao: `Gửi {"mode": "timeout|lost_reply|error|slow|reject|down|none", "count": n}.`})
		return
	}
	f, err := ParseFailure(in.Mode)
	if err != nil || (f == Down && in.Count > 0) {
		writeJSON(w, http.StatusBadRequest, errorBody{MaLoi: "400", ThongBao: "Kiểu lỗi không hợp lệ."})
		return
	}
	if in.Count > 0 {
		h.FailNext(in.Count, f)
	} else if err := h.SetFailure(f); err != nil {
		writeJSON(w, http.StatusInternalServerError, errorBody{MaLoi: "500", ThongBao: err.Error()})
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"mode": string(f), "count": in.Count})
}

// file forwards a national dossier to the platform, as the national portal
// does when a citizen files there.
func (h *Hub) file(w http.ResponseWriter, r *http.Request) {
	body, err := io.ReadAll(io.LimitReader(r.Body, 1<<20))
	if err != nil {
		writeJSON(w, http.StatusBadRequest, errorBody{MaLoi: "400", ThongBao: "Không đọc được nội dung."})
		return
	}
	status, answer, err := h.FileDossier(r.Context(), body)
	if err != nil {
		writeJSON(w, http.StatusBadGateway, errorBody{MaLoi: "502", ThongBao: err.Error()})
		return
	}
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	_, _ = w.Write(answer)
}

// FileDossier sends a national dossier (JSON, natsync.InboundDossier) to the
// platform's inbound endpoint and returns its answer.
func (h *Hub) FileDossier(ctx context.Context, body []byte) (int, []byte, error) {
	if h.opts.PlatformURL == "" {
		return 0, nil, errors.New("hubsim: no platform configured (PlatformURL)")
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, strings.TrimRight(h.opts.PlatformURL, "/")+"/api/v1/national/dossiers",
		bytes.NewReader(body))
	if err != nil {
		return 0, nil, err
	}
	req.Header.Set("Content-Type", "application/json")
	if h.opts.PlatformToken != "" {
		req.Header.Set("Authorization", "Bearer "+h.opts.PlatformToken)
	}
	c := &http.Client{Timeout: 30 * time.Second}
	resp, err := c.Do(req)
	if err != nil {
		return 0, nil, fmt.Errorf("hubsim: send to the platform: %w", err)
	}
	defer resp.Body.Close()
	answer, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	return resp.StatusCode, answer, err
}

// Serve runs a hub on addr until ctx ends: the simulator's entry point.
func Serve(ctx context.Context, addr string, opts Options) error {
	opts.Addr = addr
	h, err := New(opts)
	if err != nil {
		return err
	}
	base, err := h.Start()
	if err != nil {
		return err
	}
	h.log.Info("national portal hub simulator listening", "url", base+Path, "failure", string(h.Failure()))
	<-ctx.Done()
	return h.Close()
}
