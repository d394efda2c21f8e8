package bot

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"strconv"
	"sync/atomic"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/chatbotsaas/chatbot/events"
)

// The key index's snapshot is the object SnapshotObject in the object
// store SnapshotBucket.
const (
	SnapshotBucket = "BOT_DIRECTORY"
	SnapshotObject = "key-index"
)

const (
	positionMeta = "position"
	streamMeta   = "stream_created" // a snapshot of another stream is of no use
	// snapshotEvery is by default how many keys issued after the last
	// snapshot make a process write a new one.
	snapshotEvery = 10_000
	// coldWithin bounds the first start over a long stream without a
	// snapshot, which reads every ApiKeyIssued once.
	coldWithin = 10 * time.Minute
)

// indexSnapshots reads and writes the key index's snapshot.
type indexSnapshots struct {
	obs     jetstream.ObjectStore
	stream  string        // the stream's creation time, as streamMeta holds it
	keys    atomic.Uint64 // how many keys the snapshot read or written last holds
	writing atomic.Bool
}

// Follow loads the key index's snapshot, then applies every ApiKeyIssued
// after it and every new one, until ctx ends. It returns once the index
// holds every key stored when it began; from then on it writes a new
// snapshot whenever snapshotEvery keys were issued after the last one.
func (d *Directory) Follow(ctx context.Context, js jetstream.JetStream, replicas int, log *slog.Logger) error {
	d.log = log
	stream, err := js.Stream(ctx, events.StreamName)
	if err != nil {
		return err
	}
	d.stream = stream
	obs, err := js.CreateOrUpdateObjectStore(ctx, jetstream.ObjectStoreConfig{
		Bucket: SnapshotBucket, Description: "the bot directory's key index (key hash prefix → chatbot) and the stream position it covers",
		Storage: jetstream.FileStorage, Replicas: max(replicas, 1),
	})
	if err != nil {
		return fmt.Errorf("bot directory: %w", err)
	}
	info := stream.CachedInfo()
	d.snapshots = &indexSnapshots{obs: obs, stream: strconv.FormatInt(info.Created.UnixNano(), 10)}
	began := time.Now()
	if x := d.snapshots.read(ctx, info.State.LastSeq, log); x != nil {
		d.keys = x
		d.snapshots.keys.Store(uint64(x.size()))
	}
	from := d.keys.at()
	cfg := jetstream.OrderedConsumerConfig{FilterSubjects: []string{events.TypeFilter(events.ApiKeyIssued)}, DeliverPolicy: jetstream.DeliverAllPolicy}
	if from > 0 {
		cfg.DeliverPolicy, cfg.OptStartSeq = jetstream.DeliverByStartSequencePolicy, from+1
	}
	if err := events.Follow(ctx, js, cfg, "bot directory", coldWithin, d.applyKey, log); err != nil {
		return err
	}
	log.Info("bot directory ready", "keys", d.keys.size(), "snapshot_position", from, "position", d.keys.at(), "took", time.Since(began).Round(time.Millisecond))
	go d.snapshotLoop(ctx)
	return nil
}

// applyKey indexes one ApiKeyIssued.
func (d *Directory) applyKey(env events.Envelope) error {
	if env.Type != events.ApiKeyIssued || env.AggregateType != events.AggregateChatbot {
		return nil
	}
	data, err := events.Default.Decode(&env)
	if err != nil {
		return err
	}
	issued, ok := data.(*events.ApiKeyIssuedData)
	if !ok {
		return fmt.Errorf("ApiKeyIssued decoded as %T", data)
	}
	d.keys.add(issued.KeyHash, owner{tenant: env.TenantID, id: env.AggregateID}, env.Position)
	return nil
}

// snapshotLoop writes a snapshot whenever enough keys were issued after the
// stored one, checking once a minute and at once after start.
func (d *Directory) snapshotLoop(ctx context.Context) {
	tick := time.NewTicker(time.Minute)
	defer tick.Stop()
	for {
		if err := d.snapshotIfDue(ctx); err != nil && ctx.Err() == nil {
			d.log.Warn("bot directory snapshot not written", "err", err)
		}
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
	}
}

// snapshotIfDue writes the index when it holds snapshotEvery keys more than
// the snapshot this process read or wrote, unless another process stored
// one as new meanwhile.
func (d *Directory) snapshotIfDue(ctx context.Context) error {
	s := d.snapshots
	if uint64(d.keys.size()) < s.keys.Load()+d.snapshotEvery || !s.writing.CompareAndSwap(false, true) {
		return nil
	}
	defer s.writing.Store(false)
	if s.storedPosition(ctx) >= d.keys.at() {
		s.keys.Store(uint64(d.keys.size()))
		return nil
	}
	return s.write(ctx, d.keys.view(), d.log)
}

// storedPosition is the position of the stored snapshot of this stream, 0
// if there is none.
func (s *indexSnapshots) storedPosition(ctx context.Context) uint64 {
	info, err := s.obs.GetInfo(ctx, SnapshotObject)
	if err != nil || info.Metadata[streamMeta] != s.stream {
		return 0
	}
	n, _ := strconv.ParseUint(info.Metadata[positionMeta], 10, 64)
	return n
}

// read returns the stored index, or nil when there is none or it cannot be
// used (then the index is read from the stream).
func (s *indexSnapshots) read(ctx context.Context, lastSeq uint64, log *slog.Logger) *keyIndex {
	obj, err := s.obs.Get(ctx, SnapshotObject)
	if errors.Is(err, jetstream.ErrObjectNotFound) {
		return nil
	}
	if err != nil {
		log.Warn("bot directory snapshot unreadable; reading the stream", "err", err)
		return nil
	}
	defer obj.Close()
	if info, err := obj.Info(); err != nil || info.Metadata[streamMeta] != s.stream {
		log.Warn("bot directory snapshot is of another stream; reading the stream")
		return nil
	}
	x, err := decodeIndex(obj)
	switch {
	case err != nil:
		log.Warn("bot directory snapshot unreadable; reading the stream", "err", err)
		return nil
	case x.position > lastSeq:
		log.Warn("bot directory snapshot is ahead of the stream; reading the stream", "snapshot", x.position, "stream", lastSeq)
		return nil
	}
	return x
}

func (s *indexSnapshots) write(ctx context.Context, v indexView, log *slog.Logger) error {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), time.Minute)
	defer cancel()
	began := time.Now()
	r, w := io.Pipe()
	go func() { w.CloseWithError(v.encode(w)) }()
	meta := jetstream.ObjectMeta{Name: SnapshotObject, Metadata: map[string]string{
		positionMeta: strconv.FormatUint(v.position, 10), streamMeta: s.stream}}
	info, err := s.obs.Put(ctx, meta, r)
	r.Close()
	if err != nil {
		return err
	}
	s.keys.Store(uint64(len(v.prefixes)))
	log.Info("bot directory snapshot written", "keys", len(v.prefixes), "position", v.position, "bytes", info.Size, "took", time.Since(began).Round(time.Millisecond))
	return nil
}
