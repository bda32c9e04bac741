package natsync

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"time"

	"github.com/congso/congso/internal/actor"
	"github.com/congso/congso/internal/apperr"
	"github.com/congso/congso/internal/audit"
	"github.com/congso/congso/internal/calendar"
	"github.com/congso/congso/internal/db"
	"github.com/congso/congso/internal/dossier"
)

// Dossiers is what the synchronisation needs of the dossier system: to
// receive the dossiers filed on the national portal, and to hear of every
// change.
type Dossiers interface {
	Create(ctx context.Context, by *actor.Actor, in dossier.CreateInput) (dossier.Dossier, error)
	Listen(l dossier.Listener)
}

// Population tells the outcome of the latest population-database check
// recorded for a dossier or, failing that, for the applicant's account:
// the check's reference and "match", "no_match" or "not_found"; "" when
// there is none. It reads through r, the dossier's transaction.
// popdb.Service implements it.
type Population interface {
	PopulationCheck(ctx context.Context, r db.Runner, dossierID, userID string) (reference, result string, err error)
}

// Deps are what the service is built from.
type Deps struct {
	DB    *db.DB
	Audit *audit.Log
	// Dossiers receives national-portal dossiers; New registers the service
	// as its listener. Nil in tools that only deliver.
	Dossiers Dossiers
	// Population is optional.
	Population Population
	// HTTP sends the records; one with Config.Timeout by default.
	HTTP *http.Client
	Now  func() time.Time
	Log  *slog.Logger
}

// Service queues, delivers and receives.
type Service struct {
	db         *db.DB
	audit      *audit.Log
	dossiers   Dossiers
	population Population
	http       *http.Client
	now        func() time.Time
	log        *slog.Logger
	cfg        Config
	instance   string
	hub        breaker
	wake       chan struct{}
}

// New returns the service and registers it as a listener of the dossier
// system (when Deps.Dossiers is set), so that no change goes unqueued.
func New(d Deps, cfg Config) *Service {
	cfg.defaults()
	if d.Now == nil {
		d.Now = time.Now
	}
	if d.Log == nil {
		d.Log = slog.New(slog.DiscardHandler)
	}
	if d.HTTP == nil {
		tr := http.DefaultTransport.(*http.Transport).Clone()
		tr.MaxIdleConnsPerHost = cfg.Workers * cfg.Batch
		d.HTTP = &http.Client{Timeout: cfg.Timeout, Transport: tr}
	}
	s := &Service{db: d.DB, audit: d.Audit, dossiers: d.Dossiers, population: d.Population, http: d.HTTP, now: d.Now, log: d.Log,
		cfg: cfg, instance: db.NewID(), wake: make(chan struct{}, 1)}
	if d.Dossiers != nil {
		d.Dossiers.Listen(s)
	}
	return s
}

// Config returns the configuration in force (defaults filled in).
func (s *Service) Config() Config { return s.cfg }

// Syncs reports whether an event is sent to the national portal: every
// change of status, and an apology, which moves the promised date. Other
// events (assignment, a hand-over between steps in the same status) change
// nothing the national portal keeps.
func Syncs(e dossier.Event) bool {
	return e.FromStatus != e.ToStatus || e.Action == dossier.ActApologise
}

// DossierChanged queues the record of a change, in the change's own
// transaction (dossier.Listener). For a dossier received through Receive it
// also records the national portal's ID, which makes a second delivery of
// the same dossier fail here and roll the duplicate back.
func (s *Service) DossierChanged(ctx context.Context, tx *db.Tx, d *dossier.Dossier, e dossier.Event) error {
	nationalID := ""
	if c := claimFrom(ctx); c != nil && d.Channel == dossier.National && e.Seq == 1 {
		if !c.recorded {
			if err := insertInbound(ctx, tx, c, d); err != nil {
				return err
			}
			c.recorded = true
		}
		nationalID = c.nationalID
	}
	if !Syncs(e) {
		return nil
	}
	rec, err := s.record(ctx, tx, d, e, nationalID)
	if err != nil {
		return err
	}
	payload, err := json.Marshal(rec)
	if err != nil {
		return apperr.Wrap(err, "encode sync record")
	}
	now := db.Instant(s.now())
	if err := insertRecord(ctx, tx, Key(d.Code, e.Seq), d, e, payload, now); err != nil {
		return err
	}
	s.nudge()
	return nil
}

// Key is the idempotency key of a dossier's event: its code and the event's
// sequence number.
func Key(code string, seq int) string { return fmt.Sprintf("%s:%d", code, seq) }

func stamp(t *time.Time) string {
	if t == nil {
		return ""
	}
	return t.In(calendar.Location()).Format(TimeLayout)
}

func channelCode(c dossier.Channel) int {
	switch c {
	case dossier.Post:
		return ChannelPost
	case dossier.Portal, dossier.National:
		return ChannelOnline
	}
	return ChannelCounter
}

// record builds the national portal's view of the dossier after the event.
func (s *Service) record(ctx context.Context, tx *db.Tx, d *dossier.Dossier, e dossier.Event, nationalID string) (Record, error) {
	r := Record{MaHoSo: d.Code, MaTTHC: d.ProcedureCode, KenhThucHien: channelCode(d.Channel), TrangThaiHoSo: int(d.Status),
		NgayNopHoSo: stamp(&d.FiledAt), NgayTiepNhan: stamp(d.ReceivedAt), NgayHenTra: stamp(d.DueAt), HanXuLyTheoQuyDinh: stamp(d.LegalDueAt),
		NgayTra: stamp(d.ReturnedAt), TongPhiLePhi: d.FeeTotal, DaThanhToan: d.PaidTotal, ThaoTac: string(e.Action), SoThuTuSuKien: e.Seq,
		ThoiDiemCapNhat: stamp(&e.At), LoaiDoiTuong: 1, DanhSachGiayToKetQua: []ResultDoc{}}
	if d.Applicant.Kind == string(actor.Organisation) {
		r.LoaiDoiTuong = 2
	}
	if s.cfg.SendApplicantID {
		r.MaDoiTuong = d.Applicant.IDNumber
	}
	switch {
	case d.ProcessedAt != nil:
		r.NgayKetThucXuLy = stamp(d.ProcessedAt)
	case d.Status == dossier.Refused || d.Status == dossier.Stopped:
		r.NgayKetThucXuLy = stamp(d.EndedAt)
	}
	if d.ResultDigitised {
		r.KetQuaSoHoa = 1
	}
	var err error
	if r.MaDonVi, r.MaDonViXuLy, err = agencyCodes(ctx, tx, d.ReceivingAgencyID, d.AgencyID); err != nil {
		return r, err
	}
	if r.ThanhToanTrucTuyen, err = onlinePayment(ctx, tx, d.ID); err != nil {
		return r, err
	}
	if r.SoThanhPhanHoSo, r.SoThanhPhanTaiSuDung, r.DanhSachGiayToKetQua, err = s.files(ctx, tx, d); err != nil {
		return r, err
	}
	if d.Applicant.UserID != "" {
		if r.XacThucVNeID, err = vneidLinked(ctx, tx, d.Applicant.UserID, s.cfg.VNeIDIssuer); err != nil {
			return r, err
		}
	}
	if nationalID == "" && d.Channel == dossier.National {
		if nationalID, err = nationalIDOf(ctx, tx, d.ID); err != nil {
			return r, err
		}
	}
	r.MaHoSoQG = nationalID
	if s.population != nil {
		ref, result, err := s.population.PopulationCheck(ctx, tx, d.ID, d.Applicant.UserID)
		if err != nil {
			return r, err
		}
		r.MaXacThucDanCu = ref
		switch result {
		case "match":
			r.KetQuaXacThucDanCu = PopulationMatch
		case "no_match":
			r.KetQuaXacThucDanCu = PopulationNoMatch
		case "not_found":
			r.KetQuaXacThucDanCu = PopulationNotFound
		}
	}
	return r, nil
}

// files counts the dossier's components and lists its results with links.
func (s *Service) files(ctx context.Context, tx *db.Tx, d *dossier.Dossier) (components, reused int, results []ResultDoc, err error) {
	rows, err := tx.Query(ctx, `SELECT id, kind, document, sha256, source FROM dossier_files WHERE dossier_id = ? ORDER BY uploaded_at, id`, d.ID)
	if err != nil {
		return 0, 0, nil, apperr.Wrap(err, "read dossier files for the national portal")
	}
	defer rows.Close()
	results = []ResultDoc{}
	for rows.Next() {
		var id, kind, document, sum, source string
		if err := rows.Scan(&id, &kind, &document, &sum, &source); err != nil {
			return 0, 0, nil, apperr.Wrap(err, "read dossier file")
		}
		if kind == dossier.KindResult {
			results = append(results, ResultDoc{TenGiayTo: document, MaBam: sum,
				DuongDanTepTin: s.cfg.BaseURL + "/api/v1/dossiers/" + url.PathEscape(d.Code) + "/files/" + url.PathEscape(id)})
			continue
		}
		components++
		if source == "estore" {
			reused++
		}
	}
	return components, reused, results, apperr.Wrap(rows.Err(), "read dossier files")
}

// nudge wakes an idle worker: a record was queued (it is visible once the
// transaction commits; a worker that looks too early finds it at its next
// poll).
func (s *Service) nudge() {
	select {
	case s.wake <- struct{}{}:
	default:
	}
}
