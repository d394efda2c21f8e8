package projector

import (
	"context"
	"errors"
	"fmt"
	"log/slog"

	"github.com/jackc/pgx/v5"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/chatbotsaas/chatbot/events"
)

// leadRebuilds holds, for a partitioned projection, the leadership of the
// projection as a whole: one process serves its rebuild requests, whose
// swap holds every partition's row (rebuildAndSwap), while the partitions
// are led wherever they are. It consumes nothing.
func (r *Runner) leadRebuilds(ctx context.Context, p Projection, conn *pgx.Conn, log *slog.Logger) error {
	unlock, err := tryLock(ctx, conn, p.Name)
	if err != nil {
		return err
	}
	defer unlock()
	_, handled, err := r.ensureCheckpoint(ctx, p.Name)
	if err != nil {
		return err
	}
	// The consumer of the projection unpartitioned serves no one now.
	if err := r.deps.JS.DeleteConsumer(ctx, events.StreamName, p.Name); err != nil && !errors.Is(err, jetstream.ErrConsumerNotFound) {
		return err
	}
	rb := &rebuilder{r: r, p: p, log: log, handled: handled}
	lctx, cancel := context.WithCancel(ctx)
	defer rb.wait()
	defer cancel()
	for ctx.Err() == nil {
		rb.poll(lctx)
		if err := conn.Ping(ctx); err != nil {
			return fmt.Errorf("lost the projection lock: %w", err)
		}
		sleep(ctx, r.opts.FetchWait)
	}
	return nil
}

// rowsOf are the checkpoint rows that hold p's consumers: its own, and
// each partition's.
func rowsOf(p Projection) []string { return append([]string{p.Name}, p.PartitionNames()...) }

// lockRows holds the checkpoint rows of p, as a batch of each of its
// consumers does, for a swap or a comparison.
func lockRows(ctx context.Context, tx pgx.Tx, p Projection) (map[string]uint64, error) {
	rows, err := tx.Query(ctx, "SELECT name, position FROM projection_checkpoints WHERE name = ANY($1) ORDER BY name FOR UPDATE", rowsOf(p))
	if err != nil {
		return nil, err
	}
	out, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (struct {
		n string
		p int64
	}, error) {
		var v struct {
			n string
			p int64
		}
		return v, row.Scan(&v.n, &v.p)
	})
	m := map[string]uint64{}
	for _, v := range out {
		m[v.n] = uint64(v.p)
	}
	return m, err
}

// foldPartitions gives each partitioned projection in statuses the
// position of its lowest partition and the lag of all of them.
func foldPartitions(statuses []Status) []Status {
	for i := range statuses {
		if statuses[i].Partitions == 0 || statuses[i].Of != "" {
			continue
		}
		first, lag := true, uint64(0)
		for _, q := range statuses {
			if q.Of != statuses[i].Name {
				continue
			}
			if first || q.Position < statuses[i].Position {
				statuses[i].Position, first = q.Position, false
			}
			lag += q.Lag
		}
		statuses[i].Lag = lag
	}
	return statuses
}
