package app

import (
	"context"

	"github.com/chatbotsaas/chatbot/command/domain/company"
	"github.com/chatbotsaas/chatbot/command/eventstore"
	"github.com/chatbotsaas/chatbot/events"
	"github.com/chatbotsaas/chatbot/shared/apperr"
	"github.com/chatbotsaas/chatbot/shared/auth"
)

// CompanyPatch is an administrator's change to a company; nil fields stay.
type CompanyPatch struct {
	CompanyID string
	Status    *string
	Plan      *PlanPatch
}

// PlanPatch replaces the company's plan and its limits.
type PlanPatch struct {
	Name          string
	Limits        events.Limits // each chatbot's
	CompanyLimits events.Limits // the company's, across its chatbots and keys
}

// CompanyAt is a company after a command, and where its last event is.
type CompanyAt struct {
	Company  company.Company
	Position uint64
}

// PatchCompany applies an administrator's change in one atomic append. A
// suspension stops the company's users' tokens in every process and
// refuses their logins; a plan sets its chatbots' default limits.
type PatchCompany struct {
	Store   *eventstore.Store
	Revoked *auth.Revocations
	// Propagation is waited on by a change that can make bot calls fail
	// (a suspension, a plan); nil waits for nothing.
	Propagation Propagation
}

// Handle applies the patch.
func (h PatchCompany) Handle(ctx context.Context, p CompanyPatch) (CompanyAt, error) {
	after, res, err := eventstore.Update(ctx, h.Store, companyRef(p.CompanyID), func(c *company.Company) (*company.Company, []events.Event, error) {
		var evs []events.Event
		if p.Status != nil {
			more, err := c.SetStatus(*p.Status)
			if err != nil {
				return nil, nil, err
			}
			evs = append(evs, more...)
		}
		if p.Plan != nil {
			more, err := c.ChangePlan(company.Plan{Name: p.Plan.Name, Limits: p.Plan.Limits, CompanyLimits: p.Plan.CompanyLimits})
			if err != nil {
				return nil, nil, err
			}
			evs = append(evs, more...)
		}
		if !c.Exists() {
			return nil, nil, apperr.NotFound("company")
		}
		return c, evs, nil // folded with what is appended
	})
	if err != nil {
		return CompanyAt{}, err
	}
	remember(h.Revoked, res)
	if err := propagated(ctx, h.Propagation, res); err != nil {
		return CompanyAt{}, err
	}
	return CompanyAt{Company: *after, Position: res.Position}, nil
}
