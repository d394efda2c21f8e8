// Package limits checks usage limits as a company plan and a chatbot set
// them. It is pure.
package limits

import (
	"github.com/chatbotsaas/chatbot/events"
	"github.com/chatbotsaas/chatbot/shared/apperr"
)

// Check refuses a limit below 1 and a daily limit above the monthly one.
// Fields are named after prefix; nullMeans says what a null limit takes.
func Check(l events.Limits, prefix, nullMeans string) []apperr.FieldError {
	var errs []apperr.FieldError
	for _, f := range []struct {
		field string
		v     *int
	}{{"requests_per_minute", l.RequestsPerMinute}, {"daily_requests", l.DailyRequests}, {"monthly_requests", l.MonthlyRequests}} {
		if f.v != nil && *f.v < 1 {
			errs = append(errs, apperr.FieldError{Field: prefix + f.field, Message: "must be at least 1, or null for " + nullMeans})
		}
	}
	if d, m := l.DailyRequests, l.MonthlyRequests; d != nil && m != nil && *d > *m {
		errs = append(errs, apperr.FieldError{Field: prefix + "daily_requests", Message: "cannot exceed monthly_requests"})
	}
	return errs
}
