package adminunit

import (
	"github.com/congso/congso/internal/vntext"

	"strings"
	"testing"
	"unicode"

	"golang.org/x/text/unicode/norm"
)

func TestSearch(t *testing.T) {
	r := registry(t)
	after, before := day(t, "2025-08-01"), day(t, "2024-06-01")
	first := func(q string, f SearchFilter) string {
		t.Helper()
		res := r.Search(q, f)
		if len(res) == 0 {
			t.Errorf("Search(%q) found nothing", q)
			return ""
		}
		return res[0].ID().String() + " " + res[0].FullName
	}
	for _, tc := range []struct {
		q    string
		f    SearchFilter
		want string
	}{
		{"ha tinh", SearchFilter{}, "42@2025-07-01 Tỉnh Hà Tĩnh"},
		{"HÀ TĨNH", SearchFilter{}, "42@2025-07-01 Tỉnh Hà Tĩnh"},
		{"  Ha   Tinh ", SearchFilter{}, "42@2025-07-01 Tỉnh Hà Tĩnh"},
		{"tinh ha tinh", SearchFilter{}, "42@2025-07-01 Tỉnh Hà Tĩnh"},
		{"ha tinh", SearchFilter{On: before}, "42@2025-03-01 Tỉnh Hà Tĩnh"},
		{"ha tinh", SearchFilter{Level: LevelDistrict}, "436@2025-03-01 Thành phố Hà Tĩnh"},
		{"hau giang", SearchFilter{}, "93@2025-03-01 Tỉnh Hậu Giang"},
		{"vi thanh", SearchFilter{On: after}, "31321@2025-07-01 Phường Vị Thanh"},
		{"can tho", SearchFilter{}, "92@2025-07-01 Thành phố Cần Thơ"},
		{"31318", SearchFilter{}, "31318@2025-03-01 Phường I"},
		{"00004", SearchFilter{}, "00004@2025-07-01 Phường Ba Đình"},
		{"00004", SearchFilter{On: before}, "00004@2025-03-01 Phường Trúc Bạch"},
		{"dac khu con dao", SearchFilter{}, "26732@2025-07-01 Đặc khu Côn Đảo"},
		{"dong ngac", SearchFilter{}, "00602@2025-07-01 Phường Đông Ngạc"},
	} {
		if got := first(tc.q, tc.f); got != tc.want {
			t.Errorf("Search(%q, %+v)[0] = %s, want %s", tc.q, tc.f, got, tc.want)
		}
	}

	// "dong" finds names with Đông (đ must fold to d), whatever the case and marks of the query.
	for _, q := range []string{"dong", "DONG", "Đông", "đông", "ĐÔNG"} {
		res := r.Search(q, SearchFilter{On: after, Level: LevelCommune})
		found := 0
		for _, u := range res {
			if strings.HasPrefix(u.Name, "Đông") {
				found++
			}
			if !strings.HasPrefix(vntext.Fold(u.Name), "dong") && !strings.Contains(" "+vntext.Fold(u.FullName), " dong") {
				t.Errorf("Search(%q) returned %s", q, u.FullName)
			}
			if !u.ValidOn(after) || u.Level != LevelCommune {
				t.Errorf("Search(%q) ignored the filter: %s", q, u.ID())
			}
		}
		if found < 20 {
			t.Errorf("Search(%q) found %d communes named Đông…, want many", q, found)
		}
	}
	if a, b := r.Search("dong", SearchFilter{}), r.Search("Đông", SearchFilter{}); len(a) != len(b) || len(a) == 0 {
		t.Errorf("dong and Đông give %d and %d results", len(a), len(b))
	}

	// Ordering: exact name before prefix before word match; current edition first.
	res := r.Search("ha tinh", SearchFilter{})
	var ids []string
	for _, u := range res {
		ids = append(ids, u.ID().String())
	}
	equalStrings(t, "Search(ha tinh)", ids, []string{"42@2025-07-01", "42@2025-03-01", "436@2025-03-01"})

	if got := r.Search("ha", SearchFilter{Limit: 5}); len(got) != 5 {
		t.Errorf("Limit 5 gave %d results", len(got))
	}
	for _, q := range []string{"", "   ", "khong co dau", "zzzz"} {
		if got := r.Search(q, SearchFilter{}); len(got) != 0 {
			t.Errorf("Search(%q) = %d results", q, len(got))
		}
	}
}

// TestFoldMatchesDefinition checks the fast Fold against its definition (NFD, strip combining
// marks, đ → d, lower case) on every name in the data.
func TestFoldMatchesDefinition(t *testing.T) {
	ref := func(s string) string {
		var b strings.Builder
		for _, r := range norm.NFD.String(s) {
			switch {
			case unicode.Is(unicode.Mn, r):
			case r == 'đ' || r == 'Đ' || r == 'Ð':
				b.WriteByte('d')
			default:
				b.WriteRune(unicode.ToLower(r))
			}
		}
		return b.String()
	}
	r := registry(t)
	n := 0
	for u := range r.Units() {
		for _, s := range []string{u.Name, u.FullName, u.NameEn, u.FullNameEn, strings.ToUpper(u.FullName), norm.NFD.String(u.FullName)} {
			n++
			if got, want := vntext.Fold(s), ref(s); got != want {
				t.Fatalf("vntext.Fold(%q) = %q, want %q", s, got, want)
			}
		}
	}
	for _, s := range []string{"한국어", "Ǆ", "ﬁ", "Å", "ẞ", "İ", "Ωμέγα"} {
		if got, want := vntext.Fold(s), ref(s); got != want {
			t.Errorf("vntext.Fold(%q) = %q, want %q", s, got, want)
		}
	}
	if n < 80000 {
		t.Errorf("checked only %d names", n)
	}
}
