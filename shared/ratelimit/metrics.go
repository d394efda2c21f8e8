package ratelimit

import "github.com/prometheus/client_golang/prometheus"

// InProcess says whether the limiter counts in this process rather than in
// Redis: it has none, or Redis stopped answering and has not answered a
// probe since.
func (l *Limiter) InProcess() bool { return l.rdb == nil || l.health.isDown() }

// Metric registers chatbot_redis_fallback on reg: 1 while l counts in the
// process, so that limits and quotas are per process, 0 while Redis counts.
func Metric(reg prometheus.Registerer, l *Limiter) {
	reg.MustRegister(prometheus.NewGaugeFunc(prometheus.GaugeOpts{
		Name: "chatbot_redis_fallback",
		Help: "1 while rate limits and quotas are counted in this process (no Redis, or Redis unreachable), 0 while in Redis.",
	}, func() float64 {
		if l.InProcess() {
			return 1
		}
		return 0
	}))
}
