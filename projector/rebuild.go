package projector

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/chatbotsaas/chatbot/events"
)

// A rebuild builds a projection's read model again from the first event of
// the stream, without taking the live one away: while the live consumer
// keeps applying new events to the live tables (and readers keep reading
// them), the leader replays the stream into copies of those tables in a
// shadow schema. Once the copy has caught up, one short transaction holds
// the live consumer (through the checkpoint row it locks), applies the last
// few events to the copy, and swaps the tables: readers wait for that
// transaction, never see a half-built table, and read the rebuilt one next.

// ErrUnknownProjection is a rebuild asked of a projection that does not exist.
var ErrUnknownProjection = errors.New("no such projection")

// RequestRebuild records that the projection should be rebuilt; its leader
// starts within a second or two (at once if idle, else after its batch). A
// request while one is pending or running changes nothing.
func RequestRebuild(ctx context.Context, pool *pgxpool.Pool, name string, known []Projection) error {
	found := false
	for _, p := range known {
		found = found || p.Name == name
	}
	if !found {
		return ErrUnknownProjection
	}
	_, err := pool.Exec(ctx, `INSERT INTO projection_checkpoints (name, rebuild_requested_at) VALUES ($1, now())
		ON CONFLICT (name) DO UPDATE SET rebuild_requested_at = COALESCE(projection_checkpoints.rebuild_requested_at, now())`, name)
	return err
}

// rebuildCheckEvery is how often a leader looks for a rebuild request.
const rebuildCheckEvery = time.Second

// rebuilder runs at most one rebuild of its projection at a time, beside
// the live consumer, for as long as its process leads.
type rebuilder struct {
	r       *Runner
	p       Projection
	log     *slog.Logger
	running chan struct{} // closed when the current rebuild ends; nil if none
	checked time.Time
}

// poll starts a rebuild if one is requested and none runs. ctx is the
// leadership's: losing it stops the rebuild, which the next leader redoes.
func (rb *rebuilder) poll(ctx context.Context) error {
	if time.Since(rb.checked) < rebuildCheckEvery {
		return nil
	}
	rb.checked = time.Now()
	if rb.running != nil {
		select {
		case <-rb.running:
			rb.running = nil
		default:
			return nil
		}
	}
	var requested bool
	err := rb.r.deps.Pool.QueryRow(ctx, `SELECT rebuild_requested_at IS NOT NULL FROM projection_checkpoints WHERE name = $1`,
		rb.p.Name).Scan(&requested)
	if err != nil || !requested {
		return err
	}
	done := make(chan struct{})
	rb.running = done
	go func() {
		defer close(done)
		start := time.Now()
		rb.log.Info("projection rebuild started")
		if err := rb.rebuild(ctx); err != nil {
			if ctx.Err() != nil {
				return // leadership ended; the next leader starts over
			}
			rb.log.Error("projection rebuild failed", "err", err)
			_, _ = rb.r.deps.Pool.Exec(context.WithoutCancel(ctx), `UPDATE projection_checkpoints
				SET rebuild_requested_at = NULL, rebuild_started_at = NULL, rebuild_error = $2 WHERE name = $1`,
				rb.p.Name, err.Error())
			return
		}
		rb.log.Info("projection rebuilt", "ms", time.Since(start).Milliseconds())
	}()
	return nil
}

// wait lets a running rebuild notice the end of leadership.
func (rb *rebuilder) wait() {
	if rb.running != nil {
		<-rb.running
	}
}

func (rb *rebuilder) rebuild(ctx context.Context) error {
	pool, name := rb.r.deps.Pool, rb.p.Name
	if _, err := pool.Exec(ctx, `UPDATE projection_checkpoints SET rebuild_started_at = now(), rebuild_position = 0,
		rebuild_error = NULL WHERE name = $1`, name); err != nil {
		return err
	}
	var live string
	if err := pool.QueryRow(ctx, "SELECT current_schema()").Scan(&live); err != nil {
		return err
	}
	shadow := "rebuild_" + name
	if err := rb.prepare(ctx, live, shadow); err != nil {
		return fmt.Errorf("prepare %s: %w", shadow, err)
	}
	defer func() {
		_, _ = pool.Exec(context.WithoutCancel(ctx), "DROP SCHEMA IF EXISTS "+ident(shadow)+" CASCADE")
	}()

	cons, err := rb.r.deps.JS.OrderedConsumer(ctx, events.StreamName, jetstream.OrderedConsumerConfig{
		FilterSubjects: rb.p.FilterSubjects(), DeliverPolicy: jetstream.DeliverAllPolicy,
	})
	if err != nil {
		return err
	}
	c := &consumer{r: rb.r, p: rb.p, log: rb.log}
	path := "SET LOCAL search_path TO " + ident(shadow) + ", " + ident(live)
	var pos uint64
	// Replay in transactions of one batch each, up to the end of the stream
	// as it was when the replay began; what comes meanwhile is little, and
	// the swap applies it. (Chasing the end while writers keep writing
	// could go on for as long as they do.)
	end, err := streamEnd(ctx, rb.r.deps.JS)
	if err != nil {
		return err
	}
	for pos < end {
		msgs, err := fetch(ctx, cons, rb.r.opts.BatchSize)
		if err != nil {
			return err
		}
		if len(msgs) == 0 {
			break
		}
		err = pgx.BeginFunc(ctx, pool, func(tx pgx.Tx) error {
			if _, err := tx.Exec(ctx, path); err != nil {
				return err
			}
			return c.applyShadow(ctx, tx, msgs)
		})
		if err != nil {
			return err
		}
		pos = streamSeq(msgs[len(msgs)-1])
		_, _ = pool.Exec(ctx, "UPDATE projection_checkpoints SET rebuild_position = $2 WHERE name = $1", name, int64(pos))
	}

	// Swap: the checkpoint row lock holds the live consumer while the last
	// events go into the copy and the tables change places.
	return pgx.BeginFunc(ctx, pool, func(tx pgx.Tx) error {
		var checkpoint int64
		if err := tx.QueryRow(ctx, "SELECT position FROM projection_checkpoints WHERE name = $1 FOR UPDATE", name).Scan(&checkpoint); err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, path); err != nil {
			return err
		}
		// The live consumer is held: the copy needs what the stream holds
		// now, no more (the live consumer applies what comes after).
		held, err := streamEnd(ctx, rb.r.deps.JS)
		if err != nil {
			return err
		}
		for pos < held {
			msgs, err := fetch(ctx, cons, rb.r.opts.BatchSize)
			if err != nil {
				return err
			}
			if len(msgs) == 0 {
				break
			}
			if err := c.applyShadow(ctx, tx, msgs); err != nil {
				return err
			}
			pos = streamSeq(msgs[len(msgs)-1])
		}
		retired := "retired_" + name
		stmts := []string{"DROP SCHEMA IF EXISTS " + ident(retired) + " CASCADE", "CREATE SCHEMA " + ident(retired)}
		for _, t := range rb.p.Tables {
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
		_, err = tx.Exec(ctx, `UPDATE projection_checkpoints SET position = GREATEST(position, $2), updated_at = now(),
			rebuild_requested_at = NULL, rebuild_started_at = NULL, rebuild_position = NULL, rebuilt_at = now()
			WHERE name = $1`, name, int64(pos))
		return err
	})
}

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
// cannot be applied is parked in dead_letters (as the live consumer would)
// and the rest goes in.
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

// prepare makes the shadow schema with an empty copy of each table of the
// projection: columns, defaults, constraints and indexes under their live
// names, row security and its policies, and the grants.
func (rb *rebuilder) prepare(ctx context.Context, live, shadow string) error {
	return pgx.BeginFunc(ctx, rb.r.deps.Pool, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, "DROP SCHEMA IF EXISTS "+ident(shadow)+" CASCADE"); err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, "CREATE SCHEMA "+ident(shadow)); err != nil {
			return err
		}
		for _, t := range rb.p.Tables {
			if err := cloneTable(ctx, tx, live, shadow, t); err != nil {
				return fmt.Errorf("copy %s: %w", t, err)
			}
		}
		return nil
	})
}

func cloneTable(ctx context.Context, tx pgx.Tx, live, shadow, table string) error {
	src, dst := ident(live)+"."+ident(table), ident(shadow)+"."+ident(table)
	if _, err := tx.Exec(ctx, "CREATE TABLE "+dst+" (LIKE "+src+" INCLUDING ALL)"); err != nil {
		return err
	}
	// LIKE names the copied indexes itself: give them the live names, so
	// that migrations written against those names keep working.
	names, err := indexNames(ctx, tx, live, table)
	if err != nil {
		return err
	}
	copies, err := indexNames(ctx, tx, shadow, table)
	if err != nil {
		return err
	}
	for shape, copyName := range copies {
		if liveName, ok := names[shape]; ok && liveName != copyName {
			if _, err := tx.Exec(ctx, "ALTER INDEX "+ident(shadow)+"."+ident(copyName)+" RENAME TO "+ident(liveName)); err != nil {
				return err
			}
		}
	}
	var rls, force bool
	if err := tx.QueryRow(ctx, `SELECT relrowsecurity, relforcerowsecurity FROM pg_class
		WHERE oid = ($1 || '.' || $2)::regclass`, ident(live), ident(table)).Scan(&rls, &force); err != nil {
		return err
	}
	if rls {
		if _, err := tx.Exec(ctx, "ALTER TABLE "+dst+" ENABLE ROW LEVEL SECURITY"); err != nil {
			return err
		}
	}
	if force {
		if _, err := tx.Exec(ctx, "ALTER TABLE "+dst+" FORCE ROW LEVEL SECURITY"); err != nil {
			return err
		}
	}
	policies, err := tx.Query(ctx, `SELECT format('CREATE POLICY %I ON %s AS %s FOR %s TO %s%s%s', policyname, $3::text,
			permissive, cmd, array_to_string(roles, ', '),
			CASE WHEN qual IS NULL THEN '' ELSE ' USING (' || qual || ')' END,
			CASE WHEN with_check IS NULL THEN '' ELSE ' WITH CHECK (' || with_check || ')' END)
		FROM pg_policies WHERE schemaname = $1 AND tablename = $2`, live, table, dst)
	if err != nil {
		return err
	}
	stmts, err := pgx.CollectRows(policies, pgx.RowTo[string])
	if err != nil {
		return err
	}
	grants, err := tx.Query(ctx, `SELECT format('GRANT %s ON %s TO %I', privilege_type, $3::text, grantee)
		FROM information_schema.role_table_grants
		WHERE table_schema = $1 AND table_name = $2 AND grantee <> current_user`, live, table, dst)
	if err != nil {
		return err
	}
	more, err := pgx.CollectRows(grants, pgx.RowTo[string])
	if err != nil {
		return err
	}
	for _, s := range append(stmts, more...) {
		if _, err := tx.Exec(ctx, s); err != nil {
			return fmt.Errorf("%s: %w", s, err)
		}
	}
	return nil
}

// indexNames maps each index of the table, by its shape (the definition
// without name and table), to its name.
func indexNames(ctx context.Context, tx pgx.Tx, schema, table string) (map[string]string, error) {
	rows, err := tx.Query(ctx, "SELECT indexname, indexdef FROM pg_indexes WHERE schemaname = $1 AND tablename = $2", schema, table)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := map[string]string{}
	for rows.Next() {
		var name, def string
		if err := rows.Scan(&name, &def); err != nil {
			return nil, err
		}
		unique := strings.HasPrefix(def, "CREATE UNIQUE")
		_, using, _ := strings.Cut(def, " USING ")
		out[fmt.Sprint(unique, using)] = name
	}
	return out, rows.Err()
}

func ident(s string) string { return pgx.Identifier{s}.Sanitize() }
