package projector

import (
	"context"
	"time"

	"github.com/jackc/pgx/v5"
)

// A projection's leadership is a session advisory lock, held on a
// connection of its own rather than one taken from the pool: the pool
// serves queries and batches, and leaders holding its connections for as
// long as they lead would starve them (with a small pool, to a standstill).
// The lock ends with its connection, so a leader that dies frees it at
// once.

const (
	tryLockSQL = "SELECT pg_try_advisory_lock(hashtextextended('projection:' || $1, 0))"
	unlockSQL  = "SELECT pg_advisory_unlock(hashtextextended('projection:' || $1, 0))"
)

// lockConn opens a connection for a projection's lock, with the pool's settings.
func (r *Runner) lockConn(ctx context.Context) (*pgx.Conn, error) {
	return pgx.ConnectConfig(ctx, r.deps.Pool.Config().ConnConfig.Copy())
}

// tryLock takes the projection's lock on conn; errNotLeader if another
// session holds it. unlock gives it back.
func tryLock(ctx context.Context, conn *pgx.Conn, name string) (unlock func(), err error) {
	var got bool
	if err := conn.QueryRow(ctx, tryLockSQL, name).Scan(&got); err != nil {
		return nil, err
	}
	if !got {
		return nil, errNotLeader
	}
	return func() {
		uctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 2*time.Second)
		defer cancel()
		_, _ = conn.Exec(uctx, unlockSQL, name)
	}, nil
}
