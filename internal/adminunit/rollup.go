package adminunit

import (
	"errors"
	"fmt"
	"slices"
	"strings"
)

// RollUpResult is the outcome of Registry.RollUp.
type RollUpResult struct {
	Level Level
	// Totals holds the rolled-up figures, keyed by current units (edition 2025-07-01) of Level.
	// Units with no figure are absent.
	Totals map[ID]int64
	// Unattributed holds, keyed by the input ID, the figures that cannot be placed at Level
	// (only at commune level: provinces, old districts, old communes without a usable
	// successor). They are counted in the province-level roll-up.
	Unattributed map[ID]int64
}

// Sum returns the total of Totals and Unattributed: the sum of the input figures.
func (res RollUpResult) Sum() int64 {
	var n int64
	for _, m := range []map[ID]int64{res.Totals, res.Unattributed} {
		for _, v := range m {
			n += v
		}
	}
	return n
}

// RollUp adds up figures (e.g. counts of dossiers) keyed by units of either edition into today's
// units of the given level (LevelProvince or LevelCommune), by the rule in the package
// documentation: at commune level an old commune goes whole to one successor (the first one
// marked "full", otherwise the first listed), and what cannot be placed in a commune is reported
// in Unattributed instead of guessed. An ID that is malformed or unknown (neither a unit nor an
// old code of the mapping) fails the whole roll-up with an error naming it. Sums are not checked
// for int64 overflow.
func (r *Registry) RollUp(figures map[ID]int64, level Level) (RollUpResult, error) {
	if level != LevelProvince && level != LevelCommune {
		return RollUpResult{}, fmt.Errorf("%w: roll-up level %q (want %s or %s)", ErrInvalid, level, LevelProvince, LevelCommune)
	}
	res := RollUpResult{Level: level, Totals: make(map[ID]int64), Unattributed: make(map[ID]int64)}
	var bad []string
	kind := ErrNotFound
	for id, v := range figures {
		t, err := r.Target(id, level)
		switch {
		case err == nil:
			res.Totals[t] += v
		case errors.Is(err, ErrUnattributable):
			res.Unattributed[id] += v
		default:
			bad = append(bad, err.Error())
			if errors.Is(err, ErrInvalid) {
				kind = ErrInvalid
			}
		}
	}
	if n := len(bad); n > 0 {
		slices.Sort(bad)
		more := ""
		if len(bad) > 5 {
			more = fmt.Sprintf(" (and %d more)", len(bad)-5)
			bad = bad[:5]
		}
		return RollUpResult{}, fmt.Errorf("%w: roll-up: %d figures keyed by unknown or invalid units: %s%s", kind, n, strings.Join(bad, "; "), more)
	}
	return res, nil
}

// Target returns the current unit of the given level (LevelProvince or LevelCommune) that a
// figure filed under id goes to in RollUp. It fails with ErrUnattributable when the figure
// cannot be placed at that level, ErrNotFound for an unknown unit and ErrInvalid for a
// malformed ID or level.
func (r *Registry) Target(id ID, level Level) (ID, error) {
	if level != LevelProvince && level != LevelCommune {
		return ID{}, fmt.Errorf("%w: roll-up level %q (want %s or %s)", ErrInvalid, level, LevelProvince, LevelCommune)
	}
	if err := id.Validate(); err != nil {
		return ID{}, err
	}
	u, known := r.get(id)
	if id.Edition == EditionCurrent {
		switch {
		case !known:
			return ID{}, fmt.Errorf("%w: unit %s", ErrNotFound, id)
		case u.Level == level:
			return id, nil
		case level == LevelProvince:
			return ID{u.ProvinceCode, EditionCurrent}, nil
		}
		return ID{}, fmt.Errorf("%w: %s is a province: its figures cannot be assigned to one commune", ErrUnattributable, id)
	}

	// Edition 2025-03-01.
	if !known && !r.mapped[id] {
		return ID{}, fmt.Errorf("%w: unit %s", ErrNotFound, id)
	}
	rows := r.succ[id]
	if id.Level() == LevelProvince {
		if level == LevelCommune {
			return ID{}, fmt.Errorf("%w: %s is a province: its figures cannot be assigned to one commune", ErrUnattributable, id)
		}
		return r.rows[rows[0]].New, nil // exactly one, checked by Load
	}
	if len(rows) > 0 {
		c := r.rows[r.pick(rows)].New
		if level == LevelCommune {
			return c, nil
		}
		return ID{r.units[r.byID[c]].ProvinceCode, EditionCurrent}, nil
	}
	if level == LevelProvince && known { // a district, or a commune whose only row was rejected
		return r.Target(ID{u.ProvinceCode, EditionThreeLevel}, LevelProvince)
	}
	if id.Level() == LevelDistrict && level == LevelCommune {
		return ID{}, fmt.Errorf("%w: %s is a district: districts were abolished and its figures cannot be assigned to one commune", ErrUnattributable, id)
	}
	return ID{}, fmt.Errorf("%w: %s has no usable successor in the 2025 mapping", ErrUnattributable, id)
}

// pick chooses the successor an old unit's whole figure goes to: the first row marked full,
// otherwise the first row. rows are in rank order.
func (r *Registry) pick(rows []int32) int32 {
	for _, i := range rows {
		if r.rows[i].Full {
			return i
		}
	}
	return rows[0]
}
