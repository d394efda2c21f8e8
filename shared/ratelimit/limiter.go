package ratelimit

import (
	"context"
	"errors"
	"log/slog"
	"time"

	"github.com/redis/go-redis/v9"
)

// Limits of one chatbot; 0 (or less) is no limit.
type Limits struct{ PerMinute, Daily, Monthly int }

// Crossing is a quota threshold that one call crossed.
type Crossing struct {
	Period      string    // Daily or Monthly
	PeriodStart time.Time // UTC start of the day / calendar month
	Threshold   int       // 80 or 100 (percent)
	Limit, Used int
}

// Reasons of a refusal.
const (
	ReasonRateLimited   = "rate_limited"   // the per-minute limit
	ReasonQuotaExceeded = "quota_exceeded" // the daily or monthly quota
)

// Decision is the answer for one call.
type Decision struct {
	Allowed bool
	// Reason is "" when allowed, else ReasonQuotaExceeded when a quota is
	// used up (whatever the rate says), else ReasonRateLimited.
	Reason string
	// RetryAfter, when refused, is how long until a call would be allowed:
	// the GCRA's wait for the rate, the period's end for a quota, the
	// longest of those that refused.
	RetryAfter time.Duration
	// UsedToday and UsedMonth are the counts after this call, which counts
	// only when allowed.
	UsedToday, UsedMonth int64
	// Crossed are the thresholds this very call crossed: the 80 % or
	// 100 % of the daily or monthly quota. Exactly one call per period
	// reports each (per process while Redis is unavailable).
	Crossed []Crossing
}

// Limiter decides calls against Limits, in Redis when it has one that
// answers, else in the process. It is safe for concurrent use.
type Limiter struct {
	rdb    *redis.Client
	now    func() time.Time
	log    *slog.Logger
	local  *memStore
	health *redisHealth
	// redisTimeout bounds a call's wait for Redis, so a Redis that hangs
	// (or a probe that dials a dead host) costs little before the call is
	// decided in the process.
	redisTimeout time.Duration
	batch        *batcher // shares round trips among concurrent calls
}

// defaultRedisTimeout is far above the script's usual sub-millisecond
// answer and well below what an API call can afford to wait.
const defaultRedisTimeout = 300 * time.Millisecond

// New makes a Limiter. rdb may be nil: counters are then per process. now
// is the clock of every decision, periods included; log receives the
// switches between Redis and the in-process counters.
func New(rdb *redis.Client, now func() time.Time, log *slog.Logger) *Limiter {
	if log == nil {
		log = slog.Default()
	}
	l := &Limiter{
		rdb:    rdb,
		now:    now,
		log:    log,
		local:  newMemStore(),
		health: newRedisHealth(time.Now),

		redisTimeout: defaultRedisTimeout,
	}
	if rdb != nil {
		l.batch = newBatcher(rdb, 2*time.Second)
	}
	return l
}

// Allow decides one call of key (a chatbot) against lim and, when it is
// allowed, counts it. It fails only for an empty key or when ctx ends
// before the decision; an unavailable Redis never fails it.
func (l *Limiter) Allow(ctx context.Context, key string, lim Limits) (Decision, error) {
	if key == "" {
		return Decision{}, errors.New("ratelimit: empty key")
	}
	if err := ctx.Err(); err != nil {
		return Decision{}, err
	}
	c := newCall(key, lim, l.now())
	o, ok, err := l.tryRedis(ctx, c)
	if err != nil {
		return Decision{}, err
	}
	if !ok {
		o = l.local.check(c)
	}
	return decide(c, o), nil
}

// tryRedis runs the call in Redis when Redis is to be tried. ok says it
// answered; a failure of Redis is no error (the caller decides locally),
// only the end of ctx is.
func (l *Limiter) tryRedis(ctx context.Context, c call) (o outcome, ok bool, err error) {
	if l.rdb == nil {
		return outcome{}, false, nil
	}
	use, probe := l.health.use()
	if !use {
		return outcome{}, false, nil
	}
	rctx, cancel := context.WithTimeout(ctx, l.redisTimeout)
	o, err = l.batch.do(rctx, c)
	cancel()
	switch {
	case err == nil:
		if l.health.succeeded() {
			l.log.Info("rate limits are counted in Redis again")
		}
		return o, true, nil
	case ctx.Err() != nil:
		// The caller gave up; that says nothing about Redis.
		l.health.abandon(probe)
		return outcome{}, false, ctx.Err()
	default:
		if l.health.failed(probe) {
			l.log.Warn("Redis does not answer: rate limits and quotas are counted per process until it does", "error", err)
		}
		return outcome{}, false, nil
	}
}

// call is one Allow's inputs, fixed before a store sees them.
type call struct {
	now                       time.Time
	lim                       Limits
	day, month                period
	rateKey, dayKey, monthKey string
}

func newCall(key string, lim Limits, now time.Time) call {
	now = now.UTC()
	// The hash tag puts the three keys on one cluster slot, as a script
	// touching several keys needs.
	base := "ratelimit:{" + key + "}:"
	return call{
		now:      now,
		lim:      lim,
		day:      dayOf(now),
		month:    monthOf(now),
		rateKey:  base + "rpm",
		dayKey:   base + "day:" + now.Format("2006-01-02"),
		monthKey: base + "month:" + now.Format("2006-01"),
	}
}

// outcome is what a store found: which checks refused the call and the
// counts after it.
type outcome struct {
	rateLimited            bool
	rateRetry              time.Duration
	dailyFull, monthlyFull bool
	usedDay, usedMonth     int64
}

func (o outcome) allowed() bool { return !o.rateLimited && !o.dailyFull && !o.monthlyFull }

// decide turns a store's outcome into the Decision, the same for both
// stores.
func decide(c call, o outcome) Decision {
	d := Decision{Allowed: o.allowed(), UsedToday: o.usedDay, UsedMonth: o.usedMonth}
	if d.Allowed {
		d.Crossed = append(crossings(Daily, c.day, c.lim.Daily, o.usedDay-1, o.usedDay),
			crossings(Monthly, c.month, c.lim.Monthly, o.usedMonth-1, o.usedMonth)...)
		return d
	}
	d.Reason = ReasonRateLimited
	if o.rateLimited {
		d.RetryAfter = o.rateRetry
	}
	if o.dailyFull {
		d.Reason, d.RetryAfter = ReasonQuotaExceeded, max(d.RetryAfter, c.day.end.Sub(c.now))
	}
	if o.monthlyFull {
		d.Reason, d.RetryAfter = ReasonQuotaExceeded, max(d.RetryAfter, c.month.end.Sub(c.now))
	}
	return d
}
