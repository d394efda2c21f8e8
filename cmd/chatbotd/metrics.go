package main

import (
	"context"
	"runtime/debug"
	"strings"
	"time"

	"github.com/nats-io/nats.go/jetstream"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/chatbotsaas/chatbot/command/eventstore"
	"github.com/chatbotsaas/chatbot/events"
)

// buildInfo registers chatbot_build_info for this binary.
func (rt *runtime) buildInfo() {
	goVersion, revision := "", ""
	if info, ok := debug.ReadBuildInfo(); ok {
		goVersion = info.GoVersion
	}
	if _, rev, ok := strings.Cut(versionString(), "+"); ok {
		revision = rev
	}
	rt.metrics.BuildInfo(version, revision, goVersion)
}

// storeMetrics are the event store metrics of the process: one set, shared
// by the command side and the background tasks, which both append (a
// login's lock, the timer's unlock) when they run in one process.
func (rt *runtime) storeMetrics() *eventstore.Metrics {
	rt.storeMetricsOnce.Do(func() { rt.eventMetrics = eventstore.NewMetrics(rt.metrics.Registry) })
	return rt.eventMetrics
}

// streamCollector reports the EVENTS stream's size at each scrape. Every
// replica reports the same stream: dashboards take the max.
type streamCollector struct {
	js             jetstream.JetStream
	messages, size *prometheus.Desc
}

func newStreamCollector(js jetstream.JetStream) *streamCollector {
	labels := []string{"stream"}
	return &streamCollector{js: js,
		messages: prometheus.NewDesc("chatbot_stream_messages", "Messages held by the stream.", labels, nil),
		size:     prometheus.NewDesc("chatbot_stream_bytes", "Bytes held by the stream.", labels, nil),
	}
}

func (s *streamCollector) Describe(ch chan<- *prometheus.Desc) { ch <- s.messages; ch <- s.size }

// Collect asks JetStream; a stream it cannot read now is left out of the
// scrape (readiness reports why).
func (s *streamCollector) Collect(ch chan<- prometheus.Metric) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	st, err := s.js.Stream(ctx, events.StreamName)
	if err != nil {
		return
	}
	info, err := st.Info(ctx)
	if err != nil {
		return
	}
	ch <- prometheus.MustNewConstMetric(s.messages, prometheus.GaugeValue, float64(info.State.Msgs), events.StreamName)
	ch <- prometheus.MustNewConstMetric(s.size, prometheus.GaugeValue, float64(info.State.Bytes), events.StreamName)
}
