package ratelimit

import "math"

// GCRA arithmetic, in microseconds. The Lua script in script.go does the
// same operations in the same order on the same float64 values, so the
// in-process fallback decides exactly as Redis does.
const (
	window = 60_000_000 // one minute
	// tolerance absorbs rounding of window/N added N times, so a burst of
	// exactly N is never refused for a fraction of a microsecond; the
	// smallest step, 60 µs at a million a minute, is far above it.
	tolerance = 1
)

// rateState is one key's GCRA state: at time t (µs) its theoretical
// arrival time lay debt µs ahead. The zero value is a key without debt.
type rateState struct {
	t    int64
	debt float64
}

// gcraStep admits one call at now against perMinute (> 0). It returns the
// state after the call and 0, or, when the call is refused, the state
// unchanged and how many µs until a call would be admitted.
func gcraStep(st rateState, now int64, perMinute int) (rateState, int64) {
	t, debt := st.t, st.debt
	if st == (rateState{}) {
		t = now
	}
	// A clock behind the one that wrote the state drains nothing rather
	// than adding debt.
	if now > t {
		debt = math.Max(debt-float64(now-t), 0)
		t = now
	}
	debt += float64(window) / float64(perMinute)
	if debt > window+tolerance {
		return st, int64(math.Ceil(debt - window + float64(t-now)))
	}
	return rateState{t: t, debt: debt}, 0
}

// drainsAt is the time (µs) at which the state holds no debt any more and
// may be forgotten.
func (s rateState) drainsAt() int64 { return s.t + int64(math.Ceil(s.debt)) }
