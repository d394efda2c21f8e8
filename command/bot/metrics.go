package bot

import (
	"errors"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/chatbotsaas/chatbot/shared/apperr"
	"github.com/chatbotsaas/chatbot/shared/ratelimit"
)

// Metrics count the bot calls refused, by reason, and those the limiter
// refused by the limit they hit. A nil *Metrics counts nothing.
type Metrics struct{ refused, limits *prometheus.CounterVec }

// Refusal reasons: the key does not authenticate (401), the chatbot is
// paused (403), the per-minute rate or a quota is spent (429).
const (
	RefusedInvalidKey = "invalid_key"
	RefusedPaused     = "chatbot_paused"
	RefusedRateLimit  = ratelimit.ReasonRateLimited
	RefusedQuota      = ratelimit.ReasonQuotaExceeded
)

var refusalReasons = []string{RefusedInvalidKey, RefusedPaused, RefusedRateLimit, RefusedQuota}

// NewMetrics registers the bot metrics on reg.
func NewMetrics(reg prometheus.Registerer) *Metrics {
	m := &Metrics{refused: prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "chatbot_bot_refused_total",
		Help: "Bot API calls refused, by reason: invalid_key, chatbot_paused, rate_limited, quota_exceeded.",
	}, []string{"reason"}), limits: prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "chatbot_bot_limited_total",
		Help: "Bot API calls refused with 429, by the limit named: key_, chatbot_ or company_ and per_minute, daily or monthly.",
	}, []string{"limit"})}
	for _, r := range refusalReasons {
		m.refused.WithLabelValues(r)
	}
	for _, scope := range []string{ScopeKey, ScopeChatbot, ScopeCompany} {
		for _, limit := range []string{ratelimit.PerMinute, ratelimit.Daily, ratelimit.Monthly} {
			m.limits.WithLabelValues(ratelimit.Hit{Scope: scope, Limit: limit}.String())
		}
	}
	reg.MustRegister(m.refused, m.limits)
	return m
}

// refusedFor counts a call that did not authenticate or may not be
// answered; an error of the service itself is no refusal.
func (m *Metrics) refusedFor(err error) {
	var ae *apperr.Error
	if m == nil || !errors.As(err, &ae) {
		return
	}
	switch ae.Kind {
	case apperr.KindUnauthenticated:
		m.refused.WithLabelValues(RefusedInvalidKey).Inc()
	case apperr.KindForbidden:
		m.refused.WithLabelValues(RefusedPaused).Inc()
	}
}

// limited counts a call refused by the limiter, by its reason and by the
// limit it names.
func (m *Metrics) limited(d ratelimit.Decision) {
	if m == nil {
		return
	}
	reason := d.Reason
	if reason != RefusedQuota {
		reason = RefusedRateLimit
	}
	m.refused.WithLabelValues(reason).Inc()
	m.limits.WithLabelValues(d.Limit.String()).Inc()
}
