// Package dashboard computes the province's operations view from the dossier
// data: today's intake, the work in progress, what is due soon and what is
// late, broken down by channel, field, agency and commune, the intake per day
// and the list of urgent dossiers. It reads counts and procedure names only,
// never an applicant's personal data, so its reads are not audited.
package dashboard

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/congso/congso/internal/actor"
	"github.com/congso/congso/internal/apperr"
	"github.com/congso/congso/internal/calendar"
	"github.com/congso/congso/internal/db"
	"github.com/congso/congso/internal/dossier"
)

// Calendars gives the working calendar the due-soon threshold is counted in.
type Calendars interface {
	ForAgency(ctx context.Context, agencyID string) (*calendar.Calendar, error)
}

// Config tunes the view.
type Config struct {
	// DueSoonDays: a dossier is due soon when its deadline falls within this
	// many working days after today (today included).
	DueSoonDays int
	// Days is the span of the intake chart and of the "received" and "done"
	// columns, today included.
	Days int
	// Urgent bounds the list of urgent dossiers.
	Urgent int
}

// Service computes the view.
type Service struct {
	db        *db.DB
	calendars Calendars
	now       func() time.Time
	cfg       Config
}

// New returns the service.
func New(d *db.DB, cals Calendars, now func() time.Time, cfg Config) *Service {
	if cfg.DueSoonDays <= 0 {
		cfg.DueSoonDays = 2
	}
	if cfg.Days <= 0 {
		cfg.Days = 30
	}
	if cfg.Urgent <= 0 {
		cfg.Urgent = 50
	}
	return &Service{db: d, calendars: cals, now: now, cfg: cfg}
}

// Figures are the headline numbers.
type Figures struct {
	// ReceivedToday counts dossiers filed today, on every channel.
	ReceivedToday int `json:"received_today"`
	// OnlineToday counts those filed online today.
	OnlineToday int `json:"online_today"`
	// Waiting counts online dossiers not yet received.
	Waiting int `json:"waiting"`
	// InProgress counts received dossiers not yet processed, stopped or
	// refused (the clock may be stopped for a supplement or a payment).
	InProgress int `json:"in_progress"`
	DueSoon    int `json:"due_soon"`
	Late       int `json:"late"`
	// DoneToday counts dossiers processed today.
	DoneToday int `json:"done_today"`
}

// Row is a line of a breakdown.
type Row struct {
	Key        string `json:"key"`
	Label      string `json:"label"`
	Received   int    `json:"received"` // filed in the span
	InProgress int    `json:"in_progress"`
	DueSoon    int    `json:"due_soon"`
	Late       int    `json:"late"`
	Done       int    `json:"done"`      // processed in the span
	DoneLate   int    `json:"done_late"` // of which after their deadline
}

// OnTimeRate is the share of the dossiers processed in the span that were on
// time, in percent; -1 when none was processed.
func (r Row) OnTimeRate() float64 {
	if r.Done == 0 {
		return -1
	}
	return float64(r.Done-r.DoneLate) * 100 / float64(r.Done)
}

// Series is one channel's intake per day.
type Series struct {
	Channel dossier.Channel `json:"channel"`
	Label   string          `json:"label"`
	Counts  []int           `json:"counts"`
}

// Intake is the intake per day over the span, by channel.
type Intake struct {
	Days   []string `json:"days"` // YYYY-MM-DD, oldest first
	Series []Series `json:"series"`
}

// Urgent is a late or due-soon dossier, without personal data.
type Urgent struct {
	Code        string    `json:"code"`
	Procedure   string    `json:"procedure"`
	AgencyID    string    `json:"agency_id"`
	Agency      string    `json:"agency"`
	Status      int       `json:"status"`
	StatusLabel string    `json:"status_label"`
	DueAt       time.Time `json:"due_at"`
	Late        bool      `json:"late"`
}

// Overview is the whole view.
type Overview struct {
	At time.Time `json:"at"`
	// ProvinceWide is false when the view covers only the actor's agencies.
	ProvinceWide bool      `json:"province_wide"`
	Since        time.Time `json:"since"`
	DueSoonDays  int       `json:"due_soon_days"`
	Figures      Figures   `json:"figures"`
	Intake       Intake    `json:"intake"`
	ByChannel    []Row     `json:"by_channel"`
	ByField      []Row     `json:"by_field"`
	ByAgency     []Row     `json:"by_agency"`
	ByCommune    []Row     `json:"by_commune"`
	Urgent       []Urgent  `json:"urgent"`
}

// Channels lists the channels in display order.
func Channels() []dossier.Channel {
	return []dossier.Channel{dossier.Counter, dossier.Post, dossier.Portal, dossier.National}
}

// inProgress are the states of a received dossier still being handled.
var inProgress = []any{int(dossier.Accepted), int(dossier.Processing), int(dossier.SupplementRequested), int(dossier.PaymentRequested),
	int(dossier.WithdrawalRequested)}

// openStates lists New and the in-progress states, as the partial index
// dossiers_open (migration 0016) names them.
var openStates = fmt.Sprintf("(%d, %d, %d, %d, %d, %d)", dossier.New, dossier.Accepted, dossier.Processing, dossier.SupplementRequested,
	dossier.PaymentRequested, dossier.WithdrawalRequested)

// scope is the condition restricting dossiers to what the actor may see.
func scope(by *actor.Actor) (string, []any, error) {
	switch {
	case by == nil:
		return "", nil, apperr.New(apperr.Unauthorized, "Bạn cần đăng nhập.")
	case by.IsSystem() || (by.Kind == actor.Official && by.ProvinceWide()):
		return "", nil, nil
	case by.Kind != actor.Official:
		return "", nil, actor.Deny(by, "Chỉ cán bộ, công chức mới xem được bảng điều hành.")
	}
	ids := by.AgencyIDs()
	if len(ids) == 0 {
		return "", nil, actor.Deny(by, "Tài khoản của bạn chưa thuộc cơ quan nào.")
	}
	args := make([]any, len(ids))
	for i, id := range ids {
		args[i] = id
	}
	return " AND EXISTS (SELECT 1 FROM dossier_agencies x WHERE x.dossier_id = d.id AND x.agency_id IN (" + db.Placeholders(len(ids)) + "))", args, nil
}

// cell accumulates one (channel, procedure, agency) combination.
type cell struct {
	channel, procedure, agency string
}

type counts struct {
	received, waiting, inProgress, dueSoon, late, done, doneLate, doneToday int
}

// Overview computes the view for the actor: province-wide roles see the
// whole province, other officials the dossiers their agencies held.
func (s *Service) Overview(ctx context.Context, by *actor.Actor) (Overview, error) {
	cond, scopeArgs, err := scope(by)
	if err != nil {
		return Overview{}, err
	}
	now := db.Instant(s.now())
	today := calendar.DateOf(now.In(calendar.Location()))
	first := today.AddDays(-(s.cfg.Days - 1))
	since := first.At(0)
	todayStart := today.At(0)
	cal, err := s.calendars.ForAgency(ctx, "")
	if err != nil {
		return Overview{}, err
	}
	lastDay, err := cal.AddWorkingDays(today, s.cfg.DueSoonDays-1)
	if err != nil {
		return Overview{}, apperr.Wrap(err, "due-soon threshold")
	}
	if ok, err := cal.IsWorkingDay(today); err == nil && !ok && s.cfg.DueSoonDays > 0 {
		// On a day off the first working day counted is the next one.
		if lastDay, err = cal.AddWorkingDays(today, s.cfg.DueSoonDays); err != nil {
			return Overview{}, apperr.Wrap(err, "due-soon threshold")
		}
	}
	soon := lastDay.AddDays(1).At(0)
	o := Overview{At: now, ProvinceWide: cond == "", Since: since, DueSoonDays: s.cfg.DueSoonDays}

	cells := map[cell]*counts{}
	get := func(c cell) *counts {
		if x, ok := cells[c]; ok {
			return x
		}
		x := &counts{}
		cells[c] = x
		return x
	}
	withScope := func(args ...any) []any { return append(args, scopeArgs...) }

	// What was filed in the span.
	err = s.each(ctx, "SELECT d.channel, d.procedure_id, d.agency_id, COUNT(*) FROM dossiers d WHERE d.filed_at >= ?"+cond+
		" GROUP BY d.channel, d.procedure_id, d.agency_id", withScope(since), func(c cell, n []int) { get(c).received += n[0] }, 1)
	if err != nil {
		return Overview{}, apperr.Wrap(err, "count intake")
	}
	// The open work. The states are written out, not bound: the partial
	// index dossiers_open is only used when the query names its states.
	err = s.each(ctx, "SELECT d.channel, d.procedure_id, d.agency_id, "+
		"SUM(CASE WHEN d.status = ? THEN 1 ELSE 0 END), "+
		"SUM(CASE WHEN d.status IN ("+db.Placeholders(len(inProgress))+") THEN 1 ELSE 0 END), "+
		"SUM(CASE WHEN d.status IN (?, ?) AND d.due_at >= ? AND d.due_at < ? THEN 1 ELSE 0 END), "+
		"SUM(CASE WHEN d.status IN (?, ?) AND d.due_at < ? THEN 1 ELSE 0 END) "+
		"FROM dossiers d WHERE d.status IN "+openStates+cond+
		" GROUP BY d.channel, d.procedure_id, d.agency_id",
		withScope(append(append([]any{int(dossier.New)}, inProgress...),
			int(dossier.Accepted), int(dossier.Processing), now, soon,
			int(dossier.Accepted), int(dossier.Processing), now)...),
		func(c cell, n []int) {
			x := get(c)
			x.waiting += n[0]
			x.inProgress += n[1]
			x.dueSoon += n[2]
			x.late += n[3]
		}, 4)
	if err != nil {
		return Overview{}, apperr.Wrap(err, "count open dossiers")
	}
	// What was processed in the span.
	err = s.each(ctx, "SELECT d.channel, d.procedure_id, d.agency_id, COUNT(*), "+
		"SUM(CASE WHEN d.outcome = ? THEN 1 ELSE 0 END), SUM(CASE WHEN d.processed_at >= ? THEN 1 ELSE 0 END) "+
		"FROM dossiers d WHERE d.processed_at >= ?"+cond+" GROUP BY d.channel, d.procedure_id, d.agency_id",
		withScope(string(dossier.Late), todayStart, since), func(c cell, n []int) {
			x := get(c)
			x.done += n[0]
			x.doneLate += n[1]
			x.doneToday += n[2]
		}, 3)
	if err != nil {
		return Overview{}, apperr.Wrap(err, "count processed dossiers")
	}

	if o.Intake, err = s.intake(ctx, cond, scopeArgs, first, since); err != nil {
		return Overview{}, err
	}
	for _, sr := range o.Intake.Series {
		n := sr.Counts[len(sr.Counts)-1]
		o.Figures.ReceivedToday += n
		if sr.Channel.Online() {
			o.Figures.OnlineToday += n
		}
	}

	var procIDs, agencyIDs []string
	seenP, seenA := map[string]bool{}, map[string]bool{}
	for c, x := range cells {
		if !seenP[c.procedure] {
			seenP[c.procedure] = true
			procIDs = append(procIDs, c.procedure)
		}
		if !seenA[c.agency] {
			seenA[c.agency] = true
			agencyIDs = append(agencyIDs, c.agency)
		}
		o.Figures.Waiting += x.waiting
		o.Figures.InProgress += x.inProgress
		o.Figures.DueSoon += x.dueSoon
		o.Figures.Late += x.late
		o.Figures.DoneToday += x.doneToday
	}
	if o.Urgent, err = s.urgent(ctx, cond, scopeArgs, now, soon); err != nil {
		return Overview{}, err
	}
	for _, u := range o.Urgent {
		if !seenA[u.AgencyID] {
			seenA[u.AgencyID] = true
			agencyIDs = append(agencyIDs, u.AgencyID)
		}
	}
	fields, err := s.fields(ctx, procIDs)
	if err != nil {
		return Overview{}, err
	}
	agencies, err := s.agencies(ctx, agencyIDs)
	if err != nil {
		return Overview{}, err
	}
	for i := range o.Urgent {
		o.Urgent[i].Agency = agencies[o.Urgent[i].AgencyID].name
	}

	byChannel, byField, byAgency, byCommune := map[string]*Row{}, map[string]*Row{}, map[string]*Row{}, map[string]*Row{}
	add := func(m map[string]*Row, key, label string, x *counts) {
		r, ok := m[key]
		if !ok {
			r = &Row{Key: key, Label: label}
			m[key] = r
		}
		r.Received += x.received
		r.InProgress += x.inProgress
		r.DueSoon += x.dueSoon
		r.Late += x.late
		r.Done += x.done
		r.DoneLate += x.doneLate
	}
	for _, ch := range Channels() {
		byChannel[string(ch)] = &Row{Key: string(ch), Label: ch.Label()}
	}
	for c, x := range cells {
		add(byChannel, c.channel, dossier.Channel(c.channel).Label(), x)
		field := fields[c.procedure]
		if field == "" {
			field = "Chưa phân loại"
		}
		add(byField, field, field, x)
		ag := agencies[c.agency]
		add(byAgency, c.agency, ag.name, x)
		if ag.commune != "" {
			add(byCommune, ag.commune, ag.communeName, x)
		}
	}
	for _, ch := range Channels() {
		o.ByChannel = append(o.ByChannel, *byChannel[string(ch)])
	}
	o.ByField, o.ByAgency, o.ByCommune = sorted(byField), sorted(byAgency), sorted(byCommune)
	return o, nil
}

// sorted lists the rows with the most open work first, then by name.
func sorted(m map[string]*Row) []Row {
	out := make([]Row, 0, len(m))
	for _, r := range m {
		out = append(out, *r)
	}
	sort.Slice(out, func(i, j int) bool {
		a, b := out[i], out[j]
		if a.Late != b.Late {
			return a.Late > b.Late
		}
		if a.InProgress != b.InProgress {
			return a.InProgress > b.InProgress
		}
		if a.Received != b.Received {
			return a.Received > b.Received
		}
		return a.Label < b.Label
	})
	return out
}

// each runs a grouped count whose first three columns name the cell and the
// next n are counts.
func (s *Service) each(ctx context.Context, q string, args []any, fn func(cell, []int), n int) error {
	rows, err := s.db.Query(ctx, q, args...)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		var c cell
		vals := make([]int, n)
		dst := []any{&c.channel, &c.procedure, &c.agency}
		for i := range vals {
			dst = append(dst, &vals[i])
		}
		if err := rows.Scan(dst...); err != nil {
			return err
		}
		fn(c, vals)
	}
	return rows.Err()
}

// dayExpr is the Vietnamese civil day of a stored instant, as YYYY-MM-DD.
// Vietnam keeps UTC+7 all year.
func (s *Service) dayExpr(col string) string {
	if s.db.Engine() == db.Postgres {
		return "to_char(" + col + " + interval '7 hours', 'YYYY-MM-DD')"
	}
	return "substr(datetime(" + col + ", '+7 hours'), 1, 10)"
}

func (s *Service) intake(ctx context.Context, cond string, scopeArgs []any, first calendar.Date, since time.Time) (Intake, error) {
	var in Intake
	index := map[string]int{}
	for i := 0; i < s.cfg.Days; i++ {
		day := first.AddDays(i).String()
		index[day] = i
		in.Days = append(in.Days, day)
	}
	series := map[string]*Series{}
	for _, ch := range Channels() {
		in.Series = append(in.Series, Series{Channel: ch, Label: ch.Label(), Counts: make([]int, s.cfg.Days)})
	}
	for i := range in.Series {
		series[string(in.Series[i].Channel)] = &in.Series[i]
	}
	day := s.dayExpr("d.filed_at")
	rows, err := s.db.Query(ctx, "SELECT "+day+", d.channel, COUNT(*) FROM dossiers d WHERE d.filed_at >= ?"+cond+
		" GROUP BY "+day+", d.channel", append([]any{since}, scopeArgs...)...)
	if err != nil {
		return Intake{}, apperr.Wrap(err, "count intake per day")
	}
	defer rows.Close()
	for rows.Next() {
		var d, ch string
		var n int
		if err := rows.Scan(&d, &ch, &n); err != nil {
			return Intake{}, apperr.Wrap(err, "read intake per day")
		}
		i, ok := index[d]
		sr, known := series[ch]
		if ok && known {
			sr.Counts[i] += n
		}
	}
	if err := rows.Err(); err != nil {
		return Intake{}, apperr.Wrap(err, "count intake per day")
	}
	return in, nil
}

// urgent lists the dossiers past or near their deadline, the earliest first.
// Each state is read on its own, in the order of the index on (status,
// due_at), so that the database stops after the first few.
func (s *Service) urgent(ctx context.Context, cond string, scopeArgs []any, now, soon time.Time) ([]Urgent, error) {
	var out []Urgent
	for _, st := range []dossier.Status{dossier.Accepted, dossier.Processing} {
		rows, err := s.db.Query(ctx, "SELECT d.code, d.procedure_name, d.agency_id, d.status, d.due_at FROM dossiers d "+
			"WHERE d.status = ? AND d.due_at < ?"+cond+fmt.Sprintf(" ORDER BY d.due_at LIMIT %d", s.cfg.Urgent),
			append([]any{int(st), soon}, scopeArgs...)...)
		if err != nil {
			return nil, apperr.Wrap(err, "list urgent dossiers")
		}
		for rows.Next() {
			var u Urgent
			if err := rows.Scan(&u.Code, &u.Procedure, &u.AgencyID, &u.Status, &u.DueAt); err != nil {
				rows.Close()
				return nil, apperr.Wrap(err, "read urgent dossier")
			}
			u.DueAt = u.DueAt.UTC()
			u.Late = u.DueAt.Before(now)
			u.StatusLabel = dossier.Status(u.Status).Label()
			out = append(out, u)
		}
		err = rows.Err()
		rows.Close()
		if err != nil {
			return nil, apperr.Wrap(err, "list urgent dossiers")
		}
	}
	sort.Slice(out, func(i, j int) bool {
		if !out[i].DueAt.Equal(out[j].DueAt) {
			return out[i].DueAt.Before(out[j].DueAt)
		}
		return out[i].Code < out[j].Code
	})
	if len(out) > s.cfg.Urgent {
		out = out[:s.cfg.Urgent]
	}
	return out, nil
}

// chunks splits ids for IN lists of a bounded size.
func chunks(ids []string, size int) [][]string {
	var out [][]string
	for len(ids) > size {
		out = append(out, ids[:size])
		ids = ids[size:]
	}
	if len(ids) > 0 {
		out = append(out, ids)
	}
	return out
}

func anys(ids []string) []any {
	out := make([]any, len(ids))
	for i, id := range ids {
		out[i] = id
	}
	return out
}

// fields maps procedure IDs to their field (lĩnh vực).
func (s *Service) fields(ctx context.Context, ids []string) (map[string]string, error) {
	out := map[string]string{}
	for _, part := range chunks(ids, 500) {
		rows, err := s.db.Query(ctx, "SELECT id, field FROM procedures WHERE id IN ("+db.Placeholders(len(part))+")", anys(part)...)
		if err != nil {
			return nil, apperr.Wrap(err, "read procedure fields")
		}
		for rows.Next() {
			var id, field string
			if err := rows.Scan(&id, &field); err != nil {
				rows.Close()
				return nil, apperr.Wrap(err, "read procedure fields")
			}
			out[id] = strings.TrimSpace(field)
		}
		err = rows.Err()
		rows.Close()
		if err != nil {
			return nil, apperr.Wrap(err, "read procedure fields")
		}
	}
	return out, nil
}

type agencyInfo struct {
	name, commune, communeName string
}

// agencies names the agencies and, for commune committees, their commune.
func (s *Service) agencies(ctx context.Context, ids []string) (map[string]agencyInfo, error) {
	out := map[string]agencyInfo{}
	for _, part := range chunks(ids, 500) {
		rows, err := s.db.Query(ctx, "SELECT a.id, a.name, a.kind, COALESCE(a.unit_id, ''), COALESCE(u.name, '') FROM agencies a "+
			"LEFT JOIN admin_units u ON u.id = a.unit_id WHERE a.id IN ("+db.Placeholders(len(part))+")", anys(part)...)
		if err != nil {
			return nil, apperr.Wrap(err, "read agencies")
		}
		for rows.Next() {
			var id, name, kind, unit, unitName string
			if err := rows.Scan(&id, &name, &kind, &unit, &unitName); err != nil {
				rows.Close()
				return nil, apperr.Wrap(err, "read agencies")
			}
			info := agencyInfo{name: name}
			if kind == "commune_pc" && unit != "" {
				info.commune, info.communeName = unit, unitName
				if info.communeName == "" {
					info.communeName = name
				}
			}
			out[id] = info
		}
		err = rows.Err()
		rows.Close()
		if err != nil {
			return nil, apperr.Wrap(err, "read agencies")
		}
	}
	return out, nil
}
