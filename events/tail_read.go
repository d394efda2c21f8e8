package events

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/nats-io/nats.go/jetstream"
)

// Tail hands emit every event the options select, in stream order, with its
// position and its body as stored. Without Follow it ends at the stream's
// last position as it was when the tail began; with Follow it goes on until
// ctx ends. Either way the end of ctx is a normal end (nil).
//
// It reads through an ordered consumer (ephemeral, unacknowledged, in
// memory), and deletes it before returning, so that a tail leaves nothing
// on the server; should the process die first, the server drops the
// consumer after a minute of inactivity.
func Tail(ctx context.Context, js jetstream.JetStream, o TailOptions, emit func(position uint64, raw []byte) error) error {
	stream, err := js.Stream(ctx, StreamName)
	if errors.Is(err, jetstream.ErrStreamNotFound) {
		return fmt.Errorf("this NATS server has no %s stream: no chatbotd has started on it", StreamName)
	}
	if err != nil {
		return fmt.Errorf("read stream %s: %w", StreamName, err)
	}
	end := stream.CachedInfo().State.LastSeq
	cons, err := stream.OrderedConsumer(ctx, o.ConsumerConfig(time.Now()))
	if err != nil {
		return fmt.Errorf("create the tail's consumer: %w", err)
	}
	defer removeConsumer(ctx, stream, cons)
	if !o.Follow && (end == 0 || cons.CachedInfo().NumPending == 0) {
		return nil
	}
	it, err := cons.Messages()
	if err != nil {
		return fmt.Errorf("read the tail's consumer: %w", err)
	}
	defer it.Stop()
	context.AfterFunc(ctx, it.Stop)
	for {
		msg, err := it.Next()
		if errors.Is(err, jetstream.ErrMsgIteratorClosed) || ctx.Err() != nil {
			return nil
		}
		if err != nil {
			return fmt.Errorf("read the tail's consumer: %w", err)
		}
		md, err := msg.Metadata()
		if err != nil {
			return fmt.Errorf("read the tail's consumer: %w", err)
		}
		pos := md.Sequence.Stream
		if !o.Follow && pos > end {
			return nil
		}
		if err := emit(pos, msg.Data()); err != nil {
			return err
		}
		// Nothing matching is left, or the rest came after the start.
		if !o.Follow && (pos >= end || md.NumPending == 0) {
			return nil
		}
	}
}

// removeConsumer deletes the consumer the ordered consumer uses now (it
// replaces it after a gap), even when ctx has ended: Ctrl-C is how a
// follow ends.
func removeConsumer(ctx context.Context, stream jetstream.Stream, cons jetstream.Consumer) {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
	defer cancel()
	if info := cons.CachedInfo(); info != nil {
		_ = stream.DeleteConsumer(ctx, info.Name)
	}
}
