package readmodel

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/chatbotsaas/chatbot/shared/apperr"
	"github.com/chatbotsaas/chatbot/shared/testkit"
)

func TestAFollowerWakesReadsAsMarksMove(t *testing.T) {
	n := testkit.StartNATS(t)
	f, err := Follow(n.Conn, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	announce := func(marks ...Mark) {
		t.Helper()
		if err := n.Conn.Publish(StateSubject, Announcement{Marks: marks}.Encode()); err != nil {
			t.Fatal(err)
		}
	}

	done := make(chan error, 1)
	go func() { done <- f.Wait(context.Background(), 10, 5*time.Second, "a", "b") }()
	announce(Mark{Projection: "a", Checkpoint: 10, Through: 12})
	announce(Mark{Projection: "b", Checkpoint: 3, Through: 10})
	if err := <-done; err != nil {
		t.Fatalf("a wait both projections are through: %v", err)
	}

	// A late announcement from a slower leader does not move a mark back.
	announce(Mark{Projection: "a", Checkpoint: 5, Through: 5})
	// Announcements arrive in order: once the next one is in, so is it.
	announce(Mark{Projection: "c", Through: 1})
	if err := f.Wait(context.Background(), 1, 5*time.Second, "c"); err != nil {
		t.Fatal(err)
	}
	if through := f.Through("a"); through != 12 {
		t.Fatalf("a is through %d, want 12", through)
	}

	err = f.Wait(context.Background(), 13, 100*time.Millisecond, "a")
	var ae *apperr.Error
	if !errors.As(err, &ae) || ae.Code != "projection_lagging" {
		t.Fatalf("a wait past every mark: %v", err)
	}
	f.mu.Lock()
	left := f.marks["a"].waiting.Len()
	f.mu.Unlock()
	if left != 0 {
		t.Fatalf("%d reads that gave up still wait", left)
	}
	if err := f.Wait(context.Background(), 0, time.Nanosecond, "unknown"); err != nil {
		t.Fatalf("a read without a position waits for nothing: %v", err)
	}
}
