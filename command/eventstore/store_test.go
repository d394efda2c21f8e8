package eventstore_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/chatbotsaas/chatbot/command/eventstore"
	"github.com/chatbotsaas/chatbot/events"
	"github.com/chatbotsaas/chatbot/shared/apperr"
	"github.com/chatbotsaas/chatbot/shared/observability"
	"github.com/chatbotsaas/chatbot/shared/testkit"
)

// A counter is the smallest aggregate: it counts Incremented events.
type counter struct {
	Count int    `json:"count"`
	Last  string `json:"last"`
}

type incremented struct {
	By   int    `json:"by"`
	Note string `json:"note"`
}

// incrementedV1 had no note and called the amount "n".
type incrementedV1 struct {
	N int `json:"n"`
}

func (c *counter) Apply(e events.Envelope, data any) {
	if d, ok := data.(*incremented); ok {
		c.Count += d.By
		c.Last = d.Note
	}
}

const incType = "Incremented"

func testRegistry() *events.Registry {
	reg := events.NewRegistry()
	events.Register[incremented](reg, incType, 2, "a counter went up")
	reg.Owns("counter", incType)
	reg.Upcast(incType, 1, func(data json.RawMessage) (json.RawMessage, error) {
		var v1 incrementedV1
		if err := json.Unmarshal(data, &v1); err != nil {
			return nil, err
		}
		return json.Marshal(incremented{By: v1.N, Note: "upcast from v1"})
	})
	return reg
}

func openStore(t *testing.T, js jetstream.JetStream) *eventstore.Store {
	t.Helper()
	s, err := eventstore.Open(context.Background(), js, eventstore.Options{Registry: testRegistry(), SnapshotEvery: 100})
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func newJS(t *testing.T, sync string) (jetstream.JetStream, *nats.Conn) {
	t.Helper()
	n := testkit.StartNATSWithSync(t, sync)
	js, err := jetstream.New(n.Conn)
	if err != nil {
		t.Fatal(err)
	}
	return js, n.Conn
}

func newRef() eventstore.Ref {
	return eventstore.Ref{Tenant: "t1", Type: "counter", ID: uuid.NewString()}
}

func inc(by int) events.Event { return events.Event{Type: incType, Data: incremented{By: by}} }

func TestConcurrentAppendsAtOneVersionOnlyOneWins(t *testing.T) {
	js, _ := newJS(t, "always")
	s := openStore(t, js)
	ctx := context.Background()
	ref := newRef()
	first, err := s.Append(ctx, ref, eventstore.Loaded{}, inc(1))
	if err != nil {
		t.Fatal(err)
	}
	expected := eventstore.Loaded{Seq: first.Position, Version: 1}

	var wins, conflicts atomic.Int32
	var wg sync.WaitGroup
	for range 50 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, err := s.Append(ctx, ref, expected, inc(1))
			switch {
			case err == nil:
				wins.Add(1)
			case errors.Is(err, eventstore.ErrConflict):
				conflicts.Add(1)
			default:
				t.Errorf("append: %v", err)
			}
		}()
	}
	wg.Wait()
	if wins.Load() != 1 || conflicts.Load() != 49 {
		t.Fatalf("wins %d, conflicts %d; want 1 and 49", wins.Load(), conflicts.Load())
	}
	var c counter
	loaded, err := s.Load(ctx, ref, &c)
	if err != nil || c.Count != 2 || loaded.Version != 2 {
		t.Fatalf("after the race: count %d version %d err %v", c.Count, loaded.Version, err)
	}
}

// Two stores stand for two processes: they share nothing but the stream,
// so their racing decisions conflict and are decided again.
func TestUpdateDecidesAgainAfterAConflict(t *testing.T) {
	js, _ := newJS(t, "always")
	stores := []*eventstore.Store{openStore(t, js), openStore(t, js)}
	s := stores[0]
	ctx := context.Background()
	ref := newRef()
	var ok, refused atomic.Int32
	var wg sync.WaitGroup
	for i := range 10 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, _, err := eventstore.Update(ctx, stores[i%2], ref, eventstore.EventsOnly(func(c *counter) ([]events.Event, error) { return []events.Event{inc(1)}, nil }))
			var ae *apperr.Error
			switch {
			case err == nil:
				ok.Add(1)
			case errors.As(err, &ae) && ae.Code == "version_conflict":
				refused.Add(1)
			default:
				t.Errorf("update: %v", err)
			}
		}()
	}
	wg.Wait()
	var c counter
	if _, err := s.Load(ctx, ref, &c); err != nil {
		t.Fatal(err)
	}
	if int(ok.Load()) != c.Count || ok.Load()+refused.Load() != 10 || ok.Load() < 5 {
		t.Fatalf("succeeded %d, refused %d, count %d", ok.Load(), refused.Load(), c.Count)
	}
}

func TestUpdateWithNoEventsAppendsNothing(t *testing.T) {
	js, _ := newJS(t, "always")
	s := openStore(t, js)
	ctx := context.Background()
	ref := newRef()
	refusal := apperr.Invalid("no")
	if _, _, err := eventstore.Update(ctx, s, ref, eventstore.EventsOnly(func(*counter) ([]events.Event, error) { return nil, refusal })); !errors.Is(err, refusal) {
		t.Fatalf("got %v", err)
	}
	_, res, err := eventstore.Update(ctx, s, ref, eventstore.EventsOnly(func(*counter) ([]events.Event, error) { return nil, nil }))
	if err != nil || res.Position != 0 {
		t.Fatalf("got %+v %v", res, err)
	}
	info, err := js.Stream(ctx, events.StreamName)
	if err != nil {
		t.Fatalf("look up the stream: %v", err)
	}
	if got := info.CachedInfo().State.Msgs; got != 0 {
		t.Fatalf("stream holds %d messages", got)
	}
}

func TestSeveralEventsAreAppendedAtomically(t *testing.T) {
	js, _ := newJS(t, "always")
	s := openStore(t, js)
	ctx := context.Background()
	ref := newRef()
	res, err := s.Append(ctx, ref, eventstore.Loaded{}, inc(1), inc(2), inc(3))
	if err != nil {
		t.Fatal(err)
	}
	for i, env := range res.Envelopes {
		if env.Position != res.Position-uint64(2-i) || env.AggregateVersion != int64(i+1) {
			t.Errorf("event %d at position %d version %d", i, env.Position, env.AggregateVersion)
		}
	}
	// A stale batch stores none of its events.
	if _, err := s.Append(ctx, ref, eventstore.Loaded{}, inc(10), inc(20)); !errors.Is(err, eventstore.ErrConflict) {
		t.Fatalf("stale batch: %v", err)
	}
	var c counter
	loaded, err := s.Load(ctx, ref, &c)
	if err != nil || c.Count != 6 || loaded.Version != 3 || loaded.Seq != res.Position {
		t.Fatalf("count %d loaded %+v err %v", c.Count, loaded, err)
	}
}

func TestDuplicatePublishIsStoredOnce(t *testing.T) {
	js, _ := newJS(t, "always")
	s := openStore(t, js)
	ctx := context.Background()
	res, err := s.Append(ctx, newRef(), eventstore.Loaded{}, inc(1))
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
	ack, err := js.PublishMsg(ctx, msg)
	if err != nil {
		t.Fatal(err)
	}
	if !ack.Duplicate || ack.Sequence != env.Position {
		t.Fatalf("republish ack %+v, want a duplicate of %d", ack, env.Position)
	}
	stream, err := js.Stream(ctx, events.StreamName)
	if err != nil {
		t.Fatalf("look up the stream: %v", err)
	}
	if got := stream.CachedInfo().State.Msgs; got != 1 {
		t.Fatalf("stream holds %d messages, want 1", got)
	}
}

func TestEnvelopeCarriesActorAndCorrelation(t *testing.T) {
	js, _ := newJS(t, "always")
	s := openStore(t, js)
	ctx := observability.WithRequestID(context.Background(), "req-42")
	ctx = events.WithActor(ctx, events.Actor{Type: events.ActorUser, ID: "u-7"})
	res, err := s.Append(ctx, newRef(), eventstore.Loaded{}, inc(1))
	if err != nil {
		t.Fatal(err)
	}
	env := res.Envelopes[0]
	if env.CorrelationID != "req-42" || env.Actor.ID != "u-7" || env.Actor.Type != "user" || env.Version != 2 {
		t.Fatalf("envelope %+v", env)
	}
	if _, err := uuid.Parse(env.ID); err != nil || env.ID[14] != '7' {
		t.Errorf("id %q is not a UUIDv7", env.ID)
	}
	caused := events.WithCause(context.Background(), env)
	res2, err := s.Append(caused, newRef(), eventstore.Loaded{}, inc(1))
	if err != nil {
		t.Fatal(err)
	}
	if res2.Envelopes[0].CausationID != env.ID || res2.Envelopes[0].CorrelationID != "req-42" {
		t.Errorf("caused event %+v", res2.Envelopes[0])
	}
}

func TestOldVersionIsReadThroughItsUpcaster(t *testing.T) {
	js, _ := newJS(t, "always")
	s := openStore(t, js)
	ctx := context.Background()
	ref := newRef()
	publishRaw(t, js, ref, 1, 1, `{"n":5}`)
	var c counter
	if _, err := s.Load(ctx, ref, &c); err != nil {
		t.Fatal(err)
	}
	if c.Count != 5 || c.Last != "upcast from v1" {
		t.Fatalf("got %+v", c)
	}
}

// publishRaw stores an envelope as an older build would have written it.
func publishRaw(t *testing.T, js jetstream.JetStream, ref eventstore.Ref, version int, aggVersion int64, data string) uint64 {
	t.Helper()
	env := events.Envelope{
		ID: uuid.NewString(), Type: incType, Version: version, OccurredAt: time.Now().UTC(),
		TenantID: ref.Tenant, AggregateType: ref.Type, AggregateID: ref.ID, AggregateVersion: aggVersion,
		Actor: events.System, Data: json.RawMessage(data),
	}
	body, err := env.Marshal()
	if err != nil {
		t.Fatalf("encode the envelope: %v", err)
	}
	ack, err := js.Publish(context.Background(), env.Subject(), body)
	if err != nil {
		t.Fatal(err)
	}
	return ack.Sequence
}

func TestLongHistoryLoadsFromASnapshot(t *testing.T) {
	js, nc := newJS(t, "1s") // the history is written fast, not synced per message
	ctx := context.Background()
	s := openStore(t, js)
	long, short := newRef(), newRef()

	const n = 100_000
	ajs, err := jetstream.New(nc, jetstream.WithPublishAsyncMaxPending(4096))
	if err != nil {
		t.Fatalf("connect JetStream: %v", err)
	}
	env := events.Envelope{Type: incType, Version: 2, TenantID: long.Tenant, AggregateType: long.Type,
		AggregateID: long.ID, Actor: events.System, Data: json.RawMessage(`{"by":1}`)}
	for i := 1; i <= n; i++ {
		env.ID, env.AggregateVersion = fmt.Sprint(i), int64(i)
		body, err := env.Marshal()
		if err != nil {
			t.Fatalf("encode the envelope: %v", err)
		}
		if _, err := ajs.PublishAsync(env.Subject(), body, jetstream.WithStallWait(30*time.Second)); err != nil {
			t.Fatal(err)
		}
	}
	select {
	case <-ajs.PublishAsyncComplete():
	case <-time.After(60 * time.Second):
		t.Fatal("publishing the history took over a minute")
	}
	for i := 1; i <= 10; i++ {
		publishRaw(t, js, short, 2, int64(i), `{"by":1}`)
	}

	var first counter
	loaded, err := s.Load(ctx, long, &first)
	if err != nil || first.Count != n || loaded.Replayed != n {
		t.Fatalf("first load: count %d, %+v, %v", first.Count, loaded, err)
	}

	// A new process has no cache: it starts from the snapshot.
	fresh := openStore(t, js)
	var c counter
	loaded, err = fresh.Load(ctx, long, &c)
	if err != nil || c.Count != n || loaded.Replayed != 0 || loaded.Version != n {
		t.Fatalf("load from snapshot: count %d, %+v, %v", c.Count, loaded, err)
	}
	for i := 1; i <= 10; i++ {
		publishRaw(t, js, long, 2, int64(n+i), `{"by":1}`)
	}
	c = counter{}
	loaded, err = fresh.Load(ctx, long, &c)
	if err != nil || c.Count != n+10 || loaded.Replayed != 10 {
		t.Fatalf("load after 10 more: count %d, %+v, %v", c.Count, loaded, err)
	}
	var sc counter
	loadedShort, err := fresh.Load(ctx, short, &sc)
	if err != nil || sc.Count != 10 || loadedShort.Replayed != 10 {
		t.Fatalf("short history: %+v %+v %v", sc, loadedShort, err)
	}
	t.Logf("the 100,010-event aggregate read %d events; the 10-event one %d", loaded.Replayed, loadedShort.Replayed)
}

func TestReservationsAreExclusive(t *testing.T) {
	js, _ := newJS(t, "always")
	s := openStore(t, js)
	ctx := context.Background()
	var wins atomic.Int32
	var winner atomic.Value
	var wg sync.WaitGroup
	for i := range 20 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			owner := fmt.Sprint("user-", i)
			err := s.Reserve(ctx, "email", "ada@example.com", owner)
			if err == nil {
				wins.Add(1)
				winner.Store(owner)
			} else if !errors.Is(err, eventstore.ErrTaken) {
				t.Errorf("reserve: %v", err)
			}
		}()
	}
	wg.Wait()
	if wins.Load() != 1 {
		t.Fatalf("%d owners won", wins.Load())
	}
	owner := winner.Load().(string)
	if err := s.Reserve(ctx, "email", "ada@example.com", owner); err != nil {
		t.Errorf("the owner reserving again: %v", err)
	}
	if err := s.Release(ctx, "email", "ada@example.com", "someone-else"); err != nil {
		t.Fatal(err)
	}
	if got, err := s.Owner(ctx, "email", "ada@example.com"); err != nil || got != owner {
		t.Fatalf("a stranger's release freed it: owner %q (%v)", got, err)
	}
	// A value nobody reserved has no owner, and releasing it is no error.
	if got, err := s.Owner(ctx, "email", "nobody@example.com"); err != nil || got != "" {
		t.Fatalf("an unreserved value: owner %q, err %v", got, err)
	}
	if err := s.Release(ctx, "email", "nobody@example.com", owner); err != nil {
		t.Fatalf("releasing an unreserved value: %v", err)
	}
	if err := s.Release(ctx, "email", "ada@example.com", owner); err != nil {
		t.Fatal(err)
	}
	if err := s.Reserve(ctx, "email", "ada@example.com", "user-new"); err != nil {
		t.Fatalf("after release: %v", err)
	}
}

func TestUnregisteredTypeAndBadRefAreRefused(t *testing.T) {
	js, _ := newJS(t, "always")
	s := openStore(t, js)
	ctx := context.Background()
	if _, err := s.Append(ctx, newRef(), eventstore.Loaded{}, events.Event{Type: "Nope", Data: struct{}{}}); err == nil {
		t.Error("an unregistered type was appended")
	}
	bad := eventstore.Ref{Tenant: "t1", Type: "counter", ID: "a.b"}
	if _, err := s.Append(ctx, bad, eventstore.Loaded{}, inc(1)); err == nil {
		t.Error("an id with a dot was appended")
	}
	// Incremented is a counter's event: on a gauge it would escape every
	// filter that names its aggregate.
	gauge := eventstore.Ref{Tenant: "t1", Type: "gauge", ID: uuid.NewString()}
	if _, err := s.Append(ctx, gauge, eventstore.Loaded{}, inc(1)); err == nil || !strings.Contains(err.Error(), "recorded on counter aggregates") {
		t.Errorf("a counter's event on a gauge: %v", err)
	}
	if _, err := s.Append(ctx, newRef(), eventstore.Loaded{}, inc(1)); err != nil {
		t.Errorf("on its own aggregate: %v", err)
	}
}
