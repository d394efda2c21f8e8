package app

import "context"

// Handler runs one command: C is what is asked, R what it answers.
type Handler[C, R any] interface {
	Handle(ctx context.Context, cmd C) (R, error)
}

// HandlerFunc is a function as a Handler.
type HandlerFunc[C, R any] func(ctx context.Context, cmd C) (R, error)

// Handle runs f.
func (f HandlerFunc[C, R]) Handle(ctx context.Context, cmd C) (R, error) { return f(ctx, cmd) }

// Around is what every command gets, whatever it is: it runs next (the
// command, and the decorators within) and may look at how it ended. The
// decorators of a process are built once (Decorators) and wrap every
// handler alike, so no handler counts, logs or sets its actor itself.
type Around func(ctx context.Context, command string, next func(context.Context) error) error

// Decorate wraps h in arounds, the first outermost.
func Decorate[C, R any](command string, h Handler[C, R], arounds ...Around) Handler[C, R] {
	return HandlerFunc[C, R](func(ctx context.Context, cmd C) (R, error) {
		var res R
		run := func(ctx context.Context) error {
			var err error
			res, err = h.Handle(ctx, cmd)
			return err
		}
		for i := len(arounds) - 1; i >= 0; i-- {
			inner, around := run, arounds[i]
			run = func(ctx context.Context) error { return around(ctx, command, inner) }
		}
		err := run(ctx)
		return res, err
	})
}
