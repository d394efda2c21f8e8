package ratelimit

import "time"

// A call may have to pass several limits at once: its API key's, its
// chatbot's and its company's. Each is a Scope; all of a call's scopes are
// decided together, in one script run (one round trip, atomic), and a call
// refused by any of them counts in none.

// Scope is one set of limits a call must pass.
type Scope struct {
	// Name says which limit refused a call ("key", "chatbot", "company").
	Name string
	// Key names the scope's counters, unique within the call's group.
	Key    string
	Limits Limits
	// Count counts the daily and monthly calls even without a quota, so a
	// quota set later in a period knows what the period already used and
	// usage can be answered. Without it a scope with no quota keeps no
	// period counters (the per-IP login rate needs none).
	Count bool
}

// Which limit of a scope refused a call, as Hit.Limit names it.
const (
	PerMinute = "per_minute"
	// Daily and Monthly (periods.go) name the quotas.
)

// Hit is one limit that refused a call: its scope and which of its limits.
type Hit struct {
	Scope string // a Scope's Name
	Limit string // PerMinute, Daily or Monthly
	Value int    // the limit: calls a minute, a day or a month
}

// String is the hit as one word, such as "company_daily": a stable value to
// count refusals by.
func (h Hit) String() string {
	if h.Scope == "" {
		return h.Limit
	}
	return h.Scope + "_" + h.Limit
}

// Usage is one scope's counts after a call.
type Usage struct {
	Scope                string
	UsedToday, UsedMonth int64
}

// scopeCall is a scope as a store sees it: its limits and its keys.
type scopeCall struct {
	name                      string
	lim                       Limits
	count                     bool
	rateKey, dayKey, monthKey string
}

// countsDay says whether the scope keeps a day counter; the same for a
// month.
func (s scopeCall) countsDay() bool   { return s.count || s.lim.Daily > 0 }
func (s scopeCall) countsMonth() bool { return s.count || s.lim.Monthly > 0 }

// scopeOutcome is what a store found for one scope: which of its limits
// refused the call and its counts after it.
type scopeOutcome struct {
	rateLimited            bool
	rateRetry              time.Duration
	dailyFull, monthlyFull bool
	usedDay, usedMonth     int64
}

func (o scopeOutcome) allowed() bool { return !o.rateLimited && !o.dailyFull && !o.monthlyFull }

// outcome is what a store found for every scope of a call, in its order.
type outcome []scopeOutcome

func (o outcome) allowed() bool {
	for _, s := range o {
		if !s.allowed() {
			return false
		}
	}
	return true
}

// decide turns a store's outcome into the Decision, the same for both
// stores.
func decide(c call, o outcome) Decision {
	d := Decision{Allowed: o.allowed()}
	for i, s := range c.scopes {
		d.Scopes = append(d.Scopes, Usage{Scope: s.name, UsedToday: o[i].usedDay, UsedMonth: o[i].usedMonth})
	}
	if len(o) > 0 {
		d.UsedToday, d.UsedMonth = o[0].usedDay, o[0].usedMonth
	}
	if d.Allowed {
		for i, s := range c.scopes {
			d.Crossed = append(d.Crossed, crossings(s.name, Daily, c.day, s.lim.Daily, o[i].usedDay-1, o[i].usedDay)...)
			d.Crossed = append(d.Crossed, crossings(s.name, Monthly, c.month, s.lim.Monthly, o[i].usedMonth-1, o[i].usedMonth)...)
		}
		return d
	}
	d.refusals(c, o)
	return d
}

// refusals fills in why a call was refused. A used-up quota outranks the
// rate (the call would wait for the period, not the rate); among the same
// kind the longest wait is named; Retry-After is the longest wait of all.
func (d *Decision) refusals(c call, o outcome) {
	var named time.Duration
	name := func(h Hit, reason string, wait time.Duration) {
		d.Refused = append(d.Refused, h)
		d.RetryAfter = max(d.RetryAfter, wait)
		quota := reason == ReasonQuotaExceeded
		if d.Reason == "" || (quota && d.Reason == ReasonRateLimited) || (quota == (d.Reason == ReasonQuotaExceeded) && wait > named) {
			d.Reason, d.Limit, named = reason, h, wait
		}
	}
	for i, s := range c.scopes {
		if o[i].rateLimited {
			name(Hit{s.name, PerMinute, s.lim.PerMinute}, ReasonRateLimited, o[i].rateRetry)
		}
		if o[i].dailyFull {
			name(Hit{s.name, Daily, s.lim.Daily}, ReasonQuotaExceeded, c.day.end.Sub(c.now))
		}
		if o[i].monthlyFull {
			name(Hit{s.name, Monthly, s.lim.Monthly}, ReasonQuotaExceeded, c.month.end.Sub(c.now))
		}
	}
}
