package projector

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/google/uuid"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/chatbotsaas/chatbot/command/eventstore"
	"github.com/chatbotsaas/chatbot/events"
	"github.com/chatbotsaas/chatbot/shared/testkit"
)

// usageEnv runs the usage projection on the product's registry.
type usageEnv struct {
	t     *testing.T
	db    *testkit.Database
	js    jetstream.JetStream
	store *eventstore.Store
	seq   int
}

func newUsageEnv(t *testing.T) *usageEnv {
	t.Helper()
	e := &usageEnv{t: t, db: testkit.NewDatabase(t)}
	n := testkit.StartNATS(t)
	var err error
	if e.js, err = jetstream.New(n.Conn); err != nil {
		t.Fatal(err)
	}
	if e.store, err = eventstore.Open(context.Background(), e.js, eventstore.Options{}); err != nil {
		t.Fatal(err)
	}
	return e
}

func (e *usageEnv) start() *Runner {
	e.t.Helper()
	r := New(Deps{Pool: e.db.Pool, JS: e.js, Logger: slog.New(slog.NewTextHandler(io.Discard, nil))}, []Projection{Usage()},
		Options{RetryDelay: 5 * time.Millisecond, FetchWait: 200 * time.Millisecond, StandbyPoll: 100 * time.Millisecond})
	if err := r.Start(context.Background()); err != nil {
		e.t.Fatal(err)
	}
	e.t.Cleanup(r.Stop)
	return r
}

// record appends one UsageRecorded as a recorder's flush would.
func (e *usageEnv) record(tenant, chatbot, key string, hour time.Time, requests, units int64) uint64 {
	e.t.Helper()
	e.seq++
	res, err := e.store.Record(context.Background(), eventstore.Ref{Tenant: tenant, Type: events.AggregateUsage, ID: key},
		fmt.Sprint("test/", e.seq), events.Event{Type: events.UsageRecorded, Data: events.UsageRecordedData{
			ChatbotID: chatbot, APIKeyID: key, Hour: hour, Requests: requests, Units: units, LastUsedAt: hour.Add(time.Minute * time.Duration(e.seq%60)),
		}})
	if err != nil {
		e.t.Fatal(err)
	}
	return res.Position
}

func (e *usageEnv) wait(pos uint64) {
	e.t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		cp := e.checkpoint()
		if cp >= pos {
			return
		}
		if time.Now().After(deadline) {
			e.t.Fatalf("usage checkpoint %d, want %d within 10s", cp, pos)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// checkpoint is the usage projection's position, 0 before it has one.
func (e *usageEnv) checkpoint() uint64 {
	e.t.Helper()
	var cp int64
	err := e.db.Pool.QueryRow(context.Background(), "SELECT position FROM projection_checkpoints WHERE name = 'usage'").Scan(&cp)
	if err != nil && !errors.Is(err, pgx.ErrNoRows) {
		e.t.Fatal(err)
	}
	return uint64(cp)
}

type usageRow struct {
	requests, units int64
	lastUsed        time.Time
}

// rows reads the table, by key and hour.
func (e *usageEnv) rows() map[string]usageRow {
	e.t.Helper()
	rs, err := e.db.Pool.Query(context.Background(), `SELECT tenant_id, chatbot_id::text, api_key_id::text, hour, requests, units, last_used_at
		FROM `+UsageHourlyTable)
	if err != nil {
		e.t.Fatal(err)
	}
	defer rs.Close()
	out := map[string]usageRow{}
	for rs.Next() {
		var tenant, chatbot, key string
		var hour time.Time
		var r usageRow
		if err := rs.Scan(&tenant, &chatbot, &key, &hour, &r.requests, &r.units, &r.lastUsed); err != nil {
			e.t.Fatal(err)
		}
		out[usageKey(tenant, chatbot, key, hour)] = r
	}
	if err := rs.Err(); err != nil {
		e.t.Fatal(err)
	}
	return out
}

func usageKey(tenant, chatbot, key string, hour time.Time) string {
	return tenant + "/" + chatbot + "/" + key + "/" + hour.UTC().Format(time.RFC3339)
}

// Events of the same key and hour add up into one row; others get their own.
func TestUsageSumsEventsPerKeyAndHour(t *testing.T) {
	e := newUsageEnv(t)
	e.start()
	company, bot, k1, k2 := uuid.NewString(), uuid.NewString(), uuid.NewString(), uuid.NewString()
	h := time.Date(2025, 5, 1, 9, 0, 0, 0, time.UTC)
	e.record(company, bot, k1, h, 10, 100)
	e.record(company, bot, k1, h, 5, 50)
	e.record(company, bot, k1, h.Add(time.Hour), 1, 1)
	last := e.record(company, bot, k2, h, 7, 0)
	e.wait(last)
	rows := e.rows()
	want := map[string]int64{
		usageKey(company, bot, k1, h): 15, usageKey(company, bot, k1, h.Add(time.Hour)): 1, usageKey(company, bot, k2, h): 7,
	}
	if len(rows) != len(want) {
		t.Fatalf("%d rows, want %d: %v", len(rows), len(want), rows)
	}
	for k, n := range want {
		if rows[k].requests != n {
			t.Errorf("%s: %d requests, want %d", k, rows[k].requests, n)
		}
	}
	if r := rows[usageKey(company, bot, k1, h)]; r.units != 150 || !r.lastUsed.Equal(h.Add(2*time.Minute)) {
		t.Errorf("k1 first hour: %d units, last used %v; want 150 and %v (the latest)", r.units, r.lastUsed, h.Add(2*time.Minute))
	}
}

// A projector stopped and started again (a new process) goes on from its
// checkpoint: nothing is counted twice, nothing is missed. The events
// appended while none runs stay unapplied until the new one takes over,
// so it is the new one that applies them.
func TestUsageRestartCountsNothingTwice(t *testing.T) {
	e := newUsageEnv(t)
	company, bot, key := uuid.NewString(), uuid.NewString(), uuid.NewString()
	h := time.Date(2025, 5, 1, 9, 0, 0, 0, time.UTC)
	row := func() usageRow { return e.rows()[usageKey(company, bot, key, h)] }
	first := e.start()
	var last uint64
	for range 20 {
		last = e.record(company, bot, key, h, 1, 2)
	}
	e.wait(last)
	first.Stop()
	stoppedAt := e.checkpoint()
	for range 5 {
		last = e.record(company, bot, key, h, 1, 2)
	}
	time.Sleep(300 * time.Millisecond) // longer than a fetch wait: a projector still running would apply them
	if got, cp := row(), e.checkpoint(); got.requests != 20 || cp != stoppedAt {
		t.Fatalf("with the projector stopped: %d requests at checkpoint %d, want 20 at %d: it was still running", got.requests, cp, stoppedAt)
	}
	second := e.start()
	if second == first {
		t.Fatal("the restart reused the stopped projector")
	}
	e.wait(last)
	if got := row(); got.requests != 25 || got.units != 50 {
		t.Fatalf("after the restart: %d requests, %d units; want 25 and 50", got.requests, got.units)
	}
}

// Events delivered again past the checkpoint (the checkpoint moved back,
// the consumer made again) change nothing: each row remembers the last
// event it added.
func TestUsageEventsAppliedAgainAreNotAddedAgain(t *testing.T) {
	e := newUsageEnv(t)
	company, bot, key := uuid.NewString(), uuid.NewString(), uuid.NewString()
	h := time.Date(2025, 5, 1, 9, 0, 0, 0, time.UTC)
	r := e.start()
	var last uint64
	for range 10 {
		last = e.record(company, bot, key, h, 3, 1)
	}
	e.wait(last)
	r.Stop()
	if _, err := e.db.Pool.Exec(context.Background(), "UPDATE projection_checkpoints SET position = 0 WHERE name = 'usage'"); err != nil {
		t.Fatal(err)
	}
	e.start()
	e.wait(last)
	if row := e.rows()[usageKey(company, bot, key, h)]; row.requests != 30 || row.units != 10 {
		t.Fatalf("after a replay: %d requests, %d units; want 30 and 10", row.requests, row.units)
	}
}

// A rebuild replays the stream into an empty copy and ends with the same rows.
func TestUsageRebuildGivesTheSameRows(t *testing.T) {
	e := newUsageEnv(t)
	e.start()
	company := uuid.NewString()
	h := time.Date(2025, 5, 1, 0, 0, 0, 0, time.UTC)
	var last uint64
	for i := range 60 {
		last = e.record(company, uuid.NewSHA1(uuid.Nil, []byte{byte(i % 3)}).String(), uuid.NewSHA1(uuid.Nil, []byte{byte(i % 5), 1}).String(),
			h.Add(time.Duration(i%7)*time.Hour), int64(i), int64(2*i))
	}
	e.wait(last)
	before := e.rows()
	if err := (&env{t: t, db: e.db, js: e.js}).rebuild("usage", 15*time.Second); err != nil {
		t.Fatal(err)
	}
	after := e.rows()
	if len(after) != len(before) {
		t.Fatalf("%d rows after the rebuild, %d before", len(after), len(before))
	}
	for k, r := range before {
		if a := after[k]; a.requests != r.requests || a.units != r.units || !a.lastUsed.Equal(r.lastUsed) {
			t.Errorf("%s: %+v after the rebuild, %+v before", k, a, r)
		}
	}
}
