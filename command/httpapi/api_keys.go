package httpapi

import (
	"context"
	"time"

	"github.com/chatbotsaas/chatbot/command/app"
	"github.com/chatbotsaas/chatbot/events"
	"github.com/chatbotsaas/chatbot/shared/auth"
)

// A chatbot's API keys: issued (the secret shown once) and revoked.

type issueKeyInput struct {
	ChatbotPath
	Body struct {
		Name      string      `json:"name" minLength:"1" maxLength:"100"`
		ExpiresAt *time.Time  `json:"expires_at,omitempty" doc:"after this time the key stops working; none: it works until revoked"`
		Limits    *limitsBody `json:"limits,omitempty" doc:"the key's own limits, passed beside its chatbot's and its company's; a missing or null one: the chatbot's alone"`
	}
}

type issuedKeyOutput struct {
	EventPosition
	Body struct {
		ID        string        `json:"id"`
		Key       string        `json:"key" doc:"the whole key: shown in this answer only, keep it safe"`
		Prefix    string        `json:"prefix"`
		Last4     string        `json:"last4"`
		Name      string        `json:"name"`
		ChatbotID string        `json:"chatbot_id"`
		ExpiresAt *time.Time    `json:"expires_at"`
		CreatedAt time.Time     `json:"created_at"`
		Limits    events.Limits `json:"limits" doc:"the key's own limits; null: the chatbot's alone"`
	}
}

func (a *Companies) issueKey(ctx context.Context, in *issueKeyInput) (*issuedKeyOutput, error) {
	cid, err := auth.CompanyOf(ctx, in.CID)
	if err != nil {
		return nil, err
	}
	var lim events.Limits
	if l := in.Body.Limits; l != nil {
		lim = limitsOf(l.RequestsPerMinute, l.DailyRequests, l.MonthlyRequests)
	}
	k, err := a.Commands.IssueAPIKey.Handle(ctx, app.IssueAPIKeyCmd{ChatbotCmd: app.ChatbotCmd{CompanyID: cid, ChatbotID: in.BID},
		Name: in.Body.Name, ExpiresAt: in.Body.ExpiresAt, Limits: lim})
	if err != nil {
		return nil, err
	}
	out := &issuedKeyOutput{EventPosition: EventPosition{EventPosition: k.Position}}
	b := &out.Body
	b.ID, b.Key, b.Prefix, b.Last4, b.Name, b.ChatbotID, b.ExpiresAt, b.CreatedAt = k.ID, k.Secret, k.Prefix, k.Last4, k.Name, in.BID, k.ExpiresAt, k.CreatedAt
	b.Limits = k.Limits
	return out, nil
}

type KeyPath struct {
	CID string `path:"cid" format:"uuid"`
	BID string `path:"bid" format:"uuid"`
	KID string `path:"kid" format:"uuid"`
}

func (a *Companies) revokeKey(ctx context.Context, in *KeyPath) (*positionOutput, error) {
	cid, err := auth.CompanyOf(ctx, in.CID)
	if err != nil {
		return nil, err
	}
	pos, err := a.Commands.RevokeAPIKey.Handle(ctx, app.RevokeAPIKeyCmd{ChatbotCmd: app.ChatbotCmd{CompanyID: cid, ChatbotID: in.BID}, KeyID: in.KID})
	if err != nil {
		return nil, err
	}
	return &positionOutput{EventPosition{EventPosition: pos}}, nil
}
