package mail

import (
	"context"
	"fmt"
	"time"

	gomail "github.com/wneessen/go-mail"
)

// TLS modes of the SMTP connection.
const (
	TLSNone     = "none"     // plain SMTP (a local relay, a mail catcher)
	TLSStartTLS = "starttls" // STARTTLS required
	TLSImplicit = "tls"      // TLS from the first byte (port 465)
)

// Settings reach the SMTP server. An empty Host turns mail off.
type Settings struct {
	Host     string
	Port     int
	Username string
	Password string
	From     string
	TLS      string
	Timeout  time.Duration // of one delivery; default 10s
}

// Message is one mail to one recipient.
type Message struct {
	To      string
	Subject string
	Text    string
	HTML    string
	// ID, when set, is the Message-ID: the same mail sent again has the same.
	ID string
}

// Sender sends mail.
type Sender interface {
	Send(ctx context.Context, m Message) error
}

// SMTP sends each message over its own connection: mail is rare here,
// and a connection kept open would only go stale.
type SMTP struct{ s Settings }

// NewSMTP checks the settings and returns a sender.
func NewSMTP(s Settings) (*SMTP, error) {
	if s.Timeout <= 0 {
		s.Timeout = 10 * time.Second
	}
	switch s.TLS {
	case TLSNone, TLSStartTLS, TLSImplicit:
	default:
		return nil, fmt.Errorf("SMTP_TLS must be none, starttls or tls, not %q", s.TLS)
	}
	if s.From == "" {
		return nil, fmt.Errorf("SMTP_FROM is needed to send mail")
	}
	return &SMTP{s: s}, nil
}

func (c *SMTP) options() []gomail.Option {
	opts := []gomail.Option{gomail.WithPort(c.s.Port), gomail.WithTimeout(c.s.Timeout)}
	switch c.s.TLS {
	case TLSNone:
		opts = append(opts, gomail.WithTLSPolicy(gomail.NoTLS))
	case TLSStartTLS:
		opts = append(opts, gomail.WithTLSPolicy(gomail.TLSMandatory))
	case TLSImplicit:
		opts = append(opts, gomail.WithSSL())
	}
	if c.s.Username != "" {
		opts = append(opts, gomail.WithSMTPAuth(gomail.SMTPAuthAutoDiscover),
			gomail.WithUsername(c.s.Username), gomail.WithPassword(c.s.Password))
	}
	return opts
}

// Send delivers m, or says why not.
func (c *SMTP) Send(ctx context.Context, m Message) error {
	msg := gomail.NewMsg()
	if err := msg.From(c.s.From); err != nil {
		return fmt.Errorf("mail from %q: %w", c.s.From, err)
	}
	if err := msg.To(m.To); err != nil {
		return fmt.Errorf("mail to: %w", err)
	}
	msg.Subject(m.Subject)
	if m.ID != "" {
		msg.SetMessageIDWithValue(m.ID)
	} else {
		msg.SetMessageID()
	}
	msg.SetBodyString(gomail.TypeTextPlain, m.Text)
	if m.HTML != "" {
		msg.AddAlternativeString(gomail.TypeTextHTML, m.HTML)
	}
	client, err := gomail.NewClient(c.s.Host, c.options()...)
	if err != nil {
		return fmt.Errorf("SMTP client: %w", err)
	}
	ctx, cancel := context.WithTimeout(ctx, c.s.Timeout)
	defer cancel()
	if err := client.DialAndSendWithContext(ctx, msg); err != nil {
		return fmt.Errorf("send mail via %s:%d: %w", c.s.Host, c.s.Port, err)
	}
	return nil
}
