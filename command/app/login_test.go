package app_test

import (
	"context"
	"testing"

	"github.com/chatbotsaas/chatbot/command/app"
	"github.com/chatbotsaas/chatbot/events"
	"github.com/chatbotsaas/chatbot/shared/testkit/scenario"
)

func TestLogin(t *testing.T) {
	h := newHarness(t, 4)
	login := func(pw string) func() error {
		return func() error {
			_, err := h.id.Login.Handle(context.Background(), app.LoginCmd{Email: "ada@example.com", Password: pw, Client: client})
			return err
		}
	}
	signup := func() error { h.signup("ada@example.com"); return nil }

	t.Run("a success and its session are one batch", func(t *testing.T) {
		spec := scenario.New(t, h.js).Given(signup).When(login(password))
		if spec.Err() != nil {
			t.Fatal(spec.Err())
		}
		got := spec.Then(events.LoginSucceeded, events.SessionStarted)
		data, err := events.Default.Decode(&got[0])
		if err != nil {
			t.Fatal(err)
		}
		ok := data.(*events.LoginSucceededData)
		if got[1].AggregateType != events.AggregateSession || got[1].AggregateID != ok.SessionID || got[1].Position != got[0].Position+1 {
			t.Fatalf("the session %+v is not the one the success names (%s), right after it", got[1], ok.SessionID)
		}
	})
	t.Run("a wrong password records a failure and no session", func(t *testing.T) {
		spec := scenario.New(t, h.js).When(login("wrong password here"))
		if spec.Err() != app.ErrInvalidCredentials {
			t.Fatalf("got %v", spec.Err())
		}
		spec.Then(events.LoginFailed)
	})
	t.Run("the failure that reaches the limit locks", func(t *testing.T) {
		for range h.policy.Get().MaxFailures - 2 {
			if err := login("wrong password here")(); err != app.ErrInvalidCredentials {
				t.Fatalf("got %v", err)
			}
		}
		spec := scenario.New(t, h.js).When(login("wrong password here"))
		spec.Then(events.LoginFailed, events.AccountLocked)
	})
	t.Run("an unknown email appends nothing", func(t *testing.T) {
		spec := scenario.New(t, h.js).When(func() error {
			_, err := h.id.Login.Handle(context.Background(), app.LoginCmd{Email: "nobody@example.com", Password: password, Client: client})
			return err
		})
		if spec.Err() != app.ErrInvalidCredentials {
			t.Fatalf("got %v", spec.Err())
		}
		spec.Then()
	})
}
