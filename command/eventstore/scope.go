package eventstore

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/chatbotsaas/chatbot/events"
)

// Scope is a set of aggregates that one decision covers, such as every user
// of a tenant when a rule counts them all: a decision made in a scope is
// appended only if nothing in the scope changed after it was read.
type Scope struct {
	Tenant string
	Type   string
}

// all names every aggregate of the scope at once.
func (sc Scope) all() Ref { return Ref{Tenant: sc.Tenant, Type: sc.Type, ID: "*"} }

// IDs lists the aggregates of the scope that have an event of type first
// (the event that creates them).
func (s *Store) IDs(ctx context.Context, sc Scope, first string) ([]string, error) {
	filter := events.SubjectPrefix + "." + sc.Tenant + "." + sc.Type + ".*." + first
	info, err := s.stream.Info(ctx, jetstream.WithSubjectFilter(filter))
	if err != nil {
		return nil, fmt.Errorf("list %s/%s: %w", sc.Tenant, sc.Type, err)
	}
	ids := make([]string, 0, len(info.State.Subjects))
	for subject := range info.State.Subjects {
		parts := strings.Split(subject, ".")
		if len(parts) == 5 {
			ids = append(ids, parts[3])
		}
	}
	return ids, nil
}

// UpdateInScope is Update for a decision that depends on other aggregates
// of sc as well as on ref (which must lie in it): decide may load them, and
// the append fails over to a new decision when any aggregate of the scope
// changed after the decision began, so two racing decisions can never both
// rely on the same picture.
func UpdateInScope[T any, A interface {
	*T
	Aggregate
}, R any](ctx context.Context, s *Store, sc Scope, ref Ref, decide Decision[A, R]) (R, Appended, error) {
	unlock := s.locks.lock(sc.all().key())
	defer unlock()
	var zero R
	for attempt := 1; ; attempt++ {
		scopeSeq, err := s.lastSeq(ctx, sc.all())
		if err != nil {
			return zero, Appended{}, err
		}
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
		res, err := s.appendChecked(ctx, ref, loaded, check{filter: sc.all().Filter(), seq: scopeSeq}, evs)
		if errors.Is(err, ErrConflict) {
			var again error
			if ctx, again = decideAgain(ctx, attempt, s.opts.MaxAttempts); again != nil {
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
