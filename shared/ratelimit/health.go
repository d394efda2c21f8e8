package ratelimit

import (
	"sync"
	"time"
)

// Backoff between attempts to reach Redis again after it failed: short at
// first so a blip ends quickly, growing so a long outage costs few slow
// calls (an attempt may wait for the client's dial timeout).
const (
	minBackoff = time.Second
	maxBackoff = 10 * time.Second
)

// redisHealth says whether a call should go to Redis: every call while it
// answers; after a failure, one probing call per backoff until it answers
// again, while the others count in the process. It keeps wall time, not
// the Limiter's clock: the backoff is about the network, not the periods.
type redisHealth struct {
	wall func() time.Time
	min  time.Duration
	max  time.Duration

	mu      sync.Mutex
	down    bool
	backoff time.Duration
	retryAt time.Time
	probing bool
}

func newRedisHealth(wall func() time.Time) *redisHealth {
	return &redisHealth{wall: wall, min: minBackoff, max: maxBackoff}
}

// use says whether to try Redis, and whether this attempt is the probe of
// a Redis that was failing.
func (h *redisHealth) use() (use, probe bool) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if !h.down {
		return true, false
	}
	if h.probing || h.wall().Before(h.retryAt) {
		return false, false
	}
	h.probing = true
	return true, true
}

// succeeded records an answer; true when Redis was failing until now.
func (h *redisHealth) succeeded() (recovered bool) {
	h.mu.Lock()
	defer h.mu.Unlock()
	recovered = h.down
	h.down, h.probing, h.backoff = false, false, 0
	return recovered
}

// failed records a failure; true when Redis was answering until now.
// Calls already under way when Redis went down fail too, but only the
// first failure and the probes move the backoff.
func (h *redisHealth) failed(probe bool) (wentDown bool) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if !h.down {
		h.down, h.backoff = true, h.min
		h.retryAt = h.wall().Add(h.backoff)
		return true
	}
	if probe {
		h.probing, h.backoff = false, min(2*h.backoff, h.max)
		h.retryAt = h.wall().Add(h.backoff)
	}
	return false
}

// abandon releases a probe that ended without learning anything.
func (h *redisHealth) abandon(probe bool) {
	if !probe {
		return
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	h.probing = false
}

// isDown says whether calls are counted in the process because Redis failed.
func (h *redisHealth) isDown() bool {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.down
}
