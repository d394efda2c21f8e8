package httpapi

import (
	"context"
	"net/http"
	"time"

	"github.com/danielgtaylor/huma/v2"

	"github.com/chatbotsaas/chatbot/command/app"
	"github.com/chatbotsaas/chatbot/command/domain/chatbot"
	"github.com/chatbotsaas/chatbot/events"
	"github.com/chatbotsaas/chatbot/shared/apperr"
	"github.com/chatbotsaas/chatbot/shared/auth"
)

// Companies serves a company's own writes: its profile, members, chatbots,
// API keys and limits. A company member acts on its own company only; an
// administrator on any. Another company's ids answer 404.
type Companies struct {
	Commands *app.Commands
}

var companyTags = []string{"Company"}

func companyOp(id, method, path, summary string, status int) huma.Operation {
	return auth.Require(huma.Operation{OperationID: id, Method: method, Path: path, Tags: companyTags,
		Summary: summary, DefaultStatus: status}, auth.PermCompanyWrite)
}

// Register adds the routes.
func (a *Companies) Register(api huma.API) {
	huma.Register(api, companyOp("update-company", http.MethodPatch, "/v1/companies/{cid}", "Change the company's profile", 0), a.patchCompany)
	huma.Register(api, companyOp("add-member", http.MethodPost, "/v1/companies/{cid}/members", "Add a member: a new account in this company", http.StatusCreated), a.addMember)
	huma.Register(api, companyOp("update-member", http.MethodPatch, "/v1/companies/{cid}/members/{uid}", "Change a member's role; the company keeps at least one manager", 0), a.patchMember)
	huma.Register(api, companyOp("remove-member", http.MethodDelete, "/v1/companies/{cid}/members/{uid}", "Remove a member: its sessions die, its personal data is erased", http.StatusNoContent), a.removeMember)
	huma.Register(api, companyOp("create-chatbot", http.MethodPost, "/v1/companies/{cid}/chatbots", "Create a chatbot", http.StatusCreated), a.createChatbot)
	huma.Register(api, companyOp("update-chatbot", http.MethodPatch, "/v1/companies/{cid}/chatbots/{bid}", "Change a chatbot, pause or resume it", 0), a.patchChatbot)
	huma.Register(api, companyOp("delete-chatbot", http.MethodDelete, "/v1/companies/{cid}/chatbots/{bid}", "Delete a chatbot; its keys stop working", http.StatusNoContent), a.deleteChatbot)
	huma.Register(api, companyOp("set-chatbot-limits", http.MethodPut, "/v1/companies/{cid}/chatbots/{bid}/limits", "Set a chatbot's limits (null: the company's default)", 0), a.setLimits)
	huma.Register(api, companyOp("create-api-key", http.MethodPost, "/v1/companies/{cid}/chatbots/{bid}/api-keys", "Issue an API key; the key is in this answer only", http.StatusCreated), a.issueKey)
	huma.Register(api, companyOp("revoke-api-key", http.MethodDelete, "/v1/companies/{cid}/chatbots/{bid}/api-keys/{kid}", "Revoke an API key; it stops working at once", http.StatusNoContent), a.revokeKey)
	a.registerKeyLimits(api)
}

type CompanyPath struct {
	CID string `path:"cid" format:"uuid"`
}

type ChatbotPath struct {
	CID string `path:"cid" format:"uuid"`
	BID string `path:"bid" format:"uuid"`
}

type patchCompanyProfileInput struct {
	CompanyPath
	Body struct {
		Name *string `json:"name,omitempty" maxLength:"200"`
	}
}

type companyProfileOutput struct {
	EventPosition
	Body struct {
		ID     string `json:"id"`
		Name   string `json:"name"`
		Status string `json:"status"`
		Plan   string `json:"plan"`
	}
}

func (a *Companies) patchCompany(ctx context.Context, in *patchCompanyProfileInput) (*companyProfileOutput, error) {
	cid, err := auth.CompanyOf(ctx, in.CID)
	if err != nil {
		return nil, err
	}
	if in.Body.Name == nil {
		return nil, apperr.Validation(apperr.FieldError{Field: "name", Message: "nothing to change"})
	}
	at, err := a.Commands.RenameCompany.Handle(ctx, app.RenameCompanyCmd{CompanyID: cid, Name: *in.Body.Name})
	if err != nil {
		return nil, err
	}
	c, pos := at.Company, at.Position
	out := &companyProfileOutput{EventPosition: EventPosition{EventPosition: pos}}
	out.Body.ID, out.Body.Name, out.Body.Status, out.Body.Plan = c.ID, c.Name, c.Status, c.Plan
	return out, nil
}

type addMemberInput struct {
	CompanyPath
	Body struct {
		Email    string `json:"email" maxLength:"320"`
		Name     string `json:"name" maxLength:"200"`
		Password string `json:"password" maxLength:"1024"`
		Role     string `json:"role" enum:"company,user"`
	}
}

type memberOutput struct {
	EventPosition
	Body struct {
		ID        string `json:"id"`
		Email     string `json:"email"`
		Name      string `json:"name"`
		Role      string `json:"role"`
		CompanyID string `json:"company_id"`
	}
}

func (a *Companies) addMember(ctx context.Context, in *addMemberInput) (*memberOutput, error) {
	cid, err := auth.CompanyOf(ctx, in.CID)
	if err != nil {
		return nil, err
	}
	b := in.Body
	created, err := a.Commands.AddMember.Handle(ctx, app.AddMemberCmd{CompanyID: cid, Account: app.CreateUserInput{Email: b.Email, Name: b.Name, Password: b.Password, Role: b.Role}})
	if err != nil {
		return nil, err
	}
	out := &memberOutput{EventPosition: EventPosition{EventPosition: created.Position}}
	out.Body.ID, out.Body.Email, out.Body.Name, out.Body.Role, out.Body.CompanyID = created.UserID, app.NormalizeEmail(b.Email), b.Name, b.Role, cid
	return out, nil
}

type MemberPath struct {
	CID string `path:"cid" format:"uuid"`
	UID string `path:"uid" format:"uuid"`
}

type patchMemberInput struct {
	MemberPath
	Body struct {
		Role string `json:"role" enum:"company,user"`
	}
}

func (a *Companies) patchMember(ctx context.Context, in *patchMemberInput) (*memberOutput, error) {
	cid, err := auth.CompanyOf(ctx, in.CID)
	if err != nil {
		return nil, err
	}
	at, err := a.Commands.ChangeMemberRole.Handle(ctx, app.MemberRoleCmd{CompanyID: cid, UserID: in.UID, Role: in.Body.Role})
	if err != nil {
		return nil, err
	}
	u, pos := at.User, at.Position
	out := &memberOutput{EventPosition: EventPosition{EventPosition: pos}}
	out.Body.ID, out.Body.Email, out.Body.Name, out.Body.Role, out.Body.CompanyID = u.ID, u.Email, u.Name, u.Role, u.CompanyID
	return out, nil
}

func (a *Companies) removeMember(ctx context.Context, in *MemberPath) (*positionOutput, error) {
	cid, err := auth.CompanyOf(ctx, in.CID)
	if err != nil {
		return nil, err
	}
	pos, err := a.Commands.RemoveMember.Handle(ctx, app.MemberCmd{CompanyID: cid, UserID: in.UID})
	if err != nil {
		return nil, err
	}
	return &positionOutput{EventPosition{EventPosition: pos}}, nil
}

// settingsBody is a chatbot's settings as the API takes them.
type settingsBody struct {
	Greeting      string      `json:"greeting,omitempty" maxLength:"2000"`
	FallbackReply string      `json:"fallback_reply,omitempty" maxLength:"2000" doc:"the reply when no keyword matches"`
	Replies       []replyBody `json:"replies,omitempty" maxItems:"100" doc:"tried in order; the first whose keyword occurs in the message answers"`
}

type replyBody struct {
	Keywords []string `json:"keywords" minItems:"1" maxItems:"20"`
	Reply    string   `json:"reply" minLength:"1" maxLength:"2000"`
}

func (s *settingsBody) settings() *events.ChatbotSettings {
	if s == nil {
		return nil
	}
	out := &events.ChatbotSettings{Greeting: s.Greeting, FallbackReply: s.FallbackReply, Replies: []events.KeywordReply{}}
	for _, r := range s.Replies {
		out.Replies = append(out.Replies, events.KeywordReply{Keywords: r.Keywords, Reply: r.Reply})
	}
	return out
}

type createChatbotInput struct {
	CompanyPath
	Body struct {
		Name        string        `json:"name" minLength:"1" maxLength:"100"`
		Description string        `json:"description,omitempty" maxLength:"1000"`
		Settings    *settingsBody `json:"settings,omitempty"`
	}
}

// ChatbotBody is a chatbot as a write answers it.
type ChatbotBody struct {
	ID          string                 `json:"id"`
	CompanyID   string                 `json:"company_id"`
	Name        string                 `json:"name"`
	Description string                 `json:"description"`
	Settings    events.ChatbotSettings `json:"settings"`
	Status      string                 `json:"status" enum:"active,paused"`
	Limits      events.Limits          `json:"limits" doc:"the chatbot's own limits; null: the company's default"`
	CreatedAt   time.Time              `json:"created_at"`
}

type chatbotOutput struct {
	EventPosition
	Body ChatbotBody
}

func chatbotAnswer(b chatbot.Chatbot, pos uint64) *chatbotOutput {
	return &chatbotOutput{EventPosition: EventPosition{EventPosition: pos}, Body: ChatbotBody{ID: b.ID, CompanyID: b.CompanyID,
		Name: b.Name, Description: b.Description, Settings: b.Settings, Status: b.Status, Limits: b.Limits, CreatedAt: b.CreatedAt}}
}

func (a *Companies) createChatbot(ctx context.Context, in *createChatbotInput) (*chatbotOutput, error) {
	cid, err := auth.CompanyOf(ctx, in.CID)
	if err != nil {
		return nil, err
	}
	at, err := a.Commands.CreateChatbot.Handle(ctx, app.CreateChatbotCmd{CompanyID: cid, Name: in.Body.Name, Description: in.Body.Description, Settings: in.Body.Settings.settings()})
	if err != nil {
		return nil, err
	}
	return chatbotAnswer(at.Chatbot, at.Position), nil
}

type patchChatbotInput struct {
	ChatbotPath
	Body struct {
		Name        *string       `json:"name,omitempty" minLength:"1" maxLength:"100"`
		Description *string       `json:"description,omitempty" maxLength:"1000"`
		Settings    *settingsBody `json:"settings,omitempty"`
		Status      *string       `json:"status,omitempty" enum:"active,paused"`
	}
}

func (a *Companies) patchChatbot(ctx context.Context, in *patchChatbotInput) (*chatbotOutput, error) {
	cid, err := auth.CompanyOf(ctx, in.CID)
	if err != nil {
		return nil, err
	}
	b := in.Body
	at, err := a.Commands.UpdateChatbot.Handle(ctx, app.UpdateChatbotCmd{ChatbotCmd: app.ChatbotCmd{CompanyID: cid, ChatbotID: in.BID},
		Patch: chatbot.Patch{Name: b.Name, Description: b.Description, Settings: b.Settings.settings(), Status: b.Status}})
	if err != nil {
		return nil, err
	}
	return chatbotAnswer(at.Chatbot, at.Position), nil
}

func (a *Companies) deleteChatbot(ctx context.Context, in *ChatbotPath) (*positionOutput, error) {
	cid, err := auth.CompanyOf(ctx, in.CID)
	if err != nil {
		return nil, err
	}
	pos, err := a.Commands.DeleteChatbot.Handle(ctx, app.ChatbotCmd{CompanyID: cid, ChatbotID: in.BID})
	if err != nil {
		return nil, err
	}
	return &positionOutput{EventPosition{EventPosition: pos}}, nil
}

type setLimitsInput struct {
	ChatbotPath
	Body struct {
		RequestsPerMinute *perMinute       `json:"requests_per_minute" required:"true" nullable:"true"`
		DailyRequests     *dailyRequests   `json:"daily_requests" required:"true" nullable:"true"`
		MonthlyRequests   *monthlyRequests `json:"monthly_requests" required:"true" nullable:"true"`
	}
}

func (a *Companies) setLimits(ctx context.Context, in *setLimitsInput) (*chatbotOutput, error) {
	cid, err := auth.CompanyOf(ctx, in.CID)
	if err != nil {
		return nil, err
	}
	b := in.Body
	at, err := a.Commands.SetChatbotLimits.Handle(ctx, app.SetChatbotLimitsCmd{ChatbotCmd: app.ChatbotCmd{CompanyID: cid, ChatbotID: in.BID},
		Limits: limitsOf(b.RequestsPerMinute, b.DailyRequests, b.MonthlyRequests)})
	if err != nil {
		return nil, err
	}
	return chatbotAnswer(at.Chatbot, at.Position), nil
}
