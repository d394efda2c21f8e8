package app

import (
	"context"

	"github.com/chatbotsaas/chatbot/command/domain/company"
	"github.com/chatbotsaas/chatbot/command/eventstore"
	"github.com/chatbotsaas/chatbot/events"
	"github.com/chatbotsaas/chatbot/shared/apperr"
)

// RenameCompanyCmd names a company anew.
type RenameCompanyCmd struct{ CompanyID, Name string }

// RenameCompany changes the company's name.
type RenameCompany struct{ Store *eventstore.Store }

// Handle renames the company.
func (h RenameCompany) Handle(ctx context.Context, cmd RenameCompanyCmd) (CompanyAt, error) {
	var errs []apperr.FieldError
	name := checkName("name", cmd.Name, &errs)
	if len(errs) > 0 {
		return CompanyAt{}, apperr.Validation(errs...)
	}
	after, res, err := eventstore.Update(ctx, h.Store, companyRef(cmd.CompanyID), func(c *company.Company) (*company.Company, []events.Event, error) {
		evs, err := c.Rename(name)
		return c, evs, err // folded with the rename
	})
	if err != nil {
		return CompanyAt{}, err
	}
	return CompanyAt{Company: *after, Position: res.Position}, nil
}
