// Package deadletter keeps what a consumer of the stream could not handle
// after its retries, a projection's event or a task's message, in the
// dead_letters table, and carries an operator's retry to the process that
// owns the consumer. The projector, the task consumers of the write side,
// and the read side's admin routes share it.
package deadletter
