package query

import (
	"context"
	"errors"
	"net/http"

	"github.com/danielgtaylor/huma/v2"

	"github.com/chatbotsaas/chatbot/shared/apperr"
	"github.com/chatbotsaas/chatbot/shared/auth"
	"github.com/chatbotsaas/chatbot/shared/deadletter"
)

type listDeadLettersInput struct {
	Revalidate
	Limit    int    `query:"limit" minimum:"1" maximum:"200" default:"50"`
	Cursor   string `query:"cursor" maxLength:"64"`
	Consumer string `query:"consumer" maxLength:"64" doc:"only this consumer's: a projection's name, or a task's (unlock_timers, user_erasures)"`
	Resolved string `query:"resolved" enum:"true,false," doc:"only resolved (true) or open (false) letters"`
}

type getDeadLetterInput struct {
	Revalidate
	ID string `path:"id" format:"uuid"`
}

func (s *Side) registerAdminDeadLetters(api huma.API) {
	tags := []string{"Admin"}
	huma.Register(api, auth.Require(huma.Operation{
		OperationID: "list-dead-letters", Method: http.MethodGet, Path: "/v1/admin/dead-letters", Tags: tags,
		Summary:     "Messages the consumers parked, oldest first",
		Description: "Events a projection and task messages a task consumer could not handle after their retries, open and resolved.",
	}, auth.PermDeadLettersRead), s.listDeadLetters)
	huma.Register(api, auth.Require(huma.Operation{
		OperationID: "get-dead-letter", Method: http.MethodGet, Path: "/v1/admin/dead-letters/{id}", Tags: tags,
		Summary: "One dead letter with the message it holds",
	}, auth.PermDeadLettersRead), s.getDeadLetter)
}

func (s *Side) listDeadLetters(ctx context.Context, in *listDeadLettersInput) (*readOutput[List[deadletter.Letter]], error) {
	f := deadletter.Filter{Consumer: in.Consumer, Cursor: in.Cursor, Limit: in.Limit}
	if in.Resolved != "" {
		resolved := in.Resolved == "true"
		f.Resolved = &resolved
	}
	items, next, err := deadletter.List(ctx, s.deps.Pool, f)
	if errors.Is(err, deadletter.ErrBadCursor) {
		return nil, errBadCursor
	}
	if err != nil {
		return nil, err
	}
	return answerValue(in.Revalidate, List[deadletter.Letter]{Items: items, NextCursor: next})
}

func (s *Side) getDeadLetter(ctx context.Context, in *getDeadLetterInput) (*readOutput[deadletter.LetterDetail], error) {
	l, err := deadletter.Get(ctx, s.deps.Pool, in.ID)
	if errors.Is(err, deadletter.ErrNotFound) {
		return nil, apperr.NotFound("dead letter")
	}
	if err != nil {
		return nil, err
	}
	return answerValue(in.Revalidate, l.Detailed())
}
