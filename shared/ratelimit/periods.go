package ratelimit

import "time"

// Periods of the quotas, as Crossing.Period names them.
const (
	Daily   = "daily"
	Monthly = "monthly"
)

// Thresholds of a quota, in percent, that a call reports crossing.
var thresholds = [...]int{80, 100}

// keyMargin keeps a period's counter a while after the period ends, so a
// process whose clock lags a little still finds it.
const keyMargin = time.Hour

// period is a half-open interval [start, end) of UTC time.
type period struct{ start, end time.Time }

// dayOf is the UTC day around t.
func dayOf(t time.Time) period {
	t = t.UTC()
	start := time.Date(t.Year(), t.Month(), t.Day(), 0, 0, 0, 0, time.UTC)
	return period{start, start.AddDate(0, 0, 1)}
}

// monthOf is the UTC calendar month around t.
func monthOf(t time.Time) period {
	t = t.UTC()
	start := time.Date(t.Year(), t.Month(), 1, 0, 0, 0, 0, time.UTC)
	return period{start, start.AddDate(0, 1, 0)}
}

// keyTTL is how long a counter made at now must live: to the period's end
// and the margin.
func (p period) keyTTL(now time.Time) time.Duration { return p.end.Sub(now) + keyMargin }

// thresholdCount is the count at which pct percent of limit is reached,
// rounded up: 80 % of 12 is reached at the 10th call, not the 9th.
func thresholdCount(limit, pct int) int64 {
	return (int64(limit)*int64(pct) + 99) / 100
}

// crossings are the thresholds of limit that a count moving from before
// to after went across. A limit of 0 (or less) is no limit: nothing to cross.
func crossings(scope, name string, p period, limit int, before, after int64) []Crossing {
	if limit <= 0 {
		return nil
	}
	var out []Crossing
	for _, pct := range thresholds {
		if c := thresholdCount(limit, pct); before < c && after >= c {
			out = append(out, Crossing{Scope: scope, Period: name, PeriodStart: p.start, Threshold: pct, Limit: limit, Used: int(after)})
		}
	}
	return out
}
