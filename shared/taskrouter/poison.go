package taskrouter

import (
	"context"
	"log/slog"
	"strconv"

	"github.com/ThreeDotsLabs/watermill/message"
	"github.com/ThreeDotsLabs/watermill/message/router/middleware"
)

// Letter is a task message parked after its retries.
type Letter struct {
	Task     string
	Message  Message
	Reason   string
	Attempts int
}

// DeadLetters is where the poison queue parks and where an operator's
// retry comes back from.
type DeadLetters interface {
	// Park stores l; parking the same message of the same task twice keeps one.
	Park(ctx context.Context, l Letter) error
	// Serve answers the retries of task's letters with apply until stop.
	Serve(ctx context.Context, task string, apply func(context.Context, Message) error) (stop func(), err error)
}

// poisonPublisher is the publisher Watermill's PoisonQueue middleware
// publishes to: it parks the message as a dead letter. An error leaves the
// message unacknowledged, so it comes again rather than being lost.
type poisonPublisher struct {
	dl  DeadLetters
	log *slog.Logger
}

func (p poisonPublisher) Publish(_ string, msgs ...*message.Message) error {
	for _, wm := range msgs {
		task := wm.Metadata.Get(middleware.PoisonedHandlerKey)
		reason := wm.Metadata.Get(middleware.ReasonForPoisonedKey)
		m := fromWatermill(wm)
		for _, k := range []string{middleware.PoisonedHandlerKey, middleware.ReasonForPoisonedKey,
			middleware.PoisonedTopicKey, middleware.PoisonedSubscriberKey} {
			m.header.Del(k)
		}
		l := Letter{Task: task, Message: m, Reason: reason, Attempts: attempts(wm)}
		if err := p.dl.Park(context.WithoutCancel(wm.Context()), l); err != nil {
			return err
		}
		p.log.Error("task parked in dead_letters", "task", task, "subject", m.subject,
			"position", m.seq, "reason", reason)
	}
	return nil
}

// attempts counts the tries of this delivery: the first and its retries.
func attempts(wm *message.Message) int {
	n, _ := strconv.Atoi(wm.Metadata.Get(metaTries))
	return max(n, 1)
}

func (poisonPublisher) Close() error { return nil }
