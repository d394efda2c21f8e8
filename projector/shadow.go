package projector

import (
	"context"
	"errors"

	"github.com/jackc/pgx/v5"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/chatbotsaas/chatbot/events"
)

// streamEnd is the stream's last sequence now.
func streamEnd(ctx context.Context, js jetstream.JetStream) (uint64, error) {
	stream, err := js.Stream(ctx, events.StreamName)
	if err != nil {
		return 0, err
	}
	return stream.CachedInfo().State.LastSeq, nil
}

// fetch returns the next messages already in the stream, none at its end.
func fetch(ctx context.Context, cons jetstream.Consumer, n int) ([]jetstream.Msg, error) {
	batch, err := cons.FetchNoWait(n)
	if err != nil {
		return nil, err
	}
	var out []jetstream.Msg
	for m := range batch.Messages() {
		out = append(out, m)
	}
	if err := batch.Error(); err != nil && ctx.Err() == nil {
		return nil, err
	}
	return out, ctx.Err()
}

// applyShadow applies msgs to the copy in tx. When the batch fails, it goes
// again one event at a time, each under a savepoint, so that an event that
// cannot be applied is parked in dead_letters (as the live consumer would;
// a replay set aside only leaves it out) and the rest goes in.
func (c *consumer) applyShadow(ctx context.Context, tx pgx.Tx, msgs []jetstream.Msg) error {
	if _, err := tx.Exec(ctx, "SAVEPOINT batch"); err != nil {
		return err
	}
	if err := c.applyTo(ctx, tx, msgs...); !isPoison(err) {
		return err
	}
	if _, err := tx.Exec(ctx, "ROLLBACK TO SAVEPOINT batch"); err != nil {
		return err
	}
	for _, m := range msgs {
		if _, err := tx.Exec(ctx, "SAVEPOINT event"); err != nil {
			return err
		}
		err := c.applyTo(ctx, tx, m)
		if !isPoison(err) {
			if err != nil {
				return err
			}
			continue
		}
		if _, err := tx.Exec(ctx, "ROLLBACK TO SAVEPOINT event"); err != nil {
			return err
		}
		seq := streamSeq(m)
		if c.aside {
			c.log.Warn("event not applied in a replay", "position", seq, "reason", err.Error())
			continue
		}
		park := &Batch{}
		queueDeadLetter(park, c.p.Name, m, seq, err.Error(), 1)
		if err := tx.SendBatch(ctx, &park.pgx).Close(); err != nil {
			return err
		}
		c.log.Error("event parked in dead_letters during rebuild", "position", seq, "reason", err.Error())
	}
	return nil
}

// applyTo reduces msgs and sends their statements in tx. A failure that
// an event causes comes back as *poison.
func (c *consumer) applyTo(ctx context.Context, tx pgx.Tx, msgs ...jetstream.Msg) error {
	b := &Batch{}
	for i, m := range msgs {
		b.event = i
		if err := c.reduce(ctx, b, m, streamSeq(m)); err != nil {
			var o *outage
			if errors.As(err, &o) {
				return o.err
			}
			return &poison{index: i, err: err}
		}
	}
	if err := tx.SendBatch(ctx, &b.pgx).Close(); err != nil {
		if isEventFault(err) {
			return &poison{err: err}
		}
		return err
	}
	return nil
}

func isPoison(err error) bool {
	var p *poison
	return errors.As(err, &p)
}
