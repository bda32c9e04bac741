package payment

import (
	"strings"
	"unicode"
	"unicode/utf8"
)

var digitWords = [10]string{"không", "một", "hai", "ba", "bốn", "năm", "sáu", "bảy", "tám", "chín"}

// Words writes a sum of whole đồng in Vietnamese words, as receipts and
// invoices print it ("bằng chữ"): 2.000.000 → "Hai triệu đồng", 105.000 →
// "Một trăm linh năm nghìn đồng", 21.000.000 → "Hai mươi mốt triệu đồng".
// It reads "linh" for a zero tens digit, "mười" for ten, "mốt", "tư" and
// "lăm" for one, four and five after a tens digit of two or more (and "lăm"
// after "mười"), "không trăm" for an inner group without hundreds, and
// "tỷ" for thousand millions, repeated for larger sums.
func Words(dong int64) string {
	if dong == 0 {
		return "Không đồng"
	}
	neg := dong < 0
	u := uint64(dong)
	if neg {
		u = -u
	}
	s := readNumber(u)
	if neg {
		s = "âm " + s
	}
	r, size := utf8.DecodeRuneInString(s)
	return string(unicode.ToUpper(r)) + s[size:] + " đồng"
}

// readNumber reads n > 0.
func readNumber(n uint64) string {
	const billion = 1_000_000_000
	if n >= billion {
		hi, lo := n/billion, n%billion
		s := readNumber(hi) + " tỷ"
		if lo > 0 {
			s += " " + readBelowBillion(lo, true)
		}
		return s
	}
	return readBelowBillion(n, false)
}

// readBelowBillion reads 0 < n < 10⁹ in groups of three digits; inner says
// that a larger part was read before it, so that its leading group is read
// in full ("không trăm linh năm").
func readBelowBillion(n uint64, inner bool) string {
	groups := [3]uint64{n / 1_000_000, n / 1000 % 1000, n % 1000}
	units := [3]string{"triệu", "nghìn", ""}
	var parts []string
	for i, g := range groups {
		if g == 0 {
			continue
		}
		full := inner || len(parts) > 0
		w := readGroup(g, full)
		if units[i] != "" {
			w += " " + units[i]
		}
		parts = append(parts, w)
	}
	return strings.Join(parts, " ")
}

// readGroup reads 0 < g < 1000; full reads a missing hundreds digit as
// "không trăm" (for a group after a larger one).
func readGroup(g uint64, full bool) string {
	h, t, u := g/100, g/10%10, g%10
	var w []string
	if h > 0 || full {
		w = append(w, digitWords[h], "trăm")
	}
	switch {
	case t == 0:
		if u > 0 {
			if len(w) > 0 {
				w = append(w, "linh")
			}
			w = append(w, digitWords[u])
		}
	case t == 1:
		w = append(w, "mười")
		switch u {
		case 0:
		case 5:
			w = append(w, "lăm")
		default:
			w = append(w, digitWords[u])
		}
	default:
		w = append(w, digitWords[t], "mươi")
		switch u {
		case 0:
		case 1:
			w = append(w, "mốt")
		case 4:
			w = append(w, "tư")
		case 5:
			w = append(w, "lăm")
		default:
			w = append(w, digitWords[u])
		}
	}
	return strings.Join(w, " ")
}
