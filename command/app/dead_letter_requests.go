package app

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/google/uuid"
	"github.com/nats-io/nats.go"

	"github.com/chatbotsaas/chatbot/command/eventstore"
	"github.com/chatbotsaas/chatbot/events"
	"github.com/chatbotsaas/chatbot/shared/apperr"
	"github.com/chatbotsaas/chatbot/shared/deadletter"
)

// deadLetterLog is the aggregate of what operators asked of one dead
// letter: the audit trail. The dead letters' keeper holds its state.
type deadLetterLog struct{}

func (*deadLetterLog) Apply(events.Envelope, any) {}

func deadLetterRef(id string) eventstore.Ref {
	return eventstore.Ref{Tenant: events.PlatformTenant, Type: events.AggregateDeadLetter, ID: id}
}

// Errors of the dead-letter commands.
var (
	errDeadLetterNotFound = apperr.NotFound("dead letter")
	errDeadLetterResolved = apperr.New(apperr.KindConflict, "conflict", "the dead letter is already resolved (retried or discarded)")
	errNoConsumer         = &apperr.Error{Kind: apperr.KindUnavailable, Code: "consumer_unavailable", RetryAfter: 5,
		Message: "no process runs the consumer of this dead letter now; start it and retry"}
	errNoAnswer = &apperr.Error{Kind: apperr.KindUnavailable, Code: "consumer_unavailable", RetryAfter: 5,
		Message: "the dead letters' process did not answer in time; it may still act on the request: look at the dead letter before asking again"}
)

// DeadLetterRequests append an operator's request about a dead letter and
// wait, bounded, for the answer of the process that keeps the dead letters
// (tasks.DeadLetterRequests in the projector's processes): the write side
// holds no database, so that process decides whether the letter exists
// and is open, and carries the request out once.
type DeadLetterRequests struct {
	Store *eventstore.Store
	NATS  *nats.Conn
	Wait  time.Duration // for the answer, within the caller's deadline; default 10s
}

// request appends an event of type typ about the letter id and returns the
// answer to it with the event's position.
func (r DeadLetterRequests) request(ctx context.Context, typ, id string) (deadletter.Answer, uint64, error) {
	if uuid.Validate(id) != nil {
		return deadletter.Answer{}, 0, errDeadLetterNotFound
	}
	// Listening before appending: the answer cannot come before it.
	answers := make(chan *nats.Msg, 16)
	sub, err := r.NATS.ChanSubscribe(deadletter.AnswerSubject(id), answers)
	if err != nil {
		return deadletter.Answer{}, 0, fmt.Errorf("wait for the dead letter's answer: %w", err)
	}
	defer func() { _ = sub.Unsubscribe() }()
	wait := r.Wait
	if wait <= 0 {
		wait = 10 * time.Second
	}
	wctx, cancel := context.WithTimeout(ctx, wait)
	defer cancel()
	if err := r.NATS.FlushWithContext(wctx); err != nil {
		return deadletter.Answer{}, 0, fmt.Errorf("wait for the dead letter's answer: %w", err)
	}
	_, res, err := eventstore.Update(ctx, r.Store, deadLetterRef(id), eventstore.EventsOnly(func(*deadLetterLog) ([]events.Event, error) {
		return []events.Event{{Type: typ, Data: events.DeadLetterRequestData{DeadLetterID: id}}}, nil
	}))
	if err != nil {
		return deadletter.Answer{}, 0, err
	}
	for {
		select {
		case m := <-answers:
			var a deadletter.Answer
			// Another request's answer about the same letter is not ours.
			if json.Unmarshal(m.Data, &a) != nil || a.Request != res.Position {
				continue
			}
			return a, res.Position, refused(a.Refused)
		case <-wctx.Done():
			return deadletter.Answer{}, res.Position, errNoAnswer
		}
	}
}

// refused maps a refusal to its API error.
func refused(refusal string) error {
	switch refusal {
	case "":
		return nil
	case deadletter.RefusedNotFound:
		return errDeadLetterNotFound
	case deadletter.RefusedResolved:
		return errDeadLetterResolved
	case deadletter.RefusedNoOwner:
		return errNoConsumer
	case deadletter.RefusedNoAnswer:
		return errNoAnswer
	}
	return errors.New("the dead letter request was refused: " + refusal)
}
