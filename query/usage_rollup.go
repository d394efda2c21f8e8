package query

import (
	"strconv"
	"strings"
	"time"

	"github.com/chatbotsaas/chatbot/readmodel"
)

// usageSegment is a part of a report's range read from one table: the
// whole days or months inside the range from their roll-ups, the hours
// at its edges from the hourly rows, so that the answer is the same as
// summing hours (an hour counts when it starts within the range).
type usageSegment struct {
	table, column string
	from, to      time.Time
}

func truncDay(t time.Time) time.Time {
	return time.Date(t.Year(), t.Month(), t.Day(), 0, 0, 0, 0, time.UTC)
}
func truncMonth(t time.Time) time.Time {
	return time.Date(t.Year(), t.Month(), 1, 0, 0, 0, 0, time.UTC)
}

// usageSegments splits [from, to) for granularity: hours read hours; days
// read whole days from the daily roll-up; months whole months from the
// monthly one, and the whole days around them from the daily one.
func usageSegments(from, to time.Time, granularity string) []usageSegment {
	hours := func(a, b time.Time) []usageSegment {
		return []usageSegment{{readmodel.UsageHourlyTable, "hour", a, b}}
	}
	days := func(a, b time.Time) []usageSegment {
		first, last := truncDay(a), truncDay(b)
		if !first.Equal(a) {
			first = first.AddDate(0, 0, 1)
		}
		if !first.Before(last) {
			return hours(a, b)
		}
		return append(append(hours(a, first), usageSegment{readmodel.UsageDailyTable, "day", first, last}), hours(last, b)...)
	}
	switch granularity {
	case "day":
		return days(from, to)
	case "month":
		first, last := truncMonth(from), truncMonth(to)
		if !first.Equal(from) {
			first = first.AddDate(0, 1, 0)
		}
		if !first.Before(last) {
			return days(from, to)
		}
		return append(append(days(from, first), usageSegment{readmodel.UsageMonthlyTable, "month", first, last}), days(last, to)...)
	default:
		return hours(from, to)
	}
}

// usageSQL is the report's query over the segments: each segment's rows
// in its range, summed per period.
func usageSQL(company string, segments []usageSegment, chatbotID, apiKeyID, granularity string) (string, []any) {
	args := []any{company, chatbotID, apiKeyID, granularity}
	var parts []string
	for _, s := range segments {
		if !s.from.Before(s.to) {
			continue
		}
		args = append(args, s.from, s.to)
		parts = append(parts, strings.NewReplacer("{column}", s.column, "{table}", s.table,
			"{lo}", "$"+strconv.Itoa(len(args)-1), "{hi}", "$"+strconv.Itoa(len(args))).Replace(usageSegmentSQL))
	}
	return strings.Replace(usageReportSQL, "{segments}", strings.Join(parts, " UNION ALL "), 1), args
}
