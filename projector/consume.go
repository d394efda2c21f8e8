package projector

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/jackc/pgx/v5/pgconn"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/chatbotsaas/chatbot/shared/deadletter"
)

// consumer applies one projection's batches while its process leads.
type consumer struct {
	r   *Runner
	p   Projection
	log *slog.Logger
	it  jetstream.MessagesContext

	touched  []string          // tenants the last committed batch changed
	attempts map[uint64]int    // failed tries per stream sequence
	dead     map[uint64]string // sequences to park instead of apply, with the reason

	// aside is set for a replay whose tables are not swapped in (verify,
	// time travel): an event it cannot apply is left out, not parked.
	aside bool

	// gapless is set for a live projection's AckAll consumer, whose
	// deliveries must follow each other (checkDelivered); delivered is
	// the last one received.
	gapless   bool
	delivered uint64

	// unsaved is the last event of batches that had nothing for the
	// projection, acknowledged but not yet written as the checkpoint;
	// saved is when the checkpoint was last written, and stored what it
	// holds. Only what is stored is announced as the checkpoint (a copy of
	// the read models waits for that row); the announcer's through
	// position covers the skipped events, as none is of its types.
	unsaved uint64
	saved   time.Time
	stored  uint64
	// known is set once stored is what Postgres holds, read or written
	// under the row's lock: the next batches commit in one round trip
	// (commitPipelined).
	known bool
}

// poison is a failure that one event causes, as opposed to an outage.
type poison struct {
	index int
	err   error
}

func (p *poison) Error() string { return p.err.Error() }

// drainWait is how long a batch waits for one more message already on its
// way before it is applied: batches form under load, not at idle.
const drainWait = 200 * time.Microsecond

// step takes the next batch from the consumer's message stream and applies
// it. It waits at most FetchWait for a first message; an idle wait is not
// an error.
func (c *consumer) step(ctx context.Context) error {
	first, err := c.it.Next(jetstream.NextMaxWait(c.r.opts.FetchWait))
	if err != nil {
		if ctx.Err() != nil {
			return nil
		}
		if errors.Is(err, nats.ErrTimeout) {
			c.saveQuiet(ctx)
			return nil
		}
		return err
	}
	msgs := []jetstream.Msg{first}
	for len(msgs) < c.r.opts.BatchSize {
		m, err := c.it.Next(jetstream.NextMaxWait(drainWait))
		if err != nil {
			break
		}
		msgs = append(msgs, m)
	}
	if err := c.checkDelivered(msgs); err != nil {
		return err
	}
	last, err := c.apply(ctx, msgs)
	if err != nil {
		return err
	}
	// Caches first, then the announcement: a read that waited for this
	// position finds the cache already retired what changed.
	c.r.invalidate(c.p.Of(), c.touched)
	c.r.ann.committed(c.p.Name, c.stored)
	if c.r.opts.afterCommit != nil {
		c.r.opts.afterCommit(c.p.Name, last)
	}
	if err := c.ack(msgs); err != nil {
		return fmt.Errorf("ack through %d: %w", last, err)
	}
	c.r.deps.Metrics.setPosition(c.p.Name, last)
	if md, err := msgs[len(msgs)-1].Metadata(); err == nil {
		c.r.deps.Metrics.setPending(c.p.Name, md.NumPending)
	}
	return nil
}

// ack acknowledges a committed batch. AckAll: acknowledging the last
// acknowledges the batch; a partition's work queue takes one ack per
// message. A lost ack only means redelivery, which the checkpoint skips.
func (c *consumer) ack(msgs []jetstream.Msg) error {
	if c.p.part == nil {
		return msgs[len(msgs)-1].Ack()
	}
	for _, m := range msgs {
		if err := m.Ack(); err != nil {
			return err
		}
	}
	return nil
}

// apply commits the batch, retrying after failures: an outage is retried
// until it ends; an event that keeps failing is parked after MaxAttempts
// and the rest of the batch goes on.
func (c *consumer) apply(ctx context.Context, msgs []jetstream.Msg) (uint64, error) {
	delay := c.r.opts.RetryDelay
	for {
		start := time.Now()
		last, applied, err := c.commit(ctx, msgs)
		if err == nil {
			c.r.deps.Metrics.batchDone(c.p.Name, applied, time.Since(start))
			for _, m := range msgs {
				seq := streamSeq(m)
				if _, parked := c.dead[seq]; parked {
					c.r.deps.Metrics.deadLettered(c.p.Name)
					c.log.Error("event parked in dead_letters", "position", seq, "reason", c.dead[seq])
				}
				delete(c.attempts, seq)
				delete(c.dead, seq)
			}
			return last, nil
		}
		if ctx.Err() != nil {
			return 0, ctx.Err()
		}
		if errors.Is(err, errCheckpointBehind) {
			return 0, err // ends the lead: the next makes the consumer again from the checkpoint
		}
		var pe *poison
		if errors.As(err, &pe) {
			seq := streamSeq(msgs[pe.index])
			c.attempts[seq]++
			c.log.Warn("event failed to apply", "position", seq, "attempt", c.attempts[seq], "err", pe.err)
			if c.attempts[seq] >= c.r.opts.MaxAttempts {
				c.dead[seq] = pe.err.Error()
				continue // park it and retry the batch at once
			}
		} else {
			c.log.Warn("batch failed; retrying", "err", err, "retry_in", delay.String())
		}
		sleep(ctx, delay)
		delay = min(delay*2, 5*time.Second)
	}
}

// commit applies the batch in one transaction with the checkpoint, and
// returns the last sequence and how many events changed the read model.
func (c *consumer) commit(ctx context.Context, msgs []jetstream.Msg) (uint64, int, error) {
	c.touched = []string{}
	if last := streamSeq(msgs[len(msgs)-1]); c.skipsAll(msgs) && time.Since(c.saved) < saveSkippedEvery {
		c.unsaved = max(c.unsaved, last)
		return last, 0, nil
	}
	if c.known {
		last, applied, moved, err := c.commitPipelined(ctx, msgs)
		if !moved {
			return last, applied, err
		}
		c.known = false
		c.log.Info("checkpoint moved under the leader; reading it again")
	}
	tx, err := c.r.deps.Pool.Begin(ctx)
	if err != nil {
		return 0, 0, err
	}
	defer func() { _ = tx.Rollback(context.WithoutCancel(ctx)) }()
	checkpoint, err := readCheckpoint(ctx, tx, c.p.Name)
	if err != nil {
		return 0, 0, err
	}
	if err := c.checkNotBehind(checkpoint); err != nil {
		return 0, 0, err
	}
	b := &Batch{}
	last, applied, err := c.queue(ctx, b, msgs, checkpoint)
	if err != nil {
		return 0, 0, err
	}
	if last == checkpoint {
		c.stored = max(c.stored, checkpoint)
		c.known = c.stored == checkpoint
		return last, 0, nil // the whole batch was a redelivery
	}
	b.event = len(msgs) - 1
	b.Queue(checkpointSQL, c.p.Name, int64(last))
	br := tx.SendBatch(ctx, &b.pgx)
	for j := range b.owners {
		if _, err := br.Exec(); err != nil {
			_ = br.Close()
			if isEventFault(err) {
				return 0, 0, &poison{index: b.owners[j], err: err}
			}
			return 0, 0, err
		}
	}
	if err := br.Close(); err != nil {
		return 0, 0, err
	}
	if err := tx.Commit(ctx); err != nil {
		return 0, 0, err
	}
	c.touched = b.touched()
	c.unsaved, c.saved, c.stored, c.known = 0, time.Now(), last, true
	return last, applied, nil
}

// queue queues the statements of the batch's events past checkpoint, and
// returns the last one's sequence and how many went to a reducer.
func (c *consumer) queue(ctx context.Context, b *Batch, msgs []jetstream.Msg, checkpoint uint64) (uint64, int, error) {
	last, applied := checkpoint, 0
	for i, m := range msgs {
		seq := streamSeq(m)
		if seq <= checkpoint {
			continue // applied before the last ack was lost
		}
		last = seq
		if !c.p.Reads(m.Subject()) {
			continue // another type of an aggregate it reads
		}
		b.event = i
		if reason, ok := c.dead[seq]; ok {
			queueDeadLetter(b, c.p.Name, m, seq, reason, c.attempts[seq])
			continue
		}
		if err := c.reduce(ctx, b, m, seq); err != nil {
			var o *outage
			if errors.As(err, &o) {
				return 0, 0, o.err
			}
			return 0, 0, &poison{index: i, err: err}
		}
		applied++
	}
	return last, applied, nil
}

// isEventFault tells a statement that failed because of its data (bad
// value, constraint) from a database that is unavailable.
func isEventFault(err error) bool {
	var pgErr *pgconn.PgError
	if !errors.As(err, &pgErr) {
		return false
	}
	switch pgErr.Code[:2] {
	case "08", "40", "53", "57", "58", "XX": // connection, rollback, resources, shutdown, system
		return false
	}
	return true
}

func queueDeadLetter(b *Batch, projection string, m jetstream.Msg, seq uint64, reason string, attempts int) {
	sql, args := deadletter.New(deadletter.KindProjection, projection, seq, m.Subject(), m.Data(), reason, attempts).Insert()
	b.Queue(sql, args...)
}

// streamSeq is m's position in EVENTS: its sequence there, or for a
// message of a partition stream the one its source header names.
func streamSeq(m jetstream.Msg) uint64 {
	if seq := originSeq(m); seq > 0 {
		return seq
	}
	md, err := m.Metadata()
	if err != nil {
		return 0
	}
	return md.Sequence.Stream
}
