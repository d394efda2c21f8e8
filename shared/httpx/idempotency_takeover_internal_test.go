package httpx

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/chatbotsaas/chatbot/shared/testkit"
)

// The retry that takes an abandoned claim over makes the ids the abandoned
// request made: it keeps the first claim's time, while its own claim time
// starts the abandonment anew.
func TestATakeoverKeepsTheFirstClaimTime(t *testing.T) {
	n := testkit.StartNATS(t)
	js, err := jetstream.New(n.Conn)
	if err != nil {
		t.Fatalf("jetstream.New: %v", err)
	}
	i, err := OpenIdempotency(context.Background(), js, IdempotencyOptions{RequestTimeout: time.Second})
	if err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	clock := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	i.now = func() time.Time { mu.Lock(); defer mu.Unlock(); return clock }
	advance := func(d time.Duration) { mu.Lock(); clock = clock.Add(d); mu.Unlock() }
	k, err := deriveKeys("k-1", "ada\x00POST\x00/things")
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	start := i.now()
	for attempt := range 3 {
		_, first, done, err := i.claim(ctx, k, "body")
		if err != nil || done != nil || !first.Equal(start) {
			t.Fatalf("attempt %d: first claimed %v, %v %v; want %v", attempt, first, done, err, start)
		}
		current, err := i.kv.Get(ctx, k.name)
		if err != nil {
			t.Fatal(err)
		}
		e, _, err := k.open(current.Value())
		if err != nil || !e.ClaimedAt.Equal(i.now()) {
			t.Fatalf("attempt %d: claimed at %v, %v; want now", attempt, e.ClaimedAt, err)
		}
		advance(3 * time.Second)
	}
	other, err := deriveKeys("k-2", "ada\x00POST\x00/things")
	if err != nil {
		t.Fatal(err)
	}
	if string(other.seed) == string(k.seed) {
		t.Error("two keys derive one id seed")
	}
}
