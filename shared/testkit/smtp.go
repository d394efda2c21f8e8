package testkit

import (
	"errors"
	"io"
	"net"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/emersion/go-smtp"
)

// Mail is one message an SMTP server received.
type Mail struct {
	From string
	To   []string
	Data string // the whole message, headers and MIME parts
}

// SMTPServer is a real SMTP server (no TLS, no auth) on a random local
// port, keeping what it receives; Down makes it refuse mail, as a broken
// relay would, until Up.
type SMTPServer struct {
	Host string
	Port int

	mu   sync.Mutex
	mail []Mail
	down bool
	// refused counts the deliveries refused while down.
	refused int
}

// StartSMTP starts a server that stops when the test ends.
func StartSMTP(tb testing.TB) *SMTPServer {
	tb.Helper()
	s := &SMTPServer{}
	srv := smtp.NewServer(smtp.BackendFunc(func(*smtp.Conn) (smtp.Session, error) { return &smtpSession{s: s}, nil }))
	srv.Domain, srv.AllowInsecureAuth = "localhost", true
	srv.ReadTimeout, srv.WriteTimeout = 10*time.Second, 10*time.Second
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		tb.Fatal(err)
	}
	go func() { _ = srv.Serve(ln) }()
	tb.Cleanup(func() { _ = srv.Close() })
	host, port, _ := net.SplitHostPort(ln.Addr().String())
	s.Host = host
	s.Port, _ = strconv.Atoi(port)
	return s
}

// Down makes the server refuse every message (421) until Up.
func (s *SMTPServer) Down() { s.mu.Lock(); s.down = true; s.mu.Unlock() }

// Up makes the server accept mail again.
func (s *SMTPServer) Up() { s.mu.Lock(); s.down = false; s.mu.Unlock() }

// Refused is how many messages were refused while down.
func (s *SMTPServer) Refused() int { s.mu.Lock(); defer s.mu.Unlock(); return s.refused }

// Received returns the messages received so far.
func (s *SMTPServer) Received() []Mail {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Mail{}, s.mail...)
}

// WaitFor waits until match holds for the messages received, or fails.
func (s *SMTPServer) WaitFor(tb testing.TB, within time.Duration, what string, match func([]Mail) bool) []Mail {
	tb.Helper()
	deadline := time.Now().Add(within)
	for {
		got := s.Received()
		if match(got) {
			return got
		}
		if time.Now().After(deadline) {
			tb.Fatalf("no %s within %v; received %d messages", what, within, len(got))
		}
		time.Sleep(50 * time.Millisecond)
	}
}

type smtpSession struct {
	s    *SMTPServer
	from string
	to   []string
}

var errDown = &smtp.SMTPError{Code: 421, EnhancedCode: smtp.EnhancedCode{4, 3, 0}, Message: "service not available"}

func (x *smtpSession) Mail(from string, _ *smtp.MailOptions) error {
	x.s.mu.Lock()
	defer x.s.mu.Unlock()
	if x.s.down {
		x.s.refused++
		return errDown
	}
	x.from = from
	return nil
}

func (x *smtpSession) Rcpt(to string, _ *smtp.RcptOptions) error {
	x.to = append(x.to, to)
	return nil
}

func (x *smtpSession) Data(r io.Reader) error {
	b, err := io.ReadAll(r)
	if err != nil {
		return err
	}
	if len(x.to) == 0 {
		return errors.New("no recipient")
	}
	x.s.mu.Lock()
	x.s.mail = append(x.s.mail, Mail{From: x.from, To: x.to, Data: string(b)})
	x.s.mu.Unlock()
	return nil
}

func (x *smtpSession) Reset()        { x.from, x.to = "", nil }
func (x *smtpSession) Logout() error { return nil }
