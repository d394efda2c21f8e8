package projector

import (
	"context"
	"errors"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/chatbotsaas/chatbot/command/devseed"
	"github.com/chatbotsaas/chatbot/events"
	"github.com/chatbotsaas/chatbot/readmodel"
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
	announced := watchAnnouncedCheckpoints(t, e.env, "api_keys")
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
	marks, ahead := announced()
	t.Logf("%d announcements of api_keys, %d with a checkpoint Postgres did not hold", marks, len(ahead))
	if marks < 2 {
		t.Fatalf("only %d announcements of api_keys seen: the test shows nothing", marks)
	}
	if len(ahead) > 0 {
		t.Errorf("announced checkpoints above the row read right after them (announced → row): %v", ahead)
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

// watchAnnouncedCheckpoints reads a projection's checkpoint row right after
// each announcement of it: a copy of the read models waits for the row to
// show the checkpoint announced, so one above the row (which never moves
// back) was announced before Postgres held it. The returned func stops
// the watch and says how many announcements came and which were ahead.
func watchAnnouncedCheckpoints(t *testing.T, e *env, name string) func() (int, [][2]uint64) {
	t.Helper()
	var mu sync.Mutex
	var ahead [][2]uint64
	var failed error
	n := 0
	sub, err := e.js.Conn().Subscribe(readmodel.StateSubject, func(m *nats.Msg) {
		a, err := readmodel.DecodeAnnouncement(m.Data)
		for _, mk := range a.Marks {
			if err != nil || mk.Projection != name {
				continue
			}
			var row int64
			qerr := e.db.Pool.QueryRow(context.Background(), "SELECT position FROM projection_checkpoints WHERE name = $1", name).Scan(&row)
			mu.Lock()
			n++
			if qerr != nil {
				failed = qerr
			} else if mk.Checkpoint > uint64(row) {
				ahead = append(ahead, [2]uint64{mk.Checkpoint, uint64(row)})
			}
			mu.Unlock()
		}
	})
	if err != nil {
		t.Fatal(err)
	}
	return func() (int, [][2]uint64) {
		if err := sub.Unsubscribe(); err != nil {
			t.Fatal(err)
		}
		mu.Lock()
		defer mu.Unlock()
		if failed != nil {
			t.Fatalf("read the checkpoint of %s: %v", name, failed)
		}
		return n, ahead
	}
}

// A lead that ends writes the checkpoint through the events it passed over
// since its last write, so that the next leader finds the checkpoint at the
// consumer's acknowledged position and keeps the consumer.
func TestALeadThatEndsWritesTheCheckpointThroughWhatItPassedOver(t *testing.T) {
	ctx := context.Background()
	// A fetch that waits a minute: no quiet moment writes the checkpoint
	// while the test runs, only a batch or the end of the lead.
	e := newProductEnvWith(t, 100, Options{FetchWait: time.Minute, StandbyPoll: 100 * time.Millisecond}, APIKeys())
	var cons jetstream.Consumer
	for deadline := time.Now().Add(30 * time.Second); cons == nil; time.Sleep(10 * time.Millisecond) {
		c, err := e.js.Consumer(ctx, events.StreamName, "api_keys")
		if err == nil {
			cons = c
		} else if !errors.Is(err, jetstream.ErrConsumerNotFound) || time.Now().After(deadline) {
			t.Fatalf("the api_keys consumer: %v", err)
		}
	}
	acked := func(through uint64) {
		t.Helper()
		for deadline := time.Now().Add(30 * time.Second); ; time.Sleep(10 * time.Millisecond) {
			info, err := cons.Info(ctx)
			if err != nil {
				t.Fatal(err)
			}
			if info.AckFloor.Stream >= through && info.NumPending == 0 && info.NumAckPending == 0 {
				return
			}
			if time.Now().After(deadline) {
				t.Fatalf("api_keys acknowledged through %d, want %d", info.AckFloor.Stream, through)
			}
		}
	}
	acked(1) // the seeded history: nothing pending, nothing awaiting an ack
	// A second after the last write the first batch writes again; the
	// ones after it within the second are passed over unsaved.
	time.Sleep(1100 * time.Millisecond)
	var last uint64
	for range 60 {
		ack, err := e.js.Publish(ctx, events.Subject("t1", events.AggregateChatbot, uuid.NewString(), events.ChatbotCreated), []byte("not an envelope"))
		if err != nil {
			t.Fatal(err)
		}
		last = ack.Sequence
		time.Sleep(2 * time.Millisecond)
	}
	acked(last)
	if before := e.checkpoint("api_keys"); before >= last {
		t.Fatalf("the checkpoint was written through %d before the lead ended: the test shows nothing", before)
	}
	e.runner.Stop()
	if got := e.checkpoint("api_keys"); got != last {
		t.Errorf("after the lead ended the checkpoint is %d, want %d (acknowledged)", got, last)
	}
}
