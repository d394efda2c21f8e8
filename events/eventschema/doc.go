// Package eventschema derives the JSON Schema of the envelope and of each
// event type's data from their Go types, for the catalog audit consumers
// read in docs/EVENTS.md.
package eventschema
