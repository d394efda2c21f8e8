package bot

import (
	"encoding/json"
	"errors"
	"testing"
	"time"

	"github.com/chatbotsaas/chatbot/events"
	"github.com/chatbotsaas/chatbot/shared/apperr"
)

func envelope(t *testing.T, typ, tenant, aggType, aggID string, pos uint64, data any) events.Envelope {
	t.Helper()
	b, err := json.Marshal(data)
	if err != nil {
		t.Fatal(err)
	}
	return events.Envelope{ID: "e", Type: typ, Version: 1, TenantID: tenant, AggregateType: aggType, AggregateID: aggID, Position: pos, Data: b}
}

func TestTheDirectoryFollowsKeysChatbotsAndCompanies(t *testing.T) {
	d := NewDirectory()
	now := time.Date(2026, 11, 25, 12, 0, 0, 0, time.UTC)
	soon := now.Add(time.Hour)
	apply := func(e events.Envelope) {
		if err := d.Apply(e); err != nil {
			t.Fatal(err)
		}
	}
	apply(envelope(t, events.ChatbotCreated, "c1", events.AggregateChatbot, "b1", 1, events.ChatbotCreatedData{Name: "Bot",
		Settings: events.ChatbotSettings{FallbackReply: "?"}}))
	apply(envelope(t, events.ApiKeyIssued, "c1", events.AggregateChatbot, "b1", 2, events.ApiKeyIssuedData{KeyID: "k1", KeyHash: "h1"}))
	apply(envelope(t, events.ApiKeyIssued, "c1", events.AggregateChatbot, "b1", 3, events.ApiKeyIssuedData{KeyID: "k2", KeyHash: "h2", ExpiresAt: &soon}))

	code := func(hash string, at time.Time) string {
		k, b, c, ok := d.Lookup(hash)
		if !ok {
			return "unknown"
		}
		var ae *apperr.Error
		if err := refusal(k, b, c, at); errors.As(err, &ae) {
			return ae.Code
		}
		return "ok"
	}
	if got := code("h1", now); got != "ok" {
		t.Fatalf("a live key: %s", got)
	}
	if got := code("nope", now); got != "unknown" {
		t.Errorf("an unknown hash: %s", got)
	}
	if got := code("h2", now); got != "ok" {
		t.Errorf("a key before its expiry: %s", got)
	}
	if got := code("h2", soon); got != "unauthenticated" {
		t.Errorf("a key at its expiry: %s", got)
	}

	apply(envelope(t, events.ChatbotPaused, "c1", events.AggregateChatbot, "b1", 4, events.ChatbotStatusData{}))
	if got := code("h1", now); got != "chatbot_paused" {
		t.Errorf("a paused chatbot: %s", got)
	}
	apply(envelope(t, events.ChatbotResumed, "c1", events.AggregateChatbot, "b1", 5, events.ChatbotStatusData{}))
	apply(envelope(t, events.CompanySuspended, "c1", events.AggregateCompany, "c1", 6, events.CompanyStatusData{}))
	if got := code("h1", now); got != "unauthenticated" {
		t.Errorf("a suspended company's key: %s", got)
	}
	apply(envelope(t, events.CompanyReactivated, "c1", events.AggregateCompany, "c1", 7, events.CompanyStatusData{}))
	apply(envelope(t, events.ApiKeyRevoked, "c1", events.AggregateChatbot, "b1", 8, events.ApiKeyRevokedData{KeyID: "k1"}))
	if got := code("h1", now); got != "unauthenticated" {
		t.Errorf("a revoked key: %s", got)
	}
	if got := code("h2", now); got != "ok" {
		t.Errorf("another key of the chatbot after a revocation: %s", got)
	}
	apply(envelope(t, events.ChatbotDeleted, "c1", events.AggregateChatbot, "b1", 9, events.ChatbotStatusData{}))
	if got := code("h2", now); got != "unauthenticated" {
		t.Errorf("a deleted chatbot's key: %s", got)
	}
}

func TestLimitsComeFromTheChatbotThenThePlanThenThePlatform(t *testing.T) {
	n := func(v int) *int { return &v }
	got := effective(events.Limits{RequestsPerMinute: n(5)}, events.Limits{RequestsPerMinute: n(50), DailyRequests: n(500)},
		events.Limits{RequestsPerMinute: n(60), DailyRequests: n(10000), MonthlyRequests: n(100000)})
	if *got.RequestsPerMinute != 5 || *got.DailyRequests != 500 || *got.MonthlyRequests != 100000 {
		t.Errorf("effective limits: %d %d %d", *got.RequestsPerMinute, *got.DailyRequests, *got.MonthlyRequests)
	}
	if got := effective(events.Limits{}, events.Limits{}, events.Limits{}); got.DailyRequests != nil {
		t.Error("no limit anywhere should stay no limit")
	}
	for msg, want := range map[string]int64{"": 1, "hi": 1, string(make([]rune, 1000)): 1, string(make([]rune, 1001)): 2} {
		if got := units(msg); got != want {
			t.Errorf("units of %d characters: %d, want %d", len([]rune(msg)), got, want)
		}
	}
}
