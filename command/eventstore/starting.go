package eventstore

import (
	"context"
	"errors"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/chatbotsaas/chatbot/events"
)

// Started is a new aggregate that a decision on another one starts: a
// login's session. Its id is fresh, so nothing can be stored under it.
type Started struct {
	Ref    Ref
	Events []events.Event
}

// UpdateStarting is UpdateContended for a decision that may start a new
// aggregate: start tells from the decision's result which, if any (its
// error refuses the command with nothing appended). The
// decided events and the new aggregate's are appended in one atomic batch
// (one write to disk), so that neither is stored without the other; only
// the first message carries the check of ref, as a batch allows. A
// conflict on ref decides again, and starts again, up to maxAttempts
// times (0: the store's bound).
func UpdateStarting[T any, A interface {
	*T
	Aggregate
}, R any](ctx context.Context, s *Store, ref Ref, maxAttempts int, decide Decision[A, R], start func(R) (Started, error)) (R, Appended, error) {
	if maxAttempts <= 0 {
		maxAttempts = s.opts.MaxAttempts
	}
	unlock := s.locks.lock(ref.key())
	defer unlock()
	var zero R
	for attempt := 1; ; attempt++ {
		agg := A(new(T))
		loaded, err := s.Load(ctx, ref, agg)
		if err != nil {
			return zero, Appended{}, err
		}
		decided, evs, err := decide(agg)
		if err != nil {
			return zero, Appended{}, err
		}
		if len(evs) == 0 {
			return decided, Appended{Position: loaded.Seq}, nil
		}
		started, err := start(decided)
		if err != nil {
			return zero, Appended{}, err
		}
		res, err := s.appendStarting(ctx, ref, loaded, evs, started)
		if errors.Is(err, ErrConflict) {
			var again error
			if ctx, again = decideAgain(ctx, attempt, maxAttempts); again != nil {
				return zero, Appended{}, again
			}
			continue
		}
		if err != nil {
			return zero, Appended{}, err
		}
		own := res
		own.Envelopes = res.Envelopes[:len(evs)]
		own.Position = own.Envelopes[len(evs)-1].Position
		s.appended(ctx, ref, agg, loaded, own, evs)
		return decided, res, nil
	}
}

// appendStarting appends evs to ref and the started aggregate's events
// after them, in one batch.
func (s *Store) appendStarting(ctx context.Context, ref Ref, expected Loaded, evs []events.Event, st Started) (Appended, error) {
	if len(st.Events) == 0 {
		return s.Append(ctx, ref, expected, evs...)
	}
	if err := ref.check(); err != nil {
		return Appended{}, err
	}
	if err := st.Ref.check(); err != nil {
		return Appended{}, err
	}
	envs, msgs, err := s.envelopes(ctx, ref, expected, check{filter: ref.Filter(), seq: expected.Seq}, evs)
	if err != nil {
		return Appended{}, err
	}
	more, moreMsgs, err := s.envelopes(ctx, st.Ref, Loaded{}, check{}, st.Events)
	if err != nil {
		return Appended{}, err
	}
	// A batch takes one expected sequence, on its first message.
	moreMsgs[0].Header.Del(jetstream.ExpectedLastSubjSeqHeader)
	moreMsgs[0].Header.Del(jetstream.ExpectedLastSubjSeqSubjHeader)
	return s.publish(ctx, ref, append(envs, more...), append(msgs, moreMsgs...))
}
