// Package company is the company aggregate: a customer tenant and whether
// it may work. It is pure.
package company

import (
	"slices"

	"github.com/chatbotsaas/chatbot/command/domain/limits"
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
	// Limits are the plan's limits of each of the company's chatbots: their
	// default and their ceiling; a nil one takes the platform
	// configuration's.
	Limits events.Limits `json:"limits"`
	// CompanyLimits are the plan's limits of the whole company, across all
	// its chatbots and keys; a nil one is no company-wide limit.
	CompanyLimits events.Limits `json:"company_limits"`
	// Managers are the members with the role company; there is always at
	// least one once the first was added.
	Managers []string `json:"managers"`
}

// Apply folds one event into the state.
func (c *Company) Apply(e events.Envelope, data any) {
	switch data.(type) {
	case *events.CompanyRegisteredData:
		c.ID, c.Name, c.Status, c.Plan = e.AggregateID, data.(*events.CompanyRegisteredData).Name, StatusActive, events.DefaultPlan
	case *events.CompanyRenamedData:
		c.Name = data.(*events.CompanyRenamedData).Name
	case *events.CompanyManagersChangedData:
		d := data.(*events.CompanyManagersChangedData)
		c.Managers = slices.DeleteFunc(c.Managers, func(m string) bool { return slices.Contains(d.Removed, m) })
		for _, m := range d.Added {
			if !slices.Contains(c.Managers, m) {
				c.Managers = append(c.Managers, m)
			}
		}
	case *events.CompanyPlanChangedData:
		d := data.(*events.CompanyPlanChangedData)
		c.Plan, c.Limits, c.CompanyLimits = d.Plan, d.Limits, d.CompanyLimits
	case *events.CompanyStatusData:
		if e.Type == events.CompanySuspended {
			c.Status = StatusSuspended
		} else {
			c.Status = StatusActive
		}
	}
}

// Register creates the company with its first manager, in one decision:
// a company never exists without a manager.
func (c *Company) Register(name, firstManager string) ([]events.Event, error) {
	if c.Exists() {
		return nil, apperr.New(apperr.KindConflict, "conflict", "the company exists")
	}
	return []events.Event{
		{Type: events.CompanyRegistered, Data: events.CompanyRegisteredData{Name: name}},
		{Type: events.CompanyManagersChanged, Data: events.CompanyManagersChangedData{Added: []string{firstManager}}},
	}, nil
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

// Plan is a plan as an administrator sets it.
type Plan struct {
	Name          string
	Limits        events.Limits
	CompanyLimits events.Limits
}

// ChangePlan sets the plan and its limits; the same plan changes nothing.
// Both sets of limits have the bounds of every limit.
func (c *Company) ChangePlan(p Plan) ([]events.Event, error) {
	if !c.Exists() {
		return nil, apperr.NotFound("company")
	}
	errs := limits.Check(p.Limits, "plan.limits.", "the platform default")
	errs = append(errs, limits.Check(p.CompanyLimits, "plan.company_limits.", "no company-wide limit")...)
	if len(errs) > 0 {
		return nil, apperr.Validation(errs...)
	}
	if p.Name == c.Plan && sameLimits(p.Limits, c.Limits) && sameLimits(p.CompanyLimits, c.CompanyLimits) {
		return nil, nil
	}
	return []events.Event{{Type: events.CompanyPlanChanged, Data: events.CompanyPlanChangedData{
		Plan: p.Name, Limits: p.Limits, CompanyLimits: p.CompanyLimits}}}, nil
}

func sameLimits(a, b events.Limits) bool {
	eq := func(x, y *int) bool { return (x == nil && y == nil) || (x != nil && y != nil && *x == *y) }
	return eq(a.RequestsPerMinute, b.RequestsPerMinute) && eq(a.DailyRequests, b.DailyRequests) && eq(a.MonthlyRequests, b.MonthlyRequests)
}

// Rename changes the company's name (already checked by the caller).
func (c *Company) Rename(name string) ([]events.Event, error) {
	if !c.Exists() {
		return nil, apperr.NotFound("company")
	}
	if name == c.Name {
		return nil, nil
	}
	return []events.Event{{Type: events.CompanyRenamed, Data: events.CompanyRenamedData{Name: name}}}, nil
}

// ErrLastManager refuses to leave a company without a manager.
var ErrLastManager = apperr.New(apperr.KindConflict, "conflict",
	"a company keeps at least one member with the role company: give the role to another member first")

// ChangeManagers adds and removes managers. Unless force (an
// administrator erasing a user), the last manager cannot go.
func (c *Company) ChangeManagers(added, removed []string, force bool) ([]events.Event, error) {
	if !c.Exists() {
		return nil, apperr.NotFound("company")
	}
	var d events.CompanyManagersChangedData
	for _, m := range added {
		if !slices.Contains(c.Managers, m) {
			d.Added = append(d.Added, m)
		}
	}
	for _, m := range removed {
		if slices.Contains(c.Managers, m) {
			d.Removed = append(d.Removed, m)
		}
	}
	if len(d.Added) == 0 && len(d.Removed) == 0 {
		return nil, nil
	}
	if !force && len(c.Managers)+len(d.Added)-len(d.Removed) < 1 {
		return nil, ErrLastManager
	}
	return []events.Event{{Type: events.CompanyManagersChanged, Data: d}}, nil
}
