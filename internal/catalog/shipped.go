package catalog

import (
	"bytes"
	"context"
	"crypto/sha256"
	"database/sql"
	_ "embed"
	"encoding/hex"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/congso/congso/internal/actor"
	"github.com/congso/congso/internal/apperr"
	"github.com/congso/congso/internal/audit"
	"github.com/congso/congso/internal/db"
	"github.com/congso/congso/internal/org"
	"github.com/congso/congso/internal/vntext"
)

// shippedData is the catalogue shipped with the platform: 44 common
// procedures researched from public sources (see data/SOURCES.md).
//
//go:embed data/procedures.json
var shippedData []byte

const shippedDataset = "catalog.procedures"

// Shipped returns the procedures shipped with the platform, normalised.
func Shipped() ([]Entry, error) {
	entries, problems, err := DecodeJSON(bytes.NewReader(shippedData))
	if err != nil {
		return nil, err
	}
	for i, p := range problems {
		return nil, fmt.Errorf("shipped procedure %d: %s", i+1, p[""])
	}
	for i := range entries {
		entries[i].Normalize()
	}
	return entries, nil
}

func shippedVersion() string {
	sum := sha256.Sum256(shippedData)
	return hex.EncodeToString(sum[:8])
}

// LoadShipped adds the shipped procedures that the catalogue does not hold
// yet (matched by code, else by name), each assigned to the operating
// agencies of its kind (see AssignByKind). It runs once per version of the
// shipped data: on a restart it returns at once, and procedures the province
// has since edited, deactivated or re-assigned are left as they are. Start-up
// calls it with the system actor after the agencies are loaded.
func (s *Service) LoadShipped(ctx context.Context, by *actor.Actor) (ImportResult, error) {
	var res ImportResult
	if err := denyUnlessProvinceAdmin(by, "Chỉ quản trị toàn tỉnh được nạp danh mục thủ tục mẫu."); err != nil {
		return res, err
	}
	version := shippedVersion()
	loaded := func(r db.Runner) (bool, error) {
		var have string
		err := r.QueryRow(ctx, "SELECT version FROM dataset_versions WHERE name = ?", shippedDataset).Scan(&have)
		if errors.Is(err, sql.ErrNoRows) {
			return false, nil
		}
		return have == version, err
	}
	if done, err := loaded(s.db); err != nil || done {
		return res, apperr.Wrap(err, "read catalogue version")
	}
	entries, err := Shipped()
	if err != nil {
		return res, apperr.Wrap(err, "read shipped catalogue")
	}
	for i, e := range entries {
		if err := e.Validate().Err(); err != nil {
			return res, apperr.Wrap(fmt.Errorf("shipped procedure %d (%s): %v", i+1, e.Name, apperr.FieldsOf(err)), "validate shipped catalogue")
		}
	}
	dir, err := s.directory(ctx)
	if err != nil {
		return res, err
	}
	err = s.db.Tx(ctx, func(tx *db.Tx) error {
		res = ImportResult{}
		if tx.Engine() == db.Postgres {
			// Two servers starting together load the data once.
			if _, err := tx.Exec(ctx, "SELECT pg_advisory_xact_lock(7262012)"); err != nil {
				return apperr.Wrap(err, "lock catalogue")
			}
		}
		if done, err := loaded(tx); err != nil || done {
			return apperr.Wrap(err, "read catalogue version")
		}
		var events []audit.Event
		now := s.now().UTC()
		for _, e := range entries {
			if _, found, err := s.st.match(ctx, tx, e.Spec); err != nil {
				return err
			} else if found {
				res.Unchanged++
				continue
			}
			p, err := s.create(ctx, tx, e.Spec, e.Active == nil || *e.Active)
			if err != nil {
				return err
			}
			ids := dir.assign(e.Spec)
			if err := s.st.link(ctx, tx, p.ID, ids, now); err != nil {
				return err
			}
			ev := createEvent(p)
			ev.Detail["shipped"] = version
			ev.Detail["agencies"] = len(ids)
			events = append(events, ev)
			res.Created++
		}
		if _, err := tx.Exec(ctx, `INSERT INTO dataset_versions (name, version, loaded_at) VALUES (?, ?, ?)
			ON CONFLICT (name) DO UPDATE SET version = excluded.version, loaded_at = excluded.loaded_at`, shippedDataset, version, now); err != nil {
			return apperr.Wrap(err, "record catalogue version")
		}
		for _, ev := range events {
			if err := s.audit.Append(ctx, tx, by, ev); err != nil {
				return err
			}
		}
		return nil
	})
	return res, err
}

// AssignByKind gives every active procedure that has no implementing agency
// the agencies of its kind, by the rule of LoadShipped: commune procedures go
// to every commune people's committee (the commune's one-stop desk receives
// them, police procedures included); other procedures to the one agency the
// agency hint names — an operating agency of the procedure's kind whose name
// appears in the hint (the earliest mention first), else for vertical
// procedures the province's office of the sector the hint names (công an,
// bảo hiểm xã hội, kho bạc, thuế), else an agency of any kind named in the
// hint ("… thuộc Sở Nội vụ") — and failing all, the province's public
// administrative service centre. It reports how many procedures it
// assigned. Run it after loading the province's agencies.
func (s *Service) AssignByKind(ctx context.Context, by *actor.Actor) (int, error) {
	if err := denyUnlessProvinceAdmin(by, "Chỉ quản trị toàn tỉnh được gán cơ quan thực hiện hàng loạt."); err != nil {
		return 0, err
	}
	dir, err := s.directory(ctx)
	if err != nil {
		return 0, err
	}
	n := 0
	err = s.db.Tx(ctx, func(tx *db.Tx) error {
		n = 0
		all, err := s.st.all(ctx, tx, false)
		if err != nil {
			return err
		}
		var events []audit.Event
		now := s.now().UTC()
		for _, p := range all {
			if len(p.AgencyIDs) > 0 {
				continue
			}
			ids := dir.assign(p.Spec)
			if len(ids) == 0 {
				continue
			}
			if err := s.st.link(ctx, tx, p.ID, ids, now); err != nil {
				return err
			}
			if err := s.st.touch(ctx, tx, p.ID, now); err != nil {
				return err
			}
			events = append(events, audit.Event{Action: "procedure.agencies", ObjectType: objectType, ObjectID: p.ID,
				Detail: map[string]any{"added": ids, "removed": []string{}, "by_kind": true}})
			n++
		}
		for _, ev := range events {
			if err := s.audit.Append(ctx, tx, by, ev); err != nil {
				return err
			}
		}
		return nil
	})
	return n, err
}

// directory is the operating agencies, for assignment by kind.
type directory struct{ agencies []org.Agency }

func (s *Service) directory(ctx context.Context) (directory, error) {
	var d directory
	if s.agencies == nil {
		return d, nil
	}
	for after := ""; ; {
		page, err := s.agencies.Agencies(ctx, org.AgencyFilter{After: after, Limit: 1000})
		if err != nil {
			return d, err
		}
		d.agencies = append(d.agencies, page...)
		if len(page) < 1000 {
			return d, nil
		}
		after = page[len(page)-1].Code
	}
}

// sectors are the keywords that tie a vertical agency to a hint.
func sectors() []string { return []string{"cong an", "bao hiem xa hoi", "kho bac", "thue"} }

// assign picks the agencies that implement a procedure (see AssignByKind).
func (d directory) assign(sp Spec) []string {
	var out []string
	if sp.Level == LevelCommune {
		for _, a := range d.agencies {
			if a.Kind == org.CommuneCommittee && !a.Retired() {
				out = append(out, a.ID)
			}
		}
		return out
	}
	hint := " " + strings.Join(words(vntext.Fold(sp.AgencyHint)), " ") + " "
	// An agency of the procedure's kind named in the hint; for vertical
	// agencies, one of the sector the hint names; then an agency of any
	// kind named in it ("… thuộc Sở Nội vụ").
	if id, ok := d.named(hint, func(a org.Agency) bool { return a.Kind == sp.AgencyKind }); ok {
		return []string{id}
	}
	if sp.AgencyKind == org.Vertical {
		for _, sector := range sectors() {
			if !strings.Contains(hint, " "+sector+" ") {
				continue
			}
			var found []org.Agency
			for _, a := range d.agencies {
				if a.Kind == org.Vertical && !a.Retired() && strings.Contains(" "+strings.Join(words(vntext.Fold(a.Name)), " ")+" ", " "+sector+" ") {
					found = append(found, a)
				}
			}
			// The province's own office (unit "42@…") before local ones.
			slices.SortStableFunc(found, func(x, y org.Agency) int { return provinceFirst(x) - provinceFirst(y) })
			if len(found) > 0 {
				return []string{found[0].ID}
			}
		}
	}
	if id, ok := d.named(hint, func(a org.Agency) bool { return a.Kind != org.CommuneCommittee }); ok {
		return []string{id}
	}
	for _, a := range d.agencies {
		if a.Kind == org.ServiceCentre && !a.Retired() {
			return []string{a.ID}
		}
	}
	return nil
}

// named finds the operating agency, among those keep accepts, whose whole
// name appears earliest in the hint (the longest name on a tie).
func (d directory) named(hint string, keep func(org.Agency) bool) (string, bool) {
	best, bestAt := org.Agency{}, -1
	for _, a := range d.agencies {
		if a.Retired() || !keep(a) {
			continue
		}
		at := strings.Index(hint, " "+strings.Join(words(vntext.Fold(a.Name)), " ")+" ")
		if at < 0 {
			continue
		}
		if bestAt < 0 || at < bestAt || at == bestAt && len(a.Name) > len(best.Name) {
			best, bestAt = a, at
		}
	}
	return best.ID, bestAt >= 0
}

func provinceFirst(a org.Agency) int {
	if code, _, _ := strings.Cut(a.UnitID, "@"); len(code) == 2 {
		return 0
	}
	return 1
}
