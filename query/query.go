package query

import (
	"context"
	"log/slog"
	"time"

	"github.com/danielgtaylor/huma/v2"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/chatbotsaas/chatbot/readmodel"
	"github.com/chatbotsaas/chatbot/readmodel/cache"
	"github.com/chatbotsaas/chatbot/shared/auth"
	"github.com/chatbotsaas/chatbot/shared/policy"
)

// Deps are what the read side runs on. Cache may be nil: every read then
// goes to Postgres.
type Deps struct {
	Pool     *pgxpool.Pool
	Cache    *cache.Cache
	Progress readmodel.Statuses  // projection statuses for operators
	Follower *readmodel.Follower // how far projections are, for X-Min-Position
	Replicas *readmodel.Replicas // where reads go (read replicas or Pool); nil: Pool
	ReadWait time.Duration       // bound of X-Min-Position waits
	Keys     *auth.KeySet        // published at /.well-known/jwks.json
	Policy   *policy.Holder      // the configuration in force
	Logger   *slog.Logger
}

// Side is the read side of one process.
type Side struct {
	deps   Deps
	reader Reader // a company's own reads, cached when a cache is given
}

// New builds the read side.
func New(d Deps) *Side {
	if d.Policy == nil {
		d.Policy = policy.NewHolder(policy.Default())
	}
	primary := readmodel.NewReplicas(d.Pool, nil, d.Follower, d.Logger)
	if d.Replicas == nil {
		d.Replicas = primary
	}
	var r Reader = NewReplicaReader(d.Replicas, d.ReadWait, d.Policy)
	if d.Cache != nil {
		// What the cache files comes from the primary: a replica behind
		// the primary would file, under the generation a commit has just
		// made, state from before that commit, served until the next one.
		// The cache takes the hot reads off the primary; the replicas
		// serve the others.
		r = NewCachedReader(NewReplicaReader(primary, d.ReadWait, d.Policy), d.Cache, d.Policy)
	}
	return &Side{deps: d, reader: r}
}

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
	declareNotModified(api)
}

// Close stops what the side started.
func (s *Side) Close() {}

// Await waits until the projections a read uses reflect min, or answers
// 503 projection_lagging with Retry-After. The company's own reads wait
// in their Reader; the others here.
func (s *Side) Await(ctx context.Context, min uint64, projections ...readmodel.Name) error {
	if min > 0 && s.deps.Follower == nil {
		return readmodel.ErrLagging()
	}
	return s.deps.Follower.Wait(ctx, min, s.deps.ReadWait, projections...)
}

// reads waits until the projections a read uses reflect min and returns
// the pool to read them from: a read replica's when there are some (one
// that reflects min too), else the primary's.
func (s *Side) reads(ctx context.Context, min uint64, projections ...readmodel.Name) (*pgxpool.Pool, error) {
	pool, _, err := s.deps.Replicas.Read(ctx, min, s.deps.ReadWait, projections...)
	return pool, err
}
