package readmodel

import (
	"context"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
)

// Replicas routes the query side's reads: to the primary when there is no
// replica, else to each streaming read replica in turn.
//
// A read with a position must not see older state on a replica that lags.
// The checkpoint rows replicate with the read models they move with (one
// transaction), so the replica's own rows tell what it holds. Once the
// projectors' announcements say the primary is through the position (the
// Follower: pushed, no I/O), the replica must show at least the checkpoint
// the primary had then, or the position itself if that is lower: between
// that checkpoint and a position it is through, the projection has no
// event. What a replica's rows were last seen to say is remembered, so a
// replica known to be far enough costs no look at all; one that may lag is
// looked at once, and polled only while it lags, up to the read's bound.
type Replicas struct {
	primary  *pgxpool.Pool
	replicas []*replica
	follower *Follower
	log      *slog.Logger
	next     atomic.Uint64
}

// replica is one read replica and what its checkpoint rows last said.
type replica struct {
	pool *pgxpool.Pool
	mu   sync.Mutex
	seen map[string]uint64
}

// replicaPoll is how often a lagging replica is looked at again.
const replicaPoll = 10 * time.Millisecond

// NewReplicas routes reads to replicas, or to primary if there are none.
func NewReplicas(primary *pgxpool.Pool, replicas []*pgxpool.Pool, f *Follower, log *slog.Logger) *Replicas {
	if log == nil {
		log = slog.Default()
	}
	rs := &Replicas{primary: primary, follower: f, log: log}
	for _, p := range replicas {
		rs.replicas = append(rs.replicas, &replica{pool: p, seen: map[string]uint64{}})
	}
	return rs
}

// Pool is where a read that needs no position goes.
func (rs *Replicas) Pool() *pgxpool.Pool {
	if rs == nil {
		return nil
	}
	if len(rs.replicas) == 0 {
		return rs.primary
	}
	return rs.pick().pool
}

func (rs *Replicas) pick() *replica {
	return rs.replicas[rs.next.Add(1)%uint64(len(rs.replicas))]
}

// Read waits until the named projections reflect position n and returns
// the pool to read them from, with a position the data read there
// reflects at least (for a cache to label it with); ErrLagging once bound
// has passed (one bound for the primary's projectors and the replica
// together).
func (rs *Replicas) Read(ctx context.Context, n uint64, bound time.Duration, names ...string) (*pgxpool.Pool, uint64, error) {
	deadline := time.Now().Add(bound)
	if n > 0 && rs.follower == nil {
		return nil, 0, ErrLagging()
	}
	if err := rs.follower.Wait(ctx, n, bound, names...); err != nil {
		return nil, 0, err
	}
	if len(rs.replicas) == 0 {
		return rs.primary, rs.through(names), nil
	}
	r := rs.pick()
	if n == 0 {
		return r.pool, 0, nil // as the replica stands: no position is known
	}
	need := map[string]uint64{}
	for _, name := range names {
		for row, pos := range rs.follower.needs(name, n) {
			need[row] = max(need[row], pos)
		}
	}
	for !r.holds(need) {
		if err := r.look(ctx, need); err != nil {
			// A replica that does not answer is not a reason to fail a
			// read the primary can serve.
			rs.log.Warn("read replica unreadable; reading the primary", "err", err)
			return rs.primary, rs.through(names), nil
		}
		if r.holds(need) {
			break
		}
		if time.Now().After(deadline) {
			return nil, 0, ErrLagging()
		}
		t := time.NewTimer(min(replicaPoll, time.Until(deadline)))
		select {
		case <-ctx.Done():
			t.Stop()
			return nil, 0, ctx.Err()
		case <-t.C:
		}
	}
	return r.pool, n, nil
}

// through is how far the primary is for every named projection: the
// lowest mark, taken after the wait, from marks that only move forward.
func (rs *Replicas) through(names []string) uint64 {
	if rs.follower == nil {
		return 0
	}
	var low uint64
	for i, n := range names {
		if t := rs.follower.Through(n); i == 0 || t < low {
			low = t
		}
	}
	return low
}

// holds tells whether the replica was seen through need.
func (r *replica) holds(need map[string]uint64) bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	for row, pos := range need {
		if r.seen[row] < pos {
			return false
		}
	}
	return true
}

// look reads the replica's checkpoint rows of need.
func (r *replica) look(ctx context.Context, need map[string]uint64) error {
	names := make([]string, 0, len(need))
	for row := range need {
		names = append(names, row)
	}
	rows, err := r.pool.Query(ctx, "SELECT name, position FROM projection_checkpoints WHERE name = ANY($1)", names)
	if err != nil {
		return err
	}
	defer rows.Close()
	r.mu.Lock()
	defer r.mu.Unlock()
	for rows.Next() {
		var name string
		var pos int64
		if err := rows.Scan(&name, &pos); err != nil {
			return err
		}
		r.seen[name] = max(r.seen[name], uint64(pos))
	}
	return rows.Err()
}
