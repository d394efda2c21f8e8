package taskrouter

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/ThreeDotsLabs/watermill"
	wmjs "github.com/ThreeDotsLabs/watermill-nats/v2/pkg/jetstream"
	"github.com/ThreeDotsLabs/watermill/message"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/chatbotsaas/chatbot/events"
)

// ErrCannotDo marks a message a task can never do (malformed): it is
// parked at once, without retries.
var ErrCannotDo = errors.New("task message cannot be done")

// ErrNotYet marks a message a task cannot do yet (the read model it reads
// is behind the event): it is delivered again later, never parked.
var ErrNotYet = errors.New("task must wait")

// Handler is one task: a durable consumer of the subjects it names.
type Handler struct {
	Name        string   // the durable consumer's name, and the dead letters'
	Description string   // shown on the consumer
	Subjects    []string // filter subjects of the stream
	// FromNow starts a new consumer at the end of the stream rather than at
	// its beginning: a notification is not sent for events of the past.
	FromNow bool
	// Do does the task once. It must be idempotent: a message may come
	// twice (a redelivery, a retry after a failure part way).
	Do func(ctx context.Context, m Message) error
}

// Options tune a router; zero values take the defaults.
type Options struct {
	// Conn is the router's own connection, closed by Stop: Watermill's
	// subscriber drains the connection it is given when it closes.
	Conn *nats.Conn
	// DeadLetters default to StoredDeadLetters in Pool.
	DeadLetters DeadLetters
	Pool        *pgxpool.Pool
	Metrics     *Metrics // of StoredDeadLetters; nil counts nothing
	Log         *slog.Logger
	AckWait     time.Duration // a delivery's time before it is sent again; default 60s
	Retries     int           // tries after the first, in process; default 4
	FirstRetry  time.Duration // wait before the first retry, doubling; default 500ms
	PinnedTTL   time.Duration // how long the pinned process may be silent before another takes over; default 15s
	// InFlight bounds the messages of one task handled at once (the
	// consumer's MaxAckPending): a mail holds a database connection while
	// it is sent, and a burst must not take the pool; default 8.
	InFlight int
}

// priorityGroup is the one pull group of every task consumer: the server
// pins it to one process at a time.
const priorityGroup = "tasks"

// Router runs every task on one Watermill router.
type Router struct {
	opts     Options
	js       jetstream.JetStream
	wm       *message.Router
	logger   watermill.LoggerAdapter
	handlers []Handler
	stops    []func()
	done     chan struct{}
}

// New builds a router on o.Conn.
func New(o Options) (*Router, error) {
	if o.Log == nil {
		o.Log = slog.Default()
	}
	if o.DeadLetters == nil && o.Pool != nil {
		o.DeadLetters = StoredDeadLetters{Pool: o.Pool, Conn: o.Conn, Log: o.Log, Metrics: o.Metrics}
	}
	if o.Conn == nil || o.DeadLetters == nil {
		return nil, errors.New("taskrouter: a connection and the dead letters are needed")
	}
	if o.AckWait <= 0 {
		o.AckWait = time.Minute
	}
	if o.Retries <= 0 {
		o.Retries = 4
	}
	if o.FirstRetry <= 0 {
		o.FirstRetry = 500 * time.Millisecond
	}
	if o.PinnedTTL <= 0 {
		o.PinnedTTL = 15 * time.Second
	}
	if o.InFlight <= 0 {
		o.InFlight = 8
	}
	js, err := jetstream.New(o.Conn)
	if err != nil {
		return nil, err
	}
	// Watermill logs every message at info: that is debug here.
	logger := watermill.NewSlogLoggerWithLevelMapping(o.Log.With("component", "tasks"),
		map[slog.Level]slog.Level{slog.LevelInfo: slog.LevelDebug})
	wm, err := message.NewRouter(message.RouterConfig{CloseTimeout: 10 * time.Second}, logger)
	if err != nil {
		return nil, err
	}
	r := &Router{opts: o, js: js, wm: wm, logger: logger, done: make(chan struct{})}
	if err := r.middlewares(); err != nil {
		return nil, err
	}
	return r, nil
}

// Add registers a task; call it before Start.
func (r *Router) Add(h Handler) {
	r.handlers = append(r.handlers, h)
}

// Start makes each task's consumer, answers the retries of its dead
// letters, and runs the router until Stop.
func (r *Router) Start(ctx context.Context) error {
	for _, h := range r.handlers {
		if err := r.start(ctx, h); err != nil {
			r.Stop()
			return err
		}
	}
	go func() {
		defer close(r.done)
		if err := r.wm.Run(context.WithoutCancel(ctx)); err != nil {
			r.opts.Log.Error("task router stopped", "err", err)
		}
	}()
	select {
	case <-r.wm.Running():
		return nil
	case <-r.done:
		return errors.New("the task router did not start")
	}
}

func (r *Router) start(ctx context.Context, h Handler) error {
	if _, err := r.ensureConsumer(ctx, h); err != nil {
		return err
	}
	sub, err := wmjs.NewSubscriber(wmjs.SubscriberConfig{
		Conn: r.opts.Conn, Logger: r.logger, AckWaitTimeout: r.opts.AckWait,
		NakDelay:            wmjs.NewStaticDelay(r.opts.AckWait / 4),
		ResourceInitializer: r.existing(h.Name),
		ConsumeOptions: []jetstream.PullConsumeOpt{jetstream.PullPriorityGroup(priorityGroup),
			jetstream.PullMaxMessages(r.opts.InFlight)},
		Unmarshaler: unmarshaler{},
	})
	if err != nil {
		return err
	}
	do := h.Do
	r.wm.AddConsumerHandler(h.Name, h.Name, sub, func(wm *message.Message) error {
		m := fromWatermill(wm)
		return do(events.WithTask(wm.Context(), m), m)
	})
	stop, err := r.opts.DeadLetters.Serve(ctx, h.Name, func(ctx context.Context, m Message) error {
		return do(events.WithTask(ctx, m), m)
	})
	if err != nil {
		return err
	}
	r.stops = append(r.stops, stop)
	return nil
}

// existing hands Watermill the consumer made by ensureConsumer: durable,
// never deleted when the subscriber closes.
func (r *Router) existing(name string) wmjs.ResourceInitializer {
	return func(ctx context.Context, js jetstream.JetStream, _ string) (jetstream.Consumer, func(context.Context, watermill.LoggerAdapter), error) {
		c, err := js.Consumer(ctx, events.StreamName, name)
		return c, nil, err
	}
}

// ensureConsumer makes or updates the task's durable consumer. A consumer
// made before the tasks were pinned cannot take a priority policy: it is
// made again (its tasks are idempotent, so what it had pending is safe).
func (r *Router) ensureConsumer(ctx context.Context, h Handler) (jetstream.Consumer, error) {
	cfg := jetstream.ConsumerConfig{
		Durable: h.Name, Description: h.Description, FilterSubjects: h.Subjects,
		AckPolicy: jetstream.AckExplicitPolicy, AckWait: r.opts.AckWait, MaxDeliver: -1, MaxAckPending: r.opts.InFlight,
		DeliverPolicy:  jetstream.DeliverAllPolicy,
		PriorityPolicy: jetstream.PriorityPolicyPinned, PriorityGroups: []string{priorityGroup}, PinnedTTL: r.opts.PinnedTTL,
	}
	if h.FromNow {
		cfg.DeliverPolicy = jetstream.DeliverNewPolicy
	}
	cons, err := r.js.Consumer(ctx, events.StreamName, h.Name)
	if err == nil {
		cfg.DeliverPolicy, cfg.OptStartSeq = cons.CachedInfo().Config.DeliverPolicy, cons.CachedInfo().Config.OptStartSeq
		if cons, err = r.js.UpdateConsumer(ctx, events.StreamName, cfg); err == nil {
			return cons, nil
		}
		r.opts.Log.Info("task consumer made again", "task", h.Name, "reason", err.Error())
		if err := r.js.DeleteConsumer(ctx, events.StreamName, h.Name); err != nil {
			return nil, fmt.Errorf("task %s: %w", h.Name, err)
		}
	} else if !errors.Is(err, jetstream.ErrConsumerNotFound) {
		return nil, fmt.Errorf("task %s: %w", h.Name, err)
	}
	cons, err = r.js.CreateConsumer(ctx, events.StreamName, cfg)
	if err != nil {
		return nil, fmt.Errorf("task %s consumer: %w", h.Name, err)
	}
	return cons, nil
}

// Stop stops taking messages, lets those in hand finish (bounded), and
// closes the router's connection.
func (r *Router) Stop() {
	for _, stop := range r.stops {
		stop()
	}
	r.stops = nil
	select {
	case <-r.wm.Running():
		_ = r.wm.Close()
		<-r.done
	default:
	}
	r.opts.Conn.Close()
}
