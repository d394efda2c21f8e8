// Package httpx is the HTTP edge every process shares: the Fiber app and its
// huma API, the middleware chain (request id, access log and metrics, panic
// recovery, secure headers, CORS, body checks), the one place where errors
// become RFC 9457 problems, and the health, readiness and metrics endpoints.
package httpx
