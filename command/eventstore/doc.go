// Package eventstore is the write side's event store on JetStream: it loads
// an aggregate's state (from an in-process cache or a snapshot, then only
// the events after it), appends new events with optimistic concurrency per
// aggregate, retries a decision on conflict, and reserves unique values
// (such as emails) in a KV bucket.
package eventstore
