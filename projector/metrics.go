package projector

import (
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// Metrics describe how far each projection is and how it fares. A nil
// *Metrics records nothing.
type Metrics struct {
	position *prometheus.GaugeVec
	pending  *prometheus.GaugeVec
	lag      *prometheus.GaugeVec
	applied  *prometheus.CounterVec
	dead     *prometheus.CounterVec
	batch    *prometheus.HistogramVec
}

// NewMetrics registers the projector metrics on reg.
func NewMetrics(reg prometheus.Registerer) *Metrics {
	m := &Metrics{
		position: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "chatbot_projection_position", Help: "Last stream sequence applied by the projection (its checkpoint).",
		}, []string{"projection"}),
		pending: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "chatbot_projection_pending_events", Help: "Events of the projection's types in the stream not yet delivered to it.",
		}, []string{"projection"}),
		lag: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "chatbot_projection_lag", Help: "Events of the projection's types it has yet to apply.",
		}, []string{"projection"}),
		applied: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "chatbot_projection_events_applied_total", Help: "Events applied to read models.",
		}, []string{"projection"}),
		dead: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "chatbot_projection_dead_letters_total", Help: "Events parked in dead_letters after their retries.",
		}, []string{"projection"}),
		batch: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name: "chatbot_projection_batch_duration_seconds", Help: "Time to apply and commit one batch.",
			Buckets: prometheus.ExponentialBuckets(0.0005, 2, 14),
		}, []string{"projection"}),
	}
	reg.MustRegister(m.position, m.pending, m.lag, m.applied, m.dead, m.batch)
	return m
}

func (m *Metrics) setPosition(p string, pos uint64) {
	if m != nil {
		m.position.WithLabelValues(p).Set(float64(pos))
	}
}

func (m *Metrics) setPending(p string, n uint64) {
	if m != nil {
		m.pending.WithLabelValues(p).Set(float64(n))
	}
}

func (m *Metrics) setLag(p string, lag uint64) {
	if m != nil {
		m.lag.WithLabelValues(p).Set(float64(lag))
	}
}

func (m *Metrics) batchDone(p string, applied int, d time.Duration) {
	if m != nil {
		m.applied.WithLabelValues(p).Add(float64(applied))
		m.batch.WithLabelValues(p).Observe(d.Seconds())
	}
}

func (m *Metrics) deadLettered(p string) {
	if m != nil {
		m.dead.WithLabelValues(p).Inc()
	}
}
