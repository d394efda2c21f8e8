// Package redisx opens the optional Redis client of the rate limits, quotas
// and login throttle; without REDIS_URL the product runs without Redis.
package redisx
