package events

import "context"

type ctxKey int

const (
	actorKey ctxKey = iota
	correlationKey
	causationKey
)

// WithActor records who acts in ctx; events appended with ctx carry it.
func WithActor(ctx context.Context, a Actor) context.Context {
	return context.WithValue(ctx, actorKey, a)
}

// ActorFrom returns the actor in ctx, or the system actor.
func ActorFrom(ctx context.Context) Actor {
	if a, ok := ctx.Value(actorKey).(Actor); ok {
		return a
	}
	return System
}

// WithCorrelation sets the correlation id of the events appended with ctx.
// An HTTP request's id is its correlation id.
func WithCorrelation(ctx context.Context, id string) context.Context {
	return context.WithValue(ctx, correlationKey, id)
}

// CorrelationFrom returns the correlation id in ctx, or "".
func CorrelationFrom(ctx context.Context) string {
	id, _ := ctx.Value(correlationKey).(string)
	return id
}

// WithCause marks events appended with ctx as caused by event, carrying
// its correlation on.
func WithCause(ctx context.Context, cause Envelope) context.Context {
	ctx = context.WithValue(ctx, causationKey, cause.ID)
	if cause.CorrelationID != "" {
		ctx = WithCorrelation(ctx, cause.CorrelationID)
	}
	return ctx
}

// CausationFrom returns the id of the event that caused what ctx appends.
func CausationFrom(ctx context.Context) string {
	id, _ := ctx.Value(causationKey).(string)
	return id
}
