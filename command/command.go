package command

import (
	"log/slog"

	"github.com/danielgtaylor/huma/v2"

	"github.com/chatbotsaas/chatbot/command/app"
	"github.com/chatbotsaas/chatbot/command/bot"
	"github.com/chatbotsaas/chatbot/command/httpapi"
	"github.com/chatbotsaas/chatbot/shared/auth"
	"github.com/chatbotsaas/chatbot/shared/policy"
)

// Deps are what the write side runs on.
type Deps struct {
	Commands *app.Commands
	Bot      *bot.API
	Throttle *auth.Throttle
	Policy   *policy.Holder
	Logger   *slog.Logger
}

// Side is the write side of one process.
type Side struct{ deps Deps }

// New builds the write side.
func New(d Deps) *Side { return &Side{deps: d} }

// Register adds the write operations to api.
func (s *Side) Register(api huma.API) {
	c := s.deps.Commands
	rate := httpapi.LoginRate{Throttle: s.deps.Throttle, Policy: s.deps.Policy}
	(&httpapi.Auth{Commands: c, Rate: rate}).Register(api)
	(&httpapi.Me{Commands: c, Rate: rate}).Register(api)
	(&httpapi.AdminConfig{Commands: c}).Register(api)
	(&httpapi.AdminCompanies{Commands: c}).Register(api)
	(&httpapi.AdminUsers{Commands: c}).Register(api)
	(&httpapi.Companies{Commands: c}).Register(api)
	s.deps.Bot.Register(api)
	(&httpapi.AdminProjections{Commands: c}).Register(api)
	(&httpapi.AdminDeadLetters{Commands: c}).Register(api)
}

// Close stops what the side started.
func (s *Side) Close() {}
