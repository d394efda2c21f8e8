package deadletter

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/nats-io/nats.go"

	"github.com/chatbotsaas/chatbot/events"
)

// A retry is carried to the consumer's owner, the process that can apply
// the message (a projection's leader, a process running the task), by a
// NATS request on retrySubject.<consumer>; its reply is the outcome. Only
// the owner has the reducers or the task handler, and only it applies in
// order with the live consumer.
const retrySubject = "deadletters.retry"

// Outcomes of a retry.
const (
	Applied = "applied"
	Failed  = "failed"
)

// Outcome is what a retry did: applied (the letter is resolved), or
// failed with the reason (it stays open, its attempts counted).
type Outcome struct {
	Outcome string `json:"outcome" enum:"applied,failed"`
	Error   string `json:"error,omitempty" doc:"why the retry failed"`
}

// RetryRequest asks the owner to retry one letter on behalf of Actor.
// Request is the id of the DeadLetterRetryRequested event it carries out:
// a request asked twice (its event delivered again) is applied once.
type RetryRequest struct {
	ID      string       `json:"id"`
	Actor   events.Actor `json:"actor"`
	Request string       `json:"request,omitempty"`
}

// retryReply is the owner's answer: an outcome, or why there is none.
type retryReply struct {
	Outcome
	Refused string `json:"refused,omitempty"` // "not_found", "resolved", "internal"
}

// ErrNoOwner means no process runs the consumer now.
var ErrNoOwner = errors.New("no process runs this consumer now")

// Ask sends a retry to the owner of consumer and waits for its outcome
// until ctx ends. It answers ErrNotFound, ErrResolved or ErrNoOwner.
func Ask(ctx context.Context, nc *nats.Conn, consumer string, req RetryRequest) (Outcome, error) {
	body, err := json.Marshal(req)
	if err != nil {
		return Outcome{}, err
	}
	msg, err := nc.RequestWithContext(ctx, retrySubject+"."+consumer, body)
	if errors.Is(err, nats.ErrNoResponders) {
		return Outcome{}, ErrNoOwner
	}
	if err != nil {
		return Outcome{}, fmt.Errorf("retry of dead letter %s: %w", req.ID, err)
	}
	var rep retryReply
	if err := json.Unmarshal(msg.Data, &rep); err != nil {
		return Outcome{}, fmt.Errorf("retry of dead letter %s: unreadable reply: %w", req.ID, err)
	}
	switch rep.Refused {
	case "":
		return rep.Outcome, nil
	case "not_found":
		return Outcome{}, ErrNotFound
	case "resolved":
		return Outcome{}, ErrResolved
	default:
		return Outcome{}, fmt.Errorf("retry of dead letter %s: the owner failed: %s", req.ID, rep.Error)
	}
}

// Retrier applies a letter again inside tx; an error is the letter's
// failure (recorded, answered as failed), not a refusal.
type Retrier func(ctx context.Context, tx pgx.Tx, l Letter) error

// Serve answers the retries of consumer until the returned stop is called.
// Processes that may each run a retry share a queue group, so one of them
// takes each. before, if set, runs first in each retry's transaction: a
// projection locks its checkpoint there, ordering the retry with its batches.
func Serve(ctx context.Context, nc *nats.Conn, pool *pgxpool.Pool, consumer string, log *slog.Logger,
	before func(context.Context, pgx.Tx) error, apply Retrier) (stop func(), err error) {
	sub, err := nc.QueueSubscribe(retrySubject+"."+consumer, consumer, func(m *nats.Msg) {
		var req RetryRequest
		var rep retryReply
		if err := json.Unmarshal(m.Data, &req); err != nil {
			rep.Refused, rep.Error = "internal", "unreadable request"
		} else {
			rep = retry(ctx, pool, consumer, req, before, apply)
			if rep.Refused == "internal" {
				log.Error("dead letter retry failed", "consumer", consumer, "id", req.ID, "err", rep.Error)
			} else if rep.Refused == "" {
				log.Info("dead letter retried", "consumer", consumer, "id", req.ID, "outcome", rep.Outcome.Outcome, "by", req.Actor.ID)
			}
		}
		body, _ := json.Marshal(rep)
		_ = m.Respond(body)
	})
	if err != nil {
		return nil, fmt.Errorf("serve the dead letter retries of %s: %w", consumer, err)
	}
	return func() { _ = sub.Unsubscribe() }, nil
}

// retry applies the letter and resolves it in one transaction, so that a
// letter is applied at most once: a second retry finds it resolved. A
// failed apply rolls back and is counted on the letter. Either claims the
// request, so that the same request again answers what it did.
func retry(ctx context.Context, pool *pgxpool.Pool, consumer string, req RetryRequest,
	before func(context.Context, pgx.Tx) error, apply Retrier) retryReply {
	internal := func(err error) retryReply {
		return retryReply{Refused: "internal", Outcome: Outcome{Error: err.Error()}}
	}
	tx, err := pool.Begin(ctx)
	if err != nil {
		return internal(err)
	}
	defer func() { _ = tx.Rollback(context.WithoutCancel(ctx)) }()
	if before != nil {
		if err := before(ctx, tx); err != nil {
			return internal(err)
		}
	}
	if first, err := Claim(ctx, tx, req.Request); err != nil {
		return internal(err)
	} else if !first {
		l, err := Get(ctx, tx, req.ID)
		if err != nil {
			return internal(err)
		}
		return retryReply{Outcome: Recall(l).Outcome}
	}
	l, err := Lock(ctx, tx, consumer, req.ID)
	switch {
	case errors.Is(err, ErrNotFound):
		return retryReply{Refused: "not_found"}
	case errors.Is(err, ErrResolved):
		return retryReply{Refused: "resolved"}
	case err != nil:
		return internal(err)
	}
	if failure := apply(ctx, tx, l); failure != nil {
		_ = tx.Rollback(ctx)
		err := pgx.BeginFunc(ctx, pool, func(tx pgx.Tx) error {
			if _, err := Claim(ctx, tx, req.Request); err != nil {
				return err
			}
			return RecordFailure(ctx, tx, l.ID, failure.Error())
		})
		if err != nil {
			return internal(err)
		}
		return retryReply{Outcome: Outcome{Outcome: Failed, Error: failure.Error()}}
	}
	if err := Resolve(ctx, tx, l.ID, Retried, req.Actor); err != nil {
		return internal(err)
	}
	if err := tx.Commit(ctx); err != nil {
		return internal(err)
	}
	return retryReply{Outcome: Outcome{Outcome: Applied}}
}
