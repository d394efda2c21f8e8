package app_test

import (
	"context"
	"testing"
	"time"

	"github.com/chatbotsaas/chatbot/command/app"
	"github.com/chatbotsaas/chatbot/events"
)

func signupOf(email string) app.SignupInput {
	return app.SignupInput{CompanyName: "Acme", Name: "Ada", Email: email, Password: password}
}

// A signup retried under its Idempotency-Key, after an attempt that got
// its events stored but was never answered, makes the same company and
// user once, and the account still logs in.
func TestASignupRetriedUnderItsKeyIsDoneOnce(t *testing.T) {
	h := newHarness(t, 4)
	at := time.Now()
	key := func() context.Context {
		return events.WithIDSeed(context.Background(), events.NewIDSeed([]byte("signup-1"), at))
	}
	var first, again []string
	for _, ids := range []*[]string{&first, &again} {
		res, err := h.id.Signup.Handle(key(), signupOf("ada@example.com"))
		if err != nil {
			t.Fatal(err)
		}
		*ids = []string{res.CompanyID, res.UserID}
		if evs := h.userEvents(res); len(evs) != 1 {
			t.Fatalf("the user has %d events, want 1", len(evs))
		}
	}
	if first[0] != again[0] || first[1] != again[1] {
		t.Fatalf("the retry made %v, the first %v", again, first)
	}
	if _, err := h.login("ada@example.com", password); err != nil {
		t.Fatalf("login after the retry: %v", err)
	}
	if _, err := h.id.Signup.Handle(context.Background(), signupOf("ada@example.com")); !isCode(err, "email_taken") {
		t.Fatalf("another signup with the email: %v", err)
	}
}
