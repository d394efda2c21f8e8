package query

import (
	"context"
	"log/slog"
	"time"

	"github.com/danielgtaylor/huma/v2"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/redis/go-redis/v9"

	"github.com/chatbotsaas/chatbot/projector"
	"github.com/chatbotsaas/chatbot/readmodel"
	"github.com/chatbotsaas/chatbot/shared/auth"
	"github.com/chatbotsaas/chatbot/shared/policy"
)

// Deps are what the read side runs on. Redis may be nil.
type Deps struct {
	Pool     *pgxpool.Pool
	Redis    *redis.Client
	Progress *projector.Progress // projection statuses for operators
	Follower *readmodel.Follower // how far projections are, for X-Min-Position
	ReadWait time.Duration       // bound of X-Min-Position waits
	Keys     *auth.KeySet        // published at /.well-known/jwks.json
	Policy   *policy.Holder      // the configuration in force
	Logger   *slog.Logger
}

// Side is the read side of one process.
type Side struct{ deps Deps }

// New builds the read side.
func New(d Deps) *Side { return &Side{deps: d} }

// Register adds the read operations to api.
func (s *Side) Register(api huma.API) {
	s.registerMe(api)
	s.registerJWKS(api)
	s.registerAdminConfig(api)
	s.registerAdminCompanies(api)
	s.registerAdminEvents(api)
	s.registerAdminUsers(api)
	s.registerAdminProjections(api)
	s.registerAdminDeadLetters(api)
	s.registerCompanies(api)
	s.registerUsage(api)
}

// Close stops what the side started.
func (s *Side) Close() {}

// MinPosition is embedded in the input of every read: a client that sends
// the X-Event-Position its write returned never reads older state.
type MinPosition struct {
	MinPosition uint64 `header:"X-Min-Position" doc:"answer only once the data reflects this stream position (waits up to READ_WAIT_TIMEOUT, then 503 projection_lagging)"`
}

// Await waits until the projections a read uses reflect min, or answers
// 503 projection_lagging with Retry-After.
func (s *Side) Await(ctx context.Context, min MinPosition, projections ...string) error {
	return s.deps.Follower.Wait(ctx, min.MinPosition, s.deps.ReadWait, projections...)
}
