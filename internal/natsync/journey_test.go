package natsync_test

import (
	"bytes"
	"context"
	"encoding/json"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/congso/congso/internal/calendar"
	"github.com/congso/congso/internal/db"
	"github.com/congso/congso/internal/db/dbtest"
	"github.com/congso/congso/internal/dossier"
	"github.com/congso/congso/internal/natsync"
	"github.com/congso/congso/internal/popdb"
)

// TestJourneyProducesOneRecordPerStatusChange follows a dossier from the
// counter to the citizen — receive, forward, supplement request and
// supplement, payment request and online payment, submit, approve, issue,
// return — and checks that the hub ends up with exactly one record per
// change of status, in order, carrying what the scorecard reads.
func TestJourneyProducesOneRecordPerStatusChange(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		f := setup(t, d, fast())
		ctx := context.Background()
		x := f.receive() // Monday 2 March 2026, 08:00
		if _, err := f.dossiers.AddFile(ctx, f.actors["tiepnhan"], x.Code, dossier.KindAttachment, "Giấy đề nghị", "don.pdf", bytes.NewReader(pdf)); err != nil {
			t.Fatal(err)
		}
		f.clock.Set(at(2026, 3, 2, 9, 0))
		f.act("tiepnhan", x.Code, dossier.ActForward, dossier.ActionInput{})
		f.clock.Set(at(2026, 3, 2, 10, 0))
		f.act("chuyenvien", x.Code, dossier.ActRequestSupplement, dossier.ActionInput{Documents: []string{"Hợp đồng thuê địa điểm"}})
		f.clock.Set(at(2026, 3, 3, 10, 0))
		f.act("tiepnhan", x.Code, dossier.ActSupplement, dossier.ActionInput{Note: "Đã bổ sung"})
		f.clock.Set(at(2026, 3, 3, 11, 0))
		f.act("chuyenvien", x.Code, dossier.ActRequestPayment, dossier.ActionInput{})
		f.clock.Set(at(2026, 3, 3, 14, 0))
		f.act("gateway", x.Code, dossier.ActPay, dossier.ActionInput{Amount: 100000, Method: "online", Reference: "VNPAY-1"})
		f.clock.Set(at(2026, 3, 3, 15, 0))
		f.act("chuyenvien", x.Code, dossier.ActSubmit, dossier.ActionInput{})
		if _, err := f.dossiers.AddFile(ctx, f.actors["lanhdao"], x.Code, dossier.KindResult, "Giấy chứng nhận đăng ký hộ kinh doanh", "gcn-Nguyen-Van-An.pdf",
			bytes.NewReader(pdf)); err != nil {
			t.Fatal(err)
		}
		f.clock.Set(at(2026, 3, 4, 9, 0))
		f.act("lanhdao", x.Code, dossier.ActApprove, dossier.ActionInput{})
		f.clock.Set(at(2026, 3, 4, 10, 0))
		f.act("vanthu", x.Code, dossier.ActIssue, dossier.ActionInput{})
		f.clock.Set(at(2026, 3, 4, 14, 30))
		final := f.act("tiepnhan", x.Code, dossier.ActReturn, dossier.ActionInput{})

		st := f.stats(f.sync)
		eq(t, "records queued", st.Queued, int64(8))
		f.drain(f.sync)

		recs := f.records(x.Code)
		var statuses []int
		var seqs []int
		for _, r := range recs {
			statuses = append(statuses, r.TrangThaiHoSo)
			seqs = append(seqs, r.SoThuTuSuKien)
		}
		// Submit and approve change no status: no record.
		eq(t, "statuses at the hub", join(statuses), "2 4 5 4 6 4 9 10")
		eq(t, "events at the hub", join(seqs), "1 2 3 4 5 6 9 10")
		counts := f.hub.Counts()
		eq(t, "accepted", counts.Accepted, 8)
		eq(t, "duplicates", counts.Duplicates, 0)
		eq(t, "out of order", counts.OutOfOrder, 0)

		first, pay, last := recs[0], recs[5], recs[len(recs)-1]
		eq(t, "MaHoSo", first.MaHoSo, x.Code)
		eq(t, "MaTTHC", first.MaTTHC, "1.001612")
		eq(t, "MaDonVi", first.MaDonVi, "000.00.21.H25")
		eq(t, "MaDonViXuLy", first.MaDonViXuLy, "000.00.21.H25")
		eq(t, "KenhThucHien", first.KenhThucHien, natsync.ChannelCounter)
		eq(t, "NgayTiepNhan", first.NgayTiepNhan, "20260302080000")
		eq(t, "NgayHenTra at receipt", first.NgayHenTra, "20260305170000")
		eq(t, "NgayKetThucXuLy while open", first.NgayKetThucXuLy, "")
		eq(t, "ThanhToanTrucTuyen before paying", first.ThanhToanTrucTuyen, natsync.PaidNotOnline)
		eq(t, "ThanhToanTrucTuyen once paid through the gateway", pay.ThanhToanTrucTuyen, natsync.PaidProvincial)
		eq(t, "DaThanhToan once paid", pay.DaThanhToan, int64(100000))
		eq(t, "TrangThaiHoSo at the end", last.TrangThaiHoSo, 10)
		eq(t, "NgayHenTra moved by the wait", last.NgayHenTra, stampOf(final.DueAt))
		eq(t, "HanXuLyTheoQuyDinh", last.HanXuLyTheoQuyDinh, stampOf(final.LegalDueAt))
		eq(t, "NgayKetThucXuLy", last.NgayKetThucXuLy, "20260304100000")
		eq(t, "NgayTra", last.NgayTra, "20260304143000")
		eq(t, "TongPhiLePhi", last.TongPhiLePhi, int64(100000))
		eq(t, "SoThanhPhanHoSo", last.SoThanhPhanHoSo, 1)
		eq(t, "SoThanhPhanTaiSuDung", last.SoThanhPhanTaiSuDung, 0)
		eq(t, "KetQuaSoHoa", last.KetQuaSoHoa, 1)
		eq(t, "XacThucVNeID", last.XacThucVNeID, 0)
		eq(t, "LoaiDoiTuong", last.LoaiDoiTuong, 1)
		eq(t, "ThaoTac", last.ThaoTac, "return")
		eq(t, "ThoiDiemCapNhat", last.ThoiDiemCapNhat, "20260304143000")
		if len(last.DanhSachGiayToKetQua) != 1 {
			t.Fatalf("result documents: %+v", last.DanhSachGiayToKetQua)
		}
		doc := last.DanhSachGiayToKetQua[0]
		eq(t, "result document", doc.TenGiayTo, "Giấy chứng nhận đăng ký hộ kinh doanh")
		if !strings.HasPrefix(doc.DuongDanTepTin, "https://dvc.example.gov.vn/api/v1/dossiers/"+x.Code+"/files/") || len(doc.MaBam) != 64 {
			t.Errorf("result link %+v", doc)
		}
		// Nothing personal leaves the platform: not the applicant's name,
		// ID number, phone or address, nor the uploaded file's name.
		for _, r := range f.hub.Received(x.Code) {
			for _, v := range []string{"Nguyễn Văn An", "042090001234", "0912345678", "Hà Huy Tập", "Nguyen-Van-An"} {
				if bytes.Contains(r.Record, []byte(v)) {
					t.Errorf("record %s carries %q", r.Key, v)
				}
			}
		}
		// A second round sends nothing more.
		if n, err := f.sync.Deliver(ctx); err != nil || n != 0 {
			t.Errorf("second round delivered %d (%v)", n, err)
		}
		eq(t, "hub requests", f.hub.Counts().Requests, 8)
	})
}

// TestOnlineDossierReportsDigitisationIdentityAndPopulationCheck files a
// dossier on the provincial portal with a paper reused from the e-data store,
// by a citizen whose account came through VNeID, and checks the applicant
// against the population database before accepting it.
func TestOnlineDossierReportsDigitisationIdentityAndPopulationCheck(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		f := setup(t, d, fast())
		ctx := context.Background()
		citizen := f.actors["citizen"]
		if _, err := d.Exec(ctx, "INSERT INTO oidc_identities (issuer, subject, user_id, created_at) VALUES (?, ?, ?, ?)",
			"https://sso.vneid.gov.vn", "vneid-042090001234", citizen.UserID, f.clock.Now()); err != nil {
			t.Fatal(err)
		}
		x, err := f.dossiers.Create(ctx, citizen, dossier.CreateInput{ProcedureID: "p3", Channel: dossier.Portal, Applicant: f.applicant(),
			FromStore: []dossier.StoreRef{{ItemID: "kho-1"}}})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := f.pop.Check(ctx, f.actors["tiepnhan"], popdb.CheckInput{IDNumber: "042090001234", FullName: "Nguyễn Văn An",
			BirthDate: "1990-05-12", DossierCode: x.Code}); err != nil {
			t.Fatal(err)
		}
		f.clock.Set(at(2026, 3, 2, 9, 0))
		f.act("tiepnhan", x.Code, dossier.ActAccept, dossier.ActionInput{})
		f.drain(f.sync)
		recs := f.records(x.Code)
		if len(recs) != 2 {
			t.Fatalf("%d records, want 2", len(recs))
		}
		filed, accepted := recs[0], recs[1]
		eq(t, "status when filed", filed.TrangThaiHoSo, 1)
		eq(t, "NgayTiepNhan when filed", filed.NgayTiepNhan, "")
		eq(t, "NgayNopHoSo", filed.NgayNopHoSo, "20260302080000")
		eq(t, "KenhThucHien", filed.KenhThucHien, natsync.ChannelOnline)
		eq(t, "SoThanhPhanHoSo", filed.SoThanhPhanHoSo, 1)
		eq(t, "SoThanhPhanTaiSuDung", filed.SoThanhPhanTaiSuDung, 1)
		eq(t, "XacThucVNeID", filed.XacThucVNeID, 1)
		eq(t, "no check before it was made", filed.MaXacThucDanCu, "")
		eq(t, "status when accepted", accepted.TrangThaiHoSo, 2)
		eq(t, "NgayTiepNhan", accepted.NgayTiepNhan, "20260302090000")
		eq(t, "KetQuaXacThucDanCu", accepted.KetQuaXacThucDanCu, natsync.PopulationMatch)
		if !strings.HasPrefix(accepted.MaXacThucDanCu, "DC-") {
			t.Errorf("MaXacThucDanCu = %q", accepted.MaXacThucDanCu)
		}
	})
}

// TestApplicantIDOnlyWhenConfigured: the ID number goes out only when the
// province turns it on.
func TestApplicantIDOnlyWhenConfigured(t *testing.T) {
	for _, send := range []bool{false, true} {
		cfg := fast()
		cfg.SendApplicantID = send
		f := setup(t, dbtest.Open(t, db.SQLite), cfg)
		x := f.receive()
		f.drain(f.sync)
		raw := f.hub.Received(x.Code)[0].Record
		var m map[string]any
		_ = json.Unmarshal(raw, &m)
		_, has := m["MaDoiTuong"]
		if has != send || (send && m["MaDoiTuong"] != "042090001234") {
			t.Errorf("SendApplicantID=%v: record %s", send, raw)
		}
	}
}

func join(xs []int) string {
	parts := make([]string, len(xs))
	for i, x := range xs {
		parts[i] = strconv.Itoa(x)
	}
	return strings.Join(parts, " ")
}

func stampOf(t *time.Time) string {
	if t == nil {
		return ""
	}
	return t.In(calendar.Location()).Format(natsync.TimeLayout)
}
