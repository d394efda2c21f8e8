package projector

import (
	"context"
	"fmt"
	"time"

	"github.com/nats-io/nats.go/jetstream"
)

// Batches with nothing for the projection: a live consumer takes whole
// aggregates, so most of what it receives may be other types of them.

// saveSkippedEvery bounds how long batches the projection has nothing in
// (events of its aggregates' other types) go without a checkpoint write:
// they change no row, so they cost Postgres a round trip at most this
// often, and when the stream goes quiet (see step).
const saveSkippedEvery = time.Second

// skipsAll tells whether a live consumer's batch holds no event the
// projection reads.
func (c *consumer) skipsAll(msgs []jetstream.Msg) bool {
	if !c.gapless {
		return false
	}
	for _, m := range msgs {
		if c.p.Reads(m.Subject()) {
			return false
		}
	}
	return true
}

// saveQuiet writes the checkpoint through the batches that had nothing for
// the projection once the stream has gone quiet, and announces it. A
// failure is logged and the write tried again at the next quiet moment:
// nothing is lost meanwhile, the skipped events change no row.
func (c *consumer) saveQuiet(ctx context.Context) {
	if c.unsaved == 0 {
		return
	}
	if err := c.saveSkipped(ctx); err != nil {
		if ctx.Err() == nil {
			c.log.Warn("checkpoint of passed-over events not written; tried again when quiet", "err", err)
		}
		return
	}
	c.r.ann.committed(c.p.Name, c.stored)
}

// saveOnExit writes what the batches passed over left unsaved when the lead
// ends, so that the next leader finds the checkpoint at the consumer's
// acknowledged position and keeps the consumer rather than make it again.
// The write is safe whoever leads next: the checkpoint never moves back,
// and no event between it and unsaved is one the projection reads.
func (c *consumer) saveOnExit() {
	if c.unsaved == 0 {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), exitSaveTimeout)
	defer cancel()
	if err := c.saveSkipped(ctx); err != nil {
		c.log.Warn("checkpoint of passed-over events not written at the end of the lead", "err", err)
	}
}

// exitSaveTimeout bounds the checkpoint write at the end of a lead.
const exitSaveTimeout = 2 * time.Second

// saveSkipped writes unsaved as the checkpoint.
func (c *consumer) saveSkipped(ctx context.Context) error {
	if _, err := c.r.deps.Pool.Exec(ctx, checkpointSQL, c.p.Name, int64(c.unsaved)); err != nil {
		return fmt.Errorf("checkpoint through %d: %w", c.unsaved, err)
	}
	c.unsaved, c.saved, c.stored = 0, time.Now(), max(c.stored, c.unsaved)
	return nil
}
