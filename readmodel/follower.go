package readmodel

import (
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

// mark is one projection's progress and the channel closed when it next
// moves: every read waiting on it wakes, checks, and waits again if need be.
type mark struct {
	through uint64
	moved   chan struct{}
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
			close(e.moved)
			e.moved = make(chan struct{})
		}
	}
}

// entry is the mark of name, made on first use. Lock held.
func (f *Follower) entry(name string) *mark {
	e, ok := f.marks[name]
	if !ok {
		e = &mark{moved: make(chan struct{})}
		f.marks[name] = e
	}
	return e
}

// Through is how far projection name is known to be, and a channel closed
// when that changes.
func (f *Follower) Through(name string) (uint64, <-chan struct{}) {
	f.mu.Lock()
	defer f.mu.Unlock()
	e := f.entry(name)
	return e.through, e.moved
}

// Wait returns once every named projection is through position n, or
// ErrLagging when bound passes first. The bound is one timer started on
// entry, so the 503 leaves when it is due whatever the projections do.
func (f *Follower) Wait(ctx context.Context, n uint64, bound time.Duration, names ...string) error {
	if n == 0 {
		return nil
	}
	start := time.Now()
	var timer *time.Timer
	for _, name := range names {
		for {
			through, moved := f.Through(name)
			if through >= n {
				break
			}
			if timer == nil {
				timer = time.NewTimer(bound - time.Since(start))
				defer timer.Stop()
			}
			select {
			case <-moved:
			case <-timer.C:
				return ErrLagging()
			case <-ctx.Done():
				return ctx.Err()
			}
		}
	}
	return nil
}
