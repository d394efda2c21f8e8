package eventstore

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/chatbotsaas/chatbot/events"
)

// ErrNoMsgID refuses a Record without a dedup id: without one, a publish
// retried after a lost acknowledgement would be stored twice.
var ErrNoMsgID = errors.New("record needs a dedup id")

// Record appends evs to the aggregate without a concurrency check: for
// facts that are not decisions (usage counts), which many processes append
// to the same aggregate at once, so that a version check would only make
// them refuse each other. Their envelopes carry aggregate_version 0.
//
// msgID is the publish's Nats-Msg-Id, chosen by the caller so that a retry
// of the same record (after a timeout that may or may not have stored it)
// sends the same id: the stream keeps one copy within its duplicate window
// (2 minutes). The first event takes msgID, the next ones msgID#1, msgID#2,
// and so on. They are published one after another, not as an atomic
// batch (a batch refuses a duplicate instead of answering the stored
// copy); retrying the whole call completes a partly stored set without
// storing any event twice.
//
// A duplicate answers the position of the copy already stored, but the
// envelope this call built (its id and time are not the stored ones).
// Personal fields are sealed as by Append.
func (s *Store) Record(ctx context.Context, ref Ref, msgID string, evs ...events.Event) (Appended, error) {
	if len(evs) == 0 {
		return Appended{}, nil
	}
	if msgID == "" {
		return Appended{}, ErrNoMsgID
	}
	if err := ref.check(); err != nil {
		return Appended{}, err
	}
	envs, msgs, err := s.envelopes(ctx, ref, Loaded{}, check{}, evs)
	if err != nil {
		return Appended{}, err
	}
	var out Appended
	for i, msg := range msgs {
		// Unversioned: 0 in the stored envelope, and no expected sequence.
		envs[i].AggregateVersion = 0
		stored, err := events.Unmarshal(msg.Data, 0)
		if err != nil {
			return Appended{}, err
		}
		stored.AggregateVersion = 0
		if msg.Data, err = stored.Marshal(); err != nil {
			return Appended{}, err
		}
		msg.Header.Del(jetstream.ExpectedLastSubjSeqHeader)
		msg.Header.Del(jetstream.ExpectedLastSubjSeqSubjHeader)
		msg.Header.Set(jetstream.MsgIDHeader, recordMsgID(msgID, i))

		start := time.Now()
		ack, err := s.js.PublishMsg(ctx, msg)
		if err != nil {
			return out, fmt.Errorf("record to %s: %w", ref, err)
		}
		envs[i].Position = ack.Sequence
		if !ack.Duplicate {
			s.opts.Metrics.appended(envs[i:i+1], time.Since(start))
		}
		out.Position = ack.Sequence
		out.Envelopes = append(out.Envelopes, envs[i])
	}
	return out, nil
}

// recordMsgID is the dedup id of the i-th event of one Record call.
func recordMsgID(msgID string, i int) string {
	if i == 0 {
		return msgID
	}
	return msgID + "#" + strconv.Itoa(i)
}
