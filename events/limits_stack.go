package events

// Within is l with each limit held to ceiling's: the lower of the two,
// ceiling's where l has none, l's where ceiling has none. It is how a
// chatbot's own limits meet its plan's: they may lower them, never raise
// them.
func (l Limits) Within(ceiling Limits) Limits {
	lower := func(a, b *int) *int {
		switch {
		case a == nil:
			return b
		case b == nil || *a <= *b:
			return a
		}
		return b
	}
	return Limits{
		RequestsPerMinute: lower(l.RequestsPerMinute, ceiling.RequestsPerMinute),
		DailyRequests:     lower(l.DailyRequests, ceiling.DailyRequests),
		MonthlyRequests:   lower(l.MonthlyRequests, ceiling.MonthlyRequests),
	}
}

// ChatbotLimits are the limits in force for a chatbot: its own, held to
// its company plan's, which are the platform's defaults where the plan
// leaves them null.
func ChatbotLimits(own, plan, platform Limits) Limits { return own.Within(plan.Or(platform)) }
