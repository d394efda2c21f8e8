package query

import (
	"context"
	"net/http"
	"time"

	"github.com/danielgtaylor/huma/v2"

	"github.com/chatbotsaas/chatbot/events"
	"github.com/chatbotsaas/chatbot/shared/auth"
)

// A company's reads: its members, chatbots and API keys. Every member of
// the company may read them; an administrator any company's. Another
// company's ids answer 404, and every query is keyed by the company taken
// from the path only after the caller was found to belong to it, and runs
// within that company: a row by its key as a point read (PointQueryRow),
// a list under row-level security (TenantQuery).

var companyTags = []string{"Company"}

func companyRead(id, path, summary string) huma.Operation {
	return auth.Require(huma.Operation{OperationID: id, Method: http.MethodGet, Path: path, Tags: companyTags, Summary: summary},
		auth.PermCompanyRead)
}

func (s *Side) registerCompanies(api huma.API) {
	huma.Register(api, companyRead("get-company", "/v1/companies/{cid}", "The company's profile and plan"), s.getOwnCompany)
	huma.Register(api, companyRead("list-members", "/v1/companies/{cid}/members", "The company's members"), s.listMembers)
	huma.Register(api, companyRead("list-chatbots", "/v1/companies/{cid}/chatbots", "The company's chatbots"), s.listChatbots)
	huma.Register(api, companyRead("get-chatbot", "/v1/companies/{cid}/chatbots/{bid}", "One chatbot"), s.getChatbot)
	huma.Register(api, companyRead("list-api-keys", "/v1/companies/{cid}/chatbots/{bid}/api-keys", "A chatbot's API keys, without their secrets"), s.listAPIKeys)
}

type companyInput struct {
	ReadHeaders
	CID string `path:"cid" format:"uuid"`
}

func (s *Side) getOwnCompany(ctx context.Context, in *companyInput) (*readOutput[Company], error) {
	cid, err := auth.CompanyOf(ctx, in.CID)
	if err != nil {
		return nil, err
	}
	r, err := s.reader.Company(ctx, in.MinPosition, cid)
	if err != nil {
		return nil, err
	}
	return answer(in.Revalidate, r), nil
}

// listInput is a page of a company's list.
type listInput struct {
	ReadHeaders
	CID    string `path:"cid" format:"uuid"`
	Limit  int    `query:"limit" minimum:"1" maximum:"200" default:"50"`
	Cursor string `query:"cursor" maxLength:"64"`
}

// Member is a member of a company.
type Member struct {
	ID          string     `json:"id"`
	Email       string     `json:"email"`
	Name        string     `json:"name"`
	Role        string     `json:"role" enum:"company,user"`
	Status      string     `json:"status" enum:"active,disabled"`
	CreatedAt   time.Time  `json:"created_at"`
	LastLoginAt *time.Time `json:"last_login_at"`
}

// companyPage checks the caller's company and the cursor of a list.
func companyPage(ctx context.Context, cid, cursor string, limit int) (string, Page, error) {
	tenant, err := auth.CompanyOf(ctx, cid)
	if err != nil {
		return "", Page{}, err
	}
	after, err := afterID(cursor)
	return tenant, Page{After: after, Limit: limit}, err
}

func (s *Side) listMembers(ctx context.Context, in *listInput) (*readOutput[List[Member]], error) {
	tenant, p, err := companyPage(ctx, in.CID, in.Cursor, in.Limit)
	if err != nil {
		return nil, err
	}
	r, err := s.reader.Members(ctx, in.MinPosition, tenant, p)
	if err != nil {
		return nil, err
	}
	return answer(in.Revalidate, r), nil
}

// Chatbot is a chatbot as the company reads it.
type Chatbot struct {
	ID              string                 `json:"id"`
	CompanyID       string                 `json:"company_id"`
	Name            string                 `json:"name"`
	Description     string                 `json:"description"`
	Settings        events.ChatbotSettings `json:"settings"`
	Status          string                 `json:"status" enum:"active,paused"`
	Limits          events.Limits          `json:"limits" doc:"the chatbot's own limits; null: the company's default"`
	EffectiveLimits events.Limits          `json:"effective_limits" doc:"the limits in force: the chatbot's own held to its company plan's (which are the platform's default_limits where the plan leaves them null): a chatbot limit lowers the plan's, never raises it"`
	CreatedAt       time.Time              `json:"created_at"`
	UpdatedAt       time.Time              `json:"updated_at"`
}

func (s *Side) listChatbots(ctx context.Context, in *listInput) (*readOutput[List[Chatbot]], error) {
	tenant, p, err := companyPage(ctx, in.CID, in.Cursor, in.Limit)
	if err != nil {
		return nil, err
	}
	r, err := s.reader.Chatbots(ctx, in.MinPosition, tenant, p)
	if err != nil {
		return nil, err
	}
	return answer(in.Revalidate, r), nil
}

type chatbotInput struct {
	ReadHeaders
	CID string `path:"cid" format:"uuid"`
	BID string `path:"bid" format:"uuid"`
}

func (s *Side) getChatbot(ctx context.Context, in *chatbotInput) (*readOutput[Chatbot], error) {
	cid, err := auth.CompanyOf(ctx, in.CID)
	if err != nil {
		return nil, err
	}
	r, err := s.reader.Chatbot(ctx, in.MinPosition, cid, in.BID)
	if err != nil {
		return nil, err
	}
	return answer(in.Revalidate, r), nil
}

// APIKey is a key as lists show it: never its secret.
type APIKey struct {
	ID         string     `json:"id"`
	ChatbotID  string     `json:"chatbot_id"`
	Name       string     `json:"name"`
	Prefix     string     `json:"prefix"`
	Last4      string     `json:"last4"`
	ExpiresAt  *time.Time `json:"expires_at"`
	CreatedAt  time.Time  `json:"created_at"`
	RevokedAt  *time.Time `json:"revoked_at"`
	LastUsedAt *time.Time `json:"last_used_at" doc:"updated from usage records, within a few seconds of use"`
	// Limits are the key's own, passed beside its chatbot's and company's.
	Limits events.Limits `json:"limits" doc:"the key's own limits, passed beside its chatbot's and its company's; null: the chatbot's alone"`
}

type apiKeysInput struct {
	ReadHeaders
	CID    string `path:"cid" format:"uuid"`
	BID    string `path:"bid" format:"uuid"`
	Limit  int    `query:"limit" minimum:"1" maximum:"200" default:"50"`
	Cursor string `query:"cursor" maxLength:"64"`
}

func (s *Side) listAPIKeys(ctx context.Context, in *apiKeysInput) (*readOutput[List[APIKey]], error) {
	tenant, p, err := companyPage(ctx, in.CID, in.Cursor, in.Limit)
	if err != nil {
		return nil, err
	}
	r, err := s.reader.APIKeys(ctx, in.MinPosition, tenant, in.BID, p)
	if err != nil {
		return nil, err
	}
	return answer(in.Revalidate, r), nil
}
