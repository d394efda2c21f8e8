package command

import (
	"log/slog"

	"github.com/danielgtaylor/huma/v2"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/chatbotsaas/chatbot/command/eventstore"
)

// Deps are what the write side runs on.
type Deps struct {
	Pool   *pgxpool.Pool
	Store  *eventstore.Store
	Logger *slog.Logger
}

// Side is the write side of one process.
type Side struct{ deps Deps }

// New builds the write side.
func New(d Deps) *Side { return &Side{deps: d} }

// Register adds the write operations to api.
func (s *Side) Register(api huma.API) {}

// Close stops what the side started.
func (s *Side) Close() {}
