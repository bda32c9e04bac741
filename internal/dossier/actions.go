package dossier

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/congso/congso/internal/actor"
	"github.com/congso/congso/internal/apperr"
	"github.com/congso/congso/internal/audit"
	"github.com/congso/congso/internal/calendar"
	"github.com/congso/congso/internal/db"
	"github.com/congso/congso/internal/vntext"
)

// Action is something done to a dossier.
type Action string

const (
	ActFile              Action = "file"               // nộp trực tuyến
	ActReceive           Action = "receive"            // tiếp nhận tại một cửa / bưu chính
	ActAccept            Action = "accept"             // tiếp nhận hồ sơ trực tuyến
	ActRefuse            Action = "refuse"             // từ chối tiếp nhận (mẫu 03)
	ActForward           Action = "forward"            // chuyển xử lý
	ActAssign            Action = "assign"             // phân công
	ActSubmit            Action = "submit"             // trình phê duyệt
	ActApprove           Action = "approve"            // phê duyệt, ký
	ActSendBack          Action = "send_back"          // trả lại để xử lý lại
	ActIssue             Action = "issue"              // ban hành, trả kết quả về một cửa
	ActReturn            Action = "return"             // trả kết quả cho công dân
	ActRequestSupplement Action = "request_supplement" // yêu cầu bổ sung (mẫu 02)
	ActSupplement        Action = "supplement"         // đã bổ sung
	ActRequestPayment    Action = "request_payment"    // yêu cầu nộp phí, lệ phí
	ActPay               Action = "pay"                // đã nộp phí, lệ phí
	ActRequestWithdrawal Action = "request_withdrawal" // công dân xin rút hồ sơ
	ActWithdraw          Action = "withdraw"           // đồng ý rút hồ sơ
	ActDeclineWithdrawal Action = "decline_withdrawal" // không đồng ý rút
	ActStop              Action = "stop"               // dừng xử lý (mẫu 05)
	ActApologise         Action = "apologise"          // xin lỗi, hẹn lại (mẫu 04)
	ActTransfer          Action = "transfer"           // chuyển liên thông
	ActTransferBack      Action = "transfer_back"      // trả kết quả liên thông
)

// Label is the action in Vietnamese.
func (a Action) Label() string {
	switch a {
	case ActFile:
		return "Nộp hồ sơ trực tuyến"
	case ActReceive:
		return "Tiếp nhận hồ sơ"
	case ActAccept:
		return "Tiếp nhận hồ sơ trực tuyến"
	case ActRefuse:
		return "Từ chối tiếp nhận"
	case ActForward:
		return "Chuyển xử lý"
	case ActAssign:
		return "Phân công xử lý"
	case ActSubmit:
		return "Trình phê duyệt"
	case ActApprove:
		return "Phê duyệt, ký kết quả"
	case ActSendBack:
		return "Trả lại để xử lý lại"
	case ActIssue:
		return "Ban hành kết quả"
	case ActReturn:
		return "Trả kết quả"
	case ActRequestSupplement:
		return "Yêu cầu bổ sung, hoàn thiện hồ sơ"
	case ActSupplement:
		return "Bổ sung hồ sơ"
	case ActRequestPayment:
		return "Yêu cầu nộp phí, lệ phí"
	case ActPay:
		return "Nộp phí, lệ phí"
	case ActRequestWithdrawal:
		return "Xin rút hồ sơ"
	case ActWithdraw:
		return "Đồng ý rút hồ sơ"
	case ActDeclineWithdrawal:
		return "Không đồng ý rút hồ sơ"
	case ActStop:
		return "Dừng xử lý"
	case ActApologise:
		return "Xin lỗi và hẹn lại ngày trả kết quả"
	case ActTransfer:
		return "Chuyển liên thông"
	case ActTransferBack:
		return "Trả kết quả liên thông"
	}
	return string(a)
}

// completing is the action that completes a step of the role.
func completing(r actor.Role) Action {
	switch r {
	case actor.Receiver:
		return ActForward
	case actor.Specialist:
		return ActSubmit
	case actor.Head:
		return ActApprove
	case actor.Clerk:
		return ActIssue
	}
	return ""
}

// Actions lists every action an official or citizen can take.
func Actions() []Action {
	return []Action{ActAccept, ActRefuse, ActForward, ActAssign, ActSubmit, ActApprove, ActSendBack, ActIssue, ActReturn,
		ActRequestSupplement, ActSupplement, ActRequestPayment, ActPay, ActRequestWithdrawal, ActWithdraw, ActDeclineWithdrawal,
		ActStop, ActApologise, ActTransfer, ActTransferBack}
}

// ActionInput carries what an action needs.
type ActionInput struct {
	Note string `json:"note"`
	// Version, when set, must be the dossier's current version.
	Version    int    `json:"version"`
	AssigneeID string `json:"assignee_id"`
	ToAgencyID string `json:"to_agency_id"`
	StepName   string `json:"step_name"`
	// BudgetHours is the working time the other agency has for its part.
	BudgetHours int `json:"budget_hours"`
	// NewDueDate is the new appointment of an apology (YYYY-MM-DD).
	NewDueDate string `json:"new_due_date"`
	Amount     int64  `json:"amount"`
	Method     string `json:"method"`
	Reference  string `json:"reference"`
	// Documents lists what the citizen must add (supplement requests).
	Documents []string `json:"documents"`
}

func (in *ActionInput) normalize() error {
	in.Note = vntext.NFC(in.Note)
	if len([]rune(in.Note)) > 2000 || !vntext.Valid(in.Note) {
		return apperr.Field("note", "Ghi chú tối đa 2000 ký tự.")
	}
	for i, d := range in.Documents {
		in.Documents[i] = vntext.NFC(d)
		if in.Documents[i] == "" || len([]rune(in.Documents[i])) > 300 || !vntext.Valid(in.Documents[i]) {
			return apperr.Field("documents", "Mỗi giấy tờ cần bổ sung phải có tên, tối đa 300 ký tự.")
		}
	}
	if len(in.Documents) > 50 {
		return apperr.Field("documents", "Tối đa 50 giấy tờ.")
	}
	return nil
}

// transition is the work of one action inside its transaction.
type transition struct {
	s     *Service
	ctx   context.Context
	tx    *db.Tx
	by    *actor.Actor
	d     *Dossier
	in    ActionInput
	now   time.Time
	cal   *calendar.Calendar
	event Event
}

// Act takes an action on a dossier: it checks that the action is allowed in
// the dossier's state, for the actor's role and agency, applies it and records
// it with actor, time and note — all in one transaction, so that nothing is
// half-done.
func (s *Service) Act(ctx context.Context, by *actor.Actor, code string, action Action, in ActionInput) (Dossier, error) {
	var out Dossier
	err := s.db.Tx(ctx, func(tx *db.Tx) error {
		var err error
		out, err = s.ActIn(ctx, tx, by, code, action, in)
		return err
	})
	if err != nil {
		return Dossier{}, err
	}
	s.decorate(&out)
	return out, nil
}

// ActIn is Act inside the caller's transaction, for a change that must
// commit together with the caller's own (a payment confirmed by the gateway).
func (s *Service) ActIn(ctx context.Context, tx *db.Tx, by *actor.Actor, code string, action Action, in ActionInput) (Dossier, error) {
	if by == nil {
		return Dossier{}, apperr.New(apperr.Unauthorized, "Bạn cần đăng nhập.")
	}
	if !slices.Contains(Actions(), action) {
		return Dossier{}, apperr.New(apperr.NotFound, "Không có thao tác %q.", action)
	}
	if err := in.normalize(); err != nil {
		return Dossier{}, err
	}
	d, err := load(ctx, tx, code, true)
	if err != nil {
		return Dossier{}, err
	}
	if in.Version > 0 && in.Version != d.Version {
		return Dossier{}, apperr.New(apperr.Conflict, "Hồ sơ %s vừa được người khác cập nhật; hãy tải lại và thao tác lại.", d.Code)
	}
	cal, err := s.calendars.ForAgency(ctx, d.AgencyID)
	if err != nil {
		return Dossier{}, err
	}
	now := db.Instant(s.now())
	t := &transition{s: s, ctx: ctx, tx: tx, by: by, d: &d, in: in, now: now, cal: cal,
		event: Event{At: now, ActorID: by.UserID, Action: action, FromStatus: d.Status, Note: in.Note}}
	if err := t.apply(action); err != nil {
		return Dossier{}, err
	}
	d.UpdatedAt = now
	if err := saveState(ctx, tx, &d); err != nil {
		return Dossier{}, err
	}
	// Every transition bumps the version once and records one event, and
	// receipt is version 1 with event 1: the new version numbers the event.
	t.event.Seq, t.event.ToStatus = d.Version, d.Status
	if t.event.AgencyID == "" {
		t.event.AgencyID = t.actingAgency()
	}
	if err := insertEvent(ctx, tx, d.ID, t.event); err != nil {
		return Dossier{}, err
	}
	if err := s.changed(ctx, tx, &d, t.event); err != nil {
		return Dossier{}, err
	}
	detail := map[string]any{"code": d.Code, "from": t.event.FromStatus, "to": d.Status}
	if err := s.audit.Append(ctx, tx, by, audit.Event{Action: "dossier." + string(action), ObjectType: "dossier", ObjectID: d.ID,
		AgencyID: t.event.AgencyID, Detail: detail}); err != nil {
		return Dossier{}, err
	}
	return d, nil
}

// actingAgency is the agency the actor acts for on this dossier.
func (t *transition) actingAgency() string {
	for _, id := range []string{t.d.HolderAgencyID, t.d.AgencyID, t.d.ReceivingAgencyID} {
		if _, ok := t.by.Agencies[id]; ok {
			return id
		}
	}
	return t.by.PrimaryAgency()
}

func (t *transition) apply(action Action) error {
	d := t.d
	switch action {
	case ActAccept:
		return t.acceptOnline()
	case ActRefuse:
		return t.refuse()
	case ActForward, ActSubmit, ActApprove, ActIssue:
		return t.complete(action)
	case ActAssign:
		return t.assign()
	case ActSendBack:
		return t.sendBack()
	case ActReturn:
		if d.Status != Processed {
			return t.wrongState("chỉ trả kết quả khi hồ sơ đã xử lý xong")
		}
		if !t.holds(d.ReceivingAgencyID, actor.Receiver, actor.Clerk) && !t.holds(d.AgencyID, actor.Clerk) {
			return t.denied("Chỉ bộ phận một cửa hoặc văn thư được trả kết quả.")
		}
		d.Status, d.ReturnedAt = Returned, &t.now
		return nil
	case ActRequestSupplement:
		return t.requestSupplement()
	case ActSupplement:
		return t.supplement()
	case ActRequestPayment:
		return t.requestPayment()
	case ActPay:
		return t.pay()
	case ActRequestWithdrawal:
		return t.requestWithdrawal()
	case ActWithdraw:
		return t.withdraw()
	case ActDeclineWithdrawal:
		return t.declineWithdrawal()
	case ActStop:
		return t.stop()
	case ActApologise:
		return t.apologise()
	case ActTransfer:
		return t.transfer()
	case ActTransferBack:
		return t.transferBack()
	}
	return apperr.New(apperr.NotFound, "Không có thao tác %q.", action)
}

func (t *transition) wrongState(why string) error {
	return apperr.New(apperr.Conflict, "Không thể %s: hồ sơ %s đang ở trạng thái \"%s\" (%s).",
		strings.ToLower(t.event.Action.Label()), t.d.Code, t.d.Status.Label(), why)
}

func (t *transition) denied(msg string) error { return actor.Deny(t.by, msg) }

// holds reports whether the actor has one of the roles in the agency.
func (t *transition) holds(agencyID string, roles ...actor.Role) bool {
	for _, r := range roles {
		if t.by.Has(r, agencyID) {
			return true
		}
	}
	return false
}

func (t *transition) requireNote(what string) error {
	if strings.TrimSpace(t.in.Note) == "" {
		return apperr.Field("note", "Hãy ghi rõ "+what+".")
	}
	return nil
}

func (t *transition) acceptOnline() error {
	d := t.d
	if d.Status != New {
		return t.wrongState("chỉ tiếp nhận hồ sơ mới đăng ký")
	}
	if !t.holds(d.ReceivingAgencyID, actor.Receiver) {
		return t.denied("Chỉ công chức tiếp nhận của cơ quan được tiếp nhận hồ sơ.")
	}
	if err := t.s.accept(d, t.cal, t.now); err != nil {
		return err
	}
	return insertStep(t.ctx, t.tx, d.ID, t.s.newStep(d, 0, t.now, t.cal))
}

func (t *transition) refuse() error {
	d := t.d
	if d.Status != New && !(d.Status == SupplementRequested && d.ResumeStatus == New) {
		return t.wrongState("chỉ từ chối khi chưa tiếp nhận; hồ sơ đã tiếp nhận thì dừng xử lý")
	}
	if !t.holds(d.ReceivingAgencyID, actor.Receiver) {
		return t.denied("Chỉ công chức tiếp nhận được từ chối tiếp nhận hồ sơ.")
	}
	if err := t.requireNote("lý do từ chối tiếp nhận"); err != nil {
		return err
	}
	d.Status, d.EndedAt = Refused, &t.now
	return nil
}

// current returns the step row the dossier is at.
func (t *transition) current() (Step, error) {
	if t.d.StepSeq == 0 {
		return Step{}, t.wrongState("hồ sơ chưa vào quy trình xử lý")
	}
	return loadStep(t.ctx, t.tx, t.d.ID, t.d.StepSeq)
}

// finishStep closes the current step row and judges it against its due time.
func (t *transition) finishStep(st *Step) error {
	st.FinishedAt, st.FinishedBy, st.Outcome = &t.now, t.by.UserID, judge(t.now, st.DueAt)
	return updateStep(t.ctx, t.tx, t.d.ID, *st)
}

// startStep opens a row for plan step idx.
func (t *transition) startStep(idx int) error {
	d := t.d
	d.StepSeq++
	d.PlanIdx, d.StepRole, d.AssigneeID = idx, d.Plan[idx].Role, ""
	d.HolderAgencyID = t.s.stepAgency(d, idx)
	return insertStep(t.ctx, t.tx, d.ID, t.s.newStep(d, idx, t.now, t.cal))
}

// complete finishes the current step with the action that belongs to its
// role and moves to the next one; after the last, the dossier is processed.
func (t *transition) complete(action Action) error {
	d := t.d
	if d.Status != Accepted && d.Status != Processing {
		return t.wrongState("chỉ thực hiện khi hồ sơ đang xử lý")
	}
	st, err := t.current()
	if err != nil {
		return err
	}
	if st.InterAgency() {
		return t.wrongState("hồ sơ đang chờ kết quả liên thông của cơ quan khác")
	}
	if completing(st.Role) != action {
		return apperr.New(apperr.Conflict, "Hồ sơ %s đang ở bước \"%s\" (%s); thao tác phù hợp là \"%s\".",
			d.Code, st.Name, st.Role.Label(), completing(st.Role).Label())
	}
	if !t.holds(st.AgencyID, st.Role) {
		return t.denied(fmt.Sprintf("Bước \"%s\" do %s của cơ quan đang giữ hồ sơ thực hiện.", st.Name, strings.ToLower(st.Role.Label())))
	}
	if st.AssigneeID != "" && st.AssigneeID != t.by.UserID {
		return t.denied("Hồ sơ đã được phân công cho cán bộ khác.")
	}
	if err := t.finishStep(&st); err != nil {
		return err
	}
	t.event.AgencyID = st.AgencyID
	if d.PlanIdx+1 < len(d.Plan) {
		d.Status = Processing
		return t.startStep(d.PlanIdx + 1)
	}
	d.Status, d.ProcessedAt = Processed, &t.now
	d.StepRole, d.AssigneeID, d.HolderAgencyID = "", "", d.ReceivingAgencyID
	if d.LegalDueAt != nil {
		d.Outcome = judge(t.now, *d.LegalDueAt)
	}
	if d.SupplementCount > 1 {
		// More than one supplement request counts as late, whatever the clock says.
		d.Outcome = Late
	}
	return nil
}

func (t *transition) assign() error {
	d := t.d
	if d.Status != Accepted && d.Status != Processing {
		return t.wrongState("chỉ phân công khi hồ sơ đang xử lý")
	}
	st, err := t.current()
	if err != nil {
		return err
	}
	if t.in.AssigneeID == "" {
		return apperr.Field("assignee_id", "Hãy chọn cán bộ được phân công.")
	}
	self := t.in.AssigneeID == t.by.UserID && t.holds(st.AgencyID, st.Role)
	if !self && !t.holds(st.AgencyID, actor.Head) {
		return t.denied("Chỉ lãnh đạo cơ quan phân công hồ sơ (hoặc cán bộ tự nhận hồ sơ thuộc vai trò của mình).")
	}
	agencies, _, err := t.s.roles.Roles(t.ctx, t.in.AssigneeID)
	if err != nil {
		return apperr.Wrap(err, "load assignee roles")
	}
	if !slices.Contains(agencies[st.AgencyID], st.Role) {
		return apperr.Field("assignee_id", fmt.Sprintf("Cán bộ được chọn không có vai trò %s tại cơ quan đang giữ hồ sơ.", strings.ToLower(st.Role.Label())))
	}
	st.AssigneeID, d.AssigneeID = t.in.AssigneeID, t.in.AssigneeID
	t.event.Detail = map[string]any{"assignee_id": t.in.AssigneeID}
	return updateStep(t.ctx, t.tx, d.ID, st)
}

func (t *transition) sendBack() error {
	d := t.d
	if d.Status != Processing {
		return t.wrongState("chỉ trả lại khi hồ sơ đang xử lý")
	}
	st, err := t.current()
	if err != nil {
		return err
	}
	if st.Role != actor.Head || st.InterAgency() {
		return t.wrongState("chỉ lãnh đạo ở bước phê duyệt được trả lại")
	}
	if !t.holds(st.AgencyID, actor.Head) {
		return t.denied("Chỉ lãnh đạo cơ quan đang giữ hồ sơ được trả lại.")
	}
	if err := t.requireNote("nội dung cần xử lý lại"); err != nil {
		return err
	}
	back := -1
	for i := d.PlanIdx - 1; i >= 0; i-- {
		if d.Plan[i].Role == actor.Specialist {
			back = i
			break
		}
	}
	if back < 0 {
		return t.wrongState("quy trình không có bước xử lý trước bước phê duyệt")
	}
	if err := t.finishStep(&st); err != nil {
		return err
	}
	return t.startStep(back)
}

// pause stops the legal clock (if it runs) while waiting for the citizen.
func (t *transition) pause() {
	if t.d.PausedAt == nil && t.d.Status.Clocked() {
		t.d.PausedAt = &t.now
	}
}

// resume restarts the clock: the promised date, the legal date and the
// current step's due time move by the working time spent waiting.
func (t *transition) resume() error {
	d := t.d
	if d.PausedAt == nil {
		return nil
	}
	from := *d.PausedAt
	d.PausedAt = nil
	shift := func(tm time.Time) (time.Time, error) {
		if d.Limit.Unit == calendar.UnitCalendarDays || d.Limit.Unit == calendar.UnitMonths {
			return tm.Add(t.now.Sub(from)), nil
		}
		waited, err := t.cal.WorkingHoursBetween(from, t.now)
		if err != nil {
			return tm, err
		}
		return t.cal.AddWorkingTime(tm, waited)
	}
	for _, p := range []**time.Time{&d.DueAt, &d.LegalDueAt} {
		if *p == nil {
			continue
		}
		v, err := shift(**p)
		if err != nil {
			return apperr.Wrap(err, "move the deadline")
		}
		*p = &v
	}
	if d.StepSeq > 0 {
		st, err := loadStep(t.ctx, t.tx, d.ID, d.StepSeq)
		if err != nil {
			return err
		}
		if st.DueAt, err = shift(st.DueAt); err != nil {
			return apperr.Wrap(err, "move the step deadline")
		}
		if err := updateStep(t.ctx, t.tx, d.ID, st); err != nil {
			return err
		}
	}
	t.event.Detail = map[string]any{"waited_from": from}
	return nil
}

func (t *transition) requestSupplement() error {
	d := t.d
	switch d.Status {
	case New, Accepted:
		if !t.holds(d.ReceivingAgencyID, actor.Receiver) {
			return t.denied("Chỉ công chức tiếp nhận được yêu cầu bổ sung ở bước tiếp nhận.")
		}
	case Processing:
		if !t.holds(d.HolderAgencyID, actor.Specialist, actor.Receiver) {
			return t.denied("Chỉ chuyên viên của cơ quan đang xử lý được yêu cầu bổ sung hồ sơ.")
		}
	default:
		return t.wrongState("chỉ yêu cầu bổ sung khi hồ sơ đang tiếp nhận hoặc xử lý")
	}
	if len(t.in.Documents) == 0 && strings.TrimSpace(t.in.Note) == "" {
		return apperr.Field("documents", "Hãy nêu giấy tờ cần bổ sung và lý do.")
	}
	t.pause()
	d.ResumeStatus, d.Status = d.Status, SupplementRequested
	t.event.Detail = map[string]any{"documents": t.in.Documents, "request": d.SupplementCount + 1}
	return nil
}

func (t *transition) isApplicant() bool {
	return t.d.Applicant.UserID != "" && t.by.UserID == t.d.Applicant.UserID
}

func (t *transition) supplement() error {
	d := t.d
	if d.Status != SupplementRequested {
		return t.wrongState("hồ sơ không có yêu cầu bổ sung")
	}
	if !t.isApplicant() && !t.holds(d.ReceivingAgencyID, actor.Receiver) {
		return t.denied("Chỉ người nộp hồ sơ hoặc bộ phận một cửa được ghi nhận hồ sơ bổ sung.")
	}
	if err := t.resume(); err != nil {
		return err
	}
	d.Status, d.ResumeStatus = d.ResumeStatus, 0
	d.SupplementCount++
	return nil
}

func (t *transition) requestPayment() error {
	d := t.d
	if d.Status != Accepted && d.Status != Processing {
		return t.wrongState("chỉ yêu cầu nộp phí khi hồ sơ đang xử lý")
	}
	if !t.holds(d.ReceivingAgencyID, actor.Receiver) && !t.holds(d.HolderAgencyID, actor.Specialist) {
		return t.denied("Chỉ bộ phận một cửa hoặc chuyên viên xử lý được yêu cầu nộp phí, lệ phí.")
	}
	amount := t.in.Amount
	if amount == 0 {
		amount = d.FeeTotal - d.PaidTotal
	}
	if amount <= 0 || amount > 1_000_000_000_000 {
		return apperr.Field("amount", "Số tiền phải nộp phải lớn hơn 0 đồng.")
	}
	d.FeeTotal = d.PaidTotal + amount
	t.pause()
	d.ResumeStatus, d.Status = d.Status, PaymentRequested
	t.event.Detail = map[string]any{"amount": amount}
	return nil
}

func (t *transition) pay() error {
	d := t.d
	if d.Status != PaymentRequested {
		return t.wrongState("hồ sơ không có yêu cầu nộp phí")
	}
	if !t.by.IsSystem() && !t.holds(d.ReceivingAgencyID, actor.Receiver) {
		return t.denied("Khoản nộp được ghi nhận tại bộ phận một cửa hoặc qua cổng thanh toán.")
	}
	due := d.FeeTotal - d.PaidTotal
	if t.in.Amount != due {
		return apperr.Field("amount", fmt.Sprintf("Số tiền nộp phải đúng %d đồng.", due))
	}
	method := t.in.Method
	if method == "" {
		method = "cash"
	}
	if _, err := t.tx.Exec(t.ctx, `INSERT INTO dossier_payments (id, dossier_id, amount, method, reference, paid_at, recorded_by)
		VALUES (?, ?, ?, ?, ?, ?, ?)`, db.NewID(), d.ID, t.in.Amount, method, t.in.Reference, t.now, t.by.UserID); err != nil {
		return apperr.Wrap(err, "record payment")
	}
	d.PaidTotal += t.in.Amount
	if err := t.resume(); err != nil {
		return err
	}
	d.Status, d.ResumeStatus = d.ResumeStatus, 0
	t.event.Detail = map[string]any{"amount": t.in.Amount, "method": method}
	return nil
}

func (t *transition) requestWithdrawal() error {
	d := t.d
	switch d.Status {
	case New, Accepted, Processing, SupplementRequested, PaymentRequested:
	default:
		return t.wrongState("hồ sơ đã kết thúc hoặc đang chờ xét rút")
	}
	if !t.isApplicant() && !t.holds(d.ReceivingAgencyID, actor.Receiver) {
		return t.denied("Chỉ người nộp hồ sơ (hoặc bộ phận một cửa theo đơn của họ) được xin rút hồ sơ.")
	}
	t.pause()
	d.PrevStatus, d.Status = d.Status, WithdrawalRequested
	return nil
}

func (t *transition) mayEnd() bool {
	return t.holds(t.d.ReceivingAgencyID, actor.Receiver, actor.Head) || t.holds(t.d.AgencyID, actor.Head)
}

func (t *transition) withdraw() error {
	d := t.d
	switch d.Status {
	case WithdrawalRequested, New, Accepted, Processing, SupplementRequested, PaymentRequested:
	default:
		return t.wrongState("hồ sơ đã kết thúc")
	}
	if !t.mayEnd() {
		return t.denied("Chỉ bộ phận một cửa hoặc lãnh đạo cơ quan giải quyết được chấp nhận rút hồ sơ.")
	}
	if d.Status != WithdrawalRequested {
		if err := t.requireNote("đơn xin rút hồ sơ của người nộp"); err != nil {
			return err
		}
	}
	d.Status, d.EndedAt, d.PausedAt = Stopped, &t.now, nil
	t.event.Detail = map[string]any{"reason": "withdrawn"}
	return nil
}

func (t *transition) declineWithdrawal() error {
	d := t.d
	if d.Status != WithdrawalRequested {
		return t.wrongState("hồ sơ không có đơn xin rút")
	}
	if !t.mayEnd() {
		return t.denied("Chỉ bộ phận một cửa hoặc lãnh đạo cơ quan giải quyết được xét đơn rút hồ sơ.")
	}
	if err := t.requireNote("lý do không chấp nhận rút hồ sơ"); err != nil {
		return err
	}
	d.Status, d.PrevStatus = d.PrevStatus, 0
	if d.Status.Clocked() {
		return t.resume()
	}
	return nil
}

func (t *transition) stop() error {
	d := t.d
	switch d.Status {
	case Accepted, Processing, SupplementRequested, PaymentRequested, WithdrawalRequested:
	default:
		return t.wrongState("chỉ dừng hồ sơ đang xử lý")
	}
	if !t.holds(d.AgencyID, actor.Head) {
		return t.denied("Chỉ lãnh đạo cơ quan giải quyết được dừng xử lý hồ sơ.")
	}
	if err := t.requireNote("lý do dừng xử lý"); err != nil {
		return err
	}
	d.Status, d.EndedAt, d.PausedAt = Stopped, &t.now, nil
	return nil
}

// apologise gives a new appointment to a dossier that is late or about to
// be: once only, to a later working day, with the reason (form 04).
func (t *transition) apologise() error {
	d := t.d
	if !d.Status.Open() || d.Status == New || d.DueAt == nil {
		return t.wrongState("chỉ xin lỗi, hẹn lại với hồ sơ đang giải quyết")
	}
	if !t.holds(d.AgencyID, actor.Head) && !t.holds(d.HolderAgencyID, actor.Head) {
		return t.denied("Chỉ lãnh đạo cơ quan giải quyết được ký phiếu xin lỗi và hẹn lại ngày trả kết quả.")
	}
	if d.Extended {
		return apperr.New(apperr.Conflict, "Hồ sơ %s đã được xin lỗi và hẹn lại một lần; không được hẹn lại lần thứ hai.", d.Code)
	}
	left, err := t.cal.WorkingHoursBetween(t.now, *d.DueAt)
	if err != nil {
		return apperr.Wrap(err, "time left")
	}
	if left > t.s.cfg.DueSoon {
		return apperr.New(apperr.Conflict, "Hồ sơ %s còn hạn (hẹn trả %s); chỉ xin lỗi, hẹn lại khi hồ sơ sắp đến hạn hoặc đã quá hạn.",
			d.Code, d.DueAt.In(calendar.Location()).Format("15:04 02/01/2006"))
	}
	if err := t.requireNote("lý do chậm trễ"); err != nil {
		return err
	}
	day, err := calendar.ParseDate(t.in.NewDueDate)
	if err != nil {
		return apperr.Field("new_due_date", "Ngày hẹn mới không hợp lệ (định dạng YYYY-MM-DD).")
	}
	oldDay := calendar.DateOf(d.DueAt.In(calendar.Location()))
	if !day.After(oldDay) || !day.After(calendar.DateOf(t.now.In(calendar.Location()))) {
		return apperr.Field("new_due_date", "Ngày hẹn mới phải sau ngày hẹn cũ và sau hôm nay.")
	}
	spans, err := t.cal.WorkingHours(day)
	if err != nil || len(spans) == 0 {
		return apperr.Field("new_due_date", "Ngày hẹn mới phải là ngày làm việc.")
	}
	newDue := day.At(spans[len(spans)-1].End)
	t.event.Detail = map[string]any{"old_due": *d.DueAt, "new_due": newDue}
	d.DueAt, d.Extended = &newDue, true
	return nil
}

// transfer hands the current processing step to another agency (the tax
// office, the land registry…) for its part; the time it takes is counted for
// that agency.
func (t *transition) transfer() error {
	d := t.d
	if d.Status != Processing {
		return t.wrongState("chỉ chuyển liên thông khi hồ sơ đang xử lý")
	}
	st, err := t.current()
	if err != nil {
		return err
	}
	if st.InterAgency() || st.Role != actor.Specialist {
		return t.wrongState("chỉ chuyển liên thông từ bước xử lý của chuyên viên")
	}
	if !t.holds(st.AgencyID, actor.Specialist) || (st.AssigneeID != "" && st.AssigneeID != t.by.UserID) {
		return t.denied("Chỉ chuyên viên đang xử lý hồ sơ được chuyển liên thông.")
	}
	to, err := t.s.agencies.AgencyInfo(t.ctx, t.in.ToAgencyID)
	if err != nil || t.in.ToAgencyID == st.AgencyID {
		return apperr.Field("to_agency_id", "Hãy chọn cơ quan phối hợp (khác cơ quan đang xử lý).")
	}
	if t.in.BudgetHours <= 0 || t.in.BudgetHours > 8*60 {
		return apperr.Field("budget_hours", "Thời gian dành cho cơ quan phối hợp phải từ 1 đến 480 giờ làm việc.")
	}
	name := vntext.NFC(t.in.StepName)
	if name == "" {
		name = "Liên thông: " + to.Name
	}
	if err := t.finishStep(&st); err != nil {
		return err
	}
	due, err := t.cal.AddWorkingTime(t.now, time.Duration(t.in.BudgetHours)*time.Hour)
	if err != nil {
		return apperr.Wrap(err, "inter-agency due")
	}
	d.StepSeq++
	d.HolderAgencyID, d.StepRole, d.AssigneeID = to.ID, actor.Specialist, ""
	if err := addAgency(t.ctx, t.tx, d.ID, to.ID); err != nil {
		return err
	}
	t.event.AgencyID = st.AgencyID
	t.event.Detail = map[string]any{"to_agency_id": to.ID, "budget_hours": t.in.BudgetHours}
	return insertStep(t.ctx, t.tx, d.ID, Step{Seq: d.StepSeq, PlanIdx: -1, Name: name, Role: actor.Specialist, AgencyID: to.ID,
		StartedAt: t.now, DueAt: due})
}

func (t *transition) transferBack() error {
	d := t.d
	if d.Status != Processing {
		return t.wrongState("hồ sơ không ở bước liên thông")
	}
	st, err := t.current()
	if err != nil {
		return err
	}
	if !st.InterAgency() {
		return t.wrongState("hồ sơ không ở bước liên thông")
	}
	if !t.holds(st.AgencyID, actor.Specialist, actor.Head) {
		return t.denied("Chỉ cán bộ của cơ quan phối hợp được trả kết quả liên thông.")
	}
	if err := t.requireNote("kết quả phần việc của cơ quan phối hợp"); err != nil {
		return err
	}
	if err := t.finishStep(&st); err != nil {
		return err
	}
	t.event.AgencyID = st.AgencyID
	return t.startStep(d.PlanIdx)
}
