package projector

import (
	"github.com/chatbotsaas/chatbot/events"
	"github.com/chatbotsaas/chatbot/readmodel"
)

// CompaniesTable is the companies read model.
const CompaniesTable = readmodel.CompaniesTable

// Companies keeps one row per company.
func Companies() Projection {
	status := func(s string) Reducer { return setColumn(CompaniesTable, "status", constant(s)) }
	return Projection{
		Name:   "companies",
		Tables: []string{CompaniesTable},
		Secure: tenantReadModel,
		Reducers: map[string]Reducer{
			events.CompanyRegistered: func(b *Batch, e events.Envelope, data any) error {
				b.Queue(`INSERT INTO `+CompaniesTable+` (tenant_id, id, name, status, created_at, updated_at, position)
					VALUES ($1, $2, $3, 'active', $4, $4, $5) ON CONFLICT DO NOTHING`,
					e.TenantID, e.AggregateID, data.(*events.CompanyRegisteredData).Name, e.OccurredAt, int64(e.Position))
				return nil
			},
			events.CompanySuspended:   status("suspended"),
			events.CompanyReactivated: status("active"),
			events.CompanyRenamed:     setColumn(CompaniesTable, "name", func(d any) any { return d.(*events.CompanyRenamedData).Name }),
			events.CompanyPlanChanged: func(b *Batch, e events.Envelope, data any) error {
				d := data.(*events.CompanyPlanChangedData)
				c := d.CompanyLimits
				b.Queue(`UPDATE `+CompaniesTable+` SET plan = $3, requests_per_minute = $4, daily_requests = $5,
					monthly_requests = $6, company_requests_per_minute = $9, company_daily_requests = $10, company_monthly_requests = $11,
					updated_at = $7, position = $8 WHERE tenant_id = $1 AND id = $2 AND position < $8`,
					e.TenantID, e.AggregateID, d.Plan, d.Limits.RequestsPerMinute, d.Limits.DailyRequests, d.Limits.MonthlyRequests,
					e.OccurredAt, int64(e.Position), c.RequestsPerMinute, c.DailyRequests, c.MonthlyRequests)
				return nil
			},
		},
	}
}
