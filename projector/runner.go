package projector

import (
	"context"
	"log/slog"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/nats-io/nats.go"
)

// Deps are the connections projections run on.
type Deps struct {
	Pool   *pgxpool.Pool
	NATS   *nats.Conn
	Logger *slog.Logger
}

// Runner runs the registered projections until stopped.
type Runner struct {
	deps   Deps
	cancel context.CancelFunc
	done   chan struct{}
}

// New builds a runner.
func New(d Deps) *Runner { return &Runner{deps: d} }

// Start runs the projections in the background.
func (r *Runner) Start(ctx context.Context) {
	ctx, r.cancel = context.WithCancel(ctx)
	r.done = make(chan struct{})
	go func() {
		defer close(r.done)
		<-ctx.Done()
	}()
}

// Stop stops every projection and waits for its last batch to finish.
func (r *Runner) Stop() {
	if r.cancel == nil {
		return
	}
	r.cancel()
	<-r.done
}
