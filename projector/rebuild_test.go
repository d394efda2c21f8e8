package projector

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/chatbotsaas/chatbot/command/eventstore"
	"github.com/chatbotsaas/chatbot/events"
)

func TestRebuildReplaysBesideTheLiveReadModelAndSwaps(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	// What the copy must keep: an index under its own name, row security
	// with its policy.
	for _, s := range []string{
		`CREATE INDEX notes_by_count ON notes (n)`,
		`ALTER TABLE notes ENABLE ROW LEVEL SECURITY`,
		`CREATE POLICY notes_visible ON notes FOR SELECT USING (n >= 0)`,
	} {
		if _, err := e.db.Pool.Exec(ctx, s); err != nil {
			t.Fatal(err)
		}
	}
	// The copy is secured as the migration secured the live table.
	notes := notesProjection()
	notes.Secure = func(table string) []string {
		return []string{"ALTER TABLE " + table + " ENABLE ROW LEVEL SECURITY",
			"CREATE POLICY notes_visible ON " + table + " FOR SELECT USING (n >= 0)"}
	}
	e.runner(e.js, Options{BatchSize: 50, MaxAttempts: 2}, notes)

	var mu sync.Mutex
	want := map[string]int{}
	note := func(text string) uint64 {
		pos := e.note(text)
		mu.Lock()
		want[text]++
		mu.Unlock()
		return pos
	}
	var last uint64
	for i := range 300 {
		last = note(fmt.Sprintf("t%d", i%30))
	}
	ref := eventstore.Ref{Tenant: "t1", Type: "note", ID: uuid.NewString()}
	if _, err := e.store.Append(ctx, ref, eventstore.Loaded{}, events.Event{Type: poisonedType, Data: poisoned{}}); err != nil {
		t.Fatal(err)
	}
	last = note("t0")
	e.waitCheckpoint("notes", last, 10*time.Second)

	// The read model is damaged; the stream is not.
	if _, err := e.db.Pool.Exec(ctx, `UPDATE notes SET n = 0; DELETE FROM notes WHERE text = 't1'`); err != nil {
		t.Fatal(err)
	}

	// Writers and readers carry on during the rebuild.
	stop := make(chan struct{})
	var wg sync.WaitGroup
	var reads, readErrors atomic.Int64
	var lastWrite atomic.Uint64
	wg.Add(2)
	go func() {
		defer wg.Done()
		for i := 0; ; i++ {
			select {
			case <-stop:
				return
			default:
			}
			lastWrite.Store(note(fmt.Sprintf("t%d", i%30)))
			time.Sleep(2 * time.Millisecond)
		}
	}()
	go func() {
		defer wg.Done()
		for {
			select {
			case <-stop:
				return
			default:
			}
			var n int
			if err := e.db.Pool.QueryRow(ctx, "SELECT count(*) FROM notes").Scan(&n); err != nil {
				readErrors.Add(1)
				t.Errorf("a read during the rebuild failed: %v", err)
			}
			reads.Add(1)
		}
	}()

	began := time.Now()
	if err := e.rebuild("notes", 20*time.Second); err != nil {
		close(stop)
		wg.Wait()
		t.Fatal(err)
	}
	t.Logf("rebuilt in %v", time.Since(began))
	time.Sleep(100 * time.Millisecond) // a few writes after the swap
	close(stop)
	wg.Wait()
	e.waitCheckpoint("notes", lastWrite.Load(), 10*time.Second)

	// Every note counted exactly once: none lost across the swap, none twice.
	mu.Lock()
	defer mu.Unlock()
	for text, n := range want {
		if got := e.count(text); got != n {
			t.Errorf("%s: %d notes counted, %d taken", text, got, n)
		}
	}
	if reads.Load() == 0 || readErrors.Load() > 0 {
		t.Errorf("reads during the rebuild: %d, failed %d", reads.Load(), readErrors.Load())
	}
	var index, policy, rls bool
	if err := e.db.Pool.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM pg_indexes WHERE schemaname = current_schema() AND indexname = 'notes_by_count'),
		EXISTS (SELECT 1 FROM pg_policies WHERE schemaname = current_schema() AND tablename = 'notes' AND policyname = 'notes_visible'),
		(SELECT relrowsecurity FROM pg_class WHERE oid = 'notes'::regclass)`).Scan(&index, &policy, &rls); err != nil {
		t.Fatalf("read the rebuilt table's index, policy and row security: %v", err)
	}
	if !index || !policy || !rls {
		t.Errorf("the rebuilt table lost its index %v, policy %v or row security %v", index, policy, rls)
	}
	var leftovers int
	if err := e.db.Pool.QueryRow(ctx, `SELECT count(*) FROM pg_namespace WHERE nspname IN ('rebuild_notes', 'retired_notes')`).Scan(&leftovers); err != nil {
		t.Fatalf("look for work schemas: %v", err)
	}
	if leftovers != 0 {
		t.Errorf("%d work schemas left behind", leftovers)
	}
	var parked int
	if err := e.db.Pool.QueryRow(ctx, `SELECT count(*) FROM dead_letters WHERE projection = 'notes'`).Scan(&parked); err != nil {
		t.Fatalf("count the dead letters: %v", err)
	}
	if parked != 1 {
		t.Errorf("the poisoned event: %d dead letters", parked)
	}
	statuses, err := NewProgress(e.db.Pool, e.js, []Projection{notes}).Statuses(ctx)
	if err != nil || len(statuses) != 1 || statuses[0].State != StateRunning || statuses[0].RebuiltAt == nil || statuses[0].DeadLetters != 1 {
		t.Errorf("status after the rebuild: %+v %v", statuses, err)
	}
}

func TestLagCountsOnlyTheProjectionsOwnEvents(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	e.runner(e.js, Options{}, notesProjection())
	e.waitCheckpoint("notes", e.note("a"), 10*time.Second)
	// Another projection's event moves the stream's end, not this lag.
	other := events.Envelope{ID: uuid.NewString(), Type: "Elsewhere", Version: 1, TenantID: "t1", AggregateType: "other",
		AggregateID: "x", AggregateVersion: 1, Actor: events.System, Data: []byte(`{}`)}
	body, err := other.Marshal()
	if err != nil {
		t.Fatalf("encode the envelope: %v", err)
	}
	if _, err := e.js.Publish(ctx, other.Subject(), body); err != nil {
		t.Fatal(err)
	}
	statuses, err := NewProgress(e.db.Pool, e.js, []Projection{notesProjection()}).Statuses(ctx)
	if err != nil || len(statuses) != 1 {
		t.Fatal(statuses, err)
	}
	if s := statuses[0]; s.StreamPosition <= s.Position || s.Lag != 0 {
		t.Errorf("a caught-up projection: %+v", s)
	}
}

// requestRebuild appends a rebuild request for projection name, as the
// command side does, and returns its position.
func requestRebuild(t *testing.T, js jetstream.JetStream, name string) uint64 {
	t.Helper()
	env := events.Envelope{ID: uuid.NewString(), Type: events.ProjectionRebuildRequested, Version: 1,
		TenantID: events.PlatformTenant, AggregateType: events.AggregateProjection, AggregateID: name,
		AggregateVersion: 1, Actor: events.System, Data: []byte(`{"projection":"` + name + `"}`)}
	body, err := env.Marshal()
	if err != nil {
		t.Fatal(err)
	}
	ack, err := js.Publish(context.Background(), env.Subject(), body)
	if err != nil {
		t.Fatal(err)
	}
	return ack.Sequence
}

// rebuild asks for a rebuild of projection name and waits until the
// running projector has served it; on failure or timeout it says where the
// rebuild stands.
func (e *env) rebuild(name string, within time.Duration) error {
	e.t.Helper()
	ctx := context.Background()
	request := requestRebuild(e.t, e.js, name)
	deadline := time.Now().Add(within)
	for {
		var handled int64
		var failure *string
		if err := e.db.Pool.QueryRow(ctx, `SELECT rebuild_handled, rebuild_error FROM projection_checkpoints WHERE name = $1`,
			name).Scan(&handled, &failure); err != nil {
			return err
		}
		if uint64(handled) >= request && failure == nil {
			return nil
		}
		if failure != nil || time.Now().After(deadline) {
			var state string
			stateErr := e.db.Pool.QueryRow(ctx, `SELECT row_to_json(c)::text FROM projection_checkpoints c WHERE name = $1`, name).Scan(&state)
			rows, err := e.db.Pool.Query(ctx, `SELECT coalesce(wait_event_type, '') || ' ' || state || ': ' || left(query, 80)
				FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()`)
			var activity []string
			if err == nil {
				activity, err = pgx.CollectRows(rows, pgx.RowTo[string])
			}
			if err := errors.Join(stateErr, err); err != nil {
				return fmt.Errorf("the rebuild of %s did not finish: %v (and its state could not be read: %v)", name, failure, err)
			}
			return fmt.Errorf("the rebuild of %s did not finish: %v\nstate %s\nsessions %q", name, failure, state, activity)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// What Ctrl-C does to `chatbotd replay` running the rebuild itself: the
// live read model stays as it was, nothing is left behind, no projector
// takes the request up later, and the next replay starts clean.
func TestARebuildCutShortLeavesTheLiveReadModelAndStartsCleanAgain(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	live := e.runner(e.js, Options{}, notesProjection())
	var last uint64
	for i := range 40 {
		last = e.note(fmt.Sprintf("t%d", i%4))
	}
	e.waitCheckpoint("notes", last, 10*time.Second)
	live.Stop() // no projector runs: the replay rebuilds in its own process
	if _, err := e.db.Pool.Exec(ctx, "UPDATE notes SET n = 100 WHERE text = 't0'"); err != nil {
		t.Fatal(err)
	}

	replay := New(Deps{Pool: e.db.Pool, JS: e.js, Registry: e.reg, Logger: slog.New(slog.NewTextHandler(io.Discard, nil))},
		[]Projection{notesProjection()}, Options{})
	cut, cancel := context.WithCancel(ctx)
	_, err := replay.Rebuild(cut, "notes", requestRebuild(t, e.js, "notes"), func(done, total uint64) {
		if done > 0 {
			cancel() // the load is in; the swap is not
		}
	})
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("a rebuild cut short: %v", err)
	}
	if got := e.count("t0"); got != 100 {
		t.Errorf("the live read model changed: t0 counts %d", got)
	}
	var leftovers int
	var failure *string
	if err := e.db.Pool.QueryRow(ctx, `SELECT (SELECT count(*) FROM pg_namespace WHERE nspname LIKE 'rebuild\_%' OR nspname LIKE 'retired\_%'),
		rebuild_error FROM projection_checkpoints WHERE name = 'notes'`).Scan(&leftovers, &failure); err != nil {
		t.Fatal(err)
	}
	if leftovers != 0 || failure == nil || !strings.Contains(*failure, "interrupted") {
		t.Errorf("after the cut: %d work schemas, error %v", leftovers, failure)
	}
	statuses, err := NewProgress(e.db.Pool, e.js, []Projection{notesProjection()}).Statuses(ctx)
	if err != nil || statuses[0].State != StateFailed {
		t.Errorf("status after the cut: %+v %v", statuses, err)
	}

	if _, err := replay.Rebuild(ctx, "notes", requestRebuild(t, e.js, "notes"), nil); err != nil {
		t.Fatal(err)
	}
	if got := e.count("t0"); got != 10 {
		t.Errorf("after the second replay t0 counts %d, want 10", got)
	}
	if v, err := replay.Verify(ctx, "notes", 5); err != nil || v.Differences != 0 {
		t.Errorf("verify after the second replay: %+v %v", v, err)
	}
}
