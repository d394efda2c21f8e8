package app

import (
	"context"

	"github.com/chatbotsaas/chatbot/command/domain/company"
	"github.com/chatbotsaas/chatbot/command/eventstore"
	"github.com/chatbotsaas/chatbot/events"
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

// SetCompanyStatus suspends or reactivates a company. A suspension stops
// its users' tokens in every process and refuses their logins.
func (id *Identity) SetCompanyStatus(ctx context.Context, companyID, status string) (company.Company, uint64, error) {
	var after company.Company
	res, err := eventstore.Update(ctx, id.store, companyRef(companyID), func(c *company.Company) ([]events.Event, error) {
		evs, err := c.SetStatus(status)
		after = *c
		if err == nil && len(evs) > 0 {
			after.Status = status
		}
		return evs, err
	})
	if err != nil {
		return company.Company{}, 0, err
	}
	id.remember(res)
	return after, res.Position, nil
}
