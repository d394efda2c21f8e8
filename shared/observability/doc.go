// Package observability holds what every process uses to be watched: the
// structured logger (with the request id on every line), the Prometheus
// registry and HTTP metrics, and Sentry error reporting with secrets scrubbed.
package observability
