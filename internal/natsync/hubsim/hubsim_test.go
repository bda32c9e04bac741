package hubsim_test

import (
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/congso/congso/internal/natsync/hubsim"
)

const valid = `{"MaHoSo":"000.00.21.H25-260302-0001","MaTTHC":"1.001612","MaDonVi":"000.00.21.H25","MaDonViXuLy":"000.00.21.H25",
	"KenhThucHien":1,"TrangThaiHoSo":2,"NgayNopHoSo":"20260302080000","NgayTiepNhan":"20260302080000","NgayHenTra":"20260305170000",
	"ThanhToanTrucTuyen":0,"TongPhiLePhi":0,"DaThanhToan":0,"SoThanhPhanHoSo":0,"SoThanhPhanTaiSuDung":0,"KetQuaSoHoa":0,"XacThucVNeID":0,
	"LoaiDoiTuong":1,"DanhSachGiayToKetQua":[],"ThaoTac":"receive","SoThuTuSuKien":1,"ThoiDiemCapNhat":"20260302080000"}`

func send(t *testing.T, url, key, token, body string) (int, string, error) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodPost, url, strings.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	if key != "" {
		req.Header.Set("Idempotency-Key", key)
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	c := &http.Client{Timeout: 300 * time.Millisecond}
	resp, err := c.Do(req)
	if err != nil {
		return 0, "", err
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b), nil
}

func TestHub(t *testing.T) {
	h, err := hubsim.New(hubsim.Options{Token: "tk", SlowFor: 50 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := h.Start(); err != nil {
		t.Fatal(err)
	}
	defer h.Close()
	url, key := h.URL(), "000.00.21.H25-260302-0001:1"
	for _, c := range []struct {
		name, key, token, body string
		status                 int
		want                   string
	}{
		{"valid", key, "tk", valid, 200, `"TrungLap":false`},
		{"again", key, "tk", valid, 200, `"TrungLap":true`},
		{"wrong token", key, "x", valid, 401, "xác thực"},
		{"no key", "", "tk", valid, 422, "Idempotency-Key"},
		{"key of another record", "000.00.21.H25-260302-0001:2", "tk", valid, 422, "Idempotency-Key"},
		{"personal data", key, "tk", strings.Replace(valid, `"LoaiDoiTuong":1`, `"LoaiDoiTuong":1,"HoVaTen":"Nguyễn Văn An"`, 1), 422, "HoVaTen"},
		{"no receipt date", key, "tk", strings.Replace(valid, `"NgayTiepNhan":"20260302080000",`, "", 1), 422, "NgayTiepNhan"},
		{"bad status", key, "tk", strings.Replace(valid, `"TrangThaiHoSo":2`, `"TrangThaiHoSo":11`, 1), 422, "TrangThaiHoSo"},
		{"bad date", key, "tk", strings.Replace(valid, `"NgayHenTra":"20260305170000"`, `"NgayHenTra":"2026-03-05"`, 1), 422, "NgayHenTra"},
	} {
		status, body, err := send(t, url, c.key, c.token, c.body)
		if err != nil || status != c.status || !strings.Contains(body, c.want) {
			t.Errorf("%s: %d %s %v, want %d with %q", c.name, status, body, err, c.status, c.want)
		}
	}
	cnt := h.Counts()
	if cnt.Accepted != 1 || cnt.Duplicates != 1 || cnt.Rejected != 7 {
		t.Errorf("counts %+v", cnt)
	}

	// Failures on demand.
	second := strings.NewReplacer(`"SoThuTuSuKien":1`, `"SoThuTuSuKien":2`, `"TrangThaiHoSo":2`, `"TrangThaiHoSo":4`).Replace(valid)
	key2 := "000.00.21.H25-260302-0001:2"
	h.FailNext(1, hubsim.ServerError)
	if status, _, _ := send(t, url, key2, "tk", second); status != 503 {
		t.Errorf("injected 5xx: %d", status)
	}
	h.FailNext(1, hubsim.Timeout)
	if _, _, err := send(t, url, key2, "tk", second); err == nil {
		t.Error("injected time-out answered")
	}
	h.FailNext(1, hubsim.LostReply)
	if _, _, err := send(t, url, key2, "tk", second); err == nil {
		t.Error("lost reply answered")
	}
	if n := len(h.Received("000.00.21.H25-260302-0001")); n != 2 {
		t.Errorf("a lost reply's record is not kept: %d records", n)
	}
	if status, body, _ := send(t, url, key2, "tk", second); status != 200 || !strings.Contains(body, `"TrungLap":true`) {
		t.Errorf("after the lost reply: %d %s", status, body)
	}
	if err := h.SetFailure(hubsim.Down); err != nil {
		t.Fatal(err)
	}
	if _, _, err := send(t, url, key2, "tk", second); !errors.Is(err, syscall.ECONNREFUSED) {
		t.Errorf("down: %v", err)
	}
	if err := h.SetFailure(hubsim.None); err != nil {
		t.Fatal(err)
	}
	// The inspection endpoint lists what it holds.
	resp, err := http.Get(h.BaseURL() + "/_sim/received")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var seen struct {
		Counts   hubsim.Counts                `json:"counts"`
		Dossiers map[string][]hubsim.Received `json:"dossiers"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&seen); err != nil {
		t.Fatal(err)
	}
	got := seen.Dossiers["000.00.21.H25-260302-0001"]
	if len(got) != 2 || got[0].Seq != 1 || got[1].Status != 4 || seen.Counts.Accepted != 2 {
		t.Errorf("received: %+v", seen)
	}
	// Switching failures over HTTP.
	r2, err := http.Post(h.BaseURL()+"/_sim/failure", "application/json", strings.NewReader(`{"mode":"error","count":1}`))
	if err != nil || r2.StatusCode != 200 {
		t.Fatalf("set failure: %v %v", r2, err)
	}
	r2.Body.Close()
	if status, _, _ := send(t, url, key2, "tk", second); status != 503 {
		t.Errorf("failure set over HTTP: %d", status)
	}
}
