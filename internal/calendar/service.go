package calendar

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/congso/congso/internal/actor"
	"github.com/congso/congso/internal/apperr"
	"github.com/congso/congso/internal/audit"
	"github.com/congso/congso/internal/db"
)

// AgencyConfig is an agency's own calendar: its working week (e.g. a desk
// open on Saturday mornings), its own exceptions, and whether it closes during
// the national breaks even on days its week says it works.
type AgencyConfig struct {
	// Week maps a weekday (0 = Sunday … 6 = Saturday) to spans like
	// "07:00-11:30"; an empty week means the standard one.
	Week           map[time.Weekday][]string `json:"week,omitempty"`
	Overrides      []Entry                   `json:"overrides,omitempty"`
	NationalBreaks bool                      `json:"national_breaks"`
}

// weekOf parses the configured week.
func (c AgencyConfig) weekOf() (Week, error) {
	if len(c.Week) == 0 {
		return StandardWeek(), nil
	}
	var w Week
	for day, spans := range c.Week {
		if day < time.Sunday || day > time.Saturday {
			return w, apperr.Field("week", "Ngày trong tuần không hợp lệ.")
		}
		for _, s := range spans {
			from, to, ok := strings.Cut(s, "-")
			start, err1 := ParseClock(strings.TrimSpace(from))
			end, err2 := ParseClock(strings.TrimSpace(to))
			if !ok || err1 != nil || err2 != nil {
				return w, apperr.Field("week", fmt.Sprintf("Khung giờ %q không hợp lệ (dạng 07:00-11:30).", s))
			}
			w[day] = append(w[day], Span{Start: start, End: end})
		}
	}
	if err := w.validate(); err != nil {
		return w, apperr.Field("week", err.Error())
	}
	return w, nil
}

// Service keeps the calendars in the database and builds them for the
// deadline computations. Built calendars are cached for a short while; an
// edit made here takes effect at once, one made by another server within the
// cache period.
type Service struct {
	db    *db.DB
	audit *audit.Log
	now   func() time.Time
	ttl   time.Duration

	mu       sync.Mutex
	national *Calendar
	agencies map[string]*Calendar
	loadedAt time.Time
}

// NewService returns the calendar service.
func NewService(d *db.DB, log *audit.Log, now func() time.Time) *Service {
	return &Service{db: d, audit: log, now: now, ttl: 30 * time.Second}
}

func (s *Service) invalidate() {
	s.mu.Lock()
	s.national, s.agencies = nil, nil
	s.mu.Unlock()
}

// National returns the national working calendar with the administrators'
// year schedules applied.
func (s *Service) National(ctx context.Context) (*Calendar, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.nationalLocked(ctx)
}

func (s *Service) nationalLocked(ctx context.Context) (*Calendar, error) {
	if s.national != nil && s.now().Sub(s.loadedAt) < s.ttl {
		return s.national, nil
	}
	years, err := s.loadYears(ctx)
	if err != nil {
		return nil, err
	}
	h, err := NewHolidays(years...)
	if err != nil {
		return nil, apperr.Wrap(err, "build holidays")
	}
	c, err := New(h)
	if err != nil {
		return nil, apperr.Wrap(err, "build calendar")
	}
	s.national, s.agencies, s.loadedAt = c, map[string]*Calendar{}, s.now()
	return c, nil
}

// ForAgency returns the agency's calendar: the national one with the agency's
// own week and exceptions, if it has any.
func (s *Service) ForAgency(ctx context.Context, agencyID string) (*Calendar, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	national, err := s.nationalLocked(ctx)
	if err != nil {
		return nil, err
	}
	if c, ok := s.agencies[agencyID]; ok {
		return c, nil
	}
	cfg, found, err := s.agencyConfig(ctx, s.db, agencyID)
	if err != nil {
		return nil, err
	}
	c := national
	if found {
		if c, err = build(national, cfg); err != nil {
			return nil, err
		}
	}
	s.agencies[agencyID] = c
	return c, nil
}

func build(national *Calendar, cfg AgencyConfig) (*Calendar, error) {
	w, err := cfg.weekOf()
	if err != nil {
		return nil, err
	}
	opts := []Option{WithWeek(w), WithOverrides(cfg.Overrides...)}
	if cfg.NationalBreaks {
		opts = append(opts, WithNationalBreaks())
	}
	c, err := national.With(opts...)
	if err != nil {
		return nil, apperr.Field("overrides", err.Error())
	}
	return c, nil
}

func (s *Service) loadYears(ctx context.Context) ([]YearSchedule, error) {
	rows, err := s.db.Query(ctx, "SELECT schedule FROM calendar_years ORDER BY year")
	if err != nil {
		return nil, apperr.Wrap(err, "read year schedules")
	}
	defer rows.Close()
	var out []YearSchedule
	for rows.Next() {
		var raw string
		if err := rows.Scan(&raw); err != nil {
			return nil, apperr.Wrap(err, "read year schedule")
		}
		var y YearSchedule
		if err := json.Unmarshal([]byte(raw), &y); err != nil {
			return nil, apperr.Wrap(err, "decode year schedule")
		}
		out = append(out, y)
	}
	return out, apperr.Wrap(rows.Err(), "read year schedules")
}

func (s *Service) agencyConfig(ctx context.Context, r db.Runner, agencyID string) (AgencyConfig, bool, error) {
	var raw string
	err := r.QueryRow(ctx, "SELECT config FROM agency_calendars WHERE agency_id = ?", agencyID).Scan(&raw)
	if errors.Is(err, sql.ErrNoRows) {
		return AgencyConfig{}, false, nil
	}
	if err != nil {
		return AgencyConfig{}, false, apperr.Wrap(err, "read agency calendar")
	}
	var cfg AgencyConfig
	if err := json.Unmarshal([]byte(raw), &cfg); err != nil {
		return AgencyConfig{}, false, apperr.Wrap(err, "decode agency calendar")
	}
	return cfg, true, nil
}

// AgencyConfig returns an agency's own calendar settings (the standard week
// when it has none).
func (s *Service) AgencyConfig(ctx context.Context, agencyID string) (AgencyConfig, error) {
	cfg, _, err := s.agencyConfig(ctx, s.db, agencyID)
	return cfg, err
}

// Year returns the schedule in force for a year and where it comes from.
func (s *Service) Year(ctx context.Context, year int) (YearSchedule, Source, error) {
	c, err := s.National(ctx)
	if err != nil {
		return YearSchedule{}, "", err
	}
	y, src, err := c.Holidays().Year(year)
	if err != nil {
		return YearSchedule{}, "", apperr.Field("year", err.Error())
	}
	return y, src, nil
}

// SaveYear stores a year's schedule as decided by the government, replacing
// the shipped or statutory one for that year. Only province admins may.
func (s *Service) SaveYear(ctx context.Context, by *actor.Actor, y YearSchedule) error {
	if !by.ProvinceAdmin() {
		return actor.Deny(by, "Chỉ quản trị toàn tỉnh được sửa lịch nghỉ lễ.")
	}
	if err := y.Validate(); err != nil {
		return apperr.Field("entries", err.Error())
	}
	raw, err := json.Marshal(y)
	if err != nil {
		return apperr.Wrap(err, "encode year schedule")
	}
	err = s.db.Tx(ctx, func(tx *db.Tx) error {
		if _, err := tx.Exec(ctx, `INSERT INTO calendar_years (year, schedule, updated_by, updated_at) VALUES (?, ?, ?, ?)
			ON CONFLICT (year) DO UPDATE SET schedule = excluded.schedule, updated_by = excluded.updated_by, updated_at = excluded.updated_at`,
			y.Year, string(raw), by.UserID, s.now()); err != nil {
			return apperr.Wrap(err, "save year schedule")
		}
		return s.audit.Append(ctx, tx, by, audit.Event{Action: "calendar.year", ObjectType: "calendar_year", ObjectID: fmt.Sprint(y.Year),
			Detail: map[string]any{"entries": len(y.Entries), "basis": y.Basis}})
	})
	s.invalidate()
	return err
}

// SaveAgencyConfig stores an agency's own calendar; the agency's admins and
// province admins may.
func (s *Service) SaveAgencyConfig(ctx context.Context, by *actor.Actor, agencyID string, cfg AgencyConfig) error {
	if !by.CanAdminister(agencyID) {
		return actor.Deny(by, "Bạn không có quyền sửa lịch làm việc của cơ quan này.")
	}
	national, err := s.National(ctx)
	if err != nil {
		return err
	}
	if _, err := build(national, cfg); err != nil {
		return err
	}
	raw, err := json.Marshal(cfg)
	if err != nil {
		return apperr.Wrap(err, "encode agency calendar")
	}
	err = s.db.Tx(ctx, func(tx *db.Tx) error {
		if _, err := tx.Exec(ctx, `INSERT INTO agency_calendars (agency_id, config, updated_by, updated_at) VALUES (?, ?, ?, ?)
			ON CONFLICT (agency_id) DO UPDATE SET config = excluded.config, updated_by = excluded.updated_by, updated_at = excluded.updated_at`,
			agencyID, string(raw), by.UserID, s.now()); err != nil {
			if db.IsForeignKeyViolation(err) {
				return apperr.New(apperr.NotFound, "Không tìm thấy cơ quan.")
			}
			return apperr.Wrap(err, "save agency calendar")
		}
		return s.audit.Append(ctx, tx, by, audit.Event{Action: "calendar.agency", ObjectType: "agency", ObjectID: agencyID, AgencyID: agencyID})
	})
	s.invalidate()
	return err
}
