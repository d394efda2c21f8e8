package auth

import (
	"context"
	"log/slog"
	"math"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/chatbotsaas/chatbot/shared/ratelimit"
)

// Throttle limits requests per key (a client address) to a rate a minute,
// rolling: the generic cell rate algorithm of the bot API's per-minute
// limit. A limit of N lets N requests through at once, then one every
// 60 s / N; a client that spent its burst gets it back only as fast as that,
// so there is no fresh allowance at the turn of a clock minute (a fixed
// window let 2N through in a moment across it). It counts in Redis when it
// is configured and answers (shared by every process), else in this
// process, with the limiter's fallback and return to Redis.
type Throttle struct {
	limiter *ratelimit.Limiter
}

// NewThrottle makes a throttle; rdb may be nil.
func NewThrottle(rdb *redis.Client, now func() time.Time) *Throttle {
	return &Throttle{limiter: ratelimit.New(rdb, now, slog.Default())}
}

// Allow counts one request for key and reports whether it is within limit
// per minute; when not, it says how many seconds until one would be.
func (t *Throttle) Allow(ctx context.Context, key string, limit int) (ok bool, retryAfter int) {
	if limit <= 0 {
		return true, 0
	}
	d, err := t.limiter.Stack(ctx, "throttle:"+key, ratelimit.Scope{Limits: ratelimit.Limits{PerMinute: limit}})
	if err != nil {
		// Only the end of ctx fails a decision: the request is gone.
		return false, 1
	}
	if d.Allowed {
		return true, 0
	}
	return false, int(math.Ceil(max(d.RetryAfter, time.Second).Seconds()))
}
