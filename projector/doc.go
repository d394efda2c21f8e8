// Package projector builds the Postgres read models from the event stream:
// each projection is a durable consumer that applies batches and moves its
// checkpoint in one transaction. New returns the runner that
// `chatbotd projector` and `chatbotd serve` start.
package projector
