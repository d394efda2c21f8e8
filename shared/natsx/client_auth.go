package natsx

import (
	"errors"
	"fmt"
	"os"
	"strings"

	"github.com/nats-io/nats.go"
)

// ClientAuth is how chatbotd authenticates to an external server
// (NATS_URL): a .creds file (JWT and nkey seed, for an operator-mode
// server), or a user and a password read from a file; and TLS, with the
// CA that signed the server's certificate and, for mutual TLS, a client
// certificate.
type ClientAuth struct {
	CredsFile    string
	User         string
	PasswordFile string
	TLSCAFile    string
	TLSCertFile  string
	TLSKeyFile   string
}

// Options are the nats.go options for a; the password is read here, so a
// rotated file is picked up at the next start.
func (a ClientAuth) Options() ([]nats.Option, error) {
	var opts []nats.Option
	switch {
	case a.CredsFile != "":
		opts = append(opts, nats.UserCredentials(a.CredsFile))
	case a.User != "":
		b, err := os.ReadFile(a.PasswordFile)
		if err != nil {
			return nil, fmt.Errorf("NATS_PASSWORD_FILE: %v", unwrapPath(err))
		}
		opts = append(opts, nats.UserInfo(a.User, strings.TrimSpace(string(b))))
	}
	if a.TLSCAFile != "" {
		opts = append(opts, nats.RootCAs(a.TLSCAFile))
	}
	if a.TLSCertFile != "" {
		opts = append(opts, nats.ClientCert(a.TLSCertFile, a.TLSKeyFile))
	}
	return opts, nil
}

func unwrapPath(err error) error {
	var pe *os.PathError
	if errors.As(err, &pe) {
		return fmt.Errorf("%s: %v", pe.Path, pe.Err)
	}
	return err
}
