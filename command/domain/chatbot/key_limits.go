package chatbot

import (
	"time"

	"github.com/chatbotsaas/chatbot/command/domain/limits"
	"github.com/chatbotsaas/chatbot/events"
	"github.com/chatbotsaas/chatbot/shared/apperr"
)

// A key may have limits of its own, checked with the same bounds as every
// other limit. A call with the key must pass them and its chatbot's and
// its company's: a key's limit narrows what the key may do, and one above
// its chatbot's changes nothing (the chatbot's still applies).

// IssueKeyWithLimits records a new key as IssueKey does and, when lim sets
// any limit, the key's limits in the same append.
func (c *Chatbot) IssueKeyWithLimits(now time.Time, id, name, hash, prefix, last4 string, expiresAt *time.Time, lim events.Limits) ([]events.Event, error) {
	if errs := limits.Check(lim, "limits.", "the chatbot's"); len(errs) > 0 {
		return nil, apperr.Validation(errs...)
	}
	evs, err := c.IssueKey(now, id, name, hash, prefix, last4, expiresAt)
	if err != nil || lim == (events.Limits{}) {
		return evs, err
	}
	return append(evs, events.Event{Type: events.ApiKeyLimitsSet, Data: events.ApiKeyLimitsSetData{KeyID: id, Limits: lim}}), nil
}

// SetKeyLimits replaces a key's own limits. A revoked key keeps the ones
// it had: it makes no more calls.
func (c *Chatbot) SetKeyLimits(id string, lim events.Limits) ([]events.Event, error) {
	if !c.Exists() {
		return nil, apperr.NotFound("chatbot")
	}
	k, ok := c.Key(id)
	if !ok {
		return nil, apperr.NotFound("api key")
	}
	if k.RevokedAt != nil {
		return nil, apperr.New(apperr.KindConflict, "conflict", "the API key is revoked")
	}
	if errs := limits.Check(lim, "", "the chatbot's"); len(errs) > 0 {
		return nil, apperr.Validation(errs...)
	}
	return []events.Event{{Type: events.ApiKeyLimitsSet, Data: events.ApiKeyLimitsSetData{KeyID: id, Limits: lim}}}, nil
}

func (c *Chatbot) applyKeyLimits(d *events.ApiKeyLimitsSetData) {
	for i := range c.Keys {
		if c.Keys[i].ID == d.KeyID {
			c.Keys[i].Limits = d.Limits
		}
	}
}
