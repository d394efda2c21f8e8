package httpapi

// EventPosition is embedded in the output of every write: the stream
// sequence of the last event the write appended, which a client passes
// back as X-Min-Position to read its own write.
type EventPosition struct {
	EventPosition uint64 `header:"X-Event-Position" doc:"stream position of the last event this write appended"`
}
