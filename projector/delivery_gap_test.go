package projector

import (
	"errors"
	"testing"

	"github.com/nats-io/nats.go/jetstream"
)

// delivery is a message as checkDelivered sees it: its delivery sequence.
type delivery struct {
	jetstream.Msg
	seq uint64
}

func (d delivery) Metadata() (*jetstream.MsgMetadata, error) {
	return &jetstream.MsgMetadata{Sequence: jetstream.SequencePair{Consumer: d.seq, Stream: 100 + d.seq}}, nil
}

func deliveries(seqs ...uint64) []jetstream.Msg {
	var out []jetstream.Msg
	for _, s := range seqs {
		out = append(out, delivery{seq: s})
	}
	return out
}

func TestADeliveryNeverReceivedStopsTheBatchBeforeItIsAcknowledged(t *testing.T) {
	c := &consumer{gapless: true, delivered: 4}
	if err := c.checkDelivered(deliveries(5, 6)); err != nil || c.delivered != 6 {
		t.Fatalf("deliveries in a row: %v, delivered %d", err, c.delivered)
	}
	if err := c.checkDelivered(deliveries(7, 9)); !errors.Is(err, errDeliveryGap) {
		t.Fatalf("delivery 8 missing: %v", err)
	}
	if err := (&consumer{gapless: true, delivered: 9}).checkDelivered(deliveries(3)); !errors.Is(err, errDeliveryGap) {
		t.Fatalf("deliveries counted again from an earlier one (a new consumer leader): %v", err)
	}
	if err := (&consumer{}).checkDelivered(deliveries(1, 5)); err != nil {
		t.Fatalf("a partition's work queue (explicit acks) is not checked: %v", err)
	}
}
