package projector

import (
	"context"
	"testing"
	"time"
)

// A consumer moves its checkpoint from where it last left it, in the same
// round trip as the batch. When something else moved the checkpoint
// meanwhile (here: as a second leader would, having applied the next event
// itself), the batch fails whole and is applied again from the moved
// checkpoint: the event is not counted twice, and the consumer goes on.
func TestABatchAfterTheCheckpointMovedUnderItIsNotAppliedTwice(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	e.runner(e.js, Options{}, notesProjection())
	first := e.note("a")
	e.waitCheckpoint("notes", first, 10*time.Second)
	e.waitCheckpoint("notes", e.note("a"), 10*time.Second) // a batch on the one-round-trip path

	// Hold the checkpoint's row, then append the next event and apply it
	// as another leader would: its row and the checkpoint, committed.
	tx, err := e.db.Pool.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = tx.Rollback(context.WithoutCancel(ctx)) }()
	if _, err := tx.Exec(ctx, "SELECT 1 FROM projection_checkpoints WHERE name = 'notes' FOR UPDATE"); err != nil {
		t.Fatal(err)
	}
	next := e.note("b")
	time.Sleep(300 * time.Millisecond) // the consumer's batch for it now waits on the row
	if _, err := tx.Exec(ctx, `INSERT INTO notes (text, n) VALUES ('b', 1)`); err != nil {
		t.Fatal(err)
	}
	if _, err := tx.Exec(ctx, "UPDATE projection_checkpoints SET position = $1 WHERE name = 'notes'", int64(next)); err != nil {
		t.Fatal(err)
	}
	if err := tx.Commit(ctx); err != nil {
		t.Fatal(err)
	}

	e.waitCheckpoint("notes", e.note("c"), 10*time.Second)
	if a, b, c := e.count("a"), e.count("b"), e.count("c"); a != 2 || b != 1 || c != 1 {
		t.Fatalf("notes a=%d b=%d c=%d; want 2, 1 (applied once, by the other leader) and 1", a, b, c)
	}
}
