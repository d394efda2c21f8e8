// Package chatbot is the chatbot aggregate: a company's chatbot, how it
// answers, its limits and its API keys. It is pure.
package chatbot

import (
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
