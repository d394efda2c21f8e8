package eventstore

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"github.com/synadia-io/orbit.go/jetstreamext"

	"github.com/chatbotsaas/chatbot/events"
	"github.com/chatbotsaas/chatbot/shared/observability"
	"github.com/chatbotsaas/chatbot/shared/pii"
)

// ErrConflict means another writer appended to the aggregate since it was
// loaded: load again and decide again.
var ErrConflict = errors.New("aggregate changed since it was loaded")

// Options configures a Store.
type Options struct {
	Registry      *events.Registry // default events.Default
	Replicas      int              // stream and bucket replicas; default 1
	SnapshotEvery int64            // events between snapshots; default 100
	CacheSize     int              // aggregates kept in memory; default 10,000
	MaxAttempts   int              // decisions per Update before version_conflict; default 8
	Now           func() time.Time // the clock stamped on events
	Metrics       *Metrics         // optional
	Logger        *slog.Logger
	// Vault seals the personal fields of events under the key of their
	// aggregate (the data subject) and opens them when loading. Without it
	// they are stored as they are.
	Vault *pii.Vault
}

// Store reads and appends events of aggregates.
type Store struct {
	js        jetstream.JetStream
	stream    jetstream.Stream
	snapshots jetstream.KeyValue
	unique    jetstream.KeyValue
	reg       *events.Registry
	cache     *stateCache
	locks     keyLocks
	opts      Options
}

// Bucket names.
const (
	SnapshotBucket = "SNAPSHOTS"
	UniqueBucket   = "UNIQUE"
)

// Open makes sure the stream and buckets exist and returns a store.
func Open(ctx context.Context, js jetstream.JetStream, o Options) (*Store, error) {
	if o.Registry == nil {
		o.Registry = events.Default
	}
	if o.SnapshotEvery <= 0 {
		o.SnapshotEvery = 100
	}
	if o.CacheSize <= 0 {
		o.CacheSize = 10_000
	}
	if o.MaxAttempts <= 0 {
		o.MaxAttempts = 8
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
	stream, err := events.EnsureStream(ctx, js, o.Replicas)
	if err != nil {
		return nil, err
	}
	replicas := max(o.Replicas, 1)
	snaps, err := js.CreateOrUpdateKeyValue(ctx, jetstream.KeyValueConfig{
		Bucket: SnapshotBucket, Description: "aggregate snapshots: state and the stream sequence it includes",
		History: 1, Storage: jetstream.FileStorage, Replicas: replicas,
	})
	if err != nil {
		return nil, fmt.Errorf("create bucket %s: %w", SnapshotBucket, err)
	}
	unique, err := js.CreateOrUpdateKeyValue(ctx, jetstream.KeyValueConfig{
		Bucket: UniqueBucket, Description: "reservations of unique values (hashed), owned by an aggregate",
		History: 1, Storage: jetstream.FileStorage, Replicas: replicas,
	})
	if err != nil {
		return nil, fmt.Errorf("create bucket %s: %w", UniqueBucket, err)
	}
	return &Store{js: js, stream: stream, snapshots: snaps, unique: unique, reg: o.Registry,
		cache: newStateCache(o.CacheSize), opts: o}, nil
}

// Registry is the registry events are decoded with.
func (s *Store) Registry() *events.Registry { return s.reg }

// Metrics are the store's metrics (nil when it counts nothing).
func (s *Store) Metrics() *Metrics { return s.opts.Metrics }

// Append stores evs for the aggregate if its last event is still at
// expected.Seq; several events go in as one atomic batch. It returns
// ErrConflict when another writer got there first.
func (s *Store) Append(ctx context.Context, ref Ref, expected Loaded, evs ...events.Event) (Appended, error) {
	return s.appendChecked(ctx, ref, expected, check{filter: ref.Filter(), seq: expected.Seq}, evs)
}

// check is the concurrency condition of an append: the newest event
// matching filter is still at seq.
type check struct {
	filter string
	seq    uint64
}

func (s *Store) appendChecked(ctx context.Context, ref Ref, expected Loaded, c check, evs []events.Event) (Appended, error) {
	if len(evs) == 0 {
		return Appended{Position: expected.Seq}, nil
	}
	if err := ref.check(); err != nil {
		return Appended{}, err
	}
	envs, msgs, err := s.envelopes(ctx, ref, expected, c, evs)
	if err != nil {
		return Appended{}, err
	}
	return s.publish(ctx, ref, envs, msgs)
}

// publish stores msgs, one message or one atomic batch, and answers their
// envelopes at their positions; a refusal of ref's check is ErrConflict.
func (s *Store) publish(ctx context.Context, ref Ref, envs []events.Envelope, msgs []*nats.Msg) (Appended, error) {
	var err error
	start := time.Now()
	var last uint64
	if len(msgs) == 1 {
		ack, perr := s.js.PublishMsg(ctx, msgs[0])
		// A duplicate within the window (same event id) is acked with
		// the original's sequence: the append is done, at that position.
		if perr == nil {
			last = ack.Sequence
		}
		err = perr
	} else {
		bctx, done := s.bound(ctx)
		ack, perr := jetstreamext.PublishMsgBatch(bctx, s.js, msgs)
		perr = done(perr)
		if perr == nil {
			last = ack.Sequence
		}
		err = perr
	}
	if err != nil && mayBeStored(err) && events.Deterministic(ctx) {
		// A retry of a request killed after its append reached the
		// stream: the server checks a single event's expected sequence
		// before the duplicate window, and refuses a batch holding a
		// duplicate, so the stored events answer instead.
		if seq, ok := s.alreadyStored(ctx, envs); ok {
			last, err = seq, nil
		}
	}
	if err != nil {
		if mayBeStored(err) || isBusy(err) {
			s.opts.Metrics.conflict(ref.Type)
			s.cache.drop(ref.key())
			return Appended{}, ErrConflict
		}
		return Appended{}, fmt.Errorf("append to %s: %w", ref, err)
	}
	for i := range envs {
		envs[i].Position = last - uint64(len(envs)-1-i)
	}
	s.opts.Metrics.appended(envs, time.Since(start))
	return Appended{Position: last, Envelopes: envs}, nil
}

// envelopes wraps evs with their metadata and builds their messages; only
// the first carries the concurrency check (a batch allows no more).
func (s *Store) envelopes(ctx context.Context, ref Ref, expected Loaded, c check, evs []events.Event) ([]events.Envelope, []*nats.Msg, error) {
	actor := events.ActorFrom(ctx)
	correlation := events.CorrelationFrom(ctx)
	if correlation == "" {
		correlation = observability.RequestID(ctx)
	}
	causation := events.CausationFrom(ctx)
	now := s.opts.Now().UTC()
	envs := make([]events.Envelope, len(evs))
	msgs := make([]*nats.Msg, len(evs))
	for i, ev := range evs {
		version := s.reg.Version(ev.Type)
		if version == 0 {
			return nil, nil, fmt.Errorf("event type %q is not registered", ev.Type)
		}
		if owner := s.reg.Aggregate(ev.Type); owner != "" && owner != ref.Type {
			return nil, nil, fmt.Errorf("event type %q is recorded on %s aggregates, not on %s", ev.Type, owner, ref.Type)
		}
		data, err := json.Marshal(ev.Data)
		if err != nil {
			return nil, nil, fmt.Errorf("encode %s: %w", ev.Type, err)
		}
		stored := data
		if sealed, ok, err := s.opts.Vault.SealCopy(ctx, ref.ID, ev.Data); err != nil {
			return nil, nil, fmt.Errorf("seal %s: %w", ev.Type, err)
		} else if ok {
			if stored, err = json.Marshal(sealed); err != nil {
				return nil, nil, fmt.Errorf("encode %s: %w", ev.Type, err)
			}
		}
		aggVersion := expected.Version + int64(i) + 1
		id := events.NewEventID(ctx, ref.Type, ref.ID, aggVersion, i, ev.Type, data)
		envs[i] = events.Envelope{
			ID: id, Type: ev.Type, Version: version, OccurredAt: now,
			TenantID: ref.Tenant, AggregateType: ref.Type, AggregateID: ref.ID,
			AggregateVersion: aggVersion,
			Actor:            actor, CorrelationID: correlation, CausationID: causation, Data: data,
		}
		// The message carries the sealed data; the envelope handed back to
		// the caller keeps it readable.
		wire := envs[i]
		wire.Data = stored
		body, err := wire.Marshal()
		if err != nil {
			return nil, nil, err
		}
		msg := nats.NewMsg(envs[i].Subject())
		msg.Data = body
		msg.Header.Set(jetstream.MsgIDHeader, envs[i].ID)
		if i == 0 {
			msg.Header.Set(jetstream.ExpectedLastSubjSeqHeader, strconv.FormatUint(c.seq, 10))
			msg.Header.Set(jetstream.ExpectedLastSubjSeqSubjHeader, c.filter)
		}
		msgs[i] = msg
	}
	return envs, msgs, nil
}

// isBusy is the server refusing an atomic batch for now (too many in
// flight); deciding again after a pause is the answer, as for a conflict.
func isBusy(err error) bool {
	var apiErr *jetstream.APIError
	return errors.As(err, &apiErr) && apiErr.ErrorCode == 10210
}

func isConflict(err error) bool {
	code := errCode(err)
	return code == jetstream.JSErrCodeStreamWrongLastSequence || code == jetstream.JSErrCodeStreamWrongLastSequenceConstant
}

// errCode is the server's error code in err, or 0.
func errCode(err error) jetstream.ErrorCode {
	var apiErr *jetstream.APIError
	if errors.As(err, &apiErr) {
		return apiErr.ErrorCode
	}
	var jsErr jetstream.JetStreamError
	if errors.As(err, &jsErr) && jsErr.APIError() != nil {
		return jsErr.APIError().ErrorCode
	}
	return 0
}

// bounder is a JetStream whose calls end within a bound and when the
// connection drops (natsx.Bounded); the calls this package makes around
// it, batches, take the same bound. done releases the bound and marks an
// error it caused.
type bounder interface {
	Bound(context.Context) (ctx context.Context, done func(error) error)
}

func (s *Store) bound(ctx context.Context) (context.Context, func(error) error) {
	if b, ok := s.js.(bounder); ok {
		return b.Bound(ctx)
	}
	return ctx, func(err error) error { return err }
}
