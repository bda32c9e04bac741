package upload

import (
	"strings"
	"unicode"

	"golang.org/x/text/unicode/norm"
)

// MaxNameRunes bounds a cleaned file name, extension included.
const MaxNameRunes = 200

// DefaultName is the stem given to a file sent without a usable name.
const DefaultName = "tai-lieu"

// extensions maps each accepted type to its extension.
var extensions = map[string]string{PDF: ".pdf", JPEG: ".jpg", PNG: ".png"}

// typeExtensions are the extensions that name an accepted type; one of them
// is replaced by the extension of the real type ("anh.png" that is a JPEG
// becomes "anh.jpg"), any other is kept in front of it ("x.exe" that is a PDF
// becomes "x.exe.pdf").
var typeExtensions = map[string]bool{".pdf": true, ".jpg": true, ".jpeg": true, ".jpe": true, ".jfif": true, ".png": true}

// CleanName makes a file name safe to store and to offer for download: the
// base name only (a browser may send a whole Windows path), NFC, without
// control or invisible formatting characters (a right-to-left override can
// make "gpj.exe" look like "exe.jpg"), without characters file systems
// refuse, at most 200 characters, ending in the extension of the real type.
func CleanName(name, contentType string) string {
	if i := strings.LastIndexAny(name, `/\`); i >= 0 {
		name = name[i+1:]
	}
	name = norm.NFC.String(strings.ToValidUTF8(name, ""))
	var b strings.Builder
	for _, r := range name {
		switch {
		case unicode.IsControl(r), unicode.Is(unicode.Cf, r), r == unicode.ReplacementChar:
			continue
		case strings.ContainsRune(`<>:"|?*`, r):
			b.WriteRune('_')
		case unicode.IsSpace(r):
			b.WriteRune(' ')
		default:
			b.WriteRune(r)
		}
	}
	name = strings.Join(strings.Fields(b.String()), " ")
	ext := extensions[contentType]
	stem := name
	if i := strings.LastIndexByte(name, '.'); i >= 0 && typeExtensions[strings.ToLower(name[i:])] {
		stem = name[:i]
	}
	// No hidden files, no name ending in a dot (Windows drops it).
	stem = strings.Trim(stem, ". ")
	if stem == "" {
		stem = DefaultName
	}
	if r := []rune(stem); len(r)+len([]rune(ext)) > MaxNameRunes {
		stem = strings.TrimRight(string(r[:MaxNameRunes-len([]rune(ext))]), ". ")
	}
	return stem + ext
}
