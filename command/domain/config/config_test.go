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

func TestChange(t *testing.T) {
	base := events.PlatformConfig{Tokens: events.TokensConfig{AccessTTLSeconds: 900, RefreshIdleTTLSeconds: 86_400, RefreshAbsoluteTTLSeconds: 2_592_000}}
	cases := []struct {
		name    string
		change  func(*events.PlatformConfig) []string
		refused []string // fields, nil if accepted
		events  int
	}{
		{"no change appends nothing", func(*events.PlatformConfig) []string { return nil }, nil, 0},
		{"a change is recorded", func(c *events.PlatformConfig) []string { c.SignupEnabled = true; return []string{"signup_enabled"} }, nil, 1},
		{"a new origin is a change", func(c *events.PlatformConfig) []string {
			c.CORSAllowedOrigins = []string{"https://app.example.com"}
			return []string{"cors_allowed_origins"}
		}, nil, 1},
		{"an absolute lifetime below the idle one is refused", func(c *events.PlatformConfig) []string {
			c.Tokens.RefreshAbsoluteTTLSeconds = 3_600
			return []string{"tokens"}
		}, []string{"tokens.refresh_absolute_ttl_seconds"}, 0},
		{"an idle lifetime below the access token's is refused", func(c *events.PlatformConfig) []string {
			c.Tokens.RefreshIdleTTLSeconds = 60
			return []string{"tokens"}
		}, []string{"tokens.refresh_idle_ttl_seconds"}, 0},
		{"the same lifetimes are fine", func(c *events.PlatformConfig) []string {
			c.Tokens.RefreshIdleTTLSeconds, c.Tokens.RefreshAbsoluteTTLSeconds = 900, 900
			return []string{"tokens"}
		}, nil, 1},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			after := base
			changed := c.change(&after)
			evs, err := Change(base, after, changed)
			var got []string
			var ae *apperr.Error
			if errors.As(err, &ae) {
				for _, f := range ae.Fields {
					got = append(got, f.Field)
				}
			} else if err != nil {
				t.Fatal(err)
			}
			if len(got) != len(c.refused) || (len(got) > 0 && got[0] != c.refused[0]) || len(evs) != c.events {
				t.Fatalf("refused %v with %d events, want %v with %d", got, len(evs), c.refused, c.events)
			}
		})
	}
}

func TestAChangeNamesItsKeysInOrderAndApplyKeepsIt(t *testing.T) {
	before := events.PlatformConfig{}
	after := before
	after.SignupEnabled, after.LoginRate.PerIPPerMinute = true, 5
	evs, err := Change(before, after, []string{"signup_enabled", "login_rate"})
	if err != nil || len(evs) != 1 {
		t.Fatalf("got %v %v", evs, err)
	}
	d := evs[0].Data.(events.ConfigurationChangedData)
	if d.Changed[0] != "login_rate" || d.Changed[1] != "signup_enabled" {
		t.Fatalf("changed %v, want sorted", d.Changed)
	}
	var c Config
	c.Apply(events.Envelope{Type: events.ConfigurationChanged}, &d)
	if !c.Set || !c.Current.SignupEnabled || c.Current.PasswordReset.TTLSeconds != events.DefaultResetTTLSeconds {
		t.Fatalf("applied %+v: want the change, and the reset lifetime a change recorded before it existed lacks", c)
	}
}
