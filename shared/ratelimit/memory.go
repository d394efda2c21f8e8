package ratelimit

import (
	"sync"
	"time"
)

// sweepEvery is how often (on the Limiter's clock) the in-process store
// drops expired entries; between sweeps an expired entry reads as absent.
const sweepEvery = time.Minute

// memStore is the in-process counterpart of the script: the same checks
// and the same keys, under one mutex. Its counters are per process.
type memStore struct {
	mu        sync.Mutex
	rates     map[string]rateState
	counts    map[string]counter
	nextSweep time.Time
}

// counter is a period's count and when it is forgotten.
type counter struct {
	n       int64
	expires time.Time
}

func newMemStore() *memStore {
	return &memStore{rates: map[string]rateState{}, counts: map[string]counter{}}
}

// check decides c and, when it is allowed, counts it, as the script does.
func (m *memStore) check(c call) outcome {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.sweep(c.now)

	var o outcome
	var rate rateState
	if c.lim.PerMinute > 0 {
		var retry int64
		rate, retry = gcraStep(m.rate(c.rateKey, c.now), c.now.UnixMicro(), c.lim.PerMinute)
		o.rateLimited, o.rateRetry = retry > 0, time.Duration(retry)*time.Microsecond
	}
	o.usedDay, o.usedMonth = m.count(c.dayKey, c.now), m.count(c.monthKey, c.now)
	o.dailyFull = c.lim.Daily > 0 && o.usedDay >= int64(c.lim.Daily)
	o.monthlyFull = c.lim.Monthly > 0 && o.usedMonth >= int64(c.lim.Monthly)
	if !o.allowed() {
		return o
	}

	if c.lim.PerMinute > 0 {
		m.rates[c.rateKey] = rate
	}
	o.usedDay = m.incr(c.dayKey, c.now, c.now.Add(c.day.keyTTL(c.now)))
	o.usedMonth = m.incr(c.monthKey, c.now, c.now.Add(c.month.keyTTL(c.now)))
	return o
}

// rate is key's GCRA state, zero once it has drained.
func (m *memStore) rate(key string, now time.Time) rateState {
	st := m.rates[key]
	if st.drainsAt() <= now.UnixMicro() {
		return rateState{}
	}
	return st
}

// count is key's count, zero once it expired.
func (m *memStore) count(key string, now time.Time) int64 {
	if c, ok := m.counts[key]; ok && now.Before(c.expires) {
		return c.n
	}
	return 0
}

// incr counts one at key; a new counter expires at expires, as the script's
// counter gets its TTL when it is made.
func (m *memStore) incr(key string, now, expires time.Time) int64 {
	c, ok := m.counts[key]
	if !ok || !now.Before(c.expires) {
		c = counter{expires: expires}
	}
	c.n++
	m.counts[key] = c
	return c.n
}

// sweep drops expired entries, at most once per sweepEvery.
func (m *memStore) sweep(now time.Time) {
	if now.Before(m.nextSweep) {
		return
	}
	m.nextSweep = now.Add(sweepEvery)
	for k, st := range m.rates {
		if st.drainsAt() <= now.UnixMicro() {
			delete(m.rates, k)
		}
	}
	for k, c := range m.counts {
		if !now.Before(c.expires) {
			delete(m.counts, k)
		}
	}
}
