package eventstore

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"

	"github.com/nats-io/nats.go/jetstream"
)

// ErrTaken means another owner holds the reservation.
var ErrTaken = errors.New("value already reserved")

// reservationKey hashes the value so the bucket holds no personal data.
func reservationKey(scope, value string) string {
	sum := sha256.Sum256([]byte(scope + "\x00" + value))
	return scope + "." + hex.EncodeToString(sum[:])
}

// Reserve claims value within scope (such as "email") for owner. Claiming
// again for the same owner succeeds; for another owner it is ErrTaken. The
// claim is a compare-and-set, so two racing owners cannot both win.
func (s *Store) Reserve(ctx context.Context, scope, value, owner string) error {
	key := reservationKey(scope, value)
	_, err := s.unique.Create(ctx, key, []byte(owner))
	if err == nil {
		return nil
	}
	if !errors.Is(err, jetstream.ErrKeyExists) {
		return fmt.Errorf("reserve %s: %w", scope, err)
	}
	current, found, gerr := s.reservationOf(ctx, key)
	if gerr == nil && found && current.owner == owner {
		return nil
	}
	return ErrTaken
}

// Release gives up owner's claim on value; a claim held by someone else is
// left alone.
func (s *Store) Release(ctx context.Context, scope, value, owner string) error {
	key := reservationKey(scope, value)
	current, found, err := s.reservationOf(ctx, key)
	if err != nil {
		return fmt.Errorf("release %s: %w", scope, err)
	}
	if !found || current.owner != owner {
		return nil
	}
	if err := s.unique.Delete(ctx, key, jetstream.LastRevision(current.revision)); err != nil && !errors.Is(err, jetstream.ErrKeyNotFound) {
		return fmt.Errorf("release %s: %w", scope, err)
	}
	return nil
}

// Owner returns who holds value within scope, or "" if nobody does.
func (s *Store) Owner(ctx context.Context, scope, value string) (string, error) {
	r, found, err := s.reservationOf(ctx, reservationKey(scope, value))
	if err != nil || !found {
		return "", err
	}
	return r.owner, nil
}
