package deadletter

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/jackc/pgx/v5"
	"github.com/nats-io/nats.go"
)

// An operator's retry or discard is an event the write side appends
// (DeadLetterRetryRequested, DeadLetterDiscardRequested) knowing only the
// letter's id. The dead letters' keeper, a task in the processes that hold
// the dead_letters table, acts on each request once and publishes what it
// did on AnswerSubject(letter), where the write side waits for it.
const answerSubject = "deadletters.answer"

// AnswerSubject is where the answers to the requests about letter id go.
func AnswerSubject(id string) string { return answerSubject + "." + id }

// Refusals of a request: it had no effect.
const (
	RefusedNotFound = "not_found" // no such letter
	RefusedResolved = "resolved"  // already retried or discarded
	RefusedNoOwner  = "no_owner"  // no process runs the letter's consumer
	RefusedNoAnswer = "no_answer" // the consumer's process did not answer in time
)

// Answer is what became of one request: its outcome (a retry's applied or
// failed, or Discarded), or why it had none.
type Answer struct {
	Request uint64 `json:"request"` // the request event's stream position
	Outcome
	Refused string `json:"refused,omitempty"`
}

// Publish sends a to the write side waiting on the letter's requests.
func (a Answer) Publish(nc *nats.Conn, id string) error {
	body, err := json.Marshal(a)
	if err != nil {
		return err
	}
	return nc.Publish(AnswerSubject(id), body)
}

// requestsTask names the requests in task_effects (see shared/taskrouter),
// the record of the effects already had: a request delivered twice has
// its effect once.
const requestsTask = "dead_letter_requests"

// Claim records in tx that the request with event id request has its
// effect there, committed with it. It answers false if an earlier
// transaction already had it, and then tx must change nothing.
func Claim(ctx context.Context, tx pgx.Tx, request string) (bool, error) {
	if request == "" {
		return true, nil // a request from before requests were events
	}
	tag, err := tx.Exec(ctx, `INSERT INTO task_effects (task, key) VALUES ($1, $2) ON CONFLICT DO NOTHING`, requestsTask, request)
	if err != nil {
		return false, fmt.Errorf("claim dead letter request %s: %w", request, err)
	}
	return tag.RowsAffected() == 1, nil
}

// Recall is the outcome of a request that had its effect already, read
// from the letter: a request delivered again answers what the first did.
func Recall(l Letter) Answer {
	switch {
	case l.Open():
		return Answer{Outcome: Outcome{Outcome: Failed, Error: l.Error}}
	case *l.Resolution == Discarded:
		return Answer{Outcome: Outcome{Outcome: Discarded}}
	default:
		return Answer{Outcome: Outcome{Outcome: Applied}}
	}
}
