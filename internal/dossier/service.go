package dossier

import (
	"context"
	"log/slog"
	"strings"
	"time"

	"github.com/congso/congso/internal/actor"
	"github.com/congso/congso/internal/apperr"
	"github.com/congso/congso/internal/audit"
	"github.com/congso/congso/internal/calendar"
	"github.com/congso/congso/internal/db"
	"github.com/congso/congso/internal/identity"
	"github.com/congso/congso/internal/vntext"
)

// RoleSource tells which roles an official holds, to check assignments.
type RoleSource interface {
	Roles(ctx context.Context, userID string) (map[string][]actor.Role, []actor.Role, error)
}

// Config tunes the service.
type Config struct {
	// BaseURL is the platform's public address, for the status links printed
	// on the forms.
	BaseURL string
	// DueSoon is how much working time before the deadline a dossier counts
	// as due soon.
	DueSoon time.Duration
	// MaxFileSize bounds one attachment.
	MaxFileSize int64
}

// Service runs the dossier system.
type Service struct {
	db        *db.DB
	audit     *audit.Log
	catalog   Catalog
	calendars Calendars
	agencies  Agencies
	roles     RoleSource
	people    People
	store     EStore
	now       func() time.Time
	cfg       Config
	log       *slog.Logger
	listeners []Listener
}

// Listen registers a listener of every change; call it while wiring, before
// the service is used.
func (s *Service) Listen(l Listener) { s.listeners = append(s.listeners, l) }

func (s *Service) changed(ctx context.Context, tx *db.Tx, d *Dossier, e Event) error {
	for _, l := range s.listeners {
		if err := l.DossierChanged(ctx, tx, d, e); err != nil {
			return err
		}
	}
	return nil
}

// Deps are what the service is built from.
type Deps struct {
	DB        *db.DB
	Audit     *audit.Log
	Catalog   Catalog
	Calendars Calendars
	Agencies  Agencies
	Roles     RoleSource
	People    People
	// Store lends files of citizens' e-data stores; nil turns reuse off.
	Store EStore
	Now   func() time.Time
	Log   *slog.Logger
}

// NewService returns the dossier service.
func NewService(d Deps, cfg Config) *Service {
	if cfg.DueSoon <= 0 {
		cfg.DueSoon = 8 * time.Hour
	}
	if cfg.MaxFileSize <= 0 {
		cfg.MaxFileSize = 10 << 20
	}
	return &Service{db: d.DB, audit: d.Audit, catalog: d.Catalog, calendars: d.Calendars, agencies: d.Agencies, roles: d.Roles,
		people: d.People, store: d.Store, now: d.Now, cfg: cfg, log: d.Log}
}

// CreateInput is a new dossier: received at a counter or by post, or filed
// online.
type CreateInput struct {
	ProcedureID string `json:"procedure_id"`
	// AgencyID is the agency that processes it; it must implement the
	// procedure. Empty means the procedure's only implementing agency, or the
	// receiving agency when it implements the procedure.
	AgencyID string `json:"agency_id"`
	// ReceivingAgencyID is the one-stop desk; for counter and post receipts it
	// defaults to the receiving officer's agency.
	ReceivingAgencyID string              `json:"receiving_agency_id"`
	Channel           Channel             `json:"channel"`
	Applicant         Applicant           `json:"applicant"`
	Form              map[string][]string `json:"form"`
	ResultDelivery    string              `json:"result_delivery"`
	// ReceivedOn is, for a dossier that came by post, the day it arrived
	// (YYYY-MM-DD); it must be a working day in the last 30 days.
	ReceivedOn string `json:"received_on"`
	// FromStore reuses papers of the applicant's e-data store instead of new
	// uploads; only the applicant filing for themselves may.
	FromStore []StoreRef `json:"from_store"`
}

func (s *Service) pickAgencies(ctx context.Context, by *actor.Actor, in *CreateInput, p Procedure) error {
	implements := func(id string) bool {
		for _, a := range p.AgencyIDs {
			if a == id {
				return true
			}
		}
		return false
	}
	if in.ReceivingAgencyID == "" && (in.Channel == Counter || in.Channel == Post) {
		for _, id := range by.AgencyIDs() {
			if by.Has(actor.Receiver, id) && (implements(id) || in.AgencyID == "" && len(p.AgencyIDs) > 0) {
				in.ReceivingAgencyID = id
				break
			}
		}
		if in.ReceivingAgencyID == "" {
			for _, id := range by.AgencyIDs() {
				if by.Has(actor.Receiver, id) {
					in.ReceivingAgencyID = id
					break
				}
			}
		}
	}
	if in.AgencyID == "" {
		switch {
		case implements(in.ReceivingAgencyID):
			in.AgencyID = in.ReceivingAgencyID
		case len(p.AgencyIDs) == 1:
			in.AgencyID = p.AgencyIDs[0]
		default:
			return apperr.Field("agency_id", "Thủ tục này do nhiều cơ quan thực hiện: hãy chọn cơ quan giải quyết.")
		}
	}
	if !implements(in.AgencyID) {
		return apperr.Field("agency_id", "Cơ quan đã chọn không thực hiện thủ tục này.")
	}
	if in.ReceivingAgencyID == "" {
		in.ReceivingAgencyID = in.AgencyID
	}
	return nil
}

func (s *Service) checkApplicant(by *actor.Actor, in *CreateInput) error {
	a := &in.Applicant
	f := apperr.Fields{}
	a.Name = vntext.NFC(a.Name)
	a.Address = vntext.NFC(a.Address)
	a.IDNumber = strings.TrimSpace(a.IDNumber)
	if a.Kind == "" {
		a.Kind = string(actor.Citizen)
	}
	if a.Name == "" || len([]rune(a.Name)) > 200 || !vntext.Valid(a.Name) {
		f.Add("applicant.name", "Họ tên người nộp (hoặc tên tổ chức) là bắt buộc, tối đa 200 ký tự.")
	}
	switch a.Kind {
	case string(actor.Citizen):
		if err := identity.ValidateCitizenID(a.IDNumber, time.Time{}); err != nil {
			f.Add("applicant.id_number", apperr.MessageOf(err))
		}
	case string(actor.Organisation):
		if err := identity.ValidateOrgCode(a.IDNumber); err != nil {
			f.Add("applicant.id_number", apperr.MessageOf(err))
		}
	default:
		f.Add("applicant.kind", "Người nộp là công dân (citizen) hoặc tổ chức (organisation).")
	}
	var err error
	if a.Phone, err = identity.NormalizePhone(a.Phone); err != nil {
		f.Add("applicant.phone", apperr.MessageOf(err))
	}
	if a.Email, err = identity.NormalizeEmail(a.Email); err != nil {
		f.Add("applicant.email", apperr.MessageOf(err))
	}
	if len([]rune(a.Address)) > 300 || !vntext.Valid(a.Address) {
		f.Add("applicant.address", "Địa chỉ tối đa 300 ký tự.")
	}
	switch in.ResultDelivery {
	case "":
		in.ResultDelivery = "counter"
	case "counter":
	case "post":
		if a.Address == "" {
			f.Add("applicant.address", "Nhận kết quả qua bưu chính cần địa chỉ nhận.")
		}
	default:
		f.Add("result_delivery", "Hình thức nhận kết quả là counter (tại bộ phận một cửa) hoặc post (qua bưu chính).")
	}
	if !in.Channel.valid() {
		f.Add("channel", "Kênh tiếp nhận không hợp lệ (counter, post, portal, national).")
	}
	return f.Err()
}

// mayCreate: receiving officers at counters and by post; citizens and
// organisations online for themselves; the national portal's connector (a
// machine account holding the receiver role) for national-portal dossiers.
func mayCreate(by *actor.Actor, in *CreateInput) error {
	switch in.Channel {
	case Counter, Post:
		if !by.Has(actor.Receiver, in.ReceivingAgencyID) {
			return actor.Deny(by, "Chỉ công chức tiếp nhận của cơ quan được tiếp nhận hồ sơ tại bộ phận một cửa.")
		}
	case Portal:
		if by == nil || (by.Kind != actor.Citizen && by.Kind != actor.Organisation) {
			return actor.Deny(by, "Hồ sơ trực tuyến do chính người dân, doanh nghiệp nộp.")
		}
		in.Applicant.UserID = by.UserID
	case National:
		if by == nil || by.Kind != actor.Machine || !by.Has(actor.Receiver, in.ReceivingAgencyID) {
			return actor.Deny(by, "Chỉ kết nối với Cổng Dịch vụ công quốc gia được chuyển hồ sơ từ cổng quốc gia.")
		}
	}
	return nil
}

// Create receives a dossier. At a counter or by post it is accepted at once:
// it gets its code, its receipt time and its promised date. Online it waits as
// "newly filed" until an officer accepts it.
func (s *Service) Create(ctx context.Context, by *actor.Actor, in CreateInput) (Dossier, error) {
	if by == nil {
		return Dossier{}, apperr.New(apperr.Unauthorized, "Bạn cần đăng nhập.")
	}
	if err := s.checkApplicant(by, &in); err != nil {
		return Dossier{}, err
	}
	p, err := s.catalog.Procedure(ctx, in.ProcedureID)
	if err != nil {
		return Dossier{}, err
	}
	if !p.Active {
		return Dossier{}, apperr.Field("procedure_id", "Thủ tục này đã ngừng áp dụng.")
	}
	if in.Channel.Online() && p.OnlineLevel == "offline" {
		return Dossier{}, apperr.Field("channel", "Thủ tục này chưa được nộp trực tuyến; hãy nộp tại bộ phận một cửa hoặc qua bưu chính.")
	}
	if err := s.pickAgencies(ctx, by, &in, p); err != nil {
		return Dossier{}, err
	}
	if err := mayCreate(by, &in); err != nil {
		return Dossier{}, err
	}
	form := map[string]any{}
	if p.CheckForm != nil {
		if form, err = p.CheckForm(in.Form); err != nil {
			return Dossier{}, err
		}
	}
	receiving, err := s.agencies.AgencyInfo(ctx, in.ReceivingAgencyID)
	if err != nil {
		return Dossier{}, err
	}
	cal, err := s.calendars.ForAgency(ctx, in.AgencyID)
	if err != nil {
		return Dossier{}, err
	}
	now := db.Instant(s.now())
	received := now
	if in.ReceivedOn != "" {
		if in.Channel != Post {
			return Dossier{}, apperr.Field("received_on", "Chỉ hồ sơ qua bưu chính mới ghi ngày nhận khác ngày hôm nay.")
		}
		if received, err = s.postReceipt(ctx, in.ReceivingAgencyID, in.ReceivedOn, now); err != nil {
			return Dossier{}, err
		}
	}
	d := Dossier{ID: db.NewID(), ReceivingAgencyID: in.ReceivingAgencyID, AgencyID: in.AgencyID, HolderAgencyID: in.ReceivingAgencyID,
		ProcedureID: p.ID, ProcedureCode: p.Code, ProcedureName: p.Name, Plan: p.Steps, Channel: in.Channel, Status: New,
		Applicant: in.Applicant, Form: form, ResultDelivery: in.ResultDelivery, FeeTotal: p.Fees, Limit: p.Limit, CutOff: p.CutOff,
		FiledAt: now, CreatedAt: now, UpdatedAt: now, PlanIdx: -1, Version: 1}
	if len(d.Plan) == 0 {
		return Dossier{}, apperr.New(apperr.Invalid, "Thủ tục chưa có quy trình xử lý nội bộ; không thể tiếp nhận.")
	}
	day := calendar.DateOf(received.In(calendar.Location()))
	err = s.db.Tx(ctx, func(tx *db.Tx) error {
		// The dossier is written under a provisional code and numbered last:
		// the day's counter row is locked from numbering to commit, so the
		// shorter that span, the more receipts per second one agency takes.
		d.Code = "~" + d.ID
		action := ActFile
		if !in.Channel.Online() {
			action = ActReceive
			if err := s.accept(&d, cal, received); err != nil {
				return err
			}
		}
		if err := insertDossier(ctx, tx, &d, ""); err != nil {
			return err
		}
		if d.StepSeq > 0 {
			step := s.newStep(&d, d.PlanIdx, received, cal)
			if err := insertStep(ctx, tx, d.ID, step); err != nil {
				return err
			}
		}
		if err := s.takeFromStore(ctx, tx, by, &d, in.FromStore, now); err != nil {
			return err
		}
		for _, id := range uniq(d.ReceivingAgencyID, d.AgencyID) {
			if err := addAgency(ctx, tx, d.ID, id); err != nil {
				return err
			}
		}
		ev := Event{Seq: 1, At: now, ActorID: by.UserID, AgencyID: d.ReceivingAgencyID, Action: action, FromStatus: 0, ToStatus: d.Status,
			Detail: map[string]any{"channel": d.Channel}}
		if err := insertEvent(ctx, tx, d.ID, ev); err != nil {
			return err
		}
		if err := s.audit.Append(ctx, tx, by, audit.Event{Action: "dossier." + string(action), ObjectType: "dossier", ObjectID: d.ID,
			AgencyID: d.ReceivingAgencyID, Detail: map[string]any{"status": d.Status, "channel": d.Channel}}); err != nil {
			return err
		}
		var err error
		if d.Code, err = nextCode(ctx, tx, receiving.ID, receiving.Code, day); err != nil {
			return err
		}
		if _, err = tx.Exec(ctx, "UPDATE dossiers SET code = ?, search_fold = ? WHERE id = ?", d.Code,
			vntext.Fold(d.Code+" "+d.ProcedureName+" "+d.Applicant.Name), d.ID); err != nil {
			return apperr.Wrap(err, "number dossier")
		}
		return s.changed(ctx, tx, &d, ev)
	})
	if err != nil {
		return Dossier{}, err
	}
	s.decorate(&d)
	return d, nil
}

// takeFromStore attaches the reused papers of the applicant's e-data store.
func (s *Service) takeFromStore(ctx context.Context, tx *db.Tx, by *actor.Actor, d *Dossier, refs []StoreRef, now time.Time) error {
	if len(refs) == 0 {
		return nil
	}
	if s.store == nil {
		return apperr.Field("from_store", "Kho dữ liệu điện tử chưa được bật.")
	}
	if d.Applicant.UserID == "" || by.UserID != d.Applicant.UserID {
		return apperr.Field("from_store", "Chỉ người nộp hồ sơ được dùng giấy tờ trong kho dữ liệu của mình.")
	}
	if len(refs) > 50 {
		return apperr.Field("from_store", "Tối đa 50 giấy tờ từ kho dữ liệu.")
	}
	for _, ref := range refs {
		f, err := s.store.Take(ctx, tx, d.Applicant.UserID, ref.ItemID)
		if err != nil {
			return err
		}
		doc := vntext.NFC(ref.Document)
		if doc == "" {
			doc = f.Document
		}
		if _, err := tx.Exec(ctx, `INSERT INTO dossier_files (id, dossier_id, kind, document, file_name, sha256, size, content_type, digitised,
			source, store_item_id, uploaded_by, uploaded_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`, db.NewID(), d.ID, KindAttachment,
			doc, f.Name, f.SHA256, f.Size, f.ContentType, true, "estore", ref.ItemID, by.UserID, now); err != nil {
			return apperr.Wrap(err, "attach a paper from the e-data store")
		}
	}
	return nil
}

func uniq(ids ...string) []string {
	var out []string
	for _, id := range ids {
		dup := false
		for _, o := range out {
			dup = dup || o == id
		}
		if !dup && id != "" {
			out = append(out, id)
		}
	}
	return out
}

// postReceipt checks the day a posted dossier arrived: not in the future,
// not more than 30 days back, and a working day of the receiving desk.
func (s *Service) postReceipt(ctx context.Context, agencyID, day string, now time.Time) (time.Time, error) {
	d, err := calendar.ParseDate(day)
	if err != nil {
		return time.Time{}, apperr.Field("received_on", "Ngày nhận không hợp lệ (định dạng YYYY-MM-DD).")
	}
	today := calendar.DateOf(now.In(calendar.Location()))
	if d.After(today) {
		return time.Time{}, apperr.Field("received_on", "Ngày nhận không được sau ngày hôm nay.")
	}
	if d.Before(today.AddDays(-30)) {
		return time.Time{}, apperr.Field("received_on", "Ngày nhận đã quá 30 ngày, thuộc kỳ đã khóa sổ; không thể ghi nhận lùi ngày.")
	}
	cal, err := s.calendars.ForAgency(ctx, agencyID)
	if err != nil {
		return time.Time{}, err
	}
	spans, err := cal.WorkingHours(d)
	if err != nil {
		return time.Time{}, apperr.Field("received_on", err.Error())
	}
	if len(spans) == 0 {
		return time.Time{}, apperr.Field("received_on", "Ngày nhận là ngày nghỉ của cơ quan; hồ sơ bưu chính được ghi nhận vào ngày làm việc.")
	}
	if d == today {
		return now, nil
	}
	return d.At(spans[0].Start), nil
}

// accept sets the receipt time and the promised date and starts the first
// step of the procedure's process.
func (s *Service) accept(d *Dossier, cal *calendar.Calendar, received time.Time) error {
	due, err := cal.Due(received, d.Limit, d.CutOff)
	if err != nil {
		return apperr.Wrap(err, "compute the promised date")
	}
	d.ReceivedAt, d.DueAt, d.LegalDueAt = &received, &due, &due
	d.Status = Accepted
	d.PlanIdx = 0
	d.StepSeq++
	d.StepRole = d.Plan[0].Role
	d.HolderAgencyID = s.stepAgency(d, 0)
	if d.Plan[0].Role != actor.Receiver {
		d.Status = Processing
	}
	return nil
}

// stepAgency is where a plan step is done: receiving officers work at the
// one-stop desk, everyone else at the processing agency.
func (s *Service) stepAgency(d *Dossier, idx int) string {
	if d.Plan[idx].Role == actor.Receiver {
		return d.ReceivingAgencyID
	}
	return d.AgencyID
}

// newStep is the row for the plan step idx starting at start.
func (s *Service) newStep(d *Dossier, idx int, start time.Time, cal *calendar.Calendar) Step {
	p := d.Plan[idx]
	due, err := budgetEnd(cal, start, p.Budget)
	if err != nil {
		due = start
	}
	return Step{Seq: d.StepSeq, PlanIdx: idx, Name: p.Name, Role: p.Role, AgencyID: s.stepAgency(d, idx), StartedAt: start, DueAt: due}
}

// budgetEnd is when a step with the budget, started at start, is due.
func budgetEnd(cal *calendar.Calendar, start time.Time, b calendar.Duration) (time.Time, error) {
	switch b.Unit {
	case calendar.UnitWorkingHours:
		return cal.AddWorkingTime(start, time.Duration(b.N)*time.Hour)
	case calendar.UnitWorkingDays:
		return cal.AddWorkingTime(start, time.Duration(b.N)*8*time.Hour)
	case calendar.UnitCalendarDays:
		return start.AddDate(0, 0, b.N), nil
	case calendar.UnitMonths:
		return start.AddDate(0, b.N, 0), nil
	}
	return start, apperr.New(apperr.Invalid, "Đơn vị thời gian của bước không hợp lệ.")
}

// decorate fills the fields computed on read.
func (s *Service) decorate(d *Dossier) {
	d.StatusLabel = d.Status.Label()
	d.ManySupplements = d.SupplementCount > 1
	if d.DueAt == nil || !d.Status.Open() {
		return
	}
	now := s.now()
	d.Late = now.After(*d.DueAt)
	if !d.Late {
		if cal, err := s.calendars.ForAgency(context.Background(), d.AgencyID); err == nil {
			if left, err := cal.WorkingHoursBetween(now, *d.DueAt); err == nil {
				d.DueSoon = left <= s.cfg.DueSoon
			}
		}
	}
}
