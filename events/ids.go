package events

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/binary"
	"strconv"
	"sync/atomic"
	"time"

	"github.com/google/uuid"
)

// IDSeed makes the ids a request generates reproducible. A request that
// runs under an Idempotency-Key gets one derived from that key: when it is
// killed after its events reached the stream but before its answer was
// recorded, the retry that takes its claim over makes the same aggregate
// ids and the same event ids, so its append is recognised as done instead
// of creating a second aggregate.
type IDSeed struct {
	key []byte
	at  time.Time // the first claim's time: the ids' timestamp
	n   atomic.Int64
}

// NewIDSeed returns a seed from secret key material and the time the
// request was first claimed.
func NewIDSeed(key []byte, at time.Time) *IDSeed {
	return &IDSeed{key: append([]byte(nil), key...), at: at}
}

// WithIDSeed makes the ids generated with ctx derive from seed.
func WithIDSeed(ctx context.Context, seed *IDSeed) context.Context {
	return context.WithValue(ctx, idSeedKey, seed)
}

func idSeedFrom(ctx context.Context) *IDSeed {
	s, _ := ctx.Value(idSeedKey).(*IDSeed)
	return s
}

// Deterministic tells whether the ids generated with ctx are derived, so
// that an append may find itself already stored.
func Deterministic(ctx context.Context) bool { return idSeedFrom(ctx) != nil }

// NewAggregateID returns a new aggregate id: a random UUIDv7, or under a
// seed the seed's next one (a command may make several, in a fixed order).
func NewAggregateID(ctx context.Context) string {
	s := idSeedFrom(ctx)
	if s == nil {
		return randomV7()
	}
	n := s.n.Add(1)
	return s.derive("aggregate", strconv.FormatInt(n, 10))
}

// NewEventID returns the id of the index-th event of an append, at
// version of the aggregate; under a seed it is derived from them and from
// the event itself: a retry whose decision differs (a new random secret)
// makes another id, so it is never taken for the stored one.
func NewEventID(ctx context.Context, aggregateType, aggregateID string, version int64, index int, eventType string, data []byte) string {
	s := idSeedFrom(ctx)
	if s == nil {
		return randomV7()
	}
	return s.derive("event", aggregateType, aggregateID, strconv.FormatInt(version, 10), strconv.Itoa(index), eventType, string(data))
}

// RandomID returns a random UUIDv7, seed or not: for an id that must
// differ on every attempt, as one naming a new secret does.
func RandomID() string { return randomV7() }

func randomV7() string {
	id, err := uuid.NewV7()
	if err != nil {
		return uuid.NewString()
	}
	return id.String()
}

// derive lays out a UUIDv7: the seed's time in the 48-bit timestamp, the
// rest from an HMAC of the parts, with valid version and variant bits.
func (s *IDSeed) derive(parts ...string) string {
	mac := hmac.New(sha256.New, s.key)
	for _, p := range parts {
		// Length-prefixed, so that no two part lists hash alike.
		var l [4]byte
		binary.BigEndian.PutUint32(l[:], uint32(len(p)))
		mac.Write(l[:])
		mac.Write([]byte(p))
	}
	sum := mac.Sum(nil)
	var u uuid.UUID
	ms := uint64(s.at.UnixMilli())
	u[0], u[1], u[2] = byte(ms>>40), byte(ms>>32), byte(ms>>24)
	u[3], u[4], u[5] = byte(ms>>16), byte(ms>>8), byte(ms)
	copy(u[6:], sum[:10])
	u[6] = 0x70 | u[6]&0x0f
	u[8] = 0x80 | u[8]&0x3f
	return u.String()
}
