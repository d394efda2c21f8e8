// Package taskrouter runs the background tasks of the platform on one
// Watermill router over JetStream: each task is a durable consumer of the
// EVENTS stream (its events, or the due timers it schedules), handled with
// Watermill's Recoverer, CorrelationID, Retry and PoisonQueue middlewares.
// A message a task still cannot handle after its retries goes to the
// dead letters, which an operator lists and re-drives.
package taskrouter
