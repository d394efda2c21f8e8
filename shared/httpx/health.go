package httpx

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/danielgtaylor/huma/v2"
	"github.com/gofiber/fiber/v2/middleware/adaptor"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// Check is one dependency that readiness reports. A nil Probe reports the
// component as disabled. A failing non-critical component degrades
// readiness without failing it.
type Check struct {
	Name     string
	Critical bool
	Probe    func(ctx context.Context) error
}

// Missing is a probe's error naming the parts of a component that are
// gone ("stream EVENTS", "bucket CREDENTIALS"); readiness shows them.
type Missing []string

func (m Missing) Error() string { return "missing " + strings.Join(m, ", ") }

// ComponentStatus is one component's line in the readiness answer.
type ComponentStatus struct {
	Status    string  `json:"status" enum:"up,down,disabled"`
	Critical  bool    `json:"critical"`
	LatencyMS float64 `json:"latency_ms"`
	Error     string  `json:"error,omitempty" doc:"a short reason; details are in the log"`
}

// Readiness is the body of /readyz.
type Readiness struct {
	Status     string                     `json:"status" enum:"ready,degraded,unavailable"`
	Components map[string]ComponentStatus `json:"components"`
}

type readyOutput struct {
	Status int
	Body   Readiness
}

type healthOutput struct {
	Body struct {
		Status string `json:"status" example:"ok"`
	}
}

// MetaPublic marks an operation open to anonymous callers; the auth guard
// refuses every operation that is neither public nor given a permission.
const MetaPublic = "public"

var public = map[string]any{MetaPublic: true}

// probeTimeout bounds each readiness probe.
const probeTimeout = 2 * time.Second

// RegisterOps adds /healthz, /readyz and /metrics.
func RegisterOps(s *Server, checks []Check, gatherer prometheus.Gatherer) {
	huma.Register(s.API, huma.Operation{
		OperationID: "healthz", Method: http.MethodGet, Path: "/healthz", Tags: []string{"Operations"},
		Summary: "Liveness", Description: "200 while the process lives.", Metadata: public,
	}, func(context.Context, *struct{}) (*healthOutput, error) {
		out := &healthOutput{}
		out.Body.Status = "ok"
		return out, nil
	})
	huma.Register(s.API, huma.Operation{
		OperationID: "readyz", Method: http.MethodGet, Path: "/readyz", Tags: []string{"Operations"},
		Summary: "Readiness", Metadata: public,
		Description: "200 when every critical component (Postgres, NATS, the stream and buckets the process needs) answers, `degraded` when an optional one (Redis) does not; 503 otherwise, naming the component.",
		Responses:   map[string]*huma.Response{"503": {Description: "A critical component is down."}},
	}, func(ctx context.Context, _ *struct{}) (*readyOutput, error) {
		r := probeAll(ctx, checks)
		status := http.StatusOK
		if r.Status == "unavailable" {
			status = http.StatusServiceUnavailable
		}
		return &readyOutput{Status: status, Body: r}, nil
	})
	s.App.Get("/metrics", adaptor.HTTPHandler(promhttp.HandlerFor(gatherer, promhttp.HandlerOpts{})))
}

func probeAll(ctx context.Context, checks []Check) Readiness {
	r := Readiness{Status: "ready", Components: make(map[string]ComponentStatus, len(checks))}
	var mu sync.Mutex
	var wg sync.WaitGroup
	for _, c := range checks {
		wg.Add(1)
		go func() {
			defer wg.Done()
			st := probe(ctx, c)
			mu.Lock()
			defer mu.Unlock()
			r.Components[c.Name] = st
			if st.Status != "down" {
				return
			}
			if c.Critical {
				r.Status = "unavailable"
			} else if r.Status == "ready" {
				r.Status = "degraded"
			}
		}()
	}
	wg.Wait()
	return r
}

func probe(ctx context.Context, c Check) ComponentStatus {
	if c.Probe == nil {
		return ComponentStatus{Status: "disabled", Critical: c.Critical}
	}
	ctx, cancel := context.WithTimeout(ctx, probeTimeout)
	defer cancel()
	start := time.Now()
	err := c.Probe(ctx)
	st := ComponentStatus{Status: "up", Critical: c.Critical, LatencyMS: float64(time.Since(start).Microseconds()) / 1000}
	if err != nil {
		slog.WarnContext(ctx, "readiness probe failed", "component", c.Name, "err", err)
		st.Status, st.Error = "down", "unreachable"
		var missing Missing
		switch {
		case errors.As(err, &missing):
			st.Error = missing.Error()
		case ctx.Err() != nil:
			st.Error = "timed out"
		}
	}
	return st
}
