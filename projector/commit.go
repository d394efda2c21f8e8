package projector

import (
	"context"
	"errors"

	"github.com/jackc/pgx/v5/pgconn"
	"github.com/nats-io/nats.go/jetstream"
)

// commit applies the batch with the checkpoint, all or nothing, and
// returns the last sequence and how many events changed the read model.
//
// Once the consumer knows where the checkpoint stands (it committed the
// batch before), the batch is one round trip: the statements go in one
// pipeline, which Postgres runs as one implicit transaction, led by
// chatbot_advance_checkpoint, which fails the whole of it when the
// checkpoint has moved meanwhile. Otherwise (its first batch, or after a
// failure) it reads the checkpoint under a row lock in a transaction.
func (c *consumer) commit(ctx context.Context, msgs []jetstream.Msg) (uint64, int, error) {
	c.touched = []string{}
	if !c.atKnown {
		return c.commitLocked(ctx, msgs)
	}
	b, last, applied, err := c.batch(ctx, msgs, c.at)
	if err != nil || last == c.at {
		return last, 0, err
	}
	b.lead(advanceSQL, c.p.Name, int64(c.at), int64(last))
	if err := execBatch(b, c.r.deps.Pool.SendBatch(ctx, &b.pgx)); err != nil {
		return 0, 0, err
	}
	c.at, c.touched = last, b.touched()
	return last, applied, nil
}

// advanceSQL moves the checkpoint from where this consumer left it, or
// fails (see migration 000015).
const advanceSQL = `SELECT chatbot_advance_checkpoint($1, $2, $3)`

// commitLocked is commit in an explicit transaction that reads the
// checkpoint under a row lock first.
func (c *consumer) commitLocked(ctx context.Context, msgs []jetstream.Msg) (uint64, int, error) {
	tx, err := c.r.deps.Pool.Begin(ctx)
	if err != nil {
		return 0, 0, err
	}
	defer func() { _ = tx.Rollback(context.WithoutCancel(ctx)) }()
	checkpoint, err := readCheckpoint(ctx, tx, c.p.Name)
	if err != nil {
		return 0, 0, err
	}
	b, last, applied, err := c.batch(ctx, msgs, checkpoint)
	if err != nil {
		return 0, 0, err
	}
	if last == checkpoint {
		c.at, c.atKnown = last, true
		return last, 0, nil // the whole batch was a redelivery
	}
	b.Queue(checkpointSQL, c.p.Name, int64(last))
	if err := execBatch(b, tx.SendBatch(ctx, &b.pgx)); err != nil {
		return 0, 0, err
	}
	if err := tx.Commit(ctx); err != nil {
		return 0, 0, err
	}
	c.at, c.atKnown, c.touched = last, true, b.touched()
	return last, applied, nil
}

// batch reduces the events after checkpoint into statements, parking
// those due to be parked, and returns them with the last sequence.
func (c *consumer) batch(ctx context.Context, msgs []jetstream.Msg, checkpoint uint64) (*Batch, uint64, int, error) {
	b := &Batch{}
	last, applied := checkpoint, 0
	for i, m := range msgs {
		seq := streamSeq(m)
		if seq <= checkpoint {
			continue // applied before the last ack was lost
		}
		last = seq
		b.event = i
		if reason, ok := c.dead[seq]; ok {
			queueDeadLetter(b, c.p.Name, m, seq, reason, c.attempts[seq])
			continue
		}
		if err := c.reduce(ctx, b, m, seq); err != nil {
			var o *outage
			if errors.As(err, &o) {
				return nil, 0, 0, o.err
			}
			return nil, 0, 0, &poison{index: i, err: err}
		}
		applied++
	}
	b.event = len(msgs) - 1
	return b, last, applied, nil
}

// execBatch reads the results of b's statements: a statement that failed
// because of its event's data is that event's poison.
func execBatch(b *Batch, br interface {
	Exec() (pgconn.CommandTag, error)
	Close() error
}) error {
	for j := range b.owners {
		if _, err := br.Exec(); err != nil {
			_ = br.Close()
			if isEventFault(err) {
				return &poison{index: b.owners[j], err: err}
			}
			return err
		}
	}
	return br.Close()
}
