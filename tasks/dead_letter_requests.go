package tasks

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/nats-io/nats.go"

	"github.com/chatbotsaas/chatbot/events"
	"github.com/chatbotsaas/chatbot/shared/deadletter"
	"github.com/chatbotsaas/chatbot/shared/taskrouter"
)

// DeadLetterRequestsTask is the durable consumer of the operators' retries
// and discards.
const DeadLetterRequestsTask = "dead_letter_requests"

// DeadLetterRequests carries out the retries and discards the write side
// appends (DeadLetterRetryRequested, DeadLetterDiscardRequested), and
// answers each on deadletter.AnswerSubject. A discard resolves the letter
// here; a retry is asked of the process that runs the letter's consumer,
// which applies and resolves it in one transaction. Each request claims
// its event id in the transaction of its effect, so a request delivered
// twice has its effect once.
type DeadLetterRequests struct {
	Pool *pgxpool.Pool
	NATS *nats.Conn
	Wait time.Duration // for a consumer's process to retry; default 10s
}

// Handler is the task. It starts at the end of the stream: the requests
// appended before it existed were carried out by the commands themselves.
func (d DeadLetterRequests) Handler() taskrouter.Handler {
	return taskrouter.Handler{
		Name: DeadLetterRequestsTask, Description: "retries and discards dead letters as operators ask",
		Subjects: []string{
			events.Subject(events.PlatformTenant, events.AggregateDeadLetter, "*", events.DeadLetterRetryRequested),
			events.Subject(events.PlatformTenant, events.AggregateDeadLetter, "*", events.DeadLetterDiscardRequested),
		},
		FromNow: true,
		Do:      d.Do,
	}
}

// Do carries out one request and answers it.
func (d DeadLetterRequests) Do(ctx context.Context, m taskrouter.Message) error {
	env, req, err := decode[events.DeadLetterRequestData](m)
	if err != nil {
		return err
	}
	var a deadletter.Answer
	switch env.Type {
	case events.DeadLetterDiscardRequested:
		a, err = d.discard(ctx, env, req.DeadLetterID)
	case events.DeadLetterRetryRequested:
		a, err = d.retry(ctx, env, req.DeadLetterID)
	default:
		return fmt.Errorf("%w: %s is no dead letter request", taskrouter.ErrCannotDo, env.Type)
	}
	if err != nil {
		return err
	}
	a.Request = m.Seq()
	slog.InfoContext(ctx, "dead letter request carried out", "type", env.Type, "id", req.DeadLetterID,
		"outcome", a.Outcome.Outcome, "refused", a.Refused, "by", env.Actor.ID)
	// No one may wait any more (the command's wait is bounded): the letter
	// itself records what was done.
	return a.Publish(d.NATS, req.DeadLetterID)
}

// discard resolves the letter, with the request's claim, in one transaction.
func (d DeadLetterRequests) discard(ctx context.Context, env events.Envelope, id string) (deadletter.Answer, error) {
	var a deadletter.Answer
	err := pgx.BeginFunc(ctx, d.Pool, func(tx pgx.Tx) error {
		first, err := deadletter.Claim(ctx, tx, env.ID)
		if err != nil {
			return err
		}
		if !first {
			l, err := deadletter.Get(ctx, tx, id)
			a = deadletter.Recall(l)
			return err
		}
		l, err := deadletter.Lock(ctx, tx, "", id)
		if refused := refusal(err); refused != "" {
			a.Refused = refused
			return nil
		} else if err != nil {
			return err
		}
		a.Outcome.Outcome = deadletter.Discarded
		return deadletter.Resolve(ctx, tx, l.ID, deadletter.Discarded, env.Actor)
	})
	return a, err
}

// retry asks the process that runs the letter's consumer to apply it.
func (d DeadLetterRequests) retry(ctx context.Context, env events.Envelope, id string) (deadletter.Answer, error) {
	l, err := deadletter.Get(ctx, d.Pool, id)
	if err == nil && !l.Open() {
		err = deadletter.ErrResolved
	}
	if refused := refusal(err); refused != "" {
		return deadletter.Answer{Refused: refused}, nil
	} else if err != nil {
		return deadletter.Answer{}, err
	}
	wait := d.Wait
	if wait <= 0 {
		wait = 10 * time.Second
	}
	actx, cancel := context.WithTimeout(ctx, wait)
	defer cancel()
	out, err := deadletter.Ask(actx, d.NATS, l.Consumer, deadletter.RetryRequest{ID: l.ID, Actor: env.Actor, Request: env.ID})
	switch refused := refusal(err); {
	case refused != "":
		return deadletter.Answer{Refused: refused}, nil
	case errors.Is(err, context.DeadlineExceeded), errors.Is(err, nats.ErrTimeout):
		// The consumer's process may still apply it: the letter shows
		// whether it did.
		return deadletter.Answer{Refused: deadletter.RefusedNoAnswer}, nil
	case err != nil:
		return deadletter.Answer{}, err
	}
	return deadletter.Answer{Outcome: out}, nil
}

// refusal names the refusal err is, "" for none.
func refusal(err error) string {
	switch {
	case errors.Is(err, deadletter.ErrNotFound):
		return deadletter.RefusedNotFound
	case errors.Is(err, deadletter.ErrResolved):
		return deadletter.RefusedResolved
	case errors.Is(err, deadletter.ErrNoOwner):
		return deadletter.RefusedNoOwner
	}
	return ""
}
