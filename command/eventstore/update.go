package eventstore

import (
	"context"
	"errors"
	"math/rand/v2"
	"reflect"
	"time"

	"github.com/chatbotsaas/chatbot/events"
	"github.com/chatbotsaas/chatbot/shared/apperr"
)

// Decision looks at an aggregate's state and returns what it decided (R,
// handed back to the caller as it is) and the events that should happen,
// or an error that refuses the command. A decision may return its
// aggregate itself as R: what is appended is folded into it, so the
// caller sees the state after the command without decoding anything.
type Decision[A Aggregate, R any] func(agg A) (R, []events.Event, error)

// ErrVersionConflict is what a command answers when its aggregate kept
// changing under it: 409 version_conflict.
var ErrVersionConflict = apperr.New(apperr.KindConflict, "version_conflict",
	"the object changed while the request was processed; retry it")

// Update loads the aggregate, decides, and appends what was decided. When
// another writer got in between, it loads and decides again, a bounded
// number of times, then answers ErrVersionConflict. A decision that returns
// no events appends nothing; the result's Position is then the aggregate's
// current position.
func Update[T any, A interface {
	*T
	Aggregate
}, R any](ctx context.Context, s *Store, ref Ref, decide Decision[A, R]) (R, Appended, error) {
	return UpdateContended[T, A](ctx, s, ref, s.opts.MaxAttempts, decide)
}

// UpdateContended is Update with its own bound on decisions, for commands
// that many clients race on by design (logins to one account).
func UpdateContended[T any, A interface {
	*T
	Aggregate
}, R any](ctx context.Context, s *Store, ref Ref, maxAttempts int, decide Decision[A, R]) (R, Appended, error) {
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
		res, err := s.Append(ctx, ref, loaded, evs...)
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
		s.appended(ctx, ref, agg, loaded, res, evs)
		return decided, res, nil
	}
}

// appended folds what was just stored into the state it was decided on
// and keeps that as the aggregate's newest state, snapshotted when due.
// It folds the decided events themselves: they are what was stored, and
// decoding the stored copy again would only cost time.
func (s *Store) appended(ctx context.Context, ref Ref, agg Aggregate, loaded Loaded, res Appended, evs []events.Event) {
	for i, env := range res.Envelopes {
		agg.Apply(env, dataPointer(evs[i].Data))
	}
	at := Loaded{Seq: res.Position, Version: loaded.Version + int64(len(res.Envelopes))}
	due := at.Version/s.opts.SnapshotEvery > loaded.Version/s.opts.SnapshotEvery
	s.remember(ctx, ref, agg, at, snapshotVersion(agg), due)
}

// dataPointer is an event's data as Apply takes it, a pointer to its struct.
func dataPointer(data any) any {
	v := reflect.ValueOf(data)
	if !v.IsValid() || v.Kind() == reflect.Pointer {
		return data
	}
	p := reflect.New(v.Type())
	p.Elem().Set(v)
	return p.Interface()
}

// decideAgain is what follows a decision refused as a conflict: after
// maxAttempts of them, ErrVersionConflict; before, a backoff, and the
// context the next decision reads under, which reads where the history
// ends from the stream leader (the refused decision may have been taken on
// a replica's stale state).
func decideAgain(ctx context.Context, attempt, maxAttempts int) (context.Context, error) {
	if attempt >= maxAttempts {
		return ctx, ErrVersionConflict
	}
	if err := backoff(ctx, attempt); err != nil {
		return ctx, err
	}
	return withLeaderReads(ctx), nil
}

// backoff waits a little, more after each conflict, with jitter so that
// racing writers spread out.
func backoff(ctx context.Context, attempt int) error {
	d := time.Duration(min(attempt, 10)*min(attempt, 10)) * time.Millisecond
	d += time.Duration(rand.Int64N(int64(d) + 1))
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

// Nothing is the result of a decision that decides only events.
type Nothing struct{}

// EventsOnly adapts a decision that decides only events.
func EventsOnly[A Aggregate](decide func(A) ([]events.Event, error)) Decision[A, Nothing] {
	return func(agg A) (Nothing, []events.Event, error) {
		evs, err := decide(agg)
		return Nothing{}, evs, err
	}
}
