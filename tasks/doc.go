// Package tasks holds the background tasks that are neither a command's
// nor a projection's: the notifications mailed on events, and the
// clean-up of the sessions read model. Each is a taskrouter.Handler; the
// unlock timers and the erasures, which decide on aggregates, live with
// the commands.
package tasks
