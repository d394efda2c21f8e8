package events_test

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/chatbotsaas/chatbot/events"
)

func redacted(t *testing.T, reg *events.Registry, typ string, version int, data any) map[string]any {
	t.Helper()
	raw, err := json.Marshal(data)
	if err != nil {
		t.Fatalf("json.Marshal: %v", err)
	}
	got := reg.Redact(events.Envelope{Type: typ, Version: version, Data: raw})
	var out map[string]any
	if err := json.Unmarshal(got.Data, &out); err != nil {
		t.Fatalf("%s redacted to %s: %v", typ, got.Data, err)
	}
	return out
}

func at(v any, path ...string) any {
	for _, p := range path {
		m, _ := v.(map[string]any)
		v = m[p]
	}
	return v
}

func TestRedactionHidesSecretsNotTheirNamesakes(t *testing.T) {
	reg := events.Default
	t.Run("the password policy and token lifetimes are shown", func(t *testing.T) {
		cfg := events.PlatformConfig{
			Tokens:   events.TokensConfig{AccessTTLSeconds: 900, RefreshIdleTTLSeconds: 60, RefreshAbsoluteTTLSeconds: 120, RefreshReuseGraceSeconds: 10},
			Password: events.PasswordConfig{MinLength: 14},
		}
		got := redacted(t, reg, events.ConfigurationChanged, 1, events.ConfigurationChangedData{Changed: []string{"password", "tokens"}, Config: cfg})
		for path, want := range map[string]float64{"password.min_length": 14, "tokens.access_ttl_seconds": 900,
			"tokens.refresh_idle_ttl_seconds": 60, "tokens.refresh_absolute_ttl_seconds": 120, "tokens.refresh_reuse_grace_seconds": 10} {
			if v := at(got, append([]string{"config"}, strings.Split(path, ".")...)...); v != want {
				t.Errorf("config.%s = %v, want %v", path, v, want)
			}
		}
	})
	t.Run("key and token hashes are hidden", func(t *testing.T) {
		key := redacted(t, reg, events.ApiKeyIssued, 1, events.ApiKeyIssuedData{KeyID: "k1", Name: "prod", KeyHash: "abc123", Prefix: "cbk_ab", Last4: "wxyz"})
		if key["key_hash"] != events.Redacted || key["key_id"] != "k1" || key["last4"] != "wxyz" || key["name"] != "prod" {
			t.Errorf("ApiKeyIssued redacted to %v", key)
		}
		started := redacted(t, reg, events.SessionStarted, 1, events.SessionStartedData{UserID: "u1", TokenHash: "abc123", IP: "192.0.2.1"})
		if started["token_hash"] != events.Redacted || started["user_id"] != "u1" || started["ip"] != "192.0.2.1" {
			t.Errorf("SessionStarted redacted to %v", started)
		}
		rotated := redacted(t, reg, events.RefreshTokenRotated, 1, events.RefreshTokenRotatedData{TokenHash: "abc", PreviousHash: "def", IdleTTLSeconds: 60})
		if rotated["token_hash"] != events.Redacted || rotated["previous_hash"] != events.Redacted || rotated["idle_ttl_seconds"] != float64(60) {
			t.Errorf("RefreshTokenRotated redacted to %v", rotated)
		}
	})
	t.Run("an unknown type is hidden whole", func(t *testing.T) {
		got := reg.Redact(events.Envelope{Type: "NotAType", Version: 1, Data: json.RawMessage(`{"name":"x"}`)})
		if string(got.Data) != `"[redacted]"` {
			t.Errorf("unknown type redacted to %s", got.Data)
		}
	})
}

type vault struct {
	Label   string `json:"label"`
	Entries []struct {
		Secret string `json:"secret" audit:"secret"`
		Note   string `json:"note"`
	} `json:"entries"`
	ByName map[string]struct {
		Seed string `json:"s" audit:"secret"`
	} `json:"by_name"`
}

func TestRedactionFollowsListsMapsAndUpcasts(t *testing.T) {
	reg := events.NewRegistry()
	events.Register[vault](reg, "Vaulted", 2, "test")
	reg.Upcast("Vaulted", 1, func(d json.RawMessage) (json.RawMessage, error) {
		return json.RawMessage(strings.Replace(string(d), `"old_label"`, `"label"`, 1)), nil
	})
	raw := `{"old_label":"l","entries":[{"secret":"a","note":"n"},{"secret":"b"}],"by_name":{"x":{"s":"c"},"y":{"s":null}}}`
	got := reg.Redact(events.Envelope{Type: "Vaulted", Version: 1, Data: json.RawMessage(raw)})
	want := `{"by_name":{"x":{"s":"[redacted]"},"y":{"s":null}},"entries":[{"note":"n","secret":"[redacted]"},{"secret":"[redacted]"}],"label":"l"}`
	if string(got.Data) != want || got.Version != 2 {
		t.Errorf("got version %d %s\nwant version 2 %s", got.Version, got.Data, want)
	}
}
