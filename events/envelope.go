package events

import (
	"encoding/json"
	"errors"
	"fmt"
	"time"
)

// Envelope is the stored form of one event: the metadata every consumer can
// rely on, and the event's own data at schema version Version. Field names
// are the wire format and never change.
type Envelope struct {
	ID               string          `json:"id"`
	Type             string          `json:"type"`
	Version          int             `json:"version"`
	OccurredAt       time.Time       `json:"occurred_at"`
	TenantID         string          `json:"tenant_id"`
	AggregateType    string          `json:"aggregate_type"`
	AggregateID      string          `json:"aggregate_id"`
	AggregateVersion int64           `json:"aggregate_version"`
	Actor            Actor           `json:"actor"`
	CorrelationID    string          `json:"correlation_id,omitempty"`
	CausationID      string          `json:"causation_id,omitempty"`
	Data             json.RawMessage `json:"data"`

	// Position is the stream sequence the event was stored at. It is not
	// part of the stored JSON: the stream assigns it.
	Position uint64 `json:"-"`
}

// Actor says who caused an event.
type Actor struct {
	Type string `json:"type"` // user, api_key, system
	ID   string `json:"id,omitempty"`
}

// Actor types.
const (
	ActorUser   = "user"
	ActorAPIKey = "api_key"
	ActorSystem = "system"
)

// System is the actor of events the platform causes by itself: timers and
// tasks.
var System = Actor{Type: ActorSystem}

// UserActor is the actor of what a person does, an administrator included.
func UserActor(userID string) Actor { return Actor{Type: ActorUser, ID: userID} }

// APIKeyActor is the actor of what a chatbot API client does with a key.
func APIKeyActor(keyID string) Actor { return Actor{Type: ActorAPIKey, ID: keyID} }

// Event is an event a decision produces: its registered type name and its
// data. The store wraps it in an envelope when it appends.
type Event struct {
	Type string
	Data any
}

// Subject is where the envelope is stored in the stream.
func (e Envelope) Subject() string {
	return Subject(e.TenantID, e.AggregateType, e.AggregateID, e.Type)
}

// Marshal encodes the envelope as stored.
func (e Envelope) Marshal() ([]byte, error) { return json.Marshal(e) }

// ErrMalformed wraps an envelope that cannot be read.
var ErrMalformed = errors.New("malformed event envelope")

// Unmarshal decodes a stored envelope and checks its required fields.
func Unmarshal(b []byte, position uint64) (Envelope, error) {
	var e Envelope
	if err := json.Unmarshal(b, &e); err != nil {
		return Envelope{}, fmt.Errorf("%w at position %d: %v", ErrMalformed, position, err)
	}
	if e.ID == "" || e.Type == "" || e.TenantID == "" || e.AggregateType == "" || e.AggregateID == "" || e.Version < 1 {
		return Envelope{}, fmt.Errorf("%w at position %d: a required field is missing", ErrMalformed, position)
	}
	e.Position = position
	return e, nil
}
