package httpx

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/chatbotsaas/chatbot/shared/apperr"
)

// claimTimeout bounds the write of a claim: a broker that does not answer
// soon fails the request before it does anything.
const claimTimeout = 2 * time.Second

// recordTimeout bounds the writes made after the route answered.
const recordTimeout = 2 * time.Second

// claim records that this request runs under k, and returns the claim's
// revision and the time of the key's first claim; or returns the answer of
// the request that ran under k before.
// A claim older than abandonAfter belongs to a request that cannot be
// running any more (killed, or cut off from the broker, its claim landing
// late): it is taken over, compare-and-set on its revision.
func (i *Idempotency) claim(ctx context.Context, k entryKeys, bodyHash string) (uint64, time.Time, *sealedAnswer, error) {
	if i.nc != nil && i.nc.Status() != nats.CONNECTED {
		// A write now would wait in the client's reconnect buffer and
		// land after this request has failed.
		return 0, time.Time{}, nil, brokerDown(errors.New("NATS is not connected"))
	}
	ctx, cancel := context.WithTimeout(ctx, claimTimeout)
	defer cancel()
	now := i.now().UTC()
	value, err := k.seal(entry{ClaimedAt: now, FirstClaimedAt: now}, sealedAnswer{BodyHash: bodyHash})
	if err != nil {
		return 0, time.Time{}, nil, err
	}
	for range 3 {
		rev, err := i.kv.Create(ctx, k.name, value)
		if err == nil {
			return rev, now, nil, nil
		}
		if !errors.Is(err, jetstream.ErrKeyExists) {
			return 0, time.Time{}, nil, brokerDown(err)
		}
		current, err := i.kv.Get(ctx, k.name)
		if errors.Is(err, jetstream.ErrKeyNotFound) {
			continue // the first one failed and let go of it
		}
		if err != nil {
			return 0, time.Time{}, nil, brokerDown(err)
		}
		e, answer, err := k.open(current.Value())
		if err != nil {
			return 0, time.Time{}, nil, err
		}
		switch {
		case e.Done:
			return 0, time.Time{}, &answer, nil
		case i.now().Sub(e.ClaimedAt) <= i.abandonAfter && answer.BodyHash != bodyHash:
			return 0, time.Time{}, nil, otherBody()
		case i.now().Sub(e.ClaimedAt) <= i.abandonAfter:
			return 0, time.Time{}, nil, inProgress()
		}
		rev, first, err := i.takeOver(ctx, k, e, bodyHash, current.Revision())
		if err == nil {
			return rev, first, nil, nil
		}
		if !errors.Is(err, jetstream.ErrKeyRevisionMismatch) {
			return 0, time.Time{}, nil, brokerDown(err)
		}
		// Another retry took it over first: look again.
	}
	return 0, time.Time{}, nil, inProgress()
}

// takeOver claims k anew in place of abandoned, compare-and-set on its
// revision, keeping its first claim's time: the retry makes the ids the
// abandoned request made.
func (i *Idempotency) takeOver(ctx context.Context, k entryKeys, abandoned entry, bodyHash string, revision uint64) (uint64, time.Time, error) {
	now := i.now().UTC()
	first := abandoned.FirstClaimedAt
	if first.IsZero() { // claimed by an earlier version
		first = abandoned.ClaimedAt
	}
	value, err := k.seal(entry{ClaimedAt: now, FirstClaimedAt: first}, sealedAnswer{BodyHash: bodyHash})
	if err != nil {
		return 0, time.Time{}, err
	}
	rev, err := i.kv.Update(ctx, k.name, value, revision)
	if err != nil {
		return 0, time.Time{}, err
	}
	i.metrics.takeovers.Inc()
	return rev, first, nil
}

// release lets go of a claim whose request failed, so the client may try
// the same key again. A claim taken over meanwhile is not ours to delete;
// one that cannot be deleted now is abandoned and taken over later.
func (i *Idempotency) release(ctx context.Context, k entryKeys, rev uint64) {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), recordTimeout)
	defer cancel()
	_ = i.kv.Delete(ctx, k.name, jetstream.LastRevision(rev))
}

// record keeps the answer in place of the claim. A failure is logged and
// counted but never told to the client: the work is done, and an error
// would make it retry and do it twice.
func (i *Idempotency) record(ctx context.Context, k entryKeys, rev uint64, answer sealedAnswer) {
	value, err := k.seal(entry{Done: true, ClaimedAt: i.now().UTC()}, answer)
	if err == nil {
		wctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), recordTimeout)
		_, err = i.kv.Update(wctx, k.name, value, rev)
		cancel()
	}
	if err != nil {
		i.metrics.recordFailures.Inc()
		i.log.ErrorContext(ctx, "answer not kept for its Idempotency-Key; a retry will run the request again", "err", err)
	}
}

func brokerDown(err error) error {
	e := apperr.New(apperr.KindUnavailable, "unavailable", "cannot take the Idempotency-Key now; retry shortly")
	e.Err = fmt.Errorf("claim Idempotency-Key: %w", err)
	e.RetryAfter = 1
	return e
}

func inProgress() error {
	e := apperr.New(apperr.KindConflict, "conflict", "a request with this Idempotency-Key is in progress; retry shortly")
	e.RetryAfter = 1
	return e
}

func otherBody() error {
	return apperr.Validation(apperr.FieldError{Field: "Idempotency-Key", Message: "was used with another request body"})
}
