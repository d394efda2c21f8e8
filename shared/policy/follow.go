package policy

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	"github.com/nats-io/nats.go/jetstream"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/chatbotsaas/chatbot/events"
)

// Subject is where configuration changes are stored.
var Subject = events.Subject(events.PlatformTenant, events.AggregateConfig, events.ConfigID, events.ConfigurationChanged)

// Follow applies the latest stored configuration to h, then every change,
// until ctx ends; onChange runs after each. It returns once the latest is
// applied, so a process serves only under the configuration in force.
func Follow(ctx context.Context, js jetstream.JetStream, h *Holder, onChange func(Policy), log *slog.Logger) error {
	cfg := jetstream.OrderedConsumerConfig{FilterSubjects: []string{Subject}, DeliverPolicy: jetstream.DeliverLastPerSubjectPolicy}
	return events.Follow(ctx, js, cfg, "configuration", 30*time.Second, func(env events.Envelope) error {
		data, err := events.Default.Decode(&env)
		if err != nil {
			return fmt.Errorf("a configuration change cannot be read; keeping the one in force: %w", err)
		}
		p := FromConfig(data.(*events.ConfigurationChangedData).Config)
		h.Set(p)
		h.position.Store(env.Position)
		if onChange != nil {
			onChange(p)
		}
		log.Info("configuration applied", "position", env.Position)
		return nil
	}, log)
}

// Metric reports which configuration each process has in force, so that
// an operator sees every process (command, query, projector) apply a change.
func Metric(reg prometheus.Registerer, h *Holder) {
	reg.MustRegister(prometheus.NewGaugeFunc(prometheus.GaugeOpts{
		Name: "chatbot_config_position",
		Help: "Stream position of the platform configuration this process has in force (0: the defaults).",
	}, func() float64 { return float64(h.Position()) }))
}
