package natsync

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"errors"
	"regexp"
	"strings"
	"time"

	"github.com/congso/congso/internal/actor"
	"github.com/congso/congso/internal/apperr"
	"github.com/congso/congso/internal/audit"
	"github.com/congso/congso/internal/db"
	"github.com/congso/congso/internal/dossier"
)

// InboundDossier is a dossier filed on the national portal, as the portal
// hands it to the province. Keys follow the national portal's naming
// (MaHoSoQG, MaTTHC, MaDonVi, ChuHoSo… — the ones we are not sure of are
// our assumption, like those of Record). Fields the platform does not use
// are ignored, so that the portal may send more than this.
type InboundDossier struct {
	// MaHoSoQG is the national portal's own ID of the dossier: what makes
	// a delivery idempotent.
	MaHoSoQG string `json:"MaHoSoQG"`
	// MaTTHC is the national procedure code.
	MaTTHC string `json:"MaTTHC"`
	// MaDonVi is the electronic identifier of the receiving agency (the
	// one-stop desk the citizen chose); MaDonViXuLy, optional, that of the
	// processing agency when it differs.
	MaDonVi     string `json:"MaDonVi"`
	MaDonViXuLy string `json:"MaDonViXuLy,omitempty"`
	// NgayNopHoSo is when the citizen filed it on the national portal
	// (yyyyMMddHHmmss, UTC+7); informative.
	NgayNopHoSo string           `json:"NgayNopHoSo,omitempty"`
	ChuHoSo     InboundApplicant `json:"ChuHoSo"`
	// HinhThucNhanKetQua: 0 at the one-stop desk, 1 by post.
	HinhThucNhanKetQua int `json:"HinhThucNhanKetQua"`
	// DuLieuBieuMau holds the e-form's values, field name → values.
	DuLieuBieuMau map[string][]string `json:"DuLieuBieuMau,omitempty"`
}

// InboundApplicant is the dossier's owner.
type InboundApplicant struct {
	// LoaiDoiTuong: 1 citizen, 2 organisation.
	LoaiDoiTuong int    `json:"LoaiDoiTuong"`
	HoVaTen      string `json:"HoVaTen"`
	// SoDinhDanh is the 12-digit personal ID number or the enterprise code.
	SoDinhDanh  string `json:"SoDinhDanh"`
	SoDienThoai string `json:"SoDienThoai,omitempty"`
	Email       string `json:"Email,omitempty"`
	DiaChi      string `json:"DiaChi,omitempty"`
}

// InboundResult is the answer to a delivery, the same for every delivery of
// one national dossier.
type InboundResult struct {
	MaHoSoQG string `json:"MaHoSoQG"`
	// MaHoSo is the province's dossier code.
	MaHoSo string `json:"MaHoSo"`
	// TrangThaiHoSo is the status the dossier was received in (1).
	TrangThaiHoSo int `json:"TrangThaiHoSo"`
	// NgayNhan is when the province received it (yyyyMMddHHmmss, UTC+7).
	NgayNhan string `json:"NgayNhan"`
}

// claim carries a national dossier's ID through dossier.Service.Create to
// DossierChanged, which records it in the dossier's transaction.
type claim struct {
	nationalID, hash, by string
	recorded             bool
}

type claimKey struct{}

func claimFrom(ctx context.Context) *claim {
	c, _ := ctx.Value(claimKey{}).(*claim)
	return c
}

// errAlreadyReceived marks a delivery that lost the race to record the same
// national dossier.
var errAlreadyReceived = errors.New("national dossier already received")

func insertInbound(ctx context.Context, tx *db.Tx, c *claim, d *dossier.Dossier) error {
	_, err := tx.Exec(ctx, `INSERT INTO natsync_inbound (national_id, dossier_id, dossier_code, payload_hash, received_by, received_at)
		VALUES (?, ?, ?, ?, ?, ?)`, c.nationalID, d.ID, d.Code, c.hash, c.by, d.FiledAt)
	if db.IsUniqueViolation(err) {
		return &apperr.Error{Code: apperr.Conflict, Message: "Hồ sơ này đã được chuyển từ Cổng Dịch vụ công quốc gia.", Err: errAlreadyReceived}
	}
	return apperr.Wrap(err, "record national dossier")
}

type inboundRow struct {
	code, hash string
	at         time.Time
}

func lookupInbound(ctx context.Context, r db.Runner, nationalID string) (inboundRow, bool, error) {
	var row inboundRow
	err := r.QueryRow(ctx, "SELECT dossier_code, payload_hash, received_at FROM natsync_inbound WHERE national_id = ?", nationalID).
		Scan(&row.code, &row.hash, &row.at)
	if errors.Is(err, sql.ErrNoRows) {
		return row, false, nil
	}
	if err != nil {
		return row, false, apperr.Wrap(err, "read national dossier")
	}
	return row, true, nil
}

func (row inboundRow) result(nationalID string) InboundResult {
	return InboundResult{MaHoSoQG: nationalID, MaHoSo: row.code, TrangThaiHoSo: int(dossier.New), NgayNhan: stamp(&row.at)}
}

var nationalIDPattern = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._/-]{0,99}$`)

// hash identifies the content of a delivery, to tell a repeated delivery
// from a different dossier reusing an ID.
func (in InboundDossier) hash() string {
	b, _ := json.Marshal(in)
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:])
}

// Receive takes a dossier filed on the national portal. The caller is the
// national portal's connector: a machine account holding the receiver role
// at the receiving agency. The dossier is created like any other
// (dossier.Service.Create, channel National), waiting in status 1 for an
// officer to accept it. Delivering the same national dossier again —
// concurrently or later — creates nothing and returns the first result
// (created is then false); the same ID with different content is refused.
func (s *Service) Receive(ctx context.Context, by *actor.Actor, in InboundDossier) (res InboundResult, created bool, err error) {
	if by == nil {
		return res, false, apperr.New(apperr.Unauthorized, "Bạn cần đăng nhập.")
	}
	if by.Kind != actor.Machine {
		return res, false, actor.Deny(by, "Chỉ kết nối với Cổng Dịch vụ công quốc gia được chuyển hồ sơ từ cổng quốc gia.")
	}
	if s.dossiers == nil {
		return res, false, apperr.Wrap(errors.New("natsync: no dossier service"), "receive national dossier")
	}
	in.MaHoSoQG = strings.TrimSpace(in.MaHoSoQG)
	in.MaTTHC = strings.TrimSpace(in.MaTTHC)
	in.MaDonVi = strings.TrimSpace(in.MaDonVi)
	in.MaDonViXuLy = strings.TrimSpace(in.MaDonViXuLy)
	f := apperr.Fields{}
	if !nationalIDPattern.MatchString(in.MaHoSoQG) {
		f.Add("MaHoSoQG", "Mã hồ sơ trên Cổng Dịch vụ công quốc gia là bắt buộc (tối đa 100 ký tự: chữ, số, . _ / -).")
	}
	if in.MaTTHC == "" {
		f.Add("MaTTHC", "Mã thủ tục hành chính là bắt buộc.")
	}
	if in.MaDonVi == "" {
		f.Add("MaDonVi", "Mã định danh của cơ quan tiếp nhận là bắt buộc.")
	}
	kind := ""
	switch in.ChuHoSo.LoaiDoiTuong {
	case 0, 1:
		kind = string(actor.Citizen)
	case 2:
		kind = string(actor.Organisation)
	default:
		f.Add("ChuHoSo.LoaiDoiTuong", "Loại đối tượng là 1 (công dân) hoặc 2 (tổ chức).")
	}
	delivery := "counter"
	switch in.HinhThucNhanKetQua {
	case 0:
	case 1:
		delivery = "post"
	default:
		f.Add("HinhThucNhanKetQua", "Hình thức nhận kết quả là 0 (tại bộ phận một cửa) hoặc 1 (qua bưu chính).")
	}
	if in.NgayNopHoSo != "" {
		if _, err := time.Parse(TimeLayout, in.NgayNopHoSo); err != nil {
			f.Add("NgayNopHoSo", "Ngày nộp hồ sơ có định dạng yyyyMMddHHmmss.")
		}
	}
	if err := f.Err(); err != nil {
		return res, false, err
	}
	hash := in.hash()
	replay := func() (InboundResult, bool, error) {
		row, ok, err := lookupInbound(ctx, s.db, in.MaHoSoQG)
		if err != nil || !ok {
			return res, false, err
		}
		if row.hash != hash {
			return res, false, apperr.New(apperr.Conflict, "Mã hồ sơ %s đã được dùng cho một hồ sơ có nội dung khác.", in.MaHoSoQG)
		}
		return row.result(in.MaHoSoQG), true, nil
	}
	if r, ok, err := replay(); err != nil || ok {
		return r, false, err
	}
	receiving, err := s.agencyByCode(ctx, in.MaDonVi, "MaDonVi")
	if err != nil {
		return res, false, err
	}
	if !by.Has(actor.Receiver, receiving) {
		return res, false, actor.Deny(by, "Tài khoản kết nối không được tiếp nhận hồ sơ cho cơ quan này.")
	}
	processing := ""
	if in.MaDonViXuLy != "" {
		if processing, err = s.agencyByCode(ctx, in.MaDonViXuLy, "MaDonViXuLy"); err != nil {
			return res, false, err
		}
	}
	procedureID, err := s.procedureByCode(ctx, in.MaTTHC)
	if err != nil {
		return res, false, err
	}
	a := in.ChuHoSo
	app := dossier.Applicant{Kind: kind, Name: a.HoVaTen, IDNumber: strings.TrimSpace(a.SoDinhDanh), Phone: a.SoDienThoai, Email: a.Email,
		Address: a.DiaChi}
	// The national portal signed the citizen in (VNeID): the dossier is
	// theirs, and shows in their account here too if they have one.
	if app.UserID, err = s.accountOf(ctx, kind, app.IDNumber); err != nil {
		return res, false, err
	}
	c := &claim{nationalID: in.MaHoSoQG, hash: hash, by: by.UserID}
	d, err := s.dossiers.Create(context.WithValue(ctx, claimKey{}, c), by, dossier.CreateInput{ProcedureID: procedureID, AgencyID: processing,
		ReceivingAgencyID: receiving, Channel: dossier.National, Applicant: app, Form: in.DuLieuBieuMau, ResultDelivery: delivery})
	if errors.Is(err, errAlreadyReceived) {
		r, ok, err := replay()
		if err == nil && !ok {
			err = apperr.New(apperr.Conflict, "Hồ sơ %s đang được tiếp nhận; hãy gửi lại sau.", in.MaHoSoQG)
		}
		return r, false, err
	}
	if err != nil {
		return res, false, err
	}
	if !c.recorded {
		// The service is not the dossier system's listener: nothing would
		// stop a second delivery from creating the dossier again.
		s.log.Error("national dossier received without its ID recorded: natsync is not a listener of the dossier service", "dossier", d.Code)
	}
	return InboundResult{MaHoSoQG: in.MaHoSoQG, MaHoSo: d.Code, TrangThaiHoSo: int(d.Status), NgayNhan: stamp(&d.FiledAt)}, true, nil
}

func (s *Service) agencyByCode(ctx context.Context, code, field string) (string, error) {
	var id string
	err := s.db.QueryRow(ctx, "SELECT id FROM agencies WHERE code = ? AND retired_at IS NULL", code).Scan(&id)
	if errors.Is(err, sql.ErrNoRows) {
		return "", apperr.Field(field, "Không có cơ quan nào mang mã định danh "+code+".")
	}
	return id, apperr.Wrap(err, "find agency by code")
}

func (s *Service) procedureByCode(ctx context.Context, code string) (string, error) {
	var id string
	err := s.db.QueryRow(ctx, "SELECT id FROM procedures WHERE code = ?", code).Scan(&id)
	if errors.Is(err, sql.ErrNoRows) {
		return "", apperr.Field("MaTTHC", "Thủ tục "+code+" không có trong danh mục thủ tục của tỉnh.")
	}
	return id, apperr.Wrap(err, "find procedure by code")
}

// accountOf finds the applicant's own account, if they have one.
func (s *Service) accountOf(ctx context.Context, kind, number string) (string, error) {
	if number == "" {
		return "", nil
	}
	col := "citizen_id"
	if kind == string(actor.Organisation) {
		col = "org_code"
	}
	var id string
	err := s.db.QueryRow(ctx, "SELECT id FROM users WHERE "+col+" = ? AND kind = ? AND disabled_at IS NULL", number, kind).Scan(&id)
	if errors.Is(err, sql.ErrNoRows) {
		return "", nil
	}
	return id, apperr.Wrap(err, "find applicant's account")
}

// auditReplay records an administrator's replay.
func (s *Service) auditReplay(ctx context.Context, tx *db.Tx, by *actor.Actor, objectID string, detail map[string]any) error {
	if s.audit == nil {
		return nil
	}
	return s.audit.Append(ctx, tx, by, audit.Event{Action: "natsync.replay", ObjectType: "natsync_record", ObjectID: objectID, Detail: detail})
}
