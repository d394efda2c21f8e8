package eventstore

import (
	"context"
	"encoding/json"
	"errors"
)

// Create appends the first events of an aggregate whose id the caller has
// just made, deciding on its empty state without loading it: nothing can
// be stored under a fresh id, and the append still carries "no event yet"
// as its expected sequence, so the server refuses it if something is.
// That refusal falls back to Update, which loads what is there and lets
// the decision answer (typically "already exists").
//
// Skipping the load matters under load: a load asks the server for the
// aggregate's last sequence, a read the embedded server answers in the
// connection's read loop behind the stream's writes and their fsyncs,
// holding up everything else the connection carries.
func Create[T any, A interface {
	*T
	Aggregate
}, R any](ctx context.Context, s *Store, ref Ref, decide Decision[A, R]) (R, Appended, error) {
	unlock := s.locks.lock(ref.key())
	agg := A(new(T))
	decided, evs, err := decide(agg)
	if err != nil {
		unlock()
		var zero R
		return zero, Appended{}, err
	}
	if len(evs) == 0 {
		unlock()
		return decided, Appended{}, nil
	}
	res, err := s.Append(ctx, ref, Loaded{}, evs...)
	if err == nil {
		s.appended(ctx, ref, agg, Loaded{}, res, evs)
	}
	unlock()
	if errors.Is(err, ErrConflict) {
		return Update[T, A](ctx, s, ref, decide)
	}
	if err != nil {
		var zero R
		return zero, res, err
	}
	return decided, res, nil
}

// Known fills agg with the aggregate's state as this process last saw it,
// without asking the server whether it has changed since, and tells
// whether there was one. It is for facts that never revert once true,
// such as a company existing; anything else needs Load.
func (s *Store) Known(ref Ref, agg Aggregate) bool {
	snap, ok := s.cache.get(ref.key())
	if !ok || snap.SnapshotVersion != snapshotVersion(agg) {
		return false
	}
	return json.Unmarshal(snap.State, agg) == nil
}
