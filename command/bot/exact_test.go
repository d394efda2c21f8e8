package bot

import (
	"context"
	"errors"
	"log/slog"
	"testing"
	"time"

	"github.com/chatbotsaas/chatbot/command/devseed"
	"github.com/chatbotsaas/chatbot/command/domain/chatbot"
	"github.com/chatbotsaas/chatbot/events"
	"github.com/chatbotsaas/chatbot/shared/apperr"
)

// stoppable starts a directory, as a process does, that the test can stop
// as a stalled process stops: no more events applied, announcements or
// renewals.
func (w world) stoppable(t *testing.T) (*Directory, context.CancelFunc) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	d := NewDirectory()
	if err := d.Follow(ctx, w.js, 1, slog.New(slog.DiscardHandler)); err != nil {
		t.Fatal(err)
	}
	return d, cancel
}

// settled waits until the directory has listened long enough to know every
// member: until then a change waits its whole bound.
func settled(d *Directory) *Directory {
	d.members.mu.Lock()
	wait := d.members.since + liveFor - d.members.now()
	d.members.mu.Unlock()
	time.Sleep(wait)
	return d
}

func TestAProcessThatCannotConfirmServesNoCallAndTheChangeAnswersWithinItsBound(t *testing.T) {
	o := devseed.Options{Tenants: 1, Chatbots: 2, KeysPerChatbot: 1, Seed: "s"}
	w := seeded(t, o)
	writer := w.other(t)
	stalled, stop := w.stoppable(t)
	key := devseed.Key(o.Seed, 0, 0)
	if got := outcome(t, stalled, key); got != "ok" {
		t.Fatalf("before the stall: %s", got)
	}
	// Both have been heard; a change confirms with both.
	settled(writer)
	pos := change(t, w.store, botRef(o.Seed, 1, 1), func(c *chatbot.Chatbot) ([]events.Event, error) {
		return c.Update(chatbot.Patch{Name: new("Renamed")})
	})
	if c, err := writer.Confirm(context.Background(), pos); err != nil || !c.All {
		t.Fatalf("a change with every process up: %+v (%v)", c, err)
	}

	stop()
	began := time.Now()
	pos = change(t, w.store, botRef(o.Seed, 0, 1), func(c *chatbot.Chatbot) ([]events.Event, error) { return c.RevokeKey(c.Keys[0].ID) })
	c, err := writer.Confirm(context.Background(), pos)
	if err != nil || c.All {
		t.Fatalf("a process that applies nothing confirmed: %+v %v", c, err)
	}
	if took := time.Since(began); took > confirmWithin+time.Second {
		t.Errorf("the wait was not bounded: %v", took)
	}
	// The stalled process has not applied the revocation: it refuses the
	// call rather than answer from what it knew.
	_, _, err = stalled.Lookup(context.Background(), chatbot.HashKey(key))
	var ae *apperr.Error
	if !errors.As(err, &ae) || ae.Kind != apperr.KindUnavailable {
		t.Fatalf("a call to the stalled process: %v", err)
	}
	if got := outcome(t, writer, key); got != "unknown" {
		t.Errorf("the revoked key in the process that revoked it: %s", got)
	}
}

func TestANewProcessIsWaitedForOnceHeard(t *testing.T) {
	o := devseed.Options{Tenants: 1, Chatbots: 1, KeysPerChatbot: 1, Seed: "n"}
	w := seeded(t, o)
	writer := w.other(t)
	settled(writer)
	late := w.other(t) // started after the writer: the writer hears it before it serves
	pos := change(t, w.store, botRef(o.Seed, 0, 1), func(c *chatbot.Chatbot) ([]events.Event, error) { return c.RevokeKey(c.Keys[0].ID) })
	if c, err := writer.Confirm(context.Background(), pos); err != nil || !c.All {
		t.Fatalf("not confirmed: %+v (%v)", c, err)
	}
	if got := outcome(t, late, devseed.Key(o.Seed, 0, 0)); got != "unknown" {
		t.Errorf("the revoked key in the newer process: %s", got)
	}
	writer.members.mu.Lock()
	_, heard := writer.members.seen[late.members.id]
	writer.members.mu.Unlock()
	if !heard {
		t.Error("the writer never heard of the newer process")
	}
}
