package pii_test

import (
	"context"
	"errors"
	"testing"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/chatbotsaas/chatbot/shared/pii"
	"github.com/chatbotsaas/chatbot/shared/testkit"
)

func TestAPersonalDataKeyIsRotatedWithoutLosingAField(t *testing.T) {
	ctx := context.Background()
	n := testkit.StartNATS(t)
	js, err := jetstream.New(n.Conn)
	if err != nil {
		t.Fatalf("jetstream.New: %v", err)
	}
	oldKey, newKey := kek(t), kek(t)

	before, err := pii.Open(ctx, js, oldKey, 1)
	if err != nil {
		t.Fatal(err)
	}
	sealed := map[string]string{}
	for _, subject := range []string{"u1", "u2", "u3"} {
		v := subject + "@example.com"
		if err := before.Seal(ctx, subject, []*string{&v}); err != nil {
			t.Fatal(err)
		}
		sealed[subject] = v
	}

	// The new key alone cannot read what the old one wrapped.
	alone, err := pii.Open(ctx, js, newKey, 1)
	if err != nil {
		t.Fatal(err)
	}
	probe := sealed["u1"]
	if err := alone.Open(ctx, "u1", []*string{&probe}); !errors.Is(err, pii.ErrUnreadable) {
		t.Fatalf("the new key alone opened an old data key: %v", err)
	}

	// During the rotation both open, and a new user's key is wrapped under the new one.
	during, err := pii.Open(ctx, js, newKey, 1)
	if err != nil {
		t.Fatal(err)
	}
	if err := during.AcceptPrevious(oldKey); err != nil {
		t.Fatal(err)
	}
	fresh := "u4@example.com"
	if err := during.Seal(ctx, "u4", []*string{&fresh}); err != nil {
		t.Fatal(err)
	}
	sealed["u4"] = fresh
	rewrapped, current, err := during.Rewrap(ctx)
	if err != nil || rewrapped != 3 || current != 1 {
		t.Fatalf("rewrap: %d rewrapped, %d current, %v; want 3 and 1", rewrapped, current, err)
	}
	if again, current, err := during.Rewrap(ctx); err != nil || again != 0 || current != 4 {
		t.Errorf("a second rewrap: %d rewrapped, %d current, %v", again, current, err)
	}

	// After it, the new key alone opens every field sealed before and during.
	after, err := pii.Open(ctx, js, newKey, 1)
	if err != nil {
		t.Fatal(err)
	}
	for subject, v := range sealed {
		got := v
		if err := after.Open(ctx, subject, []*string{&got}); err != nil || got != subject+"@example.com" {
			t.Errorf("%s after the rotation: %q %v", subject, got, err)
		}
	}
	// And the old key alone no longer does.
	old, err := pii.Open(ctx, js, oldKey, 1)
	if err != nil {
		t.Fatal(err)
	}
	probe = sealed["u2"]
	if err := old.Open(ctx, "u2", []*string{&probe}); !errors.Is(err, pii.ErrUnreadable) {
		t.Errorf("the old key still opens a rewrapped data key: %v", err)
	}
}
