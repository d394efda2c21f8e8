package projector

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/chatbotsaas/chatbot/events"
)

// A replay builds a projection's tables from the stream into a schema of
// their own, beside the live ones, as fast as the tables allow:
//   - the tables are made bare (columns, defaults, checks), with only the
//     unique indexes the reducers' upserts need, and the other indexes are
//     built once the rows are in;
//   - an insert-only projection (Copy) is loaded by COPY, without any index;
//   - the events go in transactions of thousands, committed without
//     waiting for the disk (a crash only loses a replay, which starts over),
//     while the next batch is read and decoded meanwhile;
//   - an event that cannot be applied is parked in dead_letters, as the
//     live consumer would, and the rest goes in.
// Rebuilds, verification and time travel all build their tables this way;
// catchUp then applies what came since through the reducers, in a
// transaction of the caller's.

// replayBatch is the number of events applied per transaction by a replay.
const replayBatch = 5000

// Stats are what a replay did.
type Stats struct {
	Events   uint64          // applied
	Total    uint64          // to apply when it began
	Position uint64          // the last one's position
	Took     time.Duration   // loading, index building included
	Batches  []time.Duration // each batch's transaction
	Resolved int64           // dead letters a rebuild resolved by applying their events
}

// ProgressFunc is told how many events of how many are applied.
type ProgressFunc func(done, total uint64)

type replay struct {
	c          *consumer
	live       string // the live tables' schema
	schema     string // where the copies go
	to         uint64 // last position to load
	onProgress ProgressFunc
	// keep, when set, leaves out of a catch-up the events it refuses (a
	// partition's events beyond what that partition has applied).
	keep func(jetstream.Msg) bool

	mu    sync.Mutex // over stats, while writers load side by side
	stats Stats
}

func newReplay(r *Runner, p Projection, live, schema string, to uint64, progress ProgressFunc, aside bool) *replay {
	if progress == nil {
		progress = func(uint64, uint64) {}
	}
	log := r.deps.Logger.With("projection", p.Name, "schema", schema)
	return &replay{c: &consumer{r: r, p: p, log: log, aside: aside}, live: live, schema: schema, to: to, onProgress: progress}
}

// build makes the copies and loads them up to rp.to, then builds their
// indexes.
func (rp *replay) build(ctx context.Context) error {
	began := time.Now()
	if err := rp.prepare(ctx); err != nil {
		return fmt.Errorf("prepare %s: %w", rp.schema, err)
	}
	if err := rp.load(ctx); err != nil {
		return err
	}
	if err := rp.index(ctx); err != nil {
		return fmt.Errorf("index %s: %w", rp.schema, err)
	}
	rp.stats.Took = time.Since(began)
	return nil
}

// inTx runs f in a transaction that writes to the copies (the live schema
// stays on the path for what reducers read) and does not wait for the disk.
func (rp *replay) inTx(ctx context.Context, f func(pgx.Tx) error) error {
	return pgx.BeginFunc(ctx, rp.c.r.deps.Pool, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, "SET LOCAL synchronous_commit TO off; "+rp.searchPath()); err != nil {
			return err
		}
		return f(tx)
	})
}

func (rp *replay) searchPath() string {
	return "SET LOCAL search_path TO " + ident(rp.schema) + ", " + ident(rp.live)
}

// catchUp applies in tx, through the reducers, the events after the last
// one applied up to position to, and returns the last one's position.
// tx's search path must lead to the copies (rp.searchPath).
func (rp *replay) catchUp(ctx context.Context, tx pgx.Tx, to uint64) error {
	cons, err := rp.c.r.deps.JS.OrderedConsumer(ctx, events.StreamName, jetstream.OrderedConsumerConfig{
		FilterSubjects: rp.c.p.FilterSubjects(), DeliverPolicy: jetstream.DeliverByStartSequencePolicy,
		OptStartSeq: rp.stats.Position + 1, InactiveThreshold: 30 * time.Second,
	})
	if err != nil {
		return err
	}
	for rp.stats.Position < to {
		msgs, err := fetch(ctx, cons, replayBatch)
		if err != nil {
			return err
		}
		n := 0
		for n < len(msgs) && streamSeq(msgs[n]) <= to {
			n++
		}
		if n == 0 {
			return nil
		}
		apply := msgs[:n]
		if rp.keep != nil {
			apply = slices.DeleteFunc(slices.Clone(apply), func(m jetstream.Msg) bool { return !rp.keep(m) })
		}
		if err := rp.c.applyShadow(ctx, tx, apply); err != nil {
			return err
		}
		rp.stats.Events += uint64(len(apply))
		rp.stats.Position = streamSeq(msgs[n-1])
		if n < len(msgs) {
			return nil
		}
	}
	return nil
}

// pendingFrom counts the events of subjects at or after position seq.
func pendingFrom(ctx context.Context, js jetstream.JetStream, subjects []string, seq uint64) (uint64, error) {
	cons, err := js.CreateConsumer(ctx, events.StreamName, jetstream.ConsumerConfig{
		FilterSubjects: subjects, DeliverPolicy: jetstream.DeliverByStartSequencePolicy, OptStartSeq: max(seq, 1),
		AckPolicy: jetstream.AckNonePolicy, InactiveThreshold: 5 * time.Second, MemoryStorage: true,
	})
	if err != nil {
		return 0, err
	}
	n := cons.CachedInfo().NumPending
	if err := js.DeleteConsumer(ctx, events.StreamName, cons.CachedInfo().Name); err != nil && !errors.Is(err, jetstream.ErrConsumerNotFound) {
		slog.Default().Debug("counting consumer left to expire", "err", err)
	}
	return n, nil
}
