package eventstore

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/nats-io/nats.go"
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
	last, err := s.last(ctx, ref)
	if err != nil {
		return Loaded{}, err
	}
	lastSeq := last.Seq
	if lastSeq == 0 {
		return Loaded{}, nil
	}
	snapVersion := snapshotVersion(agg)
	base, ok := s.cache.get(ref.key())
	if ok && base.Seq > lastSeq && s.opts.Replicas > 1 {
		// The replica that answered is behind what this process already
		// holds: the leader says where the history ends, so that a load
		// never goes back in time.
		if last, err = s.last(withLeaderReads(ctx), ref); err != nil {
			return Loaded{}, err
		}
		lastSeq = last.Seq
	}
	if !ok || base.SnapshotVersion != snapVersion || base.Seq > lastSeq {
		base = s.readSnapshot(ctx, ref, snapVersion, lastSeq)
	}
	if base.Seq > 0 {
		if err := json.Unmarshal(base.State, agg); err != nil {
			base = snapshot{} // unreadable: replay from the start
		}
	}
	loaded, err := s.CatchUp(ctx, ref, agg, Loaded{Seq: base.Seq, Version: base.Version}, last)
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

// Last is where the aggregate's history ends now: the stream sequence and
// version of its newest event (zero if none), read with one direct get. A
// view that keeps its own state compares it with where that state is.
func (s *Store) Last(ctx context.Context, ref Ref) (Loaded, error) {
	if err := ref.check(); err != nil {
		return Loaded{}, err
	}
	return s.last(ctx, ref)
}

// singleGets is how few events are read with one direct get each rather
// than a batch get, which costs a subscription of its own.
const singleGets = 16

// CatchUp folds into agg, the aggregate's state as of at, its events after
// at up to last, read from the stream alone (neither the cache nor a
// snapshot is read or written). Replayed counts them. Knowing how many
// events remain, it asks for no more: the server then stops at the last
// one instead of searching the rest of the stream for another.
func (s *Store) CatchUp(ctx context.Context, ref Ref, agg Aggregate, at, last Loaded) (Loaded, error) {
	loaded := Loaded{Seq: at.Seq, Version: at.Version}
	for loaded.Seq < last.Seq {
		remaining := replayBatch
		if last.Version > loaded.Version {
			remaining = int(min(last.Version-loaded.Version, replayBatch))
		}
		n, err := 0, error(nil)
		if remaining > singleGets {
			if n, err = s.replay(ctx, ref, agg, &loaded, last.Seq, remaining); err != nil {
				return Loaded{}, err
			}
		}
		if n == 0 {
			// A batch get can come back empty when the server is busy with
			// others; one plain direct get is always answered.
			if n, err = s.replayOne(ctx, ref, agg, &loaded, last.Seq); err != nil {
				return Loaded{}, err
			}
		}
		loaded.Replayed += n
	}
	return loaded, nil
}

// lastSeq is the stream sequence of the newest event under ref's filter.
func (s *Store) lastSeq(ctx context.Context, ref Ref) (uint64, error) {
	last, err := s.last(ctx, ref)
	return last.Seq, err
}

// last is the stream sequence and version of the aggregate's newest event.
func (s *Store) last(ctx context.Context, ref Ref) (Loaded, error) {
	msg, err := s.lastMsg(ctx, ref.Filter())
	if errors.Is(err, jetstream.ErrMsgNotFound) {
		return Loaded{}, nil
	}
	if err != nil {
		return Loaded{}, fmt.Errorf("load %s: %w", ref, err)
	}
	var v struct {
		Version int64 `json:"aggregate_version"`
	}
	_ = json.Unmarshal(msg.Data, &v) // unreadable: the count stays unknown
	return Loaded{Seq: msg.Sequence, Version: v.Version}, nil
}

// replay applies up to batch of the aggregate's events after loaded.Seq and
// at most lastSeq, and returns how many it applied.
func (s *Store) replay(ctx context.Context, ref Ref, agg Aggregate, loaded *Loaded, lastSeq uint64, batch int) (int, error) {
	ctx, done := s.bound(ctx) // the whole batch, its messages included
	defer done(nil)
	msgs, err := jetstreamext.GetBatch(ctx, s.js, events.StreamName, batch,
		jetstreamext.GetBatchSeq(loaded.Seq+1), jetstreamext.GetBatchSubject(ref.Filter()))
	if err != nil {
		return 0, fmt.Errorf("load %s: %w", ref, done(err))
	}
	n := 0
	for msg, err := range msgs {
		if errors.Is(err, jetstreamext.ErrNoMessages) {
			break
		}
		if err != nil {
			return n, fmt.Errorf("load %s: %w", ref, done(err))
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
	if (errors.Is(err, jetstream.ErrMsgNotFound) || errors.Is(err, nats.ErrNoResponders)) && s.opts.Replicas > 1 {
		// A replica behind the leader that told us where the history ends.
		s.opts.Metrics.leaderRead()
		msg, err = s.nextOnLeader(ctx, loaded.Seq+1, ref.Filter())
	}
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
