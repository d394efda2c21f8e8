package eventstore

import (
	"context"
	"errors"
	"math/rand/v2"
	"time"

	"github.com/chatbotsaas/chatbot/events"
	"github.com/chatbotsaas/chatbot/shared/apperr"
)

// Decision looks at an aggregate's state and returns the events that
// should happen, or an error that refuses the command.
type Decision[A Aggregate] func(agg A) ([]events.Event, error)

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
}](ctx context.Context, s *Store, ref Ref, decide Decision[A]) (Appended, error) {
	return UpdateContended[T, A](ctx, s, ref, s.opts.MaxAttempts, decide)
}

// UpdateContended is Update with its own bound on decisions, for commands
// that many clients race on by design (logins to one account).
func UpdateContended[T any, A interface {
	*T
	Aggregate
}](ctx context.Context, s *Store, ref Ref, maxAttempts int, decide Decision[A]) (Appended, error) {
	unlock := s.locks.lock(ref.key())
	defer unlock()
	for attempt := 1; ; attempt++ {
		agg := A(new(T))
		loaded, err := s.Load(ctx, ref, agg)
		if err != nil {
			return Appended{}, err
		}
		evs, err := decide(agg)
		if err != nil {
			return Appended{}, err
		}
		if len(evs) == 0 {
			return Appended{Position: loaded.Seq}, nil
		}
		res, err := s.Append(ctx, ref, loaded, evs...)
		if errors.Is(err, ErrConflict) {
			if attempt >= maxAttempts {
				return Appended{}, ErrVersionConflict
			}
			if err := backoff(ctx, attempt); err != nil {
				return Appended{}, err
			}
			continue
		}
		if err != nil {
			return Appended{}, err
		}
		s.appended(ctx, ref, agg, loaded, res)
		return res, nil
	}
}

// appended folds what was just stored into the state it was decided on
// and keeps that as the aggregate's newest state, snapshotted when due.
func (s *Store) appended(ctx context.Context, ref Ref, agg Aggregate, loaded Loaded, res Appended) {
	for _, env := range res.Envelopes {
		data, err := s.reg.Decode(&env)
		if err != nil {
			return // stored; the next load replays it
		}
		agg.Apply(env, data)
	}
	at := Loaded{Seq: res.Position, Version: loaded.Version + int64(len(res.Envelopes))}
	due := at.Version/s.opts.SnapshotEvery > loaded.Version/s.opts.SnapshotEvery
	s.remember(ctx, ref, agg, at, snapshotVersion(agg), due)
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
