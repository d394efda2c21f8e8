package config

import (
	"net/url"
	"os"
	"strings"
	"time"
)

// Mail is how the platform sends its mail, and what its mails link to.
type Mail struct {
	SMTPHost     string // empty: mail off
	SMTPPort     int
	SMTPUsername string
	SMTPPassword string
	SMTPFrom     string
	SMTPTLS      string // none, starttls, tls
	PublicURL    string
	ResetURL     string // PASSWORD_RESET_URL, PUBLIC_URL/reset-password when empty
}

// Enabled reports whether mail is sent.
func (m Mail) Enabled() bool { return m.SMTPHost != "" }

// taskSettings are the settings of the background tasks: mail and the
// session clean-up.
var taskSettings = []Setting{
	{"SMTP_HOST", "", "SMTP server of the platform's mail (lock, password and key notifications, reset links); empty turns mail off"},
	{"SMTP_PORT", "587", "SMTP port (587 for starttls, 465 for tls, 25 or 1025 for none)"},
	{"SMTP_USERNAME", "", "SMTP user; empty sends without authentication"},
	{"SMTP_PASSWORD", "", "SMTP password (or SMTP_PASSWORD_FILE)"},
	{"SMTP_PASSWORD_FILE", "", "file holding the SMTP password, read at start; wins over SMTP_PASSWORD"},
	{"SMTP_FROM", "", "sender of the platform's mail, such as Chatbot Platform <no-reply@example.com>; needed when SMTP_HOST is set"},
	{"SMTP_TLS", "starttls", "none, starttls (required, not opportunistic) or tls (from the first byte)"},
	{"PUBLIC_URL", "http://localhost:8080", "the console's public address, linked from the mails"},
	{"PASSWORD_RESET_URL", "", "page of the reset link: it gets ?token=<token>, and without a token asks for a link; empty is PUBLIC_URL/reset-password"},
	{"SESSION_RETENTION_DAYS", "30", "sessions revoked or expired longer ago than this leave the sessions read model (hourly)"},
}

func init() { Settings = append(Settings, taskSettings...) }

func (r *reader) mail() Mail {
	m := Mail{
		SMTPHost: r.get("SMTP_HOST"), SMTPPort: r.intRange("SMTP_PORT", 1, 65535),
		SMTPUsername: r.get("SMTP_USERNAME"), SMTPPassword: r.get("SMTP_PASSWORD"), SMTPFrom: r.get("SMTP_FROM"),
		SMTPTLS:   r.oneOf("SMTP_TLS", "none", "starttls", "tls"),
		PublicURL: strings.TrimRight(r.webURL("PUBLIC_URL"), "/"), ResetURL: r.get("PASSWORD_RESET_URL"),
	}
	if f := r.file("SMTP_PASSWORD_FILE"); f != "" {
		b, err := os.ReadFile(f)
		if err != nil {
			r.fail("SMTP_PASSWORD_FILE", "cannot be read: %v", err)
		}
		m.SMTPPassword = strings.TrimSpace(string(b))
	}
	if m.ResetURL == "" {
		m.ResetURL = m.PublicURL + "/reset-password"
	} else {
		m.ResetURL = r.webURL("PASSWORD_RESET_URL")
	}
	if m.SMTPHost != "" && m.SMTPFrom == "" {
		r.fail("SMTP_FROM", "must be set when SMTP_HOST is")
	}
	return m
}

// webURL is an http(s) URL.
func (r *reader) webURL(name string) string {
	v := r.get(name)
	u, err := url.Parse(v)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		r.fail(name, "%q is not an http(s):// URL", v)
	}
	return v
}

func (r *reader) days(name string, lo, hi int) time.Duration {
	return time.Duration(r.intRange(name, lo, hi)) * 24 * time.Hour
}
