package projector

import (
	"context"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/chatbotsaas/chatbot/command/devseed"
	"github.com/chatbotsaas/chatbot/events"
	"github.com/chatbotsaas/chatbot/shared/deadletter"
)

// A live consumer takes every event of the aggregates its projection reads,
// so that it never sits idle behind the stream; the types it has no reducer
// for are passed over by subject, unread, and cost a checkpoint write at
// most once a second and once the stream is quiet.
func TestALiveConsumerPassesOverItsAggregatesOtherTypes(t *testing.T) {
	e := newProductEnv(t, 500, APIKeys())
	e.caughtUp(60 * time.Second)
	ctx := context.Background()
	cons, err := e.js.Consumer(ctx, events.StreamName, "api_keys")
	if err != nil {
		t.Fatal(err)
	}
	want := []string{events.Subject("*", events.AggregateChatbot, "*", "*"), events.Subject("*", events.AggregateUsage, "*", "*")}
	if got := cons.CachedInfo().Config.FilterSubjects; !slices.Equal(got, want) {
		t.Fatalf("api_keys consumer filters %v, want %v", got, want)
	}

	// Watch how often the checkpoint is written while events of a type
	// api_keys does not read flow for 1.5 s. Their data is not an event at
	// all: decoded, each would be parked.
	stop := watchCheckpointWrites(t, e.env, "api_keys")
	var last uint64
	n := 0
	for end := time.Now().Add(1500 * time.Millisecond); time.Now().Before(end); n++ {
		ack, err := e.js.Publish(ctx, events.Subject("t1", events.AggregateChatbot, uuid.NewString(), events.ChatbotCreated), []byte("not an envelope"))
		if err != nil {
			t.Fatal(err)
		}
		last = ack.Sequence
		time.Sleep(2 * time.Millisecond)
	}
	e.waitCheckpoint("api_keys", last, 10*time.Second)
	got := stop()
	t.Logf("%d events passed over, the checkpoint written %d times", n, got)
	if n < 100 {
		t.Fatalf("only %d events published: the test shows nothing", n)
	}
	if got > 4 {
		t.Errorf("the checkpoint was written %d times for %d events it has nothing in, want at most 4", got, n)
	}
	parked, _, err := deadletter.List(ctx, e.db.Pool, deadletter.Filter{Consumer: "api_keys", Limit: 10})
	if err != nil {
		t.Fatal(err)
	}
	if len(parked) != 0 {
		t.Errorf("events passed over were read and parked: %+v", parked)
	}

	// What it reads after them is still applied.
	if _, err := devseed.Events(ctx, e.js, devseed.EventsOptions{Events: 300, Tenants: 3, Force: true}); err != nil {
		t.Fatal(err)
	}
	e.caughtUp(30 * time.Second)
	e.verifyAll()
}

// watchCheckpointWrites counts the distinct writes of a projection's
// checkpoint (its updated_at) until the returned stop is called.
func watchCheckpointWrites(t *testing.T, e *env, name string) func() int {
	t.Helper()
	done, stopped := make(chan struct{}), make(chan struct{})
	seen := map[time.Time]bool{}
	var mu sync.Mutex
	var failed error
	go func() {
		defer close(stopped)
		first := true
		for {
			var at time.Time
			err := e.db.Pool.QueryRow(context.Background(), "SELECT updated_at FROM projection_checkpoints WHERE name = $1", name).Scan(&at)
			mu.Lock()
			if err != nil {
				failed = err
			} else if !first {
				seen[at] = true
			} else {
				first = false
				seen[at] = false // the write before the watch began
			}
			mu.Unlock()
			select {
			case <-done:
				return
			case <-time.After(2 * time.Millisecond):
			}
		}
	}()
	return func() int {
		close(done)
		<-stopped
		if failed != nil {
			t.Fatalf("read the checkpoint of %s: %v", name, failed)
		}
		n := 0
		for _, after := range seen {
			if after {
				n++
			}
		}
		return n
	}
}
