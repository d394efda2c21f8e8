package app

import (
	"context"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/chatbotsaas/chatbot/command/eventstore"
	"github.com/chatbotsaas/chatbot/events"
	"github.com/chatbotsaas/chatbot/shared/deadletter"
)

// DiscardDeadLetter gives up on a dead letter: DeadLetterDiscarded records
// who did, and the letter is marked resolved (discarded, by that actor).
// The row stays locked from before the event is appended until it is
// marked, so a retry of the same letter waits and then finds it resolved.
type DiscardDeadLetter struct {
	Store *eventstore.Store
	Pool  *pgxpool.Pool
}

// Handle discards the dead letter id and answers the event's position. It
// answers 404 for an unknown one and 409 for a resolved one.
func (h DiscardDeadLetter) Handle(ctx context.Context, id string) (uint64, error) {
	tx, err := h.Pool.Begin(ctx)
	if err != nil {
		return 0, err
	}
	defer func() { _ = tx.Rollback(context.WithoutCancel(ctx)) }()
	l, err := deadletter.Lock(ctx, tx, "", id)
	if err != nil {
		return 0, deadLetterError(err)
	}
	_, res, err := eventstore.Update(ctx, h.Store, deadLetterRef(l.ID), eventstore.EventsOnly(func(*deadLetterLog) ([]events.Event, error) {
		return []events.Event{{Type: events.DeadLetterDiscarded, Data: deadLetterData(l)}}, nil
	}))
	if err != nil {
		return 0, err
	}
	if err := deadletter.Resolve(ctx, tx, l.ID, deadletter.Discarded, events.ActorFrom(ctx)); err != nil {
		return 0, err
	}
	return res.Position, tx.Commit(ctx)
}
