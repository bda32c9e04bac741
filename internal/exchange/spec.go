package exchange

import (
	"bytes"
	"sort"
	"strings"
	"unicode/utf8"

	"go.yaml.in/yaml/v3"

	"github.com/congso/congso/internal/apperr"
)

type specInfo struct {
	title, version string
	paths          []string
}

// parseSpec checks that doc is an OpenAPI 3 document (YAML or JSON) and
// returns what the registry keeps of it.
func parseSpec(doc []byte) (specInfo, error) {
	var info specInfo
	if len(bytes.TrimSpace(doc)) == 0 {
		return info, apperr.Field("document", "Tài liệu OpenAPI trống.")
	}
	if len(doc) > MaxSpecBytes {
		return info, apperr.Field("document", "Tài liệu OpenAPI tối đa 2 MiB.")
	}
	if !utf8.Valid(doc) {
		return info, apperr.Field("document", "Tài liệu OpenAPI phải được mã hóa UTF-8.")
	}
	var d struct {
		OpenAPI string `yaml:"openapi"`
		Info    struct {
			Title   string `yaml:"title"`
			Version string `yaml:"version"`
		} `yaml:"info"`
		Paths map[string]any `yaml:"paths"`
	}
	if err := yaml.Unmarshal(doc, &d); err != nil {
		return info, apperr.Field("document", "Tài liệu không phải YAML hoặc JSON hợp lệ: "+firstLine(err.Error()))
	}
	if !strings.HasPrefix(d.OpenAPI, "3.") {
		return info, apperr.Field("document", "Chỉ nhận tài liệu OpenAPI 3.x (trường openapi: 3.0.x hoặc 3.1.x).")
	}
	if d.Info.Title == "" {
		return info, apperr.Field("document", "Tài liệu OpenAPI thiếu info.title.")
	}
	for p := range d.Paths {
		if !strings.HasPrefix(p, "/") {
			return info, apperr.Field("document", "Đường dẫn "+p+" trong paths phải bắt đầu bằng /.")
		}
		info.paths = append(info.paths, p)
	}
	sort.Strings(info.paths)
	info.title, info.version = d.Info.Title, d.Info.Version
	return info, nil
}

func firstLine(s string) string {
	s, _, _ = strings.Cut(s, "\n")
	if len(s) > 200 {
		s = s[:200]
	}
	return s
}

// templates matches request paths to the path templates of a service's
// OpenAPI document, so that the log keeps /citizens/{id}, not the ID.
type templates struct {
	list []pathTemplate
}

type pathTemplate struct {
	text     string
	segs     []string // "" for a parameter
	literals int
}

func compileTemplates(paths []string) *templates {
	t := &templates{}
	for _, p := range paths {
		segs := strings.Split(strings.Trim(p, "/"), "/")
		pt := pathTemplate{text: p, segs: make([]string, len(segs))}
		for i, s := range segs {
			if strings.HasPrefix(s, "{") && strings.HasSuffix(s, "}") {
				continue
			}
			pt.segs[i] = s
			pt.literals++
		}
		t.list = append(t.list, pt)
	}
	// Most literal segments first: /citizens/search before /citizens/{id}.
	sort.SliceStable(t.list, func(i, j int) bool { return t.list[i].literals > t.list[j].literals })
	return t
}

// match returns the template of path (which starts with "/"), or a redacted
// form of it when no template matches.
func (t *templates) match(path string) string {
	if t != nil && len(t.list) > 0 {
		trimmed := strings.Trim(path, "/")
		n := strings.Count(trimmed, "/") + 1
	next:
		for i := range t.list {
			pt := &t.list[i]
			if len(pt.segs) != n {
				continue
			}
			rest := trimmed
			for _, s := range pt.segs {
				seg, tail, _ := strings.Cut(rest, "/")
				rest = tail
				if s != "" && s != seg {
					continue next
				}
			}
			return pt.text
		}
	}
	return redactPath(path)
}

// redactPath keeps the path segments that look like words of an API
// (lower-case ASCII letters, digits not allowed, hyphens and underscores, at
// most 32 characters) and replaces every other segment by {…}: an ID, a
// number, a name or anything encoded may be personal data.
func redactPath(path string) string {
	if path == "" || path == "/" {
		return "/"
	}
	var b strings.Builder
	b.Grow(len(path))
	segs := 0
	for _, seg := range strings.Split(strings.TrimPrefix(path, "/"), "/") {
		segs++
		if segs > 16 {
			b.WriteString("/…")
			break
		}
		b.WriteByte('/')
		if plainWord(seg) {
			b.WriteString(seg)
		} else if seg != "" {
			b.WriteString("{…}")
		}
	}
	return b.String()
}

func plainWord(s string) bool {
	if s == "" || len(s) > 32 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= 'a' && c <= 'z' || c == '-' || c == '_' || c == '.') {
			return false
		}
	}
	return true
}
