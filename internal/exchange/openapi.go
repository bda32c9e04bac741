package exchange

import _ "embed"

// OpenAPI is this package's fragment of the API description (the JSON API
// under /api/v1/exchange; the gateway at /lgsp/ is described in the package
// documentation).
//
//go:embed openapi.yaml
var OpenAPI []byte
