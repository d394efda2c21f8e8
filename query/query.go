package query

import (
	"log/slog"

	"github.com/danielgtaylor/huma/v2"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/nats-io/nats.go"
	"github.com/redis/go-redis/v9"
)

// Deps are the connections the read side runs on. Redis may be nil.
type Deps struct {
	Pool   *pgxpool.Pool
	NATS   *nats.Conn
	Redis  *redis.Client
	Logger *slog.Logger
}

// Side is the read side of one process.
type Side struct{ deps Deps }

// New builds the read side.
func New(d Deps) *Side { return &Side{deps: d} }

// Register adds the read operations to api.
func (s *Side) Register(api huma.API) {}

// Close stops what the side started.
func (s *Side) Close() {}
