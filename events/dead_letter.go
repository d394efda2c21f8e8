package events

import "encoding/json"

// AggregateDeadLetter is the type of the aggregates that record what
// operators did with a dead letter; the id is the dead letter's.
const AggregateDeadLetter = "dead_letter"

// Operators' requests about a message a consumer parked after its retries.
// The write side appends them knowing only the letter's id; the process
// that keeps the dead letters acts on them and answers the outcome.
const (
	// DeadLetterRetryRequested is an operator asking for the message to
	// be applied again by its consumer; the dead letter records the outcome.
	DeadLetterRetryRequested = "DeadLetterRetryRequested"
	// DeadLetterDiscardRequested is an operator giving up on the message:
	// it is marked resolved and never applied.
	DeadLetterDiscardRequested = "DeadLetterDiscardRequested"
	// DeadLetterDiscarded was the record of a discard while the write side
	// resolved letters itself; none is appended any more, and the stream
	// keeps the older ones.
	DeadLetterDiscarded = "DeadLetterDiscarded"
)

// DeadLetterRequestData names the dead letter a request is about.
type DeadLetterRequestData struct {
	DeadLetterID string `json:"dead_letter_id" format:"uuid"`
}

// DeadLetterData names the dead letter and the message it holds: the data
// of DeadLetterDiscarded, and of DeadLetterRetryRequested version 1.
type DeadLetterData struct {
	DeadLetterID string `json:"dead_letter_id"`
	Consumer     string `json:"consumer" doc:"the projection or task consumer that parked it"`
	Position     uint64 `json:"position" doc:"the parked message's stream sequence"`
	EventType    string `json:"event_type"`
}

func init() {
	Register[DeadLetterRequestData](Default, DeadLetterRetryRequested, 2,
		"an operator asked for a parked message to be applied again by its consumer (the process keeping the dead letters decides and answers)")
	RegisterPast[DeadLetterData](Default, DeadLetterRetryRequested, 1)
	// Version 1 copied the letter's consumer, position and type, which the
	// dead letter itself keeps: version 2 names the letter alone.
	Default.Upcast(DeadLetterRetryRequested, 1, func(data json.RawMessage) (json.RawMessage, error) {
		var v1 DeadLetterData
		if err := json.Unmarshal(data, &v1); err != nil {
			return nil, err
		}
		return json.Marshal(DeadLetterRequestData{DeadLetterID: v1.DeadLetterID})
	})
	Register[DeadLetterRequestData](Default, DeadLetterDiscardRequested, 1,
		"an operator asked to give up on a parked message: once the process keeping the dead letters acts on it, the letter is resolved and never applied")
	Register[DeadLetterData](Default, DeadLetterDiscarded, 1,
		"an operator gave up on a parked message (appended before discards were requests; no longer appended)")
	Default.Owns(AggregateDeadLetter, DeadLetterRetryRequested, DeadLetterDiscardRequested, DeadLetterDiscarded)
}
