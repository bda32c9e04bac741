package catalog

import _ "embed"

// OpenAPI is this package's fragment of the API description, merged into
// the served document by the app.
//
//go:embed openapi.yaml
var OpenAPI []byte
