package query

import (
	"context"
	"net/http"
	"strconv"
	"time"

	"github.com/danielgtaylor/huma/v2"
	"github.com/jackc/pgx/v5"

	"github.com/chatbotsaas/chatbot/readmodel"
	"github.com/chatbotsaas/chatbot/shared/apperr"
	"github.com/chatbotsaas/chatbot/shared/auth"
)

// UsagePoint is the usage of one period.
type UsagePoint struct {
	PeriodStart time.Time `json:"period_start" doc:"start of the period, UTC"`
	Requests    int64     `json:"requests"`
	Units       int64     `json:"units"`
}

// UsageTotals is the usage of the whole range.
type UsageTotals struct {
	Requests int64 `json:"requests"`
	Units    int64 `json:"units"`
}

type usageInput struct {
	ReadHeaders
	CompanyID   string    `path:"cid" format:"uuid"`
	From        time.Time `query:"from" doc:"start of the range, inclusive (RFC 3339); default 30 days before to"`
	To          time.Time `query:"to" doc:"end of the range, exclusive (RFC 3339); default now"`
	Granularity string    `query:"granularity" enum:"hour,day,month" default:"day" doc:"length of each period, in UTC"`
	ChatbotID   string    `query:"chatbot_id" format:"uuid" doc:"only this chatbot's calls"`
	APIKeyID    string    `query:"api_key_id" format:"uuid" doc:"only this key's calls"`
}

// Usage is a usage report.
type Usage struct {
	Series []UsagePoint `json:"series"`
	Totals UsageTotals  `json:"totals"`
}

// usageDefaultSpan is the range of a report that names no from.
const usageDefaultSpan = 30 * 24 * time.Hour

// usageMaxSpan bounds a report's range by granularity: at most 744 hours,
// 366 days or about 60 months, and as many hourly rows read per key.
var usageMaxSpan = map[string]time.Duration{
	"hour":  31 * 24 * time.Hour,
	"day":   366 * 24 * time.Hour,
	"month": 1830 * 24 * time.Hour,
}

func (s *Side) registerUsage(api huma.API) {
	huma.Register(api, auth.Require(huma.Operation{
		OperationID: "get-company-usage", Method: http.MethodGet, Path: "/v1/companies/{cid}/usage", Tags: []string{"Company"},
		Summary: "A company's usage of the bot API, by period",
		Description: "Accepted bot API calls (requests) and their units, per hour, day or month (UTC), with the totals of the " +
			"range. Usage is kept per hour and rolled up per day and month as it arrives: an hour counts when it starts within [from, to), so give whole hours for " +
			"exact figures. Periods without usage are omitted from the series. The range is at most 31 days by hour, " +
			"366 days by day and 1,830 days by month. Calls appear within a few seconds.",
	}, auth.PermCompanyRead), s.getUsage)
}

func (s *Side) getUsage(ctx context.Context, in *usageInput) (*readOutput[Usage], error) {
	company, err := auth.CompanyOf(ctx, in.CompanyID)
	if err != nil {
		return nil, err
	}
	from, to, err := usageRange(in.From, in.To, in.Granularity, time.Now())
	if err != nil {
		return nil, err
	}
	// Partitioned by tenant, usage is through a position for this company
	// once the company's partition is.
	pool, err := s.reads(ctx, in.MinPosition, s.deps.Follower.ForTenant(company, readmodel.Usage))
	if err != nil {
		return nil, err
	}
	sql, args := usageSQL(company, usageSegments(from, to, in.Granularity), in.ChatbotID, in.APIKeyID, in.Granularity)
	rows, err := TenantQuery(ctx, pool, company, sql, args...)
	if err != nil {
		return nil, err
	}
	series, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (UsagePoint, error) {
		var p UsagePoint
		err := r.Scan(&p.PeriodStart, &p.Requests, &p.Units)
		p.PeriodStart = p.PeriodStart.UTC()
		return p, err
	})
	if err != nil {
		return nil, err
	}
	u := Usage{Series: append([]UsagePoint{}, series...)} // [] rather than null
	for _, p := range series {
		u.Totals.Requests += p.Requests
		u.Totals.Units += p.Units
	}
	return answerValue(in.Revalidate, u)
}

// usageRange fills in the defaults of a report's range and checks it:
// from before to, and no longer than the granularity allows.
func usageRange(from, to time.Time, granularity string, now time.Time) (time.Time, time.Time, error) {
	if to.IsZero() {
		to = now
	}
	if from.IsZero() {
		from = to.Add(-usageDefaultSpan)
	}
	if !from.Before(to) {
		return from, to, apperr.Validation(apperr.FieldError{Field: "query.from", Message: "must be before to"})
	}
	if limit, ok := usageMaxSpan[granularity]; ok && to.Sub(from) > limit {
		return from, to, apperr.Validation(apperr.FieldError{Field: "query.to",
			Message: "the range is too long for granularity " + granularity + ": at most " + strconv.Itoa(int(limit/(24*time.Hour))) + " days"})
	}
	return from.UTC(), to.UTC(), nil
}
