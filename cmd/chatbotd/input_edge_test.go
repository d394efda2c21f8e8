package main

import (
	"encoding/json"
	"strings"
	"testing"
)

// raw sends body as it is, so that keys can be repeated or cased at will.
func (c client) raw(method, path, body string, headers ...string) reply {
	c.t.Helper()
	return c.do(method, path, json.RawMessage(body), headers...)
}

// JSON keys match exactly on the real routes: the bot API, a create and a
// PATCH, nested objects included; and no decoder words reach a client.
func TestJSONKeysMatchExactlyOnTheRoutes(t *testing.T) {
	c, _ := startIdentity(t)
	cid, tok, _ := owner(t, c, "edge@example.com")
	chatbots := "/v1/companies/" + cid + "/chatbots"
	created := c.do("POST", chatbots, map[string]any{"name": "Helpdesk", "settings": helpdeskSettings}, bearer(tok)...)
	if created.status != 201 {
		t.Fatalf("create chatbot: %d %s", created.status, created.raw)
	}
	chatbot := chatbots + "/" + created.str("id")
	issued := c.do("POST", chatbot+"/api-keys", map[string]any{"name": "website"}, bearer(tok)...)
	if issued.status != 201 {
		t.Fatalf("issue key: %d %s", issued.status, issued.raw)
	}
	key := []string{"Authorization", "Bearer " + issued.str("key")}

	cases := []struct {
		name, method, path, body string
		auth                     []string
	}{
		{"the bot API with a key in another case", "POST", "/v1/bot/messages", `{"message":"hi","MESSAGE":"` + strings.Repeat("x", 1000) + `"}`, key},
		{"the bot API with a conversation id in another case", "POST", "/v1/bot/messages", `{"message":"hi","CONVERSATION_ID":"not a valid id!"}`, key},
		{"the bot API with a key given twice", "POST", "/v1/bot/messages", `{"message":"hi","message":"price"}`, key},
		{"a create with a key in another case", "POST", chatbots, `{"name":"A","NAME":"B"}`, bearer(tok)},
		{"a create with a nested key given twice", "POST", chatbots, `{"name":"A","settings":{"greeting":"a","greeting":"b"}}`, bearer(tok)},
		{"a create with a nested key in another case", "POST", chatbots, `{"name":"A","settings":{"fallback_reply":"a","Fallback_Reply":"b"}}`, bearer(tok)},
		{"a PATCH with a key in another case", "PATCH", chatbot, `{"Name":"B"}`, bearer(tok)},
		{"a PATCH with a key given twice", "PATCH", chatbot, `{"name":"B","name":"C"}`, bearer(tok)},
		{"a PATCH with a key given twice inside a list", "PATCH", chatbot, `{"settings":{"replies":[{"keywords":["a"],"reply":"r","reply":"s"}]}}`, bearer(tok)},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r := c.raw(tc.method, tc.path, tc.body, tc.auth...)
			if r.status != 400 || r.str("code") != "invalid_request" {
				t.Fatalf("got %d %s, want 400 invalid_request", r.status, r.raw)
			}
		})
	}
	t.Run("nothing was billed or changed", func(t *testing.T) {
		if r := c.do("GET", chatbot, nil, append(bearer(tok), "X-Min-Position", created.header.Get("X-Event-Position"))...); r.str("name") != "Helpdesk" {
			t.Errorf("the chatbot after refused PATCHes: %s", r.raw)
		}
		r := c.raw("POST", "/v1/bot/messages", `{"message":"hi"}`, key...)
		usage, _ := r.body["usage"].(map[string]any)
		if r.status != 200 || usage["requests_today"] != float64(1) {
			t.Errorf("the first accepted call: %d %s, want requests_today 1", r.status, r.raw)
		}
	})
	t.Run("a number out of range is a sentence", func(t *testing.T) {
		r := c.raw("PUT", chatbot+"/limits", `{"requests_per_minute":1e400}`, bearer(tok)...)
		if r.status != 400 || strings.Contains(r.raw, "json:") || strings.Contains(r.raw, "Go value") || strings.Contains(r.raw, "float64") {
			t.Errorf("got %d %s", r.status, r.raw)
		}
	})
}
