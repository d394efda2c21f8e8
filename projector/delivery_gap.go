package projector

import (
	"errors"
	"fmt"

	"github.com/nats-io/nats.go/jetstream"
)

// errDeliveryGap is a message of the projection's consumer that the server
// delivered and this process never received: the answer to a pull lost
// while the consumer's leader moved to another node. The consumer
// acknowledges all (AckAll), so acknowledging a later message would
// acknowledge the lost one too and the projection would never apply it.
// The batch is left unacknowledged and the lead ends; the next lead makes
// the consumer again from the checkpoint, which delivers it again.
var errDeliveryGap = errors.New("a message was delivered and never received")

// checkDelivered checks that msgs continue the consumer's delivery
// sequence, which the server counts up by one for every message it
// delivers (a redelivery included).
func (c *consumer) checkDelivered(msgs []jetstream.Msg) error {
	if !c.gapless {
		return nil
	}
	for _, m := range msgs {
		md, err := m.Metadata()
		if err != nil {
			return err
		}
		if md.Sequence.Consumer != c.delivered+1 {
			return fmt.Errorf("%w: delivery %d after %d (position %d)", errDeliveryGap, md.Sequence.Consumer, c.delivered, md.Sequence.Stream)
		}
		c.delivered = md.Sequence.Consumer
	}
	return nil
}
