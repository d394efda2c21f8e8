package app_test

import (
	"context"
	"errors"
	"testing"

	"github.com/google/uuid"

	"github.com/chatbotsaas/chatbot/command/app"
	"github.com/chatbotsaas/chatbot/events"
	"github.com/chatbotsaas/chatbot/shared/taskrouter"
)

// The erasure task refuses an event that is not a user's deletion before
// it touches anything, whatever its consumer's filter let through: it
// holds no store here, so reaching the erasure would panic.
func TestTheErasureTaskRefusesAnyEventButAUsersDeletion(t *testing.T) {
	do := app.Eraser{}.ErasureTask().Do
	for _, c := range []struct{ typ, aggregate string }{
		{events.LoginSucceeded, events.AggregateUser},
		{events.UserRegistered, events.AggregateUser},
		{events.UserDeleted, events.AggregateChatbot},
	} {
		env := events.Envelope{ID: uuid.NewString(), Type: c.typ, Version: 1, TenantID: uuid.NewString(),
			AggregateType: c.aggregate, AggregateID: uuid.NewString(), AggregateVersion: 1, Data: []byte(`{}`)}
		b, err := env.Marshal()
		if err != nil {
			t.Fatal(err)
		}
		m := taskrouter.NewMessage(events.Subject(env.TenantID, c.aggregate, env.AggregateID, c.typ), 7, nil, b)
		if err := do(context.Background(), m); !errors.Is(err, taskrouter.ErrCannotDo) {
			t.Errorf("%s on %s: got %v, want ErrCannotDo", c.typ, c.aggregate, err)
		}
	}
}
