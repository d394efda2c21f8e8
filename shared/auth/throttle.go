package auth

import (
	"context"
	"strconv"
	"sync"
	"time"

	"github.com/redis/go-redis/v9"
)

// Throttle counts requests per key in fixed one-minute windows: in Redis
// when it is configured and answers (shared by every process), else in
// this process.
type Throttle struct {
	redis *redis.Client
	now   func() time.Time

	mu     sync.Mutex
	local  map[string]int
	window int64
}

// NewThrottle makes a throttle; rdb may be nil.
func NewThrottle(rdb *redis.Client, now func() time.Time) *Throttle {
	return &Throttle{redis: rdb, now: now, local: map[string]int{}}
}

// Allow counts one request for key and reports whether it is within limit
// per minute; when not, it says how many seconds until the window turns.
func (t *Throttle) Allow(ctx context.Context, key string, limit int) (ok bool, retryAfter int) {
	if limit <= 0 {
		return true, 0
	}
	now := t.now()
	window := now.Unix() / 60
	retryAfter = int(60 - now.Unix()%60)
	if t.redis != nil {
		k := "throttle:" + key + ":" + strconv.FormatInt(window, 10)
		pipe := t.redis.TxPipeline()
		incr := pipe.Incr(ctx, k)
		pipe.Expire(ctx, k, 2*time.Minute)
		if _, err := pipe.Exec(ctx); err == nil {
			return incr.Val() <= int64(limit), retryAfter
		}
		// Redis is away: count here instead.
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	if window != t.window {
		t.local, t.window = map[string]int{}, window
	}
	t.local[key]++
	return t.local[key] <= limit, retryAfter
}
