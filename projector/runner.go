package projector

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/chatbotsaas/chatbot/events"
	"github.com/chatbotsaas/chatbot/shared/pii"
)

// Options tunes a runner; zero values take the defaults.
type Options struct {
	BatchSize   int           // events fetched and committed together; default 500
	MaxAttempts int           // tries of a failing event before it is dead-lettered; default 5
	RetryDelay  time.Duration // first wait after a failure, doubling; default 100ms
	FetchWait   time.Duration // longest wait for new events; default 1s
	StandbyPoll time.Duration // how often a standby tries to take over; default 1s
	Replicas    int           // of the EVENTS stream; default 1

	// afterCommit, in tests, runs between a batch's commit and its ack.
	afterCommit func(projection string, lastSeq uint64)
	// heartbeat, in tests, replaces the period of progress announcements.
	heartbeat time.Duration
}

// Deps are the connections projections run on.
type Deps struct {
	Pool     *pgxpool.Pool
	JS       jetstream.JetStream
	Registry *events.Registry
	Logger   *slog.Logger
	Metrics  *Metrics
	Vault    *pii.Vault // opens personal fields for reducers; nil leaves them sealed
	// Invalidate, if set, is told what each commit changed (query cache).
	Invalidate Invalidate
}

// Runner runs projections, each as the one active consumer of its name
// across every process (a Postgres advisory lock elects it); the others
// stand by and take over when it goes.
type Runner struct {
	deps        Deps
	opts        Options
	projections []Projection
	ann         *announcer
	requests    *requests
	share       *share

	cancel context.CancelFunc
	wg     sync.WaitGroup
}

// New builds a runner for projections.
func New(d Deps, projections []Projection, o Options) *Runner {
	if o.BatchSize <= 0 {
		o.BatchSize = 500
	}
	if o.MaxAttempts <= 0 {
		o.MaxAttempts = 5
	}
	if o.RetryDelay <= 0 {
		o.RetryDelay = 100 * time.Millisecond
	}
	if o.FetchWait <= 0 {
		o.FetchWait = time.Second
	}
	if o.StandbyPoll <= 0 {
		o.StandbyPoll = time.Second
	}
	if d.Registry == nil {
		d.Registry = events.Default
	}
	if d.Logger == nil {
		d.Logger = slog.Default()
	}
	return &Runner{deps: d, opts: o, projections: projections, share: newShare(projections)}
}

// consumed are the projections as consumed: each unpartitioned one, and
// each partition of the others.
func (r *Runner) consumed() []Projection {
	var out []Projection
	for _, p := range r.projections {
		if p.Partitions > 1 {
			out = append(out, p.partitions()...)
		} else {
			out = append(out, p)
		}
	}
	return out
}

// preparePartitioning sets up the partitions of the partitioned
// projections, and folds back those that ran partitioned before.
func (r *Runner) preparePartitioning(ctx context.Context) error {
	for _, p := range r.projections {
		var err error
		if p.Partitions > 1 {
			err = r.preparePartitions(ctx, p)
		} else if p.Every == nil {
			err = r.unpartition(ctx, p)
		}
		if err != nil {
			return fmt.Errorf("partitions of %s: %w", p.Name, err)
		}
	}
	return nil
}

// Start makes sure the stream exists and runs every projection in the
// background until Stop.
func (r *Runner) Start(ctx context.Context) error {
	if _, err := events.EnsureStream(ctx, r.deps.JS, r.opts.Replicas); err != nil {
		return err
	}
	rq, err := followRequests(ctx, r.deps.JS)
	if err != nil {
		return fmt.Errorf("follow rebuild requests: %w", err)
	}
	r.requests = rq
	if err := r.preparePartitioning(ctx); err != nil {
		rq.close()
		return err
	}
	ctx, r.cancel = context.WithCancel(ctx)
	if err := r.startAnnouncer(ctx); err != nil {
		r.cancel()
		return err
	}
	r.runAll(ctx)
	return nil
}

// startAnnouncer starts telling readers how far the consumed projections
// are, from the checkpoints they left.
func (r *Runner) startAnnouncer(ctx context.Context) error {
	checkpoints, err := r.checkpoints(ctx)
	if err != nil {
		return err
	}
	r.ann = newAnnouncer(r.deps.JS, r.consumed(), r.deps.Logger)
	if r.opts.heartbeat > 0 {
		r.ann.every = r.opts.heartbeat
	}
	if err := r.ann.start(ctx, checkpoints); err != nil {
		return fmt.Errorf("projection progress: %w", err)
	}
	return nil
}

// runAll runs until ctx ends the announcer, the lag reports, a leader loop
// per consumed projection, the count of the partitions' shares and the
// rebuilds of each partitioned projection.
func (r *Runner) runAll(ctx context.Context) {
	r.spawn(func() { r.ann.run(ctx) })
	r.spawn(func() { r.reportLag(ctx) })
	for _, p := range r.consumed() {
		r.spawn(func() { r.run(ctx, p, r.lead) })
	}
	if len(r.share.counts) > 0 {
		r.spawn(func() { r.count(ctx) })
	}
	for _, p := range r.projections {
		if p.Partitions > 1 {
			r.spawn(func() { r.run(ctx, p, r.leadRebuilds) })
		}
	}
}

// spawn runs f in the background; Stop waits for it.
func (r *Runner) spawn(f func()) {
	r.wg.Add(1)
	go func() {
		defer r.wg.Done()
		f()
	}()
}

// checkpoints are the applied positions of the projections that ran before.
func (r *Runner) checkpoints(ctx context.Context) (map[string]uint64, error) {
	rows, err := r.deps.Pool.Query(ctx, "SELECT name, position FROM projection_checkpoints")
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := map[string]uint64{}
	for rows.Next() {
		var name string
		var pos int64
		if err := rows.Scan(&name, &pos); err != nil {
			return nil, err
		}
		out[name] = uint64(pos)
	}
	return out, rows.Err()
}

// Stop stops every projection after its current batch and waits.
func (r *Runner) Stop() {
	if r.cancel == nil {
		return
	}
	r.cancel()
	r.wg.Wait()
	r.requests.close()
}

// run keeps one projection going: as leader while it holds the lock, as
// standby otherwise, restarting after failures.
func (r *Runner) run(ctx context.Context, p Projection, lead func(context.Context, Projection, *pgx.Conn, *slog.Logger) error) {
	log := r.deps.Logger.With("projection", p.Name)
	var conn *pgx.Conn // of the lock, kept while standing by
	defer func() {
		if conn != nil {
			_ = conn.Close(context.WithoutCancel(ctx))
		}
	}()
	for ctx.Err() == nil {
		if p.part != nil && !r.share.reserve(p.Of()) {
			sleep(ctx, r.opts.StandbyPoll) // this process leads its share of the partitions
			continue
		}
		var err error
		if conn == nil {
			conn, err = r.lockConn(ctx)
		}
		if err == nil {
			err = lead(ctx, p, conn, log)
		}
		if p.part != nil && !errors.Is(err, errYield) {
			r.share.release(p.Of())
		}
		if ctx.Err() != nil {
			return
		}
		if err != nil && !errors.Is(err, errNotLeader) && !errors.Is(err, errYield) {
			log.Warn("projection stopped; restarting", "err", err)
			if conn != nil {
				_ = conn.Close(ctx) // in an unknown state: start afresh
				conn = nil
			}
		}
		sleep(ctx, r.opts.StandbyPoll)
	}
}

func sleep(ctx context.Context, d time.Duration) {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
	case <-t.C:
	}
}

// reportLag keeps the lag gauge of each projection current.
func (r *Runner) reportLag(ctx context.Context) {
	progress := NewProgress(r.deps.Pool, r.deps.JS, r.projections)
	for ctx.Err() == nil {
		if statuses, err := progress.Statuses(ctx); err == nil {
			for _, s := range statuses {
				r.deps.Metrics.setLag(s.Name, s.Lag)
			}
		}
		sleep(ctx, 2*time.Second)
	}
}
