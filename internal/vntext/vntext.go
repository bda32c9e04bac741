// Package vntext normalises Vietnamese text: NFC on the way in, and one folding
// function (no diacritics, đ→d, lower case) used for search on every engine.
package vntext

import (
	"strings"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"
)

// NFC returns s in Unicode normalisation form C with surrounding space trimmed.
func NFC(s string) string { return strings.TrimSpace(norm.NFC.String(s)) }

// Fold maps text to its search key: combining marks removed, đ/Đ (and the
// look-alike Ð, U+00D0) turned into d, lower case, runs of white space made
// one space and trimmed. "Đăng ký  khai sinh" and "dang ky khai sinh" fold
// alike. Canonical decomposition alone leaves đ as it is, hence the explicit
// mapping. The same function serves every search path, in memory and in SQL
// columns, so that they never disagree.
func Fold(s string) string {
	var b strings.Builder
	b.Grow(len(s))
	space := false
	for _, r := range s {
		if unicode.IsSpace(r) {
			space = b.Len() > 0
			continue
		}
		if space {
			b.WriteByte(' ')
			space = false
		}
		foldRune(&b, r)
	}
	return b.String()
}

func foldRune(b *strings.Builder, r rune) {
	switch {
	case r < utf8.RuneSelf:
		if 'A' <= r && r <= 'Z' {
			r += 'a' - 'A'
		}
		b.WriteByte(byte(r))
		return
	case r == 'đ' || r == 'Đ' || r == 'Ð':
		b.WriteByte('d')
		return
	case unicode.Is(unicode.Mn, r):
		return
	}
	var buf [utf8.UTFMax]byte
	n := utf8.EncodeRune(buf[:], r)
	dec := norm.NFD.Properties(buf[:n]).Decomposition()
	if dec == nil {
		if 0xAC00 <= r && r <= 0xD7A3 { // Hangul syllables decompose algorithmically
			dec = []byte(norm.NFD.String(string(r)))
		} else {
			b.WriteRune(unicode.ToLower(r))
			return
		}
	}
	for _, d := range string(dec) {
		foldRune(b, d)
	}
}

// Valid reports whether s is valid UTF-8 without control characters other than
// tab and newlines, which is what every free-text field accepts.
func Valid(s string) bool {
	if !utf8.ValidString(s) {
		return false
	}
	for _, r := range s {
		if unicode.IsControl(r) && r != '\n' && r != '\r' && r != '\t' {
			return false
		}
	}
	return true
}
