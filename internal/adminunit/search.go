package adminunit

import (
	"github.com/congso/congso/internal/vntext"

	"cmp"
	"slices"
	"strings"
	"unicode/utf8"
)

// searchKey holds the folded names of a unit (see Fold), spaces collapsed.
type searchKey struct{ name, full string }

// foldQuery folds s and collapses runs of white space into single spaces.
func foldQuery(s string) string {
	f := vntext.Fold(s)
	for i := 0; i < len(f); i++ {
		if c := f[i]; c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f' || c >= utf8.RuneSelf ||
			c == ' ' && (i == 0 || i == len(f)-1 || f[i+1] == ' ') {
			return strings.Join(strings.Fields(f), " ")
		}
	}
	return f
}

// SearchFilter narrows a search. The zero value searches every unit of every edition.
type SearchFilter struct {
	On    Date  // only units valid on this date; zero: any
	Level Level // only units of this level; "": any
	Limit int   // at most this many results; 0 or less: all
}

// Search finds units by name or code, ignoring case and Vietnamese diacritics (see Fold):
// "ha tinh" finds Tỉnh Hà Tĩnh, "dong" finds Phường Đông Ngạc. The query matches
//
//  1. exactly: the code, the name or the full name ("42", "hà tĩnh", "tỉnh hà tĩnh");
//  2. the start of the name ("ha ti", or a code prefix for an all-digit query);
//  3. the start of a word of the full name ("tinh ha", "ngac").
//
// Results are ordered by that match quality, then current edition first, then provinces,
// districts and communes, then by code.
func (r *Registry) Search(query string, f SearchFilter) []Unit {
	q := foldQuery(query)
	if q == "" {
		return nil
	}
	digits := strings.Trim(q, "0123456789") == ""
	type hit struct {
		rank int
		i    int
	}
	var hits []hit
	for i := range r.units {
		u := &r.units[i]
		if (!f.On.IsZero() && !u.ValidOn(f.On)) || (f.Level != "" && u.Level != f.Level) {
			continue
		}
		k := &r.keys[i]
		rank := -1
		switch {
		case digits:
			if u.Code == q {
				rank = 0
			} else if strings.HasPrefix(u.Code, q) {
				rank = 1
			}
		case k.name == q || k.full == q:
			rank = 0
		case strings.HasPrefix(k.name, q):
			rank = 1
		case wordPrefix(k.full, q):
			rank = 2
		}
		if rank >= 0 {
			hits = append(hits, hit{rank, i})
		}
	}
	slices.SortFunc(hits, func(a, b hit) int { return cmp.Or(cmp.Compare(a.rank, b.rank), cmp.Compare(a.i, b.i)) })
	if f.Limit > 0 && len(hits) > f.Limit {
		hits = hits[:f.Limit]
	}
	out := make([]Unit, len(hits))
	for k, h := range hits {
		out[k] = r.units[h.i]
	}
	return out
}

// wordPrefix reports whether q occurs in s at the start of a word.
func wordPrefix(s, q string) bool {
	for off := 0; ; {
		i := strings.Index(s[off:], q)
		if i < 0 {
			return false
		}
		if i += off; i == 0 || s[i-1] == ' ' {
			return true
		}
		off = i + 1
	}
}
