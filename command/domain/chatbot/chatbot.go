// Package chatbot is the chatbot aggregate: a company's chatbot, how it
// answers, its limits and its API keys. It is pure.
package chatbot

import (
	"strconv"
	"strings"
	"time"

	"github.com/chatbotsaas/chatbot/command/domain/limits"
	"github.com/chatbotsaas/chatbot/events"
	"github.com/chatbotsaas/chatbot/shared/apperr"
)

// Statuses.
const (
	StatusActive  = "active"
	StatusPaused  = "paused"
	StatusDeleted = "deleted"
)

// MaxLiveKeys is how many unrevoked, unexpired keys a chatbot may have.
const MaxLiveKeys = 10

// Sizes of what a chatbot holds.
const (
	MaxNameLen        = 100
	MaxDescriptionLen = 1000
	MaxReplyLen       = 2000
	MaxReplies        = 100
	MaxKeywords       = 20
	MaxKeywordLen     = 100
	MaxKeyNameLen     = 100
)

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

// Chatbot is the state of one chatbot.
type Chatbot struct {
	ID          string                 `json:"id"`
	CompanyID   string                 `json:"company_id"`
	Name        string                 `json:"name"`
	Description string                 `json:"description"`
	Settings    events.ChatbotSettings `json:"settings"`
	Status      string                 `json:"status"` // "" until created
	Limits      events.Limits          `json:"limits"`
	Keys        []Key                  `json:"keys"`
	CreatedAt   time.Time              `json:"created_at"`
}

// Apply folds one event into the state.
func (c *Chatbot) Apply(e events.Envelope, data any) {
	switch d := data.(type) {
	case *events.ChatbotCreatedData:
		c.ID, c.CompanyID, c.Name, c.Description, c.Settings = e.AggregateID, e.TenantID, d.Name, d.Description, d.Settings
		c.Status, c.CreatedAt = StatusActive, e.OccurredAt
	case *events.ChatbotUpdatedData:
		if d.Name != nil {
			c.Name = *d.Name
		}
		if d.Description != nil {
			c.Description = *d.Description
		}
		if d.Settings != nil {
			c.Settings = *d.Settings
		}
	case *events.ChatbotStatusData:
		switch e.Type {
		case events.ChatbotPaused:
			c.Status = StatusPaused
		case events.ChatbotResumed:
			c.Status = StatusActive
		case events.ChatbotDeleted:
			c.Status = StatusDeleted
		}
	case *events.ChatbotLimitsSetData:
		c.Limits = d.Limits
	case *events.ApiKeyIssuedData:
		c.Keys = append(c.Keys, Key{ID: d.KeyID, Name: d.Name, Hash: d.KeyHash, Prefix: d.Prefix, Last4: d.Last4,
			ExpiresAt: d.ExpiresAt, CreatedAt: e.OccurredAt})
	case *events.ApiKeyLimitsSetData:
		c.applyKeyLimits(d)
	case *events.ApiKeyRevokedData:
		for i := range c.Keys {
			if c.Keys[i].ID == d.KeyID && c.Keys[i].RevokedAt == nil {
				at := e.OccurredAt
				c.Keys[i].RevokedAt = &at
			}
		}
	}
}

// Exists reports whether the chatbot was created and not deleted.
func (c *Chatbot) Exists() bool { return c.Status != "" && c.Status != StatusDeleted }

// Key returns the chatbot's key with id.
func (c *Chatbot) Key(id string) (Key, bool) {
	for _, k := range c.Keys {
		if k.ID == id {
			return k, true
		}
	}
	return Key{}, false
}

// Create makes the chatbot.
func (c *Chatbot) Create(name, description string, settings events.ChatbotSettings) ([]events.Event, error) {
	if c.Status != "" {
		return nil, apperr.New(apperr.KindConflict, "conflict", "the chatbot exists")
	}
	name, description, settings, err := check(name, description, settings)
	if err != nil {
		return nil, err
	}
	return []events.Event{{Type: events.ChatbotCreated, Data: events.ChatbotCreatedData{Name: name, Description: description, Settings: settings}}}, nil
}

// Patch is a change to a chatbot; nil fields stay.
type Patch struct {
	Name        *string
	Description *string
	Settings    *events.ChatbotSettings
	Status      *string
}

// Update applies a patch: one ChatbotUpdated with what changed, and a
// pause or resume.
func (c *Chatbot) Update(p Patch) ([]events.Event, error) {
	if !c.Exists() {
		return nil, apperr.NotFound("chatbot")
	}
	name, description, settings := c.Name, c.Description, c.Settings
	if p.Name != nil {
		name = *p.Name
	}
	if p.Description != nil {
		description = *p.Description
	}
	if p.Settings != nil {
		settings = *p.Settings
	}
	name, description, settings, err := check(name, description, settings)
	if err != nil {
		return nil, err
	}
	var evs []events.Event
	var upd events.ChatbotUpdatedData
	changed := false
	if p.Name != nil && name != c.Name {
		upd.Name, changed = &name, true
	}
	if p.Description != nil && description != c.Description {
		upd.Description, changed = &description, true
	}
	if p.Settings != nil && !sameSettings(settings, c.Settings) {
		upd.Settings, changed = &settings, true
	}
	if changed {
		evs = append(evs, events.Event{Type: events.ChatbotUpdated, Data: upd})
	}
	if p.Status != nil && *p.Status != c.Status {
		switch *p.Status {
		case StatusPaused:
			evs = append(evs, events.Event{Type: events.ChatbotPaused, Data: events.ChatbotStatusData{}})
		case StatusActive:
			evs = append(evs, events.Event{Type: events.ChatbotResumed, Data: events.ChatbotStatusData{}})
		default:
			return nil, apperr.Validation(apperr.FieldError{Field: "status", Message: "must be active or paused"})
		}
	}
	return evs, nil
}

// Delete deletes the chatbot; its keys stop working with it.
func (c *Chatbot) Delete() ([]events.Event, error) {
	if !c.Exists() {
		return nil, apperr.NotFound("chatbot")
	}
	return []events.Event{{Type: events.ChatbotDeleted, Data: events.ChatbotStatusData{}}}, nil
}

// SetLimits replaces the chatbot's own limits.
func (c *Chatbot) SetLimits(l events.Limits) ([]events.Event, error) {
	if !c.Exists() {
		return nil, apperr.NotFound("chatbot")
	}
	if errs := limits.Check(l, "", "the company's default"); len(errs) > 0 {
		return nil, apperr.Validation(errs...)
	}
	return []events.Event{{Type: events.ChatbotLimitsSet, Data: events.ChatbotLimitsSetData{Limits: l}}}, nil
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

// check trims and validates what a chatbot says.
func check(name, description string, s events.ChatbotSettings) (string, string, events.ChatbotSettings, error) {
	var errs []apperr.FieldError
	bad := func(field, msg string) { errs = append(errs, apperr.FieldError{Field: field, Message: msg}) }
	name, description = strings.TrimSpace(name), strings.TrimSpace(description)
	if name == "" || len([]rune(name)) > MaxNameLen {
		bad("name", "must be 1 to 100 characters")
	}
	if len([]rune(description)) > MaxDescriptionLen {
		bad("description", "must be at most 1000 characters")
	}
	if len([]rune(s.Greeting)) > MaxReplyLen {
		bad("settings.greeting", "must be at most 2000 characters")
	}
	if len([]rune(s.FallbackReply)) > MaxReplyLen {
		bad("settings.fallback_reply", "must be at most 2000 characters")
	}
	if len(s.Replies) > MaxReplies {
		bad("settings.replies", "at most 100 replies")
	}
	out := events.ChatbotSettings{Greeting: s.Greeting, FallbackReply: s.FallbackReply, Replies: []events.KeywordReply{}}
	for i, r := range s.Replies {
		field := "settings.replies[" + itoa(i) + "]"
		if strings.TrimSpace(r.Reply) == "" || len([]rune(r.Reply)) > MaxReplyLen {
			bad(field+".reply", "must be 1 to 2000 characters")
		}
		if len(r.Keywords) == 0 || len(r.Keywords) > MaxKeywords {
			bad(field+".keywords", "must hold 1 to 20 keywords")
		}
		kws := make([]string, 0, len(r.Keywords))
		for j, k := range r.Keywords {
			k = strings.TrimSpace(k)
			if k == "" || len([]rune(k)) > MaxKeywordLen {
				bad(field+".keywords["+itoa(j)+"]", "must be 1 to 100 characters")
			}
			kws = append(kws, k)
		}
		out.Replies = append(out.Replies, events.KeywordReply{Keywords: kws, Reply: r.Reply})
	}
	if len(errs) > 0 {
		return "", "", events.ChatbotSettings{}, apperr.Validation(errs...)
	}
	return name, description, out, nil
}

func sameSettings(a, b events.ChatbotSettings) bool {
	if a.Greeting != b.Greeting || a.FallbackReply != b.FallbackReply || len(a.Replies) != len(b.Replies) {
		return false
	}
	for i := range a.Replies {
		if a.Replies[i].Reply != b.Replies[i].Reply || strings.Join(a.Replies[i].Keywords, "\x00") != strings.Join(b.Replies[i].Keywords, "\x00") {
			return false
		}
	}
	return true
}

func itoa(i int) string { return strconv.Itoa(i) }

// Reply is the chatbot's answer to message: the first reply one of whose
// keywords occurs in it (case-insensitive), else the fallback.
func Reply(s events.ChatbotSettings, message string) string {
	lower := strings.ToLower(message)
	for _, r := range s.Replies {
		for _, k := range r.Keywords {
			if strings.Contains(lower, strings.ToLower(k)) {
				return r.Reply
			}
		}
	}
	return s.FallbackReply
}
