// Package policy holds the platform's security and usage policy in force:
// lockout, token lifetimes, password rules, throttles. Every process reads
// it through a Holder, which a configuration change replaces at once.
package policy

import (
	"sync/atomic"
	"time"

	"github.com/chatbotsaas/chatbot/events"
)

// Policy is the policy in force. Defaults are those of the API contract.
type Policy struct {
	MaxFailures        int
	FailureWindow      time.Duration
	LockFor            time.Duration
	MaxTemporaryLocks  int
	AccessTTL          time.Duration
	RefreshIdleTTL     time.Duration
	RefreshAbsoluteTTL time.Duration
	RefreshReuseGrace  time.Duration
	PasswordMinLength  int
	PasswordResetTTL   time.Duration
	LoginPerIPPerMin   int
	SignupEnabled      bool
	CORSAllowedOrigins []string
	DefaultLimits      events.Limits
}

// DefaultPasswordResetTTL is how long a reset link works by default.
const DefaultPasswordResetTTL = events.DefaultResetTTLSeconds * time.Second

// Default is the policy of a new platform.
func Default() Policy {
	return Policy{
		MaxFailures: 5, FailureWindow: 900 * time.Second, LockFor: 900 * time.Second, MaxTemporaryLocks: 3,
		AccessTTL: 900 * time.Second, RefreshIdleTTL: 30 * 24 * time.Hour, RefreshAbsoluteTTL: 90 * 24 * time.Hour,
		RefreshReuseGrace: 10 * time.Second, PasswordMinLength: 12, PasswordResetTTL: DefaultPasswordResetTTL, LoginPerIPPerMin: 60, SignupEnabled: true,
		DefaultLimits: events.Limits{RequestsPerMinute: intp(60), DailyRequests: intp(10_000), MonthlyRequests: intp(100_000)},
	}
}

// Holder gives every reader the current policy.
type Holder struct {
	p        atomic.Pointer[Policy]
	position atomic.Uint64
}

// Position is the stream position of the configuration in force, 0 while
// the defaults are.
func (h *Holder) Position() uint64 { return h.position.Load() }

// NewHolder starts with p.
func NewHolder(p Policy) *Holder {
	h := &Holder{}
	h.Set(p)
	return h
}

// Get returns the policy in force.
func (h *Holder) Get() Policy { return *h.p.Load() }

// Set replaces the policy.
func (h *Holder) Set(p Policy) { h.p.Store(&p) }
