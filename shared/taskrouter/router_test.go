package taskrouter

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"

	"github.com/chatbotsaas/chatbot/events"
	"github.com/chatbotsaas/chatbot/shared/deadletter"
	"github.com/chatbotsaas/chatbot/shared/testkit"
)

// parkedTask waits for the dead letter of consumer at seq.
func parkedTask(t *testing.T, db deadletter.DB, consumer string, seq uint64) deadletter.Letter {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		items, _, err := deadletter.List(context.Background(), db, deadletter.Filter{Consumer: consumer, Limit: 10})
		if err != nil {
			t.Fatal(err)
		}
		for _, l := range items {
			if l.Position == seq {
				return l
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("no dead letter at %d: %v", seq, items)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// A task that keeps failing is retried in process, then parked by the
// poison queue, counted, and taken off its consumer; an operator's retry
// runs it once more with the cause its message named; a malformed message
// is parked at once.
func TestATaskFailingPastItsTriesIsParkedThenRetried(t *testing.T) {
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
	conn, err := nats.Connect(n.URL)
	if err != nil {
		t.Fatal(err)
	}
	metrics := NewMetrics(prometheus.NewRegistry())
	r, err := New(Options{Conn: conn, Pool: db.Pool, Metrics: metrics, Log: slog.New(slog.NewTextHandler(io.Discard, nil)),
		AckWait: 10 * time.Second, Retries: 2, FirstRetry: 10 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	var broken atomic.Bool
	var tries, done atomic.Int32
	var mu sync.Mutex
	var causes []string
	broken.Store(true)
	const task = "probe_task"
	r.Add(Handler{Name: task, Subjects: []string{"timers.due.probe.>"}, Do: func(ctx context.Context, m Message) error {
		if !json.Valid(m.Data()) {
			return ErrCannotDo
		}
		mu.Lock()
		causes = append(causes, events.CausationFrom(ctx))
		mu.Unlock()
		tries.Add(1)
		if broken.Load() {
			return errors.New("the mail server does not answer")
		}
		done.Add(1)
		return nil
	}})
	if err := r.Start(ctx); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(r.Stop)
	msg := &nats.Msg{Subject: "timers.due.probe.t1.u1", Data: []byte(`{"to":"ada@example.com"}`), Header: nats.Header{}}
	msg.Header.Set(events.CausationHeader, "the-cause")
	ack, err := js.PublishMsg(ctx, msg)
	if err != nil {
		t.Fatal(err)
	}
	parked := parkedTask(t, db.Pool, task, ack.Sequence)

	t.Run("it is parked after its tries, counted, and not delivered again", func(t *testing.T) {
		if parked.Kind != deadletter.KindTask || parked.Attempts != 3 || parked.Error != "the mail server does not answer" ||
			parked.Subject != "timers.due.probe.t1.u1" || !parked.Open() {
			t.Errorf("parked: %+v", parked)
		}
		var counted dto.Metric
		if err := metrics.parked.WithLabelValues(task).Write(&counted); err != nil || counted.GetCounter().GetValue() != 1 {
			t.Errorf("chatbot_task_dead_letters_total = %v, want 1", counted.GetCounter().GetValue())
		}
		var retried dto.Metric
		if err := metrics.retried.WithLabelValues(task).Write(&retried); err != nil || retried.GetCounter().GetValue() != 2 {
			t.Errorf("chatbot_task_retries_total = %v, want 2 (3 tries)", retried.GetCounter().GetValue())
		}
		cons, err := js.Consumer(ctx, events.StreamName, task)
		if err != nil {
			t.Fatalf("look up the consumer of %s: %v", task, err)
		}
		deadline := time.Now().Add(5 * time.Second)
		for {
			info, err := cons.Info(ctx)
			if err == nil && info.NumAckPending == 0 && info.NumPending == 0 {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("the consumer still holds the message: %+v %v", info, err)
			}
			time.Sleep(10 * time.Millisecond)
		}
	})
	t.Run("a retry re-runs the task once and resolves it", func(t *testing.T) {
		broken.Store(false)
		req := deadletter.RetryRequest{ID: parked.ID, Actor: events.Actor{Type: "user", ID: "admin-1"}}
		got, err := deadletter.Ask(ctx, n.Conn, task, req)
		if err != nil || got.Outcome != deadletter.Applied {
			t.Fatalf("retry: %+v %v", got, err)
		}
		if _, err := deadletter.Ask(ctx, n.Conn, task, req); !errors.Is(err, deadletter.ErrResolved) {
			t.Errorf("second retry: %v, want ErrResolved", err)
		}
		if done.Load() != 1 || tries.Load() != 4 {
			t.Errorf("the task ran %d times, done %d; want 4 and 1", tries.Load(), done.Load())
		}
		mu.Lock()
		defer mu.Unlock()
		if len(causes) != 4 || causes[3] != "the-cause" || causes[0] != "the-cause" {
			t.Errorf("the causes the task ran with: %q; want the timer's each time, its retry included", causes)
		}
		l, err := deadletter.Get(ctx, db.Pool, parked.ID)
		if err != nil {
			t.Fatalf("read the dead letter: %v", err)
		}
		if l.Open() || *l.Resolution != deadletter.Retried {
			t.Errorf("after the retry: %+v", l)
		}
	})
	t.Run("a malformed task is parked at once", func(t *testing.T) {
		bad, err := js.Publish(ctx, "timers.due.probe.t1.u2", []byte("not json"))
		if err != nil {
			t.Fatal(err)
		}
		l := parkedTask(t, db.Pool, task, bad.Sequence)
		if l.Attempts != 1 || l.Error != ErrCannotDo.Error() || l.Detailed().Payload == nil {
			t.Errorf("malformed: %+v", l)
		}
	})
}
