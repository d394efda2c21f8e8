package app

import "context"

// Faults injects a failure before a named step of a flow across
// aggregates, so that tests can show no step is left half done. It is nil
// outside tests.
type Faults func(step string) error

func (f Faults) at(step string) error {
	if f == nil {
		return nil
	}
	return f(step)
}

// undoStack holds the compensations of the steps a flow has done, run in
// reverse when a later step fails. They run without the request's
// cancellation: a client gone is no reason to leave a step half undone.
type undoStack []func(context.Context)

func (u *undoStack) push(undo func(context.Context)) { *u = append(*u, undo) }

func (u undoStack) run(ctx context.Context) {
	ctx = context.WithoutCancel(ctx)
	for i := len(u) - 1; i >= 0; i-- {
		u[i](ctx)
	}
}
