package eventstore

import (
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/chatbotsaas/chatbot/events"
)

// Metrics counts appends, conflicts and replays. A nil *Metrics counts nothing.
type Metrics struct {
	appends   *prometheus.CounterVec
	latency   prometheus.Histogram
	conflicts *prometheus.CounterVec
	replayed  *prometheus.CounterVec
	leader    prometheus.Counter
	identity  identityMetrics
}

// NewMetrics registers the event store metrics on reg.
func NewMetrics(reg prometheus.Registerer) *Metrics {
	m := &Metrics{
		appends: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "chatbot_events_appended_total", Help: "Events appended to the stream, by type.",
		}, []string{"type"}),
		latency: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name: "chatbot_event_append_duration_seconds", Help: "Time for one append to be acknowledged by JetStream.",
			Buckets: []float64{.0002, .0005, .001, .002, .005, .01, .025, .05, .1, .25, 1},
		}),
		conflicts: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "chatbot_event_append_conflicts_total", Help: "Appends refused because the aggregate changed, by aggregate type.",
		}, []string{"aggregate_type"}),
		replayed: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "chatbot_aggregate_events_replayed_total", Help: "Events read to load aggregates, by aggregate type.",
		}, []string{"aggregate_type"}),
		leader: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "chatbot_aggregate_leader_reads_total",
			Help: "Aggregates a replica did not have yet, read again from the stream leader.",
		}),
		identity: newIdentityMetrics(),
	}
	reg.MustRegister(m.appends, m.latency, m.conflicts, m.replayed, m.leader)
	reg.MustRegister(m.identity.collectors()...)
	return m
}

func (m *Metrics) appended(envs []events.Envelope, d time.Duration) {
	if m == nil {
		return
	}
	m.latency.Observe(d.Seconds())
	for _, e := range envs {
		m.appends.WithLabelValues(e.Type).Inc()
		m.identity.observe(e)
	}
}

func (m *Metrics) conflict(aggregateType string) {
	if m != nil {
		m.conflicts.WithLabelValues(aggregateType).Inc()
	}
}

func (m *Metrics) loaded(aggregateType string, replayed int) {
	if m != nil && replayed > 0 {
		m.replayed.WithLabelValues(aggregateType).Add(float64(replayed))
	}
}

func (m *Metrics) leaderRead() {
	if m != nil {
		m.leader.Inc()
	}
}
