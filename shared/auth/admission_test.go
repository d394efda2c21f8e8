package auth

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/chatbotsaas/chatbot/shared/apperr"
)

func TestAdmissionRefusesAtOnceWhatItCannotServeBeforeTheDeadline(t *testing.T) {
	a := newAdmission(1)
	a.observe(200 * time.Millisecond)
	release, err := a.acquire(context.Background())
	if err != nil {
		t.Fatal(err)
	}

	// The slot is busy and one operation takes 200 ms: a caller with 300 ms
	// left cannot be served, and hears so at once.
	short, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
	defer cancel()
	began := time.Now()
	_, err = a.acquire(short)
	var e *apperr.Error
	if !errors.As(err, &e) || e.Kind != apperr.KindUnavailable || e.RetryAfter < 1 {
		t.Fatalf("a caller that cannot be served in time: %v, want unavailable with a Retry-After", err)
	}
	if waited := time.Since(began); waited > 100*time.Millisecond {
		t.Errorf("the refusal took %v; it should be at once", waited)
	}

	// A caller with time to spare waits for the slot and gets it.
	long, cancel2 := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel2()
	got := make(chan error, 1)
	go func() {
		r, err := a.acquire(long)
		if err == nil {
			r()
		}
		got <- err
	}()
	time.Sleep(50 * time.Millisecond)
	release()
	if err := <-got; err != nil {
		t.Fatalf("a caller with time to spare: %v", err)
	}
}

func TestAdmissionGivesUpOnAQueuedCallerWhoseTimeRanOut(t *testing.T) {
	a := newAdmission(1)
	a.observe(100 * time.Millisecond)
	release, err := a.acquire(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	defer release()
	// Admitted to the queue (1.2 s left, one round of 100 ms ahead), but the
	// slot never frees: it is refused before its deadline, not at it.
	ctx, cancel := context.WithTimeout(context.Background(), 1200*time.Millisecond)
	defer cancel()
	_, err = a.acquire(ctx)
	if !isOverloaded(err) {
		t.Fatalf("got %v, want overloaded", err)
	}
	if ctx.Err() != nil {
		t.Error("the queued caller was refused only at its deadline")
	}
}

func isOverloaded(err error) bool {
	var e *apperr.Error
	return errors.As(err, &e) && e.Code == ErrOverloaded.Code && e.Kind == ErrOverloaded.Kind
}
