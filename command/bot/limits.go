package bot

import (
	"fmt"
	"math"
	"time"

	"github.com/chatbotsaas/chatbot/events"
	"github.com/chatbotsaas/chatbot/shared/apperr"
	"github.com/chatbotsaas/chatbot/shared/ratelimit"
)

// A bot call passes three sets of limits at once, in one script run: its
// key's own, its chatbot's (held to the plan's: a chatbot limit lowers the
// plan's, never raises it) and its company's, counted across all the
// company's chatbots and keys. A key limit above its chatbot's changes
// nothing, as the chatbot's is still passed.

// Scope names, as a refusal names them (Decision.Limit, such as
// "company_daily") and counted by reason.
const (
	ScopeKey     = "key"
	ScopeChatbot = "chatbot"
	ScopeCompany = "company"
)

// callScopes are the scopes of a call with f; the company groups them, so
// they share one cluster slot. The chatbot's periods are always counted
// (the answer's requests_today, the quota thresholds); a key's and the
// company's only while they have a quota of that period, so a call whose
// key and company have no limits of their own costs Redis what a call
// with the chatbot's limits alone did. A key or company quota set during
// a period therefore counts the calls from then on.
func callScopes(f Found, platform events.Limits) []ratelimit.Scope {
	return []ratelimit.Scope{
		{Name: ScopeKey, Key: "key:" + f.Key.ID, Limits: counts(f.Key.Limits)},
		{Name: ScopeChatbot, Key: "chatbot:" + f.Chatbot.ID, Limits: counts(chatbotLimits(f, platform)), Count: true},
		{Name: ScopeCompany, Key: "company", Limits: counts(f.Company.CompanyLimits)},
	}
}

// chatbotLimits are the chatbot's limits in force: its own held to its
// company plan's, the platform's defaults where the plan has none.
func chatbotLimits(f Found, platform events.Limits) events.Limits {
	return events.ChatbotLimits(f.Chatbot.Limits, f.Company.Limits, platform)
}

// counts turns limits into the limiter's: nil is 0, no limit.
func counts(l events.Limits) ratelimit.Limits {
	return ratelimit.Limits{PerMinute: deref(l.RequestsPerMinute), Daily: deref(l.DailyRequests), Monthly: deref(l.MonthlyRequests)}
}

func deref(v *int) int {
	if v == nil {
		return 0
	}
	return *v
}

// scopeOwners say whose limit a refusal names.
var scopeOwners = map[string]string{ScopeKey: "the API key's", ScopeChatbot: "the chatbot's", ScopeCompany: "the company's"}

// refused is the 429 of a refused call: rate_limited or quota_exceeded,
// naming the limit that was hit, with Retry-After.
func refused(d ratelimit.Decision) error {
	owner := scopeOwners[d.Limit.Scope]
	var msg string
	switch d.Limit.Limit {
	case ratelimit.PerMinute:
		msg = fmt.Sprintf("%s rate limit of %d requests a minute is reached", owner, d.Limit.Value)
	default: // ratelimit.Daily, ratelimit.Monthly
		msg = fmt.Sprintf("%s %s quota of %d requests is used up", owner, d.Limit.Limit, d.Limit.Value)
	}
	return &apperr.Error{Kind: apperr.KindTooMany, Code: d.Reason, Message: msg,
		RetryAfter: int(math.Ceil(max(d.RetryAfter, time.Second).Seconds()))}
}

// dailyUsage is what a call's answer says of today: the daily limit that
// leaves the fewest calls (the key's, the chatbot's or the company's) with
// its count, else the chatbot's count and no limit.
func dailyUsage(scopes []ratelimit.Scope, d ratelimit.Decision) (used int64, limit *int) {
	best := int64(math.MaxInt64)
	for i, s := range scopes {
		if s.Name == ScopeChatbot && limit == nil {
			used = d.Scopes[i].UsedToday
		}
		if s.Limits.Daily <= 0 {
			continue
		}
		if left := int64(s.Limits.Daily) - d.Scopes[i].UsedToday; left < best {
			best, used = left, d.Scopes[i].UsedToday
			v := s.Limits.Daily
			limit = &v
		}
	}
	return used, limit
}
