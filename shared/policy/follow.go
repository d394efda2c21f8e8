package policy

import (
	"context"
	"errors"
	"log/slog"
	"sync"
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
	cons, err := js.OrderedConsumer(ctx, events.StreamName, jetstream.OrderedConsumerConfig{
		FilterSubjects: []string{Subject}, DeliverPolicy: jetstream.DeliverLastPerSubjectPolicy,
	})
	if err != nil {
		return err
	}
	ready := make(chan struct{})
	var once sync.Once
	if cons.CachedInfo().NumPending == 0 {
		once.Do(func() { close(ready) })
	}
	cc, err := cons.Consume(func(m jetstream.Msg) {
		md, _ := m.Metadata()
		var seq uint64
		if md != nil {
			seq = md.Sequence.Stream
		}
		env, err := events.Unmarshal(m.Data(), seq)
		if err == nil {
			var data any
			if data, err = events.Default.Decode(&env); err == nil {
				p := FromConfig(data.(*events.ConfigurationChangedData).Config)
				h.Set(p)
				h.position.Store(seq)
				if onChange != nil {
					onChange(p)
				}
				log.Info("configuration applied", "position", seq)
			}
		}
		if err != nil {
			log.Error("configuration change cannot be read; keeping the one in force", "position", seq, "err", err)
		}
		if md != nil && md.NumPending == 0 {
			once.Do(func() { close(ready) })
		}
	})
	if err != nil {
		return err
	}
	context.AfterFunc(ctx, cc.Stop)
	select {
	case <-ready:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	case <-time.After(30 * time.Second):
		return errors.New("the configuration could not be read within 30s")
	}
}

// Metric reports which configuration each process has in force, so that
// an operator sees every process (command, query, projector) apply a change.
func Metric(reg prometheus.Registerer, h *Holder) {
	reg.MustRegister(prometheus.NewGaugeFunc(prometheus.GaugeOpts{
		Name: "chatbot_config_position",
		Help: "Stream position of the platform configuration this process has in force (0: the defaults).",
	}, func() float64 { return float64(h.Position()) }))
}
