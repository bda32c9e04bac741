package adminunit

import (
	"bytes"
	"compress/gzip"
	"errors"
	"slices"
	"strings"
	"testing"
)

func TestLoadCounts(t *testing.T) {
	r := registry(t)
	count := map[Edition]map[Level]int{}
	seen := map[ID]bool{}
	var prev *Unit
	for u := range r.Units() {
		if count[u.Edition] == nil {
			count[u.Edition] = map[Level]int{}
		}
		count[u.Edition][u.Level]++
		if seen[u.ID()] {
			t.Errorf("unit %s yielded twice", u.ID())
		}
		seen[u.ID()] = true
		if p := u.ParentID(); !p.IsZero() && !seen[p] {
			t.Errorf("unit %s yielded before its parent %s", u.ID(), p)
		}
		if u.FullName != u.Kind+" "+u.Name || u.ValidOn(u.ValidFrom.AddDays(-1)) && !u.ValidFrom.IsZero() {
			t.Errorf("unit %s: kind %q name %q full name %q valid from %s", u.ID(), u.Kind, u.Name, u.FullName, u.ValidFrom)
		}
		if prev != nil && compareUnits(prev, &u) >= 0 {
			t.Errorf("units out of order: %s then %s", prev.ID(), u.ID())
		}
		prev = &u
	}
	want := map[Edition]map[Level]int{
		EditionCurrent:    {LevelProvince: 34, LevelCommune: 3321},
		EditionThreeLevel: {LevelProvince: 63, LevelDistrict: 696, LevelCommune: 10035},
	}
	for e, m := range want {
		for l, n := range m {
			if count[e][l] != n {
				t.Errorf("edition %s: %d %s units, want %d", e, count[e][l], l, n)
			}
		}
	}
	if len(seen) != 34+3321+63+696+10035 {
		t.Errorf("%d units in all", len(seen))
	}

	status := map[Status]int{}
	full, rows := 0, 0
	for s := range r.Successions() {
		rows++
		status[s.Status]++
		if s.Full {
			full++
		}
	}
	// 63 province rows + 10,599 commune rows + 5 island-district rows.
	if rows != 10667 || full != 9655 {
		t.Errorf("%d succession rows (%d full), want 10667 (9655 full)", rows, full)
	}
	wantStatus := map[Status]int{StatusOK: 10648, StatusCorrected: 6, StatusOldUnlisted: 12, StatusRejected: 1}
	for s, n := range wantStatus {
		if status[s] != n {
			t.Errorf("%d rows with status %s, want %d", status[s], s, n)
		}
	}
}

func TestHaTinh(t *testing.T) {
	r := registry(t)
	before, after := day(t, "2024-06-01"), day(t, "2025-08-01")

	p, err := r.UnitOn("42", before)
	if err != nil || p.ID() != mustID(t, "42@2025-03-01") || p.FullName != "Tỉnh Hà Tĩnh" || p.Kind != "Tỉnh" {
		t.Fatalf("UnitOn(42, %s) = %+v, %v", before, p, err)
	}
	// The 2025-03-01 snapshot has 12 district-level units. Hà Tĩnh had 13 until Huyện Lộc Hà
	// (448) was merged into Huyện Thạch Hà (445) early in 2025; the snapshot is what the data
	// holds for every date before 2025-07-01 (see the package documentation).
	ds, err := r.ChildrenOn("42", before)
	if err != nil {
		t.Fatal(err)
	}
	equalStrings(t, "districts of 42 on 2024-06-01", codesOf(ds),
		[]string{"436", "437", "439", "440", "441", "442", "443", "444", "445", "446", "447", "449"})
	if k := countKinds(ds); k["Thành phố"] != 1 || k["Thị xã"] != 2 || k["Huyện"] != 9 {
		t.Errorf("kinds of Hà Tĩnh's districts = %v", k)
	}
	if ds[0].FullName != "Thành phố Hà Tĩnh" || ds[0].ParentCode != "42" || ds[0].Level != LevelDistrict {
		t.Errorf("first district = %+v", ds[0])
	}
	if _, err := r.UnitOn("448", before); !errors.Is(err, ErrNotFound) {
		t.Errorf("Huyện Lộc Hà (448) should not be in the snapshot: %v", err)
	}
	communes := 0
	for _, d := range ds {
		cs, err := r.Children(d.ID())
		if err != nil {
			t.Fatal(err)
		}
		for _, c := range cs {
			if c.ProvinceCode != "42" || c.ParentCode != d.Code || c.Level != LevelCommune {
				t.Errorf("commune %s of %s: %+v", c.ID(), d.ID(), c)
			}
		}
		communes += len(cs)
	}
	if communes != 209 {
		t.Errorf("Hà Tĩnh had %d communes in the snapshot, want 209", communes)
	}

	p, err = r.UnitOn("42", after)
	if err != nil || p.ID() != mustID(t, "42@2025-07-01") || p.FullName != "Tỉnh Hà Tĩnh" {
		t.Fatalf("UnitOn(42, %s) = %+v, %v", after, p, err)
	}
	cs, err := r.ChildrenOn("42", after)
	if err != nil {
		t.Fatal(err)
	}
	if len(cs) != 69 {
		t.Errorf("Hà Tĩnh has %d communes after the reform, want 69", len(cs))
	}
	if k := countKinds(cs); k["Xã"] != 60 || k["Phường"] != 9 {
		t.Errorf("kinds of Hà Tĩnh's communes = %v, want 60 Xã and 9 Phường", k)
	}
	for _, c := range cs {
		if c.Edition != EditionCurrent || c.ParentCode != "42" || c.Level != LevelCommune {
			t.Errorf("child %+v", c)
		}
	}

	// The province keeps its code and has itself as its only predecessor.
	succ, err := r.Successors(mustID(t, "42@2025-03-01"))
	if err != nil {
		t.Fatal(err)
	}
	equalStrings(t, "successors of 42@2025-03-01", newIDs(succ), []string{"42@2025-07-01"})
	pred, _ := r.Predecessors(mustID(t, "42@2025-07-01"))
	equalStrings(t, "predecessors of 42@2025-07-01", oldIDs(pred), []string{"42@2025-03-01"})

	// Communes: Xã Thịnh Lộc (18421) went into Xã Lộc Hà, which took over the code of the old
	// Thị trấn Lộc Hà (18568).
	succ, _ = r.Successors(mustID(t, "18421@2025-03-01"))
	if len(succ) != 1 || succ[0].New != mustID(t, "18568@2025-07-01") || !succ[0].Full || succ[0].Rank != 1 {
		t.Errorf("successors of Xã Thịnh Lộc = %+v", succ)
	}
	if u, _ := r.Unit(mustID(t, "18568@2025-03-01")); u.FullName != "Thị trấn Lộc Hà" {
		t.Errorf("18568@2025-03-01 = %q", u.FullName)
	}
	if u, _ := r.Unit(mustID(t, "18568@2025-07-01")); u.FullName != "Xã Lộc Hà" {
		t.Errorf("18568@2025-07-01 = %q", u.FullName)
	}
	pred, _ = r.Predecessors(mustID(t, "18568@2025-07-01"))
	equalStrings(t, "predecessors of Xã Lộc Hà", oldIDs(pred),
		[]string{"18421@2025-03-01", "18430@2025-03-01", "18448@2025-03-01", "18568@2025-03-01", "18580@2025-03-01"})

	// A name trap: the old Phường Hà Huy Tập (18085) went into Phường Thành Sen (18073); the new
	// Phường Hà Huy Tập has another code (18652).
	succ, _ = r.Successors(mustID(t, "18085@2025-03-01"))
	equalStrings(t, "successors of old Phường Hà Huy Tập", newIDs(succ), []string{"18073@2025-07-01"})
	if u, _ := r.Unit(mustID(t, "18652@2025-07-01")); u.FullName != "Phường Hà Huy Tập" {
		t.Errorf("18652@2025-07-01 = %q", u.FullName)
	}

	// A split commune: Phường Đại Nài (18082) was divided between Thành Sen and Hà Huy Tập.
	succ, _ = r.Successors(mustID(t, "18082@2025-03-01"))
	equalStrings(t, "successors of Phường Đại Nài", newIDs(succ), []string{"18073@2025-07-01", "18652@2025-07-01"})
	for _, s := range succ {
		if s.Full {
			t.Errorf("split row %+v marked full", s)
		}
	}
	if got, err := r.Target(mustID(t, "18082@2025-03-01"), LevelCommune); err != nil || got != mustID(t, "18073@2025-07-01") {
		t.Errorf("Target(Đại Nài, commune) = %v, %v; want the first listed successor 18073", got, err)
	}
}

func TestHauGiang(t *testing.T) {
	r := registry(t)
	before, after := day(t, "2024-06-01"), day(t, "2025-08-01")

	ds, err := r.ChildrenOn("93", before)
	if err != nil {
		t.Fatal(err)
	}
	equalStrings(t, "districts of 93", codesOf(ds), []string{"930", "931", "932", "933", "934", "935", "936", "937"})
	if ds[0].FullName != "Thành phố Vị Thanh" || ds[7].FullName != "Thị xã Long Mỹ" || ds[6].FullName != "Huyện Long Mỹ" {
		t.Errorf("districts = %v, %v, %v", ds[0].FullName, ds[6].FullName, ds[7].FullName)
	}
	var old []Unit
	for _, d := range ds {
		cs, _ := r.Children(d.ID())
		old = append(old, cs...)
	}
	if len(old) != 75 {
		t.Errorf("Hậu Giang had %d communes, want 75", len(old))
	}

	// On 2025-08-01 province 93 does not exist any more: a clear not-found error that points to
	// the old unit.
	_, err = r.ChildrenOn("93", after)
	if !errors.Is(err, ErrNotFound) {
		t.Fatalf("ChildrenOn(93, %s) error = %v, want ErrNotFound", after, err)
	}
	for _, part := range []string{"93", "2025-08-01", "93@2025-03-01", "Tỉnh Hậu Giang", "ended on 2025-06-30"} {
		if !strings.Contains(err.Error(), part) {
			t.Errorf("error %q does not mention %q", err, part)
		}
	}

	// 93 → 92, wholly.
	succ, err := r.Successors(mustID(t, "93@2025-03-01"))
	if err != nil || len(succ) != 1 || succ[0].New != mustID(t, "92@2025-07-01") || !succ[0].Full {
		t.Errorf("successors of 93 = %+v, %v", succ, err)
	}
	pred, _ := r.Predecessors(mustID(t, "92@2025-07-01"))
	equalStrings(t, "predecessors of 92", oldIDs(pred), []string{"92@2025-03-01", "93@2025-03-01", "94@2025-03-01"})

	// Today's Cần Thơ: 103 communes, among them every successor of a Hậu Giang commune.
	cs, err := r.ChildrenOn("92", after)
	if err != nil {
		t.Fatal(err)
	}
	if len(cs) != 103 {
		t.Errorf("Cần Thơ has %d communes, want 103", len(cs))
	}
	if k := countKinds(cs); k["Phường"] != 31 || k["Xã"] != 72 {
		t.Errorf("kinds of Cần Thơ's communes = %v", k)
	}
	inCanTho := map[ID]bool{}
	for _, c := range cs {
		inCanTho[c.ID()] = true
	}
	fromHauGiang := map[ID]bool{}
	for _, o := range old {
		succ, err := r.Successors(o.ID())
		if err != nil || len(succ) == 0 {
			t.Errorf("Hậu Giang commune %s (%s): successors %v, %v", o.ID(), o.FullName, succ, err)
		}
		for _, s := range succ {
			fromHauGiang[s.New] = true
			if !inCanTho[s.New] {
				t.Errorf("successor %s of %s is not a commune of Cần Thơ", s.New, o.ID())
			}
		}
	}
	if len(fromHauGiang) != 29 {
		t.Errorf("%d communes of Cần Thơ come (partly) from Hậu Giang, want 29", len(fromHauGiang))
	}

	// Phường I of Vị Thanh → Phường Vị Thanh, with Phường III and Phường VII.
	succ, _ = r.Successors(mustID(t, "31318@2025-03-01"))
	if len(succ) != 1 || succ[0].New != mustID(t, "31321@2025-07-01") || !succ[0].Full {
		t.Errorf("successors of Phường I = %+v", succ)
	}
	if u, _ := r.Unit(mustID(t, "31318@2025-03-01")); u.FullName != "Phường I" || u.ParentCode != "930" || u.ProvinceCode != "93" {
		t.Errorf("31318@2025-03-01 = %+v", u)
	}
	if u, _ := r.Unit(mustID(t, "31321@2025-07-01")); u.FullName != "Phường Vị Thanh" || u.ParentCode != "92" {
		t.Errorf("31321@2025-07-01 = %+v", u)
	}
	pred, _ = r.Predecessors(mustID(t, "31321@2025-07-01"))
	equalStrings(t, "predecessors of Phường Vị Thanh", oldIDs(pred), []string{"31318@2025-03-01", "31321@2025-03-01", "31330@2025-03-01"})

	// A Hậu Giang commune split in two: Xã Phú Tân (31379) → Xã Phú Hữu (31378), Xã Thuận Hoà (31582).
	succ, _ = r.Successors(mustID(t, "31379@2025-03-01"))
	equalStrings(t, "successors of Xã Phú Tân", newIDs(succ), []string{"31378@2025-07-01", "31582@2025-07-01"})
	if len(succ) == 2 && (succ[0].Full || succ[1].Full || succ[0].Rank != 1 || succ[1].Rank != 2) {
		t.Errorf("rows = %+v", succ)
	}
}

func TestBoundaryDates(t *testing.T) {
	r := registry(t)
	last, first := day(t, "2025-06-30"), day(t, "2025-07-01")

	for _, tc := range []struct {
		code     string
		on       Date
		wantID   string
		wantName string
	}{
		{"00004", last, "00004@2025-03-01", "Phường Trúc Bạch"},
		{"00004", first, "00004@2025-07-01", "Phường Ba Đình"},
		{"93", last, "93@2025-03-01", "Tỉnh Hậu Giang"},
		{"92", last, "92@2025-03-01", "Thành phố Cần Thơ"},
		{"92", first, "92@2025-07-01", "Thành phố Cần Thơ"},
		{"930", last, "930@2025-03-01", "Thành phố Vị Thanh"},
	} {
		u, err := r.UnitOn(tc.code, tc.on)
		if err != nil || u.ID().String() != tc.wantID || u.FullName != tc.wantName {
			t.Errorf("UnitOn(%s, %s) = %s %q, %v; want %s %q", tc.code, tc.on, u.ID(), u.FullName, err, tc.wantID, tc.wantName)
		}
		if !u.ValidOn(tc.on) {
			t.Errorf("%s not ValidOn(%s)", u.ID(), tc.on)
		}
	}
	for _, code := range []string{"93", "930", "31318"} {
		if _, err := r.UnitOn(code, first); !errors.Is(err, ErrNotFound) {
			t.Errorf("UnitOn(%s, %s) = %v, want ErrNotFound", code, first, err)
		}
	}
	// 06978 (Xã Ba Chẽ) exists only from 2025-07-01.
	if _, err := r.UnitOn("06978", last); !errors.Is(err, ErrNotFound) || !strings.Contains(err.Error(), "valid from 2025-07-01") {
		t.Errorf("UnitOn(06978, %s) = %v", last, err)
	}
	if n := len(r.Provinces(last)); n != 63 {
		t.Errorf("%d provinces on %s, want 63", n, last)
	}
	if n := len(r.Provinces(first)); n != 34 {
		t.Errorf("%d provinces on %s, want 34", n, first)
	}
	if ps := r.Provinces(Date{}); ps != nil {
		t.Errorf("Provinces(zero) = %d units", len(ps))
	}
	if ds, _ := r.ChildrenOn("42", last); len(ds) != 12 || ds[0].Level != LevelDistrict {
		t.Errorf("ChildrenOn(42, %s) = %d units", last, len(ds))
	}
	if cs, _ := r.ChildrenOn("42", first); len(cs) != 69 || cs[0].Level != LevelCommune {
		t.Errorf("ChildrenOn(42, %s) = %d units", first, len(cs))
	}
	// Validity fields as documented.
	u, _ := r.UnitOn("42", last)
	if !u.ValidFrom.IsZero() || u.ValidTo != last || u.ValidOn(first) {
		t.Errorf("three-level validity %s..%s", u.ValidFrom, u.ValidTo)
	}
	u, _ = r.UnitOn("42", first)
	if u.ValidFrom != first || !u.ValidTo.IsZero() || u.ValidOn(last) || !u.ValidOn(day(t, "2099-01-01")) {
		t.Errorf("current validity %s..%s", u.ValidFrom, u.ValidTo)
	}
}

func TestProvinces(t *testing.T) {
	r := registry(t)
	ps := r.Provinces(day(t, "2025-08-01"))
	if ps[0].Code != "01" || ps[0].FullName != "Thành phố Hà Nội" || ps[len(ps)-1].Code != "96" {
		t.Errorf("first/last province = %s, %s", ps[0].FullName, ps[len(ps)-1].Code)
	}
	codes := map[string]bool{}
	for _, p := range ps {
		codes[p.Code] = true
		if p.Level != LevelProvince || p.ParentCode != "" || p.ProvinceCode != p.Code {
			t.Errorf("province %+v", p)
		}
	}
	if !codes["42"] || !codes["92"] || codes["93"] || codes["94"] {
		t.Errorf("provinces after the reform: 42 %v, 92 %v, 93 %v, 94 %v", codes["42"], codes["92"], codes["93"], codes["94"])
	}
}

func TestUnknownAndInvalid(t *testing.T) {
	r := registry(t)
	on := day(t, "2025-08-01")
	for _, tc := range []struct {
		name string
		err  error
		want error
	}{
		{"UnitOn unknown province", second(r.UnitOn("99", on)), ErrNotFound},
		{"UnitOn unknown commune", second(r.UnitOn("99999", on)), ErrNotFound},
		{"UnitOn district after reform", second(r.UnitOn("436", on)), ErrNotFound},
		{"UnitOn malformed code", second(r.UnitOn("4", on)), ErrInvalid},
		{"UnitOn letters", second(r.UnitOn("ha", on)), ErrInvalid},
		{"UnitOn zero date", second(r.UnitOn("42", Date{})), ErrInvalid},
		{"ChildrenOn unknown", second(r.ChildrenOn("99", on)), ErrNotFound},
		{"ChildrenOn malformed", second(r.ChildrenOn("", on)), ErrInvalid},
		{"Unit unknown", second(r.Unit(ID{"99999", EditionCurrent})), ErrNotFound},
		{"Unit zero ID", second(r.Unit(ID{})), ErrInvalid},
		{"Unit bad edition", second(r.Unit(ID{"42", "2020-01-01"})), ErrInvalid},
		{"Children unknown", second(r.Children(ID{"99", EditionThreeLevel})), ErrNotFound},
		{"Successors unknown", second(r.Successors(ID{"99999", EditionThreeLevel})), ErrNotFound},
		{"Successors of a current unit", second(r.Successors(ID{"42", EditionCurrent})), ErrInvalid},
		{"Predecessors unknown", second(r.Predecessors(ID{"99999", EditionCurrent})), ErrNotFound},
		{"Predecessors of an old unit", second(r.Predecessors(ID{"42", EditionThreeLevel})), ErrInvalid},
		{"Predecessors of a gone unit", second(r.Predecessors(ID{"06970", EditionCurrent})), ErrNotFound},
	} {
		if !errors.Is(tc.err, tc.want) {
			t.Errorf("%s: error %v, want %v", tc.name, tc.err, tc.want)
		}
	}
	// A commune has no children; an old district has no successors (districts were abolished).
	if cs, err := r.Children(mustID(t, "31318@2025-03-01")); err != nil || len(cs) != 0 {
		t.Errorf("children of a commune = %v, %v", cs, err)
	}
	if s, err := r.Successors(mustID(t, "930@2025-03-01")); err != nil || len(s) != 0 {
		t.Errorf("successors of a district = %v, %v", s, err)
	}
}

func second[T any](_ T, err error) error { return err }

// TestMappingIssues pins down how each inconsistency of the machine-extracted mapping is handled.
func TestMappingIssues(t *testing.T) {
	r := registry(t)
	rowsOf := func(old string) []Succession {
		var out []Succession
		for s := range r.Successions() {
			if s.Old.Code == old {
				out = append(out, s)
			}
		}
		return out
	}

	// Corrected new code: the mapping says 06970 for the new Xã Ba Chẽ, the current data 06978.
	pred, err := r.Predecessors(mustID(t, "06978@2025-07-01"))
	if err != nil {
		t.Fatal(err)
	}
	equalStrings(t, "predecessors of Xã Ba Chẽ", oldIDs(pred),
		[]string{"06886@2025-03-01", "06970@2025-03-01", "06973@2025-03-01", "06982@2025-03-01", "06988@2025-03-01"})
	for _, s := range pred {
		if s.Status != StatusCorrected || !strings.Contains(s.Note, "06970") {
			t.Errorf("row %+v", s)
		}
	}
	// ... and 23737 for the new Xã Ia Mơ, which the current data keeps as 23938.
	succ, _ := r.Successors(mustID(t, "23938@2025-03-01"))
	if len(succ) != 1 || succ[0].New != mustID(t, "23938@2025-07-01") || succ[0].Status != StatusCorrected {
		t.Errorf("successors of old Xã Ia Mơ = %+v", succ)
	}

	// Old codes missing from the snapshot: kept, usable, but not units.
	unlisted := map[string]bool{}
	for s := range r.Successions() {
		if s.Status == StatusOldUnlisted {
			unlisted[s.Old.Code] = true
			if _, err := r.Unit(s.Old); !errors.Is(err, ErrNotFound) || !strings.Contains(err.Error(), "mapping") {
				t.Errorf("Unit(%s) = %v", s.Old, err)
			}
		}
	}
	if len(unlisted) != 12 || !unlisted["18448"] {
		t.Errorf("old-unlisted codes = %v", unlisted)
	}
	succ, err = r.Successors(mustID(t, "18448@2025-03-01")) // Xã Bình Lộc, Hà Tĩnh
	if err != nil || len(succ) != 1 || succ[0].New != mustID(t, "18568@2025-07-01") || succ[0].Status != StatusOldUnlisted {
		t.Errorf("successors of 18448 = %+v, %v", succ, err)
	}

	// Rejected: An Giang's Xã Tân Phú (30622) mapped to Đồng Tháp's Xã Tân Phú Trung.
	rows := rowsOf("30622")
	if len(rows) != 1 || rows[0].Status != StatusRejected || rows[0].Usable() || rows[0].New != mustID(t, "30259@2025-07-01") {
		t.Errorf("rows of 30622 = %+v", rows)
	}
	if succ, err := r.Successors(mustID(t, "30622@2025-03-01")); err != nil || len(succ) != 0 {
		t.Errorf("Successors(30622) = %+v, %v; want none", succ, err)
	}
	pred, _ = r.Predecessors(mustID(t, "30259@2025-07-01"))
	for _, s := range pred {
		if s.Old.Code == "30622" {
			t.Error("the rejected row is among the predecessors of 30259")
		}
	}

	// Island districts without communes map to their special zone.
	succ, _ = r.Successors(mustID(t, "755@2025-03-01"))
	if len(succ) != 1 || succ[0].New != mustID(t, "26732@2025-07-01") || !succ[0].Full {
		t.Errorf("successors of Huyện Côn Đảo = %+v", succ)
	}
	if u, _ := r.Unit(mustID(t, "26732@2025-07-01")); u.Kind != "Đặc khu" || u.ProvinceCode != "79" {
		t.Errorf("26732@2025-07-01 = %+v", u)
	}

	// The lower-case kind in the source is stored capitalised.
	if u, _ := r.Unit(mustID(t, "06325@2025-07-01")); u.FullName != "Xã Bắc Sơn" {
		t.Errorf("06325@2025-07-01 = %q", u.FullName)
	}
}

// TestMappingInvariants checks the whole mapping, not just samples.
func TestMappingInvariants(t *testing.T) {
	r := registry(t)
	for u := range r.Units() {
		id := u.ID()
		switch {
		case u.Edition == EditionCurrent:
			if pred, err := r.Predecessors(id); err != nil || len(pred) == 0 {
				t.Errorf("%s (%s) has no predecessor: %v", id, u.FullName, err)
			}
		case u.Level == LevelProvince:
			succ, _ := r.Successors(id)
			if len(succ) != 1 || !succ[0].Full {
				t.Errorf("old province %s: successors %+v", id, succ)
			}
		case u.Level == LevelCommune:
			succ, _ := r.Successors(id)
			if len(succ) == 0 && id.Code != "30622" {
				t.Errorf("old commune %s (%s) has no successor", id, u.FullName)
			}
			// Successors stay within the province the old province became.
			prov, _ := r.Successors(ID{u.ProvinceCode, EditionThreeLevel})
			for _, s := range succ {
				c, err := r.Unit(s.New)
				if err != nil || c.Level != LevelCommune || c.ProvinceCode != prov[0].New.Code {
					t.Errorf("%s → %s: %+v, %v; want a commune of %s", id, s.New, c, err, prov[0].New)
				}
			}
			if len(succ) > 1 {
				for i, s := range succ {
					if s.Rank != i+1 {
						t.Errorf("%s: ranks %+v", id, succ)
					}
				}
			}
		}
	}
}

func TestParseRejectsInconsistentData(t *testing.T) {
	ub, err := dataFS.ReadFile(fileUnits)
	if err != nil {
		t.Fatal(err)
	}
	sb, _ := dataFS.ReadFile(fileSuccessions)
	if _, err := parse(ub, sb); err != nil {
		t.Fatalf("parse of the embedded data: %v", err)
	}
	lines, _ := gunzipLines(fileUnits, ub, headUnits)
	rows, _ := gunzipLines(fileSuccessions, sb, headSuccessions)
	isUnit := func(code, edition string) func([]string) bool {
		return func(f []string) bool { return f[0] == edition && f[1] == code }
	}
	isRow := func(old, new string) func([]string) bool {
		return func(f []string) bool { return f[0] == old && f[1] == new }
	}
	for _, tc := range []struct {
		name         string
		units, succs []string
		want         string
	}{
		{"duplicate unit", append(slices.Clone(lines), lines[0]), rows, "duplicate"},
		{"orphan commune", setField(lines, isUnit("00004", "2025-07-01"), 8, "77"), rows, "parent"},
		{"commune under a province before the reform", setField(lines, isUnit("00004", "2025-03-01"), 8, "01"), rows, "parent"},
		{"wrong validity", setField(lines, isUnit("42", "2025-03-01"), 10, "2025-07-31"), rows, "validity"},
		{"level and code disagree", setField(lines, isUnit("42", "2025-07-01"), 2, "commune"), rows, "level"},
		{"full name not kind + name", setField(lines, isUnit("42", "2025-07-01"), 5, "tỉnh Hà Tĩnh"), rows, "full name"},
		{"unknown new unit", lines, setField(rows, isRow("00004", "00004"), 1, "00005"), "not a current"},
		{"bad status", lines, setField(rows, isRow("00004", "00004"), 4, "fine"), "status"},
		{"unlisted old unit that exists", lines, setField(rows, isRow("00004", "00004"), 4, "old-unlisted"), "status"},
		{"province with two successors", lines, append(slices.Clone(rows), "93\t91\t1\t2\tok\t"), "successors"},
		{"current unit without predecessor", lines, dropRows(rows, func(f []string) bool { return f[1] == "31321" }), "predecessor"},
		{"wrong field count", lines, append(slices.Clone(rows), "93\t91"), "fields"},
	} {
		ugz := gz(t, headUnits+"\n"+strings.Join(tc.units, "\n")+"\n")
		sgz := gz(t, headSuccessions+"\n"+strings.Join(tc.succs, "\n")+"\n")
		if _, err := parse(ugz, sgz); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: parse error %v, want one mentioning %q", tc.name, err, tc.want)
		}
	}
	if _, err := parse(gz(t, "nonsense\n"), sb); err == nil || !strings.Contains(err.Error(), "header") {
		t.Errorf("bad header: %v", err)
	}
	if _, err := parse([]byte("not gzip"), sb); err == nil {
		t.Error("parse accepted data that is not gzip")
	}
}

// setField returns a copy of TSV lines with field i replaced in the lines that match.
func setField(lines []string, match func([]string) bool, i int, v string) []string {
	out := slices.Clone(lines)
	for k, l := range out {
		if f := strings.Split(l, "\t"); match(f) {
			f[i] = v
			out[k] = strings.Join(f, "\t")
		}
	}
	return out
}

func dropRows(lines []string, match func([]string) bool) []string {
	return slices.DeleteFunc(slices.Clone(lines), func(l string) bool { return match(strings.Split(l, "\t")) })
}

func gz(t *testing.T, s string) []byte {
	t.Helper()
	var b bytes.Buffer
	zw := gzip.NewWriter(&b)
	if _, err := zw.Write([]byte(s)); err != nil {
		t.Fatal(err)
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}
