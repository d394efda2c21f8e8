package events_test

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/chatbotsaas/chatbot/events"
	"github.com/chatbotsaas/chatbot/shared/testkit"
)

// tailStream is an EVENTS stream on an embedded server.
type tailStream struct {
	js     jetstream.JetStream
	stream jetstream.Stream
	n      int
}

func newTailStream(t *testing.T) *tailStream {
	t.Helper()
	js, err := jetstream.New(testkit.StartNATS(t).Conn)
	if err != nil {
		t.Fatal(err)
	}
	s, err := events.EnsureStream(context.Background(), js, 1)
	if err != nil {
		t.Fatal(err)
	}
	return &tailStream{js: js, stream: s}
}

// append stores one event and returns its position.
func (s *tailStream) append(t *testing.T, tenant, typ string) uint64 {
	t.Helper()
	s.n++
	env := events.Envelope{ID: fmt.Sprintf("e%d", s.n), Type: typ, Version: 1, OccurredAt: time.Now().UTC(),
		TenantID: tenant, AggregateType: "user", AggregateID: "u1", AggregateVersion: int64(s.n),
		Actor: events.Actor{Type: events.ActorUser, ID: "u9"}, Data: json.RawMessage(`{"name":"pii1:c2VhbGVk"}`)}
	b, err := env.Marshal()
	if err != nil {
		t.Fatalf("encode the envelope: %v", err)
	}
	ack, err := s.js.Publish(context.Background(), env.Subject(), b)
	if err != nil {
		t.Fatal(err)
	}
	return ack.Sequence
}

func (s *tailStream) consumers(t *testing.T) int {
	t.Helper()
	info, err := s.stream.Info(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return info.State.Consumers
}

// tail runs a tail that ends by itself and returns the positions it read.
func (s *tailStream) tail(t *testing.T, o events.TailOptions) []uint64 {
	t.Helper()
	var got []uint64
	err := events.Tail(context.Background(), s.js, o, func(pos uint64, raw []byte) error {
		if _, err := events.Unmarshal(raw, pos); err != nil {
			t.Errorf("position %d: %v", pos, err)
		}
		got = append(got, pos)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return got
}

func TestTailReadsToTheEndInOrderAndLeavesNoConsumer(t *testing.T) {
	s := newTailStream(t)
	var all []uint64
	for range 5 {
		all = append(all, s.append(t, "acme", events.UserRegistered))
	}
	before := s.consumers(t)
	if got := s.tail(t, events.TailOptions{}); !slices.Equal(got, all) {
		t.Errorf("got %v, want %v", got, all)
	}
	if after := s.consumers(t); after != before {
		t.Errorf("consumers: %d after the tail, %d before", after, before)
	}
}

func TestTailFilters(t *testing.T) {
	s := newTailStream(t)
	p1 := s.append(t, "acme", events.UserRegistered)
	p2 := s.append(t, "globex", events.UserRegistered)
	p3 := s.append(t, "acme", events.LoginFailed)
	p4 := s.append(t, "globex", events.AccountLocked)
	p5 := s.append(t, "acme", events.AccountLocked)
	cases := []struct {
		name string
		opts events.TailOptions
		want []uint64
	}{
		{"by tenant", events.TailOptions{Tenant: "acme"}, []uint64{p1, p3, p5}},
		{"by types", events.TailOptions{Types: []string{events.LoginFailed, events.AccountLocked}}, []uint64{p3, p4, p5}},
		{"by tenant and type", events.TailOptions{Tenant: "globex", Types: []string{events.AccountLocked}}, []uint64{p4}},
		{"by raw subject", events.TailOptions{Subject: "events.*.user.u1.UserRegistered"}, []uint64{p1, p2}},
		{"from a position", events.TailOptions{FromPosition: p3}, []uint64{p3, p4, p5}},
		{"from a position past the end", events.TailOptions{FromPosition: p5 + 1}, nil},
		{"matching nothing", events.TailOptions{Types: []string{events.UserDeleted}}, nil},
	}
	before := s.consumers(t)
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if got := s.tail(t, tc.opts); !slices.Equal(got, tc.want) {
				t.Errorf("got %v, want %v", got, tc.want)
			}
		})
	}
	if after := s.consumers(t); after != before {
		t.Errorf("consumers: %d after the tails, %d before", after, before)
	}
}

func TestTailSinceStartsAtTheStoredTime(t *testing.T) {
	s := newTailStream(t)
	old := s.append(t, "acme", events.UserRegistered)
	oldAt := storedAt(t, s, old)
	// The server stamps messages with its clock: wait until it has moved on.
	for storedAt(t, s, s.append(t, "acme", events.LoginFailed)).Sub(oldAt) < 200*time.Millisecond {
		time.Sleep(50 * time.Millisecond)
	}
	recent := s.append(t, "acme", events.LoginSucceeded)
	since := time.Since(oldAt) - 100*time.Millisecond // between old and recent
	got := s.tail(t, events.TailOptions{Since: since, Types: []string{events.UserRegistered, events.LoginSucceeded}})
	if !slices.Equal(got, []uint64{recent}) {
		t.Errorf("got %v, want only %d (not %d)", got, recent, old)
	}
}

func storedAt(t *testing.T, s *tailStream, pos uint64) time.Time {
	t.Helper()
	m, err := s.stream.GetMsg(context.Background(), pos)
	if err != nil {
		t.Fatal(err)
	}
	return m.Time
}

func TestTailStopsAtTheEndAsItWasAtStart(t *testing.T) {
	s := newTailStream(t)
	first := s.append(t, "acme", events.UserRegistered)
	second := s.append(t, "acme", events.UserRegistered)
	var got []uint64
	err := events.Tail(context.Background(), s.js, events.TailOptions{}, func(pos uint64, _ []byte) error {
		if pos == first { // an event appended while the tail reads
			s.append(t, "acme", events.UserRegistered)
		}
		got = append(got, pos)
		return nil
	})
	if err != nil || !slices.Equal(got, []uint64{first, second}) {
		t.Errorf("got %v %v, want %d and %d only", got, err, first, second)
	}
}

func TestTailFollowSeesNewEventsUntilCancelled(t *testing.T) {
	s := newTailStream(t)
	first := s.append(t, "acme", events.UserRegistered)
	before := s.consumers(t)
	ctx, cancel := context.WithCancel(context.Background())
	seen := make(chan uint64, 10)
	done := make(chan error, 1)
	go func() {
		done <- events.Tail(ctx, s.js, events.TailOptions{Follow: true}, func(pos uint64, _ []byte) error {
			seen <- pos
			return nil
		})
	}()
	if got := waitPosition(t, seen); got != first {
		t.Fatalf("first event at %d, want %d", got, first)
	}
	next := s.append(t, "acme", events.LoginFailed)
	if got := waitPosition(t, seen); got != next {
		t.Fatalf("next event at %d, want %d", got, next)
	}
	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("a cancelled follow returned %v", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("the follow did not end within 10s of its cancellation")
	}
	if after := s.consumers(t); after != before {
		t.Errorf("consumers: %d after the follow, %d before", after, before)
	}
}

func waitPosition(t *testing.T, seen <-chan uint64) uint64 {
	t.Helper()
	select {
	case pos := <-seen:
		return pos
	case <-time.After(10 * time.Second):
		t.Fatal("no event within 10s")
		return 0
	}
}

func TestTailWithoutTheStreamSaysSo(t *testing.T) {
	js, err := jetstream.New(testkit.StartNATS(t).Conn)
	if err != nil {
		t.Fatalf("connect JetStream: %v", err)
	}
	err = events.Tail(context.Background(), js, events.TailOptions{}, func(uint64, []byte) error { return nil })
	if err == nil {
		t.Fatal("a tail without the stream succeeded")
	}
}
