package limits

import (
	"fmt"
	"testing"

	"github.com/chatbotsaas/chatbot/events"
)

func ptr(v int) *int { return &v }

func TestCheck(t *testing.T) {
	cases := []struct {
		name   string
		limits events.Limits
		want   []string // fields refused, in order
	}{
		{"no limit at all is fine", events.Limits{}, nil},
		{"the bounds themselves are fine",
			events.Limits{RequestsPerMinute: ptr(MaxPerMin), DailyRequests: ptr(MaxDaily), MonthlyRequests: ptr(MaxMonthly)}, nil},
		{"the lowest limits are fine", events.Limits{RequestsPerMinute: ptr(Min), DailyRequests: ptr(Min), MonthlyRequests: ptr(Min)}, nil},
		{"zero a minute is refused", events.Limits{RequestsPerMinute: ptr(0)}, []string{"p.requests_per_minute"}},
		{"a negative daily limit is refused", events.Limits{DailyRequests: ptr(-5)}, []string{"p.daily_requests"}},
		{"more than a million a minute is refused", events.Limits{RequestsPerMinute: ptr(MaxPerMin + 1)}, []string{"p.requests_per_minute"}},
		{"1e8 a minute is refused", events.Limits{RequestsPerMinute: ptr(100_000_000)}, []string{"p.requests_per_minute"}},
		{"1e10 a month is refused", events.Limits{MonthlyRequests: ptr(10_000_000_000)}, []string{"p.monthly_requests"}},
		{"more than a billion a day is refused", events.Limits{DailyRequests: ptr(MaxDaily + 1)}, []string{"p.daily_requests"}},
		{"a day above its month is refused", events.Limits{DailyRequests: ptr(100), MonthlyRequests: ptr(99)}, []string{"p.daily_requests"}},
		{"every bad field is named",
			events.Limits{RequestsPerMinute: ptr(0), DailyRequests: ptr(MaxDaily + 1), MonthlyRequests: ptr(MaxMonthly + 1)},
			[]string{"p.requests_per_minute", "p.daily_requests", "p.monthly_requests"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var got []string
			for _, e := range Check(c.limits, "p.", "the default") {
				if e.Message == "" {
					t.Errorf("%s refused without a message", e.Field)
				}
				got = append(got, e.Field)
			}
			if fmt.Sprint(got) != fmt.Sprint(c.want) {
				t.Fatalf("got %v, want %v", got, c.want)
			}
		})
	}
}
