package user

import (
	"github.com/chatbotsaas/chatbot/events"
	"github.com/chatbotsaas/chatbot/shared/apperr"
)

// ChangeRole gives the user another role; older access tokens stop
// working. An admin belongs to no company and a company member to one, so
// a role change across that line is refused.
func (u *User) ChangeRole(role string) ([]events.Event, error) {
	if !u.Exists() {
		return nil, apperr.NotFound("user")
	}
	if role == u.Role {
		return nil, nil
	}
	if (role == "admin") != (u.Role == "admin") {
		return nil, apperr.Validation(apperr.FieldError{Field: "role", Message: "an admin belongs to no company and a company member to one; create a new account instead"})
	}
	return []events.Event{{Type: events.UserRoleChanged, Data: events.UserRoleChangedData{Role: role, PreviousRole: u.Role}}}, nil
}

// SetStatus disables or enables the user.
func (u *User) SetStatus(status string) ([]events.Event, error) {
	if !u.Exists() {
		return nil, apperr.NotFound("user")
	}
	switch {
	case status == u.Status:
		return nil, nil
	case status == StatusDisabled:
		return []events.Event{{Type: events.UserDisabled, Data: events.UserStatusData{}}}, nil
	case status == StatusActive:
		return []events.Event{{Type: events.UserEnabled, Data: events.UserStatusData{}}}, nil
	}
	return nil, apperr.Validation(apperr.FieldError{Field: "status", Message: "must be active or disabled"})
}

// Delete removes the user.
func (u *User) Delete() ([]events.Event, error) {
	if !u.Exists() {
		return nil, apperr.NotFound("user")
	}
	return []events.Event{{Type: events.UserDeleted, Data: events.UserStatusData{}}}, nil
}
