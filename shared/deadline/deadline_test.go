package deadline

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"
)

func TestCallsWithinAStepShareOneContext(t *testing.T) {
	clock := time.Date(2026, 6, 1, 12, 0, 0, 0, time.UTC)
	s := New(time.Second) // step 20 ms
	s.now = func() time.Time { return clock }
	first := s.Context()
	clock = clock.Add(19 * time.Millisecond)
	if s.Context() != first {
		t.Fatal("a call 19 ms later got another context, want the step's")
	}
	dl, ok := first.Deadline()
	if want := clock.Add(-19 * time.Millisecond).Add(time.Second); !ok || !dl.Equal(want) {
		t.Fatalf("deadline %v, %v; want %v", dl, ok, want)
	}
	if left := dl.Sub(clock); left < time.Second-s.step || left > time.Second {
		t.Fatalf("a call near the step's end has %v left, want between %v and 1s", left, time.Second-s.step)
	}
	clock = clock.Add(time.Millisecond)
	if s.Context() == first {
		t.Fatal("a call a whole step later got the old context, want a new one")
	}
}

func TestAContextEndsAtItsBound(t *testing.T) {
	s := New(30 * time.Millisecond)
	start := time.Now()
	ctx := s.Context()
	select {
	case <-ctx.Done():
	case <-time.After(5 * time.Second):
		t.Fatal("the context did not end")
	}
	if !errors.Is(ctx.Err(), context.DeadlineExceeded) {
		t.Fatalf("ended with %v, want DeadlineExceeded", ctx.Err())
	}
	if waited := time.Since(start); waited < 30*time.Millisecond-s.step {
		t.Fatalf("ended after %v, before its bound less a step", waited)
	}
}

func TestStepIsBounded(t *testing.T) {
	for _, c := range []struct{ d, step time.Duration }{
		{30 * time.Second, 100 * time.Millisecond}, {time.Second, 20 * time.Millisecond},
		{10 * time.Millisecond, time.Millisecond}, {500 * time.Microsecond, 500 * time.Microsecond},
	} {
		if got := New(c.d).step; got != c.step {
			t.Errorf("New(%v).step = %v, want %v", c.d, got, c.step)
		}
	}
}

// Under concurrent calls every caller gets a live context of the bound.
func TestConcurrentCallsGetALiveContext(t *testing.T) {
	s := New(time.Second)
	var wg sync.WaitGroup
	errs := make(chan error, 8)
	for range 8 {
		wg.Go(func() {
			for range 2000 {
				ctx := s.Context()
				dl, ok := ctx.Deadline()
				if !ok || ctx.Err() != nil || time.Until(dl) > time.Second {
					errs <- errors.New("a context without its deadline, ended, or past the bound")
					return
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
}
