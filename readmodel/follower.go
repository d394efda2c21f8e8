package readmodel

import (
	"container/heap"
	"context"
	"log/slog"
	"sync"
	"time"

	"github.com/nats-io/nats.go"
)

// Follower keeps, in memory, how far every projection is, from the
// announcements of the processes that run them, and lets reads wait for a
// position. A waiting read costs no I/O: it sleeps until an announcement
// moves its projection or its bound passes.
type Follower struct {
	sub *nats.Subscription
	log *slog.Logger

	mu    sync.Mutex
	marks map[string]*mark
}

// mark is one projection's progress and the reads waiting for more.
type mark struct {
	through uint64
	waiting waiters
}

// Follow subscribes to the announcements and asks the leaders for their
// current state, so a new process does not wait for the next periodic one.
func Follow(nc *nats.Conn, log *slog.Logger) (*Follower, error) {
	if log == nil {
		log = slog.Default()
	}
	f := &Follower{log: log, marks: map[string]*mark{}}
	sub, err := nc.Subscribe(StateSubject, f.receive)
	if err != nil {
		return nil, err
	}
	f.sub = sub
	// A subscription is registered with the server once flushed; asking
	// before that could miss the answers.
	if err := nc.Flush(); err != nil {
		_ = sub.Unsubscribe()
		return nil, err
	}
	if err := nc.Publish(AskSubject, nil); err != nil {
		_ = sub.Unsubscribe()
		return nil, err
	}
	return f, nil
}

// Close stops following.
func (f *Follower) Close() {
	if f != nil && f.sub != nil {
		_ = f.sub.Unsubscribe()
	}
}

func (f *Follower) receive(m *nats.Msg) {
	a, err := DecodeAnnouncement(m.Data)
	if err != nil {
		f.log.Warn("unreadable projection progress ignored", "err", err)
		return
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	for _, mk := range a.Marks {
		e := f.entry(mk.Projection)
		// Marks only move forward: an older or a slower leader's
		// announcement arriving late cannot take one back.
		if through := max(mk.Through, mk.Checkpoint); through > e.through {
			e.through = through
			e.waiting.wakeThrough(through)
		}
	}
}

// entry is the mark of name, made on first use. Lock held.
func (f *Follower) entry(name string) *mark {
	e, ok := f.marks[name]
	if !ok {
		e = &mark{}
		f.marks[name] = e
	}
	return e
}

// Through is how far projection name is known to be.
func (f *Follower) Through(name string) uint64 {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.entry(name).through
}

// Wait returns once every named projection is through position n, or
// ErrLagging when bound passes first. The bound is one timer started on
// entry, so the 503 leaves when it is due whatever the projections do.
func (f *Follower) Wait(ctx context.Context, n uint64, bound time.Duration, names ...string) error {
	if n == 0 {
		return nil
	}
	deadline := time.Now().Add(bound)
	var timer *time.Timer
	for _, name := range names {
		w := f.await(name, n)
		if w == nil {
			continue
		}
		if timer == nil {
			timer = time.NewTimer(time.Until(deadline))
			defer timer.Stop()
		}
		select {
		case <-w.ready:
			continue
		case <-timer.C:
			f.abandon(name, w)
			return ErrLagging()
		case <-ctx.Done():
			f.abandon(name, w)
			return ctx.Err()
		}
	}
	return nil
}

// await queues a waiter for projection name to be through n, or returns
// nil if it already is.
func (f *Follower) await(name string, n uint64) *waiter {
	f.mu.Lock()
	defer f.mu.Unlock()
	e := f.entry(name)
	if e.through >= n {
		return nil
	}
	w := &waiter{n: n, ready: make(chan struct{})}
	heap.Push(&e.waiting, w)
	return w
}

// abandon forgets a waiter whose read gave up, so a stopped projector
// does not pile up the reads it failed.
func (f *Follower) abandon(name string, w *waiter) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.entry(name).waiting.drop(w)
}
