package popdb_test

import (
	"net/http"
	"regexp"
	"slices"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"

	"github.com/congso/congso/internal/httpx"
	"github.com/congso/congso/internal/popdb"
)

// TestOpenAPIFragment holds the fragment to the routes: every route is
// described, nothing else is, and every reference resolves (in the
// fragment, or among the shared components of internal/app).
func TestOpenAPIFragment(t *testing.T) {
	var doc struct {
		Paths      map[string]map[string]any `yaml:"paths"`
		Components map[string]map[string]any `yaml:"components"`
	}
	if err := yaml.Unmarshal(popdb.OpenAPI, &doc); err != nil {
		t.Fatal(err)
	}
	r := httpx.NewRouter(http.NewServeMux())
	popdb.API{}.Register(r)
	described := map[string]bool{}
	for p, ops := range doc.Paths {
		for m := range ops {
			described[strings.ToUpper(m)+" "+p] = true
		}
	}
	for _, rt := range r.Routes() {
		key := rt.Method + " " + rt.Path
		if !described[key] {
			t.Errorf("route %s is not described", key)
		}
		delete(described, key)
	}
	for op := range described {
		t.Errorf("%s is described but not served", op)
	}
	shared := []string{"#/components/responses/Error", "#/components/parameters/Cursor", "#/components/parameters/Limit"}
	for _, m := range regexp.MustCompile(`\$ref: "([^"]+)"`).FindAllStringSubmatch(string(popdb.OpenAPI), -1) {
		ref := m[1]
		if slices.Contains(shared, ref) {
			continue
		}
		parts := strings.Split(strings.TrimPrefix(ref, "#/components/"), "/")
		if len(parts) != 2 || doc.Components[parts[0]][parts[1]] == nil {
			t.Errorf("reference %s does not resolve", ref)
		}
	}
}
