package httpapi

import (
	"context"
	"github.com/chatbotsaas/chatbot/command/app"
	"net/http"

	"github.com/danielgtaylor/huma/v2"

	"github.com/chatbotsaas/chatbot/shared/auth"
	"github.com/chatbotsaas/chatbot/shared/httpx"
)

type resetRequestInput struct {
	Body struct {
		Email string `json:"email" maxLength:"320"`
	}
}

type resetRequestOutput struct {
	Body struct {
		Message string `json:"message" example:"if an account has this email, a reset link is on its way"`
	}
}

type resetConfirmInput struct {
	Body struct {
		Token       string `json:"token" maxLength:"512"`
		NewPassword string `json:"new_password" maxLength:"1024"`
	}
}

// resetAccepted is the one answer to a reset request, whatever the email.
const resetAccepted = "if an account has this email, a reset link is on its way"

// registerPasswordReset adds the password reset routes.
func (a *Auth) registerPasswordReset(api huma.API, tags []string) {
	huma.Register(api, auth.Public(huma.Operation{
		OperationID: "request-password-reset", Method: http.MethodPost, Path: "/v1/auth/password-reset", Tags: tags,
		DefaultStatus: http.StatusAccepted,
		Summary:       "Ask for a password reset link by mail; the same 202 whether or not the account exists",
		Description: "Counted by the per-IP login rate. An account gets at most a few links an hour; the link " +
			"(PASSWORD_RESET_URL?token=…) works once, for password_reset.ttl_seconds (30 min by default).",
		Errors: []int{http.StatusTooManyRequests},
	}), a.requestReset)
	// The token and the password are never stored or replayed under an Idempotency-Key.
	huma.Register(api, httpx.NoIdempotency(auth.Public(huma.Operation{
		OperationID: "confirm-password-reset", Method: http.MethodPost, Path: "/v1/auth/password-reset/confirm", Tags: tags,
		DefaultStatus: http.StatusNoContent,
		Summary:       "Set a new password with a reset token; every session is revoked and any lock lifted",
		Description:   "A used, expired or unknown token answers 400 invalid_reset_token; a password against the policy 422.",
		Errors:        []int{http.StatusBadRequest, http.StatusTooManyRequests},
	})), a.confirmReset)
}

func (a *Auth) requestReset(ctx context.Context, in *resetRequestInput) (*resetRequestOutput, error) {
	if err := a.Rate.Check(ctx); err != nil {
		return nil, err
	}
	if _, err := a.Commands.RequestPasswordReset.Handle(ctx, app.ResetRequestCmd{Email: in.Body.Email}); err != nil {
		return nil, err
	}
	out := &resetRequestOutput{}
	out.Body.Message = resetAccepted
	return out, nil
}

func (a *Auth) confirmReset(ctx context.Context, in *resetConfirmInput) (*positionOutput, error) {
	if err := a.Rate.Check(ctx); err != nil {
		return nil, err
	}
	pos, err := a.Commands.ResetPassword.Handle(ctx, app.ResetPasswordCmd{Token: in.Body.Token, Next: in.Body.NewPassword})
	if err != nil {
		return nil, err
	}
	return &positionOutput{EventPosition{EventPosition: pos}}, nil
}
