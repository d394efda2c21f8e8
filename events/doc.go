// Package events defines the domain events of the platform: the envelope
// written to the JetStream stream EVENTS, the registry of event types and
// their schema versions, and the stream's configuration.
package events
