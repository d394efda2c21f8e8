package user

import (
	"time"

	"github.com/chatbotsaas/chatbot/events"
	"github.com/chatbotsaas/chatbot/shared/apperr"
)

// Register creates the user; an existing one is a conflict.
func (u *User) Register(companyID, email, name, role string) ([]events.Event, error) {
	if u.Status != "" {
		return nil, apperr.New(apperr.KindConflict, "conflict", "the user already exists")
	}
	return []events.Event{{Type: events.UserRegistered, Data: events.UserRegisteredData{
		CompanyID: companyID, Email: email, Name: name, Role: role,
	}}}, nil
}

// Rename changes the user's name; the same name changes nothing.
func (u *User) Rename(name string) ([]events.Event, error) {
	if !u.Exists() {
		return nil, apperr.NotFound("user")
	}
	if name == u.Name {
		return nil, nil
	}
	return []events.Event{{Type: events.UserProfileUpdated, Data: events.UserProfileUpdatedData{Name: name}}}, nil
}

// PasswordChanged records a new password. By the user itself, every other
// session ends; by an administrator or a reset, every session ends and a
// lock is lifted.
func (u *User) PasswordChanged(now time.Time, by, keepSession string) ([]events.Event, error) {
	if !u.Exists() {
		return nil, apperr.NotFound("user")
	}
	evs := []events.Event{{Type: events.PasswordChanged, Data: events.PasswordChangedData{By: by}}}
	if by != "self" {
		keepSession = ""
		reason := events.UnlockAdmin
		if by == "reset" {
			reason = events.UnlockPasswordReset
		}
		evs = append(evs, u.Unlock(now, reason)...)
	}
	return append(evs, events.Event{Type: events.UserSessionsRevoked, Data: events.UserSessionsRevokedData{
		Before: now, ExceptSessionID: keepSession, Reason: "password_changed",
	}}), nil
}

// RevokeSessions ends every session of the user started before now,
// except keep (empty: all of them).
func (u *User) RevokeSessions(now time.Time, keep, reason string) ([]events.Event, error) {
	if !u.Exists() {
		return nil, apperr.NotFound("user")
	}
	return []events.Event{{Type: events.UserSessionsRevoked, Data: events.UserSessionsRevokedData{
		Before: now, ExceptSessionID: keep, Reason: reason,
	}}}, nil
}
