package indicator

import (
	"context"
	"database/sql"
	"fmt"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/congso/congso/internal/actor"
	"github.com/congso/congso/internal/apperr"
	"github.com/congso/congso/internal/calendar"
	"github.com/congso/congso/internal/db"
)

// Row is one dossier behind a figure. It holds no personal data: the code
// leads to the dossier's own page, which audits what it shows.
type Row struct {
	DossierID       string     `json:"dossier_id"`
	Code            string     `json:"code"`
	Procedure       string     `json:"procedure"`
	AgencyID        string     `json:"agency_id"`
	Agency          string     `json:"agency"`
	Channel         string     `json:"channel"`
	Status          int        `json:"status"`
	ReceivedAt      time.Time  `json:"received_at"`
	PromisedAt      *time.Time `json:"promised_at,omitempty"`
	EndAt           *time.Time `json:"end_at,omitempty"`
	SupplementCount int        `json:"supplement_count"`
	SupplementWait  int64      `json:"supplement_wait_seconds"`
	OnTime          bool       `json:"on_time"`
}

// Drill is the list of dossiers behind one figure.
type Drill struct {
	Scope     Scope     `json:"scope"`
	Period    Period    `json:"period"`
	Criterion Criterion `json:"criterion"`
	// Part is "num" (the dossiers that meet the criterion) or "den" (all it counts).
	Part  string `json:"part"`
	Total int64  `json:"total"`
	Page  int    `json:"page"`
	More  bool   `json:"more"`
	Rows  []Row  `json:"rows"`
}

// DrillPageSize is the number of dossiers per page of a drill-down.
const DrillPageSize = 100

// Dossiers lists the dossiers behind a criterion's numerator or denominator.
// Officials see their own agencies' dossiers; province-wide roles see all.
func (s *Service) Dossiers(ctx context.Context, a *actor.Actor, sc Scope, p Period, criterion, part string, page int) (Drill, error) {
	if a == nil || !a.IsOfficial() {
		return Drill{}, actor.Deny(a, "Chỉ cán bộ được xem danh sách hồ sơ.")
	}
	if err := sc.Validate(); err != nil {
		return Drill{}, err
	}
	if err := p.Validate(); err != nil {
		return Drill{}, err
	}
	if sc.Kind == Agency && !a.CanSee(sc.ID) {
		return Drill{}, actor.Deny(a, "Bạn không xem được hồ sơ của cơ quan này.")
	}
	if part != "num" && part != "den" {
		return Drill{}, apperr.Field("part", "Phần phải là num (đạt) hoặc den (tổng).")
	}
	if page < 1 {
		page = 1
	}
	var cr Criterion
	for _, g := range s.rules.At(p.To).Groups {
		for _, c := range g.Criteria {
			if c.Key == criterion {
				cr = c
			}
		}
	}
	fig, ok := figures[cr.Formula]
	if !ok {
		return Drill{}, apperr.Field("criterion", "Không có tiêu chí này.")
	}
	from, end := p.days()
	where := cond(fig.den, from, end)
	if part == "num" {
		where = cond(fig.num, from, end)
	}
	filter, args := scopeFilter(sc, "f.agency_id")
	if !a.ProvinceWide() {
		ids := a.AgencyIDs()
		if len(ids) == 0 {
			return Drill{}, actor.Deny(a, "Bạn không xem được hồ sơ của cơ quan này.")
		}
		filter += " AND f.agency_id IN (" + db.Placeholders(len(ids)) + ")"
		for _, id := range ids {
			args = append(args, id)
		}
	}
	out := Drill{Scope: sc, Period: p, Criterion: cr, Part: part, Page: page}
	if err := s.db.QueryRow(ctx, `SELECT COUNT(*) FROM indicator_facts f WHERE `+where+filter, args...).Scan(&out.Total); err != nil {
		return Drill{}, fmt.Errorf("count the dossiers behind a figure: %w", err)
	}
	rows, err := s.db.Query(ctx, `SELECT f.dossier_id, d.code, d.procedure_name, f.agency_id, COALESCE(ag.name, ''), f.channel,
		f.status, f.received_at, f.promised_at, f.end_at, f.supplement_count, f.supplement_wait_s, f.on_time
		FROM indicator_facts f JOIN dossiers d ON d.id = f.dossier_id LEFT JOIN agencies ag ON ag.id = f.agency_id
		WHERE `+where+filter+`
		ORDER BY f.received_at DESC, f.dossier_id LIMIT ? OFFSET ?`, append(args, DrillPageSize+1, (page-1)*DrillPageSize)...)
	if err != nil {
		return Drill{}, fmt.Errorf("list the dossiers behind a figure: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var r Row
		var promised, ended sql.NullTime
		if err := rows.Scan(&r.DossierID, &r.Code, &r.Procedure, &r.AgencyID, &r.Agency, &r.Channel, &r.Status,
			&r.ReceivedAt, &promised, &ended, &r.SupplementCount, &r.SupplementWait, &r.OnTime); err != nil {
			return Drill{}, fmt.Errorf("list the dossiers behind a figure: %w", err)
		}
		r.ReceivedAt = r.ReceivedAt.UTC()
		r.PromisedAt, r.EndAt = timePtr(promised), timePtr(ended)
		out.Rows = append(out.Rows, r)
	}
	if err := rows.Err(); err != nil {
		return Drill{}, fmt.Errorf("list the dossiers behind a figure: %w", err)
	}
	if len(out.Rows) > DrillPageSize {
		out.Rows, out.More = out.Rows[:DrillPageSize], true
	}
	return out, nil
}

func timePtr(n sql.NullTime) *time.Time {
	if !n.Valid {
		return nil
	}
	t := n.Time.UTC()
	return &t
}

// ParseScope reads scope and id from a query.
func ParseScope(q url.Values) Scope {
	sc := Scope{Kind: ScopeKind(strings.TrimSpace(q.Get("scope"))), ID: strings.TrimSpace(q.Get("id"))}
	if sc.Kind == "" {
		sc.Kind = Province
	}
	if sc.Kind == Province {
		sc.ID = ""
	}
	return sc
}

// ParsePeriod reads a period from a query: period=2026, 2026-Q1 or 2026-03,
// or from=YYYY-MM-DD&to=YYYY-MM-DD; by default the year to date.
func ParsePeriod(q url.Values, now time.Time) (Period, error) {
	if v := strings.TrimSpace(q.Get("period")); v != "" {
		bad := apperr.Field("period", "Kỳ phải có dạng 2026, 2026-Q1 hoặc 2026-03.")
		y, rest, _ := strings.Cut(v, "-")
		year, err := strconv.Atoi(y)
		if err != nil || year < 2000 || year > 2100 {
			return Period{}, bad
		}
		switch {
		case rest == "":
			return Year(year), nil
		case len(rest) == 2 && (rest[0] == 'Q' || rest[0] == 'q') && rest[1] >= '1' && rest[1] <= '4':
			return Quarter(year, int(rest[1]-'0')), nil
		default:
			m, err := strconv.Atoi(rest)
			if err != nil || m < 1 || m > 12 {
				return Period{}, bad
			}
			return Month(year, time.Month(m)), nil
		}
	}
	today := calendar.DateOf(now.In(calendar.Location()))
	p := Period{From: calendar.Date{Year: today.Year, Month: 1, Day: 1}, To: today}
	if v := q.Get("from"); v != "" {
		d, err := calendar.ParseDate(v)
		if err != nil {
			return Period{}, apperr.Field("from", "Ngày bắt đầu phải có dạng YYYY-MM-DD.")
		}
		p.From = d
	}
	if v := q.Get("to"); v != "" {
		d, err := calendar.ParseDate(v)
		if err != nil {
			return Period{}, apperr.Field("to", "Ngày kết thúc phải có dạng YYYY-MM-DD.")
		}
		p.To = d
	}
	return p, p.Validate()
}
