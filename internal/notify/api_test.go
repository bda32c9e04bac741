package notify_test

import (
	"net/http"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"

	"github.com/congso/congso/internal/httpx"
	"github.com/congso/congso/internal/notify"
)

// TestOpenAPIFragmentMatchesRoutes holds the fragment to the routes the API
// registers, both ways.
func TestOpenAPIFragmentMatchesRoutes(t *testing.T) {
	var doc struct {
		Paths map[string]map[string]any `yaml:"paths"`
	}
	if err := yaml.Unmarshal(notify.OpenAPI, &doc); err != nil {
		t.Fatal(err)
	}
	r := httpx.NewRouter(http.NewServeMux())
	notify.API{}.Register(r)
	described := map[string]bool{}
	for path, ops := range doc.Paths {
		for method := range ops {
			described[strings.ToUpper(method)+" "+path] = true
		}
	}
	for _, route := range r.Routes() {
		key := route.Method + " " + route.Path
		if !described[key] {
			t.Errorf("route %s is not described", key)
		}
		delete(described, key)
	}
	for op := range described {
		t.Errorf("%s is described but not served", op)
	}
}
