package httpx

import (
	"context"
	"strconv"

	"github.com/prometheus/client_golang/prometheus"
)

// readinessCollector probes the checks at each scrape, as /readyz does, so
// that chatbot_ready shows which component of which replica fails without
// anyone calling /readyz. A disabled check (no Redis configured) is left out.
type readinessCollector struct {
	checks []Check
	desc   *prometheus.Desc
}

// ReadinessCollector makes chatbot_ready{check, critical}: 1 while the
// component answers, 0 while it does not.
func ReadinessCollector(checks []Check) prometheus.Collector {
	return &readinessCollector{checks: checks, desc: prometheus.NewDesc("chatbot_ready",
		"1 while the readiness check of the component answers, 0 while it fails; critical ones fail /readyz.",
		[]string{"check", "critical"}, nil)}
}

func (r *readinessCollector) Describe(ch chan<- *prometheus.Desc) { ch <- r.desc }

func (r *readinessCollector) Collect(ch chan<- prometheus.Metric) {
	res := probeAll(context.Background(), r.checks)
	for _, c := range r.checks {
		st := res.Components[c.Name]
		if st.Status == "disabled" {
			continue
		}
		v := 0.0
		if st.Status == "up" {
			v = 1
		}
		ch <- prometheus.MustNewConstMetric(r.desc, prometheus.GaugeValue, v, c.Name, strconv.FormatBool(c.Critical))
	}
}
