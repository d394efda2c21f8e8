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

	o := make(outcome, len(c.scopes))
	rates := make([]rateState, len(c.scopes))
	for i, s := range c.scopes {
		o[i], rates[i] = m.look(s, c.now)
	}
	if !o.allowed() {
		return o
	}
	for i, s := range c.scopes {
		if s.lim.PerMinute > 0 {
			m.rates[s.rateKey] = rates[i]
		}
		if s.countsDay() {
			o[i].usedDay = m.incr(s.dayKey, c.now, c.now.Add(c.day.keyTTL(c.now)))
		}
		if s.countsMonth() {
			o[i].usedMonth = m.incr(s.monthKey, c.now, c.now.Add(c.month.keyTTL(c.now)))
		}
	}
	return o
}

// look checks one scope without recording anything: what refuses it, its
// counts, and its rate state should the call be allowed.
func (m *memStore) look(s scopeCall, now time.Time) (scopeOutcome, rateState) {
	var o scopeOutcome
	var rate rateState
	if s.lim.PerMinute > 0 {
		var retry int64
		rate, retry = gcraStep(m.rate(s.rateKey, now), now.UnixMicro(), s.lim.PerMinute)
		o.rateLimited, o.rateRetry = retry > 0, time.Duration(retry)*time.Microsecond
	}
	if s.countsDay() {
		o.usedDay = m.count(s.dayKey, now)
	}
	if s.countsMonth() {
		o.usedMonth = m.count(s.monthKey, now)
	}
	o.dailyFull = s.lim.Daily > 0 && o.usedDay >= int64(s.lim.Daily)
	o.monthlyFull = s.lim.Monthly > 0 && o.usedMonth >= int64(s.lim.Monthly)
	return o, rate
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
