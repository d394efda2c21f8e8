package projector

import (
	"context"
	"errors"
	"sync"

	"github.com/jackc/pgx/v5"
)

// The partitions of a projection are shared out among the projector
// processes by Postgres alone, as leadership is: every process holds one
// shared advisory lock while it runs (its membership, which ends with its
// session), counts the holders, and leads at most its fair share of each
// projection's partitions, ceil(P / processes). A process that leads more
// (it started first and took them all) hands the excess over, one at a
// time, and the others take them; when a process dies its session ends,
// the count drops, and the survivors take its partitions within a standby
// poll.

// errYield ends the leadership of a partition this process hands over.
var errYield = errors.New("partition handed over to another process")

// The membership lock is the two-key form, so that pg_locks shows its keys
// as they are (classid, objid).
const (
	memberKey1    = 1886546028 // "proj"
	memberKey2    = 1
	memberLockSQL = "SELECT pg_advisory_lock_shared($1, $2)"
	membersSQL    = `SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND granted
		AND database = (SELECT oid FROM pg_database WHERE datname = current_database())
		AND classid = $1::oid AND objid = $2::oid AND objsubid = 2`
)

// share counts the processes and the partitions this one leads.
type share struct {
	mu      sync.Mutex
	members int            // processes running projectors, this one included
	leading map[string]int // partitions led, by projection
	counts  map[string]int // partitions, by projection
}

func newShare(ps []Projection) *share {
	s := &share{members: 1, leading: map[string]int{}, counts: map[string]int{}}
	for _, p := range ps {
		if p.Partitions > 1 {
			s.counts[p.Name] = p.Partitions
		}
	}
	return s
}

// fair is the most partitions of projection of one process should lead. Lock held.
func (s *share) fair(of string) int {
	m := max(s.members, 1)
	return (s.counts[of] + m - 1) / m
}

// reserve counts a partition of projection of as led, if that keeps this
// process within its share; release undoes it.
func (s *share) reserve(of string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.leading[of] >= s.fair(of) {
		return false
	}
	s.leading[of]++
	return true
}

func (s *share) release(of string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.leading[of]--
}

// overShare tells a leading partition to hand over when this process leads
// more than its share, and counts it as released: of several partitions
// asking at once, only the excess go.
func (s *share) overShare(of string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.leading[of] <= s.fair(of) {
		return false
	}
	s.leading[of]--
	return true
}

func (s *share) setMembers(n int) {
	s.mu.Lock()
	s.members = n
	s.mu.Unlock()
}

// count keeps the membership lock and the number of members current until
// ctx ends.
func (r *Runner) count(ctx context.Context) {
	var conn *pgx.Conn
	defer func() {
		if conn != nil {
			_ = conn.Close(context.WithoutCancel(ctx))
		}
	}()
	for ctx.Err() == nil {
		if conn == nil {
			c, err := r.lockConn(ctx)
			if err == nil {
				_, err = c.Exec(ctx, memberLockSQL, memberKey1, memberKey2)
			}
			if err != nil {
				r.deps.Logger.Warn("projector membership not taken; retrying", "err", err)
				if c != nil {
					_ = c.Close(ctx)
				}
				sleep(ctx, r.opts.StandbyPoll)
				continue
			}
			conn = c
		}
		var n int
		if err := conn.QueryRow(ctx, membersSQL, memberKey1, memberKey2).Scan(&n); err != nil {
			_ = conn.Close(ctx)
			conn = nil
			continue
		}
		r.share.setMembers(n)
		sleep(ctx, r.opts.StandbyPoll)
	}
}
