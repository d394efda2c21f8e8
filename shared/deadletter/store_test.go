package deadletter_test

import (
	"context"
	"testing"
	"time"

	"github.com/chatbotsaas/chatbot/events"
	"github.com/chatbotsaas/chatbot/shared/deadletter"
	"github.com/chatbotsaas/chatbot/shared/testkit"
)

func TestParkingAgain(t *testing.T) {
	db := testkit.NewDatabase(t)
	ctx := context.Background()
	park := func(pos uint64, reason string) deadletter.Letter {
		l := deadletter.New(deadletter.KindProjection, "notes", pos, "events.t1.note.n1.Noted", []byte("{}"), reason, 2)
		if err := deadletter.Park(ctx, db.Pool, l); err != nil {
			t.Fatal(err)
		}
		got, _, err := deadletter.List(ctx, db.Pool, deadletter.Filter{Consumer: "notes", Limit: 10})
		if err != nil {
			t.Fatal(err)
		}
		for _, g := range got {
			if g.Position == pos {
				return g
			}
		}
		t.Fatalf("nothing at %d", pos)
		return deadletter.Letter{}
	}
	admin := events.Actor{Type: events.ActorUser, ID: "a1"}

	t.Run("an open letter parked again keeps its row, with the new failure", func(t *testing.T) {
		first := park(1, "first")
		again := park(1, "second")
		if again.ID != first.ID || !again.Open() || again.Error != "second" || again.Attempts != 4 || again.LastTriedAt == nil {
			t.Errorf("parked again: %+v", again)
		}
	})
	t.Run("a retried letter that fails again opens again", func(t *testing.T) {
		first := park(2, "first")
		if err := deadletter.Resolve(ctx, db.Pool, first.ID, deadletter.Retried, admin); err != nil {
			t.Fatal(err)
		}
		again := park(2, "failed in a rebuild")
		if again.ID != first.ID || !again.Open() || again.Error != "failed in a rebuild" || again.Attempts != 4 {
			t.Errorf("parked again after a retry: %+v", again)
		}
	})
	t.Run("a discarded letter stays discarded", func(t *testing.T) {
		first := park(3, "first")
		if err := deadletter.Resolve(ctx, db.Pool, first.ID, deadletter.Discarded, admin); err != nil {
			t.Fatal(err)
		}
		if again := park(3, "again"); again.Open() || *again.Resolution != deadletter.Discarded || again.Error != "first" {
			t.Errorf("parked again after a discard: %+v", again)
		}
	})
	t.Run("an empty task message parks with the platform tenant and its subject as type", func(t *testing.T) {
		l := deadletter.New(deadletter.KindTask, "unlock_timers", 9, "timers.due.unlock.t1.u1", nil, "no such user", 5)
		if err := deadletter.Park(ctx, db.Pool, l); err != nil {
			t.Fatal(err)
		}
		got, err := deadletter.Get(ctx, db.Pool, l.ID)
		d := got.Detailed()
		if err != nil || got.TenantID != events.PlatformTenant || got.EventType != "timers.due.unlock.t1.u1" || d.Envelope != nil || d.Payload != nil {
			t.Errorf("got %+v %v", got, err)
		}
	})
	t.Run("an id that is no uuid is not found", func(t *testing.T) {
		if _, err := deadletter.Get(ctx, db.Pool, "nope"); err != deadletter.ErrNotFound {
			t.Errorf("got %v", err)
		}
	})
}

func TestARebuildResolvesTheLettersItApplied(t *testing.T) {
	db := testkit.NewDatabase(t)
	ctx := context.Background()
	park := func(consumer string, pos uint64) string {
		l := deadletter.New(deadletter.KindProjection, consumer, pos, "events.t1.note.n1.Noted", []byte("{}"), "failed", 5)
		if err := deadletter.Park(ctx, db.Pool, l); err != nil {
			t.Fatal(err)
		}
		return l.ID
	}
	applied, beyond, other := park("notes", 1), park("notes", 9), park("other", 1)
	failedAgain := park("notes", 2)
	var started time.Time
	if err := db.Pool.QueryRow(ctx, "SELECT now()").Scan(&started); err != nil {
		t.Fatal(err)
	}
	park("notes", 2) // the rebuild meets it and fails again
	parkedMeanwhile := park("notes", 3)

	n, err := deadletter.ResolveRebuilt(ctx, db.Pool, "notes", started, 5)
	if err != nil || n != 1 {
		t.Fatalf("resolved %d, %v; want 1", n, err)
	}
	for id, open := range map[string]bool{applied: false, beyond: true, other: true, failedAgain: true, parkedMeanwhile: true} {
		l, err := deadletter.Get(ctx, db.Pool, id)
		if err != nil || l.Open() != open {
			t.Errorf("letter at %d of %s: open %v, want %v (%v)", l.Position, l.Consumer, l.Open(), open, err)
		}
		if !open && (*l.Resolution != deadletter.Retried || *l.ResolvedBy != deadletter.Rebuilt) {
			t.Errorf("resolved as %v by %v", *l.Resolution, *l.ResolvedBy)
		}
	}
}
