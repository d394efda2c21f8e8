package app

import (
	"context"
	"errors"
	"log/slog"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/chatbotsaas/chatbot/events"
	"github.com/chatbotsaas/chatbot/shared/apperr"
	"github.com/chatbotsaas/chatbot/shared/auth"
)

// Actor makes the caller the actor of a command's events: the principal
// of an authenticated request. A command without one (login, signup,
// refresh, password reset) acts in the name of the account it names, and
// says so itself once it knows which.
func Actor(ctx context.Context, _ string, next func(context.Context) error) error {
	if p, ok := auth.PrincipalFrom(ctx); ok {
		ctx = events.WithActor(ctx, p.Actor())
	}
	return next(ctx)
}

// Logging notes each command at debug level. Failures of the platform
// are logged once, where the request answers 5xx, not here.
func Logging(log *slog.Logger) Around {
	return func(ctx context.Context, command string, next func(context.Context) error) error {
		start := time.Now()
		err := next(ctx)
		log.DebugContext(ctx, "command", "command", command, "outcome", Outcome(err), "took", time.Since(start))
		return err
	}
}

// Outcome names how a command ended, for metrics and logs: "ok", the
// error code it was refused with, or "error" for a failure of the platform.
func Outcome(err error) string {
	if err == nil {
		return "ok"
	}
	if ae, ok := errors.AsType[*apperr.Error](err); ok && ae.Kind != apperr.KindInternal {
		return ae.Code
	}
	return "error"
}

// Metrics counts commands by outcome and times them. More counters hook
// in with Observe (for example logins by result).
type Metrics struct {
	commands  *prometheus.CounterVec
	durations *prometheus.HistogramVec
	observers []func(command string, err error)
}

// NewMetrics registers the command metrics on reg.
func NewMetrics(reg prometheus.Registerer) *Metrics {
	m := &Metrics{
		commands: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "chatbot_commands_total", Help: "Commands handled, by command and outcome (ok, the error code, or error).",
		}, []string{"command", "outcome"}),
		durations: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name: "chatbot_command_duration_seconds", Help: "Time to handle one command, by command.",
			Buckets: []float64{.001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5},
		}, []string{"command"}),
	}
	reg.MustRegister(m.commands, m.durations)
	return m
}

// Observe adds a counter of its own, called after each command.
func (m *Metrics) Observe(f func(command string, err error)) { m.observers = append(m.observers, f) }

// Around counts and times every command; a nil *Metrics does nothing.
func (m *Metrics) Around(ctx context.Context, command string, next func(context.Context) error) error {
	if m == nil {
		return next(ctx)
	}
	start := time.Now()
	err := next(ctx)
	m.durations.WithLabelValues(command).Observe(time.Since(start).Seconds())
	m.commands.WithLabelValues(command, Outcome(err)).Inc()
	for _, f := range m.observers {
		f(command, err)
	}
	return err
}
