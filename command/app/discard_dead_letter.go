package app

import (
	"context"

	"github.com/chatbotsaas/chatbot/events"
)

// DiscardDeadLetter gives up on a dead letter: DeadLetterDiscardRequested
// records who did, and the letter is marked resolved (discarded, by that
// actor) in the transaction that claims the request.
type DiscardDeadLetter struct{ DeadLetterRequests }

// Handle discards the dead letter id and answers the event's position. It
// answers 404 for an unknown one, 409 for a resolved one, 503 when no
// answer came in time.
func (h DiscardDeadLetter) Handle(ctx context.Context, id string) (uint64, error) {
	_, pos, err := h.request(ctx, events.DeadLetterDiscardRequested, id)
	return pos, err
}
