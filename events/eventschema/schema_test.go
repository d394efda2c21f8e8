package eventschema_test

import (
	"context"
	"crypto/rand"
	"encoding/json"
	"regexp"
	"strings"
	"testing"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/chatbotsaas/chatbot/events"
	"github.com/chatbotsaas/chatbot/events/eventschema"
	"github.com/chatbotsaas/chatbot/shared/pii"
	"github.com/chatbotsaas/chatbot/shared/testkit"
)

func TestPersonalFieldsAreDescribedSealed(t *testing.T) {
	s, err := eventschema.ForType(events.Default, events.UserRegistered, 1)
	if err != nil {
		t.Fatal(err)
	}
	props := s["properties"].(map[string]any)
	for field, personal := range map[string]bool{"email": true, "name": true, "role": false, "company_id": false} {
		_, has := props[field].(map[string]any)["pattern"]
		if has != personal {
			t.Errorf("%s: sealed pattern %v, want %v", field, has, personal)
		}
	}
	// A value the vault really sealed matches the documented pattern.
	js, err := jetstream.New(testkit.StartNATS(t).Conn)
	if err != nil {
		t.Fatalf("connect JetStream: %v", err)
	}
	kek := make([]byte, 32)
	if _, err := rand.Read(kek); err != nil {
		t.Fatalf("draw random bytes: %v", err)
	}
	vault, err := pii.Open(context.Background(), js, kek, 1)
	if err != nil {
		t.Fatal(err)
	}
	email := "ann@example.com"
	if err := vault.Seal(context.Background(), "u1", []*string{&email}); err != nil {
		t.Fatal(err)
	}
	pattern := props["email"].(map[string]any)["pattern"].(string)
	if !regexp.MustCompile(pattern).MatchString(email) || regexp.MustCompile(pattern).MatchString("ann@example.com") {
		t.Errorf("pattern %s: sealed %q should match and the clear value should not", pattern, email)
	}
}

func TestSchemasAreStandaloneAndOpen(t *testing.T) {
	s, err := eventschema.ForType(events.Default, events.ConfigurationChanged, 1)
	if err != nil {
		t.Fatal(err)
	}
	b, err := json.Marshal(s)
	if err != nil {
		t.Fatalf("json.Marshal: %v", err)
	}
	if s["$schema"] != eventschema.Dialect || s["type"] != "object" {
		t.Errorf("not a JSON Schema document: %s", b)
	}
	defs, _ := s["$defs"].(map[string]any)
	if _, ok := defs["PlatformConfig"]; !ok || !strings.Contains(string(b), `"#/$defs/PlatformConfig"`) {
		t.Errorf("nested types are not defined in the document: %s", b)
	}
	if strings.Contains(string(b), `"additionalProperties":false`) {
		t.Errorf("closed objects would refuse a field added later: %s", b)
	}
	env, err := eventschema.ForEnvelope()
	if err != nil {
		t.Fatal(err)
	}
	if req, _ := env["required"].([]any); len(req) == 0 || strings.Contains(mustJSON(t, env), "Position") {
		t.Errorf("envelope schema: %s", mustJSON(t, env))
	}
}

type ratedV1 struct {
	Name string `json:"name"`
}

type ratedV2 struct {
	Title string `json:"title"`
}

func TestEveryVersionNeedsItsType(t *testing.T) {
	reg := events.NewRegistry()
	events.Register[ratedV2](reg, "Rated", 2, "a film was rated")
	if _, err := eventschema.Markdown(reg); err == nil {
		t.Error("version 1 has no Go type, yet the catalog was generated")
	}
	events.RegisterPast[ratedV1](reg, "Rated", 1)
	md, err := eventschema.Markdown(reg)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{`id="schema-Rated-v1"`, `"name"`, `id="schema-Rated-v2"`, `"title"`} {
		if !strings.Contains(string(md), want) {
			t.Errorf("the catalog lacks %s", want)
		}
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
