package projector

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/chatbotsaas/chatbot/command/eventstore"
	"github.com/chatbotsaas/chatbot/events"
	"github.com/chatbotsaas/chatbot/shared/testkit"
)

type noted struct {
	Text string `json:"text"`
}

type notedV1 struct {
	Body string `json:"body"`
}

type poisoned struct{}

const (
	notedType    = "Noted"
	poisonedType = "Poisoned"
)

func testRegistry() *events.Registry {
	reg := events.NewRegistry()
	events.Register[noted](reg, notedType, 2, "a note was taken")
	reg.Upcast(notedType, 1, func(data json.RawMessage) (json.RawMessage, error) {
		var v1 notedV1
		if err := json.Unmarshal(data, &v1); err != nil {
			return nil, err
		}
		return json.Marshal(noted{Text: v1.Body})
	})
	events.Register[poisoned](reg, poisonedType, 1, "an event its reducer cannot apply")
	return reg
}

// env is one test's services: a database, an embedded NATS server, a store.
type env struct {
	t     *testing.T
	db    *testkit.Database
	nats  *testkit.NATS
	js    jetstream.JetStream
	store *eventstore.Store
	reg   *events.Registry
}

func newEnv(t *testing.T) *env {
	t.Helper()
	e := &env{t: t, db: testkit.NewDatabase(t), nats: testkit.StartNATS(t), reg: testRegistry()}
	e.js = e.newJS()
	var err error
	e.store, err = eventstore.Open(context.Background(), e.js, eventstore.Options{Registry: e.reg})
	if err != nil {
		t.Fatal(err)
	}
	// The notes projection counts notes per text: not idempotent by
	// itself, so a double application would show.
	_, err = e.db.Pool.Exec(context.Background(), `CREATE TABLE notes (text text PRIMARY KEY, n integer NOT NULL)`)
	if err != nil {
		t.Fatal(err)
	}
	return e
}

func (e *env) newJS() jetstream.JetStream {
	nc, err := nats.Connect(e.nats.URL)
	if err != nil {
		e.t.Fatal(err)
	}
	e.t.Cleanup(nc.Close)
	js, err := jetstream.New(nc)
	if err != nil {
		e.t.Fatalf("connect JetStream: %v", err)
	}
	return js
}

func notesProjection() Projection {
	return Projection{
		Name:   "notes",
		Tables: []string{"notes"},
		Reducers: map[string]Reducer{
			notedType: func(b *Batch, _ events.Envelope, data any) error {
				b.Queue(`INSERT INTO notes (text, n) VALUES ($1, 1) ON CONFLICT (text) DO UPDATE SET n = notes.n + 1`, data.(*noted).Text)
				return nil
			},
			poisonedType: func(b *Batch, _ events.Envelope, _ any) error {
				b.Queue(`INSERT INTO notes (text, n) VALUES (NULL, 1)`) // violates NOT NULL every time
				return nil
			},
		},
	}
}

func (e *env) runner(js jetstream.JetStream, o Options, projections ...Projection) *Runner {
	e.t.Helper()
	if o.RetryDelay == 0 {
		o.RetryDelay = 5 * time.Millisecond
	}
	if o.FetchWait == 0 {
		o.FetchWait = 200 * time.Millisecond
	}
	if o.StandbyPoll == 0 {
		o.StandbyPoll = 100 * time.Millisecond
	}
	r := New(Deps{Pool: e.db.Pool, JS: js, Registry: e.reg, Logger: slog.New(slog.NewTextHandler(io.Discard, nil))}, projections, o)
	if err := r.Start(context.Background()); err != nil {
		e.t.Fatal(err)
	}
	e.t.Cleanup(r.Stop)
	return r
}

// note appends one Noted event to a fresh aggregate and returns its position.
func (e *env) note(text string) uint64 {
	e.t.Helper()
	ref := eventstore.Ref{Tenant: "t1", Type: "note", ID: uuid.NewString()}
	res, err := e.store.Append(context.Background(), ref, eventstore.Loaded{}, events.Event{Type: notedType, Data: noted{Text: text}})
	if err != nil {
		e.t.Fatal(err)
	}
	return res.Position
}

// checkpoint is the position of projection name, 0 before its first
// batch. It may run beside the test, so a failure is an error, not a stop.
func (e *env) checkpoint(name string) uint64 {
	var pos int64
	err := e.db.Pool.QueryRow(context.Background(), "SELECT position FROM projection_checkpoints WHERE name = $1", name).Scan(&pos)
	if err != nil && !errors.Is(err, pgx.ErrNoRows) {
		e.t.Errorf("read the checkpoint of %s: %v", name, err)
	}
	return uint64(pos)
}

// count is how many notes say text, 0 before the first. It may run beside
// the test, as checkpoint does.
func (e *env) count(text string) int {
	var n int
	err := e.db.Pool.QueryRow(context.Background(), "SELECT n FROM notes WHERE text = $1", text).Scan(&n)
	if err != nil && !errors.Is(err, pgx.ErrNoRows) {
		e.t.Errorf("count the notes %q: %v", text, err)
	}
	return n
}

func (e *env) waitCheckpoint(name string, pos uint64, within time.Duration) {
	e.t.Helper()
	deadline := time.Now().Add(within)
	for e.checkpoint(name) < pos {
		if time.Now().After(deadline) {
			e.t.Fatalf("%s checkpoint %d, want %d within %v", name, e.checkpoint(name), pos, within)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func TestEventLogKeepsEveryEventOnce(t *testing.T) {
	e := newEnv(t)
	e.runner(e.js, Options{}, EventLog())
	var last uint64
	for i := range 25 {
		last = e.note(fmt.Sprint("n", i))
	}
	e.waitCheckpoint("event_log", last, 10*time.Second)
	var rows, distinct int
	if err := e.db.Pool.QueryRow(context.Background(), "SELECT count(*), count(DISTINCT event_id) FROM rm_event_log_v1").Scan(&rows, &distinct); err != nil {
		t.Fatalf("count the event log rows: %v", err)
	}
	if rows != 25 || distinct != 25 {
		t.Fatalf("event log has %d rows, %d distinct; want 25", rows, distinct)
	}
	var typ, actor string
	if err := e.db.Pool.QueryRow(context.Background(), "SELECT type, actor_type FROM rm_event_log_v1 WHERE position = $1", last).Scan(&typ, &actor); err != nil {
		t.Fatalf("read the last event log row: %v", err)
	}
	if typ != notedType || actor != "system" {
		t.Errorf("last row: type %q actor %q", typ, actor)
	}
}

func TestDuplicatePublishGivesOneRow(t *testing.T) {
	e := newEnv(t)
	e.runner(e.js, Options{}, EventLog(), notesProjection())
	ref := eventstore.Ref{Tenant: "t1", Type: "note", ID: uuid.NewString()}
	res, err := e.store.Append(context.Background(), ref, eventstore.Loaded{}, events.Event{Type: notedType, Data: noted{Text: "once"}})
	if err != nil {
		t.Fatal(err)
	}
	env := res.Envelopes[0]
	body, err := env.Marshal()
	if err != nil {
		t.Fatalf("encode the envelope: %v", err)
	}
	msg := nats.NewMsg(env.Subject())
	msg.Data = body
	msg.Header.Set(jetstream.MsgIDHeader, env.ID)
	if ack, err := e.js.PublishMsg(context.Background(), msg); err != nil || !ack.Duplicate {
		t.Fatalf("republish: %+v %v", ack, err)
	}
	marker := e.note("after")
	e.waitCheckpoint("notes", marker, 10*time.Second)
	e.waitCheckpoint("event_log", marker, 10*time.Second)
	var rows int
	if err := e.db.Pool.QueryRow(context.Background(), "SELECT count(*) FROM rm_event_log_v1 WHERE event_id = $1", env.ID).Scan(&rows); err != nil {
		t.Fatalf("count the event log rows of the event: %v", err)
	}
	if rows != 1 || e.count("once") != 1 {
		t.Fatalf("event log rows %d, notes count %d; want 1 and 1", rows, e.count("once"))
	}
}

// A projector killed between its commit and its ack resumes with no
// duplicate and no gap.
func TestKilledBetweenCommitAndAckResumesExactly(t *testing.T) {
	e := newEnv(t)
	const rounds, perRound = 5, 20
	total := 0
	for round := range rounds {
		// The runner's connection dies right after each commit, before the ack.
		nc, err := nats.Connect(e.nats.URL)
		if err != nil {
			t.Fatal(err)
		}
		js, err := jetstream.New(nc)
		if err != nil {
			t.Fatalf("connect JetStream: %v", err)
		}
		killed := make(chan uint64, 1)
		var once sync.Once
		r := e.runner(js, Options{BatchSize: 7, afterCommit: func(_ string, last uint64) {
			once.Do(func() { nc.Close(); killed <- last })
		}}, notesProjection())
		for range perRound {
			e.note("same")
		}
		total += perRound
		select {
		case last := <-killed:
			if got := e.checkpoint("notes"); got != last {
				t.Fatalf("round %d: checkpoint %d after commit, want %d", round, got, last)
			}
		case <-time.After(10 * time.Second):
			t.Fatalf("round %d: no commit", round)
		}
		r.Stop()
	}
	// A healthy runner finishes the rest.
	last := e.note("same")
	total++
	e.runner(e.newJS(), Options{}, notesProjection())
	e.waitCheckpoint("notes", last, 10*time.Second)
	if got := e.count("same"); got != total {
		t.Fatalf("count %d, want %d: an event was applied twice or skipped", got, total)
	}
	if got := e.checkpoint("notes"); got != last {
		t.Fatalf("checkpoint %d, want the last applied %d", got, last)
	}
}

func TestAFailingEventIsRetriedThenDeadLetteredAndTheRestApplied(t *testing.T) {
	e := newEnv(t)
	e.note("before")
	ref := eventstore.Ref{Tenant: "t1", Type: "note", ID: uuid.NewString()}
	bad, err := e.store.Append(context.Background(), ref, eventstore.Loaded{}, events.Event{Type: poisonedType, Data: poisoned{}})
	if err != nil {
		t.Fatal(err)
	}
	// An envelope no reducer can read, with no id and no type.
	if _, err := e.js.Publish(context.Background(), events.Subject("t1", "note", "x", notedType), []byte(`{"data": 1`)); err != nil {
		t.Fatal(err)
	}
	var last uint64
	for range 10 {
		last = e.note("after")
	}
	e.runner(e.js, Options{MaxAttempts: 3}, notesProjection())
	e.waitCheckpoint("notes", last, 15*time.Second)

	if e.count("before") != 1 || e.count("after") != 10 {
		t.Fatalf("before %d, after %d: events beside the bad ones were not applied", e.count("before"), e.count("after"))
	}
	rows, err := e.db.Pool.Query(context.Background(), "SELECT position, event_type, attempts, error FROM dead_letters WHERE projection = 'notes' ORDER BY position")
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var parked []string
	for rows.Next() {
		var pos int64
		var typ, reason string
		var attempts int
		if err := rows.Scan(&pos, &typ, &attempts, &reason); err != nil {
			t.Fatalf("read a dead letter: %v", err)
		}
		if attempts != 3 || reason == "" {
			t.Errorf("dead letter at %d: attempts %d reason %q", pos, attempts, reason)
		}
		parked = append(parked, fmt.Sprint(pos, typ))
	}
	want := []string{fmt.Sprint(bad.Position, poisonedType), fmt.Sprint(bad.Position+1, notedType)}
	if fmt.Sprint(parked) != fmt.Sprint(want) {
		t.Fatalf("dead letters %v, want %v", parked, want)
	}
}

func TestAnOldVersionReachesItsReducerUpcast(t *testing.T) {
	e := newEnv(t)
	old := events.Envelope{ID: uuid.NewString(), Type: notedType, Version: 1, OccurredAt: time.Now().UTC(),
		TenantID: "t1", AggregateType: "note", AggregateID: uuid.NewString(), AggregateVersion: 1,
		Actor: events.System, Data: json.RawMessage(`{"body":"from v1"}`)}
	body, err := old.Marshal()
	if err != nil {
		t.Fatalf("encode the envelope: %v", err)
	}
	ack, err := e.js.Publish(context.Background(), old.Subject(), body)
	if err != nil {
		t.Fatal(err)
	}
	e.runner(e.js, Options{}, notesProjection())
	e.waitCheckpoint("notes", ack.Sequence, 10*time.Second)
	if e.count("from v1") != 1 {
		t.Fatal("the v1 event was not applied through its upcaster")
	}
}

func TestStandbyTakesOverWhenTheActiveProjectorStops(t *testing.T) {
	e := newEnv(t)
	active := e.runner(e.newJS(), Options{}, notesProjection())
	e.runner(e.newJS(), Options{}, notesProjection()) // standby
	for range 30 {
		e.note("shared")
	}
	active.Stop()
	var last uint64
	for range 30 {
		last = e.note("shared")
	}
	e.waitCheckpoint("notes", last, 10*time.Second)
	if got := e.count("shared"); got != 60 {
		t.Fatalf("count %d, want 60", got)
	}
}
