package user

import (
	"time"

	"github.com/chatbotsaas/chatbot/events"
)

// Statuses.
const (
	StatusActive   = "active"
	StatusDisabled = "disabled"
	StatusDeleted  = "deleted"
)

// User is the state of one user account.
type User struct {
	ID            string      `json:"id"`
	CompanyID     string      `json:"company_id,omitempty"`
	Email         string      `json:"email"`
	Name          string      `json:"name"`
	Role          string      `json:"role"`
	Status        string      `json:"status"` // "" until registered
	CreatedAt     time.Time   `json:"created_at"`
	Failures      []time.Time `json:"failures,omitempty"` // counted failures since the last success or lock
	LockedUntil   *time.Time  `json:"locked_until,omitempty"`
	PermanentLock bool        `json:"permanent_lock,omitempty"`
	LockCount     int         `json:"lock_count,omitempty"` // locks since the last success or unlock by hand
	LastLoginAt   *time.Time  `json:"last_login_at,omitempty"`

	// Reset links asked in the last hour or still valid; a spent one has no hash.
	ResetTokens []ResetToken `json:"reset_tokens,omitempty"`

	// Sessions started before SessionsValidFrom are revoked, except KeepSession.
	SessionsValidFrom time.Time `json:"sessions_valid_from"`
	KeepSession       string    `json:"keep_session,omitempty"`
}

// SessionValid reports whether a session started at started is still
// allowed by the user's revocations.
func (u *User) SessionValid(sessionID string, started time.Time) bool {
	return sessionID == u.KeepSession || !started.Before(u.SessionsValidFrom)
}

// Exists reports whether the user was registered and not deleted.
func (u *User) Exists() bool { return u.Status != "" && u.Status != StatusDeleted }

// Apply folds one event into the state.
func (u *User) Apply(e events.Envelope, data any) {
	at := e.OccurredAt
	u.applyReset(at, data)
	switch d := data.(type) {
	case *events.UserRegisteredData:
		u.ID, u.CompanyID, u.Email, u.Name, u.Role = e.AggregateID, d.CompanyID, d.Email, d.Name, d.Role
		u.Status, u.CreatedAt = StatusActive, at
	case *events.UserProfileUpdatedData:
		u.Name = d.Name
	case *events.UserRoleChangedData:
		u.Role = d.Role
	case *events.LoginFailedData:
		if d.Counted {
			u.Failures = append(u.Failures, at)
		}
	case *events.LoginSucceededData:
		u.Failures, u.LockCount, u.LastLoginAt = nil, 0, &at
	case *events.AccountLockedData:
		u.LockedUntil, u.PermanentLock, u.LockCount, u.Failures = d.Until, d.Permanent, d.LockCount, nil
	case *events.AccountUnlockedData:
		u.LockedUntil, u.PermanentLock, u.Failures = nil, false, nil
		if d.Reason != events.UnlockExpired {
			u.LockCount = 0
		}
	case *events.UserSessionsRevokedData:
		u.SessionsValidFrom, u.KeepSession = d.Before, d.ExceptSessionID
	case *events.UserStatusData:
		switch e.Type {
		case events.UserDisabled:
			u.Status = StatusDisabled
		case events.UserEnabled:
			u.Status = StatusActive
		case events.UserDeleted:
			u.Status, u.Email, u.Name = StatusDeleted, "", "" // no personal data in later snapshots
		}
	}
}

// Locked reports whether the account refuses logins at now.
func (u *User) Locked(now time.Time) bool {
	return u.PermanentLock || (u.LockedUntil != nil && now.Before(*u.LockedUntil))
}
