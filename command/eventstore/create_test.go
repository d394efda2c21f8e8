package eventstore_test

import (
	"context"
	"errors"
	"sync/atomic"
	"testing"

	"github.com/nats-io/nats.go"

	"github.com/chatbotsaas/chatbot/command/eventstore"
	"github.com/chatbotsaas/chatbot/events"
	"github.com/chatbotsaas/chatbot/shared/apperr"
)

// directGets counts the direct-get requests made to the events stream.
func directGets(t *testing.T, nc *nats.Conn) *atomic.Int64 {
	t.Helper()
	var n atomic.Int64
	sub, err := nc.Subscribe("$JS.API.DIRECT.GET."+events.StreamName+".>", func(*nats.Msg) { n.Add(1) })
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := sub.Unsubscribe(); err != nil {
			t.Error(err)
		}
	})
	if err := nc.Flush(); err != nil {
		t.Fatal(err)
	}
	return &n
}

func TestCreateAppendsWithoutReadingTheStream(t *testing.T) {
	js, nc := newJS(t, "always")
	s := openStore(t, js)
	ctx := context.Background()
	gets := directGets(t, nc)

	ref := newRef()
	after, res, err := eventstore.Create(ctx, s, ref, func(c *counter) (*counter, []events.Event, error) {
		if c.Count != 0 {
			t.Errorf("a new aggregate was decided on with count %d", c.Count)
		}
		return c, []events.Event{inc(3)}, nil
	})
	if err != nil || res.Position == 0 || len(res.Envelopes) != 1 || res.Envelopes[0].AggregateVersion != 1 {
		t.Fatalf("got %+v %v", res, err)
	}
	if after.Count != 3 {
		t.Errorf("the decision's aggregate holds count %d after the append, want 3 folded in", after.Count)
	}
	if err := nc.Flush(); err != nil {
		t.Fatal(err)
	}
	if got := gets.Load(); got != 0 {
		t.Errorf("the create made %d direct gets, want none", got)
	}

	var c counter
	loaded, err := s.Load(ctx, ref, &c)
	if err != nil || c.Count != 3 || loaded.Seq != res.Position || loaded.Version != 1 {
		t.Fatalf("loaded %+v %+v %v, want count 3 at %d", c, loaded, err, res.Position)
	}
	if err := nc.Flush(); err != nil {
		t.Fatal(err)
	}
	if gets.Load() == 0 {
		t.Error("a load made no direct get either: the count sees nothing")
	}
}

func TestCreateOverExistingEventsDecidesOnThem(t *testing.T) {
	js, _ := newJS(t, "always")
	ctx := context.Background()
	ref := newRef()
	// Another store (another process) wrote first: this one knows nothing.
	if _, _, err := eventstore.Update(ctx, openStore(t, js), ref, eventstore.EventsOnly(func(*counter) ([]events.Event, error) { return []events.Event{inc(1)}, nil })); err != nil {
		t.Fatal(err)
	}
	s := openStore(t, js)
	exists := apperr.New(apperr.KindConflict, "exists", "already there")
	decisions := 0
	_, _, err := eventstore.Create(ctx, s, ref, eventstore.EventsOnly(func(c *counter) ([]events.Event, error) {
		decisions++
		if c.Count > 0 {
			return nil, exists
		}
		return []events.Event{inc(5)}, nil
	}))
	if !errors.Is(err, exists) || decisions != 2 {
		t.Fatalf("got %v after %d decisions, want the refusal on the second", err, decisions)
	}
	var c counter
	if _, err := s.Load(ctx, ref, &c); err != nil || c.Count != 1 {
		t.Fatalf("count %d %v, want the first writer's 1 alone", c.Count, err)
	}
}

func TestKnownIsTheStateThisProcessSaw(t *testing.T) {
	js, nc := newJS(t, "always")
	s := openStore(t, js)
	ctx := context.Background()
	ref := newRef()
	var c counter
	if s.Known(ref, &c) {
		t.Fatal("an aggregate never seen is known")
	}
	if _, _, err := eventstore.Update(ctx, s, ref, eventstore.EventsOnly(func(*counter) ([]events.Event, error) { return []events.Event{inc(2)}, nil })); err != nil {
		t.Fatal(err)
	}
	gets := directGets(t, nc)
	if !s.Known(ref, &c) || c.Count != 2 {
		t.Fatalf("known %+v, want count 2", c)
	}
	if err := nc.Flush(); err != nil {
		t.Fatal(err)
	}
	if got := gets.Load(); got != 0 {
		t.Errorf("Known made %d direct gets, want none", got)
	}
}
