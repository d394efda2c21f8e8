package bot

import (
	"bytes"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/chatbotsaas/chatbot/command/domain/chatbot"
	"github.com/chatbotsaas/chatbot/command/domain/company"
	"github.com/chatbotsaas/chatbot/events"
)

func TestLimitsComeFromTheChatbotHeldToThePlanThenThePlatform(t *testing.T) {
	n := func(v int) *int { return &v }
	got := chatbotLimits(Found{Chatbot: &chatbot.Chatbot{Limits: events.Limits{RequestsPerMinute: n(5), DailyRequests: n(900)}},
		Company: &company.Company{Limits: events.Limits{RequestsPerMinute: n(50), DailyRequests: n(500)}}},
		events.Limits{RequestsPerMinute: n(60), DailyRequests: n(10000), MonthlyRequests: n(100000)})
	if *got.RequestsPerMinute != 5 || *got.DailyRequests != 500 || *got.MonthlyRequests != 100000 {
		t.Errorf("limits in force: %d %d %d, want the chatbot's 5 a minute, the plan's 500 a day (the chatbot's 900 is capped), the platform's 100000 a month",
			*got.RequestsPerMinute, *got.DailyRequests, *got.MonthlyRequests)
	}
	if got := chatbotLimits(Found{Chatbot: &chatbot.Chatbot{}, Company: &company.Company{}}, events.Limits{}); got.DailyRequests != nil {
		t.Error("no limit anywhere should stay no limit")
	}
	for msg, want := range map[string]int64{"": 1, "hi": 1, string(make([]rune, 1000)): 1, string(make([]rune, 1001)): 2} {
		if got := units(msg); got != want {
			t.Errorf("units of %d characters: %d, want %d", len([]rune(msg)), got, want)
		}
	}
}

// indexWorld folds events into a key index as the directory's follower
// does, numbering their positions.
type indexWorld struct {
	x   *keyIndex
	pos uint64
}

func (w *indexWorld) chatbot(o owner, typ string, data any) {
	w.pos++
	w.x.applyChatbot(o, events.Envelope{Type: typ, TenantID: o.tenant, AggregateID: o.id, OccurredAt: time.Now()}, data, w.pos)
}

func (w *indexWorld) company(id, typ string, data any) {
	w.pos++
	w.x.applyCompany(id, events.Envelope{Type: typ, TenantID: id, AggregateID: id}, data, w.pos)
}

func TestTheKeyIndexFindsEveryLiveKeyAndSurvivesItsSnapshot(t *testing.T) {
	w := &indexWorld{x: newKeyIndex()}
	settings := events.ChatbotSettings{FallbackReply: "Pardon?", Replies: []events.KeywordReply{{Keywords: []string{"refund"}, Reply: "Within 30 days."}}}
	want := map[string]owner{}
	for b := range (3*mergeAt + 5) / 10 { // several merges and a recent tail
		o := owner{tenant: fmt.Sprint("t", b%7), id: fmt.Sprint("b", b)}
		w.chatbot(o, events.ChatbotCreated, &events.ChatbotCreatedData{Name: "bot", Settings: settings})
		for k := range 10 {
			hash := chatbot.HashKey(fmt.Sprint("key ", b, k))
			w.chatbot(o, events.ApiKeyIssued, &events.ApiKeyIssuedData{KeyID: uuid.NewString(), KeyHash: hash})
			want[hash] = o
		}
	}
	w.company("t1", events.CompanyRegistered, &events.CompanyRegisteredData{Name: "One"})
	w.company("t1", events.CompanySuspended, &events.CompanyStatusData{})
	// Two keys whose hashes share their first 64 bits, one of them with an
	// id that is not a UUID, an expiry and limits of its own.
	first, second := owner{"t0", "first"}, owner{"t0", "second"}
	twin := "0123456789abcdef" + strings.Repeat("0", 48)
	twin2 := twin[:16] + strings.Repeat("1", 48)
	expires, n := time.Now().Add(time.Hour).UTC().Truncate(time.Nanosecond), 7
	w.chatbot(first, events.ChatbotCreated, &events.ChatbotCreatedData{Name: "first"})
	// Before them, a plain key of the same chatbot: its record holds keys
	// with and without extras side by side.
	plain, plainID := chatbot.HashKey("plain"), uuid.NewString()
	w.chatbot(first, events.ApiKeyIssued, &events.ApiKeyIssuedData{KeyID: plainID, KeyHash: plain})
	w.chatbot(first, events.ApiKeyIssued, &events.ApiKeyIssuedData{KeyID: "k-first", KeyHash: twin, ExpiresAt: &expires})
	w.chatbot(first, events.ApiKeyLimitsSet, &events.ApiKeyLimitsSetData{KeyID: "k-first", Limits: events.Limits{DailyRequests: &n}})
	w.chatbot(second, events.ChatbotCreated, &events.ChatbotCreatedData{Name: "second"})
	w.chatbot(second, events.ApiKeyIssued, &events.ApiKeyIssuedData{KeyID: uuid.NewString(), KeyHash: twin2})
	w.chatbot(second, events.ChatbotPaused, &events.ChatbotStatusData{})
	// A revoked key.
	revoked := chatbot.HashKey("revoked")
	w.chatbot(second, events.ApiKeyIssued, &events.ApiKeyIssuedData{KeyID: "k-revoked", KeyHash: revoked})
	w.chatbot(second, events.ApiKeyRevoked, &events.ApiKeyRevokedData{KeyID: "k-revoked"})

	var buf bytes.Buffer
	if err := w.x.view().encode(&buf); err != nil {
		t.Fatal(err)
	}
	if buf.Len() == 0 {
		t.Fatal("an empty snapshot")
	}
	raw := bytes.Clone(buf.Bytes())
	y, err := decodeIndex(&buf)
	if err != nil {
		t.Fatal(err)
	}
	for name, idx := range map[string]*keyIndex{"built": w.x, "read back": y} {
		if idx.at() != w.pos || idx.size() != len(want)+4 {
			t.Errorf("%s: position %d, %d keys; want %d, %d", name, idx.at(), idx.size(), w.pos, len(want)+4)
		}
		if f, ok, _ := idx.find(plain); !ok || f.Chatbot.ID != "first" || f.Key.ID != plainID || f.Key.ExpiresAt != nil || f.Key.Limits != (events.Limits{}) {
			t.Errorf("%s: the plain key: %v %+v", name, ok, f.Key)
		}
		for hash, o := range want {
			f, ok, _ := idx.find(hash)
			if !ok || f.Chatbot.ID != o.id || f.Chatbot.CompanyID != o.tenant || chatbot.Reply(f.Chatbot.Settings, "a REFUND") != "Within 30 days." {
				t.Fatalf("%s: key %s: found %v, chatbot %+v, want %v", name, hash[:8], ok, f.Chatbot, o)
			}
			if o.tenant == "t1" && f.Company.Status != company.StatusSuspended {
				t.Fatalf("%s: the company of %v: %+v, want suspended", name, o, f.Company)
			}
		}
		f, ok, _ := idx.find(twin)
		if !ok || f.Chatbot.ID != "first" || f.Key.ID != "k-first" || f.Key.ExpiresAt == nil || !f.Key.ExpiresAt.Equal(expires) ||
			f.Key.Limits.DailyRequests == nil || *f.Key.Limits.DailyRequests != 7 || !f.Key.Live(time.Now()) || f.Key.Live(expires) {
			t.Errorf("%s: first twin: %v %+v", name, ok, f.Key)
		}
		if f, ok, _ := idx.find(twin2); !ok || f.Chatbot.ID != "second" || f.Chatbot.Status != chatbot.StatusPaused {
			t.Errorf("%s: second twin: %v %+v", name, ok, f.Chatbot)
		}
		if _, ok, indexed := idx.find(revoked); ok || !indexed {
			t.Errorf("%s: a revoked key: found %v, indexed %v; want not found, indexed", name, ok, indexed)
		}
		if _, ok, indexed := idx.find(chatbot.HashKey("never issued")); ok || indexed {
			t.Errorf("%s: a key never issued: found %v, indexed %v", name, ok, indexed)
		}
		if _, ok, _ := idx.find("not a hash"); ok {
			t.Errorf("%s: not a hash was found", name)
		}
	}
	if _, err := decodeIndex(strings.NewReader("something else")); err == nil {
		t.Error("a foreign object read as a snapshot")
	}
	if _, err := decodeIndex(bytes.NewReader(raw[:len(raw)/2])); err == nil {
		t.Errorf("half of a snapshot (%d of %d bytes) was read", len(raw)/2, len(raw))
	}
}

func TestChatbotsWithTheSameSettingsShareOneCopy(t *testing.T) {
	s := events.ChatbotSettings{FallbackReply: "Pardon?", Replies: []events.KeywordReply{{Keywords: []string{"a"}, Reply: "b"}}}
	a, b := interned(s), interned(events.ChatbotSettings{FallbackReply: "Pardon?", Replies: []events.KeywordReply{{Keywords: []string{"a"}, Reply: "b"}}})
	if a != b {
		t.Error("equal settings were not shared")
	}
	if c := interned(events.ChatbotSettings{FallbackReply: "Other"}); c == a {
		t.Error("different settings were shared")
	}
}
