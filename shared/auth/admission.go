package auth

import (
	"context"
	"math"
	"runtime"
	"sync"
	"sync/atomic"
	"time"

	"github.com/chatbotsaas/chatbot/shared/apperr"
)

// ErrOverloaded is a password check that the cores cannot do before its
// caller's deadline: it is refused at once, so the client retries later
// instead of waiting for a timeout.
var ErrOverloaded = apperr.New(apperr.KindUnavailable, "unavailable", "too many sign-ins at once; retry shortly")

// afterCompare is the time a login still needs once its compare is done
// (its decision and session are appended): a compare that would end later
// than this before the deadline is not started.
const afterCompare = 500 * time.Millisecond

// maxQueuePerSlot bounds the queue whatever the deadlines say, so a flood
// of callers without deadlines holds no unbounded memory.
const maxQueuePerSlot = 256

// admission lets as many bcrypt operations run as there are cores, and
// queues others only while the queue ahead of them can still be served
// before their deadline. One bcrypt operation is CPU-bound: more of them
// at once only makes each slower, and every caller late.
type admission struct {
	slots   chan struct{}
	mu      sync.Mutex
	waiting int
	meanNS  atomic.Int64 // moving mean of one operation
}

func newAdmission(slots int) *admission {
	if slots <= 0 {
		slots = runtime.GOMAXPROCS(0)
	}
	return &admission{slots: make(chan struct{}, slots)}
}

// observe folds one operation's duration into the mean (weight 1/8).
func (a *admission) observe(d time.Duration) {
	for {
		old := a.meanNS.Load()
		next := int64(d)
		if old > 0 {
			next = old + (int64(d)-old)/8
		}
		if a.meanNS.CompareAndSwap(old, next) {
			return
		}
	}
}

// wait is how long a newcomer behind queued callers waits for a slot and
// then runs, by the mean duration.
func (a *admission) wait(queued int) time.Duration {
	mean := time.Duration(a.meanNS.Load())
	rounds := (queued + cap(a.slots)) / cap(a.slots) // rounds before its own, counting it
	return time.Duration(rounds) * mean
}

// overloaded is ErrOverloaded with a Retry-After long enough for the queue
// ahead to drain.
func (a *admission) overloaded(queued int) error {
	e := *ErrOverloaded
	e.RetryAfter = max(1, int(math.Ceil(a.wait(queued).Seconds())))
	return &e
}

// acquire takes a slot, or refuses at once (ErrOverloaded) when the
// operation could not end afterCompare before ctx's deadline. It returns
// the release to call when the operation is done.
func (a *admission) acquire(ctx context.Context) (func(), error) {
	select {
	case a.slots <- struct{}{}:
		return a.releaser(), nil
	default:
	}
	a.mu.Lock()
	queued := a.waiting
	deadline, bounded := ctx.Deadline()
	late := bounded && time.Now().Add(a.wait(queued)+afterCompare).After(deadline)
	if late || queued >= maxQueuePerSlot*cap(a.slots) {
		a.mu.Unlock()
		return nil, a.overloaded(queued)
	}
	a.waiting++
	a.mu.Unlock()
	defer func() { a.mu.Lock(); a.waiting--; a.mu.Unlock() }()

	// Past this point the operation would end too late, even if a slot
	// came free: give up then rather than at the deadline itself.
	var giveUp <-chan time.Time
	if bounded {
		t := time.NewTimer(time.Until(deadline) - time.Duration(a.meanNS.Load()) - afterCompare)
		defer t.Stop()
		giveUp = t.C
	}
	select {
	case a.slots <- struct{}{}:
		return a.releaser(), nil
	case <-giveUp:
	case <-ctx.Done():
	}
	a.mu.Lock()
	queued = a.waiting
	a.mu.Unlock()
	return nil, a.overloaded(queued)
}

// releaser times the operation and frees its slot.
func (a *admission) releaser() func() {
	began := time.Now()
	return func() {
		a.observe(time.Since(began))
		<-a.slots
	}
}
