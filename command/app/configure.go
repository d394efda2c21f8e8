package app

import (
	"context"

	"github.com/chatbotsaas/chatbot/command/domain/config"
	"github.com/chatbotsaas/chatbot/command/eventstore"
	"github.com/chatbotsaas/chatbot/events"
	"github.com/chatbotsaas/chatbot/shared/policy"
)

// Configurator changes the platform configuration.
type Configurator struct {
	Store  *eventstore.Store
	Policy *policy.Holder // the configuration before any change was recorded
}

var configRef = eventstore.Ref{Tenant: events.PlatformTenant, Type: events.AggregateConfig, ID: events.ConfigID}

// Configure applies patch to the configuration in force and records the
// result; patch returns the keys it touched. It returns the new
// configuration and the position of the change.
func (c *Configurator) Configure(ctx context.Context, patch func(*events.PlatformConfig) []string) (events.PlatformConfig, uint64, error) {
	after, res, err := eventstore.Update(ctx, c.Store, configRef, func(cfg *config.Config) (events.PlatformConfig, []events.Event, error) {
		before := cfg.Current
		if !cfg.Set {
			before = policy.ToConfig(c.Policy.Get())
		}
		after := clone(before)
		changed := patch(&after)
		evs, err := config.Change(before, after, changed)
		return after, evs, err
	})
	if err != nil {
		return events.PlatformConfig{}, 0, err
	}
	return after, res.Position, nil
}

func clone(c events.PlatformConfig) events.PlatformConfig {
	c.CORSAllowedOrigins = append([]string(nil), c.CORSAllowedOrigins...)
	return c
}
