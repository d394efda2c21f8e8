package mail

import (
	"context"

	"github.com/prometheus/client_golang/prometheus"
)

// counted is a Sender that counts what it sent and what failed.
type counted struct {
	next         Sender
	sent, failed prometheus.Counter
}

// Counted wraps s so that chatbot_mails_sent_total and
// chatbot_mails_failed_total, registered on reg, count its sends. A failed
// send is retried by its task, so one mail may count as failed more than once.
func Counted(s Sender, reg prometheus.Registerer) Sender {
	c := &counted{next: s,
		sent: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "chatbot_mails_sent_total", Help: "Mails the SMTP relay accepted.",
		}),
		failed: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "chatbot_mails_failed_total", Help: "Mail sends that failed (each try of a retried mail counts).",
		}),
	}
	reg.MustRegister(c.sent, c.failed)
	return c
}

func (c *counted) Send(ctx context.Context, m Message) error {
	if err := c.next.Send(ctx, m); err != nil {
		c.failed.Inc()
		return err
	}
	c.sent.Inc()
	return nil
}
