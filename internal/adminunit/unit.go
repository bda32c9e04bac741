package adminunit

import (
	"errors"
	"fmt"
	"strings"
)

// Errors returned by this package wrap one of these; test with errors.Is.
var (
	// ErrInvalid: a malformed ID, code, date or level.
	ErrInvalid = errors.New("adminunit: invalid")
	// ErrNotFound: no such unit (or none valid on the date asked).
	ErrNotFound = errors.New("adminunit: not found")
	// ErrUnattributable: a unit whose figures cannot be placed at the level asked (a province or
	// an old district at commune level, or an old commune without a usable successor).
	ErrUnattributable = errors.New("adminunit: unattributable")
)

// Edition names one edition of the unit codes. The value is the date the edition describes.
type Edition string

const (
	// EditionCurrent is the two-level edition in force since 2025-07-01.
	EditionCurrent Edition = "2025-07-01"
	// EditionThreeLevel is the three-level snapshot of 2025-03-01, valid to 2025-06-30.
	EditionThreeLevel Edition = "2025-03-01"
)

// Editions lists the known editions, newest first.
func Editions() []Edition { return []Edition{EditionCurrent, EditionThreeLevel} }

// Known reports whether e is one of [Editions].
func (e Edition) Known() bool { return e == EditionCurrent || e == EditionThreeLevel }

// ValidFrom is the first day of the edition; the zero Date means unknown (open at the start).
func (e Edition) ValidFrom() Date {
	if e == EditionCurrent {
		return NewDate(2025, 7, 1)
	}
	return Date{}
}

// ValidTo is the last day of the edition, inclusive; the zero Date means open-ended.
func (e Edition) ValidTo() Date {
	if e == EditionThreeLevel {
		return NewDate(2025, 6, 30)
	}
	return Date{}
}

// EditionOn returns the edition in force on d; false for the zero Date.
func EditionOn(d Date) (Edition, bool) {
	if d.IsZero() {
		return "", false
	}
	for _, e := range Editions() {
		if validOn(e.ValidFrom(), e.ValidTo(), d) {
			return e, true
		}
	}
	return "", false
}

func validOn(from, to, d Date) bool {
	return !d.IsZero() && (from.IsZero() || !d.Before(from)) && (to.IsZero() || !d.After(to))
}

// Level is the tier of a unit.
type Level string

const (
	LevelProvince Level = "province" // tỉnh, thành phố trực thuộc trung ương; 2-digit code
	LevelDistrict Level = "district" // quận, huyện, thị xã, thành phố thuộc tỉnh; 3-digit code; edition 2025-03-01 only
	LevelCommune  Level = "commune"  // xã, phường, thị trấn, đặc khu; 5-digit code
)

func (l Level) rank() int {
	switch l {
	case LevelProvince:
		return 0
	case LevelDistrict:
		return 1
	case LevelCommune:
		return 2
	}
	return 3
}

// levelOfCode gives the level a code's length implies, or "" if the code is not 2, 3 or 5 ASCII
// digits.
func levelOfCode(code string) Level {
	for i := 0; i < len(code); i++ {
		if code[i] < '0' || code[i] > '9' {
			return ""
		}
	}
	switch len(code) {
	case 2:
		return LevelProvince
	case 3:
		return LevelDistrict
	case 5:
		return LevelCommune
	}
	return ""
}

func checkCode(code string) error {
	if levelOfCode(code) == "" {
		return fmt.Errorf("%w: code %q: want 2 (province), 3 (district) or 5 (commune) digits", ErrInvalid, code)
	}
	return nil
}

// ID identifies a unit by code and edition. Its text form is "<code>@<edition>", e.g.
// "42@2025-07-01"; it implements encoding.TextMarshaler, so a map[ID]T encodes as a JSON object
// keyed by that form.
type ID struct {
	Code    string
	Edition Edition
}

// NewID returns the ID of code in edition e after checking both.
func NewID(code string, e Edition) (ID, error) {
	id := ID{Code: code, Edition: e}
	return id, id.Validate()
}

// ParseID parses "<code>@<edition>".
func ParseID(s string) (ID, error) {
	code, ed, ok := strings.Cut(s, "@")
	if !ok {
		return ID{}, fmt.Errorf("%w: unit ID %q: want <code>@<edition>, e.g. 42@2025-07-01", ErrInvalid, s)
	}
	id := ID{Code: code, Edition: Edition(ed)}
	if err := id.Validate(); err != nil {
		return ID{}, fmt.Errorf("unit ID %q: %w", s, err)
	}
	return id, nil
}

// Validate checks the form of id: a 2-, 3- or 5-digit code and a known edition (districts only
// in edition 2025-03-01). It does not check that the unit exists.
func (id ID) Validate() error {
	if err := checkCode(id.Code); err != nil {
		return err
	}
	if !id.Edition.Known() {
		return fmt.Errorf("%w: unknown edition %q (want %s or %s)", ErrInvalid, id.Edition, EditionCurrent, EditionThreeLevel)
	}
	if id.Edition == EditionCurrent && levelOfCode(id.Code) == LevelDistrict {
		return fmt.Errorf("%w: %s: edition %s has no districts", ErrInvalid, id, EditionCurrent)
	}
	return nil
}

// Level is the level the code's length implies ("" if malformed).
func (id ID) Level() Level { return levelOfCode(id.Code) }

// IsZero reports whether id is the zero ID.
func (id ID) IsZero() bool { return id == ID{} }

func (id ID) String() string {
	if id.IsZero() {
		return ""
	}
	return id.Code + "@" + string(id.Edition)
}

// MarshalText implements encoding.TextMarshaler.
func (id ID) MarshalText() ([]byte, error) { return []byte(id.String()), nil }

// UnmarshalText implements encoding.TextUnmarshaler; it accepts only valid IDs.
func (id *ID) UnmarshalText(b []byte) error {
	v, err := ParseID(string(b))
	if err != nil {
		return err
	}
	*id = v
	return nil
}

// Unit is an administrative unit of one edition.
type Unit struct {
	Code    string
	Edition Edition
	Level   Level
	// Kind is the Vietnamese kind as the unit's name uses it: "Tỉnh", "Thành phố" (provinces and,
	// before 2025-07-01, provincial cities), "Quận", "Huyện", "Thị xã", "Phường", "Xã",
	// "Thị trấn", "Đặc khu".
	Kind       string
	Name       string // e.g. "Hà Tĩnh"
	FullName   string // Kind + " " + Name, e.g. "Tỉnh Hà Tĩnh"
	NameEn     string // as in the source, e.g. "Ha Tinh"; may be empty
	FullNameEn string // e.g. "Ha Tinh Province"; may be empty
	// ParentCode is the code of the parent in the same edition: the district of an old commune,
	// the province of an old district or of a current commune; "" for provinces.
	ParentCode string
	// ProvinceCode is the province the unit is in (its own code for a province).
	ProvinceCode string
	ValidFrom    Date // zero: unknown
	ValidTo      Date // inclusive; zero: open-ended
}

// ID returns the unit's ID.
func (u Unit) ID() ID { return ID{Code: u.Code, Edition: u.Edition} }

// ParentID returns the ID of the unit's parent, or the zero ID for a province.
func (u Unit) ParentID() ID {
	if u.ParentCode == "" {
		return ID{}
	}
	return ID{Code: u.ParentCode, Edition: u.Edition}
}

// ValidOn reports whether the unit is valid on d.
func (u Unit) ValidOn(d Date) bool { return validOn(u.ValidFrom, u.ValidTo, d) }

// Status qualifies a succession row against the source mapping.
type Status string

const (
	// StatusOK: the row is as the mapping gives it.
	StatusOK Status = "ok"
	// StatusCorrected: the mapping's new code was not a current unit and was corrected to the
	// current unit of the same name in the same province (see Note).
	StatusCorrected Status = "corrected"
	// StatusOldUnlisted: the old code is in the mapping but not in the 2025-03-01 snapshot. The
	// row is used (figures filed under the old code roll up), but Unit finds no such old unit.
	StatusOldUnlisted Status = "old-unlisted"
	// StatusRejected: the row contradicts the province mapping (every old province went whole
	// into one new province). It is kept for the record and ignored by Successors, Predecessors
	// and RollUp.
	StatusRejected Status = "rejected"
)

// Succession links an old unit to one of its successors.
type Succession struct {
	Old ID // edition 2025-03-01: a province, a commune, or an island district without communes
	New ID // edition 2025-07-01, same level as Old (a commune for an island district)
	// Full is true when the source marks the old unit as wholly inside New ("full"), false when
	// only part of it went there ("partial").
	Full bool
	// Rank is the position of New among Old's successors as the source lists them, from 1.
	Rank   int
	Status Status
	Note   string // why Status is not ok; "" otherwise
}

// Usable reports whether the row takes part in Successors, Predecessors and RollUp.
func (s Succession) Usable() bool { return s.Status != StatusRejected }
