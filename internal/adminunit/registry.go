package adminunit

import (
	"bytes"
	"compress/gzip"
	"embed"
	"encoding/binary"
	"fmt"
	"io"
	"iter"
	"strconv"
	"strings"
)

// The data files, written by ./gen (see data/README.md).
//
//go:embed data/units.tsv.gz data/successions.tsv.gz data/LICENSE.thanglequoc data/LICENSE.dvhcvn
var dataFS embed.FS

const (
	fileUnits       = "data/units.tsv.gz"
	fileSuccessions = "data/successions.tsv.gz"
	headUnits       = "edition\tcode\tlevel\tkind\tname\tfull_name\tname_en\tfull_name_en\tparent_code\tvalid_from\tvalid_to"
	headSuccessions = "old_code\tnew_code\tfull\trank\tstatus\tnote"
)

// Notices returns the licence notices of the embedded data (MIT: thanglequoc/vietnamese-provinces-
// database and dvhcvn), to be shown wherever the data is redistributed (an "about" page).
func Notices() string {
	var b strings.Builder
	for _, f := range []struct{ file, what string }{
		{"data/LICENSE.thanglequoc", "Administrative units: thanglequoc/vietnamese-provinces-database"},
		{"data/LICENSE.dvhcvn", "2025 reorganisation mapping: dvhcvn"},
	} {
		text, err := dataFS.ReadFile(f.file)
		if err != nil { // cannot happen: the files are embedded at build time
			panic(err)
		}
		fmt.Fprintf(&b, "%s\n\n%s\n", f.what, bytes.TrimSpace(text))
	}
	return b.String()
}

// Registry answers questions about the units of all editions and the succession between them.
// It is immutable once loaded and safe for concurrent use.
type Registry struct {
	units     []Unit         // canonical order: edition (newest first), level, code
	byID      map[ID]int32   // index into units
	children  map[ID][]int32 // parent ID → children, by code
	provinces map[Edition][]int32
	rows      []Succession   // all rows, rejected ones included, by old code and rank
	succ      map[ID][]int32 // old ID → usable rows, by rank
	pred      map[ID][]int32 // new ID → usable rows, by old code
	mapped    map[ID]bool    // old IDs that have rows (usable or not)
	keys      []searchKey    // parallel to units
}

// Load parses and checks the embedded data. It takes a few tens of milliseconds and about 12 MB
// of allocations: load once at start-up and share the Registry.
func Load() (*Registry, error) {
	ub, err := dataFS.ReadFile(fileUnits)
	if err != nil {
		return nil, err
	}
	sb, err := dataFS.ReadFile(fileSuccessions)
	if err != nil {
		return nil, err
	}
	return parse(ub, sb)
}

func gunzipLines(name string, gz []byte, header string) ([]string, error) {
	zr, err := gzip.NewReader(bytes.NewReader(gz))
	if err != nil {
		return nil, fmt.Errorf("adminunit: %s: %w", name, err)
	}
	var buf strings.Builder   // String() without a copy
	if n := len(gz); n >= 4 { // the gzip trailer ends with the uncompressed size (mod 2³²)
		if size := binary.LittleEndian.Uint32(gz[n-4:]); size < 64<<20 {
			buf.Grow(int(size))
		}
	}
	if _, err := io.Copy(&buf, zr); err != nil {
		return nil, fmt.Errorf("adminunit: %s: %w", name, err)
	}
	lines := strings.Split(strings.TrimSuffix(buf.String(), "\n"), "\n")
	if lines[0] != header {
		return nil, fmt.Errorf("adminunit: %s: unexpected header %q", name, lines[0])
	}
	return lines[1:], nil
}

// splitTab splits a TSV line into dst, which must have room for exactly the expected number of
// fields; it reports whether the line had that many.
func splitTab(line string, dst []string) bool {
	for i := range dst {
		if i == len(dst)-1 {
			dst[i] = line
			return !strings.Contains(line, "\t")
		}
		field, rest, ok := strings.Cut(line, "\t")
		if !ok {
			return false
		}
		dst[i], line = field, rest
	}
	return false
}

// parse builds a Registry from the two gzip-compressed TSV files and checks their consistency.
func parse(unitsGz, succGz []byte) (*Registry, error) {
	lines, err := gunzipLines(fileUnits, unitsGz, headUnits)
	if err != nil {
		return nil, err
	}
	r := &Registry{
		units:     make([]Unit, 0, len(lines)),
		byID:      make(map[ID]int32, len(lines)),
		children:  make(map[ID][]int32, 800),
		provinces: make(map[Edition][]int32),
	}
	var f [11]string
	for n, line := range lines {
		if !splitTab(line, f[:]) {
			return nil, fmt.Errorf("adminunit: %s line %d: want 11 fields", fileUnits, n+2)
		}
		u := Unit{Edition: Edition(f[0]), Code: f[1], Level: Level(f[2]), Kind: f[3], Name: f[4], FullName: f[5],
			NameEn: f[6], FullNameEn: f[7], ParentCode: f[8]}
		bad := func(format string, a ...any) error {
			return fmt.Errorf("adminunit: %s line %d (%s@%s): %s", fileUnits, n+2, u.Code, u.Edition, fmt.Sprintf(format, a...))
		}
		if err := u.ID().Validate(); err != nil {
			return nil, bad("%v", err)
		}
		if levelOfCode(u.Code) != u.Level {
			return nil, bad("level %q does not match the code", u.Level)
		}
		if u.Kind == "" || u.Name == "" || u.FullName != u.Kind+" "+u.Name {
			return nil, bad("kind %q, name %q, full name %q", u.Kind, u.Name, u.FullName)
		}
		for i, d := range []*Date{&u.ValidFrom, &u.ValidTo} {
			if f[9+i] == "" {
				continue
			}
			if *d, err = ParseDate(f[9+i]); err != nil {
				return nil, bad("%v", err)
			}
		}
		if u.ValidFrom != u.Edition.ValidFrom() || u.ValidTo != u.Edition.ValidTo() {
			return nil, bad("validity %s..%s differs from the edition's", u.ValidFrom, u.ValidTo)
		}
		if _, dup := r.byID[u.ID()]; dup {
			return nil, bad("duplicate unit")
		}
		r.byID[u.ID()] = int32(len(r.units))
		r.units = append(r.units, u)
	}
	// Parents: the canonical order puts parents first, so provinces are known before their
	// districts and districts before their communes.
	for i := range r.units {
		u := &r.units[i]
		want := LevelProvince // parent level expected
		switch {
		case u.Level == LevelProvince:
			if u.ParentCode != "" {
				return nil, fmt.Errorf("adminunit: province %s has a parent", u.ID())
			}
			u.ProvinceCode = u.Code
			r.provinces[u.Edition] = append(r.provinces[u.Edition], int32(i))
			continue
		case u.Level == LevelCommune && u.Edition == EditionThreeLevel:
			want = LevelDistrict
		}
		pi, ok := r.byID[u.ParentID()]
		if !ok || pi >= int32(i) || r.units[pi].Level != want {
			return nil, fmt.Errorf("adminunit: %s: parent %q is not a %s listed before it", u.ID(), u.ParentCode, want)
		}
		u.ProvinceCode = r.units[pi].ProvinceCode
		r.children[u.ParentID()] = append(r.children[u.ParentID()], int32(i))
	}
	for i := 1; i < len(r.units); i++ {
		if compareUnits(&r.units[i-1], &r.units[i]) >= 0 {
			return nil, fmt.Errorf("adminunit: %s: units out of order at %s", fileUnits, r.units[i].ID())
		}
	}
	if err := r.parseSuccessions(succGz); err != nil {
		return nil, err
	}
	r.keys = make([]searchKey, len(r.units))
	kinds := map[string]string{}
	for i := range r.units {
		u := &r.units[i]
		fk, ok := kinds[u.Kind]
		if !ok {
			fk = foldQuery(u.Kind)
			kinds[u.Kind] = fk
		}
		name := foldQuery(u.Name)
		r.keys[i] = searchKey{name: name, full: fk + " " + name} // FullName is Kind + " " + Name
	}
	return r, nil
}

// compareUnits orders units canonically: edition newest first, then level, then code.
func compareUnits(a, b *Unit) int {
	if a.Edition != b.Edition {
		return -strings.Compare(string(a.Edition), string(b.Edition))
	}
	if a.Level != b.Level {
		return a.Level.rank() - b.Level.rank()
	}
	return strings.Compare(a.Code, b.Code)
}

func (r *Registry) parseSuccessions(gz []byte) error {
	lines, err := gunzipLines(fileSuccessions, gz, headSuccessions)
	if err != nil {
		return err
	}
	r.rows = make([]Succession, 0, len(lines))
	r.succ = make(map[ID][]int32, len(lines))
	r.pred = make(map[ID][]int32, 3400)
	r.mapped = make(map[ID]bool, len(lines))
	lastRank := make(map[ID]int, len(lines))
	var f [6]string
	for n, line := range lines {
		if !splitTab(line, f[:]) {
			return fmt.Errorf("adminunit: %s line %d: want 6 fields", fileSuccessions, n+2)
		}
		s := Succession{Old: ID{f[0], EditionThreeLevel}, New: ID{f[1], EditionCurrent}, Full: f[2] == "1", Status: Status(f[4]), Note: f[5]}
		bad := func(format string, a ...any) error {
			return fmt.Errorf("adminunit: %s line %d (%s → %s): %s", fileSuccessions, n+2, s.Old, s.New, fmt.Sprintf(format, a...))
		}
		if s.Rank, err = strconv.Atoi(f[3]); err != nil || s.Rank < 1 {
			return bad("rank %q", f[3])
		}
		if f[2] != "0" && f[2] != "1" {
			return bad("full %q", f[2])
		}
		for _, id := range []ID{s.Old, s.New} {
			if err := id.Validate(); err != nil {
				return bad("%v", err)
			}
		}
		switch s.Status {
		case StatusOK, StatusCorrected, StatusOldUnlisted, StatusRejected:
		default:
			return bad("status %q", s.Status)
		}
		if (s.Status == StatusOK) != (s.Note == "") {
			return bad("status %s with note %q", s.Status, s.Note)
		}
		wantNew := LevelCommune
		if s.Old.Level() == LevelProvince {
			wantNew = LevelProvince
		}
		if i, ok := r.byID[s.New]; !ok || r.units[i].Level != wantNew {
			return bad("new unit is not a current %s", wantNew)
		}
		if _, ok := r.byID[s.Old]; ok == (s.Status == StatusOldUnlisted) {
			return bad("old unit presence does not match status %s", s.Status)
		}
		if s.Rank <= lastRank[s.Old] {
			return bad("ranks out of order")
		}
		lastRank[s.Old] = s.Rank
		i := int32(len(r.rows))
		r.rows = append(r.rows, s)
		r.mapped[s.Old] = true
		if s.Usable() {
			r.succ[s.Old] = append(r.succ[s.Old], i)
			r.pred[s.New] = append(r.pred[s.New], i)
		}
	}
	// Every old province goes to exactly one new province, and every current unit comes from
	// somewhere: RollUp relies on both.
	for _, pi := range r.provinces[EditionThreeLevel] {
		if id := r.units[pi].ID(); len(r.succ[id]) != 1 {
			return fmt.Errorf("adminunit: old province %s has %d successors, want 1", id, len(r.succ[id]))
		}
	}
	for i := range r.units {
		if u := &r.units[i]; u.Edition == EditionCurrent && len(r.pred[u.ID()]) == 0 {
			return fmt.Errorf("adminunit: current unit %s has no predecessor", u.ID())
		}
	}
	return nil
}

func (r *Registry) get(id ID) (*Unit, bool) {
	i, ok := r.byID[id]
	if !ok {
		return nil, false
	}
	return &r.units[i], true
}

func (r *Registry) collect(idx []int32) []Unit {
	out := make([]Unit, len(idx))
	for k, i := range idx {
		out[k] = r.units[i]
	}
	return out
}

// Unit returns the unit with the given ID.
func (r *Registry) Unit(id ID) (Unit, error) {
	if err := id.Validate(); err != nil {
		return Unit{}, err
	}
	u, ok := r.get(id)
	if !ok {
		if r.mapped[id] {
			return Unit{}, fmt.Errorf("%w: unit %s is not in the %s snapshot; it is known only to the 2025 mapping (see Successors)", ErrNotFound, id, id.Edition)
		}
		return Unit{}, fmt.Errorf("%w: unit %s", ErrNotFound, id)
	}
	return *u, nil
}

// UnitOn returns the unit with the given code valid on the given date. A date before 2025-07-01
// is answered from the 2025-03-01 snapshot, a later one from the current edition.
func (r *Registry) UnitOn(code string, on Date) (Unit, error) {
	if err := checkCode(code); err != nil {
		return Unit{}, err
	}
	e, ok := EditionOn(on)
	if !ok {
		return Unit{}, fmt.Errorf("%w: no date given", ErrInvalid)
	}
	if u, ok := r.get(ID{code, e}); ok {
		return *u, nil
	}
	var other []string
	for _, oe := range Editions() {
		u, ok := r.get(ID{code, oe})
		if !ok || oe == e {
			continue
		}
		switch {
		case !u.ValidTo.IsZero() && on.After(u.ValidTo):
			other = append(other, fmt.Sprintf("%s (%s) ended on %s", u.ID(), u.FullName, u.ValidTo))
		case !u.ValidFrom.IsZero() && on.Before(u.ValidFrom):
			other = append(other, fmt.Sprintf("%s (%s) is valid from %s", u.ID(), u.FullName, u.ValidFrom))
		}
	}
	suffix := ""
	if len(other) > 0 {
		suffix = "; " + strings.Join(other, "; ")
	}
	return Unit{}, fmt.Errorf("%w: no unit with code %s on %s (edition %s)%s", ErrNotFound, code, on, e, suffix)
}

// Children returns the units directly under id in its edition, by code: the districts of an old
// province, the communes of an old district or of a current province; none for a commune.
func (r *Registry) Children(id ID) ([]Unit, error) {
	if _, err := r.Unit(id); err != nil {
		return nil, err
	}
	return r.collect(r.children[id]), nil
}

// ChildrenOn returns the children of the unit with the given code valid on the given date (see
// UnitOn and Children).
func (r *Registry) ChildrenOn(code string, on Date) ([]Unit, error) {
	u, err := r.UnitOn(code, on)
	if err != nil {
		return nil, err
	}
	return r.collect(r.children[u.ID()]), nil
}

// Provinces returns the provinces valid on the given date, by code; none for the zero Date.
func (r *Registry) Provinces(on Date) []Unit {
	e, ok := EditionOn(on)
	if !ok {
		return nil
	}
	return r.collect(r.provinces[e])
}

// Successors returns the successors of an old unit (edition 2025-03-01) in the current edition,
// by rank, rejected rows left out. An old district has none (except the island districts that
// became special zones): districts were abolished; see RollUp for where their figures go.
func (r *Registry) Successors(old ID) ([]Succession, error) {
	if err := old.Validate(); err != nil {
		return nil, err
	}
	if old.Edition != EditionThreeLevel {
		return nil, fmt.Errorf("%w: %s: successors are defined for units of edition %s", ErrInvalid, old, EditionThreeLevel)
	}
	if _, ok := r.get(old); !ok && !r.mapped[old] {
		return nil, fmt.Errorf("%w: unit %s", ErrNotFound, old)
	}
	return r.rowsAt(r.succ[old]), nil
}

// Predecessors returns the old units (edition 2025-03-01) a current unit was formed from, by old
// code, rejected rows left out.
func (r *Registry) Predecessors(current ID) ([]Succession, error) {
	if err := current.Validate(); err != nil {
		return nil, err
	}
	if current.Edition != EditionCurrent {
		return nil, fmt.Errorf("%w: %s: predecessors are defined for units of edition %s", ErrInvalid, current, EditionCurrent)
	}
	if _, ok := r.get(current); !ok {
		return nil, fmt.Errorf("%w: unit %s", ErrNotFound, current)
	}
	return r.rowsAt(r.pred[current]), nil
}

func (r *Registry) rowsAt(idx []int32) []Succession {
	out := make([]Succession, len(idx))
	for k, i := range idx {
		out[k] = r.rows[i]
	}
	return out
}

// Units yields every unit of every edition: edition newest first, then provinces, districts and
// communes, each by code, so that a unit always comes after its parent (convenient for loading a
// table with a foreign key to the parent).
func (r *Registry) Units() iter.Seq[Unit] {
	return func(yield func(Unit) bool) {
		for _, u := range r.units {
			if !yield(u) {
				return
			}
		}
	}
}

// Successions yields every mapping row, rejected ones included (check Status), by old code and
// rank. Old IDs with status old-unlisted are not among Units.
func (r *Registry) Successions() iter.Seq[Succession] {
	return func(yield func(Succession) bool) {
		for _, s := range r.rows {
			if !yield(s) {
				return
			}
		}
	}
}
