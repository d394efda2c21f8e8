package config

import (
	"net/url"
	"strings"
	"time"
)

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

// redactURL hides the password of a URL quoted in an error.
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
