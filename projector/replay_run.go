package projector

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
)

// ErrUnknownProjection names a projection that does not exist.
var ErrUnknownProjection = errors.New("no such projection")

// errLeaderGone is a wait for a rebuild that no process will serve: the
// projection's lock is free.
var errLeaderGone = errors.New("no process holds the projection")

// projection finds one of the runner's projections.
func (r *Runner) projection(name string) (Projection, error) {
	for _, p := range r.projections {
		if p.Name == name {
			return p, nil
		}
	}
	return Projection{}, fmt.Errorf("%w: %s", ErrUnknownProjection, name)
}

// Rebuild sees that request (the position of a ProjectionRebuildRequested
// for projection name) is served, and returns once the rebuilt tables are
// swapped in, or why not. When a projector leads the projection, that
// leader rebuilds and this waits; when none does, this process takes the
// projection's lock and rebuilds itself (a projector starting meanwhile
// stands by). If the leader goes before it is done, this takes over.
// progress is told how far the rebuild is, whoever runs it.
//
// The Stats are those of a rebuild this process ran, else zero.
func (r *Runner) Rebuild(ctx context.Context, name string, request uint64, progress ProgressFunc) (Stats, error) {
	p, err := r.projection(name)
	if err != nil {
		return Stats{}, err
	}
	for {
		stats, err := r.rebuildHere(ctx, p, request, progress)
		if ctx.Err() != nil && !errors.Is(err, errNotLeader) {
			// Stopped by whoever asked: no projector is to take it up later.
			_, _ = r.deps.Pool.Exec(context.WithoutCancel(ctx), `UPDATE projection_checkpoints
				SET rebuild_handled = $2, rebuild_error = 'interrupted; the live read model is unchanged'
				WHERE name = $1 AND rebuild_handled < $2`, p.Name, int64(request))
			return stats, err
		}
		if !errors.Is(err, errNotLeader) {
			return stats, err
		}
		if err := r.waitRebuild(ctx, p.Name, request, progress); !errors.Is(err, errLeaderGone) {
			return Stats{}, err
		}
	}
}

func (r *Runner) rebuildHere(ctx context.Context, p Projection, request uint64, progress ProgressFunc) (Stats, error) {
	conn, err := r.lockConn(ctx)
	if err != nil {
		return Stats{}, err
	}
	defer func() { _ = conn.Close(context.WithoutCancel(ctx)) }()
	unlock, err := tryLock(ctx, conn, p.Name)
	if err != nil {
		return Stats{}, err
	}
	defer unlock()
	// Unlike a leader starting from nothing, this was asked to rebuild:
	// a new row has served no request.
	var handled int64
	if err := r.deps.Pool.QueryRow(ctx, `INSERT INTO projection_checkpoints (name) VALUES ($1)
		ON CONFLICT (name) DO UPDATE SET name = EXCLUDED.name RETURNING rebuild_handled`, p.Name).Scan(&handled); err != nil {
		return Stats{}, err
	}
	if uint64(handled) >= request {
		return Stats{}, r.outcome(ctx, p.Name)
	}
	return r.rebuild(ctx, p, request, progress)
}

// waitRebuild follows the projection's row until request is served.
func (r *Runner) waitRebuild(ctx context.Context, name string, request uint64, progress ProgressFunc) error {
	for {
		var handled, serving int64
		var done, total *int64
		var led bool
		err := r.deps.Pool.QueryRow(ctx, `SELECT rebuild_handled, rebuild_request, rebuild_position, rebuild_total, `+ledSQL+`
			FROM projection_checkpoints c WHERE name = $1`, name).Scan(&handled, &serving, &done, &total, &led)
		if err != nil && !errors.Is(err, pgx.ErrNoRows) {
			return err
		}
		switch {
		case uint64(handled) >= request:
			if progress != nil && done != nil && total != nil {
				progress(uint64(*done), uint64(*total)) // where the swap ended
			}
			return r.outcome(ctx, name)
		case !led:
			return errLeaderGone
		case progress != nil && uint64(serving) >= request && done != nil && total != nil:
			progress(uint64(*done), uint64(*total))
		}
		sleep(ctx, 250*time.Millisecond)
		if ctx.Err() != nil {
			return ctx.Err()
		}
	}
}

// outcome is the result of the projection's last rebuild.
func (r *Runner) outcome(ctx context.Context, name string) error {
	var failure *string
	if err := r.deps.Pool.QueryRow(ctx, "SELECT rebuild_error FROM projection_checkpoints WHERE name = $1", name).Scan(&failure); err != nil {
		return err
	}
	if failure != nil {
		return fmt.Errorf("the rebuild of %s failed: %s", name, *failure)
	}
	return nil
}

// ledSQL is true when a process holds the lock of the projection of the
// projection_checkpoints row c (see lead).
const ledSQL = `EXISTS (SELECT 1 FROM pg_locks l WHERE l.locktype = 'advisory' AND l.granted AND l.objsubid = 1
	AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database())
	AND ((l.classid::bigint << 32) | l.objid::bigint) = hashtextextended('projection:' || c.name, 0))`

// schemaMark starts the comment of a schema that BuildAt made: only such a
// schema may be replaced.
const schemaMark = "chatbotd replay:"

// BuildAt builds projection name's read model as it was at position to
// (the stream's end when 0) into schema, which stays for queries; the live
// read model is left alone. Several projections may go into one schema;
// one that exists is written to only if an earlier BuildAt made it (its
// tables of this projection are replaced). It returns what was loaded.
func (r *Runner) BuildAt(ctx context.Context, name, schema string, to uint64, progress ProgressFunc) (Stats, error) {
	p, err := r.projection(name)
	if err != nil {
		return Stats{}, err
	}
	var live string
	var comment *string
	err = r.deps.Pool.QueryRow(ctx, `SELECT current_schema(),
		(SELECT coalesce(obj_description(oid, 'pg_namespace'), '') FROM pg_namespace WHERE nspname = $1)`, schema).Scan(&live, &comment)
	if err != nil {
		return Stats{}, err
	}
	if schema == live || (comment != nil && !strings.HasPrefix(*comment, schemaMark)) {
		return Stats{}, fmt.Errorf("schema %s exists and was not made by a replay: give another", schema)
	}
	if to == 0 {
		if to, err = streamEnd(ctx, r.deps.JS); err != nil {
			return Stats{}, err
		}
	}
	if comment == nil {
		// Marked before it is filled, so that a run cut short may start again.
		if _, err := r.deps.Pool.Exec(ctx, "CREATE SCHEMA "+ident(schema)+"; COMMENT ON SCHEMA "+ident(schema)+" IS "+
			quoteLiteral(schemaMark+" being built")); err != nil {
			return Stats{}, err
		}
	}
	rp := newReplay(r, p, live, schema, to, progress, true)
	if err := rp.build(ctx); err != nil {
		return Stats{}, err
	}
	note := fmt.Sprintf("%s the read models as at position %d, built %s", schemaMark, to, time.Now().UTC().Format(time.RFC3339))
	if _, err := r.deps.Pool.Exec(ctx, "COMMENT ON SCHEMA "+ident(schema)+" IS "+quoteLiteral(note)); err != nil {
		return Stats{}, err
	}
	rp.stats.Position = to
	return rp.stats, nil
}
