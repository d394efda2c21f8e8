package testkit

import (
	"context"
	"fmt"
	"net/url"
	"os"
	"strconv"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
)

const startRedis = `start it with: redis-server --daemonize yes --bind 127.0.0.1 -::1 --port 6379 --save "" --appendonly no`

// RedisURL is the Redis tests use: TEST_REDIS_URL, default the local one.
// A test process gets a logical database of its own (1 to 15), leased in
// database 0 under its pid, so that packages tested side by side share no
// key: not the query cache's epoch, not a per-address login throttle. A
// lease whose process has ended is taken over. It fails the test when
// Redis does not answer or every database is leased by a live process.
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
	lease.once.Do(func() { lease.db, lease.err = leaseDatabase(opts) })
	if lease.err != nil {
		tb.Fatalf("Redis at %s: %v; %s", opts.Addr, lease.err, startRedis)
	}
	u, err := url.Parse(raw)
	if err != nil {
		tb.Fatalf("TEST_REDIS_URL cannot be parsed: %v", err)
	}
	u.Path = "/" + strconv.Itoa(lease.db)
	return u.String()
}

var lease struct {
	once sync.Once
	db   int
	err  error
}

// claimDB sets a lease to this pid when it is free or held by the pid in
// ARGV[2] (a process that has ended).
var claimDB = redis.NewScript(`
local cur = redis.call('GET', KEYS[1])
if cur == false or cur == ARGV[2] then
  redis.call('SET', KEYS[1], ARGV[1], 'EX', 3600)
  return 1
end
return 0`)

func leaseDatabase(opts *redis.Options) (int, error) {
	base := *opts
	base.DB = 0
	c := redis.NewClient(&base)
	defer c.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := c.Ping(ctx).Err(); err != nil {
		return 0, fmt.Errorf("unreachable: %w", err)
	}
	me := strconv.Itoa(os.Getpid())
	for db := 1; db <= 15; db++ {
		key := "testkit:db:" + strconv.Itoa(db)
		holder, err := c.Get(ctx, key).Result()
		if err != nil && err != redis.Nil {
			return 0, err
		}
		if holder != "" && holder != me && alive(holder) {
			continue
		}
		ok, err := claimDB.Run(ctx, c, []string{key}, me, holder).Int()
		if err != nil {
			return 0, err
		}
		if ok == 1 {
			return db, nil
		}
	}
	return 0, fmt.Errorf("databases 1 to 15 are all leased by running test processes")
}

// alive reports whether the process of pid still runs on this machine.
func alive(pid string) bool {
	n, err := strconv.Atoi(pid)
	if err != nil || n <= 0 {
		return false
	}
	err = syscall.Kill(n, 0)
	return err == nil || err == syscall.EPERM
}
