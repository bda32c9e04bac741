// Package natsync synchronises the province's dossiers with the national
// public-service portal (Cổng Dịch vụ công quốc gia), as Thông tư
// 04/2025/TT-VPCP requires: every status change of a dossier is queued, in
// the dossier's own transaction, as a record for the national portal's
// scorecard (Quyết định 766/QĐ-TTg), and delivered at least once, in order
// per dossier, with back-off, a dead-letter list and replay. In the other
// direction, dossiers filed on the national portal arrive through an
// authenticated endpoint and are received like any other, once each.
//
// The national hub itself is simulated by the hubsim sub-package, for the
// demo (`congso sim national-portal`) and for the tests.
package natsync

import (
	"encoding/json"
	"time"
)

// TimeLayout is how instants travel to and from the national portal:
// yyyyMMddHHmmss in Vietnam's time (UTC+7), the form of the national portal's
// integration documents.
const TimeLayout = "20060102150405"

// Record is what the national portal receives for one status change of a
// dossier. The keys follow the national portal's Vietnamese naming; where we
// know the key from the portal's integration documents it is used as is, and
// where we do not, the name is ours (marked "assumed" below) and is the one
// place to change when the portal's specification for Thông tư 04/2025 is in
// hand.
//
//	MaHoSo               dossier code (Thông tư 03/2025 form)              known
//	MaHoSoQG             the national portal's own dossier ID, for          assumed
//	                     dossiers filed there
//	MaTTHC               national procedure code                          known
//	MaDonVi              receiving agency's electronic identifier         known (agency code, QCVN 102)
//	MaDonViXuLy          processing agency's electronic identifier        assumed
//	KenhThucHien         1 counter, 2 online (provincial or national      known
//	                     portal), 3 public postal service
//	TrangThaiHoSo        1–10, the national portal's status codes          known
//	NgayNopHoSo          filed                                            known
//	NgayTiepNhan         received (accepted)                              known
//	NgayHenTra           promised date (moves with an apology)            known
//	HanXuLyTheoQuyDinh   legal deadline (moves only with time waited for  assumed
//	                     the citizen), what timeliness is judged on
//	NgayKetThucXuLy      end of processing: processed, or refused,         known
//	                     stopped, withdrawn
//	NgayTra              result returned to the citizen                   known
//	ThanhToanTrucTuyen   0 not paid online, 1 through the national         known
//	                     portal's payment platform, 2 through the
//	                     provincial gateway
//	TongPhiLePhi,        fees due and paid, whole đồng                    assumed
//	DaThanhToan
//	SoThanhPhanHoSo      the dossier's digitised components (files)       assumed
//	SoThanhPhanTaiSuDung of them, reused from the citizen's e-data store  assumed
//	KetQuaSoHoa          1 when the result is digitised                   assumed
//	XacThucVNeID         1 when the applicant's account is linked to a     assumed
//	                     VNeID identity
//	MaXacThucDanCu,      reference and outcome (1 match, 2 no match,       assumed
//	KetQuaXacThucDanCu   3 not found) of the population-database check
//	LoaiDoiTuong         1 citizen, 2 organisation                        known
//	MaDoiTuong           the applicant's ID number — only when            known
//	                     Config.SendApplicantID is set (see there)
//	DanhSachGiayToKetQua result documents: name of the paper, a link to    known (list), keys assumed
//	                     the platform's file route, SHA-256 — never the
//	                     file itself, never the uploaded file's name
//	                     (which may carry a person's name)
//	ThaoTac              what happened (our action code)                   assumed
//	SoThuTuSuKien        the dossier event's sequence number              assumed
//	ThoiDiemCapNhat      when it happened                                 assumed
//
// Nothing else about the applicant is sent: no name, phone, e-mail or
// address. The national portal's scorecard needs none of them.
type Record struct {
	MaHoSo               string      `json:"MaHoSo"`
	MaHoSoQG             string      `json:"MaHoSoQG,omitempty"`
	MaTTHC               string      `json:"MaTTHC"`
	MaDonVi              string      `json:"MaDonVi"`
	MaDonViXuLy          string      `json:"MaDonViXuLy"`
	KenhThucHien         int         `json:"KenhThucHien"`
	TrangThaiHoSo        int         `json:"TrangThaiHoSo"`
	NgayNopHoSo          string      `json:"NgayNopHoSo"`
	NgayTiepNhan         string      `json:"NgayTiepNhan,omitempty"`
	NgayHenTra           string      `json:"NgayHenTra,omitempty"`
	HanXuLyTheoQuyDinh   string      `json:"HanXuLyTheoQuyDinh,omitempty"`
	NgayKetThucXuLy      string      `json:"NgayKetThucXuLy,omitempty"`
	NgayTra              string      `json:"NgayTra,omitempty"`
	ThanhToanTrucTuyen   int         `json:"ThanhToanTrucTuyen"`
	TongPhiLePhi         int64       `json:"TongPhiLePhi"`
	DaThanhToan          int64       `json:"DaThanhToan"`
	SoThanhPhanHoSo      int         `json:"SoThanhPhanHoSo"`
	SoThanhPhanTaiSuDung int         `json:"SoThanhPhanTaiSuDung"`
	KetQuaSoHoa          int         `json:"KetQuaSoHoa"`
	XacThucVNeID         int         `json:"XacThucVNeID"`
	MaXacThucDanCu       string      `json:"MaXacThucDanCu,omitempty"`
	KetQuaXacThucDanCu   int         `json:"KetQuaXacThucDanCu,omitempty"`
	LoaiDoiTuong         int         `json:"LoaiDoiTuong"`
	MaDoiTuong           string      `json:"MaDoiTuong,omitempty"`
	DanhSachGiayToKetQua []ResultDoc `json:"DanhSachGiayToKetQua"`
	ThaoTac              string      `json:"ThaoTac"`
	SoThuTuSuKien        int         `json:"SoThuTuSuKien"`
	ThoiDiemCapNhat      string      `json:"ThoiDiemCapNhat"`
}

// ResultDoc is a result document: what paper it is and where the national
// portal fetches it from (the platform's file route, which answers only to
// an authorised caller).
type ResultDoc struct {
	TenGiayTo      string `json:"TenGiayTo"`
	DuongDanTepTin string `json:"DuongDanTepTin"`
	MaBam          string `json:"MaBam"`
}

// Channel codes of the national portal.
const (
	ChannelCounter = 1
	ChannelOnline  = 2
	ChannelPost    = 3
)

// Online payment codes of the national portal.
const (
	PaidNotOnline      = 0
	PaidNationalPortal = 1
	PaidProvincial     = 2
)

// Population-database outcomes as the record codes them.
const (
	PopulationMatch    = 1
	PopulationNoMatch  = 2
	PopulationNotFound = 3
)

// States of an outbox entry.
const (
	StatePending = "pending"
	StateSent    = "sent"
	StateDead    = "dead"
)

// Entry is one queued record as the administrators see it.
type Entry struct {
	ID          int64           `json:"id"`
	Key         string          `json:"key"`
	DossierCode string          `json:"dossier_code"`
	Seq         int             `json:"seq"`
	Status      int             `json:"status"`
	State       string          `json:"state"`
	Attempts    int             `json:"attempts"`
	NextAt      time.Time       `json:"next_at"`
	LastError   string          `json:"last_error,omitempty"`
	CreatedAt   time.Time       `json:"created_at"`
	SentAt      *time.Time      `json:"sent_at,omitempty"`
	DeadAt      *time.Time      `json:"dead_at,omitempty"`
	Payload     json.RawMessage `json:"payload"`
}

// Stats are the synchronisation's counters for the dashboard and /metrics.
// Queued, Sent and Attempts only grow (Prometheus counters); Pending, Dead
// and Blocked go up and down (gauges).
type Stats struct {
	// Queued is every record ever queued.
	Queued int64 `json:"queued"`
	// Sent is the records the national hub acknowledged.
	Sent int64 `json:"sent"`
	// Pending is the records waiting to be delivered (Blocked included).
	Pending int64 `json:"pending"`
	// Dead is the records given up on, waiting for an administrator's replay.
	Dead int64 `json:"dead"`
	// Blocked is the pending records held back behind a dead record of the
	// same dossier (order per dossier is never broken).
	Blocked int64 `json:"blocked"`
	// Attempts is every delivery attempt made.
	Attempts int64 `json:"attempts"`
	// OldestPending is when the oldest pending record was queued.
	OldestPending *time.Time `json:"oldest_pending,omitempty"`
	// HubAvailable is false while deliveries are paused because the hub
	// failed (the circuit is open).
	HubAvailable bool `json:"hub_available"`
}
