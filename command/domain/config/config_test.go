package config

import (
	"errors"
	"testing"

	"github.com/chatbotsaas/chatbot/events"
	"github.com/chatbotsaas/chatbot/shared/apperr"
)

func ptr(v int) *int { return &v }

func TestChangeChecksDefaultLimitsAsEveryLimit(t *testing.T) {
	cases := []struct {
		name    string
		limits  events.Limits
		refused string // field, "" if accepted
	}{
		{"no default limit", events.Limits{}, ""},
		{"sane defaults", events.Limits{RequestsPerMinute: ptr(600), DailyRequests: ptr(10_000), MonthlyRequests: ptr(200_000)}, ""},
		{"1e8 a minute", events.Limits{RequestsPerMinute: ptr(100_000_000)}, "default_limits.requests_per_minute"},
		{"1e10 a month", events.Limits{MonthlyRequests: ptr(10_000_000_000)}, "default_limits.monthly_requests"},
		{"zero a day", events.Limits{DailyRequests: ptr(0)}, "default_limits.daily_requests"},
		{"a day above its month", events.Limits{DailyRequests: ptr(10), MonthlyRequests: ptr(5)}, "default_limits.daily_requests"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			before := events.PlatformConfig{}
			after := before
			after.DefaultLimits = c.limits
			_, err := Change(before, after, []string{"default_limits"})
			if c.refused == "" {
				if err != nil {
					t.Fatalf("refused: %v", err)
				}
				return
			}
			var ae *apperr.Error
			if !errors.As(err, &ae) || len(ae.Fields) != 1 || ae.Fields[0].Field != c.refused {
				t.Fatalf("got %v, want a refusal of %s", err, c.refused)
			}
		})
	}
}

func TestAStoredDefaultIsNotJudgedWhenAnotherKeyChanges(t *testing.T) {
	before := events.PlatformConfig{DefaultLimits: events.Limits{RequestsPerMinute: ptr(0)}}
	after := before
	after.SignupEnabled = true
	if _, err := Change(before, after, []string{"signup_enabled"}); err != nil {
		t.Fatalf("refused for a value it did not change: %v", err)
	}
}
