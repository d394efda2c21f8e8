package events

// AggregateDeadLetter is the type of the aggregates that record what
// operators did with a dead letter; the id is the dead letter's.
const AggregateDeadLetter = "dead_letter"

// Operators' decisions on a message a consumer parked after its retries.
const (
	// DeadLetterRetryRequested is an operator asking for the message to
	// be applied again by its consumer; the dead letter records the outcome.
	DeadLetterRetryRequested = "DeadLetterRetryRequested"
	// DeadLetterDiscarded is an operator giving up on the message: it is
	// marked resolved and never applied.
	DeadLetterDiscarded = "DeadLetterDiscarded"
)

// DeadLetterData names the dead letter and the message it holds.
type DeadLetterData struct {
	DeadLetterID string `json:"dead_letter_id"`
	Consumer     string `json:"consumer" doc:"the projection or task consumer that parked it"`
	Position     uint64 `json:"position" doc:"the parked message's stream sequence"`
	EventType    string `json:"event_type"`
}

func init() {
	Register[DeadLetterData](Default, DeadLetterRetryRequested, 1,
		"an operator asked for a parked message to be applied again by its consumer")
	Register[DeadLetterData](Default, DeadLetterDiscarded, 1,
		"an operator gave up on a parked message: it is marked resolved and never applied")
}
