package bot

import (
	"context"
	"errors"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/chatbotsaas/chatbot/shared/apperr"
)

// Lookups of unknown keys share reads of the stream's end, and none is
// answered by a read that began before it did.
func TestLookupsShareReadsOfTheStreamsEndThatBeganAfterThem(t *testing.T) {
	var reads, running, overlapped atomic.Int64
	end := &streamEnd{read: func(context.Context) (uint64, error) {
		if running.Add(1) > 1 {
			overlapped.Add(1)
		}
		defer running.Add(-1)
		reads.Add(1)
		began := uint64(time.Now().UnixNano())
		time.Sleep(3 * time.Millisecond)
		return began, nil
	}}
	const callers = 400
	var wg sync.WaitGroup
	var stale atomic.Int64
	errs := make(chan error, callers)
	for i := range callers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			time.Sleep(time.Duration(i%40) * time.Millisecond / 4)
			arrived := uint64(time.Now().UnixNano())
			seq, err := end.last(context.Background())
			if err != nil {
				errs <- err
				return
			}
			if seq < arrived {
				stale.Add(1)
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	if n := stale.Load(); n != 0 {
		t.Errorf("%d lookups were answered by a read that began before them", n)
	}
	if n := overlapped.Load(); n != 0 {
		t.Errorf("%d reads ran beside another", n)
	}
	if n := reads.Load(); n < 2 || n > callers/4 {
		t.Errorf("%d reads for %d lookups, want them shared (at least 2, at most %d)", n, callers, callers/4)
	}
	t.Logf("%d reads for %d lookups", reads.Load(), callers)

	// A caller that gives up does not stop the others, nor the next reads.
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := end.last(ctx); err == nil {
		t.Error("a cancelled lookup got a position")
	}
	if _, err := end.last(context.Background()); err != nil {
		t.Errorf("after a cancelled lookup: %v", err)
	}
}

// A key the directory does not know, asked while the stream's end cannot be
// read, is refused as unavailable (503 with Retry-After), not answered as
// unknown (it may have been issued a moment ago elsewhere) nor as a fault.
func TestAnUnknownKeyIsUnavailableWhileTheStreamsEndCannotBeRead(t *testing.T) {
	reads := 0
	d := NewDirectory()
	d.end = &streamEnd{read: func(context.Context) (uint64, error) {
		reads++
		return 0, errors.New("nats: no responders available for request")
	}}
	_, ok, err := d.Lookup(context.Background(), strings.Repeat("ab", 32))
	var ae *apperr.Error
	if !errors.As(err, &ae) || ae.Kind != apperr.KindUnavailable || ae.RetryAfter == 0 {
		t.Fatalf("lookup while the stream's end is unreadable: ok %v, err %v; want unavailable with Retry-After", ok, err)
	}
	if reads != 1 {
		t.Fatalf("%d reads of the stream's end, want 1", reads)
	}
}
