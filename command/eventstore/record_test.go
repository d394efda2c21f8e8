package eventstore_test

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/chatbotsaas/chatbot/command/eventstore"
	"github.com/chatbotsaas/chatbot/events"
)

// storedEnvelopes reads every message of the stream, oldest first.
func storedEnvelopes(t *testing.T, js jetstream.JetStream) ([]events.Envelope, []*jetstream.RawStreamMsg) {
	t.Helper()
	ctx := context.Background()
	stream, err := js.Stream(ctx, events.StreamName)
	if err != nil {
		t.Fatal(err)
	}
	info, err := stream.Info(ctx)
	if err != nil {
		t.Fatal(err)
	}
	var envs []events.Envelope
	var raws []*jetstream.RawStreamMsg
	for seq := info.State.FirstSeq; seq <= info.State.LastSeq && info.State.Msgs > 0; seq++ {
		raw, err := stream.GetMsg(ctx, seq)
		if err != nil {
			t.Fatal(err)
		}
		env, err := events.Unmarshal(raw.Data, seq)
		if err != nil {
			t.Fatal(err)
		}
		envs = append(envs, env)
		raws = append(raws, raw)
	}
	return envs, raws
}

// Many writers record to one aggregate at once: none is refused, every
// event is stored with aggregate_version 0 and without a concurrency check.
func TestRecordAppendsWithoutAVersionCheck(t *testing.T) {
	js, _ := newJS(t, "always")
	stores := []*eventstore.Store{openStore(t, js), openStore(t, js)}
	ref := newRef()
	const n = 40
	var wg sync.WaitGroup
	errs := make(chan error, n)
	for i := range n {
		wg.Go(func() {
			_, err := stores[i%2].Record(context.Background(), ref, fmt.Sprint("rec-", i), inc(1))
			errs <- err
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatalf("record: %v", err)
		}
	}
	envs, raws := storedEnvelopes(t, js)
	if len(envs) != n {
		t.Fatalf("stream holds %d events, want %d", len(envs), n)
	}
	for i, env := range envs {
		if env.AggregateVersion != 0 || env.AggregateID != ref.ID {
			t.Fatalf("event %d: aggregate %s version %d; want %s version 0", i, env.AggregateID, env.AggregateVersion, ref.ID)
		}
		if raws[i].Header.Get(jetstream.ExpectedLastSubjSeqHeader) != "" {
			t.Fatalf("event %d was published with a concurrency check", i)
		}
	}
}

// A record sent again under the same id (a retry after a lost
// acknowledgement) is stored once and answers the stored position.
func TestRecordWithTheSameIDIsStoredOnce(t *testing.T) {
	js, _ := newJS(t, "always")
	s := openStore(t, js)
	ctx := context.Background()
	ref := newRef()
	first, err := s.Record(ctx, ref, "flush-1/key", inc(2))
	if err != nil {
		t.Fatal(err)
	}
	again, err := s.Record(ctx, ref, "flush-1/key", inc(2))
	if err != nil {
		t.Fatal(err)
	}
	if again.Position != first.Position {
		t.Fatalf("retry answered position %d, want the stored %d", again.Position, first.Position)
	}
	// Several events under one id: a retry of a partly stored call
	// completes it without a copy.
	if _, err := s.Record(ctx, ref, "flush-2/key", inc(1), inc(1)); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Record(ctx, ref, "flush-2/key", inc(1), inc(1), inc(1)); err != nil {
		t.Fatal(err)
	}
	envs, raws := storedEnvelopes(t, js)
	if len(envs) != 4 {
		t.Fatalf("stream holds %d events, want 4", len(envs))
	}
	want := []string{"flush-1/key", "flush-2/key", "flush-2/key#1", "flush-2/key#2"}
	for i, raw := range raws {
		if got := raw.Header.Get(jetstream.MsgIDHeader); got != want[i] {
			t.Errorf("event %d: Nats-Msg-Id %q, want %q", i, got, want[i])
		}
	}
	// The aggregate loads with every recorded event.
	var c counter
	if _, err := s.Load(ctx, ref, &c); err != nil || c.Count != 5 {
		t.Fatalf("loaded count %d (%v), want 5", c.Count, err)
	}
}

func TestRecordNeedsAnIDAndAValidRef(t *testing.T) {
	js, _ := newJS(t, "always")
	s := openStore(t, js)
	if _, err := s.Record(context.Background(), newRef(), "", inc(1)); !errors.Is(err, eventstore.ErrNoMsgID) {
		t.Fatalf("no id: %v, want ErrNoMsgID", err)
	}
	if _, err := s.Record(context.Background(), eventstore.Ref{Tenant: "t1", Type: "counter", ID: "a.b"}, "x", inc(1)); err == nil {
		t.Fatal("a ref that cannot be a subject was accepted")
	}
	if _, err := s.Record(context.Background(), newRef(), "x", events.Event{Type: "Unknown", Data: struct{}{}}); err == nil {
		t.Fatal("an unregistered type was accepted")
	}
}
