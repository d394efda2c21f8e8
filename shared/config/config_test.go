package config

import (
	"errors"
	"os"
	"strings"
	"testing"
	"time"
)

func lookupFrom(m map[string]string) func(string) (string, bool) {
	return func(k string) (string, bool) { v, ok := m[k]; return v, ok }
}

func TestDefaultsWorkWithNothingSet(t *testing.T) {
	c, err := Load(lookupFrom(nil))
	if err != nil {
		t.Fatalf("Load with nothing set: %v", err)
	}
	if c.HTTPAddr != ":8080" || c.NATSURL != "" || c.NATSSyncInterval != "always" || !c.AutoMigrate {
		t.Errorf("unexpected defaults: %+v", c)
	}
	if c.BodyLimit != 1<<20 {
		t.Errorf("BodyLimit = %d, want 1 MiB", c.BodyLimit)
	}
	if c.RedisURL != "" || c.SentryDSN != "" {
		t.Errorf("Redis and Sentry must be off by default")
	}
	if c.HTTPReadTimeout != 10*time.Second {
		t.Errorf("HTTPReadTimeout = %v", c.HTTPReadTimeout)
	}
}

func TestValuesAreParsed(t *testing.T) {
	c, err := Load(lookupFrom(map[string]string{
		"BODY_LIMIT":           "512KiB",
		"CORS_ALLOWED_ORIGINS": "https://app.example.com, http://localhost:3000",
		"NATS_SYNC_INTERVAL":   "2m",
		"NATS_URL":             "nats://a:4222,nats://b:4222",
		"LOG_FORMAT":           "JSON",
		"AUTO_MIGRATE":         "false",
	}))
	if err != nil {
		t.Fatal(err)
	}
	if c.BodyLimit != 512<<10 {
		t.Errorf("BodyLimit = %d", c.BodyLimit)
	}
	if got := strings.Join(c.CORSAllowedOrigins, " "); got != "https://app.example.com http://localhost:3000" {
		t.Errorf("origins = %q", got)
	}
	if c.LogFormat != "json" || c.AutoMigrate || c.NATSSyncInterval != "2m" {
		t.Errorf("unexpected: %+v", c)
	}
}

func TestBadValueNamesTheVariable(t *testing.T) {
	cases := []struct{ name, value string }{
		{"HTTP_ADDR", "8080"},
		{"HTTP_ADDR", "localhost:http-ish"},
		{"HTTP_ADDR", ""},
		{"DATABASE_URL", "mysql://root@localhost/db"},
		{"DATABASE_URL", "postgres://user:s3cret@/"},
		{"DATABASE_URL", "postgres://user:s3cret@localhost:5432"},
		{"NATS_URL", "http://localhost:4222"},
		{"NATS_SYNC_INTERVAL", "sometimes"},
		{"REDIS_URL", "memcached://x"},
		{"LOG_LEVEL", "loud"},
		{"LOG_FORMAT", "xml"},
		{"ACCESS_LOG", "warn"},
		{"SLOW_REQUEST_THRESHOLD", "-1s"},
		{"SLOW_REQUEST_THRESHOLD", "soon"},
		{"BODY_LIMIT", "-1"},
		{"BODY_LIMIT", "2GiB"},
		{"CORS_ALLOWED_ORIGINS", "*"},
		{"CORS_ALLOWED_ORIGINS", "https://x.example.com/path"},
		{"AUTO_MIGRATE", "maybe"},
		{"DATABASE_MAX_CONNS", "0"},
		{"HTTP_READ_TIMEOUT", "10"},
		{"SENTRY_DSN", "not a dsn"},
		{"JWT_PRIVATE_KEY_FILE", "/nonexistent/key.pem"},
		{"JWT_ISSUER", ""},
	}
	for _, tc := range cases {
		t.Run(tc.name+"="+tc.value, func(t *testing.T) {
			_, err := Load(lookupFrom(map[string]string{tc.name: tc.value}))
			var ce *Error
			if !errors.As(err, &ce) {
				t.Fatalf("got %v, want a config error", err)
			}
			if ce.Name != tc.name {
				t.Errorf("error names %s, want %s", ce.Name, tc.name)
			}
			if strings.Contains(err.Error(), "s3cret") {
				t.Errorf("error leaks the password: %v", err)
			}
			if strings.Contains(err.Error(), "\n") {
				t.Errorf("error is not one line: %q", err)
			}
		})
	}
}

func TestEverySettingHasHelp(t *testing.T) {
	seen := map[string]bool{}
	for _, s := range Settings {
		if s.Help == "" || seen[s.Name] {
			t.Errorf("setting %s: empty help or listed twice", s.Name)
		}
		seen[s.Name] = true
	}
}

func TestNATSCredentialsComeWhole(t *testing.T) {
	file := t.TempDir() + "/pw"
	if err := os.WriteFile(file, []byte("pw\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	external := "nats://nats:4222"
	cases := []struct {
		name     string
		settings map[string]string
		wantErr  string // the variable named; "" for valid
	}{
		{"user and password file", map[string]string{"NATS_URL": external, "NATS_USER": "chatbotd", "NATS_PASSWORD_FILE": file}, ""},
		{"creds file", map[string]string{"NATS_URL": external, "NATS_CREDS_FILE": file, "NATS_TLS_CA_FILE": file}, ""},
		{"user without password", map[string]string{"NATS_URL": external, "NATS_USER": "chatbotd"}, "NATS_PASSWORD_FILE"},
		{"creds and user", map[string]string{"NATS_URL": external, "NATS_CREDS_FILE": file, "NATS_USER": "x", "NATS_PASSWORD_FILE": file}, "NATS_USER"},
		{"certificate without key", map[string]string{"NATS_URL": external, "NATS_TLS_CERT_FILE": file}, "NATS_TLS_KEY_FILE"},
		{"missing file", map[string]string{"NATS_URL": external, "NATS_CREDS_FILE": "/nonexistent/x.creds"}, "NATS_CREDS_FILE"},
		{"credentials for the embedded server", map[string]string{"NATS_USER": "chatbotd", "NATS_PASSWORD_FILE": file}, "NATS_URL"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			c, err := Load(lookupFrom(tc.settings))
			var ce *Error
			switch {
			case tc.wantErr == "" && err != nil:
				t.Fatalf("got %v", err)
			case tc.wantErr == "" && c.NATSAuth.User+c.NATSAuth.CredsFile == "":
				t.Fatalf("credentials not kept: %+v", c.NATSAuth)
			case tc.wantErr != "" && (!errors.As(err, &ce) || ce.Name != tc.wantErr):
				t.Fatalf("got %v, want an error naming %s", err, tc.wantErr)
			}
		})
	}
}
