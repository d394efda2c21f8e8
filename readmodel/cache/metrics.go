package cache

import "github.com/prometheus/client_golang/prometheus"

type metrics struct {
	reads *prometheus.CounterVec
	// The reads by result, resolved once: a read counts without a label
	// lookup, and every result shows from the start, at 0.
	hit, miss, stale, bypass, refused prometheus.Counter
	invalidations                     *prometheus.CounterVec
	lostInvalidations                 prometheus.Counter
	up                                prometheus.Gauge
}

func newMetrics(reg prometheus.Registerer) *metrics {
	m := &metrics{
		reads: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "chatbot_query_cache_reads_total",
			Help: "Reads through the query cache by result: hit, miss, stale (an entry older than the client's X-Min-Position), bypass (Redis down or slow: Postgres answered alone), refused (an entry not of the key's tenant, or unreadable: never served).",
		}, []string{"result"}),
		invalidations: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "chatbot_query_cache_invalidations_total",
			Help: "Generations bumped after projector commits: per tenant, or all (rebuild, takeover, recovery from lost invalidations).",
		}, []string{"projection", "scope"}),
		lostInvalidations: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "chatbot_query_cache_invalidation_failures_total",
			Help: "Invalidations Redis could not be told; each is made good by retiring every entry once it answers.",
		}),
		up: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "chatbot_query_cache_up", Help: "1 while Redis serves the query cache, 0 while reads bypass it.",
		}),
	}
	m.up.Set(1)
	m.hit, m.miss, m.stale = m.reads.WithLabelValues("hit"), m.reads.WithLabelValues("miss"), m.reads.WithLabelValues("stale")
	m.bypass, m.refused = m.reads.WithLabelValues("bypass"), m.reads.WithLabelValues("refused")
	if reg != nil {
		reg.MustRegister(m.reads, m.invalidations, m.lostInvalidations, m.up)
	}
	return m
}
