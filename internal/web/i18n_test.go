package web

import (
	"io/fs"
	"os"
	"regexp"
	"strings"
	"testing"
)

// TestEveryTemplateKeyHasALabel: every `.T "key"` in a template names a
// message in both languages, so that no page shows a raw key.
func TestEveryTemplateKeyHasALabel(t *testing.T) {
	key := regexp.MustCompile(`\.T "([a-z0-9_.]+)"`)
	files, err := fs.Glob(assets, "templates/*.html")
	if err != nil {
		t.Fatal(err)
	}
	partials, _ := fs.Glob(assets, "templates/partials/*.html")
	for _, f := range append(files, partials...) {
		b, err := fs.ReadFile(assets, f)
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range key.FindAllStringSubmatch(string(b), -1) {
			if translate("vi", m[1]) == m[1] || translate("en", m[1]) == m[1] {
				t.Errorf("%s: no message for %q", f, m[1])
			}
		}
	}
}

// TestEveryCodeKeyHasALabel: the same for keys the Go code translates.
func TestEveryCodeKeyHasALabel(t *testing.T) {
	key := regexp.MustCompile(`translate\([^,()]+(?:\([^()]*\))?, "([a-z0-9_.]+)"\)`)
	entries, err := os.ReadDir(".")
	if err != nil {
		t.Fatal(err)
	}
	found := 0
	for _, e := range entries {
		if !strings.HasSuffix(e.Name(), ".go") || strings.HasSuffix(e.Name(), "_test.go") {
			continue
		}
		b, err := os.ReadFile(e.Name())
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range key.FindAllStringSubmatch(string(b), -1) {
			found++
			if translate("vi", m[1]) == m[1] || translate("en", m[1]) == m[1] {
				t.Errorf("%s: no message for %q", e.Name(), m[1])
			}
		}
	}
	if found < 20 {
		t.Fatalf("found only %d translated keys: the pattern no longer matches the code", found)
	}
}
