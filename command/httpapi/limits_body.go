package httpapi

import (
	"github.com/danielgtaylor/huma/v2"

	"github.com/chatbotsaas/chatbot/command/domain/limits"
	"github.com/chatbotsaas/chatbot/events"
)

// The limit fields of every body that sets usage limits (a chatbot's, a
// plan's, the platform's defaults) are these types. Their schema takes its
// bounds from the limits domain, so the OpenAPI document, the validation
// at the edge (422 with field errors) and the domain's own check agree.
type (
	perMinute       int
	dailyRequests   int
	monthlyRequests int
)

func (perMinute) TransformSchema(_ huma.Registry, s *huma.Schema) *huma.Schema {
	return bounded(s, limits.MaxPerMin)
}

func (dailyRequests) TransformSchema(_ huma.Registry, s *huma.Schema) *huma.Schema {
	return bounded(s, limits.MaxDaily)
}

func (monthlyRequests) TransformSchema(_ huma.Registry, s *huma.Schema) *huma.Schema {
	return bounded(s, limits.MaxMonthly)
}

func bounded(s *huma.Schema, upper int) *huma.Schema {
	lo, hi := float64(limits.Min), float64(upper)
	s.Minimum, s.Maximum = &lo, &hi
	return s
}

// limitsOf converts the three fields of a body into the event's limits.
func limitsOf(rpm *perMinute, daily *dailyRequests, monthly *monthlyRequests) events.Limits {
	return events.Limits{RequestsPerMinute: (*int)(rpm), DailyRequests: (*int)(daily), MonthlyRequests: (*int)(monthly)}
}
