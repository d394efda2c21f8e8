package usage

import (
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// Metrics tells how usage recording keeps up. A nil *Metrics counts nothing.
type Metrics struct {
	recordedRequests prometheus.Counter
	recordedUnits    prometheus.Counter
	dropped          prometheus.Counter
	flushedRequests  prometheus.Counter
	flushDuration    prometheus.Histogram
	pending          prometheus.Gauge
}

// NewMetrics registers the usage metrics on reg.
func NewMetrics(reg prometheus.Registerer) *Metrics {
	m := &Metrics{
		recordedRequests: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "chatbot_usage_recorded_requests_total", Help: "Bot API calls counted by this process.",
		}),
		recordedUnits: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "chatbot_usage_recorded_units_total", Help: "Units of the bot API calls counted by this process.",
		}),
		dropped: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "chatbot_usage_dropped_calls_total", Help: "Calls not counted because their ids were not UUIDs.",
		}),
		flushedRequests: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "chatbot_usage_flushed_requests_total", Help: "Counted calls stored in the stream.",
		}),
		flushDuration: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name: "chatbot_usage_flush_duration_seconds", Help: "Time to store the counters of one flush.",
			Buckets: []float64{.001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5},
		}),
		pending: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "chatbot_usage_pending_requests", Help: "Calls a failed flush left to store at the next one.",
		}),
	}
	reg.MustRegister(m.recordedRequests, m.recordedUnits, m.dropped, m.flushedRequests, m.flushDuration, m.pending)
	return m
}

func (m *Metrics) recorded(units int64) {
	if m != nil {
		m.recordedRequests.Inc()
		m.recordedUnits.Add(float64(units))
	}
}

func (m *Metrics) droppedCall() {
	if m != nil {
		m.dropped.Inc()
	}
}

func (m *Metrics) flushed(requests int64) {
	if m != nil {
		m.flushedRequests.Add(float64(requests))
	}
}

func (m *Metrics) flushDone(d time.Duration, pending int64) {
	if m != nil {
		m.flushDuration.Observe(d.Seconds())
		m.pending.Set(float64(pending))
	}
}
