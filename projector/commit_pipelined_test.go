package projector

import (
	"context"
	"io"
	"log/slog"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/chatbotsaas/chatbot/events"
)

// checkpointReads counts the statements that read a checkpoint under its
// lock, the long way of commit.
type checkpointReads struct{ n atomic.Int64 }

func (c *checkpointReads) TraceQueryStart(ctx context.Context, _ *pgx.Conn, data pgx.TraceQueryStartData) context.Context {
	if data.SQL == "SELECT position FROM projection_checkpoints WHERE name = $1 FOR UPDATE" {
		c.n.Add(1)
	}
	return ctx
}

func (c *checkpointReads) TraceQueryEnd(context.Context, *pgx.Conn, pgx.TraceQueryEndData) {}

// A leader that stored a checkpoint commits its next batches in one round
// trip, without reading the checkpoint again; when another writer moves it
// meanwhile, the guard refuses the batch, the checkpoint is read, and the
// events it covers are not applied a second time.
func TestABatchCommitsInOneRoundTripUnlessTheCheckpointMoved(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	cfg, err := pgxpool.ParseConfig(e.db.URL)
	if err != nil {
		t.Fatal(err)
	}
	reads := &checkpointReads{}
	cfg.ConnConfig.Tracer = reads
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(pool.Close)
	r := New(Deps{Pool: pool, JS: e.js, Registry: e.reg, Logger: slog.New(slog.NewTextHandler(io.Discard, nil))},
		[]Projection{notesProjection()}, Options{RetryDelay: 5 * time.Millisecond, FetchWait: 200 * time.Millisecond, StandbyPoll: 100 * time.Millisecond})
	if err := r.Start(ctx); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(r.Stop)

	e.waitCheckpoint("notes", e.note("first"), 10*time.Second)
	before := reads.n.Load()
	if before == 0 {
		t.Fatal("the first batch did not read the checkpoint: the count shows nothing")
	}
	var pos uint64
	for range 20 {
		pos = e.note("known")
		e.waitCheckpoint("notes", pos, 10*time.Second)
	}
	if got := reads.n.Load() - before; got != 0 {
		t.Errorf("20 batches after the first read the checkpoint %d times, want none", got)
	}
	if n := e.count("known"); n != 20 {
		t.Fatalf("%d notes applied, want 20", n)
	}

	// Another writer takes the checkpoint past the next event.
	ahead := pos + 1000
	if _, err := e.db.Pool.Exec(ctx, "UPDATE projection_checkpoints SET position = $2 WHERE name = $1", "notes", int64(ahead)); err != nil {
		t.Fatal(err)
	}
	covered := e.note("covered")
	cons, err := e.js.Consumer(ctx, events.StreamName, "notes")
	if err != nil {
		t.Fatal(err)
	}
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(10 * time.Millisecond) {
		info, err := cons.Info(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if info.AckFloor.Stream >= covered {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the leader did not handle event %d within 10 s", covered)
		}
	}
	if n := e.count("covered"); n != 0 {
		t.Errorf("the event under the moved checkpoint was applied %d times, want 0", n)
	}
	if reads.n.Load() == before {
		t.Error("the moved checkpoint was not read again")
	}
	if got := e.checkpoint("notes"); got != ahead {
		t.Errorf("checkpoint %d after the covered event, want the other writer's %d", got, ahead)
	}
}

// A read model restored from a backup while its leader runs: the events
// after the restored checkpoint were acknowledged already, and the leader
// makes its consumer again from the checkpoint to apply them once more.
func TestACheckpointRestoredBehindTheLeaderIsCaughtUpFromIt(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	e.runner(e.js, Options{}, notesProjection())
	var pos uint64
	for range 5 {
		pos = e.note("before")
	}
	e.waitCheckpoint("notes", pos, 10*time.Second)

	// The backup: taken before the first event.
	tx, err := e.db.Pool.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := tx.Exec(ctx, "DELETE FROM notes"); err != nil {
		t.Fatal(err)
	}
	if _, err := tx.Exec(ctx, "UPDATE projection_checkpoints SET position = 0 WHERE name = 'notes'"); err != nil {
		t.Fatal(err)
	}
	if err := tx.Commit(ctx); err != nil {
		t.Fatal(err)
	}
	if n := e.count("before"); n != 0 {
		t.Fatalf("%d notes after the restore, want 0", n)
	}
	after := e.note("after")
	e.waitCheckpoint("notes", after, 10*time.Second)
	if n, m := e.count("before"), e.count("after"); n != 5 || m != 1 {
		t.Fatalf("after the restore: %d notes before it and %d after, want 5 and 1", n, m)
	}
}
