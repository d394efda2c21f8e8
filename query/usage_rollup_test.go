package query

import (
	"context"
	"net/http"
	"net/url"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/chatbotsaas/chatbot/projector"
)

// hourlySums is the report as it was before the roll-ups: the hourly rows
// of [from, to) summed per period.
func hourlySums(t *testing.T, w *usageWorld, company string, from, to time.Time, granularity string) []UsagePoint {
	t.Helper()
	rows, err := w.pool.Query(context.Background(), `SELECT date_trunc($4, hour, 'UTC') AS period, sum(requests)::bigint, sum(units)::bigint
		FROM `+projector.UsageHourlyTable+` WHERE tenant_id = $1 AND hour >= $2 AND hour < $3 GROUP BY period ORDER BY period`,
		company, from, to, granularity)
	if err != nil {
		t.Fatal(err)
	}
	points, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (UsagePoint, error) {
		var p UsagePoint
		err := r.Scan(&p.PeriodStart, &p.Requests, &p.Units)
		return p, err
	})
	if err != nil {
		t.Fatal(err)
	}
	return append([]UsagePoint{}, points...)
}

// The report reads days and months from the roll-ups, and its answers are
// those of summing the hours, for ranges on and off period boundaries.
func TestUsageRollUpsAnswerAsTheHourlySums(t *testing.T) {
	w := newUsageWorld(t)
	company, bot, key := uuid.NewString(), uuid.NewString(), uuid.NewString()
	for _, h := range []string{"2026-01-30T22:00:00Z", "2026-01-31T05:00:00Z", "2026-02-01T00:00:00Z", "2026-02-01T13:00:00Z",
		"2026-02-14T09:00:00Z", "2026-02-28T23:00:00Z", "2026-03-01T01:00:00Z", "2026-03-15T12:00:00Z"} {
		w.calls(company, bot, key, at(h), 3, 2)
	}
	pos := w.flush()
	ranges := [][2]string{
		{"2026-01-01T00:00:00Z", "2026-04-01T00:00:00Z"},
		{"2026-01-30T23:00:00Z", "2026-03-15T12:00:00Z"},
		{"2026-01-31T05:00:00Z", "2026-02-01T13:00:00Z"},
		{"2026-02-01T00:00:00Z", "2026-03-01T00:00:00Z"},
		{"2026-02-01T01:00:00Z", "2026-02-01T02:00:00Z"},
	}
	for _, r := range ranges {
		for _, g := range []string{"hour", "day", "month"} {
			q := url.Values{"from": {r[0]}, "to": {r[1]}, "granularity": {g}}
			status, got := w.report("admin", "", company, pos, q)
			if g == "hour" && at(r[1]).Sub(at(r[0])) > usageMaxSpan["hour"] {
				continue // too long a range by hour
			}
			if status != http.StatusOK {
				t.Fatalf("%v %s: status %d", r, g, status)
			}
			if want := hourlySums(t, w, company, at(r[0]), at(r[1]), g); !sameSeries(got.Series, want) {
				t.Errorf("%v by %s: %v, the hours say %v", r, g, got.Series, want)
			}
		}
	}
	var days, months int
	if err := w.pool.QueryRow(context.Background(), `SELECT (SELECT count(*) FROM `+projector.UsageDailyTable+`),
		(SELECT count(*) FROM `+projector.UsageMonthlyTable+`)`).Scan(&days, &months); err != nil {
		t.Fatalf("count the roll-ups: %v", err)
	}
	if days != 7 || months != 3 {
		t.Errorf("roll-ups: %d days and %d months, want 7 and 3", days, months)
	}
}
