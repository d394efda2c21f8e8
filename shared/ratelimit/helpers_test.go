package ratelimit

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/chatbotsaas/chatbot/shared/testkit"
)

// fakeClock is the Limiter's clock in tests, moved by hand.
type fakeClock struct {
	mu sync.Mutex
	t  time.Time
}

func newClock(t time.Time) *fakeClock { return &fakeClock{t: t} }

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *fakeClock) Add(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

func (c *fakeClock) Set(t time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = t
}

// newRedis is a client of the test Redis, closed when the test ends.
func newRedis(tb testing.TB) *redis.Client {
	tb.Helper()
	opts, err := redis.ParseURL(testkit.RedisURL(tb))
	if err != nil {
		tb.Fatal(err)
	}
	rdb := redis.NewClient(opts)
	tb.Cleanup(func() { testkit.Close(tb, "the Redis client", rdb) })
	return rdb
}

// unreachableRedis is a client of a port nobody listens on.
func unreachableRedis(tb testing.TB) *redis.Client {
	rdb := redis.NewClient(&redis.Options{Addr: "127.0.0.1:1", MaxRetries: -1, DialTimeout: time.Second})
	tb.Cleanup(func() { testkit.Close(tb, "the Redis client", rdb) })
	return rdb
}

// newKey is a chatbot key no other test uses; its Redis keys are deleted
// when the test ends (the shared database is never flushed).
func newKey(tb testing.TB) string {
	tb.Helper()
	b := make([]byte, 6)
	if _, err := rand.Read(b); err != nil {
		tb.Fatal(err)
	}
	key := "test-" + hex.EncodeToString(b)
	tb.Cleanup(func() {
		opts, err := redis.ParseURL(testkit.RedisURL(tb))
		if err != nil {
			tb.Errorf("delete the Redis keys of %s: %v", key, err)
			return
		}
		rdb := redis.NewClient(opts)
		defer testkit.Close(tb, "the Redis client", rdb)
		ctx := context.Background()
		iter := rdb.Scan(ctx, 0, "ratelimit:{"+key+"}:*", 100).Iterator()
		for iter.Next(ctx) {
			if err := rdb.Del(ctx, iter.Val()).Err(); err != nil {
				tb.Errorf("delete %s: %v", iter.Val(), err)
			}
		}
		if err := iter.Err(); err != nil {
			tb.Errorf("list the Redis keys of %s: %v", key, err)
		}
	})
	return key
}

// backend is one way a Limiter can count.
type backend struct {
	name string
	make func(tb testing.TB, now func() time.Time) *Limiter
}

// backends are Redis, no Redis, and a Redis that does not answer: each
// test that runs on all of them expects the same decisions.
func backends() []backend {
	return []backend{
		{"redis", func(tb testing.TB, now func() time.Time) *Limiter { return New(newRedis(tb), now, quietLog()) }},
		{"in process", func(tb testing.TB, now func() time.Time) *Limiter { return New(nil, now, quietLog()) }},
		{"redis unreachable", func(tb testing.TB, now func() time.Time) *Limiter {
			return New(unreachableRedis(tb), now, quietLog())
		}},
	}
}

func quietLog() *slog.Logger { return slog.New(slog.DiscardHandler) }

// logBuffer collects log lines written from any goroutine.
type logBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *logBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

// count is how many lines hold s.
func (b *logBuffer) count(s string) int {
	b.mu.Lock()
	defer b.mu.Unlock()
	return strings.Count(b.buf.String(), s)
}

// allow calls l.Allow and fails the test on an error.
func allow(tb testing.TB, l *Limiter, key string, lim Limits) Decision {
	tb.Helper()
	d, err := l.Allow(context.Background(), key, lim)
	if err != nil {
		tb.Fatalf("Allow: %v", err)
	}
	return d
}

// oneCall is the keys of a call with one scope, as Allow makes it.
func oneCall(key string, lim Limits, now time.Time) scopeCall {
	return newCall(key, []Scope{{Limits: lim, Count: true}}, now).scopes[0]
}
