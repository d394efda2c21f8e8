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
	Plan   string `json:"plan"`
	// Limits are the plan's defaults for the company's chatbots; a nil one
	// takes the platform configuration's.
	Limits events.Limits `json:"limits"`
}

// Apply folds one event into the state.
func (c *Company) Apply(e events.Envelope, data any) {
	switch data.(type) {
	case *events.CompanyRegisteredData:
		c.ID, c.Name, c.Status, c.Plan = e.AggregateID, data.(*events.CompanyRegisteredData).Name, StatusActive, events.DefaultPlan
	case *events.CompanyPlanChangedData:
		d := data.(*events.CompanyPlanChangedData)
		c.Plan, c.Limits = d.Plan, d.Limits
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

// ChangePlan sets the plan and its limits; the same plan changes nothing.
func (c *Company) ChangePlan(plan string, limits events.Limits) ([]events.Event, error) {
	if !c.Exists() {
		return nil, apperr.NotFound("company")
	}
	var errs []apperr.FieldError
	check := func(field string, v *int) {
		if v != nil && *v < 1 {
			errs = append(errs, apperr.FieldError{Field: "plan.limits." + field, Message: "must be at least 1, or null for the platform default"})
		}
	}
	check("requests_per_minute", limits.RequestsPerMinute)
	check("daily_requests", limits.DailyRequests)
	check("monthly_requests", limits.MonthlyRequests)
	if d, m := limits.DailyRequests, limits.MonthlyRequests; d != nil && m != nil && *d > *m {
		errs = append(errs, apperr.FieldError{Field: "plan.limits.daily_requests", Message: "cannot exceed monthly_requests"})
	}
	if len(errs) > 0 {
		return nil, apperr.Validation(errs...)
	}
	if plan == c.Plan && sameLimits(limits, c.Limits) {
		return nil, nil
	}
	return []events.Event{{Type: events.CompanyPlanChanged, Data: events.CompanyPlanChangedData{Plan: plan, Limits: limits}}}, nil
}

func sameLimits(a, b events.Limits) bool {
	eq := func(x, y *int) bool { return (x == nil && y == nil) || (x != nil && y != nil && *x == *y) }
	return eq(a.RequestsPerMinute, b.RequestsPerMinute) && eq(a.DailyRequests, b.DailyRequests) && eq(a.MonthlyRequests, b.MonthlyRequests)
}
