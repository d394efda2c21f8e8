package eventstore

import (
	"encoding/json"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/chatbotsaas/chatbot/events"
)

// identityMetrics count logins by result, lockouts and unlocks by reason
// from the events appended, so that every path that decides on an account
// (a login, the unlock timer, an administrator, a password reset) counts
// the same way whichever process runs it. Logins refused before an
// account was found (an unknown email, the per-address rate) leave no
// event: CountLogin counts those.
type identityMetrics struct {
	logins   *prometheus.CounterVec
	lockouts prometheus.Counter
	unlocks  *prometheus.CounterVec
}

// Login results; the failure reasons of LoginFailed are results too.
const (
	LoginSucceeded    = "success"
	LoginUnknownEmail = "unknown_email"
	LoginThrottled    = "throttled"
)

var loginResults = []string{LoginSucceeded, LoginUnknownEmail, LoginThrottled,
	events.ReasonWrongPassword, events.ReasonLocked, events.ReasonDisabled, events.ReasonSuspended}

var unlockReasons = []string{events.UnlockExpired, events.UnlockAdmin, events.UnlockPasswordReset}

func newIdentityMetrics() identityMetrics {
	m := identityMetrics{
		logins: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "chatbot_logins_total", Help: "Password logins, by result: success, or why it was refused.",
		}, []string{"result"}),
		lockouts: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "chatbot_lockouts_total", Help: "Accounts locked after too many wrong passwords (temporary and permanent).",
		}),
		unlocks: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "chatbot_unlocks_total", Help: "Locked accounts unlocked, by reason: expired, admin, password_reset.",
		}, []string{"reason"}),
	}
	// Every result shows from the start, at 0.
	for _, r := range loginResults {
		m.logins.WithLabelValues(r)
	}
	for _, r := range unlockReasons {
		m.unlocks.WithLabelValues(r)
	}
	return m
}

func (m identityMetrics) collectors() []prometheus.Collector {
	return []prometheus.Collector{m.logins, m.lockouts, m.unlocks}
}

// CountLogin counts a login refused before any account decided on it.
func (m *Metrics) CountLogin(result string) {
	if m != nil {
		m.identity.logins.WithLabelValues(known(result, loginResults)).Inc()
	}
}

func (m identityMetrics) observe(e events.Envelope) {
	switch e.Type {
	case events.LoginSucceeded:
		m.logins.WithLabelValues(LoginSucceeded).Inc()
	case events.LoginFailed:
		reason := reasonOf(e)
		if reason == events.ReasonWrongCurrentPassword {
			return // a password change, not a login
		}
		m.logins.WithLabelValues(known(reason, loginResults)).Inc()
	case events.AccountLocked:
		m.lockouts.Inc()
	case events.AccountUnlocked:
		m.unlocks.WithLabelValues(known(reasonOf(e), unlockReasons)).Inc()
	}
}

// reasonOf is the reason field of a LoginFailed or AccountUnlocked.
func reasonOf(e events.Envelope) string {
	var d struct {
		Reason string `json:"reason"`
	}
	_ = json.Unmarshal(e.Data, &d) // an unreadable reason counts as "other"
	return d.Reason
}

// known keeps label values to a fixed set.
func known(v string, set []string) string {
	for _, s := range set {
		if v == s {
			return v
		}
	}
	return "other"
}
