package projector

import (
	"context"
	"fmt"
	"log/slog"
	"sync/atomic"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/chatbotsaas/chatbot/events"
	"github.com/chatbotsaas/chatbot/shared/deadletter"
)

// A rebuild builds a projection's read model again from the first event of
// the stream, without taking the live one away: while the live consumer
// keeps applying new events to the live tables (and readers keep reading
// them), a replay builds copies of those tables in a shadow schema. Once the
// copy has caught up, one short transaction holds the live consumer
// (through the checkpoint row it locks), applies the last few events to the
// copy, and swaps the tables: readers wait for that transaction, never see
// a half-built table, and read the rebuilt one next.
//
// A rebuild is asked for by appending ProjectionRebuildRequested. The
// projection's leader follows those events (requests) and rebuilds when
// the last one is newer than the one its row says it served; a process
// that holds the projection's lock without consuming (chatbotd replay, when
// no projector runs) rebuilds the same way.

// rebuilder runs at most one rebuild of its projection at a time, beside
// the live consumer, for as long as its process leads.
type rebuilder struct {
	r       *Runner
	p       Projection
	log     *slog.Logger
	handled uint64        // the last request served
	running chan struct{} // closed when the current rebuild ends; nil if none
	served  atomic.Uint64 // the last request the ended rebuild served
}

// poll starts a rebuild if a request came and none runs. ctx is the
// leadership's: losing it stops the rebuild, which the next leader redoes.
func (rb *rebuilder) poll(ctx context.Context) {
	if rb.running != nil {
		select {
		case <-rb.running:
			rb.running = nil
			rb.handled = max(rb.handled, rb.served.Load())
		default:
			return
		}
	}
	request := rb.r.requests.last(rb.p.Name)
	if request <= rb.handled {
		return
	}
	rb.handled = request
	done := make(chan struct{})
	rb.running = done
	go func() {
		defer close(done)
		if _, err := rb.r.rebuild(ctx, rb.p, request, nil); err == nil {
			var handled int64
			if rb.r.deps.Pool.QueryRow(ctx, "SELECT rebuild_handled FROM projection_checkpoints WHERE name = $1", rb.p.Name).Scan(&handled) == nil {
				rb.served.Store(uint64(handled))
			}
		}
	}()
}

// wait lets a running rebuild notice the end of leadership.
func (rb *rebuilder) wait() {
	if rb.running != nil {
		<-rb.running
	}
}

// rebuild serves request: it rebuilds p and swaps it in, recording its
// progress and its outcome on the projection's row. The caller holds the
// projection's lock. Cut short by ctx, it leaves the live read model as it
// was and the request unserved.
func (r *Runner) rebuild(ctx context.Context, p Projection, request uint64, progress ProgressFunc) (Stats, error) {
	log := r.deps.Logger.With("projection", p.Name)
	pool := r.deps.Pool
	if _, err := pool.Exec(ctx, `UPDATE projection_checkpoints SET rebuild_request = $2, rebuild_started_at = now(),
		rebuild_position = 0, rebuild_total = NULL, rebuild_error = NULL WHERE name = $1`, p.Name, int64(request)); err != nil {
		return Stats{}, err
	}
	start := time.Now()
	log.Info("projection rebuild started", "request", request)
	stats, err := r.rebuildAndSwap(ctx, p, request, r.recordProgress(ctx, p.Name, progress))
	uctx := context.WithoutCancel(ctx)
	switch {
	case ctx.Err() != nil:
		_, _ = pool.Exec(uctx, `UPDATE projection_checkpoints SET rebuild_started_at = NULL WHERE name = $1`, p.Name)
		return stats, ctx.Err()
	case err != nil:
		log.Error("projection rebuild failed", "err", err)
		_, _ = pool.Exec(uctx, `UPDATE projection_checkpoints SET rebuild_started_at = NULL, rebuild_error = $2,
			rebuild_handled = GREATEST(rebuild_handled, $3) WHERE name = $1`, p.Name, err.Error(), int64(request))
		return stats, err
	}
	r.invalidate(p.Of(), nil) // the tables were swapped: every entry goes
	log.Info("projection rebuilt", "ms", time.Since(start).Milliseconds(), "events", stats.Events, "dead_letters_resolved", stats.Resolved)
	return stats, nil
}

// recordProgress writes a rebuild's progress on the projection's row, at
// most every half second, for other processes to show.
func (r *Runner) recordProgress(ctx context.Context, name string, also ProgressFunc) ProgressFunc {
	var last time.Time
	return func(done, total uint64) {
		if also != nil {
			also(done, total)
		}
		if time.Since(last) < 500*time.Millisecond && done < total {
			return
		}
		last = time.Now()
		_, _ = r.deps.Pool.Exec(ctx, `UPDATE projection_checkpoints SET rebuild_position = $2, rebuild_total = $3 WHERE name = $1`,
			name, int64(done), int64(total))
	}
}

// rebuildAndSwap builds p's tables in a shadow schema, brings them up to
// the stream's end and swaps them in for the live ones.
func (r *Runner) rebuildAndSwap(ctx context.Context, p Projection, request uint64, progress ProgressFunc) (Stats, error) {
	began, pool := time.Now(), r.deps.Pool
	var live string
	if err := pool.QueryRow(ctx, "SELECT current_schema()").Scan(&live); err != nil {
		return Stats{}, err
	}
	shadow := "rebuild_" + p.Name
	// The load goes to the stream's end as it was when it began; what
	// comes meanwhile is little, and the catch-ups apply it. (Chasing the
	// end while writers keep writing could go on for as long as they do.)
	end, err := streamEnd(ctx, r.deps.JS)
	if err != nil {
		return Stats{}, err
	}
	rp := newReplay(r, p, live, shadow, end, progress, false)
	defer func() {
		_, _ = pool.Exec(context.WithoutCancel(ctx), "DROP SCHEMA IF EXISTS "+ident(shadow)+" CASCADE")
	}()
	if err := rp.build(ctx); err != nil {
		return Stats{}, err
	}
	// What came during the load and the index build goes in outside the
	// swap, so that the swap holds the live consumer for a few events only.
	end, err = streamEnd(ctx, r.deps.JS)
	if err != nil {
		return Stats{}, err
	}
	if err := rp.inTx(ctx, func(tx pgx.Tx) error { return rp.catchUp(ctx, tx, end) }); err != nil {
		return Stats{}, err
	}
	var swapped uint64
	err = pgx.BeginFunc(ctx, pool, func(tx pgx.Tx) (err error) {
		swapped, err = r.swap(ctx, tx, rp, request)
		return err
	})
	if err == nil && r.ann != nil {
		for _, name := range rowsOf(p) {
			r.ann.advanced(name, swapped) // the rebuilt tables reflect the stream up to here
		}
	}
	rp.stats.Took = time.Since(began)
	return rp.stats, err
}

// swap, in tx, holds every consumer of rp's read model, applies the last
// events to the copies and puts them in place of the live tables, then
// records request as served. It returns the position the tables reflect.
func (r *Runner) swap(ctx context.Context, tx pgx.Tx, rp *replay, request uint64) (uint64, error) {
	p := rp.c.p
	if _, err := lockRows(ctx, tx, p); err != nil { // every consumer of the read model
		return 0, err
	}
	if _, err := tx.Exec(ctx, rp.searchPath()); err != nil {
		return 0, err
	}
	// The live consumer is held: the copy needs what the stream holds
	// now, no more (the live consumer applies what comes after).
	held, err := streamEnd(ctx, r.deps.JS)
	if err != nil {
		return 0, err
	}
	if err := rp.catchUp(ctx, tx, held); err != nil {
		return 0, err
	}
	if err := swapTables(ctx, tx, p, rp.live, rp.schema); err != nil {
		return 0, err
	}
	// A request made while this rebuild ran, before the hold, is
	// served too: the rebuilt tables include every event up to here.
	if stream, err := r.deps.JS.Stream(ctx, events.StreamName); err == nil {
		if later := lastRequest(ctx, stream, p.Name); later <= held {
			request = max(request, later)
		}
	}
	resolved, err := resolveRebuilt(ctx, tx, p, held)
	if err != nil {
		return 0, err
	}
	rp.stats.Resolved += resolved
	if _, err := tx.Exec(ctx, `UPDATE projection_checkpoints SET position = GREATEST(position, $2), updated_at = now()
		WHERE name = ANY($1)`, p.PartitionNames(), int64(held)); err != nil {
		return 0, err
	}
	_, err = tx.Exec(ctx, `UPDATE projection_checkpoints SET position = GREATEST(position, $2), updated_at = now(),
		rebuild_started_at = NULL, rebuild_position = $3, rebuild_total = $3, rebuilt_at = now(),
		rebuild_handled = GREATEST(rebuild_handled, $4) WHERE name = $1`,
		p.Name, int64(held), int64(rp.stats.Events), int64(request))
	return held, err
}

// swapTables moves p's live tables into a retired schema, dropped at
// once, and the shadow's copies into the live schema.
func swapTables(ctx context.Context, tx pgx.Tx, p Projection, live, shadow string) error {
	retired := "retired_" + p.Name
	stmts := []string{"DROP SCHEMA IF EXISTS " + ident(retired) + " CASCADE", "CREATE SCHEMA " + ident(retired)}
	for _, t := range p.Tables {
		stmts = append(stmts,
			"ALTER TABLE "+ident(live)+"."+ident(t)+" SET SCHEMA "+ident(retired),
			"ALTER TABLE "+ident(shadow)+"."+ident(t)+" SET SCHEMA "+ident(live))
	}
	stmts = append(stmts, "DROP SCHEMA "+ident(retired)+" CASCADE")
	for _, s := range stmts {
		if _, err := tx.Exec(ctx, s); err != nil {
			return fmt.Errorf("%s: %w", s, err)
		}
	}
	return nil
}

// resolveRebuilt resolves, with the swap, the dead letters of the events
// the rebuild applied up to held; those it parked again stay open.
func resolveRebuilt(ctx context.Context, tx pgx.Tx, p Projection, held uint64) (int64, error) {
	var started time.Time
	if err := tx.QueryRow(ctx, "SELECT coalesce(rebuild_started_at, now()) FROM projection_checkpoints WHERE name = $1",
		p.Name).Scan(&started); err != nil {
		return 0, err
	}
	var resolved int64
	for _, name := range rowsOf(p) {
		n, err := deadletter.ResolveRebuilt(ctx, tx, name, started, held)
		if err != nil {
			return 0, err
		}
		resolved += n
	}
	return resolved, nil
}
