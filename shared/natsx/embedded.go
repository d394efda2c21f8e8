package natsx

import (
	"errors"
	"fmt"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/nats-io/nats-server/v2/server"
)

// AddrFile is the file under DATA_DIR where a running embedded server
// writes its client URL, so that CLI subcommands and the stock nats CLI
// find it.
const AddrFile = "nats.addr"

// EmbeddedOptions configures an embedded server.
type EmbeddedOptions struct {
	Listen       string // host:port; port 0 picks a free one
	StoreDir     string // JetStream file store
	SyncInterval string // "always" or a duration
	AddrFile     string // where to write the client URL; empty writes none
	// Users are the only clients the server accepts; nil makes fresh ones
	// in memory (Embedded.Users tells them). No client is anonymous.
	Users  *Users
	Logger *slog.Logger
}

// Embedded is a nats-server running inside this process.
type Embedded struct {
	Server   *server.Server
	addrFile string
	users    *Users
	stop     chan struct{}
	stopped  sync.Once
}

// StartEmbedded starts a JetStream-enabled server and waits until it takes
// connections.
func StartEmbedded(o EmbeddedOptions) (*Embedded, error) {
	users := o.Users
	if users == nil {
		var err error
		if users, err = ephemeralUsers(); err != nil {
			return nil, err
		}
	}
	host, portStr, err := net.SplitHostPort(o.Listen)
	if err != nil {
		return nil, fmt.Errorf("NATS_LISTEN %q is not host:port", o.Listen)
	}
	port, _ := strconv.Atoi(portStr)
	if port == 0 {
		port = server.RANDOM_PORT
	} else if err := probePort(o.Listen); err != nil {
		return nil, fmt.Errorf("embedded NATS cannot listen on %s (NATS_LISTEN): %v; is another chatbotd serve running? set NATS_LISTEN or NATS_URL", o.Listen, err)
	}
	opts := &server.Options{
		ServerName: "chatbotd",
		Host:       host,
		Port:       port,
		JetStream:  true,
		StoreDir:   o.StoreDir,
		NoSigs:     true,
		MaxPayload: 1 << 20,
		Users:      users.serverUsers(),
	}
	if err := applySync(opts, o.SyncInterval); err != nil {
		return nil, err
	}
	if err := os.MkdirAll(o.StoreDir, 0o750); err != nil {
		return nil, fmt.Errorf("create JetStream store %s (DATA_DIR): %w", o.StoreDir, err)
	}
	s, err := server.NewServer(opts)
	if err != nil {
		return nil, fmt.Errorf("embedded NATS: %w", err)
	}
	if o.Logger != nil {
		s.SetLoggerV2(&serverLogger{l: o.Logger.With("component", "nats-server")}, false, false, false)
	}
	go s.Start()
	if !s.ReadyForConnections(10 * time.Second) {
		s.Shutdown()
		return nil, errors.New("embedded NATS server did not become ready within 10s")
	}
	e := &Embedded{Server: s, addrFile: o.AddrFile, users: users, stop: make(chan struct{})}
	go returnMemory(10*time.Second, e.stop)
	if o.AddrFile != "" {
		if err := os.WriteFile(o.AddrFile, []byte(s.ClientURL()+"\n"), 0o640); err != nil {
			e.Shutdown()
			return nil, fmt.Errorf("write %s: %w", o.AddrFile, err)
		}
	}
	return e, nil
}

// ClientURL is the nats:// URL clients connect to. It carries no
// credentials.
func (e *Embedded) ClientURL() string { return e.Server.ClientURL() }

// Users are the credentials the server accepts.
func (e *Embedded) Users() Users { return *e.users }

// Shutdown stops the server, flushing JetStream, and removes the address file.
func (e *Embedded) Shutdown() {
	e.stopped.Do(func() { close(e.stop) })
	if e.addrFile != "" {
		_ = os.Remove(e.addrFile)
	}
	e.Server.Shutdown()
	e.Server.WaitForShutdown()
}

// ReadAddrFile returns the client URL a running embedded server wrote under
// dataDir, or "" when there is none.
func ReadAddrFile(dataDir string) string {
	b, err := os.ReadFile(filepath.Join(dataDir, AddrFile))
	if err != nil {
		return ""
	}
	return strings.TrimSpace(string(b))
}

func applySync(opts *server.Options, v string) error {
	if strings.EqualFold(v, "always") || v == "" {
		opts.SyncAlways = true
		return nil
	}
	d, err := time.ParseDuration(v)
	if err != nil || d <= 0 {
		return fmt.Errorf("NATS_SYNC_INTERVAL %q is neither always nor a duration", v)
	}
	opts.SyncInterval = d
	return nil
}

func probePort(addr string) error {
	l, err := net.Listen("tcp", addr)
	if err != nil {
		var opErr *net.OpError
		if errors.As(err, &opErr) {
			return opErr.Err
		}
		return err
	}
	return l.Close()
}

// serverLogger sends the server's log lines to slog; its notices are chatty
// and go to debug.
type serverLogger struct{ l *slog.Logger }

func (s *serverLogger) Noticef(format string, v ...any) { s.l.Debug(fmt.Sprintf(format, v...)) }
func (s *serverLogger) Warnf(format string, v ...any)   { s.l.Warn(fmt.Sprintf(format, v...)) }
func (s *serverLogger) Fatalf(format string, v ...any)  { s.l.Error(fmt.Sprintf(format, v...)) }
func (s *serverLogger) Errorf(format string, v ...any)  { s.l.Error(fmt.Sprintf(format, v...)) }
func (s *serverLogger) Debugf(format string, v ...any)  { s.l.Debug(fmt.Sprintf(format, v...)) }
func (s *serverLogger) Tracef(format string, v ...any)  {}
