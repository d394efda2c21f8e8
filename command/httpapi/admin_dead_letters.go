package httpapi

import (
	"context"
	"net/http"

	"github.com/danielgtaylor/huma/v2"

	"github.com/chatbotsaas/chatbot/command/app"
	"github.com/chatbotsaas/chatbot/shared/auth"
	"github.com/chatbotsaas/chatbot/shared/deadletter"
)

// AdminDeadLetters serves the retry and the discard of dead letters.
type AdminDeadLetters struct {
	Commands *app.Commands
}

type deadLetterInput struct {
	ID string `path:"id" format:"uuid" doc:"the dead letter's id, as GET /v1/admin/dead-letters lists it"`
}

type retryDeadLetterOutput struct {
	EventPosition
	Body deadletter.Outcome
}

type discardDeadLetterOutput struct {
	EventPosition
	Status int
}

// Register adds the routes.
func (a *AdminDeadLetters) Register(api huma.API) {
	tags := []string{"Admin"}
	huma.Register(api, auth.Require(huma.Operation{
		OperationID: "retry-dead-letter", Method: http.MethodPost, Path: "/v1/admin/dead-letters/{id}/retry", Tags: tags,
		Summary: "Apply a parked message again",
		Description: "Appends DeadLetterRetryRequested, which records who asked, and waits for its outcome (up to 10 s): the process that runs the letter's consumer " +
			"(a projection's leader, or a process running the task) applies the message again and, if it applies, marks the letter resolved in the same transaction, " +
			"so it is applied once. `outcome` is `applied`, or `failed` with the error (the letter stays open and its attempts grow). An unknown letter: 404 `not_found`; " +
			"a resolved letter: 409 `conflict`; no process running its consumer, or no answer in time: 503 `consumer_unavailable` (a late answer may still apply it: " +
			"look at the letter before asking again). The request is recorded whatever its outcome.",
	}, auth.PermDeadLettersWrite), a.retry)
	huma.Register(api, auth.Require(huma.Operation{
		OperationID: "discard-dead-letter", Method: http.MethodPost, Path: "/v1/admin/dead-letters/{id}/discard", Tags: tags,
		DefaultStatus: http.StatusNoContent,
		Summary:       "Give up on a parked message",
		Description: "Appends DeadLetterDiscardRequested, the audit record of who gave up on the letter, and waits for its outcome (up to 10 s): the process that keeps " +
			"the dead letters marks the letter resolved (discarded) by the caller, and the message is never applied. An unknown letter: 404 `not_found`; a resolved letter: " +
			"409 `conflict`; no answer in time: 503 `consumer_unavailable` (a late answer may still discard it). The request is recorded whatever its outcome.",
	}, auth.PermDeadLettersWrite), a.discard)
}

func (a *AdminDeadLetters) retry(ctx context.Context, in *deadLetterInput) (*retryDeadLetterOutput, error) {
	res, err := a.Commands.RetryDeadLetter.Handle(ctx, in.ID)
	if err != nil {
		return nil, err
	}
	return &retryDeadLetterOutput{EventPosition: EventPosition{EventPosition: res.Position}, Body: res.Outcome}, nil
}

func (a *AdminDeadLetters) discard(ctx context.Context, in *deadLetterInput) (*discardDeadLetterOutput, error) {
	pos, err := a.Commands.DiscardDeadLetter.Handle(ctx, in.ID)
	if err != nil {
		return nil, err
	}
	return &discardDeadLetterOutput{EventPosition: EventPosition{EventPosition: pos}, Status: http.StatusNoContent}, nil
}
