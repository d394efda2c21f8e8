// Package deadline hands out contexts that end after a bound, shared by
// the calls that start close together.
//
// context.WithTimeout costs a timer, an allocation and a registration
// with its parent for every call; on the hot paths (each request's bound,
// each wait for Redis) that was a few per cent of the CPU of a call. A
// Source makes one such context per step and gives it to every call that
// starts within that step, so a call's bound is between d-step and d.
// The contexts carry no values and are never cancelled early: use them
// where a call is bounded by time alone, or derive a call's own from one.
package deadline

import (
	"context"
	"sync/atomic"
	"time"
)

// Source gives contexts that end d after they were made, a new one every
// step.
type Source struct {
	d, step time.Duration
	now     func() time.Time
	cur     atomic.Pointer[shared]
}

type shared struct {
	ctx    context.Context
	cancel context.CancelFunc // never called: the deadline releases the context
	until  time.Time          // the last start that may still take it
}

// New is a Source of contexts ending d after they were made; step is
// d/50, at most 100 ms and at least 1 ms (never above d).
func New(d time.Duration) *Source {
	step := min(max(d/50, time.Millisecond), 100*time.Millisecond, d)
	return &Source{d: d, step: step, now: time.Now}
}

// Context is a context that ends within d from now, and no sooner than
// d-step.
func (s *Source) Context() context.Context {
	now := s.now()
	cur := s.cur.Load()
	if cur != nil && now.Before(cur.until) {
		return cur.ctx
	}
	ctx, cancel := context.WithDeadline(context.Background(), now.Add(s.d))
	next := &shared{ctx: ctx, cancel: cancel, until: now.Add(s.step)}
	if s.cur.CompareAndSwap(cur, next) {
		return ctx
	}
	cancel() // another call made the step's context first: take it
	return s.cur.Load().ctx
}
