package catalog

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/congso/congso/internal/actor"
	"github.com/congso/congso/internal/apperr"
	"github.com/congso/congso/internal/audit"
	"github.com/congso/congso/internal/db"
	"github.com/congso/congso/internal/org"
)

// Agencies is what the catalogue needs to know about agencies: that they
// exist and operate, and which there are (to assign shipped procedures).
// *org.Service satisfies it.
type Agencies interface {
	Agency(ctx context.Context, id string) (org.Agency, error)
	Agencies(ctx context.Context, f org.AgencyFilter) ([]org.Agency, error)
}

// Service manages the catalogue.
type Service struct {
	db       *db.DB
	st       store
	audit    *audit.Log
	agencies Agencies
	units    Units
	now      func() time.Time
}

// New returns the catalogue service. units checks the address fields of
// e-forms (AdminUnits(registry)); nil accepts any well-formed unit ID.
func New(d *db.DB, log *audit.Log, agencies Agencies, units Units, now func() time.Time) *Service {
	return &Service{db: d, st: store{d}, audit: log, agencies: agencies, units: units, now: now}
}

const objectType = "procedure"

func denyUnlessProvinceAdmin(by *actor.Actor, message string) error {
	if by.ProvinceAdmin() {
		return nil
	}
	return actor.Deny(by, message)
}

// visible hides inactive procedures from everyone but officials.
func visible(by *actor.Actor, p Procedure) error {
	if !p.Active && !by.IsOfficial() {
		return apperr.New(apperr.NotFound, "Không tìm thấy thủ tục hành chính.")
	}
	return nil
}

// Get reads a procedure. Active procedures are public; inactive ones are
// shown to officials only.
func (s *Service) Get(ctx context.Context, by *actor.Actor, id string) (Procedure, error) {
	p, err := s.st.get(ctx, s.db, "id = ?", id)
	if err != nil {
		return Procedure{}, err
	}
	return p, visible(by, p)
}

// ByCode reads a procedure by its national code.
func (s *Service) ByCode(ctx context.Context, by *actor.Actor, code string) (Procedure, error) {
	code = strings.TrimSpace(code)
	if code == "" {
		return Procedure{}, apperr.New(apperr.NotFound, "Không tìm thấy thủ tục hành chính.")
	}
	p, err := s.st.get(ctx, s.db, "code = ?", code)
	if err != nil {
		return Procedure{}, err
	}
	return p, visible(by, p)
}

// Search lists procedures matching the filter, by name. Anyone may search
// the active procedures; officials may include inactive ones.
func (s *Service) Search(ctx context.Context, by *actor.Actor, f Filter) ([]Summary, error) {
	if f.Limit <= 0 || f.Limit > 1000 {
		f.Limit = 50
	}
	if len(f.Query) > 200 {
		f.Query = f.Query[:200]
	}
	f.IncludeInactive = f.IncludeInactive && by.IsOfficial()
	return s.st.search(ctx, f)
}

// Fields lists the fields (lĩnh vực) of the procedures, for filters.
func (s *Service) Fields(ctx context.Context, by *actor.Actor) ([]string, error) {
	return s.st.fields(ctx, by.IsOfficial())
}

func prepare(in Spec) (Spec, error) {
	in.Normalize()
	return in, in.Validate().Err()
}

// Create adds a procedure, active, without agencies; only province admins
// may.
func (s *Service) Create(ctx context.Context, by *actor.Actor, in Spec) (Procedure, error) {
	if err := denyUnlessProvinceAdmin(by, "Chỉ quản trị toàn tỉnh được thêm thủ tục hành chính."); err != nil {
		return Procedure{}, err
	}
	spec, err := prepare(in)
	if err != nil {
		return Procedure{}, err
	}
	var p Procedure
	err = s.db.Tx(ctx, func(tx *db.Tx) error {
		var err error
		if p, err = s.create(ctx, tx, spec, true); err != nil {
			return err
		}
		return s.audit.Append(ctx, tx, by, createEvent(p))
	})
	return p, err
}

func (s *Service) create(ctx context.Context, tx *db.Tx, spec Spec, active bool) (Procedure, error) {
	now := s.now().UTC()
	p := Procedure{ID: db.NewID(), Spec: spec, AgencyIDs: []string{}, Active: active, Version: 1, CreatedAt: db.Instant(now), UpdatedAt: db.Instant(now)}
	return p, s.st.insert(ctx, tx, p)
}

func createEvent(p Procedure) audit.Event {
	return audit.Event{Action: "procedure.create", ObjectType: objectType, ObjectID: p.ID, Detail: map[string]any{"code": p.Code, "name": p.Name}}
}

// Update replaces a procedure's content. version must be the one the editor
// saw: a procedure edited meanwhile is refused with a conflict.
func (s *Service) Update(ctx context.Context, by *actor.Actor, id string, version int, in Spec) (Procedure, error) {
	if err := denyUnlessProvinceAdmin(by, "Chỉ quản trị toàn tỉnh được sửa thủ tục hành chính."); err != nil {
		return Procedure{}, err
	}
	spec, err := prepare(in)
	if err != nil {
		return Procedure{}, err
	}
	var p Procedure
	err = s.db.Tx(ctx, func(tx *db.Tx) error {
		if err := s.update(ctx, tx, id, version, spec); err != nil {
			return err
		}
		if err := s.audit.Append(ctx, tx, by, audit.Event{Action: "procedure.update", ObjectType: objectType, ObjectID: id,
			Detail: map[string]any{"version": version + 1}}); err != nil {
			return err
		}
		p, err = s.st.get(ctx, tx, "id = ?", id)
		return err
	})
	return p, err
}

func (s *Service) update(ctx context.Context, tx *db.Tx, id string, version int, spec Spec) error {
	cur, err := s.st.get(ctx, tx, "id = ?", id)
	if err != nil {
		return err
	}
	ok, err := s.st.update(ctx, tx, id, version, spec, s.now().UTC())
	if err != nil {
		return err
	}
	if !ok {
		return apperr.New(apperr.Conflict, "Thủ tục vừa được người khác sửa (phiên bản hiện tại: %d, bạn đang sửa phiên bản %d); hãy tải lại trang và sửa lại.", cur.Version, version)
	}
	return nil
}

// SetActive deactivates a procedure (it is no longer offered; dossiers that
// refer to it keep it) or activates it again. Procedures are never deleted.
func (s *Service) SetActive(ctx context.Context, by *actor.Actor, id string, active bool) (Procedure, error) {
	if err := denyUnlessProvinceAdmin(by, "Chỉ quản trị toàn tỉnh được ngừng hoặc áp dụng lại thủ tục hành chính."); err != nil {
		return Procedure{}, err
	}
	var p Procedure
	err := s.db.Tx(ctx, func(tx *db.Tx) error {
		cur, err := s.st.get(ctx, tx, "id = ?", id)
		if err != nil {
			return err
		}
		if cur.Active == active {
			p = cur
			return nil
		}
		if err := s.st.setActive(ctx, tx, id, active, s.now().UTC()); err != nil {
			return err
		}
		action := "procedure.deactivate"
		if active {
			action = "procedure.activate"
		}
		if err := s.audit.Append(ctx, tx, by, audit.Event{Action: action, ObjectType: objectType, ObjectID: id}); err != nil {
			return err
		}
		p, err = s.st.get(ctx, tx, "id = ?", id)
		return err
	})
	return p, err
}

// SetAgencies makes agencyIDs the implementing agencies of a procedure.
// Province admins may set any operating agencies; an agency admin may only
// add or remove the agencies they administer, leaving the others as they
// are. A version above 0 must be the procedure's current one.
func (s *Service) SetAgencies(ctx context.Context, by *actor.Actor, id string, version int, agencyIDs []string) (Procedure, error) {
	want := slices.Clone(agencyIDs)
	for i := range want {
		want[i] = strings.TrimSpace(want[i])
	}
	want = slices.DeleteFunc(want, func(a string) bool { return a == "" })
	slices.Sort(want)
	want = slices.Compact(want)
	return s.changeAgencies(ctx, by, id, version, func([]string) []string { return want })
}

// AddAgency adds an implementing agency.
func (s *Service) AddAgency(ctx context.Context, by *actor.Actor, id, agencyID string) (Procedure, error) {
	return s.changeAgencies(ctx, by, id, 0, func(cur []string) []string {
		if slices.Contains(cur, agencyID) {
			return cur
		}
		return append(slices.Clone(cur), agencyID)
	})
}

// RemoveAgency removes an implementing agency.
func (s *Service) RemoveAgency(ctx context.Context, by *actor.Actor, id, agencyID string) (Procedure, error) {
	return s.changeAgencies(ctx, by, id, 0, func(cur []string) []string {
		return slices.DeleteFunc(slices.Clone(cur), func(a string) bool { return a == agencyID })
	})
}

const agencyDenied = "Quản trị cơ quan chỉ được thêm hoặc bỏ chính cơ quan mình khỏi danh sách cơ quan thực hiện; các cơ quan khác do quản trị toàn tỉnh gán."

func (s *Service) changeAgencies(ctx context.Context, by *actor.Actor, id string, version int, next func(cur []string) []string) (Procedure, error) {
	if by == nil || (!by.ProvinceAdmin() && !by.HasAnywhere(actor.AgencyAdmin)) {
		return Procedure{}, actor.Deny(by, "Chỉ quản trị toàn tỉnh và quản trị cơ quan được gán cơ quan thực hiện thủ tục.")
	}
	var p Procedure
	err := s.db.Tx(ctx, func(tx *db.Tx) error {
		cur, err := s.st.get(ctx, tx, "id = ?", id)
		if err != nil {
			return err
		}
		if version > 0 && version != cur.Version {
			return apperr.New(apperr.Conflict, "Thủ tục vừa được người khác sửa (phiên bản hiện tại: %d, bạn đang sửa phiên bản %d); hãy tải lại trang và sửa lại.", cur.Version, version)
		}
		want := next(cur.AgencyIDs)
		var added, removed []string
		for _, a := range want {
			if !slices.Contains(cur.AgencyIDs, a) {
				added = append(added, a)
			}
		}
		for _, a := range cur.AgencyIDs {
			if !slices.Contains(want, a) {
				removed = append(removed, a)
			}
		}
		if len(added)+len(removed) == 0 {
			p = cur
			return nil
		}
		if !by.ProvinceAdmin() {
			for _, a := range append(slices.Clone(added), removed...) {
				if !by.Has(actor.AgencyAdmin, a) {
					return actor.Deny(by, agencyDenied)
				}
			}
		}
		for _, a := range added {
			ag, err := s.agencies.Agency(ctx, a)
			switch {
			case apperr.Is(err, apperr.NotFound):
				return apperr.Field("agency_ids", fmt.Sprintf("Không tìm thấy cơ quan %s.", a))
			case err != nil:
				return err
			case ag.Retired():
				return apperr.Field("agency_ids", fmt.Sprintf("%s đã ngừng hoạt động, không thể thực hiện thủ tục.", ag.Name))
			}
		}
		now := s.now().UTC()
		if err := s.st.unlink(ctx, tx, id, removed); err != nil {
			return err
		}
		if err := s.st.link(ctx, tx, id, added, now); err != nil {
			return err
		}
		if err := s.st.touch(ctx, tx, id, now); err != nil {
			return err
		}
		ev := audit.Event{Action: "procedure.agencies", ObjectType: objectType, ObjectID: id,
			Detail: map[string]any{"added": orEmpty(added), "removed": orEmpty(removed)}}
		if !by.ProvinceAdmin() {
			// The agency the admin acted for, so that its own audit view shows it.
			if len(added) > 0 {
				ev.AgencyID = added[0]
			} else {
				ev.AgencyID = removed[0]
			}
		}
		if err := s.audit.Append(ctx, tx, by, ev); err != nil {
			return err
		}
		p, err = s.st.get(ctx, tx, "id = ?", id)
		return err
	})
	return p, err
}

func orEmpty(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

// CheckForm checks values submitted for a procedure's e-form (see
// Form.Check), with today's date and the unit registry.
func (s *Service) CheckForm(ctx context.Context, by *actor.Actor, id string, values map[string][]string) (map[string]any, error) {
	p, err := s.Get(ctx, by, id)
	if err != nil {
		return nil, err
	}
	return p.Form.Check(values, s.CheckEnv())
}

// CheckEnv is the environment Form.Check runs in on this platform.
func (s *Service) CheckEnv() CheckEnv { return CheckEnv{Today: s.now(), Units: s.units} }
