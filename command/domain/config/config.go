// Package config is the platform configuration aggregate: one per
// platform, changed by administrators, applied by every process.
package config

import (
	"slices"

	"github.com/chatbotsaas/chatbot/command/domain/limits"
	"github.com/chatbotsaas/chatbot/events"
	"github.com/chatbotsaas/chatbot/shared/apperr"
)

// Config is the configuration in force, once an administrator set one.
type Config struct {
	Current events.PlatformConfig `json:"current"`
	Set     bool                  `json:"set"`
}

// Apply folds one event into the state.
func (c *Config) Apply(_ events.Envelope, data any) {
	if d, ok := data.(*events.ConfigurationChangedData); ok {
		c.Current, c.Set = d.Config, true
		if c.Current.PasswordReset.TTLSeconds == 0 { // recorded before the setting existed
			c.Current.PasswordReset.TTLSeconds = events.DefaultResetTTLSeconds
		}
	}
}

// Change decides on a new configuration: it checks the rules between
// values and records what changed. No change appends nothing.
func Change(before, after events.PlatformConfig, changed []string) ([]events.Event, error) {
	var errs []apperr.FieldError
	if after.Tokens.RefreshAbsoluteTTLSeconds < after.Tokens.RefreshIdleTTLSeconds {
		errs = append(errs, apperr.FieldError{Field: "tokens.refresh_absolute_ttl_seconds", Message: "must not be shorter than refresh_idle_ttl_seconds"})
	}
	if after.Tokens.RefreshIdleTTLSeconds < after.Tokens.AccessTTLSeconds {
		errs = append(errs, apperr.FieldError{Field: "tokens.refresh_idle_ttl_seconds", Message: "must not be shorter than access_ttl_seconds"})
	}
	// A stored default is not judged again when another key changes.
	if slices.Contains(changed, "default_limits") {
		errs = append(errs, limits.Check(after.DefaultLimits, "default_limits.", "no limit")...)
	}
	if len(errs) > 0 {
		return nil, apperr.Validation(errs...)
	}
	if equal(before, after) {
		return nil, nil
	}
	slices.Sort(changed)
	return []events.Event{{Type: events.ConfigurationChanged, Data: events.ConfigurationChangedData{Changed: changed, Config: after}}}, nil
}

func equal(a, b events.PlatformConfig) bool {
	return a.Lockout == b.Lockout && a.Tokens == b.Tokens && a.Password == b.Password && a.PasswordReset == b.PasswordReset && a.LoginRate == b.LoginRate &&
		a.SignupEnabled == b.SignupEnabled && slices.Equal(a.CORSAllowedOrigins, b.CORSAllowedOrigins) &&
		eqp(a.DefaultLimits.RequestsPerMinute, b.DefaultLimits.RequestsPerMinute) &&
		eqp(a.DefaultLimits.DailyRequests, b.DefaultLimits.DailyRequests) &&
		eqp(a.DefaultLimits.MonthlyRequests, b.DefaultLimits.MonthlyRequests)
}

func eqp(a, b *int) bool { return a == nil && b == nil || a != nil && b != nil && *a == *b }
