package app

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/chatbotsaas/chatbot/events"
	"github.com/chatbotsaas/chatbot/shared/deadletter"
)

// errDrop is a task message that can never be done (malformed): it is
// parked at once rather than retried.
var errDrop = errors.New("task message cannot be done")

// taskAckWait is how long a delivered task may run before it is delivered
// again; every wait between tries is shorter, so a retry is never mistaken
// for a lost delivery.
const taskAckWait = 30 * time.Second

// Tasks runs the task consumers of the stream (unlock timers, erasures):
// a failed task is tried again with backoff, and after its last try it is
// parked in dead_letters under its consumer's name, counted and logged,
// for an operator to retry or discard.
type Tasks struct {
	JS       jetstream.JetStream
	Pool     *pgxpool.Pool   // holds dead_letters
	Attempts int             // tries before parking; default 5
	Backoff  []time.Duration // waits after each failed try, the last repeated; default 1s, 5s, 15s, 25s
	Metrics  *TaskMetrics    // nil counts nothing
	Log      *slog.Logger
}

// task is one message to do: from the stream, or from its dead letter.
type task struct {
	subject string
	headers nats.Header
	data    []byte
	seq     uint64
}

// The events.TaskMessage a task's context is made from.
func (m task) Subject() string      { return m.subject }
func (m task) Headers() nats.Header { return m.headers }
func (m task) Data() []byte         { return m.data }

// TaskMetrics counts the task messages parked after their retries.
type TaskMetrics struct{ parked *prometheus.CounterVec }

// NewTaskMetrics registers the task metrics on reg.
func NewTaskMetrics(reg prometheus.Registerer) *TaskMetrics {
	m := &TaskMetrics{parked: prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "chatbot_task_dead_letters_total", Help: "Task messages parked in dead_letters after their retries.",
	}, []string{"consumer"})}
	reg.MustRegister(m.parked)
	return m
}

func (t *Tasks) logger() *slog.Logger {
	if t.Log == nil {
		return slog.Default()
	}
	return t.Log
}

func (t *Tasks) backoff(try int) time.Duration {
	b := t.Backoff
	if len(b) == 0 {
		b = []time.Duration{time.Second, 5 * time.Second, 15 * time.Second, 25 * time.Second}
	}
	return min(b[min(try, len(b))-1], taskAckWait-time.Second)
}

// run consumes a durable task consumer of the stream until ctx ends: every
// command process may run it, and the consumer hands each message to one
// of them. The same processes answer the retries of its dead letters.
func (t *Tasks) run(ctx context.Context, cfg jetstream.ConsumerConfig, do func(context.Context, task) error) error {
	if t == nil || t.Pool == nil {
		return fmt.Errorf("%s: the task consumers need the dead_letters database", cfg.Durable)
	}
	attempts := t.Attempts
	if attempts <= 0 {
		attempts = 5
	}
	// The tries are counted here, not by the server, so that a message is
	// dropped only once it is parked.
	cfg.AckPolicy, cfg.AckWait, cfg.MaxDeliver, cfg.BackOff = jetstream.AckExplicitPolicy, taskAckWait, -1, nil
	cons, err := t.JS.CreateOrUpdateConsumer(ctx, events.StreamName, cfg)
	if err != nil {
		return fmt.Errorf("%s consumer: %w", cfg.Durable, err)
	}
	stopRetries, err := deadletter.Serve(ctx, t.JS.Conn(), t.Pool, cfg.Durable, t.logger(), nil,
		func(ctx context.Context, _ pgx.Tx, l deadletter.Letter) error {
			m := task{subject: l.Subject, headers: l.Headers, data: l.Payload, seq: l.Position}
			return do(events.WithTask(ctx, m), m)
		})
	if err != nil {
		return err
	}
	cc, err := cons.Consume(func(m jetstream.Msg) { t.handle(ctx, cfg.Durable, attempts, m, do) })
	if err != nil {
		stopRetries()
		return err
	}
	context.AfterFunc(ctx, func() { cc.Stop(); stopRetries() })
	return nil
}

// handle does one delivery: acknowledged when done, tried again later
// after a failure, parked after the last try or at once when malformed.
func (t *Tasks) handle(ctx context.Context, durable string, attempts int, m jetstream.Msg,
	do func(context.Context, task) error) {
	md, err := m.Metadata()
	if err != nil {
		_ = m.Term() // not a JetStream message: nothing to redeliver
		t.logger().Error(durable+": a message without metadata was dropped", "subject", m.Subject())
		return
	}
	err = do(events.WithTask(ctx, m), task{subject: m.Subject(), headers: m.Headers(), data: m.Data(), seq: md.Sequence.Stream})
	tries := int(md.NumDelivered)
	switch {
	case err == nil:
		_ = m.Ack()
	case errors.Is(err, context.Canceled) && ctx.Err() != nil:
		// Cut short by shutdown: left unacknowledged, redelivered later.
	case errors.Is(err, errDrop) || tries >= attempts:
		t.park(ctx, durable, m, md.Sequence.Stream, tries, err)
	default:
		t.logger().Warn(durable+": failed; it will be tried again", "subject", m.Subject(), "try", tries, "of", attempts, "err", err)
		_ = m.NakWithDelay(t.backoff(tries))
	}
}

// park stores the message in dead_letters and takes it off the consumer;
// if it cannot be stored it stays on the consumer and is tried again.
func (t *Tasks) park(ctx context.Context, durable string, m jetstream.Msg, seq uint64, tries int, reason error) {
	l := deadletter.New(deadletter.KindTask, durable, seq, m.Subject(), m.Data(), reason.Error(), tries)
	l.Headers = m.Headers() // a timer's name the event that set it: its retry keeps that cause
	if err := deadletter.Park(context.WithoutCancel(ctx), t.Pool, l); err != nil {
		t.logger().Error(durable+": could not park a failed task; it will be tried again", "subject", m.Subject(), "err", err)
		_ = m.NakWithDelay(t.backoff(tries))
		return
	}
	_ = m.Term()
	if t.Metrics != nil {
		t.Metrics.parked.WithLabelValues(durable).Inc()
	}
	t.logger().Error(durable+": task parked in dead_letters", "subject", m.Subject(), "position", seq, "tries", tries, "reason", reason.Error())
}
