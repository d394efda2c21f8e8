package chatbot

import (
	"strings"
	"time"

	"github.com/chatbotsaas/chatbot/events"
	"github.com/chatbotsaas/chatbot/shared/apperr"
)

// MaxLiveKeys is how many unrevoked, unexpired keys a chatbot may have.
const MaxLiveKeys = 10

// Key is one API key as the chatbot knows it.
type Key struct {
	ID        string     `json:"id"`
	Name      string     `json:"name"`
	Hash      string     `json:"hash"`
	Prefix    string     `json:"prefix"`
	Last4     string     `json:"last4"`
	ExpiresAt *time.Time `json:"expires_at,omitempty"`
	CreatedAt time.Time  `json:"created_at"`
	RevokedAt *time.Time `json:"revoked_at,omitempty"`
	// Limits are the key's own, passed beside its chatbot's; a nil one is
	// the chatbot's alone.
	Limits events.Limits `json:"limits"`
}

// Live reports whether the key works at now.
func (k Key) Live(now time.Time) bool {
	return k.RevokedAt == nil && (k.ExpiresAt == nil || now.Before(*k.ExpiresAt))
}

// Key returns the chatbot's key with id.
func (c *Chatbot) Key(id string) (Key, bool) {
	for _, k := range c.Keys {
		if k.ID == id {
			return k, true
		}
	}
	return Key{}, false
}

// IssueKey records a new key: its id, name, hash, prefix and last four
// characters. At most MaxLiveKeys live at once.
func (c *Chatbot) IssueKey(now time.Time, id, name, hash, prefix, last4 string, expiresAt *time.Time) ([]events.Event, error) {
	if !c.Exists() {
		return nil, apperr.NotFound("chatbot")
	}
	name = strings.TrimSpace(name)
	var errs []apperr.FieldError
	if name == "" || len([]rune(name)) > MaxKeyNameLen {
		errs = append(errs, apperr.FieldError{Field: "name", Message: "must be 1 to 100 characters"})
	}
	if expiresAt != nil && !expiresAt.After(now) {
		errs = append(errs, apperr.FieldError{Field: "expires_at", Message: "must be in the future"})
	}
	if len(errs) > 0 {
		return nil, apperr.Validation(errs...)
	}
	live := 0
	for _, k := range c.Keys {
		if k.Live(now) {
			live++
		}
	}
	if live >= MaxLiveKeys {
		return nil, apperr.New(apperr.KindConflict, "conflict", "the chatbot has 10 live API keys: revoke one first")
	}
	var exp *time.Time
	if expiresAt != nil {
		t := expiresAt.UTC()
		exp = &t
	}
	return []events.Event{{Type: events.ApiKeyIssued, Data: events.ApiKeyIssuedData{
		KeyID: id, Name: name, KeyHash: hash, Prefix: prefix, Last4: last4, ExpiresAt: exp}}}, nil
}

// RevokeKey stops a key; revoking a revoked key changes nothing.
func (c *Chatbot) RevokeKey(id string) ([]events.Event, error) {
	if !c.Exists() {
		return nil, apperr.NotFound("chatbot")
	}
	k, ok := c.Key(id)
	if !ok {
		return nil, apperr.NotFound("api key")
	}
	if k.RevokedAt != nil {
		return nil, nil
	}
	return []events.Event{{Type: events.ApiKeyRevoked, Data: events.ApiKeyRevokedData{KeyID: id}}}, nil
}
