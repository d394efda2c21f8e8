package taskrouter

import (
	"context"
	"io"
	"log/slog"
	"sync"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/chatbotsaas/chatbot/events"
	"github.com/chatbotsaas/chatbot/shared/testkit"
)

// Two processes run the same task: the server pins its consumer to one of
// them, which does every message; when that one stops, the other takes
// over the messages that follow.
func TestOneProcessAtATimeRunsATask(t *testing.T) {
	n := testkit.StartNATS(t)
	js, err := jetstream.New(n.Conn)
	if err != nil {
		t.Fatalf("connect JetStream: %v", err)
	}
	db := testkit.NewDatabase(t)
	ctx := context.Background()
	if _, err := events.EnsureStream(ctx, js, 1); err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	by := map[string]map[string]bool{} // process → subjects done
	start := func(process string) *Router {
		conn, err := nats.Connect(n.URL)
		if err != nil {
			t.Fatal(err)
		}
		r, err := New(Options{Conn: conn, Pool: db.Pool, Log: slog.New(slog.NewTextHandler(io.Discard, nil)),
			AckWait: 5 * time.Second, PinnedTTL: time.Second})
		if err != nil {
			t.Fatal(err)
		}
		r.Add(Handler{Name: "pinned_probe", Subjects: []string{"timers.due.pinned.>"}, Do: func(_ context.Context, m Message) error {
			mu.Lock()
			defer mu.Unlock()
			if by[process] == nil {
				by[process] = map[string]bool{}
			}
			by[process][m.Subject()] = true
			return nil
		}})
		if err := r.Start(ctx); err != nil {
			t.Fatal(err)
		}
		return r
	}
	routers := map[string]*Router{"a": start("a"), "b": start("b")}
	t.Cleanup(func() {
		for _, r := range routers {
			r.Stop()
		}
	})
	publish := func(from, to int) {
		for i := from; i < to; i++ {
			if _, err := js.Publish(ctx, "timers.due.pinned."+string(rune('a'+i%26))+"."+time.Now().Format("150405.000000"), nil); err != nil {
				t.Fatal(err)
			}
		}
	}
	done := func() (total int, processes []string) {
		mu.Lock()
		defer mu.Unlock()
		for p, subjects := range by {
			total += len(subjects)
			processes = append(processes, p)
		}
		return total, processes
	}
	wait := func(want int) []string {
		deadline := time.Now().Add(15 * time.Second)
		for {
			total, processes := done()
			if total >= want {
				return processes
			}
			if time.Now().After(deadline) {
				t.Fatalf("%d of %d messages done", total, want)
			}
			time.Sleep(20 * time.Millisecond)
		}
	}
	publish(0, 20)
	processes := wait(20)
	if len(processes) != 1 {
		t.Fatalf("the task ran in %v, want one process", processes)
	}
	first := processes[0]
	routers[first].Stop()
	delete(routers, first)
	publish(20, 30)
	wait(30)
	mu.Lock()
	defer mu.Unlock()
	if len(by) != 2 || len(by[first]) != 20 {
		t.Errorf("after %s stopped: %d processes, %d messages done by it; want the other to do the rest", first, len(by), len(by[first]))
	}
}
