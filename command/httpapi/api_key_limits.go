package httpapi

import (
	"context"
	"github.com/chatbotsaas/chatbot/command/app"
	"net/http"
	"time"

	"github.com/danielgtaylor/huma/v2"

	"github.com/chatbotsaas/chatbot/events"
	"github.com/chatbotsaas/chatbot/shared/auth"
)

func (a *Companies) registerKeyLimits(api huma.API) {
	op := companyOp("set-api-key-limits", http.MethodPut, "/v1/companies/{cid}/chatbots/{bid}/api-keys/{kid}/limits",
		"Set an API key's own limits (null: the chatbot's alone)", 0)
	op.Description = "A call with the key must pass these limits, its chatbot's and its company plan's together; " +
		"a key limit never raises what they allow. The limits count from the key's next call. A revoked key answers 409."
	huma.Register(api, op, a.setKeyLimits)
}

type setKeyLimitsInput struct {
	KeyPath
	Body struct {
		RequestsPerMinute *perMinute       `json:"requests_per_minute" required:"true" nullable:"true"`
		DailyRequests     *dailyRequests   `json:"daily_requests" required:"true" nullable:"true"`
		MonthlyRequests   *monthlyRequests `json:"monthly_requests" required:"true" nullable:"true"`
	}
}

// keyOutput is an API key as a write answers it, never with its secret.
type keyOutput struct {
	EventPosition
	Body struct {
		ID        string        `json:"id"`
		ChatbotID string        `json:"chatbot_id"`
		Name      string        `json:"name"`
		Prefix    string        `json:"prefix"`
		Last4     string        `json:"last4"`
		ExpiresAt *time.Time    `json:"expires_at"`
		CreatedAt time.Time     `json:"created_at"`
		Limits    events.Limits `json:"limits" doc:"the key's own limits; null: the chatbot's alone"`
	}
}

func (a *Companies) setKeyLimits(ctx context.Context, in *setKeyLimitsInput) (*keyOutput, error) {
	cid, err := auth.CompanyOf(ctx, in.CID)
	if err != nil {
		return nil, err
	}
	b := in.Body
	at, err := a.Commands.SetAPIKeyLimits.Handle(ctx, app.SetAPIKeyLimitsCmd{ChatbotCmd: app.ChatbotCmd{CompanyID: cid, ChatbotID: in.BID},
		KeyID: in.KID, Limits: limitsOf(b.RequestsPerMinute, b.DailyRequests, b.MonthlyRequests)})
	if err != nil {
		return nil, err
	}
	k, pos := at.Key, at.Position
	out := &keyOutput{EventPosition: EventPosition{EventPosition: pos}}
	o := &out.Body
	o.ID, o.ChatbotID, o.Name, o.Prefix, o.Last4, o.ExpiresAt, o.CreatedAt, o.Limits = k.ID, in.BID, k.Name, k.Prefix, k.Last4, k.ExpiresAt, k.CreatedAt, k.Limits
	return out, nil
}
