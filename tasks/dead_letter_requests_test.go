package tasks_test

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/chatbotsaas/chatbot/command/app"
	"github.com/chatbotsaas/chatbot/events"
	"github.com/chatbotsaas/chatbot/shared/apperr"
	"github.com/chatbotsaas/chatbot/shared/deadletter"
	"github.com/chatbotsaas/chatbot/shared/taskrouter"
	"github.com/chatbotsaas/chatbot/tasks"
)

// requestsWorld is the write side's dead letter commands, the dead
// letters' keeper on a task router, and the process of one consumer,
// "notes", whose retries count their applies and fail while broken.
type requestsWorld struct {
	*world
	keeper  tasks.DeadLetterRequests
	retry   app.RetryDeadLetter
	discard app.DiscardDeadLetter
	applied atomic.Int32
	broken  atomic.Bool
}

func newRequestsWorld(t *testing.T) *requestsWorld {
	t.Helper()
	w := &requestsWorld{world: newWorld(t)}
	w.keeper = tasks.DeadLetterRequests{Pool: w.pool, NATS: w.nats.Conn, Wait: 5 * time.Second}
	w.router(w.keeper.Handler())
	stop, err := deadletter.Serve(context.Background(), w.nats.Conn, w.pool, "notes", slog.New(slog.NewTextHandler(io.Discard, nil)), nil,
		func(context.Context, pgx.Tx, deadletter.Letter) error {
			if w.broken.Load() {
				return errors.New("the reducer is broken")
			}
			w.applied.Add(1)
			return nil
		})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(stop)
	requests := app.DeadLetterRequests{Store: w.store, NATS: w.nats.Conn, Wait: 10 * time.Second}
	w.retry, w.discard = app.RetryDeadLetter{DeadLetterRequests: requests}, app.DiscardDeadLetter{DeadLetterRequests: requests}
	return w
}

// park parks a letter of consumer at pos.
func (w *requestsWorld) park(consumer string, pos uint64) deadletter.Letter {
	w.t.Helper()
	l := deadletter.New(deadletter.KindProjection, consumer, pos, "events.t1.note.n1.Noted", []byte("{}"), "the reducer failed", 5)
	if err := deadletter.Park(context.Background(), w.pool, l); err != nil {
		w.t.Fatal(err)
	}
	return l
}

func (w *requestsWorld) letter(id string) deadletter.Letter {
	w.t.Helper()
	l, err := deadletter.Get(context.Background(), w.pool, id)
	if err != nil {
		w.t.Fatal(err)
	}
	return l
}

// message is the stream's message at pos, as the router hands it over.
func (w *requestsWorld) message(pos uint64) taskrouter.Message {
	w.t.Helper()
	stream, err := w.js.Stream(context.Background(), events.StreamName)
	if err != nil {
		w.t.Fatal(err)
	}
	m, err := stream.GetMsg(context.Background(), pos)
	if err != nil {
		w.t.Fatal(err)
	}
	return taskrouter.NewMessage(m.Subject, m.Sequence, m.Header, m.Data)
}

func wantCode(t *testing.T, err error, code string) {
	t.Helper()
	if ae := apperr.As(err); ae == nil || ae.Code != code {
		t.Errorf("got %v, want %s", err, code)
	}
}

func TestDeadLetterRequestsFromTheWriteSide(t *testing.T) {
	w := newRequestsWorld(t)
	admin := events.Actor{Type: events.ActorUser, ID: "admin-1"}
	ctx := events.WithActor(context.Background(), admin)

	t.Run("a retry requested through the command side is applied by the consumer's process", func(t *testing.T) {
		l := w.park("notes", 1)
		got, err := w.retry.Handle(ctx, l.ID)
		if err != nil || got.Outcome.Outcome != deadletter.Applied || got.Position == 0 {
			t.Fatalf("retry: %+v, %v; want applied", got, err)
		}
		after := w.letter(l.ID)
		if after.Open() || *after.Resolution != deadletter.Retried || *after.ResolvedBy != admin || w.applied.Load() != 1 {
			t.Errorf("after the retry: %+v, applied %d times", after, w.applied.Load())
		}
		t.Run("and asked again is refused and applies nothing", func(t *testing.T) {
			_, err := w.retry.Handle(ctx, l.ID)
			wantCode(t, err, "conflict")
			if n := w.applied.Load(); n != 1 {
				t.Errorf("applied %d times, want 1", n)
			}
		})
	})
	t.Run("a discard requested through the command side resolves the letter", func(t *testing.T) {
		l := w.park("notes", 2)
		pos, err := w.discard.Handle(ctx, l.ID)
		if err != nil || pos == 0 {
			t.Fatalf("discard: %d, %v", pos, err)
		}
		after := w.letter(l.ID)
		if after.Open() || *after.Resolution != deadletter.Discarded || *after.ResolvedBy != admin {
			t.Fatalf("after the discard: %+v", after)
		}
		t.Run("and asked again, or retried, is refused and changes nothing", func(t *testing.T) {
			_, err := w.discard.Handle(ctx, l.ID)
			wantCode(t, err, "conflict")
			_, err = w.retry.Handle(ctx, l.ID)
			wantCode(t, err, "conflict")
			again := w.letter(l.ID)
			if !again.ResolvedAt.Equal(*after.ResolvedAt) || *again.Resolution != deadletter.Discarded || w.applied.Load() != 1 {
				t.Errorf("after the second requests: %+v", again)
			}
		})
	})
	t.Run("a retry that fails answers failed and counts one attempt", func(t *testing.T) {
		w.broken.Store(true)
		defer w.broken.Store(false)
		l := w.park("notes", 3)
		got, err := w.retry.Handle(ctx, l.ID)
		if err != nil || got.Outcome.Outcome != deadletter.Failed || got.Error != "the reducer is broken" {
			t.Fatalf("retry: %+v, %v; want failed", got, err)
		}
		if after := w.letter(l.ID); !after.Open() || after.Attempts != 6 {
			t.Errorf("after the failed retry: open %v, attempts %d; want open, 6", after.Open(), after.Attempts)
		}
		t.Run("and the same request delivered again has no second effect", func(t *testing.T) {
			if err := w.keeper.Do(ctx, w.message(got.Position)); err != nil {
				t.Fatal(err)
			}
			if after := w.letter(l.ID); after.Attempts != 6 || !after.Open() {
				t.Errorf("attempts %d after the redelivery, want 6", after.Attempts)
			}
		})
	})
	t.Run("a discard delivered again has no second effect", func(t *testing.T) {
		l := w.park("notes", 4)
		pos, err := w.discard.Handle(ctx, l.ID)
		if err != nil {
			t.Fatal(err)
		}
		first := w.letter(l.ID)
		if err := w.keeper.Do(ctx, w.message(pos)); err != nil {
			t.Fatal(err)
		}
		if again := w.letter(l.ID); !again.ResolvedAt.Equal(*first.ResolvedAt) || *again.Resolution != deadletter.Discarded {
			t.Errorf("after the redelivery: %+v", again)
		}
	})
	t.Run("an unknown letter is not found", func(t *testing.T) {
		unknown := "0190a1b2-0000-7000-8000-000000000000"
		_, err := w.retry.Handle(ctx, unknown)
		wantCode(t, err, "not_found")
		_, err = w.discard.Handle(ctx, unknown)
		wantCode(t, err, "not_found")
	})
	t.Run("an id that is no uuid is not found and appends nothing", func(t *testing.T) {
		before := w.streamLast()
		_, err := w.retry.Handle(ctx, "nope")
		wantCode(t, err, "not_found")
		if after := w.streamLast(); after != before {
			t.Errorf("the stream went from %d to %d", before, after)
		}
	})
	t.Run("a consumer no process runs is unavailable", func(t *testing.T) {
		l := w.park("nobody", 5)
		_, err := w.retry.Handle(ctx, l.ID)
		wantCode(t, err, "consumer_unavailable")
		if after := w.letter(l.ID); !after.Open() || after.Attempts != 5 {
			t.Errorf("after a retry no one could do: %+v", after)
		}
	})
}

func (w *requestsWorld) streamLast() uint64 {
	w.t.Helper()
	s, err := w.js.Stream(context.Background(), events.StreamName)
	if err != nil {
		w.t.Fatal(err)
	}
	info, err := s.Info(context.Background())
	if err != nil {
		w.t.Fatal(err)
	}
	return info.State.LastSeq
}
