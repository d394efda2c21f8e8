package config

import (
	"fmt"
	"net/netip"
	"os"
	"path/filepath"
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
