package bot

import (
	"context"
	"sync"
	"time"
)

// streamEnd reads the stream's last position for lookups of keys the index
// does not know, one request at a time however many lookups ask.
//
// A lookup once asked the broker for the last ApiKeyIssued stored. That is a
// get by a wildcard subject, which the broker answers by visiting every
// chatbot's subjects under the lock each append waits for: a malformed
// flood of unknown keys became a stall of every write. The stream's last
// position is read from its state instead, and waiting until the
// directory has applied it covers every key issued before the lookup, as
// the directory applies every event.
//
// A lookup shares a request only if that request begins after the lookup
// did, so the position it gets is never older than its own start: callers
// that arrive while one is in flight wait for the next, which starts as
// soon as that one ends.
type streamEnd struct {
	read func(context.Context) (uint64, error)

	mu       sync.Mutex
	inflight bool
	next     *endRead // the request the callers arriving now will share
}

type endRead struct {
	done chan struct{}
	seq  uint64
	err  error
}

// endReadTimeout bounds one read of the stream's state.
const endReadTimeout = 2 * time.Second

func (s *streamEnd) last(ctx context.Context) (uint64, error) {
	s.mu.Lock()
	if s.next == nil {
		s.next = &endRead{done: make(chan struct{})}
	}
	r := s.next
	start := !s.inflight
	if start {
		s.inflight, s.next = true, nil
	}
	s.mu.Unlock()
	if start {
		go s.run(r)
	}
	select {
	case <-r.done:
		return r.seq, r.err
	case <-ctx.Done():
		return 0, ctx.Err()
	}
}

// run carries out r, then the request callers queued meanwhile, until none
// is waiting.
func (s *streamEnd) run(r *endRead) {
	for r != nil {
		ctx, cancel := context.WithTimeout(context.Background(), endReadTimeout)
		r.seq, r.err = s.read(ctx)
		cancel()
		close(r.done)
		s.mu.Lock()
		r, s.next = s.next, nil
		s.inflight = r != nil
		s.mu.Unlock()
	}
}
