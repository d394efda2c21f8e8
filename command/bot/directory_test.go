package bot

import (
	"context"
	"errors"
	"log/slog"
	"slices"
	"testing"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/chatbotsaas/chatbot/command/devseed"
	"github.com/chatbotsaas/chatbot/command/domain/chatbot"
	"github.com/chatbotsaas/chatbot/command/domain/company"
	"github.com/chatbotsaas/chatbot/command/eventstore"
	"github.com/chatbotsaas/chatbot/events"
	"github.com/chatbotsaas/chatbot/shared/apperr"
	"github.com/chatbotsaas/chatbot/shared/testkit"
)

// world is a stream seeded with chatbots and keys, and a store over it.
type world struct {
	js    jetstream.JetStream
	store *eventstore.Store
	seed  devseed.Options
}

func seeded(t *testing.T, o devseed.Options) world {
	t.Helper()
	n := testkit.StartNATSWithSync(t, "1m")
	js, err := jetstream.New(n.Conn)
	if err != nil {
		t.Fatal(err)
	}
	store, err := eventstore.Open(context.Background(), js, eventstore.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := devseed.Run(context.Background(), js, o); err != nil {
		t.Fatal(err)
	}
	return world{js: js, store: store, seed: o}
}

// directory starts a directory over the world's stream, as a process does.
func (w world) directory(t *testing.T, every uint64) *Directory {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	d := NewDirectory()
	d.snapshotEvery = every
	if err := d.Follow(ctx, w.js, 1, slog.New(slog.DiscardHandler)); err != nil {
		t.Fatal(err)
	}
	return d
}

// change decides on an aggregate's current state and appends the decision.
func change[T any, A interface {
	*T
	eventstore.Aggregate
}](t *testing.T, s *eventstore.Store, ref eventstore.Ref, decide func(A) ([]events.Event, error)) uint64 {
	t.Helper()
	agg := A(new(T))
	loaded, err := s.Load(context.Background(), ref, agg)
	if err != nil {
		t.Fatal(err)
	}
	evs, err := decide(agg)
	if err != nil {
		t.Fatal(err)
	}
	res, err := s.Append(context.Background(), ref, loaded, evs...)
	if err != nil {
		t.Fatal(err)
	}
	return res.Position
}

func botRef(seed string, b, tenants int) eventstore.Ref {
	return eventstore.Ref{Tenant: devseed.TenantID(seed, b%tenants), Type: events.AggregateChatbot, ID: devseed.ChatbotID(seed, b)}
}

// outcome is what a call with the key would meet now: "ok", "unknown" (no
// live key has its hash: a revoked key is forgotten) or the refusal's code.
func outcome(t *testing.T, d *Directory, key string) string {
	t.Helper()
	f, ok, err := d.Lookup(context.Background(), chatbot.HashKey(key))
	if err != nil {
		t.Fatal(err)
	}
	if !ok {
		return "unknown"
	}
	var ae *apperr.Error
	if err := refusal(f, time.Now()); errors.As(err, &ae) {
		return ae.Code
	}
	return "ok"
}

func TestADirectoryFromASnapshotAndItsTailEqualsOneFromTheWholeStream(t *testing.T) {
	o := devseed.Options{Tenants: 3, Chatbots: 40, KeysPerChatbot: 3, Seed: "t"}
	w := seeded(t, o)
	first := w.directory(t, 1) // reads the whole stream and writes a snapshot
	waitFor(t, "the snapshot", func() bool { return first.snapshots.keys.Load() == 120 })

	// Keys issued after the snapshot: the tail.
	var later []string
	for b := range 5 {
		key := devseed.Key("later", b, 0)
		later = append(later, key)
		change(t, w.store, botRef(o.Seed, b, o.Tenants), func(c *chatbot.Chatbot) ([]events.Event, error) {
			return c.IssueKey(time.Now(), "k-later", "later", chatbot.HashKey(key), key[:8], key[len(key)-4:], nil)
		})
	}
	fromSnapshot := w.directory(t, 1<<62)
	if got := fromSnapshot.snapshots.keys.Load(); got != 120 {
		t.Fatalf("the second directory did not start from the snapshot: it read %d keys from it", got)
	}
	if err := w.js.DeleteObjectStore(context.Background(), SnapshotBucket); err != nil {
		t.Fatal(err)
	}
	whole := w.directory(t, 1<<62)
	if whole.snapshots.keys.Load() != 0 {
		t.Fatal("the third directory read a snapshot")
	}

	a, b := fromSnapshot.keys.view(), whole.keys.view()
	if a.position != b.position || !slices.Equal(a.prefixes, b.prefixes) || len(a.owners) != len(b.owners) {
		t.Fatalf("indexes differ: position %d/%d, %d/%d keys, %d/%d chatbots",
			a.position, b.position, len(a.prefixes), len(b.prefixes), len(a.owners), len(b.owners))
	}
	for i := range a.prefixes {
		if a.owners[a.numbered[i]] != b.owners[b.numbered[i]] {
			t.Fatalf("key %d has owner %v from the snapshot, %v from the stream", i, a.owners[a.numbered[i]], b.owners[b.numbered[i]])
		}
	}
	for _, key := range append(later, devseed.Key(o.Seed, 0, 0), devseed.Key(o.Seed, 39, 2), devseed.Key(o.Seed, 40, 0)) {
		if x, y := outcome(t, fromSnapshot, key), outcome(t, whole, key); x != y {
			t.Errorf("key %s…: %s from the snapshot, %s from the stream", key[:8], x, y)
		}
	}
	if got := outcome(t, fromSnapshot, later[4]); got != "ok" {
		t.Errorf("a key of the tail: %s", got)
	}
}

func waitFor(t *testing.T, what string, done func() bool) {
	t.Helper()
	for deadline := time.Now().Add(10 * time.Second); !done(); time.Sleep(5 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("%s did not happen", what)
		}
	}
}

// other is a second process's directory.
func (w world) other(t *testing.T) *Directory {
	t.Helper()
	return w.directory(t, 1<<62)
}

func TestAChangeThroughAnyProcessCountsFromTheNextCallInEveryOther(t *testing.T) {
	o := devseed.Options{Tenants: 2, Chatbots: 4, KeysPerChatbot: 2, Seed: "x"}
	w := seeded(t, o)
	writer, d := w.other(t), w.other(t)
	settled(writer)
	bot0, bot1 := botRef(o.Seed, 0, o.Tenants), botRef(o.Seed, 1, o.Tenants)
	key0, spare0, key1 := devseed.Key(o.Seed, 0, 0), devseed.Key(o.Seed, 0, 1), devseed.Key(o.Seed, 1, 0)
	for _, k := range []string{key0, key1} {
		if got := outcome(t, d, k); got != "ok" {
			t.Fatalf("a seeded key: %s", got)
		}
	}
	steps := []struct {
		name string
		act  func() uint64 // the change's position, 0 for none
		key  string
		want string
	}{
		{"a revoked key", func() uint64 {
			return change(t, w.store, bot0, func(c *chatbot.Chatbot) ([]events.Event, error) { return c.RevokeKey(c.Keys[0].ID) })
		}, key0, "unknown"}, // forgotten: the call meets an unknown key's 401
		{"another key of the chatbot", func() uint64 { return 0 }, spare0, "ok"},
		{"a paused chatbot", func() uint64 {
			return change(t, w.store, bot0, func(c *chatbot.Chatbot) ([]events.Event, error) {
				return c.Update(chatbot.Patch{Status: new(chatbot.StatusPaused)})
			})
		}, spare0, "chatbot_paused"},
		{"a deleted chatbot", func() uint64 {
			return change(t, w.store, bot0, func(c *chatbot.Chatbot) ([]events.Event, error) { return c.Delete() })
		}, spare0, "unknown"}, // its keys are forgotten with it
		{"a suspended company", func() uint64 {
			ref := eventstore.Ref{Tenant: bot1.Tenant, Type: events.AggregateCompany, ID: bot1.Tenant}
			return change(t, w.store, ref, func(c *company.Company) ([]events.Event, error) { return c.SetStatus(company.StatusSuspended) })
		}, key1, "unauthenticated"},
		{"a chatbot of another company", func() uint64 { return 0 }, devseed.Key(o.Seed, 2, 0), "ok"},
	}
	for _, s := range steps {
		// As a command does: the change answers once every process
		// serving calls has applied it.
		if pos := s.act(); pos > 0 {
			if c, err := writer.Confirm(context.Background(), pos); err != nil || !c.All {
				t.Fatalf("%s: not confirmed by every process: %+v %v", s.name, c, err)
			}
		}
		if got := outcome(t, d, s.key); got != s.want {
			t.Errorf("%s, next call: %s, want %s", s.name, got, s.want)
		}
	}
	issued := devseed.Key("new", 0, 0)
	change(t, w.store, botRef(o.Seed, 2, o.Tenants), func(c *chatbot.Chatbot) ([]events.Event, error) {
		return c.IssueKey(time.Now(), "k-new", "new", chatbot.HashKey(issued), issued[:8], issued[len(issued)-4:], nil)
	})
	if got := outcome(t, d, issued); got != "ok" {
		t.Errorf("a key issued a moment ago through another process: %s", got)
	}
	if got := outcome(t, d, devseed.Key("never", 0, 0)); got != "unknown" {
		t.Errorf("a key never issued: %s", got)
	}
}

func TestTheDirectoryHoldsTheChatbotAsTheDomainFoldsIt(t *testing.T) {
	o := devseed.Options{Tenants: 1, Chatbots: 1, KeysPerChatbot: 1, Seed: "f"}
	w := seeded(t, o)
	d := w.other(t)
	key := devseed.Key(o.Seed, 0, 0)
	settings := events.ChatbotSettings{FallbackReply: "Pardon?", Replies: []events.KeywordReply{{Keywords: []string{"refund"}, Reply: "Within 30 days."}}}
	n := 7
	change(t, w.store, botRef(o.Seed, 0, 1), func(c *chatbot.Chatbot) ([]events.Event, error) {
		return c.Update(chatbot.Patch{Name: new("Renamed"), Settings: &settings})
	})
	pos := change(t, w.store, botRef(o.Seed, 0, 1), func(c *chatbot.Chatbot) ([]events.Event, error) {
		return c.SetLimits(events.Limits{RequestsPerMinute: &n})
	})
	if c, err := settled(d).Confirm(context.Background(), pos); err != nil || !c.All {
		t.Fatalf("not confirmed: %+v (%v)", c, err)
	}
	f, ok, err := d.Lookup(context.Background(), chatbot.HashKey(key))
	if err != nil || !ok {
		t.Fatalf("lookup: %v %v", ok, err)
	}
	if chatbot.Reply(f.Chatbot.Settings, "a REFUND please") != "Within 30 days." || f.Chatbot.Status != chatbot.StatusActive ||
		f.Chatbot.Limits.RequestsPerMinute == nil || *f.Chatbot.Limits.RequestsPerMinute != 7 {
		t.Errorf("the chatbot as the directory holds it: %+v", *f.Chatbot)
	}
	if f.Key.ID != devseed.KeyID(o.Seed, 0, 0) || f.Key.Hash != chatbot.HashKey(key) || f.Company.Name != "Seeded 0" {
		t.Errorf("the key and company: %+v %+v", f.Key, *f.Company)
	}
}
