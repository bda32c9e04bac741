package natsync_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"sync"
	"testing"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/congso/congso/internal/db"
	"github.com/congso/congso/internal/db/dbtest"
	"github.com/congso/congso/internal/dossier"
	"github.com/congso/congso/internal/natsync"
)

func nationalDossier(id string) string {
	return `{"MaHoSoQG": "` + id + `", "MaTTHC": "1.001612", "MaDonVi": "000.00.21.H25", "NgayNopHoSo": "20260302074500",
		"ChuHoSo": {"LoaiDoiTuong": 1, "HoVaTen": "Nguyễn Văn An", "SoDinhDanh": "042090001234", "SoDienThoai": "0912345678",
			"DiaChi": "Số 5 Hà Huy Tập"},
		"HinhThucNhanKetQua": 0, "TaiLieuNop": [{"TenTepDinhKem": "don.pdf"}]}`
}

type answer struct {
	status  int
	body    string
	header  http.Header
	decoded natsync.InboundResult
}

func post(t *testing.T, url, path, token, who, body string) answer {
	t.Helper()
	req, _ := http.NewRequest(http.MethodPost, url+path, strings.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	if who != "" {
		req.Header.Set("X-Test-Actor", who)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	a := answer{status: resp.StatusCode, body: string(b), header: resp.Header}
	_ = json.Unmarshal(b, &a.decoded)
	return a
}

func countNational(t *testing.T, d *db.DB) int {
	var n int
	if err := d.QueryRow(context.Background(), "SELECT COUNT(*) FROM dossiers WHERE channel = 'national'").Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

// TestInboundDossierIsCreatedOnce: the national portal delivers a dossier
// twice (and then a burst of concurrent deliveries of another): each
// national dossier becomes one provincial dossier, and every delivery gets
// the first answer.
func TestInboundDossierIsCreatedOnce(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		f := setup(t, d, fast())
		srv := f.server()
		const path = "/api/v1/national/dossiers"
		first := post(t, srv.URL, path, f.machineToken, "", nationalDossier("G22.99-260302-000001"))
		if first.status != http.StatusCreated || first.decoded.MaHoSo == "" || first.decoded.TrangThaiHoSo != 1 {
			t.Fatalf("first delivery: %d %s", first.status, first.body)
		}
		again := post(t, srv.URL, path, f.machineToken, "", nationalDossier("G22.99-260302-000001"))
		if again.status != http.StatusOK || again.body != first.body || again.header.Get("Idempotent-Replayed") != "true" {
			t.Errorf("second delivery: %d %s (first %s)", again.status, again.body, first.body)
		}
		eq(t, "national dossiers after two deliveries", countNational(t, d), 1)

		// The dossier is an ordinary one, waiting for the ward to accept it,
		// and belongs to the citizen's account.
		x, err := f.dossiers.Get(context.Background(), f.actors["tiepnhan"], first.decoded.MaHoSo)
		if err != nil {
			t.Fatal(err)
		}
		eq(t, "channel", x.Dossier.Channel, dossier.National)
		eq(t, "status", x.Dossier.Status, dossier.New)
		eq(t, "applicant's account", x.Dossier.Applicant.UserID, f.actors["citizen"].UserID)
		f.act("tiepnhan", x.Dossier.Code, dossier.ActAccept, dossier.ActionInput{})
		f.drain(f.sync)
		recs := f.records(x.Dossier.Code)
		if len(recs) != 2 || recs[0].MaHoSoQG != "G22.99-260302-000001" || recs[1].MaHoSoQG != "G22.99-260302-000001" ||
			recs[1].TrangThaiHoSo != 2 || recs[1].KenhThucHien != natsync.ChannelOnline {
			t.Errorf("records of the national dossier: %+v", recs)
		}

		// A burst of concurrent deliveries of one new dossier.
		var wg sync.WaitGroup
		answers := make([]answer, 6)
		for i := range answers {
			wg.Go(func() {
				answers[i] = post(t, srv.URL, path, f.machineToken, "", nationalDossier("G22.99-260302-000002"))
			})
		}
		wg.Wait()
		created := 0
		for _, a := range answers {
			if a.status == http.StatusCreated {
				created++
			} else if a.status != http.StatusOK {
				t.Errorf("concurrent delivery: %d %s", a.status, a.body)
			}
			if a.decoded.MaHoSo != answers[0].decoded.MaHoSo {
				t.Errorf("concurrent deliveries got different dossiers: %s and %s", a.decoded.MaHoSo, answers[0].decoded.MaHoSo)
			}
		}
		eq(t, "created by the burst", created, 1)
		eq(t, "national dossiers at the end", countNational(t, d), 2)
	})
}

func TestInboundRefusals(t *testing.T) {
	f := setup(t, dbtest.Open(t, db.SQLite), fast())
	srv := f.server()
	const path = "/api/v1/national/dossiers"
	if a := post(t, srv.URL, path, f.machineToken, "", nationalDossier("G22.99-1")); a.status != http.StatusCreated {
		t.Fatalf("first: %d %s", a.status, a.body)
	}
	otherToken, _, err := f.ids.CreateToken(context.Background(), f.actors["admin"], f.actors["dvcqg.khac"].UserID, "khác", 0)
	if err != nil {
		t.Fatal(err)
	}
	changed := strings.Replace(nationalDossier("G22.99-1"), `"HinhThucNhanKetQua": 0`, `"HinhThucNhanKetQua": 1`, 1)
	for _, c := range []struct {
		name, token, who, body string
		status                 int
		want                   string
	}{
		{"anonymous", "", "", nationalDossier("G22.99-2"), 401, "unauthorized"},
		{"an official, not the connector", "", "tiepnhan", nationalDossier("G22.99-2"), 403, "forbidden"},
		{"connector of another agency", otherToken, "", nationalDossier("G22.99-2"), 403, "forbidden"},
		{"same ID, other content", f.machineToken, "", changed, 409, "conflict"},
		{"unknown procedure", f.machineToken, "", strings.Replace(nationalDossier("G22.99-3"), "1.001612", "9.999999", 1), 422, "MaTTHC"},
		{"unknown agency", f.machineToken, "", strings.Replace(nationalDossier("G22.99-4"), "000.00.21.H25", "000.00.99.H25", 1), 422, "MaDonVi"},
		{"no national ID", f.machineToken, "", nationalDossier(""), 422, "MaHoSoQG"},
		{"bad applicant", f.machineToken, "", strings.Replace(nationalDossier("G22.99-5"), "042090001234", "123", 1), 422, "applicant.id_number"},
		{"not JSON", f.machineToken, "", "{", 422, "invalid"},
	} {
		a := post(t, srv.URL, path, c.token, c.who, c.body)
		if a.status != c.status || !strings.Contains(a.body, c.want) {
			t.Errorf("%s: %d %s, want %d with %q", c.name, a.status, a.body, c.status, c.want)
		}
	}
	eq(t, "national dossiers", countNational(t, f.db), 1)
}

func TestOutboxAPI(t *testing.T) {
	f := setup(t, dbtest.Open(t, db.SQLite), fast())
	srv := f.server()
	x := f.receive()
	reg := prometheus.NewRegistry()
	reg.MustRegister(f.sync.Collector())
	families, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	metrics := map[string]float64{}
	for _, mf := range families {
		m := mf.GetMetric()[0]
		metrics[mf.GetName()] = m.GetGauge().GetValue() + m.GetCounter().GetValue()
	}
	if metrics["congso_natsync_records_pending"] != 1 || metrics["congso_natsync_records_queued_total"] != 1 ||
		metrics["congso_natsync_hub_available"] != 1 || len(metrics) != 8 {
		t.Errorf("metrics %v", metrics)
	}
	get := func(path, who string) (int, string) {
		req, _ := http.NewRequest(http.MethodGet, srv.URL+path, nil)
		req.Header.Set("X-Test-Actor", who)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
	for _, c := range []struct {
		method, path, who string
		status            int
		want              string
	}{
		{"GET", "/api/v1/national/outbox/stats", "admin", 200, `"pending":1`},
		{"GET", "/api/v1/national/outbox/stats", "tiepnhan", 403, "forbidden"},
		{"GET", "/api/v1/national/outbox?dossier=" + x.Code, "admin", 200, `"key":"` + x.Code + `:1"`},
		{"GET", "/api/v1/national/outbox?state=bogus", "admin", 422, "state"},
		{"GET", "/api/v1/national/outbox?state=pending&limit=1", "admin", 200, `"MaHoSo":"` + x.Code + `"`},
		{"POST", "/api/v1/national/outbox/replay", "admin", 200, `"replayed":0`},
		{"POST", "/api/v1/national/outbox/replay", "tiepnhan", 403, "forbidden"},
		{"POST", "/api/v1/national/outbox/1/replay", "admin", 409, "conflict"},
		{"POST", "/api/v1/national/outbox/x/replay", "admin", 404, "not_found"},
	} {
		var status int
		var body string
		if c.method == "GET" {
			status, body = get(c.path, c.who)
		} else {
			a := post(t, srv.URL, c.path, "", c.who, "")
			status, body = a.status, a.body
		}
		if status != c.status || !strings.Contains(body, c.want) {
			t.Errorf("%s %s as %s: %d %s, want %d with %q", c.method, c.path, c.who, status, body, c.status, c.want)
		}
	}
}
