package rating

import (
	"context"
	"slices"
	"time"

	"github.com/congso/congso/internal/actor"
	"github.com/congso/congso/internal/audit"
	"github.com/congso/congso/internal/calendar"
	"github.com/congso/congso/internal/db"
	"github.com/congso/congso/internal/dossier"
)

// Dossier is what ratings and complaints need to know of a dossier.
type Dossier struct {
	ID                string
	Code              string
	ProcedureName     string
	ApplicantUserID   string
	Status            dossier.Status
	AgencyID          string // the processing agency (cơ quan giải quyết)
	ReceivingAgencyID string // the one-stop desk
	ProcessedAt       *time.Time
	ReturnedAt        *time.Time
}

// HasResult reports whether the dossier's result is ready or returned: the
// moment from which it may be rated.
func (d Dossier) HasResult() bool {
	return d.Status == dossier.Processed || d.Status == dossier.Returned
}

// Dossiers looks dossiers up by code, with no access check (the service
// makes its own) and no audit record.
type Dossiers interface {
	Lookup(ctx context.Context, code string) (Dossier, error)
}

// DossierSystem gives the service the dossiers of the dossier system.
type DossierSystem struct{ Svc *dossier.Service }

// Lookup reads the dossier as the platform itself (not an official: nothing
// is shown to anyone, so nothing is audited).
func (s DossierSystem) Lookup(ctx context.Context, code string) (Dossier, error) {
	v, err := s.Svc.Get(ctx, actor.SystemActor("rating"), code)
	if err != nil {
		return Dossier{}, err
	}
	d := v.Dossier
	return Dossier{ID: d.ID, Code: d.Code, ProcedureName: d.ProcedureName, ApplicantUserID: d.Applicant.UserID, Status: d.Status,
		AgencyID: d.AgencyID, ReceivingAgencyID: d.ReceivingAgencyID, ProcessedAt: d.ProcessedAt, ReturnedAt: d.ReturnedAt}, nil
}

// Calendars gives each agency's working calendar.
type Calendars interface {
	ForAgency(ctx context.Context, agencyID string) (*calendar.Calendar, error)
}

// EventKind names a change the listeners hear of.
type EventKind string

const (
	EventRated             EventKind = "rating.created"
	EventComplaintFiled    EventKind = "complaint.filed"
	EventComplaintAnswered EventKind = "complaint.answered"
)

// Event is a change: a new rating, or a complaint filed or answered.
type Event struct {
	Kind      EventKind
	Rating    *Rating    // for EventRated
	Complaint *Complaint // for the complaint events
}

// Listener hears of every rating and complaint change inside the transaction
// that makes it (to notify the agency or the citizen, or to queue a record
// for the national portal), so that what it queues commits with the change.
type Listener interface {
	RatingChanged(ctx context.Context, tx *db.Tx, e Event) error
}

// Config tunes the service.
type Config struct {
	// AnswerLimit is the time an agency has to answer a complaint; 15 working
	// days when zero.
	AnswerLimit calendar.Duration
	// MaxOpenPerDossier bounds the unanswered complaints one dossier may have
	// at a time; 3 when zero.
	MaxOpenPerDossier int
}

// Deps are what the service is built from.
type Deps struct {
	DB        *db.DB
	Audit     *audit.Log
	Dossiers  Dossiers
	Calendars Calendars
	Now       func() time.Time
}

// Service runs ratings and complaints.
type Service struct {
	db        *db.DB
	audit     *audit.Log
	dossiers  Dossiers
	calendars Calendars
	now       func() time.Time
	cfg       Config
	criteria  CriteriaSet
	listeners []Listener
}

// NewService returns the service with the shipped criteria set.
func NewService(d Deps, cfg Config) (*Service, error) {
	set, err := LoadCriteria()
	if err != nil {
		return nil, err
	}
	if cfg.AnswerLimit == (calendar.Duration{}) {
		cfg.AnswerLimit = calendar.Duration{N: 15, Unit: calendar.UnitWorkingDays}
	}
	if err := cfg.AnswerLimit.Validate(); err != nil {
		return nil, err
	}
	if cfg.MaxOpenPerDossier <= 0 {
		cfg.MaxOpenPerDossier = 3
	}
	return &Service{db: d.DB, audit: d.Audit, dossiers: d.Dossiers, calendars: d.Calendars, now: d.Now, cfg: cfg, criteria: set}, nil
}

// Listen registers a listener; call it while wiring, before the service is
// used.
func (s *Service) Listen(l Listener) { s.listeners = append(s.listeners, l) }

func (s *Service) changed(ctx context.Context, tx *db.Tx, e Event) error {
	for _, l := range s.listeners {
		if err := l.RatingChanged(ctx, tx, e); err != nil {
			return err
		}
	}
	return nil
}

// Criteria is the criteria set new ratings are given under.
func (s *Service) Criteria() Criteria { return s.criteria.CurrentCriteria() }

// CriteriaVersion returns a version of the criteria set, to show an old
// rating with the words it was given under.
func (s *Service) CriteriaVersion(v string) (Criteria, bool) { return s.criteria.Version(v) }

// AnswerLimit is the time agencies have to answer a complaint.
func (s *Service) AnswerLimit() calendar.Duration { return s.cfg.AnswerLimit }

// CanAnswer reports whether the actor may answer the agency's complaints: its
// heads and agency admins, and province admins.
func CanAnswer(a *actor.Actor, agencyID string) bool {
	return a.IsSystem() || a.ProvinceAdmin() || a.Has(actor.Head, agencyID) || a.Has(actor.AgencyAdmin, agencyID)
}

// isApplicant reports whether the actor is the dossier's applicant, through
// their own account.
func isApplicant(a *actor.Actor, d Dossier) bool {
	return a != nil && d.ApplicantUserID != "" && a.UserID == d.ApplicantUserID &&
		(a.Kind == actor.Citizen || a.Kind == actor.Organisation)
}

// seesAgency reports whether an official may read the feedback addressed to
// one of the agencies: their members, province-wide roles and the platform.
func seesAgency(a *actor.Actor, agencyIDs ...string) bool {
	if a == nil || !(a.IsOfficial() || a.Kind == actor.Machine) {
		return false
	}
	if a.IsSystem() || a.ProvinceWide() {
		return true
	}
	return slices.ContainsFunc(agencyIDs, func(id string) bool { _, ok := a.Agencies[id]; return ok })
}

// official reports whether the actor reads as an official (their reads of
// citizens' words are audited).
func official(a *actor.Actor) bool {
	return a != nil && !a.IsSystem() && (a.Kind == actor.Official || a.Kind == actor.Machine)
}
