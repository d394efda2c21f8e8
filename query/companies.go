package query

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"time"

	"github.com/danielgtaylor/huma/v2"
	"github.com/jackc/pgx/v5"

	"github.com/chatbotsaas/chatbot/events"
	"github.com/chatbotsaas/chatbot/projector"
	"github.com/chatbotsaas/chatbot/shared/apperr"
	"github.com/chatbotsaas/chatbot/shared/auth"
)

// A company's reads: its members, chatbots and API keys. Every member of
// the company may read them; an administrator any company's. Another
// company's ids answer 404, and every query is keyed by the company taken
// from the path only after the caller was found to belong to it, and runs
// under row-level security within that company (TenantQuery).

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
	MinPosition
	CID string `path:"cid" format:"uuid"`
}

func (s *Side) getOwnCompany(ctx context.Context, in *companyInput) (*companyOutput, error) {
	cid, err := auth.CompanyOf(ctx, in.CID)
	if err != nil {
		return nil, err
	}
	if err := s.Await(ctx, in.MinPosition, "companies"); err != nil {
		return nil, err
	}
	var out companyOutput
	out.Body, err = s.scanCompany(s.tenantQueryRow(ctx, cid, `SELECT `+companyColumns+` FROM `+projector.CompaniesTable+`
		WHERE tenant_id = $1 AND id = $1::uuid`, cid))
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, apperr.NotFound("company")
	}
	return &out, err
}

type listInput struct {
	MinPosition
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

type membersOutput struct {
	Body struct {
		Items      []Member `json:"items"`
		NextCursor *string  `json:"next_cursor"`
	}
}

func (s *Side) listMembers(ctx context.Context, in *listInput) (*membersOutput, error) {
	cid, err := auth.CompanyOf(ctx, in.CID)
	if err != nil {
		return nil, err
	}
	if err := s.Await(ctx, in.MinPosition, "users"); err != nil {
		return nil, err
	}
	after, err := afterID(in.Cursor)
	if err != nil {
		return nil, err
	}
	rows, err := TenantQuery(ctx, s.deps.Pool, cid, `SELECT id::text, email, name, role, status, created_at, last_login_at
		FROM `+projector.UsersTable+` WHERE tenant_id = $1 AND status <> 'deleted' AND id > $2 ORDER BY id LIMIT $3`,
		cid, after, in.Limit+1)
	if err != nil {
		return nil, err
	}
	items, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (Member, error) {
		var m Member
		return m, r.Scan(&m.ID, &m.Email, &m.Name, &m.Role, &m.Status, &m.CreatedAt, &m.LastLoginAt)
	})
	if err != nil {
		return nil, err
	}
	out := &membersOutput{}
	out.Body.Items, out.Body.NextCursor = page(items, in.Limit, func(m Member) string { return idCursor(m.ID) })
	return out, nil
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

const chatbotColumns = `b.id::text, b.tenant_id, b.name, b.description, b.settings, b.status,
	b.requests_per_minute, b.daily_requests, b.monthly_requests,
	c.requests_per_minute, c.daily_requests, c.monthly_requests, b.created_at, b.updated_at`

const chatbotFrom = ` FROM ` + projector.ChatbotsTable + ` b LEFT JOIN ` + projector.CompaniesTable + ` c
	ON c.tenant_id = b.tenant_id AND c.id = b.tenant_id::uuid`

func (s *Side) scanChatbot(r pgx.Row) (Chatbot, error) {
	var b Chatbot
	var settings []byte
	var plan events.Limits
	err := r.Scan(&b.ID, &b.CompanyID, &b.Name, &b.Description, &settings, &b.Status,
		&b.Limits.RequestsPerMinute, &b.Limits.DailyRequests, &b.Limits.MonthlyRequests,
		&plan.RequestsPerMinute, &plan.DailyRequests, &plan.MonthlyRequests, &b.CreatedAt, &b.UpdatedAt)
	if err != nil {
		return b, err
	}
	if err := json.Unmarshal(settings, &b.Settings); err != nil {
		return b, err
	}
	b.EffectiveLimits = events.ChatbotLimits(b.Limits, plan, s.deps.Policy.Get().DefaultLimits)
	return b, nil
}

type chatbotsOutput struct {
	Body struct {
		Items      []Chatbot `json:"items"`
		NextCursor *string   `json:"next_cursor"`
	}
}

func (s *Side) listChatbots(ctx context.Context, in *listInput) (*chatbotsOutput, error) {
	cid, err := auth.CompanyOf(ctx, in.CID)
	if err != nil {
		return nil, err
	}
	if err := s.Await(ctx, in.MinPosition, "chatbots", "companies"); err != nil {
		return nil, err
	}
	after, err := afterID(in.Cursor)
	if err != nil {
		return nil, err
	}
	rows, err := TenantQuery(ctx, s.deps.Pool, cid, `SELECT `+chatbotColumns+chatbotFrom+`
		WHERE b.tenant_id = $1 AND b.id > $2 ORDER BY b.id LIMIT $3`, cid, after, in.Limit+1)
	if err != nil {
		return nil, err
	}
	items, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (Chatbot, error) { return s.scanChatbot(r) })
	if err != nil {
		return nil, err
	}
	out := &chatbotsOutput{}
	out.Body.Items, out.Body.NextCursor = page(items, in.Limit, func(b Chatbot) string { return idCursor(b.ID) })
	return out, nil
}

type chatbotInput struct {
	MinPosition
	CID string `path:"cid" format:"uuid"`
	BID string `path:"bid" format:"uuid"`
}

type chatbotOutput struct {
	Body Chatbot
}

func (s *Side) getChatbot(ctx context.Context, in *chatbotInput) (*chatbotOutput, error) {
	cid, err := auth.CompanyOf(ctx, in.CID)
	if err != nil {
		return nil, err
	}
	if err := s.Await(ctx, in.MinPosition, "chatbots", "companies"); err != nil {
		return nil, err
	}
	var out chatbotOutput
	out.Body, err = s.scanChatbot(s.tenantQueryRow(ctx, cid, `SELECT `+chatbotColumns+chatbotFrom+`
		WHERE b.tenant_id = $1 AND b.id = $2`, cid, in.BID))
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, apperr.NotFound("chatbot")
	}
	return &out, err
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
	MinPosition
	CID    string `path:"cid" format:"uuid"`
	BID    string `path:"bid" format:"uuid"`
	Limit  int    `query:"limit" minimum:"1" maximum:"200" default:"50"`
	Cursor string `query:"cursor" maxLength:"64"`
}

type apiKeysOutput struct {
	Body struct {
		Items      []APIKey `json:"items"`
		NextCursor *string  `json:"next_cursor"`
	}
}

func (s *Side) listAPIKeys(ctx context.Context, in *apiKeysInput) (*apiKeysOutput, error) {
	cid, err := auth.CompanyOf(ctx, in.CID)
	if err != nil {
		return nil, err
	}
	if err := s.Await(ctx, in.MinPosition, "chatbots", "api_keys"); err != nil {
		return nil, err
	}
	var exists bool
	if err := s.tenantQueryRow(ctx, cid, `SELECT EXISTS (SELECT 1 FROM `+projector.ChatbotsTable+` WHERE tenant_id = $1 AND id = $2)`,
		cid, in.BID).Scan(&exists); err != nil {
		return nil, err
	}
	if !exists {
		return nil, apperr.NotFound("chatbot")
	}
	after, err := afterID(in.Cursor)
	if err != nil {
		return nil, err
	}
	rows, err := TenantQuery(ctx, s.deps.Pool, cid, `SELECT id::text, chatbot_id::text, name, prefix, last4, expires_at, created_at, revoked_at, last_used_at,
		requests_per_minute, daily_requests, monthly_requests FROM `+projector.APIKeysTable+` WHERE tenant_id = $1 AND chatbot_id = $2 AND id > $3 ORDER BY id LIMIT $4`,
		cid, in.BID, after, in.Limit+1)
	if err != nil {
		return nil, err
	}
	items, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (APIKey, error) {
		var k APIKey
		return k, r.Scan(&k.ID, &k.ChatbotID, &k.Name, &k.Prefix, &k.Last4, &k.ExpiresAt, &k.CreatedAt, &k.RevokedAt, &k.LastUsedAt,
			&k.Limits.RequestsPerMinute, &k.Limits.DailyRequests, &k.Limits.MonthlyRequests)
	})
	if err != nil {
		return nil, err
	}
	out := &apiKeysOutput{}
	out.Body.Items, out.Body.NextCursor = page(items, in.Limit, func(k APIKey) string { return idCursor(k.ID) })
	return out, nil
}
