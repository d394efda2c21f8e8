package eventstore

import (
	"context"
	"errors"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/chatbotsaas/chatbot/events"
)

// alreadyStored tells whether envs, whose ids are derived (the request
// runs under an Idempotency-Key), are the newest of their subject, and
// their last one's stream sequence: the append of an attempt killed before
// it was answered, which its retry then counts as its own. A batch is
// atomic, so its last event being there means all of it is. Derived ids
// cover the events' contents, so a retry deciding otherwise never matches.
func (s *Store) alreadyStored(ctx context.Context, envs []events.Envelope) (uint64, bool) {
	last := envs[len(envs)-1]
	// The append was refused by the leader: a replica may not have the
	// stored events yet, so the leader is asked.
	get := s.stream.GetLastMsgForSubject
	if s.opts.Replicas > 1 {
		get = s.lastOnLeader
	}
	msg, err := get(ctx, last.Subject())
	if err != nil {
		if !errors.Is(err, jetstream.ErrMsgNotFound) {
			s.opts.Logger.WarnContext(ctx, "look up a possibly stored append", "subject", last.Subject(), "err", err)
		}
		return 0, false
	}
	if msg.Header.Get(jetstream.MsgIDHeader) != last.ID {
		return 0, false
	}
	return msg.Sequence, true
}

// atomicBatchDuplicate is the server refusing a batch one of whose ids is
// in the duplicate window.
const atomicBatchDuplicate jetstream.ErrorCode = 10201

// mayBeStored is an append refused in a way its own stored events cause;
// when they are not there, it is a conflict like any other, which deciding
// again on the loaded aggregate answers.
func mayBeStored(err error) bool {
	return isConflict(err) || errCode(err) == atomicBatchDuplicate
}
