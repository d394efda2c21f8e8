package usage

import (
	"context"
	"fmt"
	"time"
)

// Start runs the flush loop in the background until Close.
func (r *Recorder) Start() {
	r.stop, r.done = make(chan struct{}), make(chan struct{})
	go r.run()
}

func (r *Recorder) run() {
	defer close(r.done)
	t := time.NewTicker(r.opts.Interval)
	defer t.Stop()
	failing := false
	for {
		select {
		case <-r.stop:
			return
		case <-t.C:
		}
		ctx, cancel := context.WithTimeout(context.Background(), r.opts.FlushTimeout)
		err := r.Flush(ctx)
		cancel()
		// Log the change of state, not every failing second of an outage.
		switch {
		case err != nil && !failing:
			r.opts.Logger.Warn("usage flush failed; retrying every interval", "err", err)
		case err == nil && failing:
			r.opts.Logger.Info("usage flush recovered")
		}
		failing = err != nil
	}
}

// Close stops the flush loop and flushes what remains, trying again until
// it is stored or ctx ends. Call it after the API stopped taking calls:
// calls recorded after Close are not flushed. What it could not store is
// lost; the error says how many calls.
func (r *Recorder) Close(ctx context.Context) error {
	if r.stop != nil {
		close(r.stop)
		<-r.done
		r.stop = nil
	}
	delay := 50 * time.Millisecond
	for {
		err := r.flushBounded(ctx)
		if err == nil {
			return nil
		}
		select {
		case <-ctx.Done():
			n := r.Unflushed()
			r.opts.Logger.Error("usage not recorded at shutdown", "calls", n, "err", err)
			return fmt.Errorf("%d calls not recorded: %w", n, err)
		case <-time.After(delay):
			delay = min(delay*2, time.Second)
		}
	}
}

// flushBounded is one flush attempt bounded by FlushTimeout within ctx.
func (r *Recorder) flushBounded(ctx context.Context) error {
	ctx, cancel := context.WithTimeout(ctx, r.opts.FlushTimeout)
	defer cancel()
	return r.Flush(ctx)
}
