package chatbot

import (
	"errors"
	"testing"
	"time"

	"github.com/chatbotsaas/chatbot/events"
	"github.com/chatbotsaas/chatbot/shared/apperr"
)

func TestAKeyHasLimitsOfItsOwn(t *testing.T) {
	n := func(v int) *int { return &v }
	c := created(t)
	now := time.Now()
	evs, err := c.IssueKeyWithLimits(now, "k1", "small", "h1", "cbk_abcd", "wxyz", nil, events.Limits{RequestsPerMinute: n(2)})
	if err != nil || len(evs) != 2 || evs[0].Type != events.ApiKeyIssued || evs[1].Type != events.ApiKeyLimitsSet {
		t.Fatalf("issue with limits: %v %v, want ApiKeyIssued then ApiKeyLimitsSet", evs, err)
	}
	apply(c, evs)
	if k, _ := c.Key("k1"); k.Limits.RequestsPerMinute == nil || *k.Limits.RequestsPerMinute != 2 {
		t.Fatalf("the key's limits after its issue: %+v", k.Limits)
	}
	if evs, err := c.IssueKeyWithLimits(now, "k2", "free", "h2", "cbk_efgh", "wxyz", nil, events.Limits{}); err != nil || len(evs) != 1 {
		t.Fatalf("issue without limits: %v %v, want ApiKeyIssued alone", evs, err)
	}

	evs, err = c.SetKeyLimits("k1", events.Limits{DailyRequests: n(4)})
	if err != nil {
		t.Fatal(err)
	}
	apply(c, evs)
	if k, _ := c.Key("k1"); k.Limits.RequestsPerMinute != nil || *k.Limits.DailyRequests != 4 {
		t.Fatalf("the key's limits after they were set: %+v, want 4 a day and nothing else", k.Limits)
	}

	kind := func(err error) apperr.Kind {
		var e *apperr.Error
		if !errors.As(err, &e) {
			return apperr.KindInternal
		}
		return e.Kind
	}
	if _, err := c.SetKeyLimits("k1", events.Limits{RequestsPerMinute: n(0)}); kind(err) != apperr.KindValidation {
		t.Errorf("a zero limit: %v", err)
	}
	if _, err := c.IssueKeyWithLimits(now, "k3", "k", "h3", "p", "l", nil, events.Limits{DailyRequests: n(9), MonthlyRequests: n(3)}); kind(err) != apperr.KindValidation {
		t.Errorf("a key issued with a daily limit above its monthly one: %v", err)
	}
	if _, err := c.SetKeyLimits("nope", events.Limits{}); kind(err) != apperr.KindNotFound {
		t.Errorf("an unknown key: %v", err)
	}
	revoke, err := c.RevokeKey("k1")
	if err != nil {
		t.Fatalf("revoke the key: %v", err)
	}
	apply(c, revoke)
	if _, err := c.SetKeyLimits("k1", events.Limits{}); kind(err) != apperr.KindConflict {
		t.Errorf("a revoked key: %v", err)
	}
}
