// Package tasks holds the background tasks that are neither a command's
// nor a projection's: the notifications mailed on events, the clean-up of
// the sessions read model, and the operators' dead letter requests. Each
// is a taskrouter.Handler; the unlock timers and the erasures, which
// decide on aggregates, live with the commands.
package tasks
