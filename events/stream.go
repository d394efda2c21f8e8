package events

import (
	"context"
	"fmt"
	"time"

	"github.com/nats-io/nats.go/jetstream"
)

// StreamName is the one stream every event is stored in.
const StreamName = "EVENTS"

// DuplicateWindow is how long the stream remembers event ids to drop
// retried publishes.
const DuplicateWindow = 2 * time.Minute

// TimerPrefix starts the subjects of durable timers kept in the stream:
// timers.<kind>.<key> holds a scheduled message, which the server delivers
// at its time to timers.due.<kind>.<key>. They are not events.
const TimerPrefix = "timers"

// StreamConfig is the definition of EVENTS: file storage, kept forever
// (limits retention, no age or size limit), deduplicated by event id,
// accepting atomic batches and scheduled messages (durable timers).
func StreamConfig(replicas int) jetstream.StreamConfig {
	if replicas < 1 {
		replicas = 1
	}
	return jetstream.StreamConfig{
		Name:               StreamName,
		Description:        "Domain events of the chatbot platform; subjects events.<tenant>.<aggregate_type>.<aggregate_id>.<EventType>",
		Subjects:           []string{AllFilter, TimerPrefix + ".>"},
		Storage:            jetstream.FileStorage,
		Retention:          jetstream.LimitsPolicy,
		Discard:            jetstream.DiscardOld,
		MaxAge:             0,
		MaxMsgs:            -1,
		MaxBytes:           -1,
		MaxMsgSize:         1 << 20,
		Duplicates:         DuplicateWindow,
		Replicas:           replicas,
		AllowDirect:        true,
		AllowAtomicPublish: true,
		AllowMsgSchedules:  true,
		DenyDelete:         true,
		DenyPurge:          true,
	}
}

// EnsureStream creates EVENTS or brings an existing one to the current
// definition; calling it again changes nothing.
func EnsureStream(ctx context.Context, js jetstream.JetStream, replicas int) (jetstream.Stream, error) {
	s, err := js.CreateOrUpdateStream(ctx, StreamConfig(replicas))
	if err != nil {
		return nil, fmt.Errorf("create or update stream %s: %w", StreamName, err)
	}
	return s, nil
}
