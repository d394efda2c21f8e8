package projector

import (
	"github.com/chatbotsaas/chatbot/events"
	"github.com/chatbotsaas/chatbot/readmodel"
)

// UsersTable is the users read model (for /v1/me and the admin API).
const UsersTable = readmodel.UsersTable

// Users keeps one row per user with its lock state and counters.
func Users() Projection {
	upd := func(set string) Reducer {
		return func(b *Batch, e events.Envelope, _ any) error {
			b.Queue(`UPDATE `+UsersTable+` SET `+set+`, updated_at = $3, position = $4
				WHERE tenant_id = $1 AND id = $2 AND position < $4`, e.TenantID, e.AggregateID, e.OccurredAt, int64(e.Position))
			return nil
		}
	}
	// set updates one column to a value taken from the event's data.
	set := func(column string, value func(any) any) Reducer { return setColumn(UsersTable, column, value) }
	return Projection{
		Name:   "users",
		Tables: []string{UsersTable},
		Secure: tenantReadModel,
		Reducers: map[string]Reducer{
			events.UserRegistered: func(b *Batch, e events.Envelope, data any) error {
				d := data.(*events.UserRegisteredData)
				var company *string
				if d.CompanyID != "" {
					company = &d.CompanyID
				}
				b.Queue(`INSERT INTO `+UsersTable+` (tenant_id, id, company_id, email, name, role, status, created_at, updated_at, position)
					VALUES ($1, $2, $3, $4, $5, $6, 'active', $7, $7, $8) ON CONFLICT (tenant_id, id) DO NOTHING`,
					e.TenantID, e.AggregateID, company, d.Email, d.Name, d.Role, e.OccurredAt, int64(e.Position))
				return nil
			},
			events.UserProfileUpdated: set("name", func(d any) any { return d.(*events.UserProfileUpdatedData).Name }),
			events.UserRoleChanged:    set("role", func(d any) any { return d.(*events.UserRoleChangedData).Role }),
			events.UserDisabled:       upd(`status = 'disabled'`),
			events.UserEnabled:        upd(`status = 'active'`),
			events.UserDeleted:        upd(`status = 'deleted', email = '', name = ''`),
			events.LoginSucceeded:     upd(`last_login_at = $3, failed_login_count = 0`),
			events.LoginFailed: func(b *Batch, e events.Envelope, data any) error {
				if !data.(*events.LoginFailedData).Counted {
					return nil
				}
				return upd(`failed_login_count = failed_login_count + 1`)(b, e, data)
			},
			events.AccountLocked: func(b *Batch, e events.Envelope, data any) error {
				d := data.(*events.AccountLockedData)
				b.Queue(`UPDATE `+UsersTable+` SET locked_until = $5, permanent_lock = $6, lock_count = $7, failed_login_count = 0,
					updated_at = $3, position = $4 WHERE tenant_id = $1 AND id = $2 AND position < $4`,
					e.TenantID, e.AggregateID, e.OccurredAt, int64(e.Position), d.Until, d.Permanent, d.LockCount)
				return nil
			},
			events.AccountUnlocked: upd(`locked_until = NULL, permanent_lock = false`),
		},
	}
}

// LoginAttemptsTable is the read model of login attempts.
const LoginAttemptsTable = readmodel.LoginAttemptsTable

// LoginAttempts keeps every login attempt on a known account.
func LoginAttempts() Projection {
	return Projection{
		Name:   "login_attempts",
		Tables: []string{LoginAttemptsTable},
		Secure: tenantReadModel,
		Reducers: map[string]Reducer{
			events.LoginSucceeded: func(b *Batch, e events.Envelope, data any) error {
				d := data.(*events.LoginSucceededData)
				b.Queue(`INSERT INTO `+LoginAttemptsTable+` (tenant_id, position, user_id, at, succeeded, ip, user_agent)
					VALUES ($1, $2, $3, $4, true, $5, $6) ON CONFLICT DO NOTHING`,
					e.TenantID, int64(e.Position), e.AggregateID, e.OccurredAt, d.IP, d.UserAgent)
				return nil
			},
			events.UserDeleted: func(b *Batch, e events.Envelope, _ any) error {
				b.Queue(`DELETE FROM `+LoginAttemptsTable+` WHERE tenant_id = $1 AND user_id = $2`, e.TenantID, e.AggregateID)
				return nil
			},
			events.LoginFailed: func(b *Batch, e events.Envelope, data any) error {
				d := data.(*events.LoginFailedData)
				b.Queue(`INSERT INTO `+LoginAttemptsTable+` (tenant_id, position, user_id, at, succeeded, ip, user_agent, reason)
					VALUES ($1, $2, $3, $4, false, $5, $6, $7) ON CONFLICT DO NOTHING`,
					e.TenantID, int64(e.Position), e.AggregateID, e.OccurredAt, d.IP, d.UserAgent, d.Reason)
				return nil
			},
		},
	}
}

// SessionsTable is the sessions read model.
const SessionsTable = readmodel.SessionsTable

// Sessions keeps one row per session.
func Sessions() Projection {
	return Projection{
		Name:   "sessions",
		Tables: []string{SessionsTable},
		Secure: tenantReadModel,
		Reducers: map[string]Reducer{
			events.SessionStarted: func(b *Batch, e events.Envelope, data any) error {
				d := data.(*events.SessionStartedData)
				b.Queue(`INSERT INTO `+SessionsTable+` (tenant_id, id, user_id, started_at, last_used_at, expires_at, ip, user_agent)
					VALUES ($1, $2, $3, $4, $4, $5, $6, $7) ON CONFLICT DO NOTHING`,
					e.TenantID, e.AggregateID, d.UserID, e.OccurredAt, d.ExpiresAt, d.IP, d.UserAgent)
				return nil
			},
			events.RefreshTokenRotated: func(b *Batch, e events.Envelope, _ any) error {
				b.Queue(`UPDATE `+SessionsTable+` SET last_used_at = greatest(last_used_at, $3) WHERE tenant_id = $1 AND id = $2`,
					e.TenantID, e.AggregateID, e.OccurredAt)
				return nil
			},
			events.SessionRevoked: func(b *Batch, e events.Envelope, data any) error {
				b.Queue(`UPDATE `+SessionsTable+` SET revoked_at = coalesce(revoked_at, $3), revoke_reason = coalesce(revoke_reason, $4)
					WHERE tenant_id = $1 AND id = $2`, e.TenantID, e.AggregateID, e.OccurredAt, data.(*events.SessionRevokedData).Reason)
				return nil
			},
			events.UserDeleted: func(b *Batch, e events.Envelope, _ any) error {
				b.Queue(`UPDATE `+SessionsTable+` SET ip = '', user_agent = '', revoked_at = coalesce(revoked_at, $3),
					revoke_reason = coalesce(revoke_reason, 'user_deleted') WHERE tenant_id = $1 AND user_id = $2`, e.TenantID, e.AggregateID, e.OccurredAt)
				return nil
			},
			events.UserSessionsRevoked: func(b *Batch, e events.Envelope, data any) error {
				d := data.(*events.UserSessionsRevokedData)
				b.Queue(`UPDATE `+SessionsTable+` SET revoked_at = $3, revoke_reason = $5
					WHERE tenant_id = $1 AND user_id = $2 AND revoked_at IS NULL AND started_at < $4 AND id::text <> $6`,
					e.TenantID, e.AggregateID, e.OccurredAt, d.Before, d.Reason, d.ExceptSessionID)
				return nil
			},
		},
	}
}
