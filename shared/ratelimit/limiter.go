package ratelimit

import (
	"context"
	"errors"
	"log/slog"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/chatbotsaas/chatbot/shared/deadline"
)

// Limits of one scope (a key, a chatbot, a company); 0 (or less) is no limit.
type Limits struct{ PerMinute, Daily, Monthly int }

// Crossing is a quota threshold that one call crossed.
type Crossing struct {
	Scope       string    // the Scope's Name
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
	// Limit, when refused, is the limit the refusal names: a used-up quota
	// before a rate, and among those the one with the longest wait.
	Limit Hit
	// Refused are all the limits that refused the call.
	Refused []Hit
	// RetryAfter, when refused, is how long until a call would be allowed:
	// the GCRA's wait for the rate, the period's end for a quota, the
	// longest of those that refused.
	RetryAfter time.Duration
	// UsedToday and UsedMonth are the first scope's counts after this call,
	// which counts only when allowed; Scopes has every scope's.
	UsedToday, UsedMonth int64
	Scopes               []Usage
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
	// redisBound bounds a call's wait for Redis, so a Redis that hangs
	// (or a probe that dials a dead host) costs little before the call is
	// decided in the process. Its contexts are shared by the calls of a
	// few milliseconds: a timer per call cost more than the script.
	redisBound *deadline.Source
	batch      *batcher // shares round trips among concurrent calls
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

		redisBound: deadline.New(defaultRedisTimeout),
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
	return l.Stack(ctx, key, Scope{Limits: lim, Count: true})
}

// Stack decides one call that must pass every scope and, when it passes
// them all, counts it in each. group holds the scopes' counters together
// (one Redis cluster slot): a company, for the scopes of its bot calls.
// It fails only for an empty group or when ctx ends before the decision.
func (l *Limiter) Stack(ctx context.Context, group string, scopes ...Scope) (Decision, error) {
	if group == "" {
		return Decision{}, errors.New("ratelimit: empty key")
	}
	if err := ctx.Err(); err != nil {
		return Decision{}, err
	}
	if len(scopes) == 0 {
		return Decision{Allowed: true}, nil
	}
	c := newCall(group, scopes, l.now())
	if c.stateful() == 0 {
		return decide(c, make(outcome, len(scopes))), nil // nothing to read or count
	}
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
		return nil, false, nil
	}
	use, probe := l.health.use()
	if !use {
		return nil, false, nil
	}
	o, err = l.batch.do(ctx, l.redisBound.Context(), c)
	switch {
	case err == nil:
		if l.health.succeeded() {
			l.log.Info("rate limits are counted in Redis again")
		}
		return o, true, nil
	case ctx.Err() != nil:
		// The caller gave up; that says nothing about Redis.
		l.health.abandon(probe)
		return nil, false, ctx.Err()
	default:
		if l.health.failed(probe) {
			l.log.Warn("Redis does not answer: rate limits and quotas are counted per process until it does", "error", err)
		}
		return nil, false, nil
	}
}

// call is one decision's inputs, fixed before a store sees them.
type call struct {
	now        time.Time
	day, month period
	scopes     []scopeCall
}

func newCall(group string, scopes []Scope, now time.Time) call {
	now = now.UTC()
	// The hash tag puts every key of the call on one cluster slot, as a
	// script touching several keys needs.
	c := call{now: now, day: dayOf(now), month: monthOf(now), scopes: make([]scopeCall, len(scopes))}
	prefix := "ratelimit:{" + group + "}:"
	day, month := ":day:"+now.Format("2006-01-02"), ":month:"+now.Format("2006-01")
	for i, s := range scopes {
		base := prefix + s.Key
		if s.Key == "" {
			base = prefix[:len(prefix)-1]
		}
		c.scopes[i] = scopeCall{name: s.Name, lim: s.Limits, count: s.Count,
			rateKey: base + ":rpm", dayKey: base + day, monthKey: base + month}
	}
	return c
}
