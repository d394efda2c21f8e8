package projector

import (
	"context"
	"strings"
	"sync"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/chatbotsaas/chatbot/events"
)

// RequestSubject is the subject of the rebuild requests of projection
// name ("*" for all of them).
func RequestSubject(name string) string {
	return events.Subject(events.PlatformTenant, events.AggregateProjection, name, events.ProjectionRebuildRequested)
}

// requests follows the ProjectionRebuildRequested events of the stream:
// the last one of each projection, then each new one. The leaders compare
// them with the request their row says they served last; the stream is
// the only record of a request, so nothing else needs writing to ask.
type requests struct {
	mu     sync.Mutex
	latest map[string]uint64 // projection → position of its last request
	stop   func()
}

// followRequests starts following; it returns once the consumer exists.
func followRequests(ctx context.Context, js jetstream.JetStream) (*requests, error) {
	rq := &requests{latest: map[string]uint64{}}
	cons, err := js.OrderedConsumer(ctx, events.StreamName, jetstream.OrderedConsumerConfig{
		FilterSubjects: []string{RequestSubject("*")},
		DeliverPolicy:  jetstream.DeliverLastPerSubjectPolicy,
	})
	if err != nil {
		return nil, err
	}
	cc, err := cons.Consume(func(m jetstream.Msg) {
		// events.platform.projection.<name>.ProjectionRebuildRequested
		parts := strings.Split(m.Subject(), ".")
		if len(parts) != 5 {
			return
		}
		seq := streamSeq(m)
		rq.mu.Lock()
		rq.latest[parts[3]] = max(rq.latest[parts[3]], seq)
		rq.mu.Unlock()
	})
	if err != nil {
		return nil, err
	}
	rq.stop = cc.Stop
	return rq, nil
}

// last is the position of the projection's latest request, 0 if none.
func (rq *requests) last(name string) uint64 {
	if rq == nil {
		return 0
	}
	rq.mu.Lock()
	defer rq.mu.Unlock()
	return rq.latest[name]
}

func (rq *requests) close() {
	if rq != nil && rq.stop != nil {
		rq.stop()
	}
}
