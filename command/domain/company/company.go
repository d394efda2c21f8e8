// Package company is the company aggregate: a customer tenant and whether
// it may work. It is pure.
package company

import (
	"github.com/chatbotsaas/chatbot/events"
	"github.com/chatbotsaas/chatbot/shared/apperr"
)

// Statuses.
const (
	StatusActive    = "active"
	StatusSuspended = "suspended"
)

// Company is the state of one company.
type Company struct {
	ID     string `json:"id"`
	Name   string `json:"name"`
	Status string `json:"status"` // "" until registered
}

// Apply folds one event into the state.
func (c *Company) Apply(e events.Envelope, data any) {
	switch data.(type) {
	case *events.CompanyRegisteredData:
		c.ID, c.Name, c.Status = e.AggregateID, data.(*events.CompanyRegisteredData).Name, StatusActive
	case *events.CompanyStatusData:
		if e.Type == events.CompanySuspended {
			c.Status = StatusSuspended
		} else {
			c.Status = StatusActive
		}
	}
}

// Exists reports whether the company was registered.
func (c *Company) Exists() bool { return c.Status != "" }

// Active reports whether the company may work.
func (c *Company) Active() bool { return c.Status == StatusActive }

// SetStatus suspends or reactivates; the same status changes nothing.
func (c *Company) SetStatus(status string) ([]events.Event, error) {
	if !c.Exists() {
		return nil, apperr.NotFound("company")
	}
	switch {
	case status == c.Status:
		return nil, nil
	case status == StatusSuspended:
		return []events.Event{{Type: events.CompanySuspended, Data: events.CompanyStatusData{}}}, nil
	case status == StatusActive:
		return []events.Event{{Type: events.CompanyReactivated, Data: events.CompanyStatusData{}}}, nil
	}
	return nil, apperr.Validation(apperr.FieldError{Field: "status", Message: "must be active or suspended"})
}
