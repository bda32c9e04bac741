// Package exchange is the province's integration and data-sharing platform
// (LGSP, "nền tảng tích hợp, chia sẻ dữ liệu cấp tỉnh"): the bus through which
// provincial systems call each other and the national platforms, after
// X-Road (members, subsystems, per-service access rights, logged messages,
// a directory) and the GovStack Information Mediator building block.
//
// # Model
//
// Members are agencies (org agencies, by ID). An agency registers its
// information systems; a provider system publishes REST services (code
// unique within the system, upstream base URL, an OpenAPI 3 document kept
// in versions, time-out, body limit, whether bodies are kept in the log,
// strict or async logging); a consumer system asks for access to a service,
// which the provider's agency admins (or province admins) approve with a
// quota (requests per minute, burst) or refuse. Consumers hold API keys
// (key ID and a 256-bit secret shown once) and may pin client certificates.
// Every change is audited; the JSON API for all this is under
// /api/v1/exchange (see openapi.yaml).
//
// # The gateway: /lgsp/
//
// Gateway is an http.Handler for everything under /lgsp/. It is not part of
// /api/v1: it has its own authentication and must be mounted outside the
// platform's session authentication and cross-origin protection.
//
//	ANY  /lgsp/{provider}/{service}/{path…}   call a service
//	POST /lgsp/oauth/token                    OAuth2 client credentials → access token
//	GET  /lgsp/oauth/jwks                     public keys of the token signers (JWKS)
//	GET  /lgsp/directory/members              members, their systems and services
//	GET  /lgsp/directory/services             every service in operation
//	GET  /lgsp/directory/services/{p}/{s}     one service with its current OpenAPI document
//	GET  /lgsp/directory/services/{p}/{s}/openapi   the document itself
//	GET  /lgsp/directory/allowed              what the calling consumer may call, with quotas
//	POST /lgsp/topics/{topic}/messages        publish to a topic of the async exchange (package async)
//	POST /lgsp/topics/{topic}/subscriptions   ask to subscribe to a topic
//
// {provider} is the provider system's code, {service} the service's code;
// the rest of the path and the query go to the service's upstream URL.
//
// Credentials, on every call: X-LGSP-Key: KEY_ID.SECRET, or
// Authorization: Bearer ACCESS_TOKEN from the token endpoint (client_id =
// KEY_ID, client_secret = SECRET, by HTTP Basic or in the form; tokens are
// Ed25519-signed JWTs that live 5 minutes). A system that pinned
// certificates must also present one of them when the gateway serves TLS
// with client certificates (tls.Config.ClientAuth = tls.RequestClientCert).
//
// Headers: X-Request-ID is passed through when the consumer sends a valid one
// (64 characters of [A-Za-z0-9._:-] at most) and generated otherwise, in
// both directions; the upstream receives X-LGSP-Consumer (the consumer's
// system code) and the consumer's X-LGSP-End-User (the official or citizen
// the call is for: required by services flagged personal_data; the log keeps
// only its keyed hash). Hop-by-hop headers, the consumer's credentials and
// cookies are never forwarded.
//
// Answers of the gateway itself are the platform's JSON error envelope
// {"error":{"code","message"}} with a Vietnamese message:
//
//	400 invalid               malformed path, missing X-LGSP-End-User
//	401 unauthorized          missing, wrong, expired or revoked credentials, certificate missing or not pinned
//	403 forbidden             no approved access to the service, consumer system disabled
//	404 not_found             no such service
//	413 payload_too_large     body over the service's limit (also found while streaming)
//	429 too_many_requests     quota exceeded; Retry-After in seconds
//	502 bad_gateway           upstream unreachable, reset, or answering something that is not HTTP
//	503 service_unavailable   service disabled; circuit breaker open (Retry-After); log unavailable in strict mode
//	504 gateway_timeout       no answer within the service's time-out
//
// The token endpoint answers errors as RFC 6749 §5.2 says ({"error":
// "invalid_client", "error_description": …}).
//
// Retries: GET, HEAD, PUT, DELETE and OPTIONS are sent at most once more,
// and only after a connection error or a 502/503; a request whose body
// streams is never retried. Each upstream host has a circuit breaker that
// opens after consecutive failures (connection errors, time-outs, 502, 503,
// 504) and lets one probe through after a cool-down.
//
// Bodies stream in both directions and are hashed on the way; nothing is
// buffered beyond 64 KiB. In strict mode a consumer never receives a
// complete response whose log entry is not durable: small responses are
// sent after the entry commits, large ones have their last piece held back
// until it does (and the connection is cut if the log fails). See
// package txlog for the log and its group commits.
package exchange
