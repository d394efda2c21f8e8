package app

import (
	"context"

	"github.com/chatbotsaas/chatbot/events"
	"github.com/chatbotsaas/chatbot/shared/deadletter"
)

// RetryDeadLetter asks for a dead letter's message to be applied again by
// the consumer that parked it: DeadLetterRetryRequested records who asked,
// and the process that runs the consumer (the projection's leader, or a
// process running the task) applies it and resolves the letter in one
// transaction, so that it is applied once.
type RetryDeadLetter struct{ DeadLetterRequests }

// RetryResult is the outcome and the position of the request's event.
type RetryResult struct {
	deadletter.Outcome
	Position uint64
}

// Handle retries the dead letter id. It answers 404 for an unknown one,
// 409 for a resolved one, 503 when no process runs its consumer or no
// answer came in time.
func (h RetryDeadLetter) Handle(ctx context.Context, id string) (RetryResult, error) {
	a, pos, err := h.request(ctx, events.DeadLetterRetryRequested, id)
	if err != nil {
		return RetryResult{}, err
	}
	return RetryResult{Outcome: a.Outcome, Position: pos}, nil
}
