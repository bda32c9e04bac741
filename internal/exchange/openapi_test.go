package exchange_test

import (
	"net/http"
	"os"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"

	"github.com/congso/congso/internal/exchange"
	"github.com/congso/congso/internal/exchange/async"
	"github.com/congso/congso/internal/httpx"
)

// The fragment describes exactly the routes the API registers, and every
// reference resolves against the fragment and the app's shared components.
func TestOpenAPIFragmentMatchesRoutes(t *testing.T) {
	r := httpx.NewRouter(http.NewServeMux())
	exchange.API{}.Register(r)
	async.API{}.Register(r)
	var frag struct {
		Paths map[string]map[string]any `yaml:"paths"`
	}
	if err := yaml.Unmarshal(exchange.OpenAPI, &frag); err != nil {
		t.Fatalf("the fragment is not YAML: %v", err)
	}
	documented := map[string]bool{}
	for p, ops := range frag.Paths {
		for m := range ops {
			documented[strings.ToUpper(m)+" "+p] = true
		}
	}
	served := map[string]bool{}
	for _, rt := range r.Routes() {
		served[rt.Method+" "+rt.Path] = true
		if !documented[rt.Method+" "+rt.Path] {
			t.Errorf("route %s %s is not documented", rt.Method, rt.Path)
		}
	}
	for op := range documented {
		if !served[op] {
			t.Errorf("%s is documented but not served", op)
		}
	}
	base, err := os.ReadFile("../app/openapi.yaml")
	if err != nil {
		t.Fatal(err)
	}
	var b, f map[string]any
	if err := yaml.Unmarshal(base, &b); err != nil {
		t.Fatal(err)
	}
	_ = yaml.Unmarshal(exchange.OpenAPI, &f)
	var walk func(v any)
	walk = func(v any) {
		switch x := v.(type) {
		case map[string]any:
			if ref, ok := x["$ref"].(string); ok {
				found := false
				for _, doc := range []map[string]any{b, f} {
					var node any = doc
					for _, part := range strings.Split(strings.TrimPrefix(ref, "#/"), "/") {
						m, _ := node.(map[string]any)
						node = m[part]
					}
					found = found || node != nil
				}
				if !found {
					t.Errorf("dangling reference %s", ref)
				}
			}
			for _, c := range x {
				walk(c)
			}
		case []any:
			for _, c := range x {
				walk(c)
			}
		}
	}
	walk(f)
}
