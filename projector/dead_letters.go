package projector

import (
	"context"
	"errors"
	"log/slog"

	"github.com/jackc/pgx/v5"

	"github.com/chatbotsaas/chatbot/shared/deadletter"
)

// serveRetries answers the retries of the projection's dead letters while
// this process leads it: the event is reduced again and its statements run
// in one transaction that holds the checkpoint row, as a batch does, so a
// retry never interleaves with a batch, and that marks the letter resolved,
// so it is applied once.
func (r *Runner) serveRetries(ctx context.Context, p Projection, log *slog.Logger) (func(), error) {
	lockCheckpoint := func(ctx context.Context, tx pgx.Tx) error {
		_, err := readCheckpoint(ctx, tx, p.Name)
		return err
	}
	return deadletter.Serve(ctx, r.deps.JS.Conn(), r.deps.Pool, p.Name, log, lockCheckpoint,
		func(ctx context.Context, tx pgx.Tx, l deadletter.Letter) error {
			return r.reapply(ctx, tx, p, l)
		})
}

// reapply runs the projection's reducer on a parked event inside tx.
func (r *Runner) reapply(ctx context.Context, tx pgx.Tx, p Projection, l deadletter.Letter) error {
	b := &Batch{}
	if err := r.reduce(ctx, p, b, l.Payload, l.Position); err != nil {
		var o *outage
		if errors.As(err, &o) {
			return o.err
		}
		return err
	}
	if len(b.owners) == 0 {
		return nil
	}
	return tx.SendBatch(ctx, &b.pgx).Close()
}
