package user

import (
	"time"

	"github.com/chatbotsaas/chatbot/events"
)

// Lockout is the lockout policy in force.
type Lockout struct {
	MaxFailures       int           // counted failures within Window that lock the account
	Window            time.Duration // how far back failures count
	LockFor           time.Duration // length of a temporary lock
	MaxTemporaryLocks int           // temporary locks before the next one is permanent
}

// Attempt describes one login attempt.
type Attempt struct {
	PasswordOK bool
	Suspended  bool   // the user's company is suspended
	SessionID  string // the session a success opens
	IP         string
	UserAgent  string

	reauthentication bool // a signed-in user's password check, not a login
}

// Outcome is what a login attempt decided besides its events.
type Outcome struct {
	OK bool // the login succeeds
	// LockEnds is when the temporary lock the attempt took ends, for a
	// timer to end it then; nil when it took none.
	LockEnds *time.Time
}

// Login decides the outcome of an attempt whose password was already
// checked. It returns the outcome and the events to append.
//
// A lock that has run out ends first (AccountUnlocked, reason expired).
// A locked or disabled account refuses without counting the failure. A
// wrong password counts; the failure that reaches MaxFailures within the
// window also locks, permanently once MaxTemporaryLocks temporary locks
// came before. A success resets the count.
func (u *User) Login(now time.Time, policy Lockout, a Attempt) (Outcome, []events.Event) {
	var evs []events.Event
	state := *u
	if u.LockedUntil != nil && !u.PermanentLock && !now.Before(*u.LockedUntil) {
		evs = append(evs, events.Event{Type: events.AccountUnlocked, Data: events.AccountUnlockedData{Reason: events.UnlockExpired}})
		state.LockedUntil, state.Failures = nil, nil
	}
	failed := func(reason string, counted bool) events.Event {
		return events.Event{Type: events.LoginFailed, Data: events.LoginFailedData{Reason: reason, Counted: counted, IP: a.IP, UserAgent: a.UserAgent}}
	}
	switch {
	case state.Status != StatusActive:
		return Outcome{}, append(evs, failed(events.ReasonDisabled, false))
	case a.Suspended:
		return Outcome{}, append(evs, failed(events.ReasonSuspended, false))
	case state.Locked(now):
		return Outcome{}, append(evs, failed(events.ReasonLocked, false))
	case !a.PasswordOK:
		reason := events.ReasonWrongPassword
		if a.reauthentication {
			reason = events.ReasonWrongCurrentPassword
		}
		evs = append(evs, failed(reason, true))
		lock, locks := state.lockFor(now, policy)
		if !locks {
			return Outcome{}, evs
		}
		return Outcome{LockEnds: lock.Until}, append(evs, events.Event{Type: events.AccountLocked, Data: lock})
	}
	return Outcome{OK: true}, append(evs, events.Event{Type: events.LoginSucceeded, Data: events.LoginSucceededData{
		SessionID: a.SessionID, IP: a.IP, UserAgent: a.UserAgent,
	}})
}

// lockFor is the lock one more counted failure takes, if it reaches the
// policy's limit: temporary, or permanent after MaxTemporaryLocks.
func (u *User) lockFor(now time.Time, policy Lockout) (events.AccountLockedData, bool) {
	failures := 1
	for _, f := range u.Failures {
		if now.Sub(f) < policy.Window {
			failures++
		}
	}
	if failures < policy.MaxFailures {
		return events.AccountLockedData{}, false
	}
	lock := events.AccountLockedData{LockCount: u.LockCount + 1, Failures: failures}
	if policy.MaxTemporaryLocks >= 0 && lock.LockCount > policy.MaxTemporaryLocks {
		lock.Permanent = true
	} else {
		until := now.Add(policy.LockFor)
		lock.Until = &until
	}
	return lock, true
}

// Reauthenticate decides on the password check of a signed-in user (the
// current password of a password change) exactly as on a login, so that
// the check is no oracle: a wrong password counts toward the lock (reason
// wrong_current_password), a locked account refuses even the right one. A
// success records nothing, for no session opens.
func (u *User) Reauthenticate(now time.Time, policy Lockout, a Attempt) (Outcome, []events.Event) {
	a.reauthentication = true
	out, evs := u.Login(now, policy, a)
	if out.OK {
		evs = evs[:len(evs)-1] // the LoginSucceeded
	}
	return out, evs
}

// Unlock ends a lock by hand or by a password reset; an open account needs
// nothing.
func (u *User) Unlock(now time.Time, reason string) []events.Event {
	if !u.Locked(now) && u.LockedUntil == nil && len(u.Failures) == 0 && u.LockCount == 0 {
		return nil
	}
	return []events.Event{{Type: events.AccountUnlocked, Data: events.AccountUnlockedData{Reason: reason}}}
}

// ExpireLock ends a temporary lock whose time has come (the scheduled
// unlock); anything else needs nothing.
func (u *User) ExpireLock(now time.Time) []events.Event {
	if u.LockedUntil == nil || u.PermanentLock || now.Before(*u.LockedUntil) {
		return nil
	}
	return []events.Event{{Type: events.AccountUnlocked, Data: events.AccountUnlockedData{Reason: events.UnlockExpired}}}
}
