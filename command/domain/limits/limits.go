// Package limits holds the one set of bounds of usage limits, wherever
// they are set (an API key's own, a chatbot's own, a company plan's limits
// of each chatbot and of the whole company, the platform's defaults), and
// checks them the same way everywhere. It is pure.
package limits

import (
	"fmt"

	"github.com/chatbotsaas/chatbot/events"
	"github.com/chatbotsaas/chatbot/shared/apperr"
)

// The bounds of each limit. Past these a limit is no limit in practice,
// and the counters (per minute in Redis, daily and monthly sums) stay
// well inside their integer types.
const (
	Min        = 1
	MaxPerMin  = 1_000_000
	MaxDaily   = 1_000_000_000
	MaxMonthly = 1_000_000_000
)

// Field is one limit: its JSON name and its upper bound.
type Field struct {
	Name string
	Max  int
}

// Fields are the three limits, in the order of events.Limits.
var Fields = [3]Field{{"requests_per_minute", MaxPerMin}, {"daily_requests", MaxDaily}, {"monthly_requests", MaxMonthly}}

// Check refuses a limit outside [Min, its Max] and a daily limit above
// the monthly one. Fields are named after prefix ("plan.limits.",
// "default_limits."); nullMeans says what a null limit takes.
func Check(l events.Limits, prefix, nullMeans string) []apperr.FieldError {
	var errs []apperr.FieldError
	for i, v := range []*int{l.RequestsPerMinute, l.DailyRequests, l.MonthlyRequests} {
		f := Fields[i]
		switch {
		case v == nil:
		case *v < Min:
			errs = append(errs, apperr.FieldError{Field: prefix + f.Name, Message: fmt.Sprintf("must be at least %d, or null for %s", Min, nullMeans)})
		case *v > f.Max:
			errs = append(errs, apperr.FieldError{Field: prefix + f.Name, Message: fmt.Sprintf("must be at most %d, or null for %s", f.Max, nullMeans)})
		}
	}
	if d, m := l.DailyRequests, l.MonthlyRequests; d != nil && m != nil && *d > *m {
		errs = append(errs, apperr.FieldError{Field: prefix + "daily_requests", Message: "cannot exceed monthly_requests"})
	}
	return errs
}
