package projector

import (
	"context"
	"errors"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/nats-io/nats.go/jetstream"
	"golang.org/x/sync/errgroup"

	"github.com/chatbotsaas/chatbot/events"
)

// chunk is one transaction's worth of events, decoded.
type chunk struct {
	msgs  []jetstream.Msg
	items []decoded
	slow  bool // an event did not decode: apply one by one
}

type decoded struct {
	env     events.Envelope
	data    any
	reducer Reducer
}

func (rp *replay) load(ctx context.Context) error {
	js, subjects := rp.c.r.deps.JS, rp.c.p.FilterSubjects()
	// Counted after, then from the start: an event appended between the
	// two is counted in neither, or over, never under (the load stops at
	// the first event beyond rp.to).
	after, err := pendingFrom(ctx, js, subjects, rp.to+1)
	if err != nil {
		return err
	}
	total, err := pendingFrom(ctx, js, subjects, 1)
	if err != nil {
		return err
	}
	total -= min(total, after)
	rp.stats.Total = total
	rp.onProgress(0, total)
	if total == 0 {
		return nil
	}
	cons, err := js.OrderedConsumer(ctx, events.StreamName, jetstream.OrderedConsumerConfig{
		FilterSubjects: subjects, DeliverPolicy: jetstream.DeliverAllPolicy, InactiveThreshold: 30 * time.Second,
	})
	if err != nil {
		return err
	}
	// Rows loaded by COPY do not depend on each other's order: two
	// transactions load them side by side.
	writers := 1
	if rp.c.p.Copy != nil {
		writers = copyWriters
	}
	chunks := make(chan chunk, 2)
	g, gctx := errgroup.WithContext(ctx)
	g.Go(func() error { return rp.produce(gctx, cons, total, chunks) })
	for range writers {
		g.Go(func() error {
			for ch := range chunks {
				if err := rp.apply(gctx, ch); err != nil {
					return err
				}
			}
			return nil
		})
	}
	return g.Wait()
}

// copyWriters is how many transactions load a COPY projection at once.
const copyWriters = 2

// produce reads and decodes the first total events of the projection's
// subjects (stopping early at one beyond rp.to), in chunks.
func (rp *replay) produce(ctx context.Context, cons jetstream.Consumer, total uint64, out chan<- chunk) error {
	defer close(out)
	it, err := cons.Messages(jetstream.PullMaxMessages(2 * replayBatch))
	if err != nil {
		return err
	}
	defer it.Stop()
	stop := context.AfterFunc(ctx, it.Stop)
	defer stop()
	var ch chunk
	for read := uint64(0); read < total; read++ {
		m, err := it.Next()
		if err != nil {
			if ctx.Err() != nil {
				return ctx.Err()
			}
			return err
		}
		seq := streamSeq(m)
		if seq > rp.to {
			break
		}
		env, data, reducer, err := rp.c.decode(ctx, m, seq)
		var o *outage
		if errors.As(err, &o) {
			return o.err
		}
		ch.msgs = append(ch.msgs, m)
		ch.slow = ch.slow || err != nil
		if reducer != nil {
			ch.items = append(ch.items, decoded{env: env, data: data, reducer: reducer})
		}
		if len(ch.msgs) == replayBatch {
			select {
			case out <- ch:
			case <-ctx.Done():
				return ctx.Err()
			}
			ch = chunk{}
		}
	}
	if len(ch.msgs) > 0 {
		select {
		case out <- ch:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	return nil
}

// apply commits one chunk into the copies. A chunk an event spoils goes
// again one event at a time (parking what fails).
func (rp *replay) apply(ctx context.Context, ch chunk) error {
	start := time.Now()
	err := rp.inTx(ctx, func(tx pgx.Tx) error {
		if ch.slow {
			return rp.c.applyShadow(ctx, tx, ch.msgs)
		}
		return rp.fast(ctx, tx, ch)
	})
	if err != nil && !ch.slow && (isPoison(err) || isEventFault(err)) {
		err = rp.inTx(ctx, func(tx pgx.Tx) error { return rp.c.applyShadow(ctx, tx, ch.msgs) })
	}
	if err != nil {
		return err
	}
	rp.mu.Lock()
	defer rp.mu.Unlock()
	rp.stats.Batches = append(rp.stats.Batches, time.Since(start))
	rp.stats.Events += uint64(len(ch.msgs))
	rp.stats.Position = max(rp.stats.Position, streamSeq(ch.msgs[len(ch.msgs)-1]))
	rp.onProgress(rp.stats.Events, rp.stats.Total)
	return nil
}

// fast applies a chunk by COPY or by one batch of the reducers' statements.
func (rp *replay) fast(ctx context.Context, tx pgx.Tx, ch chunk) error {
	if cp := rp.c.p.Copy; cp != nil {
		rows := make([][]any, len(ch.items))
		for i, it := range ch.items {
			rows[i] = cp.Row(it.env)
		}
		_, err := tx.CopyFrom(ctx, pgx.Identifier{rp.schema, cp.Table}, cp.Columns, pgx.CopyFromRows(rows))
		return err
	}
	b := &Batch{}
	for i, it := range ch.items {
		b.event = i
		if err := it.reducer(b, it.env, it.data); err != nil {
			return &poison{index: i, err: err}
		}
	}
	return tx.SendBatch(ctx, &b.pgx).Close()
}
