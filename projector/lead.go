package projector

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/chatbotsaas/chatbot/events"
)

var errNotLeader = errors.New("another process runs this projection")

// lockCheckEvery is how often the leader checks that it still holds its lock.
const lockCheckEvery = 2 * time.Second

// lead takes the projection's lock and consumes until ctx ends or
// something fails. Only the lock holder consumes, so events are applied in
// order by one writer.
func (r *Runner) lead(ctx context.Context, p Projection, conn *pgx.Conn, log *slog.Logger) error {
	unlock, err := tryLock(ctx, conn, p.Name)
	if err != nil {
		return err
	}
	defer unlock()
	log.Info("projection active")

	checkpoint, handled, err := r.ensureCheckpoint(ctx, p.Name)
	if err != nil {
		return err
	}
	cons, err := r.leadConsumer(ctx, p, checkpoint)
	if err != nil {
		return err
	}
	// What a predecessor committed and did not get to invalidate is
	// unknown: every cached entry goes.
	r.invalidate(p.Of(), nil)
	r.ann.lead(p.Name, checkpoint)
	defer r.ann.unlead(p.Name)
	r.deps.Metrics.setPosition(p.Name, checkpoint)
	stopRetries, err := r.serveRetries(ctx, p, log)
	if err != nil {
		return err
	}
	defer stopRetries()
	return r.consume(ctx, p, conn, cons, handled, log)
}

// leadConsumer is the consumer the leader of p reads: a partition's, or
// the projection's durable consumer right after its checkpoint.
func (r *Runner) leadConsumer(ctx context.Context, p Projection, checkpoint uint64) (jetstream.Consumer, error) {
	if p.part != nil {
		return r.ensurePartitionConsumer(ctx, p)
	}
	return r.ensureConsumer(ctx, p, checkpoint)
}

// consume applies the events cons delivers, and serves the rebuild
// requests after handled, for as long as this process holds the lock on
// conn and ctx lasts.
func (r *Runner) consume(ctx context.Context, p Projection, conn *pgx.Conn, cons jetstream.Consumer, handled uint64, log *slog.Logger) error {
	it, err := cons.Messages(jetstream.PullMaxMessages(r.opts.BatchSize * 2))
	if err != nil {
		return err
	}
	defer it.Stop()
	stop := context.AfterFunc(ctx, it.Stop)
	defer stop()
	c := &consumer{r: r, p: p, log: log, it: it, attempts: map[uint64]int{}, dead: map[uint64]string{},
		gapless: p.part == nil, delivered: cons.CachedInfo().Delivered.Consumer}
	defer c.saveOnExit()
	// A rebuild runs beside the live consumer and ends with the leadership.
	rb := &rebuilder{r: r, p: p, log: log, handled: handled}
	lctx, cancel := context.WithCancel(ctx)
	defer rb.wait()
	defer cancel()
	lastCheck := time.Now()
	for ctx.Err() == nil {
		if p.part == nil {
			rb.poll(lctx) // a partitioned projection's rebuilds are its own loop's (leadRebuilds)
		}
		if time.Since(lastCheck) > lockCheckEvery {
			if err := r.stillLeads(ctx, p, conn, log); err != nil {
				return err
			}
			lastCheck = time.Now()
		}
		if err := c.step(ctx); err != nil {
			return err
		}
	}
	return nil
}

// stillLeads fails once the lock on conn is lost, or, for a partition,
// once this process leads more than its share of the partitions.
func (r *Runner) stillLeads(ctx context.Context, p Projection, conn *pgx.Conn, log *slog.Logger) error {
	if err := conn.Ping(ctx); err != nil {
		return fmt.Errorf("lost the projection lock: %w", err)
	}
	if p.part != nil && r.share.overShare(p.Of()) {
		log.Info("partition handed over: this process leads more than its share")
		return errYield
	}
	return nil
}

// ensureCheckpoint returns the projection's checkpoint and the last
// rebuild request it served. A projection that starts from nothing serves
// the requests made before: it is building from the first event anyway.
func (r *Runner) ensureCheckpoint(ctx context.Context, name string) (uint64, uint64, error) {
	end, err := streamEnd(ctx, r.deps.JS)
	if err != nil {
		return 0, 0, err
	}
	var pos, handled int64
	err = r.deps.Pool.QueryRow(ctx, `INSERT INTO projection_checkpoints (name, rebuild_handled) VALUES ($1, $2)
		ON CONFLICT (name) DO UPDATE SET name = EXCLUDED.name RETURNING position, rebuild_handled`, name, int64(end)).Scan(&pos, &handled)
	return uint64(pos), uint64(handled), err
}

// ensureConsumer returns the projection's durable consumer, positioned
// right after the checkpoint. The checkpoint is the truth: a consumer
// whose acknowledgements disagree with it (a leader died between its
// commit and its ack, or the read model was restored) is made again from
// the checkpoint instead of waiting for redeliveries.
func (r *Runner) ensureConsumer(ctx context.Context, p Projection, checkpoint uint64) (jetstream.Consumer, error) {
	cons, err := r.deps.JS.Consumer(ctx, events.StreamName, p.Name)
	if err == nil {
		info := cons.CachedInfo()
		if info.AckFloor.Stream == checkpoint && info.NumAckPending == 0 && sameSubjects(info.Config.FilterSubjects, p.ConsumerSubjects()) {
			return cons, nil
		}
		if err := r.deps.JS.DeleteConsumer(ctx, events.StreamName, p.Name); err != nil && !errors.Is(err, jetstream.ErrConsumerNotFound) {
			return nil, err
		}
	} else if !errors.Is(err, jetstream.ErrConsumerNotFound) {
		return nil, err
	}
	cfg := jetstream.ConsumerConfig{
		Durable:        p.Name,
		Description:    "projection " + p.Name,
		FilterSubjects: p.ConsumerSubjects(),
		AckPolicy:      jetstream.AckAllPolicy,
		AckWait:        time.Minute,
		MaxDeliver:     -1,
		MaxAckPending:  r.opts.BatchSize * 4,
		DeliverPolicy:  jetstream.DeliverAllPolicy,
	}
	if checkpoint > 0 {
		cfg.DeliverPolicy, cfg.OptStartSeq = jetstream.DeliverByStartSequencePolicy, checkpoint+1
	}
	return r.deps.JS.CreateOrUpdateConsumer(ctx, events.StreamName, cfg)
}

func sameSubjects(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// checkpointSQL moves the checkpoint forward, never back.
const checkpointSQL = `UPDATE projection_checkpoints SET position = $2, updated_at = now()
	WHERE name = $1 AND position < $2`

// readCheckpoint locks the projection's row for the batch's transaction.
func readCheckpoint(ctx context.Context, tx pgx.Tx, name string) (uint64, error) {
	var pos int64
	err := tx.QueryRow(ctx, "SELECT position FROM projection_checkpoints WHERE name = $1 FOR UPDATE", name).Scan(&pos)
	return uint64(pos), err
}
