// Package deadletter keeps what a consumer of the stream could not handle
// after its retries, a projection's event or a task's message, in the
// dead_letters table, carries an operator's retry to the process that
// owns the consumer, and names the answers to the write side's requests.
// The projector, the tasks and the read side's admin routes use its
// table; the write side uses only its answers, never the table.
package deadletter
