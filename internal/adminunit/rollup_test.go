package adminunit

import (
	"errors"
	"maps"
	"strings"
	"testing"
)

// canThoFigures mixes units of both editions. The expected totals below are worked out by hand
// from the data:
//
//	31318@2025-03-01 Phường I (Hậu Giang, TP Vị Thanh)  →  31321 Phường Vị Thanh           10
//	31379@2025-03-01 Xã Phú Tân (Hậu Giang), split      →  31378 Xã Phú Hữu (first listed)   7
//	930@2025-03-01   Thành phố Vị Thanh (a district)    →  province 92 only                100
//	31498@2025-03-01 Phường 5 (TP Sóc Trăng)            →  31507 Phường Sóc Trăng            5
//	31117@2025-03-01 Phường Cái Khế (Cần Thơ, old)      →  31120 Phường Cái Khế (new code)   3
//	31321@2025-07-01 Phường Vị Thanh (new)              →  itself                         1000
//	94@2025-03-01    Tỉnh Sóc Trăng                     →  province 92 only              50000
//	92@2025-03-01    Thành phố Cần Thơ (old)            →  province 92 only             300000
//	92@2025-07-01    Thành phố Cần Thơ (new)            →  province 92 only              20000
//	18421@2025-03-01 Xã Thịnh Lộc (Hà Tĩnh)             →  18568 Xã Lộc Hà, province 42      4
//	42@2025-03-01    Tỉnh Hà Tĩnh (old)                 →  province 42 only                 40
//	00004@2025-03-01 Phường Trúc Bạch (Hà Nội)          →  00004 Phường Ba Đình              1
//	00004@2025-07-01 Phường Ba Đình                     →  itself                            2
func canThoFigures(t *testing.T) map[ID]int64 {
	in := map[string]int64{
		"31318@2025-03-01": 10,
		"31379@2025-03-01": 7,
		"930@2025-03-01":   100,
		"31498@2025-03-01": 5,
		"31117@2025-03-01": 3,
		"31321@2025-07-01": 1000,
		"94@2025-03-01":    50000,
		"92@2025-03-01":    300000,
		"92@2025-07-01":    20000,
		"18421@2025-03-01": 4,
		"42@2025-03-01":    40,
		"00004@2025-03-01": 1,
		"00004@2025-07-01": 2,
	}
	out := make(map[ID]int64, len(in))
	for k, v := range in {
		out[mustID(t, k)] = v
	}
	return out
}

func byString(t *testing.T, m map[ID]int64) map[string]int64 {
	out := make(map[string]int64, len(m))
	for k, v := range m {
		out[k.String()] = v
	}
	return out
}

func TestRollUpProvince(t *testing.T) {
	r := registry(t)
	res, err := r.RollUp(canThoFigures(t), LevelProvince)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]int64{
		"92@2025-07-01": 10 + 7 + 100 + 5 + 3 + 1000 + 50000 + 300000 + 20000, // 371125
		"42@2025-07-01": 4 + 40,
		"01@2025-07-01": 1 + 2,
	}
	if got := byString(t, res.Totals); !maps.Equal(got, want) {
		t.Errorf("province totals = %v, want %v", got, want)
	}
	if len(res.Unattributed) != 0 || res.Level != LevelProvince {
		t.Errorf("unattributed at province level = %v", res.Unattributed)
	}
	if res.Sum() != 371125+44+3 {
		t.Errorf("Sum = %d", res.Sum())
	}
}

func TestRollUpCommune(t *testing.T) {
	r := registry(t)
	res, err := r.RollUp(canThoFigures(t), LevelCommune)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]int64{
		"31321@2025-07-01": 10 + 1000,
		"31378@2025-07-01": 7, // the whole figure of the split Xã Phú Tân, nothing to 31582
		"31507@2025-07-01": 5,
		"31120@2025-07-01": 3,
		"18568@2025-07-01": 4,
		"00004@2025-07-01": 1 + 2,
	}
	if got := byString(t, res.Totals); !maps.Equal(got, want) {
		t.Errorf("commune totals = %v, want %v", got, want)
	}
	wantUn := map[string]int64{
		"930@2025-03-01": 100,
		"94@2025-03-01":  50000,
		"92@2025-03-01":  300000,
		"92@2025-07-01":  20000,
		"42@2025-03-01":  40,
	}
	if got := byString(t, res.Unattributed); !maps.Equal(got, wantUn) {
		t.Errorf("unattributed = %v, want %v", got, wantUn)
	}
	if res.Sum() != 371125+44+3 {
		t.Errorf("Sum = %d: figures were lost or invented", res.Sum())
	}
}

// TestRollUpLevelsAgree: commune totals taken up to their province, plus the unattributed
// figures at their province, give the province totals, for figures on every unit there is.
func TestRollUpLevelsAgree(t *testing.T) {
	r := registry(t)
	figs := map[ID]int64{}
	var n int64
	for u := range r.Units() {
		n++
		figs[u.ID()] = n
	}
	for s := range r.Successions() {
		if s.Status == StatusOldUnlisted || s.Status == StatusRejected {
			n++
			figs[s.Old] = n
		}
	}
	prov, err := r.RollUp(figs, LevelProvince)
	if err != nil {
		t.Fatal(err)
	}
	comm, err := r.RollUp(figs, LevelCommune)
	if err != nil {
		t.Fatal(err)
	}
	if len(prov.Totals) != 34 {
		t.Errorf("%d provinces in the province roll-up, want 34", len(prov.Totals))
	}
	if len(comm.Totals) != 3321 {
		t.Errorf("%d communes in the commune roll-up, want 3321", len(comm.Totals))
	}
	// Provinces of both editions, districts without successor commune and 30622 are unattributed.
	if want := 34 + 63 + (696 - 5) + 1; len(comm.Unattributed) != want {
		t.Errorf("%d unattributed at commune level, want %d", len(comm.Unattributed), want)
	}
	var total int64
	for _, v := range figs {
		total += v
	}
	if prov.Sum() != total || comm.Sum() != total {
		t.Errorf("sums %d (province), %d (commune), want %d", prov.Sum(), comm.Sum(), total)
	}
	up := map[ID]int64{}
	for _, m := range []map[ID]int64{comm.Totals, comm.Unattributed} {
		for id, v := range m {
			p, err := r.Target(id, LevelProvince)
			if err != nil {
				t.Fatalf("Target(%s, province): %v", id, err)
			}
			up[p] += v
		}
	}
	if !maps.Equal(up, prov.Totals) {
		t.Error("commune-level roll-up taken to provinces differs from the province-level roll-up")
	}
}

func TestTarget(t *testing.T) {
	r := registry(t)
	for _, tc := range []struct {
		id, level, want string
		err             error
	}{
		{"93@2025-03-01", "province", "92@2025-07-01", nil},
		{"93@2025-03-01", "commune", "", ErrUnattributable},
		{"930@2025-03-01", "province", "92@2025-07-01", nil},
		{"930@2025-03-01", "commune", "", ErrUnattributable},
		{"31379@2025-03-01", "commune", "31378@2025-07-01", nil},
		{"31379@2025-03-01", "province", "92@2025-07-01", nil},
		{"31321@2025-07-01", "commune", "31321@2025-07-01", nil},
		{"31321@2025-07-01", "province", "92@2025-07-01", nil},
		{"92@2025-07-01", "province", "92@2025-07-01", nil},
		{"92@2025-07-01", "commune", "", ErrUnattributable},
		{"755@2025-03-01", "commune", "26732@2025-07-01", nil}, // Huyện Côn Đảo → Đặc khu Côn Đảo
		{"755@2025-03-01", "province", "79@2025-07-01", nil},
		{"18448@2025-03-01", "commune", "18568@2025-07-01", nil}, // old-unlisted, still rolls up
		{"18448@2025-03-01", "province", "42@2025-07-01", nil},
		{"30622@2025-03-01", "commune", "", ErrUnattributable},   // only row rejected
		{"30622@2025-03-01", "province", "91@2025-07-01", nil},   // old An Giang → An Giang
		{"06886@2025-03-01", "commune", "06799@2025-07-01", nil}, // split in three, none full: first listed
		{"99999@2025-03-01", "commune", "", ErrNotFound},
		{"99@2025-07-01", "province", "", ErrNotFound},
		{"42@2025-07-01", "district", "", ErrInvalid},
		{"42@2025-07-01", "", "", ErrInvalid},
	} {
		got, err := r.Target(mustID(t, tc.id), Level(tc.level))
		if tc.err != nil {
			if !errors.Is(err, tc.err) {
				t.Errorf("Target(%s, %s) = %v, %v; want error %v", tc.id, tc.level, got, err, tc.err)
			}
			continue
		}
		if err != nil || got.String() != tc.want {
			t.Errorf("Target(%s, %s) = %v, %v; want %s", tc.id, tc.level, got, err, tc.want)
		}
	}
	if _, err := r.Target(ID{}, LevelProvince); !errors.Is(err, ErrInvalid) {
		t.Errorf("Target(zero ID) = %v", err)
	}
}

// TestPickRule exercises the choice for a split commune on synthetic rows, since in the 2025
// data no old commune with several successors is "full" in any of them.
func TestPickRule(t *testing.T) {
	r := &Registry{rows: []Succession{
		{New: ID{"00001", EditionCurrent}, Rank: 1},
		{New: ID{"00002", EditionCurrent}, Rank: 2, Full: true},
		{New: ID{"00003", EditionCurrent}, Rank: 3, Full: true},
		{New: ID{"00004", EditionCurrent}, Rank: 4},
	}}
	for _, tc := range []struct {
		rows []int32
		want string
	}{
		{[]int32{0, 1, 2}, "00002"}, // the first full one, though listed second
		{[]int32{0, 3}, "00001"},    // none full: the first listed
		{[]int32{3}, "00004"},
	} {
		if got := r.rows[r.pick(tc.rows)].New.Code; got != tc.want {
			t.Errorf("pick(%v) = %s, want %s", tc.rows, got, tc.want)
		}
	}
	// And on the real data: every split commune goes to its first listed successor.
	real := registry(t)
	splits := 0
	for u := range real.Units() {
		if u.Edition != EditionThreeLevel || u.Level != LevelCommune {
			continue
		}
		succ, _ := real.Successors(u.ID())
		if len(succ) < 2 {
			continue
		}
		splits++
		if got, err := real.Target(u.ID(), LevelCommune); err != nil || got != succ[0].New {
			t.Errorf("Target(%s) = %v, %v; want first listed %s", u.ID(), got, err, succ[0].New)
		}
	}
	if splits != 460 {
		t.Errorf("%d split communes, want 460", splits)
	}
}

func TestRollUpErrors(t *testing.T) {
	r := registry(t)
	figs := canThoFigures(t)
	figs[ID{"99999", EditionThreeLevel}] = 1
	figs[ID{"99998", EditionCurrent}] = 1
	_, err := r.RollUp(figs, LevelProvince)
	if !errors.Is(err, ErrNotFound) || !strings.Contains(err.Error(), "99999@2025-03-01") || !strings.Contains(err.Error(), "2 figures") {
		t.Errorf("RollUp with unknown units: %v", err)
	}
	figs = map[ID]int64{{"42", "2030-01-01"}: 1}
	if _, err := r.RollUp(figs, LevelProvince); !errors.Is(err, ErrInvalid) {
		t.Errorf("RollUp with a malformed ID: %v", err)
	}
	if _, err := r.RollUp(canThoFigures(t), LevelDistrict); !errors.Is(err, ErrInvalid) {
		t.Errorf("RollUp to districts: %v", err)
	}
	res, err := r.RollUp(nil, LevelCommune)
	if err != nil || len(res.Totals) != 0 || res.Sum() != 0 {
		t.Errorf("RollUp(nil) = %+v, %v", res, err)
	}
}
