package bot

import (
	"errors"
	"testing"
	"time"

	"github.com/chatbotsaas/chatbot/shared/apperr"
	"github.com/chatbotsaas/chatbot/shared/ratelimit"
)

func TestARefusalNamesTheLimitHit(t *testing.T) {
	for _, tc := range []struct {
		d          ratelimit.Decision
		code, want string
		retry      int
	}{
		{ratelimit.Decision{Reason: ratelimit.ReasonRateLimited, Limit: ratelimit.Hit{Scope: ScopeKey, Limit: ratelimit.PerMinute, Value: 2}, RetryAfter: 30 * time.Second},
			"rate_limited", "the API key's rate limit of 2 requests a minute is reached", 30},
		{ratelimit.Decision{Reason: ratelimit.ReasonQuotaExceeded, Limit: ratelimit.Hit{Scope: ScopeCompany, Limit: ratelimit.Daily, Value: 5}, RetryAfter: time.Hour + time.Millisecond},
			"quota_exceeded", "the company's daily quota of 5 requests is used up", 3601},
		{ratelimit.Decision{Reason: ratelimit.ReasonQuotaExceeded, Limit: ratelimit.Hit{Scope: ScopeChatbot, Limit: ratelimit.Monthly, Value: 9}, RetryAfter: 10 * time.Millisecond},
			"quota_exceeded", "the chatbot's monthly quota of 9 requests is used up", 1},
	} {
		var e *apperr.Error
		if !errors.As(refused(tc.d), &e) || e.Code != tc.code || e.Message != tc.want || e.RetryAfter != tc.retry || e.Kind != apperr.KindTooMany {
			t.Errorf("%+v: %+v, want %s %q Retry-After %d", tc.d, e, tc.code, tc.want, tc.retry)
		}
	}
}

func TestTheAnswerShowsTheDailyLimitNearestItsEnd(t *testing.T) {
	scopes := []ratelimit.Scope{{Name: ScopeKey, Limits: ratelimit.Limits{Daily: 100}}, {Name: ScopeChatbot}, {Name: ScopeCompany, Limits: ratelimit.Limits{Daily: 1000}}}
	d := ratelimit.Decision{Scopes: []ratelimit.Usage{{UsedToday: 10}, {UsedToday: 950}, {UsedToday: 960}}}
	if used, limit := dailyUsage(scopes, d); used != 960 || limit == nil || *limit != 1000 {
		t.Errorf("used %d of %v, want the company's 960 of 1000 (40 left, the key has 90)", used, limit)
	}
	scopes[2].Limits.Daily = 0
	if used, limit := dailyUsage(scopes, d); used != 10 || limit == nil || *limit != 100 {
		t.Errorf("used %d of %v, want the key's 10 of 100", used, limit)
	}
	scopes[0].Limits.Daily = 0
	if used, limit := dailyUsage(scopes, d); used != 950 || limit != nil {
		t.Errorf("used %d of %v, want the chatbot's count and no limit", used, limit)
	}
}
