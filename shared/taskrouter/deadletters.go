package taskrouter

import (
	"context"
	"log/slog"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/nats-io/nats.go"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/chatbotsaas/chatbot/shared/deadletter"
)

// StoredDeadLetters parks task messages in the dead_letters table beside
// the projections' and answers an operator's retries (package deadletter)
// by doing the task once more.
type StoredDeadLetters struct {
	Pool    *pgxpool.Pool
	Conn    *nats.Conn
	Log     *slog.Logger
	Metrics *Metrics // nil counts nothing
}

// Metrics counts the task messages retried, and those parked after their
// retries, by task (its consumer).
type Metrics struct{ parked, retried *prometheus.CounterVec }

// NewMetrics registers the task metrics on reg.
func NewMetrics(reg prometheus.Registerer) *Metrics {
	m := &Metrics{
		parked: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "chatbot_task_dead_letters_total", Help: "Task messages parked in dead_letters after their retries.",
		}, []string{"consumer"}),
		retried: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "chatbot_task_retries_total", Help: "Tries of task messages after a failed one (each retry counts).",
		}, []string{"consumer"}),
	}
	reg.MustRegister(m.parked, m.retried)
	return m
}

// retry counts one more try of a message of task.
func (m *Metrics) retry(task string) {
	if m != nil {
		m.retried.WithLabelValues(task).Inc()
	}
}

// Park stores l as a task's letter.
func (d StoredDeadLetters) Park(ctx context.Context, l Letter) error {
	m := l.Message
	dl := deadletter.New(deadletter.KindTask, l.Task, m.Seq(), m.Subject(), m.Data(), l.Reason, l.Attempts)
	dl.Headers = m.Headers() // a timer's name the event that set it: its retry keeps that cause
	if err := deadletter.Park(ctx, d.Pool, dl); err != nil {
		return err
	}
	if d.Metrics != nil {
		d.Metrics.parked.WithLabelValues(l.Task).Inc()
	}
	return nil
}

// Serve answers the retries of task's letters.
func (d StoredDeadLetters) Serve(ctx context.Context, task string, apply func(context.Context, Message) error) (func(), error) {
	return deadletter.Serve(ctx, d.Conn, d.Pool, task, d.Log, nil, func(ctx context.Context, _ pgx.Tx, l deadletter.Letter) error {
		h := l.Headers
		if h == nil {
			h = nats.Header{}
		}
		return apply(ctx, NewMessage(l.Subject, l.Position, h, l.Payload))
	})
}
