package projector

import (
	"context"
	"errors"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/chatbotsaas/chatbot/events"
	"github.com/chatbotsaas/chatbot/shared/pii"
)

// reduce runs the projection's reducer on one message.
func (c *consumer) reduce(ctx context.Context, b *Batch, m jetstream.Msg, seq uint64) error {
	return c.r.reduce(ctx, c.p, b, m.Data(), seq)
}

// reduce decodes one stored event and runs the projection's reducer on it.
func (r *Runner) reduce(ctx context.Context, p Projection, b *Batch, stored []byte, seq uint64) error {
	env, data, reducer, err := r.decode(ctx, p, stored, seq)
	if err != nil || reducer == nil {
		return err
	}
	b.touch(env.TenantID)
	return reducer(b, env, data)
}

// decode reads one message for the consumer's projection.
func (c *consumer) decode(ctx context.Context, m jetstream.Msg, seq uint64) (events.Envelope, any, Reducer, error) {
	return c.r.decode(ctx, c.p, m.Data(), seq)
}

// decode reads one stored event: its envelope, its data decoded and upcast
// (left as stored for an Every projection), and the reducer it goes to,
// nil when the projection has none for its type.
func (r *Runner) decode(ctx context.Context, p Projection, stored []byte, seq uint64) (events.Envelope, any, Reducer, error) {
	env, err := events.Unmarshal(stored, seq)
	if err != nil {
		return env, nil, nil, err
	}
	if p.Every != nil {
		return env, nil, p.Every, nil
	}
	reducer, ok := p.Reducers[env.Type]
	if !ok {
		return env, nil, nil, nil
	}
	data, err := r.deps.Registry.Decode(&env)
	if err != nil {
		return env, nil, nil, err
	}
	if err := r.deps.Vault.OpenData(ctx, env.AggregateID, data); err != nil {
		if errors.Is(err, pii.ErrUnreadable) {
			return env, nil, nil, err
		}
		return env, nil, nil, &outage{err: err} // the key bucket did not answer: not the event's fault
	}
	return env, data, reducer, nil
}

// outage is a failure of something the projection depends on, retried
// until it passes rather than held against the event.
type outage struct{ err error }

func (o *outage) Error() string { return o.err.Error() }
