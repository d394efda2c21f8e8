package app

import (
	"context"

	"github.com/chatbotsaas/chatbot/command/domain/company"
	"github.com/chatbotsaas/chatbot/command/eventstore"
	"github.com/chatbotsaas/chatbot/events"
	"github.com/chatbotsaas/chatbot/shared/apperr"
)

func companyRef(id string) eventstore.Ref {
	return eventstore.Ref{Tenant: id, Type: events.AggregateCompany, ID: id}
}

// companySuspended reports whether the company of tenant is suspended;
// the platform tenant never is.
func (id *Identity) companySuspended(ctx context.Context, tenant string) (bool, error) {
	if tenant == events.PlatformTenant {
		return false, nil
	}
	var c company.Company
	if _, err := id.store.Load(ctx, companyRef(tenant), &c); err != nil {
		return false, err
	}
	return c.Exists() && !c.Active(), nil
}

// CompanyPatch is an administrator's change to a company; nil fields stay.
type CompanyPatch struct {
	Status *string
	Plan   *PlanPatch
}

// PlanPatch replaces the company's plan and its limits.
type PlanPatch struct {
	Name          string
	Limits        events.Limits // each chatbot's
	CompanyLimits events.Limits // the company's, across its chatbots and keys
}

// PatchCompany applies an administrator's change in one atomic append. A
// suspension stops the company's users' tokens in every process and
// refuses their logins; a plan sets its chatbots' default limits.
func (id *Identity) PatchCompany(ctx context.Context, companyID string, p CompanyPatch) (company.Company, uint64, error) {
	after, res, err := eventstore.Update(ctx, id.store, companyRef(companyID), func(c *company.Company) (*company.Company, []events.Event, error) {
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
		return company.Company{}, 0, err
	}
	id.remember(res)
	if err := propagated(ctx, id.propagation, res); err != nil {
		return company.Company{}, 0, err
	}
	return *after, res.Position, nil
}
