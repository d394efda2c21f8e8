package eventstore

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/nats-io/nats.go/jetstream"
	"github.com/synadia-io/orbit.go/jetstreamext"

	"github.com/chatbotsaas/chatbot/events"
)

// replayBatch is how many events one direct-get request returns.
const replayBatch = 500

// Load folds the aggregate's history into agg. It starts from the newest
// state it has (in memory, else a snapshot) and reads only the events after
// it, so a long history costs no more than a short one once it has been
// loaded or snapshotted.
func (s *Store) Load(ctx context.Context, ref Ref, agg Aggregate) (Loaded, error) {
	if err := ref.check(); err != nil {
		return Loaded{}, err
	}
	lastSeq, err := s.lastSeq(ctx, ref)
	if err != nil {
		return Loaded{}, err
	}
	if lastSeq == 0 {
		return Loaded{}, nil
	}
	snapVersion := snapshotVersion(agg)
	base, ok := s.cache.get(ref.key())
	if !ok || base.SnapshotVersion != snapVersion || base.Seq > lastSeq {
		base = s.readSnapshot(ctx, ref, snapVersion, lastSeq)
	}
	if base.Seq > 0 {
		if err := json.Unmarshal(base.State, agg); err != nil {
			base = snapshot{} // unreadable: replay from the start
		}
	}
	loaded, err := s.CatchUp(ctx, ref, agg, Loaded{Seq: base.Seq, Version: base.Version}, lastSeq)
	if err != nil {
		return Loaded{}, err
	}
	replayed := loaded.Replayed
	s.opts.Metrics.loaded(ref.Type, replayed)
	if replayed > 0 {
		s.remember(ctx, ref, agg, loaded, snapVersion, replayed >= int(s.opts.SnapshotEvery))
	}
	return loaded, nil
}

// LastSeq is the stream sequence of the aggregate's newest event, 0 if
// none: one direct get. A view that keeps its own state compares it with
// the sequence that state is at.
func (s *Store) LastSeq(ctx context.Context, ref Ref) (uint64, error) {
	if err := ref.check(); err != nil {
		return 0, err
	}
	return s.lastSeq(ctx, ref)
}

// CatchUp folds into agg, the aggregate's state as of at, its events after
// at.Seq up to lastSeq, read from the stream alone (neither the cache nor a
// snapshot is read or written). Replayed counts them.
func (s *Store) CatchUp(ctx context.Context, ref Ref, agg Aggregate, at Loaded, lastSeq uint64) (Loaded, error) {
	loaded := Loaded{Seq: at.Seq, Version: at.Version}
	for loaded.Seq < lastSeq {
		n, err := s.replay(ctx, ref, agg, &loaded, lastSeq)
		if err != nil {
			return Loaded{}, err
		}
		if n == 0 {
			// A batch get can come back empty when the server is busy with
			// others; one plain direct get is always answered.
			if n, err = s.replayOne(ctx, ref, agg, &loaded, lastSeq); err != nil {
				return Loaded{}, err
			}
		}
		loaded.Replayed += n
	}
	return loaded, nil
}

// lastSeq is the stream sequence of the aggregate's newest event, 0 if none.
func (s *Store) lastSeq(ctx context.Context, ref Ref) (uint64, error) {
	msg, err := s.stream.GetLastMsgForSubject(ctx, ref.Filter())
	if errors.Is(err, jetstream.ErrMsgNotFound) {
		return 0, nil
	}
	if err != nil {
		return 0, fmt.Errorf("load %s: %w", ref, err)
	}
	return msg.Sequence, nil
}

// replay applies up to one batch of the aggregate's events after
// loaded.Seq and at most lastSeq, and returns how many it applied.
func (s *Store) replay(ctx context.Context, ref Ref, agg Aggregate, loaded *Loaded, lastSeq uint64) (int, error) {
	msgs, err := jetstreamext.GetBatch(ctx, s.js, events.StreamName, replayBatch,
		jetstreamext.GetBatchSeq(loaded.Seq+1), jetstreamext.GetBatchSubject(ref.Filter()))
	if err != nil {
		return 0, fmt.Errorf("load %s: %w", ref, err)
	}
	n := 0
	for msg, err := range msgs {
		if errors.Is(err, jetstreamext.ErrNoMessages) {
			break
		}
		if err != nil {
			return n, fmt.Errorf("load %s: %w", ref, err)
		}
		if msg.Sequence > lastSeq {
			break
		}
		env, err := events.Unmarshal(msg.Data, msg.Sequence)
		if err != nil {
			return n, err
		}
		data, err := s.decode(ctx, &env)
		if err != nil {
			return n, fmt.Errorf("load %s: %w", ref, err)
		}
		agg.Apply(env, data)
		loaded.Seq, loaded.Version = msg.Sequence, env.AggregateVersion
		n++
	}
	return n, nil
}

// replayOne applies the aggregate's next event after loaded.Seq.
func (s *Store) replayOne(ctx context.Context, ref Ref, agg Aggregate, loaded *Loaded, lastSeq uint64) (int, error) {
	msg, err := s.stream.GetMsg(ctx, loaded.Seq+1, jetstream.WithGetMsgSubject(ref.Filter()))
	if err != nil || msg.Sequence > lastSeq {
		return 0, fmt.Errorf("load %s: history ends at %d, before its last event %d: %v", ref, loaded.Seq, lastSeq, err)
	}
	env, err := events.Unmarshal(msg.Data, msg.Sequence)
	if err != nil {
		return 0, err
	}
	data, err := s.decode(ctx, &env)
	if err != nil {
		return 0, fmt.Errorf("load %s: %w", ref, err)
	}
	agg.Apply(env, data)
	loaded.Seq, loaded.Version = msg.Sequence, env.AggregateVersion
	return 1, nil
}

func snapshotVersion(agg Aggregate) int {
	if v, ok := agg.(SnapshotVersioner); ok {
		return v.SnapshotVersion()
	}
	return 1
}

// decode reads a stored event's data, its personal fields opened.
func (s *Store) decode(ctx context.Context, env *events.Envelope) (any, error) {
	data, err := s.reg.Decode(env)
	if err != nil {
		return nil, err
	}
	if err := s.opts.Vault.OpenData(ctx, env.AggregateID, data); err != nil {
		return nil, err
	}
	return data, nil
}
