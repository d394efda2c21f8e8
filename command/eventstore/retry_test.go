package eventstore_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/chatbotsaas/chatbot/command/eventstore"
	"github.com/chatbotsaas/chatbot/events"
)

// attempt is one run of a request under an Idempotency-Key: the same key
// and first claim time on every retry.
func attempt(key string, at time.Time) context.Context {
	return events.WithIDSeed(context.Background(), events.NewIDSeed([]byte(key), at))
}

func streamMsgs(t *testing.T, js jetstream.JetStream) uint64 {
	t.Helper()
	stream, err := js.Stream(context.Background(), events.StreamName)
	if err != nil {
		t.Fatal(err)
	}
	return stream.CachedInfo().State.Msgs
}

func TestARetriedAppendUnderItsKeyAnswersTheStoredPosition(t *testing.T) {
	js, _ := newJS(t, "always")
	s := openStore(t, js)
	at := time.Now()
	ref := newRef()
	first, err := s.Append(attempt("k", at), ref, eventstore.Loaded{}, inc(1))
	if err != nil {
		t.Fatal(err)
	}
	again, err := s.Append(attempt("k", at), ref, eventstore.Loaded{}, inc(1))
	if err != nil || again.Position != first.Position || again.Envelopes[0].ID != first.Envelopes[0].ID {
		t.Fatalf("the retry: %+v %v, first at %d", again, err, first.Position)
	}
	batchRef := newRef()
	batch, err := s.Append(attempt("b", at), batchRef, eventstore.Loaded{}, inc(1), inc(2))
	if err != nil {
		t.Fatal(err)
	}
	batchAgain, err := s.Append(attempt("b", at), batchRef, eventstore.Loaded{}, inc(1), inc(2))
	if err != nil || batchAgain.Position != batch.Position || batchAgain.Envelopes[0].Position != batch.Envelopes[0].Position {
		t.Fatalf("the batch's retry: %+v %v, first at %d", batchAgain, err, batch.Position)
	}
	if n := streamMsgs(t, js); n != 3 {
		t.Fatalf("stream holds %d messages, want 3", n)
	}
}

func TestARetryThatDecidesOtherwiseConflicts(t *testing.T) {
	js, _ := newJS(t, "always")
	s := openStore(t, js)
	at := time.Now()
	ref := newRef()
	if _, err := s.Append(attempt("k", at), ref, eventstore.Loaded{}, inc(1)); err != nil {
		t.Fatal(err)
	}
	for name, ctx := range map[string]context.Context{
		"other events":    attempt("k", at),
		"another key":     attempt("other", at),
		"no key":          context.Background(),
		"another claimed": attempt("k", at.Add(time.Second)),
	} {
		by := 1
		if name == "other events" {
			by = 2
		}
		if _, err := s.Append(ctx, ref, eventstore.Loaded{}, inc(by)); !errors.Is(err, eventstore.ErrConflict) {
			t.Errorf("%s: %v, want a conflict", name, err)
		}
	}
	if n := streamMsgs(t, js); n != 1 {
		t.Fatalf("stream holds %d messages, want 1", n)
	}
}
