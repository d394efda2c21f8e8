package config

// Setting describes one environment variable: its name, default and meaning.
// The list drives parsing, `--help` and the README table alike.
type Setting struct {
	Name    string
	Default string
	Help    string
}

// Settings lists every variable chatbotd reads, in the order --help prints them.
var Settings = []Setting{
	{"HTTP_ADDR", ":8080", "address the HTTP API listens on (host:port)"},
	{"HTTP_READ_TIMEOUT", "10s", "longest time to read one request, headers and body"},
	{"HTTP_WRITE_TIMEOUT", "30s", "longest time to write one response"},
	{"HTTP_IDLE_TIMEOUT", "60s", "how long an idle keep-alive connection stays open"},
	{"REQUEST_TIMEOUT", "15s", "deadline of the context each request handler runs with"},
	{"SHUTDOWN_TIMEOUT", "15s", "how long a graceful shutdown waits for in-flight requests"},
	{"BODY_LIMIT", "1MiB", "largest accepted request body (bytes, or KiB/MiB suffix)"},
	{"CORS_ALLOWED_ORIGINS", "", "comma-separated origins allowed by CORS; empty allows none"},
	{"DATABASE_URL", "postgres://postgres@127.0.0.1:5432/chatbot?sslmode=disable", "PostgreSQL connection URL"},
	{"DATABASE_MAX_CONNS", "20", "largest number of pooled Postgres connections"},
	{"AUTO_MIGRATE", "true", "apply pending migrations at start (and create the database if missing)"},
	{"NATS_URL", "", "NATS server URL(s); empty runs an embedded server with JetStream under DATA_DIR"},
	{"NATS_LISTEN", "127.0.0.1:4223", "client address of the embedded NATS server (port 0 picks a free one)"},
	{"NATS_SYNC_INTERVAL", "always", "embedded JetStream fsync policy: always, or an interval such as 2m"},
	{"NATS_REPLICAS", "1", "replicas of the EVENTS stream and the KV buckets (3 on a NATS cluster)"},
	{"NATS_CREDS_FILE", "", "NATS .creds file (user JWT and nkey seed) for the server of NATS_URL; or NATS_USER"},
	{"NATS_USER", "", "NATS user for the server of NATS_URL, with NATS_PASSWORD_FILE (the embedded server's users are generated under DATA_DIR)"},
	{"NATS_PASSWORD_FILE", "", "file holding the password of NATS_USER"},
	{"NATS_TLS_CA_FILE", "", "PEM CA certificates that signed the certificate of the server of NATS_URL (use a tls:// URL)"},
	{"NATS_TLS_CERT_FILE", "", "PEM client certificate for mutual TLS with the server of NATS_URL, with NATS_TLS_KEY_FILE"},
	{"NATS_TLS_KEY_FILE", "", "PEM private key of NATS_TLS_CERT_FILE"},
	{"READ_WAIT_TIMEOUT", "2s", "longest wait of a read with X-Min-Position before 503 projection_lagging"},
	{"DATA_DIR", "./data", "directory for the embedded JetStream store and generated dev keys"},
	{"REDIS_URL", "", "Redis URL for the rate limits, quotas and login throttle, and the query cache; empty runs without Redis (counters are then per process, and every read goes to Postgres)"},
	{"QUERY_CACHE_TTL", "10m", "how long the query cache keeps an entry, a safety net (projectors invalidate after they commit); 0 turns the cache off"},
	{"QUERY_CACHE_TIMEOUT", "50ms", "longest wait for Redis on a cached read; after it the read goes to Postgres, and reads leave Redis alone for a second"},
	{"LOG_LEVEL", "info", "debug, info, warn or error"},
	{"LOG_FORMAT", "text", "text or json"},
	{"ACCESS_LOG", "debug", "level of the access log line of a 2xx or 3xx request: debug, info or off; 4xx (info), 5xx (error) and slow requests (warn) are logged whatever it says"},
	{"SLOW_REQUEST_THRESHOLD", "1s", "a request that takes longer is logged at warn as slow; 0 turns that off"},
	{"PPROF_ADDR", "", "address of a Go profiling endpoint (/debug/pprof/: CPU, heap, lock contention, blocking, trace); empty turns it off; keep it on loopback"},
	{"SENTRY_DSN", "", "Sentry DSN; empty turns error reporting off"},
	{"SENTRY_ENVIRONMENT", "development", "environment name attached to Sentry events"},
	{"JWT_PRIVATE_KEY_FILE", "", "PEM Ed25519 private key signing access tokens; empty generates a dev key under DATA_DIR"},
	{"JWT_PUBLIC_KEY_FILES", "", "comma-separated PEM public keys also accepted (key rotation)"},
	{"JWT_ISSUER", "chatbotd", "iss claim of access tokens"},
	{"JWT_AUDIENCE", "chatbot-api", "aud claim of access tokens"},
	{"PERSONAL_DATA_KEY_FILE", "", "32 random bytes in base64 wrapping every user's data key (personal fields of events are sealed under it); empty generates a dev key under DATA_DIR; losing it loses that data"},
	{"PERSONAL_DATA_PREVIOUS_KEY_FILE", "", "during a rotation of PERSONAL_DATA_KEY_FILE, the old key: data keys wrapped under it still open until `chatbotd personal-data rewrap` has wrapped them under the new one"},
	{"BCRYPT_COST", "11", "bcrypt cost of new password hashes (10 to 16); older hashes are upgraded at login"},
	{"PASSWORD_PEPPER", "", "secret mixed into every password hash (HMAC-SHA-384 before bcrypt); set it in production and never change it"},
	{"PASSWORD_PEPPER_FILE", "", "file holding PASSWORD_PEPPER (a container secret), instead of the variable"},
	{"ADMIN_EMAIL", "", "on start, create this administrator if no account has the email (with ADMIN_PASSWORD)"},
	{"ADMIN_PASSWORD", "", "password of ADMIN_EMAIL's account; only read when that account is created"},
	{"TRUSTED_PROXIES", "", "comma-separated CIDRs of proxies whose X-Forwarded-For names the client"},
}
