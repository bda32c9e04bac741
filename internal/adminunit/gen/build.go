package main

import (
	"cmp"
	"fmt"
	"slices"
	"strings"

	"golang.org/x/text/unicode/norm"
)

// Editions and their validity. They must agree with the constants of package adminunit (its
// loader checks every row).
const (
	editionCurrent    = "2025-07-01" // two levels, valid from 2025-07-01, open-ended
	editionThreeLevel = "2025-03-01" // three levels, valid_from unknown, valid to 2025-06-30
	currentValidFrom  = "2025-07-01"
	threeLevelValidTo = "2025-06-30"
)

const (
	levelProvince = "province"
	levelDistrict = "district"
	levelCommune  = "commune"
)

// Status of a succession row; see package adminunit.
const (
	statusOK          = "ok"
	statusCorrected   = "corrected"
	statusOldUnlisted = "old-unlisted"
	statusRejected    = "rejected"
)

// Kinds allowed per edition and level. The order matters for prefix matching of full names.
var (
	kindsByPrefix = []string{"Thành phố", "Thị xã", "Thị trấn", "Đặc khu", "Tỉnh", "Quận", "Huyện", "Phường", "Xã"}
	allowedKinds  = map[string][]string{
		editionCurrent + "/" + levelProvince:    {"Tỉnh", "Thành phố"},
		editionCurrent + "/" + levelCommune:     {"Phường", "Xã", "Đặc khu"},
		editionThreeLevel + "/" + levelProvince: {"Tỉnh", "Thành phố"},
		editionThreeLevel + "/" + levelDistrict: {"Quận", "Huyện", "Thị xã", "Thành phố"},
		editionThreeLevel + "/" + levelCommune:  {"Phường", "Xã", "Thị trấn"},
	}
)

// codeFix corrects a new-edition code in the mapping that is not a current unit.
type codeFix struct {
	mapped   string // the code as splits.json and merges.json give it
	current  string // the code of the same unit in the current data
	province string // the province of that unit
	name     string // its full name, identical in the mapping and in the current data
}

// knownFixes are the corrections reviewed by hand for the dvhcvn 20250701 mapping against the
// thanglequoc data to 2026-07-25. The generator refuses to run if one of them no longer applies
// or if another new code is missing, so that every correction is a decision a person made.
var knownFixes = []codeFix{
	// The mapping reuses 06970 (the old Thị trấn Ba Chẽ) for the new Xã Ba Chẽ; the current data
	// gives the new commune code 06978.
	{mapped: "06970", current: "06978", province: "22", name: "Xã Ba Chẽ"},
	// The mapping gives the new Xã Ia Mơ code 23737 (the old Xã Ia Mơ Nông, which went to Xã Ia
	// Ly); the current data keeps the old Xã Ia Mơ code 23938.
	{mapped: "23737", current: "23938", province: "52", name: "Xã Ia Mơ"},
}

type unit struct {
	edition, code, level, kind, name, fullName, nameEn, fullNameEn, parent string
}

func (u unit) province(byKey map[string]unit) string {
	switch u.level {
	case levelProvince:
		return u.code
	case levelDistrict:
		return u.parent
	}
	if u.edition == editionCurrent {
		return u.parent
	}
	return byKey[key(u.edition, u.parent)].parent
}

type row struct {
	old, new string
	full     bool
	rank     int
	status   string
	note     string
}

type dataset struct {
	units  []unit
	rows   []row
	issues []string // what was handled and how, for README.md and the console
	info   []string // differences that need no handling, for README.md
}

func (d *dataset) count(edition string) int {
	n := 0
	for _, u := range d.units {
		if u.edition == edition {
			n++
		}
	}
	return n
}

func key(edition, code string) string { return edition + "/" + code }

// clean normalises text to NFC and single spaces, and refuses characters that would break TSV.
func clean(s string) (string, error) {
	if strings.ContainsAny(s, "\t\r\n") {
		return "", fmt.Errorf("text %q contains a tab or line break", s)
	}
	return strings.Join(strings.Fields(norm.NFC.String(s)), " "), nil
}

func isDigits(s string, n int) bool {
	if len(s) != n {
		return false
	}
	for _, c := range []byte(s) {
		if c < '0' || c > '9' {
			return false
		}
	}
	return true
}

func codeLen(level string) int {
	switch level {
	case levelProvince:
		return 2
	case levelDistrict:
		return 3
	}
	return 5
}

func newUnit(edition, level, code, kind, name, fullName, nameEn, fullNameEn, parent string) (unit, string, error) {
	u := unit{edition: edition, level: level, code: code, parent: parent}
	if !isDigits(code, codeLen(level)) {
		return u, "", fmt.Errorf("%s %s code %q: want %d digits", edition, level, code, codeLen(level))
	}
	var err error
	for _, f := range []struct {
		dst *string
		src string
	}{{&u.kind, kind}, {&u.name, name}, {&u.fullName, fullName}, {&u.nameEn, nameEn}, {&u.fullNameEn, fullNameEn}} {
		if *f.dst, err = clean(f.src); err != nil {
			return u, "", fmt.Errorf("%s %s %s: %w", edition, level, code, err)
		}
	}
	if u.kind == "" { // the three-level data has no kind field: take it from the full name
		for _, k := range kindsByPrefix {
			if strings.HasPrefix(u.fullName, k+" ") {
				u.kind = k
				break
			}
		}
	}
	if !slices.Contains(allowedKinds[edition+"/"+level], u.kind) {
		return u, "", fmt.Errorf("%s %s %s (%s): unexpected kind %q", edition, level, code, u.fullName, u.kind)
	}
	want := u.kind + " " + u.name
	if u.name != "" && u.fullName != want && strings.EqualFold(u.fullName, want) && strings.HasSuffix(u.fullName, " "+u.name) {
		// Only the letter case of the kind differs (e.g. "xã Bắc Sơn"): use the kind as given.
		note := fmt.Sprintf("%s %s %s: full name %q written with a lower-case kind; stored as %q", edition, level, code, u.fullName, want)
		u.fullName = want
		return u, note, nil
	}
	if u.name == "" || u.fullName != want {
		return u, "", fmt.Errorf("%s %s %s: full name %q is not kind %q + name %q", edition, level, code, u.fullName, u.kind, u.name)
	}
	return u, "", nil
}

func build(in *sources, fixes []codeFix) (*dataset, error) {
	ds := &dataset{}
	byKey := map[string]unit{}
	add := func(u unit, note string) error {
		if note != "" {
			ds.issues = append(ds.issues, note)
		}
		k := key(u.edition, u.code)
		if _, dup := byKey[k]; dup {
			return fmt.Errorf("duplicate unit %s@%s", u.code, u.edition)
		}
		byKey[k] = u
		ds.units = append(ds.units, u)
		return nil
	}

	// Current edition: provinces and communes.
	for _, p := range in.current {
		if p.Type != "province" {
			return nil, fmt.Errorf("current province %s: type %q", p.Code, p.Type)
		}
		u, note, err := newUnit(editionCurrent, levelProvince, p.Code, p.AdministrativeUnitShortName, p.Name, p.FullName, p.NameEn, p.FullNameEn, "")
		if err != nil {
			return nil, err
		}
		if err := add(u, note); err != nil {
			return nil, err
		}
		for _, w := range p.Wards {
			if w.ProvinceCode != p.Code {
				return nil, fmt.Errorf("current commune %s: province code %q inside province %s", w.Code, w.ProvinceCode, p.Code)
			}
			u, note, err := newUnit(editionCurrent, levelCommune, w.Code, w.AdministrativeUnitShortName, w.Name, w.FullName, w.NameEn, w.FullNameEn, p.Code)
			if err != nil {
				return nil, err
			}
			if err := add(u, note); err != nil {
				return nil, err
			}
		}
	}
	// Three-level edition: provinces, districts, communes.
	for _, p := range in.pre {
		u, note, err := newUnit(editionThreeLevel, levelProvince, p.Code, "", p.Name, p.FullName, p.NameEn, p.FullNameEn, "")
		if err != nil {
			return nil, err
		}
		if err := add(u, note); err != nil {
			return nil, err
		}
		for _, d := range p.District {
			if d.ProvinceCode != p.Code {
				return nil, fmt.Errorf("district %s: province code %q inside province %s", d.Code, d.ProvinceCode, p.Code)
			}
			u, note, err := newUnit(editionThreeLevel, levelDistrict, d.Code, "", d.Name, d.FullName, d.NameEn, d.FullNameEn, p.Code)
			if err != nil {
				return nil, err
			}
			if err := add(u, note); err != nil {
				return nil, err
			}
			for _, w := range d.Ward {
				if w.DistrictCode != d.Code {
					return nil, fmt.Errorf("commune %s: district code %q inside district %s", w.Code, w.DistrictCode, d.Code)
				}
				u, note, err := newUnit(editionThreeLevel, levelCommune, w.Code, "", w.Name, w.FullName, w.NameEn, w.FullNameEn, d.Code)
				if err != nil {
					return nil, err
				}
				if err := add(u, note); err != nil {
					return nil, err
				}
			}
		}
	}
	levelRank := map[string]int{levelProvince: 0, levelDistrict: 1, levelCommune: 2}
	slices.SortFunc(ds.units, func(a, b unit) int {
		return cmp.Or(-cmp.Compare(a.edition, b.edition), cmp.Compare(levelRank[a.level], levelRank[b.level]), cmp.Compare(a.code, b.code))
	})
	isUnit := func(edition, level, code string) bool {
		u, ok := byKey[key(edition, code)]
		return ok && u.level == level
	}

	// The mapping. First gather splits.json (old → new, in the order it lists successors) and
	// merges.json (new → old with full/partial), then check that they say the same thing.
	type pair struct{ old, new string }
	type split struct {
		pair
		level, srcProvince, oldName, newName string
		rank                                 int
	}
	var splits []split
	seenOld := map[string]bool{}
	addSplits := func(level, old, oldName, province string, to []splitTo) error {
		if !isDigits(old, codeLen(level)) {
			return fmt.Errorf("splits.json: old %s code %q", level, old)
		}
		if seenOld[old] {
			return fmt.Errorf("splits.json: old code %s listed twice", old)
		}
		seenOld[old] = true
		if len(to) == 0 {
			return fmt.Errorf("splits.json: old code %s (%s) has no successor", old, oldName)
		}
		newLevel := levelCommune
		if level == levelProvince {
			newLevel = levelProvince
		}
		seenNew := map[string]bool{}
		for i, t := range to {
			if !isDigits(t.NewID, codeLen(newLevel)) {
				return fmt.Errorf("splits.json: %s → new code %q", old, t.NewID)
			}
			if seenNew[t.NewID] {
				return fmt.Errorf("splits.json: %s → %s listed twice", old, t.NewID)
			}
			seenNew[t.NewID] = true
			splits = append(splits, split{pair: pair{old, t.NewID}, level: level, srcProvince: province, oldName: oldName, newName: t.Name, rank: i + 1})
		}
		return nil
	}
	for _, p := range in.splits.Data {
		if err := addSplits(levelProvince, p.Level1ID, p.Name, p.Level1ID, p.Splits); err != nil {
			return nil, err
		}
		for _, l := range p.Level2s {
			if err := addSplits(levelDistrict, l.Level2ID, l.Name, p.Level1ID, l.Splits); err != nil {
				return nil, err
			}
		}
		for _, l := range p.Level3s {
			if err := addSplits(levelCommune, l.Level3ID, l.Name, p.Level1ID, l.Splits); err != nil {
				return nil, err
			}
		}
	}
	mergeType := map[pair]string{}
	mergeProvince := map[string]string{} // new commune code → province it is listed under in merges.json
	mergeName := map[string]string{}     // new code → name in merges.json
	addMerges := func(new, name string, from []mergeFrom) error {
		if len(from) == 0 {
			return fmt.Errorf("merges.json: new code %s (%s) has no predecessor", new, name)
		}
		mergeName[new] = name
		for _, m := range from {
			if m.Type != "full" && m.Type != "partial" {
				return fmt.Errorf("merges.json: %s ← %s: type %q", new, m.OldID, m.Type)
			}
			pr := pair{m.OldID, new}
			if _, dup := mergeType[pr]; dup {
				return fmt.Errorf("merges.json: %s ← %s listed twice", new, m.OldID)
			}
			mergeType[pr] = m.Type
		}
		return nil
	}
	for _, p := range in.merges.Data {
		if err := addMerges(p.Level1ID, p.Name, p.Merges); err != nil {
			return nil, err
		}
		for _, l := range p.Level2s {
			if _, dup := mergeProvince[l.Level2ID]; dup {
				return nil, fmt.Errorf("merges.json: new code %s listed twice", l.Level2ID)
			}
			mergeProvince[l.Level2ID] = p.Level1ID
			if err := addMerges(l.Level2ID, l.Name, l.Merges); err != nil {
				return nil, err
			}
		}
	}
	var onlySplits, onlyMerges []string
	inSplits := map[pair]bool{}
	for _, s := range splits {
		inSplits[s.pair] = true
		if _, ok := mergeType[s.pair]; !ok {
			onlySplits = append(onlySplits, s.old+"→"+s.new)
		}
	}
	for pr := range mergeType {
		if !inSplits[pr] {
			onlyMerges = append(onlyMerges, pr.old+"→"+pr.new)
		}
	}
	if len(onlySplits)+len(onlyMerges) > 0 {
		slices.Sort(onlyMerges)
		return nil, fmt.Errorf("splits.json and merges.json disagree: only in splits %v, only in merges %v", onlySplits, onlyMerges)
	}

	// Province rows, and the province each old province became.
	provTo := map[string][]string{}
	for _, s := range splits {
		if s.level != levelProvince {
			continue
		}
		if !isUnit(editionThreeLevel, levelProvince, s.old) {
			return nil, fmt.Errorf("mapping: old province %s is not in the %s data", s.old, editionThreeLevel)
		}
		if !isUnit(editionCurrent, levelProvince, s.new) {
			return nil, fmt.Errorf("mapping: new province %s is not in the %s data", s.new, editionCurrent)
		}
		provTo[s.old] = append(provTo[s.old], s.new)
	}
	for _, u := range ds.units {
		if u.level == levelProvince && u.edition == editionThreeLevel && len(provTo[u.code]) == 0 {
			return nil, fmt.Errorf("mapping: old province %s has no successor", u.code)
		}
	}

	// Corrections of new codes.
	fixByMapped := map[string]codeFix{}
	usedAsNew := map[string]bool{}
	for _, s := range splits {
		usedAsNew[s.new] = true
	}
	for _, f := range fixes {
		switch u, ok := byKey[key(editionCurrent, f.current)]; {
		case !usedAsNew[f.mapped]:
			return nil, fmt.Errorf("correction %s→%s no longer applies: the mapping does not use %s", f.mapped, f.current, f.mapped)
		case isUnit(editionCurrent, levelCommune, f.mapped):
			return nil, fmt.Errorf("correction %s→%s no longer applies: %s is a current unit", f.mapped, f.current, f.mapped)
		case !ok || u.level != levelCommune || u.parent != f.province || u.fullName != f.name:
			return nil, fmt.Errorf("correction %s→%s: the current data has no commune %s %q in province %s", f.mapped, f.current, f.current, f.name, f.province)
		case usedAsNew[f.current]:
			return nil, fmt.Errorf("correction %s→%s: the mapping already uses %s", f.mapped, f.current, f.current)
		case mergeName[f.mapped] != f.name || mergeProvince[f.mapped] != f.province:
			return nil, fmt.Errorf("correction %s→%s: merges.json calls %s %q in province %s", f.mapped, f.current, f.mapped, mergeName[f.mapped], mergeProvince[f.mapped])
		}
		fixByMapped[f.mapped] = f
		was := ""
		if old, ok := byKey[key(editionThreeLevel, f.mapped)]; ok {
			was = fmt.Sprintf(" (%s was the old code of %s)", f.mapped, old.fullName)
		}
		ds.issues = append(ds.issues, fmt.Sprintf("new code %s (%s, province %s) in splits.json and merges.json is not a current unit%s; the current data has %s as %s: corrected on every row that names it", f.mapped, f.name, f.province, was, f.name, f.current))
	}

	// Rows.
	for _, s := range splits {
		r := row{old: s.old, new: s.new, full: mergeType[s.pair] == "full", rank: s.rank, status: statusOK}
		var notes []string
		if f, ok := fixByMapped[r.new]; ok {
			r.new = f.current
			r.status = statusCorrected
			notes = append(notes, fmt.Sprintf("new code corrected from %s (not a current unit) to %s, the current %s in province %s", f.mapped, f.current, f.name, f.province))
		}
		newLevel := levelCommune
		if s.level == levelProvince {
			newLevel = levelProvince
		}
		newUnit, ok := byKey[key(editionCurrent, r.new)]
		if !ok || newUnit.level != newLevel {
			return nil, fmt.Errorf("mapping: %s → %s (%s): new code is not a current %s and no correction is known", s.old, s.new, s.newName, newLevel)
		}
		if s.level == levelProvince {
			ds.rows = append(ds.rows, r)
			continue
		}
		if mp := mergeProvince[s.new]; mp != newUnit.parent {
			return nil, fmt.Errorf("mapping: new commune %s is listed under province %s in merges.json but is in province %s", r.new, mp, newUnit.parent)
		}
		oldProvince := s.srcProvince
		if old, ok := byKey[key(editionThreeLevel, s.old)]; ok && old.level == s.level {
			if p := old.province(byKey); p != s.srcProvince {
				return nil, fmt.Errorf("mapping: old %s %s is listed under province %s in splits.json but is in province %s", s.level, s.old, s.srcProvince, p)
			}
		} else {
			r.status = statusOldUnlisted
			notes = append(notes, fmt.Sprintf("old %s %s (%s, province %s in the mapping) is not in the %s snapshot", s.level, s.old, s.oldName, s.srcProvince, editionThreeLevel))
		}
		if !slices.Contains(provTo[oldProvince], newUnit.parent) {
			r.status = statusRejected
			notes = append(notes, fmt.Sprintf("the successor %s (%s) is in province %s, but old province %s became %s; probably a name collision in the extraction", r.new, newUnit.fullName, newUnit.parent, oldProvince, strings.Join(provTo[oldProvince], ", ")))
		}
		r.note = strings.Join(notes, "; ")
		ds.rows = append(ds.rows, r)
	}
	slices.SortStableFunc(ds.rows, func(a, b row) int {
		return cmp.Or(cmp.Compare(len(a.old), len(b.old)), cmp.Compare(a.old, b.old), cmp.Compare(a.rank, b.rank))
	})

	// Report what was handled, per kind of issue.
	unlisted, rejected := map[string]bool{}, []row{}
	usable := map[string]int{} // old code → rows usable for roll-up
	hasPred := map[string]bool{}
	for _, r := range ds.rows {
		switch r.status {
		case statusOldUnlisted:
			unlisted[r.old] = true
		case statusRejected:
			rejected = append(rejected, r)
			continue
		}
		usable[r.old]++
		hasPred[r.new] = true
	}
	if len(unlisted) > 0 {
		codes := sortedKeys(unlisted)
		ds.issues = append(ds.issues, fmt.Sprintf("%d old codes in the mapping are not in the %s snapshot (probably merged between the snapshot and the reorganisation, or listed from older lists): %s; their rows are kept with status %s, so figures filed under them still roll up; the units themselves are not in the %s edition",
			len(codes), editionThreeLevel, strings.Join(codes, ", "), statusOldUnlisted, editionThreeLevel))
	}
	for _, r := range rejected {
		ds.issues = append(ds.issues, fmt.Sprintf("row %s → %s (status %s): %s", r.old, r.new, statusRejected, r.note))
	}
	for _, u := range ds.units {
		if u.edition == editionThreeLevel && u.level == levelCommune && usable[u.code] == 0 {
			ds.issues = append(ds.issues, fmt.Sprintf("old commune %s (%s) has no usable successor: at commune level its figures are reported as unattributed; at province level they go to the province its old province became", u.code, u.fullName))
		}
		if u.edition == editionThreeLevel && u.level == levelDistrict && usable[u.code] > 0 {
			ds.info = append(ds.info, fmt.Sprintf("old district %s (%s) had no communes and maps directly to new commune(s) in the mapping", u.code, u.fullName))
		}
		if u.edition == editionCurrent && u.level == levelCommune && !hasPred[u.code] {
			return nil, fmt.Errorf("current commune %s (%s) has no predecessor in the mapping", u.code, u.fullName)
		}
	}
	for _, code := range sortedKeys(mergeName) { // provinces and communes
		u, ok := byKey[key(editionCurrent, code)]
		if !ok {
			continue // corrected above
		}
		mk := ""
		for _, k := range kindsByPrefix {
			if strings.HasPrefix(mergeName[code], k+" ") {
				mk = k
				break
			}
		}
		if mk != "" && mk != u.kind {
			ds.info = append(ds.info, fmt.Sprintf("the mapping calls %s %q; the current data (to %s) calls it %q: the current edition carries kinds and names as of its data date", code, mergeName[code], currentDataAsOf, u.fullName))
		}
	}
	return ds, nil
}

func sortedKeys[V any](m map[string]V) []string {
	ks := make([]string, 0, len(m))
	for k := range m {
		ks = append(ks, k)
	}
	slices.Sort(ks)
	return ks
}
