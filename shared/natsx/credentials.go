package natsx

import (
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/chatbotsaas/chatbot/shared/fsx"
)

// The password files of the embedded server's users under DATA_DIR,
// generated on first start (mode 0600) like the development JWT key.
// nats.addr beside them holds only the address.
const (
	ServicePasswordFile = "nats.service.password"
	AuditPasswordFile   = "nats.audit.password"
)

// EmbeddedUsers reads the users of the embedded server under dataDir,
// generating a password file that is missing. Every process of one
// DATA_DIR (serve, the split processes, the CLI subcommands) reads the
// same files, so they agree without any of them passing a secret on.
func EmbeddedUsers(dataDir string, protected []string, streams ...string) (*Users, error) {
	service, err := passwordFile(filepath.Join(dataDir, ServicePasswordFile))
	if err != nil {
		return nil, err
	}
	audit, err := passwordFile(filepath.Join(dataDir, AuditPasswordFile))
	if err != nil {
		return nil, err
	}
	return &Users{
		Service:            Credentials{User: ServiceUser, Password: service},
		Audit:              Credentials{User: AuditUser, Password: audit},
		ProtectedConsumers: protected,
		ProtectedStreams:   streams,
	}, nil
}

// ephemeralUsers are fresh users kept in memory only, for a server that
// no other process needs to reach with its own credentials.
func ephemeralUsers() (*Users, error) {
	service, err := newPassword()
	if err != nil {
		return nil, err
	}
	audit, err := newPassword()
	if err != nil {
		return nil, err
	}
	return &Users{Service: Credentials{ServiceUser, service}, Audit: Credentials{AuditUser, audit}}, nil
}

func passwordFile(path string) (string, error) {
	if _, err := os.Stat(path); errors.Is(err, os.ErrNotExist) {
		pw, err := newPassword()
		if err != nil {
			return "", err
		}
		if err := fsx.CreateOnce(path, []byte(pw+"\n")); err != nil {
			return "", fmt.Errorf("generate the embedded NATS password %s (DATA_DIR): %v", path, err)
		}
	}
	b, err := os.ReadFile(path)
	if err != nil {
		return "", fmt.Errorf("read the embedded NATS password (DATA_DIR): %v", err)
	}
	pw := strings.TrimSpace(string(b))
	if pw == "" {
		return "", fmt.Errorf("the embedded NATS password file %s (DATA_DIR) is empty; delete it to generate a new one", path)
	}
	return pw, nil
}

// newPassword is 192 random bits, URL-safe so that it passes unquoted on a
// command line.
func newPassword() (string, error) {
	b := make([]byte, 24)
	if _, err := rand.Read(b); err != nil {
		return "", err
	}
	return base64.RawURLEncoding.EncodeToString(b), nil
}
