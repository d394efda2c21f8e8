package eventstore_test

import (
	"context"
	"strings"
	"testing"

	"github.com/chatbotsaas/chatbot/command/eventstore"
	"github.com/chatbotsaas/chatbot/events"
)

// A decision that starts an aggregate stores both or neither: here the
// server refuses the started aggregate's event (too large for the
// stream), and the decided event, first in the batch, is not stored
// either.
func TestUpdateStartingStoresBothOrNeither(t *testing.T) {
	js, _ := newJS(t, "always")
	s := openStore(t, js)
	ctx := context.Background()
	stream, err := js.Stream(ctx, events.StreamName)
	if err != nil {
		t.Fatal(err)
	}
	cfg := stream.CachedInfo().Config
	cfg.MaxMsgSize = 4096
	if _, err := js.UpdateStream(ctx, cfg); err != nil {
		t.Fatal(err)
	}
	decided, started := newRef(), newRef()
	start := func(note string) func(int) (eventstore.Started, error) {
		return func(int) (eventstore.Started, error) {
			return eventstore.Started{Ref: started, Events: []events.Event{{Type: incType, Data: incremented{By: 1, Note: note}}}}, nil
		}
	}
	decide := func(c *counter) (int, []events.Event, error) { return c.Count + 1, []events.Event{inc(1)}, nil }

	if _, _, err := eventstore.UpdateStarting(ctx, s, decided, 0, decide, start(strings.Repeat("x", 8192))); err == nil {
		t.Fatal("a batch holding an event too large for the stream was stored")
	}
	for _, ref := range []eventstore.Ref{decided, started} {
		var c counter
		loaded, err := s.Load(ctx, ref, &c)
		if err != nil || loaded.Version != 0 {
			t.Fatalf("%s holds %d events after the refused batch (%v), want none", ref, loaded.Version, err)
		}
	}

	count, res, err := eventstore.UpdateStarting(ctx, s, decided, 0, decide, start("fits"))
	if err != nil || count != 1 || len(res.Envelopes) != 2 {
		t.Fatalf("got %d, %+v, %v", count, res, err)
	}
	if res.Envelopes[0].AggregateID != decided.ID || res.Envelopes[1].AggregateID != started.ID || res.Envelopes[1].Position != res.Envelopes[0].Position+1 {
		t.Fatalf("stored %+v, want the decided event then the started one", res.Envelopes)
	}
}

// A conflict on the decided aggregate decides again; the aggregate the
// refused decision started is not stored.
func TestUpdateStartingRetriesAConflictWithoutTheStartedAggregate(t *testing.T) {
	js, _ := newJS(t, "always")
	s, other := openStore(t, js), openStore(t, js)
	ctx := context.Background()
	decided := newRef()
	var starts []eventstore.Ref
	decisions := 0
	_, _, err := eventstore.UpdateStarting(ctx, s, decided, 0,
		func(c *counter) (int, []events.Event, error) {
			decisions++
			if decisions == 1 { // another process appends meanwhile
				if _, err := other.Append(ctx, decided, eventstore.Loaded{}, inc(1)); err != nil {
					t.Fatal(err)
				}
			}
			return c.Count, []events.Event{inc(1)}, nil
		},
		func(int) (eventstore.Started, error) {
			ref := newRef()
			starts = append(starts, ref)
			return eventstore.Started{Ref: ref, Events: []events.Event{inc(1)}}, nil
		})
	if err != nil || decisions != 2 || len(starts) != 2 {
		t.Fatalf("got %v after %d decisions and %d starts, want 2 of each", err, decisions, len(starts))
	}
	for i, want := range []int64{0, 1} {
		var c counter
		loaded, err := s.Load(ctx, starts[i], &c)
		if err != nil || loaded.Version != want {
			t.Errorf("start %d holds %d events (%v), want %d", i, loaded.Version, err, want)
		}
	}
}
