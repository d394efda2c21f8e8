package httpapi

import (
	"context"
	"net/http"

	"github.com/danielgtaylor/huma/v2"

	"github.com/chatbotsaas/chatbot/command/app"
	"github.com/chatbotsaas/chatbot/command/eventstore"
	"github.com/chatbotsaas/chatbot/shared/apperr"
	"github.com/chatbotsaas/chatbot/shared/auth"
	"github.com/chatbotsaas/chatbot/shared/httpx"
	"github.com/chatbotsaas/chatbot/shared/policy"
)

// Auth serves the auth routes.
type Auth struct {
	Commands *app.Commands
	Rate     LoginRate
}

// LoginRate is the per-IP rate of password guesses: logins, signups and
// password changes count together.
type LoginRate struct {
	Throttle *auth.Throttle
	Policy   *policy.Holder
}

// Check counts one attempt against the client's address.
func (r LoginRate) Check(ctx context.Context) error {
	ok, retry := r.Throttle.Allow(ctx, "auth:"+auth.ClientFrom(ctx).IP, r.Policy.Get().LoginPerIPPerMin)
	if ok {
		return nil
	}
	return &apperr.Error{Kind: apperr.KindTooMany, Code: "too_many_requests", Message: "too many attempts from this address; retry later", RetryAfter: retry}
}

type signupInput struct {
	Body struct {
		CompanyName string `json:"company_name" maxLength:"200"`
		Name        string `json:"name" maxLength:"200"`
		Email       string `json:"email" maxLength:"320"`
		Password    string `json:"password" maxLength:"1024"`
	}
}

type signupOutput struct {
	EventPosition
	Body struct {
		UserID    string `json:"user_id"`
		CompanyID string `json:"company_id"`
	}
}

type loginInput struct {
	Body struct {
		Email    string `json:"email" maxLength:"320"`
		Password string `json:"password" maxLength:"1024"`
	}
}

type tokenOutput struct {
	Body app.TokenPair
}

type refreshInput struct {
	Body struct {
		RefreshToken string `json:"refresh_token"`
	}
}

type logoutInput struct {
	Body *struct {
		AllSessions bool `json:"all_sessions,omitempty" doc:"revoke every session of the user, not only this one"`
	} `required:"false"`
}

type positionOutput struct {
	EventPosition
}

// Register adds the auth routes.
func (a *Auth) Register(api huma.API) {
	tags := []string{"Auth"}
	huma.Register(api, auth.Public(huma.Operation{
		OperationID: "signup", Method: http.MethodPost, Path: "/v1/auth/signup", Tags: tags, DefaultStatus: http.StatusCreated,
		Summary: "Sign up a company and its first manager (role company)",
		Errors:  []int{http.StatusTooManyRequests},
	}), a.signup)
	// Credentials are never stored or replayed under an Idempotency-Key.
	huma.Register(api, httpx.NoIdempotency(auth.Public(huma.Operation{
		OperationID: "login", Method: http.MethodPost, Path: "/v1/auth/login", Tags: tags,
		Summary: "Log in; a wrong password, an unknown email, a locked or disabled account all answer the same 401",
		Errors:  []int{http.StatusUnauthorized, http.StatusTooManyRequests},
	})), a.login)
	huma.Register(api, httpx.NoIdempotency(auth.Public(huma.Operation{
		OperationID: "refresh", Method: http.MethodPost, Path: "/v1/auth/refresh", Tags: tags,
		Summary: "Spend a refresh token for a new pair; reusing a spent one revokes the session",
		Errors:  []int{http.StatusUnauthorized},
	})), a.refresh)
	huma.Register(api, httpx.NoIdempotency(auth.Require(huma.Operation{
		OperationID: "logout", Method: http.MethodPost, Path: "/v1/auth/logout", Tags: tags, DefaultStatus: http.StatusNoContent,
		Summary: "Revoke this session (or all of the user's); its access tokens stop working at once",
	}, auth.PermProfileWrite)), a.logout)
	a.registerPasswordReset(api, tags)
}

func (a *Auth) signup(ctx context.Context, in *signupInput) (*signupOutput, error) {
	if err := a.Rate.Check(ctx); err != nil {
		return nil, err
	}
	res, err := a.Commands.Signup.Handle(ctx, app.SignupInput{CompanyName: in.Body.CompanyName, Name: in.Body.Name, Email: in.Body.Email, Password: in.Body.Password})
	if err != nil {
		return nil, err
	}
	out := &signupOutput{}
	out.EventPosition.EventPosition = res.Position
	out.Body.UserID, out.Body.CompanyID = res.UserID, res.CompanyID
	return out, nil
}

func (a *Auth) login(ctx context.Context, in *loginInput) (*tokenOutput, error) {
	if err := a.Rate.Check(ctx); err != nil {
		a.Commands.CountRefusedLogin(eventstore.LoginThrottled)
		return nil, err
	}
	pair, err := a.Commands.Login.Handle(ctx, app.LoginCmd{Email: in.Body.Email, Password: in.Body.Password, Client: auth.ClientFrom(ctx)})
	if err != nil {
		return nil, err
	}
	return &tokenOutput{Body: pair}, nil
}

func (a *Auth) refresh(ctx context.Context, in *refreshInput) (*tokenOutput, error) {
	pair, err := a.Commands.Refresh.Handle(ctx, app.RefreshCmd{Token: in.Body.RefreshToken, Client: auth.ClientFrom(ctx)})
	if err != nil {
		return nil, err
	}
	return &tokenOutput{Body: pair}, nil
}

func (a *Auth) logout(ctx context.Context, in *logoutInput) (*positionOutput, error) {
	p, _ := auth.PrincipalFrom(ctx)
	all := in.Body != nil && in.Body.AllSessions
	pos, err := a.Commands.Logout.Handle(ctx, app.LogoutCmd{Principal: p, All: all})
	if err != nil {
		return nil, err
	}
	return &positionOutput{EventPosition{EventPosition: pos}}, nil
}
