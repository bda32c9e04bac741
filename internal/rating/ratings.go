package rating

import (
	"context"
	"strings"

	"github.com/congso/congso/internal/actor"
	"github.com/congso/congso/internal/apperr"
	"github.com/congso/congso/internal/audit"
	"github.com/congso/congso/internal/db"
)

// lookup finds the dossier, refusing anonymous callers first.
func (s *Service) lookup(ctx context.Context, by *actor.Actor, code string) (Dossier, error) {
	if by == nil {
		return Dossier{}, apperr.New(apperr.Unauthorized, "Bạn cần đăng nhập.")
	}
	code = strings.TrimSpace(code)
	if code == "" {
		return Dossier{}, apperr.New(apperr.NotFound, "Không tìm thấy hồ sơ.")
	}
	return s.dossiers.Lookup(ctx, code)
}

// mayRate tells why the actor may not rate the dossier now, or nil.
func mayRate(by *actor.Actor, d Dossier) error {
	if !isApplicant(by, d) {
		return actor.Deny(by, "Chỉ người nộp hồ sơ, bằng tài khoản của mình, được đánh giá hồ sơ.")
	}
	if !d.HasResult() {
		return apperr.New(apperr.Conflict, "Hồ sơ chưa có kết quả giải quyết (trạng thái hiện tại: %s); bạn có thể đánh giá khi đã có kết quả.",
			d.Status.Label())
	}
	return nil
}

// Rate records the applicant's satisfaction rating of a dossier: once, after
// the result, by the applicant's own account only, with a level for every
// criterion of the current criteria set.
func (s *Service) Rate(ctx context.Context, by *actor.Actor, code string, in RateInput) (Rating, error) {
	d, err := s.lookup(ctx, by, code)
	if err != nil {
		return Rating{}, err
	}
	if err := mayRate(by, d); err != nil {
		return Rating{}, err
	}
	crit := s.Criteria()
	if err := in.Validate(crit); err != nil {
		return Rating{}, err
	}
	r := Rating{ID: db.NewID(), DossierID: d.ID, DossierCode: d.Code, ProcedureName: d.ProcedureName, AgencyID: d.AgencyID,
		ReceivingAgencyID: d.ReceivingAgencyID, UserID: by.UserID, CriteriaVersion: crit.Version, Comment: in.Comment,
		RatedAt: db.Instant(s.now())}
	for _, st := range crit.Stages {
		res := &r.Receipt
		if st.Stage == StageProcessing {
			res = &r.Processing
		}
		for _, cr := range st.Criteria {
			l := in.Scores[cr.Code]
			r.Scores = append(r.Scores, Score{Criterion: cr.Code, Stage: st.Stage, Level: l, Label: l.Label()})
			if res.Count == 0 || l < res.Min {
				res.Min = l
			}
			res.Sum += int(l)
			res.Count++
		}
	}
	r.Negative = r.Receipt.Negative() || r.Processing.Negative()
	r.Satisfied = r.Receipt.Satisfied() && r.Processing.Satisfied()
	err = s.db.Tx(ctx, func(tx *db.Tx) error {
		if err := insertRating(ctx, tx, &r); err != nil {
			return err
		}
		if err := s.audit.Append(ctx, tx, by, audit.Event{Action: "rating.create", ObjectType: "dossier", ObjectID: d.ID, AgencyID: d.AgencyID,
			Detail: map[string]any{"criteria_version": r.CriteriaVersion, "negative": r.Negative, "satisfied": r.Satisfied}}); err != nil {
			return err
		}
		return s.changed(ctx, tx, Event{Kind: EventRated, Rating: &r})
	})
	if err != nil {
		return Rating{}, err
	}
	return r, nil
}

// RatingOf returns the rating of a dossier to its applicant, and to the
// officials of its processing and receiving agencies and province-wide roles
// (their read is audited: the comment is the citizen's own words).
func (s *Service) RatingOf(ctx context.Context, by *actor.Actor, code string) (Rating, error) {
	d, err := s.lookup(ctx, by, code)
	if err != nil {
		return Rating{}, err
	}
	if !isApplicant(by, d) && !seesAgency(by, d.AgencyID, d.ReceivingAgencyID) {
		return Rating{}, actor.Deny(by, "Bạn không có quyền xem đánh giá của hồ sơ này.")
	}
	r, found, err := ratingOf(ctx, s.db, d.ID)
	if err != nil {
		return Rating{}, err
	}
	if !found {
		return Rating{}, apperr.New(apperr.NotFound, "Hồ sơ %s chưa được đánh giá.", d.Code)
	}
	if official(by) {
		if err := s.audit.Record(ctx, by, audit.Event{Action: audit.ActionReadPersonal, ObjectType: "rating", ObjectID: r.ID,
			AgencyID: agencyFor(by, d.AgencyID, d.ReceivingAgencyID)}); err != nil {
			return Rating{}, err
		}
	}
	return r, nil
}

// agencyFor is the agency an official reads for, in the audit log.
func agencyFor(by *actor.Actor, ids ...string) string {
	for _, id := range ids {
		if _, ok := by.Agencies[id]; ok {
			return id
		}
	}
	return by.PrimaryAgency()
}

// Overview is what the applicant's pages show of a dossier: its rating (or
// whether it may be rated now) and its complaints with their answers.
type Overview struct {
	Dossier Dossier `json:"-"`
	// Rating is the dossier's rating, if it has one.
	Rating *Rating `json:"rating,omitempty"`
	// MayRate is set when the applicant may rate the dossier now; otherwise
	// RateBlocked says why not (empty once rated).
	MayRate     bool   `json:"may_rate"`
	RateBlocked string `json:"rate_blocked,omitempty"`
	// Complaints are the dossier's complaints, newest first.
	Complaints []Complaint `json:"complaints"`
	// MayComplain is set while the dossier has fewer unanswered complaints
	// than the limit.
	MayComplain bool `json:"may_complain"`
}

// Overview returns the applicant's view of their dossier's feedback. Only
// the applicant's own account may ask.
func (s *Service) Overview(ctx context.Context, by *actor.Actor, code string) (Overview, error) {
	d, err := s.lookup(ctx, by, code)
	if err != nil {
		return Overview{}, err
	}
	if !isApplicant(by, d) {
		return Overview{}, actor.Deny(by, "Chỉ người nộp hồ sơ, bằng tài khoản của mình, xem được trang này.")
	}
	o := Overview{Dossier: d}
	r, found, err := ratingOf(ctx, s.db, d.ID)
	if err != nil {
		return Overview{}, err
	}
	switch {
	case found:
		o.Rating = &r
	case d.HasResult():
		o.MayRate = true
	default:
		o.RateBlocked = apperr.MessageOf(mayRate(by, d))
	}
	if o.Complaints, err = s.list(ctx, ComplaintFilter{DossierID: d.ID, Limit: 100}, "c.user_id = ?", by.UserID); err != nil {
		return Overview{}, err
	}
	open := 0
	for _, c := range o.Complaints {
		if !c.State.Answered() {
			open++
		}
	}
	o.MayComplain = open < s.cfg.MaxOpenPerDossier
	return o, nil
}
