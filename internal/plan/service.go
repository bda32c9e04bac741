package plan

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"math"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/congso/congso/internal/actor"
	"github.com/congso/congso/internal/apperr"
	"github.com/congso/congso/internal/audit"
	"github.com/congso/congso/internal/calendar"
	"github.com/congso/congso/internal/db"
	"github.com/congso/congso/internal/upload"
	"github.com/congso/congso/internal/vntext"
)

// Config tunes the plans' reminders.
type Config struct {
	// RemindBefore is how many days before a quarterly report's deadline the
	// agencies that have not sent it are reminded (default 5; negative: never).
	RemindBefore int
	// RemindAfter is how many days after the deadline an agency still
	// without a report is reminded (default 3; negative: never).
	RemindAfter int
}

func (c *Config) defaults() {
	if c.RemindBefore == 0 {
		c.RemindBefore = 5
	}
	if c.RemindAfter == 0 {
		c.RemindAfter = 3
	}
}

// Deps are what the service is built from.
type Deps struct {
	DB       *db.DB
	Audit    *audit.Log
	Agencies Agencies
	// Measurer measures the live indicators; nil leaves them without data.
	Measurer Measurer
	// Reminder queues the quarterly report reminders; nil sends none.
	Reminder Reminder
	Now      func() time.Time
	Log      *slog.Logger
}

// Service keeps the plans.
type Service struct {
	db       *db.DB
	audit    *audit.Log
	agencies Agencies
	measurer Measurer
	reminder Reminder
	now      func() time.Time
	log      *slog.Logger
	cfg      Config
}

// New returns the service.
func New(d Deps, cfg Config) *Service {
	cfg.defaults()
	s := &Service{db: d.DB, audit: d.Audit, agencies: d.Agencies, measurer: d.Measurer, reminder: d.Reminder, now: d.Now, log: d.Log, cfg: cfg}
	if s.now == nil {
		s.now = time.Now
	}
	if s.log == nil {
		s.log = slog.New(slog.DiscardHandler)
	}
	return s
}

// SetMeasurer sets what measures the live indicators.
func (s *Service) SetMeasurer(m Measurer) { s.measurer = m }

// Config is the configuration the service runs with.
func (s *Service) Config() Config { return s.cfg }

// mayRead refuses anyone but officials.
func mayRead(by *actor.Actor) error {
	if by == nil {
		return actor.Deny(by, "")
	}
	if !by.IsOfficial() {
		return actor.Deny(by, "Chỉ cán bộ, công chức mới xem được kế hoạch và nhiệm vụ.")
	}
	return nil
}

// concerns reports whether an item led by agency (with partners) is shown to
// the actor: province-wide roles see everything; an agency's officials see
// what their agency leads or takes part in, and what the plan gives to
// agencies collectively (no agency of the platform named).
func concerns(by *actor.Actor, lead string, partners []AgencyRef) bool {
	if by.ProvinceWide() || by.IsSystem() || lead == "" {
		return true
	}
	if _, ok := by.Agencies[lead]; ok {
		return true
	}
	for _, p := range partners {
		if _, ok := by.Agencies[p.ID]; ok && p.ID != "" {
			return true
		}
	}
	return false
}

// MayUpdate reports whether the actor may update what the agency is
// responsible for: its own officials (not observers) and province admins.
// Items given to agencies collectively are updated by province admins.
func MayUpdate(by *actor.Actor, agencyID string) bool {
	if by.ProvinceAdmin() || by.IsSystem() {
		return true
	}
	if agencyID == "" || by.Kind != actor.Official {
		return false
	}
	return len(by.Agencies[agencyID]) > 0
}

// LoadShipped loads the shipped plans that are not loaded yet.
func (s *Service) LoadShipped(ctx context.Context, by *actor.Actor) (int, error) {
	defs, err := Shipped()
	if err != nil {
		return 0, fmt.Errorf("shipped plans: %w", err)
	}
	n := 0
	for _, d := range defs {
		_, created, err := s.Load(ctx, by, d, false)
		if err != nil {
			return n, fmt.Errorf("plan %s: %w", d.Key, err)
		}
		if created {
			n++
		}
	}
	return n, nil
}

// Load stores a plan definition in one transaction. A plan already loaded
// under the same key is left as it is: with replace false Load returns it,
// with replace true it is a conflict (an import must not silently drop the
// progress reported on the plan).
func (s *Service) Load(ctx context.Context, by *actor.Actor, d Definition, replace bool) (Plan, bool, error) {
	if !by.ProvinceAdmin() && !by.IsSystem() {
		return Plan{}, false, actor.Deny(by, "Chỉ quản trị toàn tỉnh được nạp kế hoạch.")
	}
	if err := d.Validate(); err != nil {
		return Plan{}, false, err
	}
	var existing string
	err := s.db.QueryRow(ctx, "SELECT id FROM plans WHERE plan_key = ?", d.Key).Scan(&existing)
	if err == nil {
		if replace {
			return Plan{}, false, apperr.New(apperr.Conflict, "Kế hoạch mã %q đã được nạp.", d.Key)
		}
		p, err := s.loadPlan(ctx, s.db, existing)
		return p, false, err
	}
	resolve, err := s.resolver(ctx, d.Agencies)
	if err != nil {
		return Plan{}, false, err
	}
	now := db.Instant(s.now())
	id := db.NewID()
	err = s.db.Tx(ctx, func(tx *db.Tx) error {
		if _, err := tx.Exec(ctx, `INSERT INTO plans (id, plan_key, title, issuer, number, issued_on, year, province, source, report_day, created_at)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`, id, d.Key, d.Title, d.Issuer, d.Number, d.IssuedOn, d.Year, d.Province, d.Source,
			d.ReportDay, now); err != nil {
			if db.IsUniqueViolation(err) {
				return apperr.New(apperr.Conflict, "Kế hoạch mã %q đã được nạp.", d.Key)
			}
			return apperr.Wrap(err, "insert plan")
		}
		for i, in := range d.Indicators {
			ag := resolve(in.Agency)
			if _, err := tx.Exec(ctx, `INSERT INTO plan_indicators (id, plan_id, seq, code, group_name, name, target, baseline, unit, deadline,
				agency_id, agency_name, metric) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`, db.NewID(), id, i+1, in.Code, in.Group, in.Name,
				in.Target, in.Baseline, in.Unit, in.Deadline, nullable(ag.ID), ag.Name, in.Metric); err != nil {
				return apperr.Wrap(err, "insert indicator")
			}
		}
		for i, t := range d.Tasks {
			lead := resolve(t.Lead)
			partners := []AgencyRef{}
			for _, p := range splitAgencies(t.Partners) {
				partners = append(partners, resolve(p))
			}
			pj, _ := json.Marshal(partners)
			dl, _ := ParseDeadline(t.Deadline)
			if _, err := tx.Exec(ctx, `INSERT INTO plan_tasks (id, plan_id, seq, code, section, content, expected, lead_agency_id, lead_name,
				partners, deadline_text, due_on, recurring) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`, db.NewID(), id, i+1, t.Code,
				t.Section, t.Content, t.Expected, nullable(lead.ID), lead.Name, string(pj), t.Deadline, dateString(dl.Due), dl.Recurring); err != nil {
				return apperr.Wrap(err, "insert task")
			}
		}
		return s.audit.Append(ctx, tx, by, audit.Event{Action: "plan.load", ObjectType: "plan", ObjectID: id,
			Detail: map[string]any{"key": d.Key, "indicators": len(d.Indicators), "tasks": len(d.Tasks)}})
	})
	if err != nil {
		return Plan{}, false, err
	}
	p, err := s.loadPlan(ctx, s.db, id)
	return p, true, err
}

// resolver maps an agency as written to the platform's agency: the whole
// text first, then the first of its ";"-separated parts the plan maps.
func (s *Service) resolver(ctx context.Context, names map[string]string) (func(string) AgencyRef, error) {
	ids := map[string]string{}
	for name, code := range names {
		if s.agencies == nil {
			break
		}
		id, _, ok, err := s.agencies.AgencyByCode(ctx, code)
		if err != nil {
			return nil, err
		}
		if ok {
			ids[vntext.NFC(name)] = id
		}
	}
	return func(written string) AgencyRef {
		ref := AgencyRef{Name: written}
		if id, ok := ids[written]; ok {
			ref.ID = id
			return ref
		}
		for _, p := range splitAgencies(written) {
			if id, ok := ids[p]; ok {
				ref.ID = id
				return ref
			}
		}
		return ref
	}, nil
}

// Plans lists the plans.
func (s *Service) Plans(ctx context.Context, by *actor.Actor) ([]Plan, error) {
	if err := mayRead(by); err != nil {
		return nil, err
	}
	return s.loadPlans(ctx)
}

// Plan returns a plan.
func (s *Service) Plan(ctx context.Context, by *actor.Actor, id string) (Plan, error) {
	if err := mayRead(by); err != nil {
		return Plan{}, err
	}
	return s.loadPlan(ctx, s.db, id)
}

// periodStart is the first day the plan's work counts from.
func periodStart(p Plan) calendar.Date { return calendar.Date{Year: p.Year, Month: 1, Day: 1} }

// Indicators returns the plan's indicators the actor is shown, with their
// actual values (measured live, or the latest reported) and their status.
func (s *Service) Indicators(ctx context.Context, by *actor.Actor, planID string) ([]Indicator, error) {
	if err := mayRead(by); err != nil {
		return nil, err
	}
	p, err := s.loadPlan(ctx, s.db, planID)
	if err != nil {
		return nil, err
	}
	all, err := s.loadIndicators(ctx, s.db, "plan_id = ?", planID)
	if err != nil {
		return nil, err
	}
	reported, err := s.latestValues(ctx, planID)
	if err != nil {
		return nil, err
	}
	out := []Indicator{}
	for _, in := range all {
		if !concerns(by, in.Agency.ID, nil) {
			continue
		}
		if err := s.fill(ctx, p, &in, reported); err != nil {
			return nil, err
		}
		out = append(out, in)
	}
	return out, nil
}

// fill computes an indicator's actual value and status.
func (s *Service) fill(ctx context.Context, p Plan, in *Indicator, reported map[string]Value) error {
	now := s.now()
	day := today(now)
	start, from, to, measurable := liveWindow(p, *in, now)
	due := in.Deadline.Due
	in.Source = "none"
	switch {
	case in.Live():
		if s.measurer == nil || !measurable {
			break
		}
		v, ok, err := s.measurer.Measure(ctx, in.Metric, "", from, to)
		if err != nil {
			return fmt.Errorf("measure %s: %w", in.Metric, err)
		}
		if ok {
			v = math.Round(v*10) / 10
			in.Actual = &v
			in.Source = "live"
			in.Period = calendar.DateOf(from).String() + " – " + calendar.DateOf(to.Add(-time.Nanosecond)).String()
		}
	default:
		if v, ok := reported[in.ID]; ok {
			val := v.Value
			in.Actual = &val
			in.Source = "reported"
			in.Period = v.Period
			switch {
			case v.EvidenceID != "":
				in.Evidence = "/api/v1/plans/" + p.ID + "/evidence/" + v.EvidenceID
			case v.EvidenceURL != "":
				in.Evidence = v.EvidenceURL
			}
		}
	}
	in.Status, in.Expected = Judge(in.Actual, in.Baseline, in.Target, start, due, day)
	in.Expected = math.Round(in.Expected*10) / 10
	return nil
}

// ValueInput is a value an agency reports for an indicator.
type ValueInput struct {
	Period      string  `json:"period"`
	Value       float64 `json:"value"`
	Note        string  `json:"note"`
	EvidenceURL string  `json:"evidence_url"`
}

var rePeriod = regexp.MustCompile(`^(\d{4})(?:-Q([1-4])|-(0[1-9]|1[0-2]))?$`)

// validPeriod checks a reporting period of the plan's year: "2024",
// "2024-Q2" or "2024-05".
func validPeriod(p string, year int) bool {
	m := rePeriod.FindStringSubmatch(p)
	return m != nil && m[1] == strconv.Itoa(year)
}

// checkEvidence validates an evidence link and cleans an uploaded file.
func checkEvidence(link string, file *Evidence, f apperr.Fields) *Evidence {
	if link != "" {
		u, err := url.Parse(link)
		if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" || len(link) > 1000 {
			f.Add("evidence_url", "Đường dẫn minh chứng phải là một địa chỉ http(s) đầy đủ.")
		}
	}
	if file == nil || len(file.Data) == 0 && file.Name == "" {
		return nil
	}
	clean, err := upload.Clean(file.Name, file.Data, upload.Limits{})
	if err != nil {
		f.Add("file", apperr.MessageOf(err))
		return nil
	}
	return &Evidence{Name: clean.Name, ContentType: clean.ContentType, Data: clean.Data}
}

// ReportValue records the value the responsible agency reports for an
// indicator and a period, with evidence (a link or a file); a second report
// for the same period replaces the first, and both are in the audit log.
func (s *Service) ReportValue(ctx context.Context, by *actor.Actor, planID, indicatorID string, in ValueInput, file *Evidence) (Value, error) {
	if err := mayRead(by); err != nil {
		return Value{}, err
	}
	ind, err := s.loadIndicator(ctx, s.db, indicatorID)
	if err == nil && ind.PlanID != planID {
		err = apperr.New(apperr.NotFound, "Không tìm thấy chỉ tiêu.")
	}
	if err != nil {
		return Value{}, err
	}
	if !MayUpdate(by, ind.Agency.ID) {
		return Value{}, actor.Deny(by, "Chỉ cơ quan chịu trách nhiệm chỉ tiêu này được báo cáo số liệu.")
	}
	if ind.Live() {
		return Value{}, apperr.New(apperr.Conflict, "Chỉ tiêu này được đo trực tiếp từ dữ liệu của hệ thống, không nhập tay.")
	}
	p, err := s.loadPlan(ctx, s.db, ind.PlanID)
	if err != nil {
		return Value{}, err
	}
	f := apperr.Fields{}
	in.Period = strings.ToUpper(strings.TrimSpace(in.Period))
	in.Note = vntext.NFC(in.Note)
	in.EvidenceURL = strings.TrimSpace(in.EvidenceURL)
	if !validPeriod(in.Period, p.Year) {
		f.Add("period", fmt.Sprintf("Kỳ báo cáo phải ghi dạng %d, %d-Q1…%d-Q4 hoặc %d-01…%d-12.", p.Year, p.Year, p.Year, p.Year, p.Year))
	}
	if math.IsNaN(in.Value) || math.IsInf(in.Value, 0) || in.Value < 0 || (ind.Unit == "%" && in.Value > 100) {
		f.Add("value", "Giá trị không hợp lệ (tỷ lệ phần trăm từ 0 đến 100).")
	}
	if len(in.Note) > 2000 || !vntext.Valid(in.Note) {
		f.Add("note", "Ghi chú quá dài hoặc có ký tự không hợp lệ.")
	}
	clean := checkEvidence(in.EvidenceURL, file, f)
	if in.EvidenceURL == "" && clean == nil {
		f.Add("evidence", "Cần kèm minh chứng: một tệp (PDF, JPEG, PNG) hoặc một đường dẫn.")
	}
	if err := f.Err(); err != nil {
		return Value{}, err
	}
	now := db.Instant(s.now())
	v := Value{ID: db.NewID(), IndicatorID: ind.ID, Period: in.Period, Value: in.Value, Note: in.Note, EvidenceURL: in.EvidenceURL,
		ReportedBy: by.UserID, ReportedAt: now}
	err = s.db.Tx(ctx, func(tx *db.Tx) error {
		if clean != nil {
			if v.EvidenceID, err = insertEvidence(ctx, tx, *clean, by.UserID, now); err != nil {
				return err
			}
		}
		var old float64
		var oldEvidence sql.NullString
		replaced := tx.QueryRow(ctx, "SELECT value, evidence_id FROM plan_indicator_values WHERE indicator_id = ? AND period = ?",
			ind.ID, v.Period).Scan(&old, &oldEvidence) == nil
		if _, err := tx.Exec(ctx, "DELETE FROM plan_indicator_values WHERE indicator_id = ? AND period = ?", ind.ID, v.Period); err != nil {
			return apperr.Wrap(err, "replace value")
		}
		if oldEvidence.Valid {
			if _, err := tx.Exec(ctx, "DELETE FROM plan_evidence WHERE id = ?", oldEvidence.String); err != nil {
				return apperr.Wrap(err, "drop the replaced evidence")
			}
		}
		if _, err := tx.Exec(ctx, `INSERT INTO plan_indicator_values (id, indicator_id, period, value, note, evidence_url, evidence_id,
			reported_by, reported_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`, v.ID, v.IndicatorID, v.Period, v.Value, v.Note, v.EvidenceURL,
			nullable(v.EvidenceID), v.ReportedBy, v.ReportedAt); err != nil {
			return apperr.Wrap(err, "insert value")
		}
		detail := map[string]any{"period": v.Period, "value": v.Value, "evidence_file": v.EvidenceID != ""}
		if replaced {
			detail["replaced"] = old
		}
		return s.audit.Append(ctx, tx, by, audit.Event{Action: "plan.indicator.report", ObjectType: "plan_indicator", ObjectID: ind.ID,
			AgencyID: ind.Agency.ID, Detail: detail})
	})
	return v, err
}

// Values lists the values reported for an indicator, newest period first.
func (s *Service) Values(ctx context.Context, by *actor.Actor, planID, indicatorID string) ([]Value, error) {
	if err := mayRead(by); err != nil {
		return nil, err
	}
	ind, err := s.loadIndicator(ctx, s.db, indicatorID)
	if err == nil && ind.PlanID != planID {
		err = apperr.New(apperr.NotFound, "Không tìm thấy chỉ tiêu.")
	}
	if err != nil {
		return nil, err
	}
	if !concerns(by, ind.Agency.ID, nil) {
		return nil, actor.Deny(by, "Bạn không xem được chỉ tiêu của cơ quan khác.")
	}
	rows, err := s.db.Query(ctx, `SELECT id, indicator_id, period, value, note, evidence_url, COALESCE(evidence_id, ''), reported_by, reported_at
		FROM plan_indicator_values WHERE indicator_id = ? ORDER BY period DESC`, indicatorID)
	if err != nil {
		return nil, apperr.Wrap(err, "list values")
	}
	defer rows.Close()
	out := []Value{}
	for rows.Next() {
		v, err := scanValue(rows)
		if err != nil {
			return nil, apperr.Wrap(err, "read value")
		}
		out = append(out, v)
	}
	return out, apperr.Wrap(rows.Err(), "list values")
}

// TaskFilter selects tasks.
type TaskFilter struct {
	AgencyID string
	State    TaskState
	// Overdue keeps only overdue tasks.
	Overdue bool
}

// Tasks lists the plan's tasks the actor is shown, filtered.
func (s *Service) Tasks(ctx context.Context, by *actor.Actor, planID string, f TaskFilter) ([]Task, error) {
	if err := mayRead(by); err != nil {
		return nil, err
	}
	if _, err := s.loadPlan(ctx, s.db, planID); err != nil {
		return nil, err
	}
	if f.State != "" && !f.State.Valid() {
		return nil, apperr.Field("state", "Trạng thái nhiệm vụ không hợp lệ.")
	}
	all, err := s.loadTasks(ctx, s.db, "plan_id = ?", planID)
	if err != nil {
		return nil, err
	}
	day := today(s.now())
	out := []Task{}
	for _, t := range all {
		if !concerns(by, t.Lead.ID, t.Partners) {
			continue
		}
		t.Overdue = overdue(t, day)
		if f.AgencyID != "" && t.Lead.ID != f.AgencyID && !slices.ContainsFunc(t.Partners, func(p AgencyRef) bool { return p.ID == f.AgencyID }) {
			continue
		}
		if (f.State != "" && t.State != f.State) || (f.Overdue && !t.Overdue) {
			continue
		}
		out = append(out, t)
	}
	return out, nil
}

// overdue: not done, and the due date has passed.
func overdue(t Task, day calendar.Date) bool {
	return t.State != Done && !t.Deadline.Due.IsZero() && day.After(t.Deadline.Due)
}

// Task returns a task with its updates.
func (s *Service) Task(ctx context.Context, by *actor.Actor, planID, id string) (Task, []TaskUpdate, error) {
	if err := mayRead(by); err != nil {
		return Task{}, nil, err
	}
	t, err := s.loadTask(ctx, s.db, id)
	if err == nil && t.PlanID != planID {
		err = apperr.New(apperr.NotFound, "Không tìm thấy nhiệm vụ.")
	}
	if err != nil {
		return Task{}, nil, err
	}
	if !concerns(by, t.Lead.ID, t.Partners) {
		return Task{}, nil, actor.Deny(by, "Bạn không xem được nhiệm vụ của cơ quan khác.")
	}
	t.Overdue = overdue(t, today(s.now()))
	rows, err := s.db.Query(ctx, `SELECT id, task_id, state, progress, note, evidence_url, COALESCE(evidence_id, ''), updated_by, updated_at
		FROM plan_task_updates WHERE task_id = ? ORDER BY updated_at DESC, id`, id)
	if err != nil {
		return t, nil, apperr.Wrap(err, "list task updates")
	}
	defer rows.Close()
	ups := []TaskUpdate{}
	for rows.Next() {
		var u TaskUpdate
		if err := rows.Scan(&u.ID, &u.TaskID, &u.State, &u.Progress, &u.Note, &u.EvidenceURL, &u.EvidenceID, &u.UpdatedBy, &u.UpdatedAt); err != nil {
			return t, nil, apperr.Wrap(err, "read task update")
		}
		u.UpdatedAt = u.UpdatedAt.UTC()
		ups = append(ups, u)
	}
	return t, ups, apperr.Wrap(rows.Err(), "list task updates")
}

// TaskInput is a status update of a task by its lead agency.
type TaskInput struct {
	// Version is the version of the task the update was made on.
	Version     int       `json:"version"`
	State       TaskState `json:"state"`
	Progress    int       `json:"progress"`
	Note        string    `json:"note"`
	EvidenceURL string    `json:"evidence_url"`
}

// UpdateTask records a status update by the task's lead agency (or a
// province admin): state, progress, note and optional evidence.
func (s *Service) UpdateTask(ctx context.Context, by *actor.Actor, planID, id string, in TaskInput, file *Evidence) (Task, error) {
	if err := mayRead(by); err != nil {
		return Task{}, err
	}
	t, err := s.loadTask(ctx, s.db, id)
	if err == nil && t.PlanID != planID {
		err = apperr.New(apperr.NotFound, "Không tìm thấy nhiệm vụ.")
	}
	if err != nil {
		return Task{}, err
	}
	if !MayUpdate(by, t.Lead.ID) {
		return Task{}, actor.Deny(by, "Chỉ đơn vị chủ trì được cập nhật tiến độ nhiệm vụ này.")
	}
	f := apperr.Fields{}
	in.Note = vntext.NFC(in.Note)
	in.EvidenceURL = strings.TrimSpace(in.EvidenceURL)
	if !in.State.Valid() {
		f.Add("state", "Trạng thái phải là: chưa triển khai, đang triển khai hoặc hoàn thành.")
	}
	if in.Progress < 0 || in.Progress > 100 {
		f.Add("progress", "Tiến độ là một số phần trăm từ 0 đến 100.")
	}
	switch {
	case in.State == Done && in.Progress != 100:
		f.Add("progress", "Nhiệm vụ hoàn thành phải có tiến độ 100%.")
	case in.State == NotStarted && in.Progress != 0:
		f.Add("progress", "Nhiệm vụ chưa triển khai có tiến độ 0%.")
	}
	if len(in.Note) > 4000 || !vntext.Valid(in.Note) {
		f.Add("note", "Ghi chú quá dài hoặc có ký tự không hợp lệ.")
	}
	clean := checkEvidence(in.EvidenceURL, file, f)
	if err := f.Err(); err != nil {
		return Task{}, err
	}
	now := db.Instant(s.now())
	err = s.db.Tx(ctx, func(tx *db.Tx) error {
		var evID string
		if clean != nil {
			if evID, err = insertEvidence(ctx, tx, *clean, by.UserID, now); err != nil {
				return err
			}
		}
		res, err := tx.Exec(ctx, `UPDATE plan_tasks SET state = ?, progress = ?, note = ?, updated_at = ?, version = version + 1
			WHERE id = ? AND version = ?`, in.State, in.Progress, in.Note, now, id, in.Version)
		if err != nil {
			return apperr.Wrap(err, "update task")
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return apperr.New(apperr.Conflict, "Nhiệm vụ vừa được người khác cập nhật; hãy tải lại trang rồi cập nhật lại.")
		}
		if _, err := tx.Exec(ctx, `INSERT INTO plan_task_updates (id, task_id, state, progress, note, evidence_url, evidence_id, updated_by, updated_at)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`, db.NewID(), id, in.State, in.Progress, in.Note, in.EvidenceURL, nullable(evID), by.UserID, now); err != nil {
			return apperr.Wrap(err, "insert task update")
		}
		return s.audit.Append(ctx, tx, by, audit.Event{Action: "plan.task.update", ObjectType: "plan_task", ObjectID: id, AgencyID: t.Lead.ID,
			Detail: map[string]any{"from": t.State, "to": in.State, "progress": in.Progress, "evidence_file": evID != ""}})
	})
	if err != nil {
		return Task{}, err
	}
	out, err := s.loadTask(ctx, s.db, id)
	out.Overdue = overdue(out, today(s.now()))
	return out, err
}

// EvidenceFile returns an evidence file to someone who may see what it backs.
func (s *Service) EvidenceFile(ctx context.Context, by *actor.Actor, id string) (Evidence, error) {
	if err := mayRead(by); err != nil {
		return Evidence{}, err
	}
	var e Evidence
	err := s.db.QueryRow(ctx, "SELECT name, content_type, data FROM plan_evidence WHERE id = ?", id).Scan(&e.Name, &e.ContentType, &e.Data)
	if err != nil {
		return e, apperr.New(apperr.NotFound, "Không tìm thấy minh chứng.")
	}
	// The agency an evidence file backs (and a task's partners) decide who
	// sees it; a file that backs nothing any more is shown to no one.
	var agency, partnersJSON string
	err = s.db.QueryRow(ctx, `SELECT COALESCE(i.agency_id, ''), '[]' FROM plan_indicator_values v JOIN plan_indicators i ON i.id = v.indicator_id
		WHERE v.evidence_id = ? UNION ALL SELECT COALESCE(t.lead_agency_id, ''), t.partners FROM plan_task_updates u JOIN plan_tasks t ON t.id = u.task_id
		WHERE u.evidence_id = ? UNION ALL SELECT agency_id, '[]' FROM plan_quarter_reports WHERE evidence_id = ?`, id, id, id).Scan(&agency, &partnersJSON)
	if errors.Is(err, sql.ErrNoRows) {
		return Evidence{}, apperr.New(apperr.NotFound, "Không tìm thấy minh chứng.")
	}
	if err != nil {
		return Evidence{}, apperr.Wrap(err, "evidence owner")
	}
	var partners []AgencyRef
	if err := json.Unmarshal([]byte(partnersJSON), &partners); err != nil {
		return Evidence{}, apperr.Wrap(err, "task partners")
	}
	if !concerns(by, agency, partners) {
		return Evidence{}, actor.Deny(by, "Bạn không xem được minh chứng của cơ quan khác.")
	}
	return e, nil
}
