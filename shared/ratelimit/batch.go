package ratelimit

import (
	"context"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"
)

// Concurrent calls share round trips: each call is still its own script
// run (atomic), but the calls that arrive while a batch is on the wire go
// together in the next pipeline, one write and one read for all of them.
// On a busy API this saves most of the system calls, which cost more than
// the script; a lone call goes at once, as before. Two pipelines in flight
// (not four) let calls gather while one is on the wire: about 5.5 calls a
// pipeline instead of 3.7 under the bench's bot load, and a quarter less
// Redis CPU a call (27 µs against 35 µs).

const (
	batchWorkers = 2   // pipelines in flight at once
	batchMax     = 128 // calls in one pipeline at most
)

type batchCall struct {
	c    call
	done chan batchResult
}

type batchResult struct {
	o   outcome
	err error
}

type batcher struct {
	rdb     *redis.Client
	timeout time.Duration
	in      chan *batchCall
}

func newBatcher(rdb *redis.Client, timeout time.Duration) *batcher {
	b := &batcher{rdb: rdb, timeout: timeout, in: make(chan *batchCall, batchMax)}
	for range batchWorkers {
		go b.work()
	}
	return b
}

// do runs c's script in the next pipeline and waits for its answer, until
// ctx (the caller's) or bound (the wait Redis is given) ends.
func (b *batcher) do(ctx, bound context.Context, c call) (outcome, error) {
	bc := &batchCall{c: c, done: make(chan batchResult, 1)}
	select {
	case b.in <- bc:
	case <-ctx.Done():
		return nil, ctx.Err()
	case <-bound.Done():
		return nil, bound.Err()
	}
	select {
	case r := <-bc.done:
		return r.o, r.err
	case <-ctx.Done():
		return nil, ctx.Err()
	case <-bound.Done():
		return nil, bound.Err()
	}
}

func (b *batcher) work() {
	for first := range b.in {
		batch := []*batchCall{first}
	more:
		for len(batch) < batchMax {
			select {
			case bc := <-b.in:
				batch = append(batch, bc)
			default:
				break more
			}
		}
		b.run(batch)
	}
}

// run sends the batch as one pipeline; a Redis that lost the script gets
// it with the retry.
func (b *batcher) run(batch []*batchCall) {
	ctx, cancel := context.WithTimeout(context.Background(), b.timeout)
	defer cancel()
	cmds := b.send(ctx, batch, false)
	for _, cmd := range cmds {
		if err := cmd.Err(); err != nil && strings.HasPrefix(err.Error(), "NOSCRIPT") {
			cmds = b.send(ctx, batch, true)
			break
		}
	}
	for i, bc := range batch {
		res, err := cmds[i].Int64Slice()
		if err != nil {
			bc.done <- batchResult{err: err}
			continue
		}
		o, err := parseOutcome(res, bc.c)
		bc.done <- batchResult{o: o, err: err}
	}
}

func (b *batcher) send(ctx context.Context, batch []*batchCall, whole bool) []*redis.Cmd {
	pipe := b.rdb.Pipeline()
	cmds := make([]*redis.Cmd, len(batch))
	for i, bc := range batch {
		keys, args := scriptArgs(bc.c)
		if whole {
			cmds[i] = allowScript.Eval(ctx, pipe, keys, args...)
		} else {
			cmds[i] = allowScript.EvalSha(ctx, pipe, keys, args...)
		}
	}
	_, _ = pipe.Exec(ctx) // each command carries its own error
	return cmds
}
