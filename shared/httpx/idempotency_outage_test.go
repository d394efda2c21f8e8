package httpx_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/chatbotsaas/chatbot/shared/httpx"
)

// retryUntilCreated retries key until it is answered 201; meanwhile only
// 409 (a claim not yet abandoned) or 503 (the broker) are acceptable.
func (s *idemServer) retryUntilCreated(t *testing.T, key string) answer {
	t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for {
		r := s.post(t, "/things/a", "ada", key, `{"name":"one"}`)
		switch {
		case r.status == 201:
			return r
		case r.status != 409 && r.status != 503:
			t.Fatalf("a retry: %d %s", r.status, r.body)
		case time.Now().After(deadline):
			t.Fatalf("still %d after 15 s: %s", r.status, r.body)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func waitStatus(t *testing.T, nc *nats.Conn, want nats.Status) {
	t.Helper()
	for deadline := time.Now().Add(10 * time.Second); nc.Status() != want; time.Sleep(10 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("NATS connection %v, want %v", nc.Status(), want)
		}
	}
}

func TestAClaimThatCannotBeWrittenFailsFirstAndIsNeverWrittenLater(t *testing.T) {
	s := startIdempotent(t, time.Second)
	s.proxy.Cut()
	waitStatus(t, s.nc, nats.RECONNECTING)
	r := s.post(t, "/things/a", "ada", "k-1", `{"name":"one"}`)
	if r.status != 503 || r.header.Get("Retry-After") == "" || s.creates.Load() != 0 {
		t.Fatalf("during the outage: %d %v %s, %d creates", r.status, r.header, r.body, s.creates.Load())
	}
	s.proxy.Restore()
	waitStatus(t, s.nc, nats.CONNECTED)
	if err := s.nc.Flush(); err != nil {
		t.Fatal(err)
	}
	if d := s.dump(t); d != "" {
		t.Errorf("a claim landed after its request failed:\n%s", d)
	}
	first := s.retryUntilCreated(t, "k-1")
	again := s.post(t, "/things/a", "ada", "k-1", `{"name":"one"}`)
	if again.body != first.body || s.creates.Load() != 1 {
		t.Errorf("after recovery: %s / %s, %d creates, want 1", first.body, again.body, s.creates.Load())
	}
}

// A broker that stops answering lets the claim time out; the write lands
// when it comes back, after the request failed. The claim carries its
// time, so it counts as abandoned and the retry takes it over.
func TestAClaimThatLandsLateIsTakenOver(t *testing.T) {
	s := startIdempotent(t, time.Second)
	s.proxy.Hold()
	r := s.post(t, "/things/a", "ada", "k-1", `{"name":"one"}`)
	if r.status != 503 || r.header.Get("Retry-After") == "" || s.creates.Load() != 0 {
		t.Fatalf("while NATS hangs: %d %s, %d creates", r.status, r.body, s.creates.Load())
	}
	s.proxy.Release()
	if err := s.nc.Flush(); err != nil {
		t.Fatal(err)
	}
	first := s.retryUntilCreated(t, "k-1")
	again := s.post(t, "/things/a", "ada", "k-1", `{"name":"one"}`)
	if again.body != first.body || again.header.Get("Idempotent-Replayed") != "true" || s.creates.Load() != 1 {
		t.Errorf("after recovery: %s / %s, %d creates, want 1", first.body, again.body, s.creates.Load())
	}
	m := do(t, "GET", s.base+"/metrics", "", nil)
	if !strings.Contains(m.body, "chatbot_idempotency_takeovers_total 1") {
		t.Errorf("takeovers:\n%s", grepLines(m.body, "chatbot_idempotency"))
	}
}

func TestAFailureToRecordKeepsTheCommittedAnswer(t *testing.T) {
	s := startIdempotent(t, 5*time.Second)
	// The claim vanishes while the route works: recording cannot
	// compare-and-set on it.
	purge := func() {
		kv, err := s.js.KeyValue(context.Background(), httpx.IdempotencyBucket)
		if err != nil {
			t.Error(err)
			return
		}
		keys, err := kv.Keys(context.Background())
		if err != nil && !errors.Is(err, jetstream.ErrNoKeysFound) {
			t.Error(err)
			return
		}
		for _, k := range keys {
			if err := kv.Purge(context.Background(), k); err != nil {
				t.Errorf("purge the claim %s: %v", k, err)
			}
		}
	}
	s.sabotage.Store(&purge)
	r := s.post(t, "/things/a", "ada", "k-1", `{"name":"one"}`)
	if r.status != 201 || !strings.Contains(r.body, "cbk_secret1") {
		t.Fatalf("the committed answer: %d %s", r.status, r.body)
	}
	m := do(t, "GET", s.base+"/metrics", "", nil)
	if !strings.Contains(m.body, "chatbot_idempotency_record_failures_total 1") {
		t.Errorf("the failure is not counted:\n%s", grepLines(m.body, "chatbot_idempotency"))
	}
}
