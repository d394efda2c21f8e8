package observability

import (
	"strconv"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
)

// Metrics is the process's Prometheus registry and the metrics every
// process shares. Components register their own on Registry.
type Metrics struct {
	Registry *prometheus.Registry

	httpRequests *prometheus.CounterVec
	httpDuration *prometheus.HistogramVec
	httpInFlight prometheus.Gauge
	panics       prometheus.Counter
}

// NewMetrics creates a registry with the Go and process collectors and the
// HTTP metrics.
func NewMetrics() *Metrics {
	reg := prometheus.NewRegistry()
	m := &Metrics{
		Registry: reg,
		httpRequests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "chatbot_http_requests_total",
			Help: "HTTP requests answered, by method, route pattern and status code.",
		}, []string{"method", "route", "status"}),
		httpDuration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "chatbot_http_request_duration_seconds",
			Help:    "Time to answer an HTTP request, by method and route pattern.",
			Buckets: []float64{.0005, .001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5},
		}, []string{"method", "route"}),
		httpInFlight: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "chatbot_http_requests_in_flight",
			Help: "HTTP requests being served now.",
		}),
		panics: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "chatbot_http_panics_total",
			Help: "Handler panics recovered and answered with a 500.",
		}),
	}
	reg.MustRegister(
		collectors.NewGoCollector(),
		collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
		m.httpRequests, m.httpDuration, m.httpInFlight, m.panics,
	)
	return m
}

// RequestStarted counts a request in flight; the returned func records its end.
func (m *Metrics) RequestStarted() func(method, route string, status int) {
	start := time.Now()
	m.httpInFlight.Inc()
	return func(method, route string, status int) {
		m.httpInFlight.Dec()
		m.httpRequests.WithLabelValues(method, route, strconv.Itoa(status)).Inc()
		m.httpDuration.WithLabelValues(method, route).Observe(time.Since(start).Seconds())
	}
}

// PanicRecovered counts one recovered handler panic.
func (m *Metrics) PanicRecovered() { m.panics.Inc() }

// BuildInfo registers chatbot_build_info: always 1, its labels name the
// version and revision this process runs, so that a rollout shows.
func (m *Metrics) BuildInfo(version, revision, goVersion string) {
	m.Registry.MustRegister(prometheus.NewGaugeFunc(prometheus.GaugeOpts{
		Name:        "chatbot_build_info",
		Help:        "Always 1; the labels are the version, VCS revision and Go version of the binary.",
		ConstLabels: prometheus.Labels{"version": version, "revision": revision, "goversion": goVersion},
	}, func() float64 { return 1 }))
}
