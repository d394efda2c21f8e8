package pii

import (
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"

	"github.com/chatbotsaas/chatbot/shared/fsx"
)

// DevKeyFile is where a generated development key is kept under DATA_DIR.
const DevKeyFile = "personal_data.key"

// LoadKEK reads the key-encryption key (32 bytes, base64 in the file) from
// file, or, when file is empty, from DATA_DIR, generating one there with a
// warning. Losing this key loses every user's personal data.
func LoadKEK(file, dataDir string, log *slog.Logger) ([]byte, error) {
	if file == "" {
		file = filepath.Join(dataDir, DevKeyFile)
		if _, err := os.Stat(file); errors.Is(err, os.ErrNotExist) {
			if err := generateKEK(file); err != nil {
				return nil, fmt.Errorf("generate a development personal data key under DATA_DIR: %v", err)
			}
			log.Warn("PERSONAL_DATA_KEY_FILE is not set: generated a development key; set it in production", "file", file)
		}
	}
	b, err := os.ReadFile(file)
	if err != nil {
		return nil, fmt.Errorf("PERSONAL_DATA_KEY_FILE %s: %v", file, err)
	}
	key, err := base64.StdEncoding.DecodeString(strings.TrimSpace(string(b)))
	if err != nil || len(key) != 32 {
		return nil, fmt.Errorf("PERSONAL_DATA_KEY_FILE %s: want 32 random bytes in base64 (openssl rand -base64 32)", file)
	}
	return key, nil
}

func generateKEK(path string) error {
	key := make([]byte, 32)
	if _, err := rand.Read(key); err != nil {
		return err
	}
	return fsx.CreateOnce(path, []byte(base64.StdEncoding.EncodeToString(key)+"\n"))
}
