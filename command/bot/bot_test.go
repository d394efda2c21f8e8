package bot

import (
	"bytes"
	"fmt"
	"strings"
	"testing"

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

func TestTheKeyIndexFindsEveryOwnerAndSurvivesItsSnapshot(t *testing.T) {
	x := newKeyIndex()
	want := map[string]owner{}
	for i := range 3*mergeAt + 5 { // several merges and a recent tail
		hash := chatbot.HashKey(fmt.Sprint("key ", i))
		o := owner{tenant: fmt.Sprint("t", i%7), id: fmt.Sprint("b", i/10)}
		x.add(hash, o, uint64(i+1))
		want[hash] = o
	}
	// Two keys whose hashes share their first 64 bits.
	twin := "0123456789abcdef" + strings.Repeat("0", 48)
	x.add(twin, owner{"t0", "first"}, 1e6)
	x.add(twin[:16]+strings.Repeat("1", 48), owner{"t0", "second"}, 1e6+1)
	var buf bytes.Buffer
	if err := x.view().encode(&buf); err != nil {
		t.Fatal(err)
	}
	y, err := decodeIndex(&buf)
	if err != nil {
		t.Fatal(err)
	}
	for name, idx := range map[string]*keyIndex{"built": x, "read back": y} {
		if idx.at() != 1e6+1 || idx.size() != len(want)+2 {
			t.Errorf("%s: position %d, %d keys", name, idx.at(), idx.size())
		}
		for hash, o := range want {
			if got := idx.candidates(hash); len(got) != 1 || got[0] != o {
				t.Fatalf("%s: owners of %s: %v, want %v", name, hash, got, o)
			}
		}
		if got := idx.candidates(twin); len(got) != 2 || got[0].id != "first" || got[1].id != "second" {
			t.Errorf("%s: twin prefixes: %v", name, got)
		}
		if got := idx.candidates("not a hash"); got != nil {
			t.Errorf("%s: not a hash: %v", name, got)
		}
	}
	if _, err := decodeIndex(strings.NewReader("something else")); err == nil {
		t.Error("a foreign object read as a snapshot")
	}
}
