package projector

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5/pgconn"
	"github.com/nats-io/nats.go/jetstream"
)

// A leader that knows the checkpoint it left commits a batch in one round
// trip to Postgres rather than four (BEGIN, the checkpoint read, the
// batch, COMMIT). The batch goes as one pipeline, which Postgres runs as
// one implicit transaction: a statement that fails rolls back all of them.
// It opens with checkpointGuardSQL, which locks the checkpoint's row, as
// the read under FOR UPDATE does, and fails unless the row still holds
// what this leader last stored. Anything else wrote it in between (a
// leader that took over, a restore, a rebuild), so the batch is committed
// again the long way, which reads the checkpoint and skips what it holds.
//
// Under sustained creates the three extra round trips were 13 % of the
// CPU of chatbotd serve (BEGIN, the read and COMMIT took 2.9 s of a 30 s
// profile at about 450 creates a second), with as much again in the
// Postgres backends answering them, on the same two cores as the stream's
// writer.

// checkpointGuardSQL divides by zero unless projection $1's checkpoint is
// at $2, holding the row locked until the batch commits.
const checkpointGuardSQL = `WITH held AS (SELECT position FROM projection_checkpoints WHERE name = $1 FOR UPDATE)
	SELECT 1 / (SELECT count(*) FROM held WHERE position = $2)::int`

// guardRefused is the guard's failure: the checkpoint is not where this
// leader left it.
func guardRefused(err error) bool {
	var pgErr *pgconn.PgError
	return errors.As(err, &pgErr) && pgErr.Code == "22012" // division_by_zero
}

// commitPipelined is commit in one round trip, from the checkpoint the
// leader stored. moved means the guard refused the batch: nothing was
// applied and the checkpoint has to be read.
func (c *consumer) commitPipelined(ctx context.Context, msgs []jetstream.Msg) (last uint64, applied int, moved bool, err error) {
	b := &Batch{}
	b.Queue(checkpointGuardSQL, c.p.Name, int64(c.stored))
	last, applied, err = c.queue(ctx, b, msgs, c.stored)
	if err != nil || last == c.stored {
		return last, 0, false, err // failed, or the whole batch was a redelivery
	}
	b.event = len(msgs) - 1
	b.Queue(checkpointSQL, c.p.Name, int64(last))
	br := c.r.deps.Pool.SendBatch(ctx, &b.pgx)
	for j := range b.owners {
		if _, err := br.Exec(); err != nil {
			_ = br.Close()
			switch {
			case j == 0 && guardRefused(err):
				return 0, 0, true, nil
			case j > 0 && isEventFault(err):
				return 0, 0, false, &poison{index: b.owners[j], err: err}
			}
			return 0, 0, false, err
		}
	}
	if err := br.Close(); err != nil {
		return 0, 0, false, err
	}
	c.touched = b.touched()
	c.unsaved, c.saved, c.stored = 0, time.Now(), last
	return last, applied, false, nil
}

// errCheckpointBehind is a checkpoint found below what this leader stored:
// the read model was restored from a backup, or lost commits. The events
// after it were acknowledged already and will not be delivered again, so
// the lead ends, and the next one makes the consumer again from the
// checkpoint (ensureConsumer) and applies them.
var errCheckpointBehind = errors.New("the checkpoint is behind what this leader stored")

// checkNotBehind refuses a checkpoint read below the one the leader
// stored. A partition's work queue keeps no acknowledged message to
// deliver again, so its leader goes on from the checkpoint as before.
func (c *consumer) checkNotBehind(checkpoint uint64) error {
	if checkpoint < c.stored && c.p.part == nil {
		return fmt.Errorf("%w: %d, stored %d", errCheckpointBehind, checkpoint, c.stored)
	}
	return nil
}
