package natsx

import (
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
)

// Bounded is JetStream whose calls on the request path (publishes, gets,
// key-value reads and writes, on it and on the streams and buckets it
// hands out) each end within a bound well below a request's deadline,
// fail at once while the connection is down, and end at once when it
// drops. A request that meets an outage then answers 503 in a moment
// instead of waiting out its deadline: the client library holds a call
// made while reconnecting, and a call in flight when the server went
// away, until its context ends. Setting up streams and buckets is not
// bounded: that happens at start.
type Bounded struct {
	jetstream.JetStream
	bound time.Duration

	mu   sync.Mutex
	up   context.Context // ends when the connection drops
	drop context.CancelFunc
}

// NewBounded bounds js's calls by bound.
func NewBounded(js jetstream.JetStream, bound time.Duration) *Bounded {
	b := &Bounded{JetStream: js, bound: bound}
	b.up, b.drop = context.WithCancel(context.Background())
	nc := js.Conn()
	go b.follow(nc.StatusChanged())
	if nc.Status() != nats.CONNECTED {
		b.drop()
	}
	return b
}

// follow ends the calls in flight when the connection drops and lets
// calls through again once it is back.
func (b *Bounded) follow(changes chan nats.Status) {
	for st := range changes {
		b.mu.Lock()
		if st == nats.CONNECTED {
			if b.up.Err() != nil {
				b.up, b.drop = context.WithCancel(context.Background())
			}
		} else {
			b.drop()
		}
		b.mu.Unlock()
		if st == nats.CLOSED {
			return
		}
	}
}

func (b *Bounded) current() context.Context {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.up
}

// Bound is ctx limited to the bound and ended when the connection drops,
// for a call made through another package on this connection (a batch
// publish or get). done releases it and returns the call's error, marked
// as a lost connection when that is what ended the call.
func (b *Bounded) Bound(ctx context.Context) (bounded context.Context, done func(error) error) {
	up := b.current()
	ctx, cancel := context.WithTimeout(ctx, b.bound)
	stop := context.AfterFunc(up, cancel)
	return ctx, func(err error) error {
		stop()
		cancel()
		if err != nil && up.Err() != nil {
			return fmt.Errorf("%w: %w", nats.ErrDisconnected, err)
		}
		return err
	}
}

// ready fails while the connection is not up: what is sent then waits in a
// buffer for a server that may be gone for longer than the request.
func (b *Bounded) ready() error {
	if st := b.Conn().Status(); st != nats.CONNECTED || b.current().Err() != nil {
		return fmt.Errorf("NATS connection %s: %w", st, nats.ErrConnectionReconnecting)
	}
	return nil
}

func bounded[T any](b *Bounded, ctx context.Context, call func(context.Context) (T, error)) (T, error) {
	if err := b.ready(); err != nil {
		var zero T
		return zero, err
	}
	ctx, done := b.Bound(ctx)
	v, err := call(ctx)
	return v, done(err)
}

func (b *Bounded) Publish(ctx context.Context, subject string, payload []byte, opts ...jetstream.PublishOpt) (*jetstream.PubAck, error) {
	return bounded(b, ctx, func(ctx context.Context) (*jetstream.PubAck, error) {
		return b.JetStream.Publish(ctx, subject, payload, opts...)
	})
}

func (b *Bounded) PublishMsg(ctx context.Context, msg *nats.Msg, opts ...jetstream.PublishOpt) (*jetstream.PubAck, error) {
	return bounded(b, ctx, func(ctx context.Context) (*jetstream.PubAck, error) { return b.JetStream.PublishMsg(ctx, msg, opts...) })
}

func (b *Bounded) Stream(ctx context.Context, name string) (jetstream.Stream, error) {
	return b.stream(b.JetStream.Stream(ctx, name))
}

func (b *Bounded) CreateStream(ctx context.Context, cfg jetstream.StreamConfig) (jetstream.Stream, error) {
	return b.stream(b.JetStream.CreateStream(ctx, cfg))
}

func (b *Bounded) UpdateStream(ctx context.Context, cfg jetstream.StreamConfig) (jetstream.Stream, error) {
	return b.stream(b.JetStream.UpdateStream(ctx, cfg))
}

func (b *Bounded) CreateOrUpdateStream(ctx context.Context, cfg jetstream.StreamConfig) (jetstream.Stream, error) {
	return b.stream(b.JetStream.CreateOrUpdateStream(ctx, cfg))
}

func (b *Bounded) KeyValue(ctx context.Context, bucket string) (jetstream.KeyValue, error) {
	return b.kv(b.JetStream.KeyValue(ctx, bucket))
}

func (b *Bounded) CreateKeyValue(ctx context.Context, cfg jetstream.KeyValueConfig) (jetstream.KeyValue, error) {
	return b.kv(b.JetStream.CreateKeyValue(ctx, cfg))
}

func (b *Bounded) CreateOrUpdateKeyValue(ctx context.Context, cfg jetstream.KeyValueConfig) (jetstream.KeyValue, error) {
	return b.kv(b.JetStream.CreateOrUpdateKeyValue(ctx, cfg))
}

func (b *Bounded) stream(s jetstream.Stream, err error) (jetstream.Stream, error) {
	if err != nil {
		return nil, err
	}
	return boundedStream{Stream: s, b: b}, nil
}

func (b *Bounded) kv(kv jetstream.KeyValue, err error) (jetstream.KeyValue, error) {
	if err != nil {
		return nil, err
	}
	return boundedKV{KeyValue: kv, b: b}, nil
}

// boundedStream bounds a stream's reads.
type boundedStream struct {
	jetstream.Stream
	b *Bounded
}

func (s boundedStream) Info(ctx context.Context, opts ...jetstream.StreamInfoOpt) (*jetstream.StreamInfo, error) {
	return bounded(s.b, ctx, func(ctx context.Context) (*jetstream.StreamInfo, error) { return s.Stream.Info(ctx, opts...) })
}

func (s boundedStream) GetMsg(ctx context.Context, seq uint64, opts ...jetstream.GetMsgOpt) (*jetstream.RawStreamMsg, error) {
	return bounded(s.b, ctx, func(ctx context.Context) (*jetstream.RawStreamMsg, error) { return s.Stream.GetMsg(ctx, seq, opts...) })
}

func (s boundedStream) GetLastMsgForSubject(ctx context.Context, subject string) (*jetstream.RawStreamMsg, error) {
	return bounded(s.b, ctx, func(ctx context.Context) (*jetstream.RawStreamMsg, error) {
		return s.Stream.GetLastMsgForSubject(ctx, subject)
	})
}
