package events_test

import (
	"encoding/json"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/chatbotsaas/chatbot/events"
)

func TestTailFilterSubjects(t *testing.T) {
	cases := []struct {
		name string
		opts events.TailOptions
		want []string
	}{
		{"no filter reads every event but no timer", events.TailOptions{}, []string{"events.>"}},
		{"a tenant reads its subtree", events.TailOptions{Tenant: "acme"}, []string{"events.acme.>"}},
		{"types read one subject each, in every tenant",
			events.TailOptions{Types: []string{events.UserRegistered, events.AccountLocked}},
			[]string{"events.*.user.*.UserRegistered", "events.*.user.*.AccountLocked"}},
		{"types within a tenant", events.TailOptions{Tenant: "acme", Types: []string{events.ChatbotCreated}},
			[]string{"events.acme.chatbot.*.ChatbotCreated"}},
		{"a raw subject is used as given", events.TailOptions{Subject: "events.*.user.u1.>"}, []string{"events.*.user.u1.>"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if got := tc.opts.FilterSubjects(); !slices.Equal(got, tc.want) {
				t.Errorf("got %v, want %v", got, tc.want)
			}
		})
	}
}

func TestTailValidateNamesTheFlag(t *testing.T) {
	cases := []struct {
		name  string
		opts  events.TailOptions
		flags string // what the error must mention; empty: valid
	}{
		{"defaults", events.TailOptions{}, ""},
		{"everything that combines", events.TailOptions{Tenant: "acme", Types: []string{events.LoginFailed}, FromPosition: 3, Follow: true}, ""},
		{"subject with tenant", events.TailOptions{Subject: "events.>", Tenant: "acme"}, "--subject"},
		{"subject with type", events.TailOptions{Subject: "events.>", Types: []string{events.LoginFailed}}, "--subject"},
		{"subject outside the events", events.TailOptions{Subject: "timers.>"}, "--subject"},
		{"subject that matches everything", events.TailOptions{Subject: ">"}, "--subject"},
		{"subject with a tail after >", events.TailOptions{Subject: "events.>.user"}, "--subject"},
		{"subject with an empty token", events.TailOptions{Subject: "events..user"}, "--subject"},
		{"subject with a partial wildcard", events.TailOptions{Subject: "events.ac*.>"}, "--subject"},
		{"tenant with a dot", events.TailOptions{Tenant: "a.b"}, "--tenant"},
		{"tenant with a wildcard", events.TailOptions{Tenant: "*"}, "--tenant"},
		{"unknown type", events.TailOptions{Types: []string{"UserRegisterd"}}, "--type"},
		{"negative since", events.TailOptions{Since: -time.Hour}, "--since"},
		{"since with position", events.TailOptions{Since: time.Hour, FromPosition: 2}, "--from-position"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			err := tc.opts.Validate(events.Default)
			switch {
			case tc.flags == "" && err != nil:
				t.Errorf("refused: %v", err)
			case tc.flags != "" && err == nil:
				t.Error("accepted")
			case tc.flags != "" && !strings.Contains(err.Error(), tc.flags):
				t.Errorf("error %q does not name %s", err, tc.flags)
			}
		})
	}
}

func TestTailConsumerConfigStartsWhereAsked(t *testing.T) {
	now := time.Date(2026, 12, 1, 12, 0, 0, 0, time.UTC)
	all := events.TailOptions{}.ConsumerConfig(now)
	if all.DeliverPolicy != jetstream.DeliverAllPolicy || all.OptStartSeq != 0 || all.OptStartTime != nil {
		t.Errorf("by default: %+v", all)
	}
	if all.InactiveThreshold <= 0 {
		t.Error("no inactivity threshold: a killed tail would leave its consumer for good")
	}
	since := events.TailOptions{Since: time.Hour}.ConsumerConfig(now)
	if since.DeliverPolicy != jetstream.DeliverByStartTimePolicy || since.OptStartTime == nil || !since.OptStartTime.Equal(now.Add(-time.Hour)) {
		t.Errorf("--since 1h: %+v", since)
	}
	from := events.TailOptions{FromPosition: 42}.ConsumerConfig(now)
	if from.DeliverPolicy != jetstream.DeliverByStartSequencePolicy || from.OptStartSeq != 42 {
		t.Errorf("--from-position 42: %+v", from)
	}
}

func TestParseTypes(t *testing.T) {
	if got := events.ParseTypes(" A, B,,C,A "); !slices.Equal(got, []string{"A", "B", "C"}) {
		t.Errorf("got %v", got)
	}
	if got := events.ParseTypes(""); got != nil {
		t.Errorf("empty list: %v", got)
	}
}

const storedEnvelope = `{"id":"e1","type":"UserRegistered","version":1,"occurred_at":"2026-12-01T10:00:00.5Z",
  "tenant_id":"acme","aggregate_type":"user","aggregate_id":"u1","aggregate_version":1,
  "actor":{"type":"user","id":"u9"},"data":{"email":"pii1:c2VhbGVk","name":"pii1:bmFtZQ","role":"member"},
  "added_later":true}`

func TestFormatTailJSONIsTheStoredEnvelopeWithItsPosition(t *testing.T) {
	line, err := events.FormatTail(events.TailJSON, 7, []byte(storedEnvelope))
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(string(line), "\n") || !strings.HasPrefix(string(line), `{"position":7,"id":"e1",`) {
		t.Fatalf("line %s", line)
	}
	var got, stored map[string]any
	if err := json.Unmarshal(line, &got); err != nil {
		t.Fatalf("not JSON: %v", err)
	}
	if err := json.Unmarshal([]byte(storedEnvelope), &stored); err != nil {
		t.Fatalf("decode the stored envelope: %v", err)
	}
	delete(got, "position")
	if g, w := mustJSON(t, got), mustJSON(t, stored); g != w {
		t.Errorf("got %s, want the stored envelope %s", g, w)
	}
	if !strings.Contains(string(line), `"email":"pii1:c2VhbGVk"`) {
		t.Errorf("a personal field is not as stored: %s", line)
	}
}

func TestFormatTailText(t *testing.T) {
	line, err := events.FormatTail(events.TailText, 7, []byte(storedEnvelope))
	if err != nil {
		t.Fatal(err)
	}
	want := "7 2026-12-01T10:00:00.5Z UserRegistered tenant=acme user/u1@1 actor=user:u9"
	if string(line) != want {
		t.Errorf("got %q, want %q", line, want)
	}
}

func TestFormatTailRefusesWhatIsNoEnvelope(t *testing.T) {
	for _, raw := range []string{`not json`, `{"id":"x"}`, `[1]`} {
		if _, err := events.FormatTail(events.TailJSON, 3, []byte(raw)); err == nil {
			t.Errorf("%s was formatted", raw)
		}
	}
	if _, err := events.FormatTail("yaml", 3, []byte(storedEnvelope)); err == nil {
		t.Error("an unknown format was accepted")
	}
}

func mustJSON(t *testing.T, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatalf("encode %T: %v", v, err)
	}
	return string(b)
}
