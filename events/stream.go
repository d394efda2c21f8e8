package events

import (
	"context"
	"errors"
	"fmt"
	"slices"
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
		// Message schedules need purge and rollup, so the server keeps
		// DenyPurge off; only chatbotd may publish to this stream.
		DenyDelete: true,
	}
}

// EnsureStream creates EVENTS or brings an existing one to the current
// definition; calling it again changes nothing. An existing stream that
// already matches is not updated at all: every process calls this at start,
// and an update is a write the server serialises with consumer creation.
func EnsureStream(ctx context.Context, js jetstream.JetStream, replicas int) (jetstream.Stream, error) {
	want := StreamConfig(replicas)
	s, err := js.Stream(ctx, StreamName)
	switch {
	case errors.Is(err, jetstream.ErrStreamNotFound):
		s, err = js.CreateStream(ctx, want)
	case err == nil && !matches(s.CachedInfo().Config, want):
		s, err = js.UpdateStream(ctx, want)
	}
	if err != nil {
		return nil, fmt.Errorf("create or update stream %s: %w", StreamName, err)
	}
	return s, nil
}

// matches compares the settings this package decides.
func matches(have, want jetstream.StreamConfig) bool {
	return slices.Equal(have.Subjects, want.Subjects) && have.Storage == want.Storage && have.Retention == want.Retention &&
		have.MaxAge == want.MaxAge && have.MaxMsgSize == want.MaxMsgSize && have.Duplicates == want.Duplicates &&
		have.Replicas == want.Replicas && have.AllowDirect == want.AllowDirect && have.AllowAtomicPublish == want.AllowAtomicPublish &&
		have.AllowMsgSchedules == want.AllowMsgSchedules && have.DenyDelete == want.DenyDelete &&
		have.Description == want.Description
}
