package projector

import (
	"context"
	"errors"
	"sync/atomic"
	"testing"
	"time"

	"github.com/chatbotsaas/chatbot/events"
	"github.com/chatbotsaas/chatbot/shared/deadletter"
)

// flakyNotes is the notes projection whose Noted reducer fails while broken.
func flakyNotes(broken *atomic.Bool) Projection {
	p := notesProjection()
	apply := p.Reducers[notedType]
	p.Reducers[notedType] = func(b *Batch, e events.Envelope, data any) error {
		if broken.Load() {
			return errors.New("the reducer is broken")
		}
		return apply(b, e, data)
	}
	return p
}

// waitParked returns the dead letter the projection parked at pos.
func (e *env) waitParked(consumer string, pos uint64) deadletter.Letter {
	e.t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		items, _, err := deadletter.List(context.Background(), e.db.Pool, deadletter.Filter{Consumer: consumer, Limit: 10})
		if err != nil {
			e.t.Fatal(err)
		}
		for _, l := range items {
			if l.Position == pos {
				return l
			}
		}
		if time.Now().After(deadline) {
			e.t.Fatalf("nothing parked at %d: %v", pos, items)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func TestARetriedDeadLetterIsAppliedOnce(t *testing.T) {
	e := newEnv(t)
	var broken atomic.Bool
	broken.Store(true)
	e.runner(e.js, Options{MaxAttempts: 2}, flakyNotes(&broken))
	pos := e.note("parked")
	parked := e.waitParked("notes", pos)
	if parked.Kind != deadletter.KindProjection || parked.EventType != notedType || parked.Attempts != 2 || !parked.Open() {
		t.Fatalf("parked: %+v", parked)
	}
	ctx := context.Background()
	admin := events.Actor{Type: "user", ID: "admin-1"}
	req := deadletter.RetryRequest{ID: parked.ID, Actor: admin}

	t.Run("a retry that fails again leaves it open and counts the attempt", func(t *testing.T) {
		got, err := deadletter.Ask(ctx, e.js.Conn(), "notes", req)
		if err != nil || got.Outcome != deadletter.Failed || got.Error != "the reducer is broken" {
			t.Fatalf("got %+v, %v; want failed", got, err)
		}
		l, err := deadletter.Get(ctx, e.db.Pool, parked.ID)
		if err != nil {
			t.Fatalf("read the dead letter: %v", err)
		}
		if !l.Open() || l.Attempts != 3 || l.LastTriedAt == nil {
			t.Errorf("after a failed retry: %+v", l)
		}
	})
	t.Run("a retry once it can apply applies it and resolves it", func(t *testing.T) {
		broken.Store(false)
		got, err := deadletter.Ask(ctx, e.js.Conn(), "notes", req)
		if err != nil || got.Outcome != deadletter.Applied {
			t.Fatalf("got %+v, %v; want applied", got, err)
		}
		l, err := deadletter.Get(ctx, e.db.Pool, parked.ID)
		if err != nil {
			t.Fatalf("read the dead letter: %v", err)
		}
		if l.Open() || *l.Resolution != deadletter.Retried || *l.ResolvedBy != admin {
			t.Errorf("after the retry: %+v", l)
		}
	})
	t.Run("a second retry is refused and changes nothing", func(t *testing.T) {
		if _, err := deadletter.Ask(ctx, e.js.Conn(), "notes", req); !errors.Is(err, deadletter.ErrResolved) {
			t.Errorf("second retry: %v, want ErrResolved", err)
		}
		if n := e.count("parked"); n != 1 {
			t.Errorf("the note counted %d times, want 1", n)
		}
	})
	t.Run("an unknown letter is not found", func(t *testing.T) {
		unknown := deadletter.RetryRequest{ID: "0190a1b2-0000-7000-8000-000000000000", Actor: admin}
		if _, err := deadletter.Ask(ctx, e.js.Conn(), "notes", unknown); !errors.Is(err, deadletter.ErrNotFound) {
			t.Errorf("unknown: %v, want ErrNotFound", err)
		}
	})
	t.Run("a consumer no process runs has no owner", func(t *testing.T) {
		if _, err := deadletter.Ask(ctx, e.js.Conn(), "nobody", req); !errors.Is(err, deadletter.ErrNoOwner) {
			t.Errorf("no owner: %v, want ErrNoOwner", err)
		}
	})
}
