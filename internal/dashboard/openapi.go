package dashboard

import _ "embed"

// OpenAPI is this package's fragment of the API description.
//
//go:embed openapi.yaml
var OpenAPI []byte
