package testkit

import (
	"context"
	"os"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
)

const startRedis = `start it with: redis-server --daemonize yes --bind 127.0.0.1 -::1 --port 6379 --save "" --appendonly no`

// RedisURL is the Redis tests use (TEST_REDIS_URL, default the local one).
// It fails the test when Redis does not answer.
func RedisURL(tb testing.TB) string {
	tb.Helper()
	raw := os.Getenv("TEST_REDIS_URL")
	if raw == "" {
		raw = "redis://127.0.0.1:6379/0"
	}
	opts, err := redis.ParseURL(raw)
	if err != nil {
		tb.Fatalf("TEST_REDIS_URL cannot be parsed: %v", err)
	}
	c := redis.NewClient(opts)
	defer c.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	if err := c.Ping(ctx).Err(); err != nil {
		tb.Fatalf("Redis is unreachable at %s: %v; %s", opts.Addr, err, startRedis)
	}
	return raw
}
