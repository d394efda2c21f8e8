// Package query is the read side: HTTP handlers over the Postgres read
// models, behind the Redis cache. New returns the side that `chatbotd query`
// and `chatbotd serve` mount on their HTTP server.
package query
