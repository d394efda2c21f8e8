// Package readmodel is what the projectors and the read side share about
// the read models without importing each other: how far each projection
// is (announced by the projectors, followed by every reading process) and
// the answer a read gives when a projection lags behind a client's write.
package readmodel
