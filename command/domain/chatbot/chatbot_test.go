package chatbot

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/chatbotsaas/chatbot/events"
	"github.com/chatbotsaas/chatbot/shared/apperr"
)

func apply(c *Chatbot, evs []events.Event) {
	for _, e := range evs {
		data := e.Data
		switch d := data.(type) {
		case events.ChatbotCreatedData:
			data = &d
		case events.ChatbotUpdatedData:
			data = &d
		case events.ChatbotStatusData:
			data = &d
		case events.ApiKeyIssuedData:
			data = &d
		case events.ApiKeyRevokedData:
			data = &d
		case events.ChatbotLimitsSetData:
			data = &d
		case events.ApiKeyLimitsSetData:
			data = &d
		}
		c.Apply(events.Envelope{Type: e.Type, AggregateID: "b1", TenantID: "c1", OccurredAt: time.Now()}, data)
	}
}

func created(t *testing.T) *Chatbot {
	t.Helper()
	c := &Chatbot{}
	evs, err := c.Create(" Helper ", "", events.ChatbotSettings{FallbackReply: "Sorry?",
		Replies: []events.KeywordReply{{Keywords: []string{"Price"}, Reply: "10 EUR"}, {Keywords: []string{"hours", "open"}, Reply: "9 to 5"}}})
	if err != nil {
		t.Fatal(err)
	}
	apply(c, evs)
	return c
}

func TestReplyFirstKeywordCaseInsensitiveElseFallback(t *testing.T) {
	c := created(t)
	for msg, want := range map[string]string{
		"What is the PRICE?":           "10 EUR",
		"when are you open":            "9 to 5",
		"price and opening hours":      "10 EUR", // the first reply wins
		"hello":                        "Sorry?",
		"":                             "Sorry?",
		"ÖFFNUNGSZEITEN? hours, bitte": "9 to 5",
	} {
		if got := Reply(c.Settings, msg); got != want {
			t.Errorf("%q: %q, want %q", msg, got, want)
		}
	}
	if c.Name != "Helper" {
		t.Errorf("name not trimmed: %q", c.Name)
	}
}

func TestSettingsAreValidated(t *testing.T) {
	long := strings.Repeat("x", MaxReplyLen+1)
	many := make([]events.KeywordReply, MaxReplies+1)
	for i := range many {
		many[i] = events.KeywordReply{Keywords: []string{"k"}, Reply: "r"}
	}
	for name, s := range map[string]events.ChatbotSettings{
		"reply too long":    {Replies: []events.KeywordReply{{Keywords: []string{"a"}, Reply: long}}},
		"no keywords":       {Replies: []events.KeywordReply{{Reply: "r"}}},
		"empty keyword":     {Replies: []events.KeywordReply{{Keywords: []string{" "}, Reply: "r"}}},
		"too many replies":  {Replies: many},
		"greeting too long": {Greeting: long},
	} {
		_, err := (&Chatbot{}).Create("bot", "", s)
		var ae *apperr.Error
		if !errors.As(err, &ae) || ae.Code != "validation_failed" {
			t.Errorf("%s: %v", name, err)
		}
	}
	if _, err := (&Chatbot{}).Create(" ", "", events.ChatbotSettings{}); err == nil {
		t.Error("an empty name was accepted")
	}
}

func TestAtMostTenLiveKeys(t *testing.T) {
	c := created(t)
	now := time.Now()
	past := now.Add(-time.Hour)
	for i := range MaxLiveKeys {
		evs, err := c.IssueKey(now, "k"+itoa(i), "key", "h", "cbk_ab", "wxyz", nil)
		if err != nil {
			t.Fatalf("key %d: %v", i, err)
		}
		apply(c, evs)
	}
	if _, err := c.IssueKey(now, "k10", "key", "h", "cbk_ab", "wxyz", nil); err == nil {
		t.Fatal("an eleventh live key was issued")
	}
	evs, err := c.RevokeKey("k3")
	if err != nil {
		t.Fatalf("revoke the key: %v", err)
	}
	apply(c, evs)
	if evs, err := c.RevokeKey("k3"); err != nil || len(evs) != 0 {
		t.Errorf("revoking twice: %v %v, want nothing appended and no error", evs, err)
	}
	if _, err := c.IssueKey(now, "k10", "key", "h", "cbk_ab", "wxyz", nil); err != nil {
		t.Errorf("after a revocation: %v", err)
	}
	if _, err := c.IssueKey(now, "k11", "key", "h", "cbk_ab", "wxyz", &past); err == nil {
		t.Error("a key expiring in the past was issued")
	}
	if _, err := c.RevokeKey("nope"); err == nil {
		t.Error("revoked an unknown key")
	}
}

func TestPatchPauseResumeAndNoOp(t *testing.T) {
	c := created(t)
	paused := StatusPaused
	evs, err := c.Update(Patch{Status: &paused})
	if err != nil || len(evs) != 1 || evs[0].Type != events.ChatbotPaused {
		t.Fatalf("pause: %v %v", evs, err)
	}
	apply(c, evs)
	same := "Helper"
	if evs, err := c.Update(Patch{Name: &same, Status: &paused}); err != nil || len(evs) != 0 {
		t.Errorf("a patch that changes nothing appended %v (%v)", evs, err)
	}
	bad := "archived"
	if _, err := c.Update(Patch{Status: &bad}); err == nil {
		t.Error("an unknown status was accepted")
	}
	evs, err = c.Delete()
	if err != nil {
		t.Fatalf("delete the chatbot: %v", err)
	}
	apply(c, evs)
	if _, err := c.Update(Patch{Name: &same}); err == nil {
		t.Error("a deleted chatbot was changed")
	}
}
