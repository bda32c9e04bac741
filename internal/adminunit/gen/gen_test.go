package main

import (
	"bytes"
	"compress/gzip"
	"encoding/json"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

const mit = "MIT License\n\nCopyright (c) %s\n\nPermission is hereby granted...\n"

// fixture is a tiny world with one of each case the generator handles:
//
//	old provinces 01 and 03 → new 01; old 02 → new 02
//	00010 → 00010 (full); 00011 split between 00010 and 00020 (partial); 00012, 00013 → 00020
//	island district 003 (no communes) → 00030
//	00099: in the mapping (province 01) but not in the snapshot → 00030
//	00014 → 00040; 00015 → "00045", which is not a current unit: corrected to 00050
//	00017 (old province 02) → 00030 in new province 01: rejected
//	current 00030 is written "xã Z" in the source
func fixture() *sources {
	w := func(code, kind, name, prov string) curWard {
		return curWard{Type: "ward", Code: code, Name: name, FullName: kind + " " + name, ProvinceCode: prov, AdministrativeUnitShortName: kind}
	}
	pw := func(code, kind, name, dist string) preWard {
		return preWard{Code: code, Name: name, FullName: kind + " " + name, DistrictCode: dist}
	}
	s := &sources{licThang: []byte("x"), licDvhcvn: []byte("y")}
	s.current = []curProvince{
		{Type: "province", Code: "01", Name: "A", FullName: "Tỉnh A", AdministrativeUnitShortName: "Tỉnh", Wards: []curWard{
			w("00010", "Xã", "X", "01"), w("00020", "Phường", "Y", "01"),
			{Type: "ward", Code: "00030", Name: "Z", FullName: "xã Z", ProvinceCode: "01", AdministrativeUnitShortName: "Xã"},
		}},
		{Type: "province", Code: "02", Name: "B", FullName: "Tỉnh B", AdministrativeUnitShortName: "Tỉnh", Wards: []curWard{
			w("00040", "Xã", "W", "02"), w("00050", "Xã", "Fixed", "02"),
		}},
	}
	s.pre = []preProvince{
		{Code: "01", Name: "A", FullName: "Tỉnh A", District: []preDistrict{
			{Code: "001", Name: "D1", FullName: "Huyện D1", ProvinceCode: "01", Ward: []preWard{
				pw("00010", "Xã", "X", "001"), pw("00011", "Thị trấn", "T", "001"), pw("00012", "Xã", "U", "001")}},
		}},
		{Code: "02", Name: "B", FullName: "Tỉnh B", District: []preDistrict{
			{Code: "004", Name: "D4", FullName: "Thị xã D4", ProvinceCode: "02", Ward: []preWard{
				pw("00014", "Xã", "W", "004"), pw("00015", "Xã", "V", "004"), pw("00017", "Xã", "Q", "004")}},
		}},
		{Code: "03", Name: "C", FullName: "Tỉnh C", District: []preDistrict{
			{Code: "002", Name: "D2", FullName: "Quận D2", ProvinceCode: "03", Ward: []preWard{pw("00013", "Phường", "R", "002")}},
			{Code: "003", Name: "Đảo", FullName: "Huyện Đảo", ProvinceCode: "03"},
		}},
	}
	to := func(ids ...string) []splitTo {
		var out []splitTo
		for _, id := range ids {
			out = append(out, splitTo{NewID: id})
		}
		return out
	}
	from3 := func(old string, ids ...string) splitFrom { return splitFrom{Level3ID: old, Splits: to(ids...)} }
	type sp = struct {
		Level1ID string      `json:"level1_id"`
		Name     string      `json:"name"`
		Splits   []splitTo   `json:"splits"`
		Level2s  []splitFrom `json:"level2s"`
		Level3s  []splitFrom `json:"level3s"`
	}
	s.splits.Data = []sp{
		{Level1ID: "01", Splits: to("01"), Level3s: []splitFrom{from3("00010", "00010"), from3("00011", "00010", "00020"), from3("00012", "00020"), from3("00099", "00030")}},
		{Level1ID: "02", Splits: to("02"), Level3s: []splitFrom{from3("00014", "00040"), from3("00015", "00045"), from3("00017", "00030")}},
		{Level1ID: "03", Splits: to("01"), Level2s: []splitFrom{{Level2ID: "003", Splits: to("00030")}}, Level3s: []splitFrom{from3("00013", "00020")}},
	}
	m := func(old, typ string) mergeFrom { return mergeFrom{OldID: old, Type: typ} }
	type l2 = struct {
		Level2ID string      `json:"level2_id"`
		Name     string      `json:"name"`
		Merges   []mergeFrom `json:"merges"`
	}
	type mp = struct {
		Level1ID string      `json:"level1_id"`
		Name     string      `json:"name"`
		Merges   []mergeFrom `json:"merges"`
		Level2s  []l2        `json:"level2s"`
	}
	s.merges.Data = []mp{
		{Level1ID: "01", Merges: []mergeFrom{m("01", "full"), m("03", "full")}, Level2s: []l2{
			{Level2ID: "00010", Name: "Xã X", Merges: []mergeFrom{m("00010", "full"), m("00011", "partial")}},
			{Level2ID: "00020", Name: "Phường Y", Merges: []mergeFrom{m("00011", "partial"), m("00012", "full"), m("00013", "full")}},
			{Level2ID: "00030", Name: "Xã Z", Merges: []mergeFrom{m("003", "full"), m("00099", "full"), m("00017", "full")}},
		}},
		{Level1ID: "02", Merges: []mergeFrom{m("02", "full")}, Level2s: []l2{
			{Level2ID: "00040", Name: "Xã W", Merges: []mergeFrom{m("00014", "full")}},
			{Level2ID: "00045", Name: "Xã Fixed", Merges: []mergeFrom{m("00015", "full")}},
		}},
	}
	return s
}

var fixtureFixes = []codeFix{{mapped: "00045", current: "00050", province: "02", name: "Xã Fixed"}}

func TestBuild(t *testing.T) {
	ds, err := build(fixture(), fixtureFixes)
	if err != nil {
		t.Fatal(err)
	}
	if len(ds.units) != 2+5+3+4+7 { // current provinces, communes; old provinces, districts, communes
		t.Errorf("%d units", len(ds.units))
	}
	got := map[string]row{}
	for _, r := range ds.rows {
		got[r.old+">"+r.new] = r
	}
	for _, want := range []row{
		{old: "01", new: "01", full: true, rank: 1, status: statusOK},
		{old: "03", new: "01", full: true, rank: 1, status: statusOK},
		{old: "003", new: "00030", full: true, rank: 1, status: statusOK},
		{old: "00011", new: "00010", rank: 1, status: statusOK},
		{old: "00011", new: "00020", rank: 2, status: statusOK},
		{old: "00099", new: "00030", full: true, rank: 1, status: statusOldUnlisted},
		{old: "00015", new: "00050", full: true, rank: 1, status: statusCorrected},
		{old: "00017", new: "00030", full: true, rank: 1, status: statusRejected},
	} {
		r, ok := got[want.old+">"+want.new]
		r.note = ""
		if !ok || r != want {
			t.Errorf("row %s→%s = %+v (found %v), want %+v", want.old, want.new, r, ok, want)
		}
	}
	if len(ds.rows) != 3+10 {
		t.Errorf("%d rows, want 13", len(ds.rows))
	}
	for _, u := range ds.units {
		if u.code == "00030" && u.fullName != "Xã Z" {
			t.Errorf("lower-case kind not fixed: %q", u.fullName)
		}
		if u.code == "00011" && u.kind != "Thị trấn" || u.code == "004" && u.kind != "Thị xã" {
			t.Errorf("kind of %s = %q", u.code, u.kind)
		}
	}
	issues := strings.Join(ds.issues, "\n")
	for _, want := range []string{"xã Z", "00045", "00099", "00017 → 00030", "old commune 00017"} {
		if !strings.Contains(issues, want) {
			t.Errorf("issues do not mention %q:\n%s", want, issues)
		}
	}
}

func TestBuildRefuses(t *testing.T) {
	for _, tc := range []struct {
		name  string
		fixes []codeFix
		edit  func(*sources)
		want  string
	}{
		{"missing new code without a fix", nil, nil, "no correction is known"},
		{"stale fix", append(fixtureFixes, codeFix{mapped: "00077", current: "00040", province: "02", name: "Xã W"}), nil, "no longer applies"},
		{"fix to a wrong name", []codeFix{{mapped: "00045", current: "00050", province: "02", name: "Xã Other"}}, nil, "00050"},
		{"splits and merges disagree", fixtureFixes, func(s *sources) {
			s.merges.Data[0].Level2s[0].Merges = s.merges.Data[0].Level2s[0].Merges[:1]
		}, "disagree"},
		{"unknown kind", fixtureFixes, func(s *sources) {
			s.pre[0].District[0].Ward[0].FullName = "Ấp X"
		}, "kind"},
		{"bad type", fixtureFixes, func(s *sources) { s.merges.Data[1].Level2s[0].Merges[0].Type = "most" }, "type"},
		{"tab in a name", fixtureFixes, func(s *sources) { s.current[0].Wards[0].Name = "X\tY" }, "tab"},
	} {
		s := fixture()
		if tc.edit != nil {
			tc.edit(s)
		}
		if _, err := build(s, tc.fixes); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: error %v, want one mentioning %q", tc.name, err, tc.want)
		}
	}
}

// TestRoundTrip writes the fixture as source files, reads them back, builds and writes the
// output, and checks the output files.
func TestRoundTrip(t *testing.T) {
	src, out := t.TempDir(), t.TempDir()
	f := fixture()
	for name, v := range map[string]any{fileCurrent: f.current, filePre: f.pre, fileSplits: f.splits, fileMerges: f.merges} {
		b, err := json.Marshal(v)
		if err != nil {
			t.Fatal(err)
		}
		writeFile(t, filepath.Join(src, name), b)
	}
	writeFile(t, filepath.Join(src, fileCurrentLic), []byte(strings.Replace(mit, "%s", "2021 Thang Le Quoc", 1)))
	writeFile(t, filepath.Join(src, filePreLic), []byte(strings.Replace(mit, "%s", "2021 Thang Le Quoc", 1)))
	writeFile(t, filepath.Join(src, fileMappingLic), []byte(strings.Replace(mit, "%s", "2025 dvhcvn", 1)))

	in, err := readSources(src)
	if err != nil {
		t.Fatal(err)
	}
	ds, err := build(in, fixtureFixes)
	if err != nil {
		t.Fatal(err)
	}
	if err := write(out, ds, in); err != nil {
		t.Fatal(err)
	}
	units := gunzip(t, filepath.Join(out, outUnits))
	if !strings.HasPrefix(units, headUnits+"\n2025-07-01\t01\tprovince\tTỉnh\tA\tTỉnh A\t\t\t\t2025-07-01\t\n") ||
		!strings.Contains(units, "\n2025-03-01\t00011\tcommune\tThị trấn\tT\tThị trấn T\t\t\t001\t\t2025-06-30\n") {
		t.Errorf("units file:\n%s", units)
	}
	succ := gunzip(t, filepath.Join(out, outSuccessions))
	if !strings.HasPrefix(succ, headSuccessions+"\n01\t01\t1\t1\tok\t\n") || !strings.Contains(succ, "\n00011\t00020\t0\t2\tok\t\n") ||
		!strings.Contains(succ, "\n00017\t00030\t1\t1\trejected\t") {
		t.Errorf("successions file:\n%s", succ)
	}
	lic, _ := os.ReadFile(filepath.Join(out, outLicDvhcvn))
	readme, _ := os.ReadFile(filepath.Join(out, outReadme))
	if !bytes.Contains(lic, []byte("2025 dvhcvn")) || !bytes.Contains(readme, []byte("-src <admin-units-dir>")) {
		t.Errorf("licence %q, readme %q", lic, readme)
	}
	if bytes.Contains(readme, []byte(src)) {
		t.Error("README.md contains the source path")
	}

	// Different licences for the two thanglequoc folders are refused.
	writeFile(t, filepath.Join(src, filePreLic), []byte("other"))
	if _, err := readSources(src); err == nil {
		t.Error("readSources accepted differing licences")
	}
}

func writeFile(t *testing.T, path string, b []byte) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, b, 0o644); err != nil {
		t.Fatal(err)
	}
}

func gunzip(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	zr, err := gzip.NewReader(bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	out, err := io.ReadAll(zr)
	if err != nil {
		t.Fatal(err)
	}
	return string(out)
}
