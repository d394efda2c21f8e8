// Package app holds the write side's commands, one handler each in
// <verb>_<noun>.go: a small struct holding only what it uses, with
// Handle(ctx, Cmd) (Result, error). A handler validates, loads aggregates,
// decides through the domain packages and appends through the event
// store. What every command gets (its actor, metrics, logging) wraps the
// handlers once, as decorators (Decorate, in commands.go). A flow across
// aggregates is one atomic batch where the aggregates allow it (signup, a
// new manager, a login and its session), else a documented sequence with
// its compensation (Registrar, Managers).
package app
