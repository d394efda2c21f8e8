package command

import (
	"github.com/chatbotsaas/chatbot/command/bot"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/nats-io/nats.go"
	"log/slog"

	"github.com/danielgtaylor/huma/v2"

	"github.com/chatbotsaas/chatbot/command/app"
	"github.com/chatbotsaas/chatbot/command/eventstore"
	"github.com/chatbotsaas/chatbot/command/httpapi"
	"github.com/chatbotsaas/chatbot/shared/auth"
	"github.com/chatbotsaas/chatbot/shared/policy"
)

// Deps are what the write side runs on.
type Deps struct {
	Store        *eventstore.Store
	Pool         *pgxpool.Pool // the read models' database, for operations on projections and dead letters
	NATS         *nats.Conn    // carries dead-letter retries to their consumers' processes
	Identity     *app.Identity
	Configurator *app.Configurator
	Chatbots     *app.Chatbots
	Bot          *bot.API
	Throttle     *auth.Throttle
	Policy       *policy.Holder
	Logger       *slog.Logger
}

// Side is the write side of one process.
type Side struct{ deps Deps }

// New builds the write side.
func New(d Deps) *Side { return &Side{deps: d} }

// Register adds the write operations to api.
func (s *Side) Register(api huma.API) {
	rate := httpapi.LoginRate{Throttle: s.deps.Throttle, Policy: s.deps.Policy}
	(&httpapi.Auth{Identity: s.deps.Identity, Rate: rate}).Register(api)
	(&httpapi.Me{Identity: s.deps.Identity, Rate: rate}).Register(api)
	(&httpapi.AdminConfig{Configurator: s.deps.Configurator}).Register(api)
	(&httpapi.AdminCompanies{Identity: s.deps.Identity}).Register(api)
	(&httpapi.AdminUsers{Identity: s.deps.Identity}).Register(api)
	(&httpapi.Companies{Identity: s.deps.Identity, Chatbots: s.deps.Chatbots}).Register(api)
	s.deps.Bot.Register(api)
	(&httpapi.AdminProjections{Store: s.deps.Store}).Register(api)
	(&httpapi.AdminDeadLetters{
		Retry:   app.RetryDeadLetter{Store: s.deps.Store, Pool: s.deps.Pool, NATS: s.deps.NATS},
		Discard: app.DiscardDeadLetter{Store: s.deps.Store, Pool: s.deps.Pool},
	}).Register(api)
}

// Close stops what the side started.
func (s *Side) Close() {}
