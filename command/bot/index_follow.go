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
	// snapshotSpan is how many events of any kind after the last snapshot
	// make a process write a new one, which bounds what a start reads.
	snapshotSpan = 200_000
	// coldWithin bounds the first start over a long stream without a
	// snapshot, which reads every ApiKeyIssued once.
	coldWithin = 10 * time.Minute
)

// indexSnapshots reads and writes the key index's snapshot.
type indexSnapshots struct {
	obs      jetstream.ObjectStore
	stream   string        // the stream's creation time, as streamMeta holds it
	keys     atomic.Uint64 // how many keys the snapshot read or written last holds
	position atomic.Uint64 // the stream position it covers
	writing  atomic.Bool
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
	due := uint64(d.keys.size()) >= s.keys.Load()+d.snapshotEvery || d.keys.at() >= s.position.Load()+snapshotSpan
	if !due || !s.writing.CompareAndSwap(false, true) {
		return nil
	}
	defer s.writing.Store(false)
	if stored := s.storedPosition(ctx); stored >= d.keys.at() {
		s.keys.Store(uint64(d.keys.size()))
		s.position.Store(stored)
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
// used (then the index is read from the stream). Reading the whole stream
// takes far longer than the snapshot, so a read that fails on the way (a
// busy server) is tried again first.
func (s *indexSnapshots) read(ctx context.Context, lastSeq uint64, log *slog.Logger) *keyIndex {
	for attempt := 1; ; attempt++ {
		x, err := s.readOnce(ctx, lastSeq)
		switch {
		case err == nil || errors.Is(err, jetstream.ErrObjectNotFound):
			return x
		case errors.Is(err, errUnusable) || attempt == snapshotAttempts || ctx.Err() != nil:
			log.Warn("bot directory snapshot not used; reading the stream", "err", err)
			return nil
		}
		log.Warn("bot directory snapshot read failed; trying again", "attempt", attempt, "err", err)
	}
}

const snapshotAttempts = 3

// errUnusable is a snapshot read whole that this stream cannot use.
var errUnusable = errors.New("unusable snapshot")

func (s *indexSnapshots) readOnce(ctx context.Context, lastSeq uint64) (*keyIndex, error) {
	// Each read of the object waits up to the context's deadline (without
	// one, 5 s), which a busy start can exceed.
	ctx, cancel := context.WithTimeout(ctx, snapshotReadWithin)
	defer cancel()
	obj, err := s.obs.Get(ctx, SnapshotObject)
	if err != nil {
		return nil, err
	}
	defer obj.Close()
	if info, err := obj.Info(); err != nil || info.Metadata[streamMeta] != s.stream {
		return nil, fmt.Errorf("%w: of another stream", errUnusable)
	}
	x, err := decodeIndex(obj)
	switch {
	case err != nil && errors.Is(err, errBadSnapshot):
		return nil, fmt.Errorf("%w: %v", errUnusable, err)
	case err != nil:
		return nil, err
	case x.position > lastSeq:
		return nil, fmt.Errorf("%w: at %d, ahead of the stream at %d", errUnusable, x.position, lastSeq)
	}
	return x, nil
}

// snapshotReadWithin bounds one read of the snapshot.
const snapshotReadWithin = 2 * time.Minute

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
	s.position.Store(v.position)
	log.Info("bot directory snapshot written", "keys", len(v.prefixes), "position", v.position, "bytes", info.Size, "took", time.Since(began).Round(time.Millisecond))
	return nil
}
