package taskrouter

import (
	"context"
	"io"
	"log/slog"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/chatbotsaas/chatbot/events"
	"github.com/chatbotsaas/chatbot/shared/testkit"
)

// A task that names its types takes its whole aggregate from the stream,
// so its consumer follows the stream, and only events of those types reach
// it; the others are acknowledged, never redelivered.
func TestATaskNamingItsTypesSeesOnlyThem(t *testing.T) {
	n := testkit.StartNATS(t)
	js, err := jetstream.New(n.Conn)
	if err != nil {
		t.Fatalf("connect JetStream: %v", err)
	}
	ctx := context.Background()
	if _, err := events.EnsureStream(ctx, js, 1); err != nil {
		t.Fatal(err)
	}
	conn, err := nats.Connect(n.URL)
	if err != nil {
		t.Fatal(err)
	}
	r, err := New(Options{Conn: conn, Pool: testkit.NewDatabase(t).Pool, Metrics: NewMetrics(prometheus.NewRegistry()),
		Log: slog.New(slog.NewTextHandler(io.Discard, nil)), AckWait: 10 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	var seen []string
	const task = "typed_task"
	r.Add(Handler{Name: task, Types: []string{events.ApiKeyIssued},
		Do: func(_ context.Context, m Message) error {
			mu.Lock()
			defer mu.Unlock()
			seen = append(seen, m.Subject())
			return nil
		}})
	if err := r.Start(ctx); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(r.Stop)
	subjects := []string{
		events.Subject("t1", events.AggregateChatbot, "c1", events.ChatbotCreated),
		events.Subject("t1", events.AggregateChatbot, "c1", events.ApiKeyIssued),
		events.Subject("t1", events.AggregateChatbot, "c2", events.ChatbotPaused),
	}
	var last uint64
	for _, s := range subjects {
		ack, err := js.Publish(ctx, s, []byte(`{}`))
		if err != nil {
			t.Fatal(err)
		}
		last = ack.Sequence
	}
	cons, err := js.Consumer(ctx, events.StreamName, task)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := cons.CachedInfo().Config.FilterSubjects, []string{events.Subject("*", events.AggregateChatbot, "*", "*")}; !slices.Equal(got, want) {
		t.Fatalf("the task's consumer filters %v, want %v", got, want)
	}
	deadline := time.Now().Add(10 * time.Second)
	for {
		info, err := cons.Info(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if info.AckFloor.Stream == last && info.NumAckPending == 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the task's consumer acknowledged through %d, want %d", info.AckFloor.Stream, last)
		}
		time.Sleep(20 * time.Millisecond)
	}
	mu.Lock()
	defer mu.Unlock()
	if len(seen) != 1 || seen[0] != subjects[1] {
		t.Errorf("the task saw %v, want only %s", seen, subjects[1])
	}
}
