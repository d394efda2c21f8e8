package events

import "time"

// Aggregate types.
const (
	AggregateUser    = "user"
	AggregateSession = "session"
	AggregateCompany = "company"
)

// User events.
const (
	UserRegistered      = "UserRegistered"
	UserProfileUpdated  = "UserProfileUpdated"
	UserRoleChanged     = "UserRoleChanged"
	UserDisabled        = "UserDisabled"
	UserEnabled         = "UserEnabled"
	UserDeleted         = "UserDeleted"
	PasswordChanged     = "PasswordChanged"
	LoginSucceeded      = "LoginSucceeded"
	LoginFailed         = "LoginFailed"
	AccountLocked       = "AccountLocked"
	AccountUnlocked     = "AccountUnlocked"
	UserSessionsRevoked = "UserSessionsRevoked"
)

// UserRegisteredData: a user account was created.
type UserRegisteredData struct {
	CompanyID string `json:"company_id,omitempty"`
	Email     string `json:"email"`
	Name      string `json:"name"`
	Role      string `json:"role"`
}

// UserProfileUpdatedData: the user's name changed.
type UserProfileUpdatedData struct {
	Name string `json:"name"`
}

// UserRoleChangedData: the user's role changed; older access tokens stop working.
type UserRoleChangedData struct {
	Role         string `json:"role"`
	PreviousRole string `json:"previous_role"`
}

// UserStatusData is the (empty) data of UserDisabled, UserEnabled and UserDeleted.
type UserStatusData struct{}

// PasswordChangedData: the password changed. The hash is never in an event.
type PasswordChangedData struct {
	By string `json:"by"` // self, admin, reset
}

// LoginSucceededData: a login with the right password on an open account.
type LoginSucceededData struct {
	SessionID string `json:"session_id"`
	IP        string `json:"ip"`
	UserAgent string `json:"user_agent"`
}

// Login failure reasons.
const (
	ReasonWrongPassword        = "wrong_password"
	ReasonWrongCurrentPassword = "wrong_current_password" // at a password change
	ReasonLocked               = "locked"
	ReasonDisabled             = "disabled"
	ReasonSuspended            = "company_suspended"
)

// LoginFailedData: a login was refused. Counted failures move toward a lock;
// failures while locked or disabled are recorded but not counted.
type LoginFailedData struct {
	Reason    string `json:"reason"`
	Counted   bool   `json:"counted"`
	IP        string `json:"ip"`
	UserAgent string `json:"user_agent"`
}

// AccountLockedData: too many failures. A temporary lock ends at Until; a
// permanent one only when an administrator unlocks.
type AccountLockedData struct {
	Until     *time.Time `json:"until,omitempty"`
	Permanent bool       `json:"permanent"`
	LockCount int        `json:"lock_count"`
	Failures  int        `json:"failures"`
}

// Unlock reasons.
const (
	UnlockExpired       = "expired"
	UnlockAdmin         = "admin"
	UnlockPasswordReset = "password_reset"
)

// AccountUnlockedData: a lock ended.
type AccountUnlockedData struct {
	Reason string `json:"reason"`
}

// UserSessionsRevokedData: every session of the user started before Before
// is revoked, except ExceptSessionID (the session that asked, if any).
type UserSessionsRevokedData struct {
	Before          time.Time `json:"before"`
	ExceptSessionID string    `json:"except_session_id,omitempty"`
	Reason          string    `json:"reason"`
}

// Personal fields: the event store seals them under the user's own data
// key, so that erasing the user destroys them in the stream too.

func (d *UserRegisteredData) PersonalFields() []*string     { return []*string{&d.Email, &d.Name} }
func (d *UserProfileUpdatedData) PersonalFields() []*string { return []*string{&d.Name} }
func (d *LoginSucceededData) PersonalFields() []*string     { return []*string{&d.IP, &d.UserAgent} }
func (d *LoginFailedData) PersonalFields() []*string        { return []*string{&d.IP, &d.UserAgent} }

func init() {
	Register[UserRegisteredData](Default, UserRegistered, 1, "a user account was created")
	Register[UserProfileUpdatedData](Default, UserProfileUpdated, 1, "the user's name changed")
	Register[UserRoleChangedData](Default, UserRoleChanged, 1, "the user's role changed; older access tokens stop working")
	Register[UserStatusData](Default, UserDisabled, 1, "the user may no longer log in; its tokens stop working")
	Register[UserStatusData](Default, UserEnabled, 1, "a disabled user may log in again")
	Register[UserStatusData](Default, UserDeleted, 1, "the user was deleted; its tokens stop working")
	Register[PasswordChangedData](Default, PasswordChanged, 1, "the password changed (the hash is never in an event)")
	Register[LoginSucceededData](Default, LoginSucceeded, 1, "a login succeeded; resets the failure count")
	Register[LoginFailedData](Default, LoginFailed, 1, "a login was refused, with the reason, IP and user agent")
	Register[AccountLockedData](Default, AccountLocked, 1, "the account was locked, until a time or permanently")
	Register[AccountUnlockedData](Default, AccountUnlocked, 1, "a lock ended: expired, admin or password_reset")
	Register[UserSessionsRevokedData](Default, UserSessionsRevoked, 1, "the user's sessions started before a time were revoked")
	Default.Owns(AggregateUser, UserRegistered, UserProfileUpdated, UserRoleChanged, UserDisabled, UserEnabled, UserDeleted,
		PasswordChanged, LoginSucceeded, LoginFailed, AccountLocked, AccountUnlocked, UserSessionsRevoked)
}
