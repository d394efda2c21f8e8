package events_test

import (
	"context"
	"testing"

	"github.com/nats-io/nats.go"

	"github.com/chatbotsaas/chatbot/events"
)

type taskMsg struct {
	subject string
	header  nats.Header
	data    []byte
}

func (m taskMsg) Subject() string      { return m.subject }
func (m taskMsg) Headers() nats.Header { return m.header }
func (m taskMsg) Data() []byte         { return m.data }

func TestATaskActsAsTheSystemCausedByWhatItReactsTo(t *testing.T) {
	cause := events.Envelope{ID: "e-1", Type: events.UserDeleted, Version: 1, TenantID: "t", AggregateType: events.AggregateUser,
		AggregateID: "u", Actor: events.UserActor("admin-1"), CorrelationID: "req-1"}
	body, err := cause.Marshal()
	if err != nil {
		t.Fatalf("encode the envelope: %v", err)
	}
	requestCtx := events.WithActor(context.Background(), events.UserActor("someone"))
	for name, m := range map[string]taskMsg{
		"an event":              {subject: cause.Subject(), header: nats.Header{}, data: body},
		"a timer the event set": {subject: "timers.due.unlock.t.u", header: events.CauseHeaders(cause)},
	} {
		t.Run(name, func(t *testing.T) {
			ctx := events.WithTask(requestCtx, m)
			if a := events.ActorFrom(ctx); a != events.System {
				t.Errorf("actor %+v, want system", a)
			}
			if got := events.CausationFrom(ctx); got != "e-1" {
				t.Errorf("causation %q, want e-1", got)
			}
			if got := events.CorrelationFrom(ctx); got != "req-1" {
				t.Errorf("correlation %q, want req-1", got)
			}
		})
	}
	t.Run("a message that names no event has no cause", func(t *testing.T) {
		ctx := events.WithTask(context.Background(), taskMsg{subject: "timers.due.unlock.t.u", header: nats.Header{}})
		if got := events.CausationFrom(ctx); got != "" || events.ActorFrom(ctx) != events.System {
			t.Errorf("causation %q, actor %+v", got, events.ActorFrom(ctx))
		}
	})
}
