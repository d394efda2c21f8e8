package eventstore_test

import (
	"context"
	"slices"
	"testing"

	"github.com/chatbotsaas/chatbot/command/eventstore"
	"github.com/chatbotsaas/chatbot/events"
)

// A decision in a scope is made again when another writer (here a second
// store, as another process would be) changed any aggregate of the scope
// after the decision began, not only the aggregate it appends to.
func TestUpdateInScopeDecidesAgainWhenTheScopeChanged(t *testing.T) {
	js, _ := newJS(t, "always")
	s, other := openStore(t, js), openStore(t, js)
	ctx := context.Background()
	scope := eventstore.Scope{Tenant: "t1", Type: "counter"}
	a, b := newRef(), newRef()
	if _, err := other.Append(ctx, b, eventstore.Loaded{}, inc(1)); err != nil {
		t.Fatal(err)
	}

	decisions := 0
	count, res, err := eventstore.UpdateInScope(ctx, s, scope, a, func(c *counter) (*counter, []events.Event, error) {
		decisions++
		if decisions == 1 { // another process writes in the scope meanwhile
			var bs counter
			loaded, err := other.Load(ctx, b, &bs)
			if err != nil {
				t.Fatal(err)
			}
			if _, err := other.Append(ctx, b, loaded, inc(1)); err != nil {
				t.Fatal(err)
			}
		}
		return c, []events.Event{inc(1)}, nil
	})
	if err != nil || decisions != 2 || len(res.Envelopes) != 1 {
		t.Fatalf("got %v after %d decisions (%d appended), want one append after 2 decisions", err, decisions, len(res.Envelopes))
	}
	if count.Count != 1 {
		t.Errorf("the last decision's aggregate holds count %d, want its append folded in", count.Count)
	}

	ids, err := s.IDs(ctx, scope, incType)
	if err != nil {
		t.Fatal(err)
	}
	slices.Sort(ids)
	want := []string{a.ID, b.ID}
	slices.Sort(want)
	if !slices.Equal(ids, want) {
		t.Errorf("IDs = %v, want %v", ids, want)
	}
}

// An append to an aggregate outside the scope does not disturb it.
func TestUpdateInScopeIgnoresOtherScopes(t *testing.T) {
	js, _ := newJS(t, "always")
	s, other := openStore(t, js), openStore(t, js)
	ctx := context.Background()
	decisions := 0
	_, _, err := eventstore.UpdateInScope(ctx, s, eventstore.Scope{Tenant: "t1", Type: "counter"}, newRef(), eventstore.EventsOnly(func(c *counter) ([]events.Event, error) {
		decisions++
		if decisions == 1 {
			if _, err := other.Append(ctx, eventstore.Ref{Tenant: "t2", Type: "counter", ID: "x"}, eventstore.Loaded{}, inc(1)); err != nil {
				t.Fatal(err)
			}
		}
		return []events.Event{inc(1)}, nil
	}))
	if err != nil || decisions != 1 {
		t.Fatalf("got %v after %d decisions, want one", err, decisions)
	}
}
