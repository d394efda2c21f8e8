package app

import (
	"context"

	"github.com/chatbotsaas/chatbot/command/domain/config"
	"github.com/chatbotsaas/chatbot/command/eventstore"
	"github.com/chatbotsaas/chatbot/events"
	"github.com/chatbotsaas/chatbot/shared/policy"
)

var configRef = eventstore.Ref{Tenant: events.PlatformTenant, Type: events.AggregateConfig, ID: events.ConfigID}

// ConfigureCmd changes the configuration in force: Patch returns the keys
// it touched.
type ConfigureCmd struct {
	Patch func(*events.PlatformConfig) []string
}

// ConfigAt is the configuration after a change, and where the change is.
type ConfigAt struct {
	Config   events.PlatformConfig
	Position uint64
}

// Configure changes the platform configuration and records the result.
type Configure struct {
	Store  *eventstore.Store
	Policy *policy.Holder // the configuration before any change was recorded
}

// Handle applies the patch.
func (h Configure) Handle(ctx context.Context, cmd ConfigureCmd) (ConfigAt, error) {
	after, res, err := eventstore.Update(ctx, h.Store, configRef, func(cfg *config.Config) (events.PlatformConfig, []events.Event, error) {
		before := cfg.Current
		if !cfg.Set {
			before = policy.ToConfig(h.Policy.Get())
		}
		after := clone(before)
		changed := cmd.Patch(&after)
		evs, err := config.Change(before, after, changed)
		return after, evs, err
	})
	if err != nil {
		return ConfigAt{}, err
	}
	return ConfigAt{Config: after, Position: res.Position}, nil
}

func clone(c events.PlatformConfig) events.PlatformConfig {
	c.CORSAllowedOrigins = append([]string(nil), c.CORSAllowedOrigins...)
	return c
}
