package deadletter

import (
	"encoding/json"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/nats-io/nats.go"

	"github.com/chatbotsaas/chatbot/events"
)

// Kinds of consumer that park letters.
const (
	KindProjection = "projection" // a read model's consumer: the letter is an event
	KindTask       = "task"       // a task's durable consumer: the letter is its message
)

// Resolutions of a letter.
const (
	Retried   = "retried"   // applied again, successfully
	Discarded = "discarded" // given up by an operator
)

// Letter is one parked message and what became of it.
type Letter struct {
	ID          string        `json:"id" format:"uuid"`
	Consumer    string        `json:"consumer" doc:"the projection or task consumer that parked it"`
	Kind        string        `json:"kind" enum:"projection,task"`
	Position    uint64        `json:"position" doc:"the message's stream sequence"`
	EventID     *string       `json:"event_id" doc:"the event's id, when the message is a readable event"`
	EventType   string        `json:"event_type" doc:"the event type, or a task message's subject kind"`
	Subject     string        `json:"subject"`
	TenantID    string        `json:"tenant_id"`
	Error       string        `json:"error" doc:"why it failed, the last time it was tried"`
	Attempts    int           `json:"attempts" doc:"tries so far, retries included"`
	ParkedAt    time.Time     `json:"parked_at"`
	LastTriedAt *time.Time    `json:"last_tried_at" doc:"the last retry, if any"`
	ResolvedAt  *time.Time    `json:"resolved_at"`
	Resolution  *string       `json:"resolution" enum:"retried,discarded" doc:"null while open"`
	ResolvedBy  *events.Actor `json:"resolved_by" doc:"who retried or discarded it"`

	Seq     int64       `json:"-"` // the order of parking
	Payload []byte      `json:"-"`
	Headers nats.Header `json:"-"` // a task message's, given back to its retry
}

// LetterDetail is a letter with the message it holds: the event envelope, or
// the raw payload when the message is not JSON (a timer's is empty).
type LetterDetail struct {
	Letter
	Envelope json.RawMessage `json:"envelope,omitempty" doc:"the event envelope as stored, personal fields sealed"`
	Payload  []byte          `json:"payload,omitempty" doc:"the message's bytes when they are not a JSON document"`
	Headers  nats.Header     `json:"headers,omitempty" doc:"a task message's NATS headers"`
}

// Open reports whether the letter still waits for an operator.
func (l Letter) Open() bool { return l.ResolvedAt == nil }

// Detailed returns the letter with its message.
func (l Letter) Detailed() LetterDetail {
	d := LetterDetail{Letter: l, Headers: l.Headers}
	if json.Valid(l.Payload) {
		d.Envelope = json.RawMessage(l.Payload)
	} else if len(l.Payload) > 0 {
		d.Payload = l.Payload
	}
	return d
}

// New is a letter to park: its id is a fresh UUIDv7.
func New(kind, consumer string, position uint64, subject string, payload []byte, reason string, attempts int) Letter {
	if payload == nil {
		payload = []byte{} // a timer's message is empty, and the column is NOT NULL
	}
	l := Letter{ID: uuid.Must(uuid.NewV7()).String(), Consumer: consumer, Kind: kind, Position: position,
		Subject: subject, Payload: payload, Error: reason, Attempts: max(attempts, 1)}
	env, _ := events.Unmarshal(payload, position)
	l.EventType, l.TenantID = env.Type, env.TenantID
	if env.ID != "" {
		l.EventID = &env.ID
	}
	if l.EventType == "" || l.TenantID == "" {
		l.TenantID, l.EventType = fromSubject(subject)
	}
	return l
}

// fromSubject takes the tenant and type of an unreadable message from its
// subject, events.<tenant>.<aggregate>.<id>.<Type>; a task message that is
// no event is the platform's, and its subject says what it is.
func fromSubject(subject string) (tenant, kind string) {
	tokens := strings.Split(subject, ".")
	if len(tokens) == 5 && tokens[0] == "events" {
		return tokens[1], tokens[4]
	}
	return events.PlatformTenant, subject
}
