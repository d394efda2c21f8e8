package config

import (
	"errors"
	"fmt"
	"net"
	"net/netip"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"
)

// Config is the validated configuration of one chatbotd process.
type Config struct {
	HTTPAddr           string
	HTTPReadTimeout    time.Duration
	HTTPWriteTimeout   time.Duration
	HTTPIdleTimeout    time.Duration
	RequestTimeout     time.Duration
	ShutdownTimeout    time.Duration
	BodyLimit          int
	CORSAllowedOrigins []string

	DatabaseURL      string
	DatabaseMaxConns int32
	AutoMigrate      bool

	NATSURL          string // empty: use the embedded server
	NATSListen       string // client address of the embedded server
	NATSSyncInterval string // "always" or a Go duration
	NATSReplicas     int    // replicas of the stream and buckets
	NATSAuth         NATSAuth
	DataDir          string

	RedisURL string // empty: no Redis

	QueryCacheTTL     time.Duration // of a query cache entry; 0: no query cache
	QueryCacheTimeout time.Duration // of each Redis call of a cached read

	ReadWaitTimeout time.Duration // bound of X-Min-Position waits

	LogLevel             string
	LogFormat            string
	AccessLog            string        // level of the line of a 2xx/3xx request: debug, info or off
	SlowRequestThreshold time.Duration // a request slower than this is logged at warn; 0: never
	PprofAddr            string        // empty: no profiling endpoint

	SentryDSN         string
	SentryEnvironment string

	JWTPrivateKeyFile   string
	JWTPublicKeyFiles   []string
	PersonalDataKeyFile string
	// PersonalDataPrevious is the key file being rotated out, if any.
	PersonalDataPrevious string
	JWTIssuer            string
	JWTAudience          string

	TrustedProxies []netip.Prefix // peers whose X-Forwarded-For is believed
	AdminEmail     string
	AdminPassword  string
	BcryptCost     int
	PasswordPepper string

	Mail             Mail
	SessionRetention time.Duration // SESSION_RETENTION_DAYS

	Scale Scale
}

// NATSAuth is how to authenticate to the server of NATS_URL; the embedded
// server's credentials are generated under DATA_DIR instead.
type NATSAuth struct {
	CredsFile    string
	User         string
	PasswordFile string
	TLSCAFile    string
	TLSCertFile  string
	TLSKeyFile   string
}

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
	{"PPROF_ADDR", "", "address of a Go profiling endpoint (/debug/pprof/: CPU, heap, trace); empty turns it off; keep it on loopback"},
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

// Error names the variable whose value is bad.
type Error struct {
	Name   string
	Reason string
}

func (e *Error) Error() string { return fmt.Sprintf("invalid %s: %s", e.Name, e.Reason) }

// FromEnv loads the configuration from the process environment.
func FromEnv() (Config, error) { return Load(os.LookupEnv) }

// Load reads every setting through lookup, applies defaults and validates.
// The first bad value is returned as an *Error.
func Load(lookup func(string) (string, bool)) (Config, error) {
	r := reader{lookup: lookup}
	c := Config{
		HTTPAddr:             r.addr("HTTP_ADDR"),
		HTTPReadTimeout:      r.duration("HTTP_READ_TIMEOUT"),
		HTTPWriteTimeout:     r.duration("HTTP_WRITE_TIMEOUT"),
		HTTPIdleTimeout:      r.duration("HTTP_IDLE_TIMEOUT"),
		RequestTimeout:       r.duration("REQUEST_TIMEOUT"),
		ShutdownTimeout:      r.duration("SHUTDOWN_TIMEOUT"),
		BodyLimit:            r.size("BODY_LIMIT"),
		CORSAllowedOrigins:   r.origins("CORS_ALLOWED_ORIGINS"),
		DatabaseURL:          r.databaseURL("DATABASE_URL"),
		DatabaseMaxConns:     int32(r.intRange("DATABASE_MAX_CONNS", 1, 1000)),
		AutoMigrate:          r.boolean("AUTO_MIGRATE"),
		NATSURL:              r.natsURL("NATS_URL"),
		NATSListen:           r.addr("NATS_LISTEN"),
		NATSSyncInterval:     r.syncInterval("NATS_SYNC_INTERVAL"),
		NATSReplicas:         r.intRange("NATS_REPLICAS", 1, 5),
		NATSAuth:             r.natsAuth(),
		DataDir:              r.nonEmpty("DATA_DIR"),
		RedisURL:             r.redisURL("REDIS_URL"),
		QueryCacheTTL:        r.optionalDuration("QUERY_CACHE_TTL"),
		QueryCacheTimeout:    r.duration("QUERY_CACHE_TIMEOUT"),
		ReadWaitTimeout:      r.duration("READ_WAIT_TIMEOUT"),
		LogLevel:             r.oneOf("LOG_LEVEL", "debug", "info", "warn", "error"),
		LogFormat:            r.oneOf("LOG_FORMAT", "text", "json"),
		AccessLog:            r.oneOf("ACCESS_LOG", "debug", "info", "off"),
		SlowRequestThreshold: r.optionalDuration("SLOW_REQUEST_THRESHOLD"),
		PprofAddr:            r.optionalAddr("PPROF_ADDR"),
		SentryDSN:            r.sentryDSN("SENTRY_DSN"),
		SentryEnvironment:    r.get("SENTRY_ENVIRONMENT"),
		JWTPrivateKeyFile:    r.file("JWT_PRIVATE_KEY_FILE"),
		JWTPublicKeyFiles:    r.files("JWT_PUBLIC_KEY_FILES"),
		PersonalDataKeyFile:  r.file("PERSONAL_DATA_KEY_FILE"),
		PersonalDataPrevious: r.file("PERSONAL_DATA_PREVIOUS_KEY_FILE"),
		JWTIssuer:            r.nonEmpty("JWT_ISSUER"),
		JWTAudience:          r.nonEmpty("JWT_AUDIENCE"),
		TrustedProxies:       r.prefixes("TRUSTED_PROXIES"),
		BcryptCost:           r.intRange("BCRYPT_COST", 10, 16),
		PasswordPepper:       r.pepper(),
		AdminEmail:           r.get("ADMIN_EMAIL"),
		AdminPassword:        r.get("ADMIN_PASSWORD"),
	}
	if c.NATSURL == "" && c.NATSAuth != (NATSAuth{}) {
		r.fail("NATS_URL", "must be set when NATS_CREDS_FILE, NATS_USER or NATS_TLS_* are: they are for an external server")
	}
	c.Mail, c.SessionRetention = r.mail(), r.days("SESSION_RETENTION_DAYS", 1, 3650)
	c.Scale = r.scale()
	if c.AdminEmail != "" && c.AdminPassword == "" {
		r.fail("ADMIN_PASSWORD", "must be set when ADMIN_EMAIL is")
	}
	if r.err != nil {
		return Config{}, r.err
	}
	return c, nil
}

// NATSStoreDir is where the embedded server keeps JetStream data.
func (c Config) NATSStoreDir() string { return filepath.Join(c.DataDir, "nats") }

// reader parses settings and keeps the first error, so Load reads as a list.
type reader struct {
	lookup func(string) (string, bool)
	err    error
}

func (r *reader) get(name string) string {
	if v, ok := r.lookup(name); ok {
		return strings.TrimSpace(v)
	}
	for _, s := range Settings {
		if s.Name == name {
			return s.Default
		}
	}
	panic("config: unknown setting " + name)
}

func (r *reader) fail(name, format string, args ...any) {
	if r.err == nil {
		r.err = &Error{Name: name, Reason: fmt.Sprintf(format, args...)}
	}
}

func (r *reader) nonEmpty(name string) string {
	v := r.get(name)
	if v == "" {
		r.fail(name, "must not be empty")
	}
	return v
}

func (r *reader) addr(name string) string {
	v := r.nonEmpty(name)
	if v == "" {
		return v
	}
	_, port, err := net.SplitHostPort(v)
	if err != nil {
		r.fail(name, "%q is not host:port", v)
		return v
	}
	if n, err := strconv.Atoi(port); err != nil || n < 0 || n > 65535 {
		r.fail(name, "port %q is not a number from 0 to 65535", port)
	}
	return v
}

func (r *reader) optionalAddr(name string) string {
	if r.get(name) == "" {
		return ""
	}
	return r.addr(name)
}

func (r *reader) duration(name string) time.Duration {
	v := r.nonEmpty(name)
	d, err := time.ParseDuration(v)
	if err != nil || d <= 0 {
		r.fail(name, "%q is not a positive duration such as 10s or 2m", v)
	}
	return d
}

// optionalDuration is a duration where 0 turns the feature off.
func (r *reader) optionalDuration(name string) time.Duration {
	v := r.nonEmpty(name)
	d, err := time.ParseDuration(v)
	if err != nil || d < 0 {
		r.fail(name, "%q is not a duration such as 500ms or 2s (0 for none)", v)
	}
	return d
}

func (r *reader) boolean(name string) bool {
	v := r.get(name)
	b, err := strconv.ParseBool(v)
	if err != nil {
		r.fail(name, "%q is not true or false", v)
	}
	return b
}

func (r *reader) intRange(name string, lo, hi int) int {
	v := r.get(name)
	n, err := strconv.Atoi(v)
	if err != nil || n < lo || n > hi {
		r.fail(name, "%q is not a whole number from %d to %d", v, lo, hi)
	}
	return n
}

func (r *reader) oneOf(name string, allowed ...string) string {
	v := strings.ToLower(r.get(name))
	for _, a := range allowed {
		if v == a {
			return v
		}
	}
	r.fail(name, "%q is not one of %s", v, strings.Join(allowed, ", "))
	return v
}

var sizeUnits = []struct {
	suffix string
	factor int
}{{"KiB", 1 << 10}, {"MiB", 1 << 20}, {"KB", 1000}, {"MB", 1000 * 1000}, {"B", 1}}

func (r *reader) size(name string) int {
	v := r.nonEmpty(name)
	num, factor := v, 1
	for _, u := range sizeUnits {
		if strings.HasSuffix(v, u.suffix) {
			num, factor = strings.TrimSpace(strings.TrimSuffix(v, u.suffix)), u.factor
			break
		}
	}
	n, err := strconv.Atoi(num)
	if err != nil || n <= 0 || n > (1<<30)/factor {
		r.fail(name, "%q is not a size from 1 byte to 1GiB (e.g. 1048576, 512KiB, 1MiB)", v)
		return 0
	}
	return n * factor
}

func (r *reader) origins(name string) []string {
	var out []string
	for _, o := range splitList(r.get(name)) {
		u, err := url.Parse(o)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.Path != "" || u.RawQuery != "" {
			r.fail(name, "%q is not an origin such as https://app.example.com", o)
			continue
		}
		out = append(out, strings.ToLower(o))
	}
	return out
}

// databaseURL never echoes the value: it may hold a password.
func (r *reader) databaseURL(name string) string {
	v := r.nonEmpty(name)
	if v == "" {
		return v
	}
	return r.databaseURLValue(name, v)
}

// databaseURLValue checks one Postgres URL read from setting name.
func (r *reader) databaseURLValue(name, v string) string {
	u, err := url.Parse(v)
	if err != nil || (u.Scheme != "postgres" && u.Scheme != "postgresql") || u.Host == "" {
		r.fail(name, "not a postgres://user@host:port/database URL")
		return v
	}
	if strings.Trim(u.Path, "/") == "" {
		r.fail(name, "the URL names no database")
	}
	return v
}

func (r *reader) natsURL(name string) string {
	v := r.get(name)
	for _, part := range splitList(v) {
		u, err := url.Parse(part)
		if err != nil || u.Host == "" || (u.Scheme != "nats" && u.Scheme != "tls" && u.Scheme != "ws" && u.Scheme != "wss") {
			r.fail(name, "%q is not a nats://host:port URL", redactURL(part))
		}
	}
	return v
}

func (r *reader) natsAuth() NATSAuth {
	a := NATSAuth{
		CredsFile: r.file("NATS_CREDS_FILE"), User: r.get("NATS_USER"), PasswordFile: r.file("NATS_PASSWORD_FILE"),
		TLSCAFile: r.file("NATS_TLS_CA_FILE"), TLSCertFile: r.file("NATS_TLS_CERT_FILE"), TLSKeyFile: r.file("NATS_TLS_KEY_FILE"),
	}
	switch {
	case a.CredsFile != "" && a.User != "":
		r.fail("NATS_USER", "set either NATS_CREDS_FILE or NATS_USER, not both")
	case (a.User == "") != (a.PasswordFile == ""):
		r.fail("NATS_PASSWORD_FILE", "NATS_USER and NATS_PASSWORD_FILE go together")
	case (a.TLSCertFile == "") != (a.TLSKeyFile == ""):
		r.fail("NATS_TLS_KEY_FILE", "NATS_TLS_CERT_FILE and NATS_TLS_KEY_FILE go together")
	}
	return a
}

func (r *reader) redisURL(name string) string {
	v := r.get(name)
	if v == "" {
		return v
	}
	u, err := url.Parse(v)
	if err != nil || (u.Scheme != "redis" && u.Scheme != "rediss" && u.Scheme != "unix") {
		r.fail(name, "not a redis://host:port/db URL")
	}
	return v
}

func (r *reader) sentryDSN(name string) string {
	v := r.get(name)
	if v == "" {
		return v
	}
	u, err := url.Parse(v)
	if err != nil || u.Host == "" || u.User == nil || (u.Scheme != "http" && u.Scheme != "https") {
		r.fail(name, "not a Sentry DSN such as https://key@host/project")
	}
	return v
}

func (r *reader) syncInterval(name string) string {
	v := strings.ToLower(r.nonEmpty(name))
	if v == "always" {
		return v
	}
	if d, err := time.ParseDuration(v); err != nil || d <= 0 {
		r.fail(name, "%q is neither always nor a positive duration such as 1s", v)
	}
	return v
}

func (r *reader) file(name string) string {
	v := r.get(name)
	if v == "" {
		return v
	}
	if err := readable(v); err != nil {
		r.fail(name, "%v", err)
	}
	return v
}

func (r *reader) files(name string) []string {
	list := splitList(r.get(name))
	for _, f := range list {
		if err := readable(f); err != nil {
			r.fail(name, "%v", err)
		}
	}
	return list
}

func readable(path string) error {
	f, err := os.Open(path)
	if err != nil {
		if errors.Is(err, os.ErrNotExist) {
			return fmt.Errorf("file %s does not exist", path)
		}
		return fmt.Errorf("file %s cannot be read", path)
	}
	return f.Close()
}

func (r *reader) prefixes(name string) []netip.Prefix {
	var out []netip.Prefix
	for _, v := range splitList(r.get(name)) {
		p, err := netip.ParsePrefix(v)
		if err != nil {
			a, aerr := netip.ParseAddr(v)
			if aerr != nil {
				r.fail(name, "%q is not an address or CIDR such as 10.0.0.0/8", v)
				continue
			}
			p = netip.PrefixFrom(a, a.BitLen())
		}
		out = append(out, p.Masked())
	}
	return out
}

func splitList(v string) []string {
	var out []string
	for _, p := range strings.Split(v, ",") {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return out
}

func redactURL(v string) string {
	u, err := url.Parse(v)
	if err != nil {
		return "(unparsable URL)"
	}
	if u.User == nil {
		return v
	}
	u.User = url.User("redacted")
	return u.String()
}
