// Package redisx opens the optional Redis client used by the query cache and
// the rate limiters; without REDIS_URL the product runs without Redis.
package redisx
