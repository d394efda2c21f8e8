package eventstore

import (
	"container/list"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/nats-io/nats.go/jetstream"
)

// snapshot is an aggregate's state as of stream sequence Seq.
type snapshot struct {
	Seq             uint64          `json:"seq"`
	Version         int64           `json:"version"`
	SnapshotVersion int             `json:"snapshot_version"`
	State           json.RawMessage `json:"state"`
}

// remember keeps the state in memory and, when due, in the snapshot bucket.
func (s *Store) remember(ctx context.Context, ref Ref, agg Aggregate, at Loaded, snapVersion int, persist bool) {
	state, err := json.Marshal(agg)
	if err != nil {
		s.opts.Logger.Warn("aggregate state cannot be snapshotted", "aggregate", ref.String(), "err", err)
		return
	}
	snap := snapshot{Seq: at.Seq, Version: at.Version, SnapshotVersion: snapVersion, State: state}
	s.cache.put(ref.key(), snap)
	if !persist {
		return
	}
	b, _ := json.Marshal(snap)
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
	defer cancel()
	if _, err := s.snapshots.Put(ctx, ref.key(), b); err != nil {
		s.opts.Logger.Warn("snapshot not written", "aggregate", ref.String(), "err", err)
	}
}

// readSnapshot returns the stored snapshot if it is usable, else the zero
// snapshot (replay from the start).
func (s *Store) readSnapshot(ctx context.Context, ref Ref, snapVersion int, lastSeq uint64) snapshot {
	entry, err := s.snapshots.Get(ctx, ref.key())
	if err != nil {
		return snapshot{}
	}
	var snap snapshot
	if json.Unmarshal(entry.Value(), &snap) != nil || snap.SnapshotVersion != snapVersion || snap.Seq > lastSeq {
		return snapshot{}
	}
	return snap
}

// stateCache keeps the newest known state of recently used aggregates, as
// JSON so each load gets its own copy.
type stateCache struct {
	mu    sync.Mutex
	size  int
	order *list.List
	items map[string]*list.Element
}

type cacheItem struct {
	key  string
	snap snapshot
}

func newStateCache(size int) *stateCache {
	return &stateCache{size: size, order: list.New(), items: map[string]*list.Element{}}
}

func (c *stateCache) get(key string) (snapshot, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	el, ok := c.items[key]
	if !ok {
		return snapshot{}, false
	}
	c.order.MoveToFront(el)
	return el.Value.(*cacheItem).snap, true
}

func (c *stateCache) put(key string, snap snapshot) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if el, ok := c.items[key]; ok {
		if el.Value.(*cacheItem).snap.Seq <= snap.Seq {
			el.Value.(*cacheItem).snap = snap
		}
		c.order.MoveToFront(el)
		return
	}
	c.items[key] = c.order.PushFront(&cacheItem{key: key, snap: snap})
	for c.order.Len() > c.size {
		last := c.order.Back()
		c.order.Remove(last)
		delete(c.items, last.Value.(*cacheItem).key)
	}
}

func (c *stateCache) drop(key string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if el, ok := c.items[key]; ok {
		c.order.Remove(el)
		delete(c.items, key)
	}
}

// Erase makes the aggregate's personal data unreadable: its data key is
// destroyed, so the sealed fields of its events stay noise, and its
// snapshot and cached state (which hold them opened) are dropped.
func (s *Store) Erase(ctx context.Context, ref Ref) error {
	s.cache.drop(ref.key())
	if err := s.snapshots.Purge(ctx, ref.key()); err != nil && !errors.Is(err, jetstream.ErrKeyNotFound) {
		return fmt.Errorf("drop the snapshot of %s: %w", ref, err)
	}
	if s.opts.Vault == nil {
		return nil
	}
	return s.opts.Vault.Erase(ctx, ref.ID)
}
