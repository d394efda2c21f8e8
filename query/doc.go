// Package query is the read side: HTTP handlers over the Postgres read
// models, tenant-scoped reads under row-level security. New returns the side
// that `chatbotd query` and `chatbotd serve` mount on their HTTP server.
package query
