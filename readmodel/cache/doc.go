// Package cache is the query side's cache in front of the read models, in
// Redis with client-side caching: a hot entry is served from process
// memory, and Redis tells every process when one of the keys it holds
// changes.
//
// Entries are never rewritten in place. Each key carries generations, one
// per tenant and projection, that the projectors bump after they commit:
// a bump makes every older entry of that tenant and projection unreachable
// at once (it expires later, by its TTL). Because a reader takes the
// generations before it reads Postgres, an entry filled from a read that
// raced a commit is filed under the generation the commit retired.
//
// Each entry also records the stream position its data reflects at least,
// so a read that must reflect a client's write (X-Min-Position) is served
// from the cache only when the entry already does.
//
// Redis down or slow is not an outage: every call is bounded by a short
// timeout, after which the read goes to Postgres and the cache stays out
// of the way for a moment before trying Redis again.
package cache
