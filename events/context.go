package events

import (
	"context"
	"strings"

	"github.com/nats-io/nats.go"
)

type ctxKey int

const (
	actorKey ctxKey = iota
	correlationKey
	causationKey
	idSeedKey
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

// Headers that name, on a message that is not an event (a timer), the
// event that set it, so that what the message triggers names its cause.
const (
	CausationHeader   = "Chatbot-Causation-Id"
	CorrelationHeader = "Chatbot-Correlation-Id"
)

// CauseHeaders are the headers of a message that cause sets.
func CauseHeaders(cause Envelope) nats.Header {
	h := nats.Header{}
	h.Set(CausationHeader, cause.ID)
	if cause.CorrelationID != "" {
		h.Set(CorrelationHeader, cause.CorrelationID)
	}
	return h
}

// TaskMessage is what a task consumer receives: an event of the stream, or
// a message (a due timer) whose headers name the event that set it.
type TaskMessage interface {
	Subject() string
	Headers() nats.Header
	Data() []byte
}

// WithTask returns ctx for what a task does with m: the system acts, and
// the event m is, or the event its headers name, is the cause.
func WithTask(ctx context.Context, m TaskMessage) context.Context {
	ctx = WithActor(ctx, System)
	if id := m.Headers().Get(CausationHeader); id != "" {
		ctx = context.WithValue(ctx, causationKey, id)
		if c := m.Headers().Get(CorrelationHeader); c != "" {
			ctx = WithCorrelation(ctx, c)
		}
		return ctx
	}
	if strings.HasPrefix(m.Subject(), SubjectPrefix+".") {
		if env, err := Unmarshal(m.Data(), 0); err == nil {
			ctx = WithCause(ctx, env)
		}
	}
	return ctx
}
