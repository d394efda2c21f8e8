package app

import (
	"context"
	"errors"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/nats-io/nats.go"

	"github.com/chatbotsaas/chatbot/command/eventstore"
	"github.com/chatbotsaas/chatbot/events"
	"github.com/chatbotsaas/chatbot/shared/apperr"
	"github.com/chatbotsaas/chatbot/shared/deadletter"
)

// deadLetterLog is the aggregate of what operators did with one dead
// letter: the audit trail. The dead_letters row holds its state.
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
		Message: "the consumer's process did not answer in time; it may still apply the retry: look at the dead letter before retrying"}
)

// deadLetterError maps the store's and the owner's refusals to API errors.
func deadLetterError(err error) error {
	switch {
	case errors.Is(err, deadletter.ErrNotFound):
		return errDeadLetterNotFound
	case errors.Is(err, deadletter.ErrResolved):
		return errDeadLetterResolved
	case errors.Is(err, deadletter.ErrNoOwner):
		return errNoConsumer
	case errors.Is(err, context.DeadlineExceeded), errors.Is(err, nats.ErrTimeout):
		return errNoAnswer
	}
	return err
}

// RetryDeadLetter asks the consumer that parked a dead letter to apply its
// message again: DeadLetterRetryRequested records who asked, and the
// process that runs the consumer (the projection's leader, or a process
// running the task) applies it and resolves the letter in one transaction,
// so that it is applied once, and answers the outcome.
type RetryDeadLetter struct {
	Store *eventstore.Store
	Pool  *pgxpool.Pool
	NATS  *nats.Conn
	Wait  time.Duration // for the outcome, within the caller's deadline; default 10s
}

// RetryResult is the outcome and the position of the request's event.
type RetryResult struct {
	deadletter.Outcome
	Position uint64
}

// Handle retries the dead letter id. It answers 404 for an unknown one,
// 409 for a resolved one, 503 when no process runs its consumer.
func (h RetryDeadLetter) Handle(ctx context.Context, id string) (RetryResult, error) {
	l, err := deadletter.Get(ctx, h.Pool, id)
	if err == nil && !l.Open() {
		err = deadletter.ErrResolved
	}
	if err != nil {
		return RetryResult{}, deadLetterError(err)
	}
	_, res, err := eventstore.Update(ctx, h.Store, deadLetterRef(l.ID), eventstore.EventsOnly(func(*deadLetterLog) ([]events.Event, error) {
		return []events.Event{{Type: events.DeadLetterRetryRequested, Data: deadLetterData(l)}}, nil
	}))
	if err != nil {
		return RetryResult{}, err
	}
	wait := h.Wait
	if wait <= 0 {
		wait = 10 * time.Second
	}
	actx, cancel := context.WithTimeout(ctx, wait)
	defer cancel()
	out, err := deadletter.Ask(actx, h.NATS, l.Consumer, deadletter.RetryRequest{ID: l.ID, Actor: events.ActorFrom(ctx)})
	if err != nil {
		return RetryResult{}, deadLetterError(err)
	}
	return RetryResult{Outcome: out, Position: res.Position}, nil
}

func deadLetterData(l deadletter.Letter) events.DeadLetterData {
	return events.DeadLetterData{DeadLetterID: l.ID, Consumer: l.Consumer, Position: l.Position, EventType: l.EventType}
}
