package bot

import (
	"context"
	"sync"
	"sync/atomic"
)

// applied is the stream position through which the directory has applied
// every event, with a way to wait for it to reach a position.
type applied struct {
	at   atomic.Uint64
	mu   sync.Mutex
	wake chan struct{} // closed at the next advance; nil while nobody waits
}

func (a *applied) load() uint64 { return a.at.Load() }

// advance moves the position to n (never back) and wakes the waiters.
func (a *applied) advance(n uint64) {
	if n <= a.at.Load() {
		return
	}
	a.at.Store(n)
	a.mu.Lock()
	if a.wake != nil {
		close(a.wake)
		a.wake = nil
	}
	a.mu.Unlock()
}

// changed returns a channel closed at the next advance.
func (a *applied) changed() <-chan struct{} {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.wake == nil {
		a.wake = make(chan struct{})
	}
	return a.wake
}

// reach waits until the position is at least n.
func (a *applied) reach(ctx context.Context, n uint64) error {
	for {
		ch := a.changed()
		if a.load() >= n {
			return nil
		}
		select {
		case <-ch:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
}
