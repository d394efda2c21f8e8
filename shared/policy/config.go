package policy

import (
	"time"

	"github.com/chatbotsaas/chatbot/events"
)

// DefaultConfig is the configuration of a new platform, as the API shows it.
func DefaultConfig() events.PlatformConfig {
	return ToConfig(Default())
}

func intp(v int) *int { return &v }

// ToConfig is the API form of a policy.
func ToConfig(p Policy) events.PlatformConfig {
	origins := p.CORSAllowedOrigins
	if origins == nil {
		origins = []string{}
	}
	return events.PlatformConfig{
		Lockout: events.LockoutConfig{MaxFailures: p.MaxFailures, WindowSeconds: secs(p.FailureWindow),
			LockSeconds: secs(p.LockFor), MaxTemporaryLocks: p.MaxTemporaryLocks},
		Tokens: events.TokensConfig{AccessTTLSeconds: secs(p.AccessTTL), RefreshIdleTTLSeconds: secs(p.RefreshIdleTTL),
			RefreshAbsoluteTTLSeconds: secs(p.RefreshAbsoluteTTL), RefreshReuseGraceSeconds: secs(p.RefreshReuseGrace)},
		Password:           events.PasswordConfig{MinLength: p.PasswordMinLength},
		PasswordReset:      events.ResetConfig{TTLSeconds: secs(p.PasswordResetTTL)},
		LoginRate:          events.LoginRate{PerIPPerMinute: p.LoginPerIPPerMin},
		SignupEnabled:      p.SignupEnabled,
		CORSAllowedOrigins: origins,
		DefaultLimits:      p.DefaultLimits,
	}
}

// FromConfig is the policy a configuration sets.
func FromConfig(c events.PlatformConfig) Policy {
	resetTTL := dur(c.PasswordReset.TTLSeconds)
	if resetTTL <= 0 {
		resetTTL = DefaultPasswordResetTTL
	}
	return Policy{
		PasswordResetTTL: resetTTL,
		MaxFailures:      c.Lockout.MaxFailures, FailureWindow: dur(c.Lockout.WindowSeconds), LockFor: dur(c.Lockout.LockSeconds),
		MaxTemporaryLocks: c.Lockout.MaxTemporaryLocks,
		AccessTTL:         dur(c.Tokens.AccessTTLSeconds), RefreshIdleTTL: dur(c.Tokens.RefreshIdleTTLSeconds),
		RefreshAbsoluteTTL: dur(c.Tokens.RefreshAbsoluteTTLSeconds), RefreshReuseGrace: dur(c.Tokens.RefreshReuseGraceSeconds),
		PasswordMinLength: c.Password.MinLength, LoginPerIPPerMin: c.LoginRate.PerIPPerMinute,
		SignupEnabled: c.SignupEnabled, CORSAllowedOrigins: c.CORSAllowedOrigins, DefaultLimits: c.DefaultLimits,
	}
}

func secs(d time.Duration) int { return int(d / time.Second) }
func dur(s int) time.Duration  { return time.Duration(s) * time.Second }
