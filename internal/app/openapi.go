package app

import (
	_ "embed"
	"fmt"

	"go.yaml.in/yaml/v3"
)

//go:embed openapi.yaml
var openAPIBase []byte

// mergeOpenAPI builds the served API description from the base document and
// the fragments the domains own: their tags are appended, their paths and
// components added. A path or component defined twice is an error, so that
// no fragment silently overrides another.
func mergeOpenAPI(base []byte, fragments ...[]byte) ([]byte, error) {
	var doc map[string]any
	if err := yaml.Unmarshal(base, &doc); err != nil {
		return nil, fmt.Errorf("openapi base: %w", err)
	}
	section := func(m map[string]any, key string) map[string]any {
		if v, ok := m[key].(map[string]any); ok {
			return v
		}
		v := map[string]any{}
		m[key] = v
		return v
	}
	for i, f := range fragments {
		var frag map[string]any
		if err := yaml.Unmarshal(f, &frag); err != nil {
			return nil, fmt.Errorf("openapi fragment %d: %w", i+1, err)
		}
		if tags, ok := frag["tags"].([]any); ok {
			existing, _ := doc["tags"].([]any)
			doc["tags"] = append(existing, tags...)
		}
		paths := section(doc, "paths")
		for p, v := range section(frag, "paths") {
			if _, dup := paths[p]; dup {
				return nil, fmt.Errorf("openapi fragment %d: path %s is already described", i+1, p)
			}
			paths[p] = v
		}
		components := section(doc, "components")
		for kind, entries := range section(frag, "components") {
			dst := section(components, kind)
			m, _ := entries.(map[string]any)
			for name, v := range m {
				if _, dup := dst[name]; dup {
					return nil, fmt.Errorf("openapi fragment %d: components.%s.%s is already defined", i+1, kind, name)
				}
				dst[name] = v
			}
		}
	}
	out, err := yaml.Marshal(doc)
	if err != nil {
		return nil, fmt.Errorf("openapi: %w", err)
	}
	return out, nil
}
