// Package events defines the domain events of the platform: the envelope
// written to the JetStream stream EVENTS, the registry of event types and
// their schema versions, and the stream's configuration.
package events

// The JSON Schemas of docs/EVENTS.md come from the Go types of the events.
//go:generate go test -run TestSchemasAreDocumented . -update
