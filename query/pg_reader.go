package query

import (
	"context"
	"encoding/json"
	"errors"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/chatbotsaas/chatbot/events"
	"github.com/chatbotsaas/chatbot/readmodel"
	"github.com/chatbotsaas/chatbot/shared/apperr"
	"github.com/chatbotsaas/chatbot/shared/policy"
)

// PGReader answers the Reader's reads from the Postgres read models, each
// within its tenant: a row by its key as a point read (PointQueryRow),
// every other read under row-level security (TenantQuery); on the primary
// or on a read replica (readmodel.Replicas).
type PGReader struct {
	reads  *readmodel.Replicas
	wait   time.Duration
	policy *policy.Holder
}

// NewPGReader reads from pool; follower and wait serve X-Min-Position
// (follower nil: no read waits, and a position is refused as lagging).
func NewPGReader(pool *pgxpool.Pool, follower *readmodel.Follower, wait time.Duration, p *policy.Holder) *PGReader {
	return NewReplicaReader(readmodel.NewReplicas(pool, nil, follower, nil), wait, p)
}

// NewReplicaReader reads where reads sends it.
func NewReplicaReader(reads *readmodel.Replicas, wait time.Duration, p *policy.Holder) *PGReader {
	if p == nil {
		p = policy.NewHolder(policy.Default())
	}
	return &PGReader{reads: reads, wait: wait, policy: p}
}

// await waits for the projections to reflect min and answers the pool to
// read from and a position the data read there reflects at least.
func (r *PGReader) await(ctx context.Context, min uint64, names ...readmodel.Name) (*pgxpool.Pool, uint64, error) {
	return r.reads.Read(ctx, min, r.wait, names...)
}

func (r *PGReader) Me(ctx context.Context, min uint64, tenant, userID string) (Read[Me], error) {
	pool, through, err := r.await(ctx, min, readmodel.Users)
	if err != nil {
		return Read[Me]{}, err
	}
	var m Me
	err = PointQueryRow(ctx, pool, tenant, meSQL, userID).
		Scan(&m.ID, &m.Email, &m.Name, &m.Role, &m.CompanyID, &m.Status, &m.CreatedAt)
	if errors.Is(err, pgx.ErrNoRows) {
		return Read[Me]{}, apperr.NotFound("user")
	}
	if err != nil {
		return Read[Me]{}, err
	}
	return sealed(m, through)
}

func (r *PGReader) Company(ctx context.Context, min uint64, tenant string) (Read[Company], error) {
	pool, through, err := r.await(ctx, min, readmodel.Companies)
	if err != nil {
		return Read[Company]{}, err
	}
	c, err := scanCompany(PointQueryRow(ctx, pool, tenant, companySQL), r.policy)
	if errors.Is(err, pgx.ErrNoRows) {
		return Read[Company]{}, apperr.NotFound("company")
	}
	if err != nil {
		return Read[Company]{}, err
	}
	return sealed(c, through)
}

func (r *PGReader) Chatbot(ctx context.Context, min uint64, tenant, id string) (Read[Chatbot], error) {
	pool, through, err := r.await(ctx, min, readmodel.Chatbots, readmodel.Companies)
	if err != nil {
		return Read[Chatbot]{}, err
	}
	b, err := scanChatbot(PointQueryRow(ctx, pool, tenant, chatbotSQL, id), r.policy)
	if errors.Is(err, pgx.ErrNoRows) {
		return Read[Chatbot]{}, apperr.NotFound("chatbot")
	}
	if err != nil {
		return Read[Chatbot]{}, err
	}
	return sealed(b, through)
}

func (r *PGReader) Members(ctx context.Context, min uint64, tenant string, p Page) (Read[List[Member]], error) {
	pool, through, err := r.await(ctx, min, readmodel.Users)
	if err != nil {
		return Read[List[Member]]{}, err
	}
	rows, err := TenantQuery(ctx, pool, tenant, membersSQL, tenant, p.After, p.Limit+1)
	l, err := collectPage(rows, err, p.Limit, func(r pgx.CollectableRow) (Member, error) {
		var m Member
		return m, r.Scan(&m.ID, &m.Email, &m.Name, &m.Role, &m.Status, &m.CreatedAt, &m.LastLoginAt)
	}, func(m Member) string { return idCursor(m.ID) })
	if err != nil {
		return Read[List[Member]]{}, err
	}
	return sealed(l, through)
}

func (r *PGReader) Chatbots(ctx context.Context, min uint64, tenant string, p Page) (Read[List[Chatbot]], error) {
	pool, through, err := r.await(ctx, min, readmodel.Chatbots, readmodel.Companies)
	if err != nil {
		return Read[List[Chatbot]]{}, err
	}
	rows, err := TenantQuery(ctx, pool, tenant, chatbotsSQL, tenant, p.After, p.Limit+1)
	l, err := collectPage(rows, err, p.Limit, func(row pgx.CollectableRow) (Chatbot, error) { return scanChatbot(row, r.policy) },
		func(b Chatbot) string { return idCursor(b.ID) })
	if err != nil {
		return Read[List[Chatbot]]{}, err
	}
	return sealed(l, through)
}

func (r *PGReader) APIKeys(ctx context.Context, min uint64, tenant, chatbotID string, p Page) (Read[List[APIKey]], error) {
	pool, through, err := r.await(ctx, min, readmodel.Chatbots, readmodel.APIKeys)
	if err != nil {
		return Read[List[APIKey]]{}, err
	}
	rows, err := TenantQuery(ctx, pool, tenant, apiKeysSQL, tenant, chatbotID, p.After, p.Limit+1)
	l, err := collectPage(rows, err, p.Limit, func(r pgx.CollectableRow) (APIKey, error) {
		var k APIKey
		return k, r.Scan(&k.ID, &k.ChatbotID, &k.Name, &k.Prefix, &k.Last4, &k.ExpiresAt, &k.CreatedAt, &k.RevokedAt, &k.LastUsedAt,
			&k.Limits.RequestsPerMinute, &k.Limits.DailyRequests, &k.Limits.MonthlyRequests)
	}, func(k APIKey) string { return idCursor(k.ID) })
	if err != nil {
		return Read[List[APIKey]]{}, err
	}
	if len(l.Items) == 0 {
		// Keys only exist under their chatbot: an empty page is either
		// a chatbot without keys or no chatbot at all.
		var exists bool
		if err := PointQueryRow(ctx, pool, tenant, chatbotExistsSQL, chatbotID).Scan(&exists); err != nil {
			return Read[List[APIKey]]{}, err
		}
		if !exists {
			return Read[List[APIKey]]{}, apperr.NotFound("chatbot")
		}
	}
	return sealed(l, through)
}

// scanChatbot reads chatbot_columns.sql, with the limits in force: the
// chatbot's own, else its company plan's, else the platform's default.
func scanChatbot(r pgx.Row, p *policy.Holder) (Chatbot, error) {
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
	b.EffectiveLimits = events.ChatbotLimits(b.Limits, plan, p.Get().DefaultLimits)
	return b, nil
}

// scanCompany reads company_columns.sql.
func scanCompany(r pgx.Row, p *policy.Holder) (Company, error) {
	var c Company
	cl := &c.Plan.CompanyLimits
	err := r.Scan(&c.ID, &c.Name, &c.Status, &c.Plan.Name, &c.Plan.Limits.RequestsPerMinute,
		&c.Plan.Limits.DailyRequests, &c.Plan.Limits.MonthlyRequests,
		&cl.RequestsPerMinute, &cl.DailyRequests, &cl.MonthlyRequests, &c.CreatedAt)
	c.Plan.EffectiveLimits = c.Plan.Limits.Or(p.Get().DefaultLimits)
	return c, err
}
