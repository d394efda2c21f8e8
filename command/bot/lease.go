package bot

import (
	"context"
	"log/slog"
	"math"
	"sync/atomic"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/chatbotsaas/chatbot/shared/apperr"
)

// lease says whether this process may serve bot calls: it holds for
// leaseFor from the last time the process asked the stream for its last
// position and then applied every event up to it (see members).
type lease struct {
	stream  jetstream.Stream
	applied *applied
	born    time.Time
	renewed atomic.Int64 // when the last renewal asked, in ns since born
	joinAt  time.Duration
	log     *slog.Logger
}

var errLagging = &apperr.Error{Kind: apperr.KindUnavailable, Code: "unavailable", RetryAfter: 1,
	Message: "this server is catching up with recent changes; retry shortly"}

func newLease(stream jetstream.Stream, a *applied, born time.Time, log *slog.Logger) *lease {
	l := &lease{stream: stream, applied: a, born: born, log: log}
	l.renewed.Store(math.MinInt64 / 2)
	return l
}

// check is nil while the lease holds.
func (l *lease) check() error {
	if time.Since(l.born)-time.Duration(l.renewed.Load()) > leaseFor {
		return errLagging
	}
	return nil
}

// renew asks the stream for its last position and waits, within leaseFor,
// until every event up to it is applied. A renewal counts only a beat
// after this process's first announcement, which every member has heard by
// then.
func (l *lease) renew(ctx context.Context) error {
	asked := time.Since(l.born)
	if asked < l.joinAt {
		return nil
	}
	ctx, cancel := context.WithTimeout(ctx, leaseFor)
	defer cancel()
	info, err := l.stream.Info(ctx)
	if err == nil {
		err = l.applied.reach(ctx, info.State.LastSeq)
	}
	if err != nil {
		return err
	}
	for {
		prev := l.renewed.Load()
		if prev >= int64(asked) || l.renewed.CompareAndSwap(prev, int64(asked)) {
			return nil
		}
	}
}

// run renews the lease every beat until ctx ends.
func (l *lease) run(ctx context.Context) {
	tick := time.NewTicker(beat)
	defer tick.Stop()
	failing := false
	for {
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
		err := l.renew(ctx)
		switch {
		case err != nil && !failing && ctx.Err() == nil:
			l.log.Warn("bot directory cannot confirm it is up to date; bot calls answer 503 once its lease ends", "err", err)
		case err == nil && failing:
			l.log.Info("bot directory up to date again")
		}
		failing = err != nil
	}
}
