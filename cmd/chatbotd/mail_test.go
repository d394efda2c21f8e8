package main

import (
	"encoding/json"
	"io"
	"log/slog"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chatbotsaas/chatbot/events"
	"github.com/chatbotsaas/chatbot/shared/auth"
	"github.com/chatbotsaas/chatbot/shared/pii"
	"github.com/chatbotsaas/chatbot/shared/testkit"
)

// startWithMail runs serve with its mail going to an SMTP server in the test.
func startWithMail(t *testing.T) (client, map[string]string, *testkit.SMTPServer) {
	t.Helper()
	smtp := testkit.StartSMTP(t)
	db := testkit.NewEmptyDatabase(t)
	settings := settingsFor(t, db.URL)
	settings["SMTP_HOST"], settings["SMTP_PORT"], settings["SMTP_TLS"] = smtp.Host, strconv.Itoa(smtp.Port), "none"
	settings["SMTP_FROM"] = "Chatbot Platform <no-reply@example.com>"
	settings["PASSWORD_RESET_URL"] = "https://app.example.com/reset"
	start(t, settings, "serve")
	base := "http://" + settings["HTTP_ADDR"]
	waitReady(t, base, 200, 15*time.Second)
	return client{t: t, base: base}, settings, smtp
}

var tokenInMail = regexp.MustCompile(`https://app\.example\.com/reset\?token=([A-Za-z0-9%._\-]+)`)

// resetToken waits for the n-th reset mail to to and returns its token.
func resetToken(t *testing.T, smtp *testkit.SMTPServer, to string, n int) string {
	t.Helper()
	got := smtp.WaitFor(t, 15*time.Second, "reset mail", func(m []testkit.Mail) bool {
		c := 0
		for _, x := range m {
			if x.To[0] == to && strings.Contains(x.Data, "Subject: Reset your password") {
				c++
			}
		}
		return c >= n
	})
	var last string
	for _, x := range got {
		if x.To[0] == to && strings.Contains(x.Data, "Subject: Reset your password") {
			last = x.Data
		}
	}
	// The text part is quoted-printable: undo its soft breaks and =3D.
	m := tokenInMail.FindStringSubmatch(strings.ReplaceAll(strings.ReplaceAll(last, "=\r\n", ""), "=3D", "="))
	if m == nil {
		t.Fatalf("no reset link in:\n%s", last)
	}
	token, err := url.QueryUnescape(m[1])
	if err != nil {
		t.Fatal(err)
	}
	return token
}

// The reset flow as API.md says: 202 alike for unknown and known emails;
// the mailed token works once, lifts a permanent lock and ends every
// session; a weak password is 422, a spent or made-up token 400.
func TestPasswordResetFlow(t *testing.T) {
	c, settings, smtp := startWithMail(t)
	admin := adminToken(t, c, settings)
	if r := c.do("PATCH", "/v1/admin/config", map[string]any{"password_reset": map[string]int{"ttl_seconds": 60}}, bearer(admin)...); r.status != 422 {
		t.Errorf("a reset link lifetime under 5 minutes: %d %s", r.status, r.raw)
	}
	r := c.do("PATCH", "/v1/admin/config", map[string]any{"lockout": map[string]int{"max_temporary_locks": 0},
		"password_reset": map[string]int{"ttl_seconds": 600}}, bearer(admin)...)
	if reset, _ := r.body["password_reset"].(map[string]any); r.status != 200 || reset["ttl_seconds"] != float64(600) {
		t.Fatalf("config: %d %s", r.status, r.raw)
	}
	su := c.signup("ada@example.com")
	session := c.login("ada@example.com", "correct horse battery").str("refresh_token")
	for range 5 {
		c.login("ada@example.com", "wrong password here")
	}
	if r := c.login("ada@example.com", "correct horse battery"); r.status != 401 {
		t.Fatalf("login on a permanent lock: %d", r.status)
	}
	smtp.WaitFor(t, 15*time.Second, "lock mail", func(m []testkit.Mail) bool { return len(m) > 0 && strings.Contains(m[0].Data, "locked") })

	unknown := c.do("POST", "/v1/auth/password-reset", map[string]string{"email": "nobody@example.com"})
	known := c.do("POST", "/v1/auth/password-reset", map[string]string{"email": "Ada@Example.com"})
	if unknown.status != 202 || known.status != 202 || unknown.raw != known.raw {
		t.Fatalf("reset requests: %d %s / %d %s", unknown.status, unknown.raw, known.status, known.raw)
	}
	token := resetToken(t, smtp, "ada@example.com", 1)
	if got := smtp.Received(); !strings.Contains(got[len(got)-1].Data, "within 10 minutes") {
		t.Errorf("the reset mail does not give the configured lifetime:\n%s", got[len(got)-1].Data)
	}

	confirm := func(token, password string) reply {
		return c.do("POST", "/v1/auth/password-reset/confirm", map[string]string{"token": token, "new_password": password})
	}
	if r := confirm(token, "short"); r.status != 422 {
		t.Errorf("weak password: %d %s", r.status, r.raw)
	}
	if r := confirm(token, "a brand new passphrase"); r.status != 204 {
		t.Fatalf("confirm: %d %s", r.status, r.raw)
	}
	if r := confirm(token, "another new passphrase"); r.status != 400 || r.str("code") != "invalid_reset_token" {
		t.Errorf("the token again: %d %s", r.status, r.raw)
	}
	for _, bad := range []string{"", "made.up.token", token + "x"} {
		if r := confirm(bad, "another new passphrase"); r.status != 400 || r.str("code") != "invalid_reset_token" {
			t.Errorf("token %q: %d %s", bad, r.status, r.raw)
		}
	}
	if r := c.login("ada@example.com", "a brand new passphrase"); r.status != 200 {
		t.Errorf("login after the reset (the permanent lock lifted): %d %s", r.status, r.raw)
	}
	if r := c.do("POST", "/v1/auth/refresh", map[string]string{"refresh_token": session}); r.status != 401 {
		t.Errorf("a session from before the reset still refreshes: %d", r.status)
	}
	smtp.WaitFor(t, 15*time.Second, "password changed mail", func(m []testkit.Mail) bool {
		for _, x := range m {
			if strings.Contains(x.Data, "Subject: Your password was changed") && strings.Contains(x.Data, "reset with a link") {
				return true
			}
		}
		return false
	})

	// At most three links an hour: the fourth and fifth requests mail nothing.
	for range 4 {
		if r := c.do("POST", "/v1/auth/password-reset", map[string]string{"email": "ada@example.com"}); r.status != 202 {
			t.Fatalf("request: %d", r.status)
		}
	}
	resetToken(t, smtp, "ada@example.com", 3)
	requested := 0
	for _, e := range userEvents(t, streamOf(t, settings), su.str("company_id"), su.str("user_id")) {
		if e.Type == events.PasswordResetRequested {
			requested++
		}
	}
	if requested != 3 {
		t.Errorf("%d reset links recorded within the hour, want 3", requested)
	}
}

// A new key mails each manager of the company: name, prefix, chatbot,
// never the key.
func TestNewKeyMailsEachManagerWithoutTheSecret(t *testing.T) {
	c, _, smtp := startWithMail(t)
	su := c.signup("ada@example.com")
	cid := su.str("company_id")
	owner := c.login("ada@example.com", "correct horse battery").str("access_token")
	base := "/v1/companies/" + cid
	if r := c.do("POST", base+"/members", map[string]string{"email": "bob@example.com", "name": "Bob", "password": "correct horse battery", "role": "company"}, bearer(owner)...); r.status != 201 {
		t.Fatalf("add manager: %d %s", r.status, r.raw)
	}
	if r := c.do("POST", base+"/members", map[string]string{"email": "carl@example.com", "name": "Carl", "password": "correct horse battery", "role": "user"}, bearer(owner)...); r.status != 201 {
		t.Fatalf("add user: %d %s", r.status, r.raw)
	}
	bot := c.do("POST", base+"/chatbots", map[string]string{"name": "Helpdesk"}, bearer(owner)...).str("id")
	key := c.do("POST", base+"/chatbots/"+bot+"/api-keys", map[string]string{"name": "production"}, bearer(owner)...)
	secret := key.str("key")
	if key.status != 201 || secret == "" {
		t.Fatalf("issue key: %d %s", key.status, key.raw)
	}
	got := smtp.WaitFor(t, 15*time.Second, "key mails", func(m []testkit.Mail) bool { return len(m) >= 2 })
	seen := map[string]bool{}
	for _, m := range got {
		seen[m.To[0]] = true
		if strings.Contains(m.Data, secret) || strings.Contains(m.Data, secret[len(secret)/2:]) {
			t.Errorf("the mail to %s carries the key", m.To[0])
		}
		for _, want := range []string{"production", "Helpdesk", key.str("prefix")} {
			if !strings.Contains(m.Data, want) {
				t.Errorf("the mail to %s lacks %q", m.To[0], want)
			}
		}
	}
	if !seen["ada@example.com"] || !seen["bob@example.com"] || seen["carl@example.com"] || len(got) != 2 {
		t.Errorf("key mails went to %v", seen)
	}
}

// requestResetToken asks for a reset link for the account and makes its
// token as the mail task would, from the request in the stream and the
// dev key under DATA_DIR: for runs without mail.
func requestResetToken(t *testing.T, c client, settings map[string]string, tenant, uid, email string) string {
	t.Helper()
	if r := c.do("POST", "/v1/auth/password-reset", map[string]string{"email": email}); r.status != 202 {
		t.Fatalf("reset request: %d %s", r.status, r.raw)
	}
	kek, err := pii.LoadKEK("", settings["DATA_DIR"], slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		t.Fatal(err)
	}
	js := streamOf(t, settings)
	// The request is recorded right after the answer.
	for deadline := time.Now().Add(5 * time.Second); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		for _, e := range userEvents(t, js, tenant, uid) {
			if e.Type == events.PasswordResetRequested {
				var d events.PasswordResetRequestedData
				if err := json.Unmarshal(e.Data, &d); err != nil {
					t.Fatal(err)
				}
				return auth.ResetToken(pii.NewMACKey(kek), tenant, uid, d.RequestID)
			}
		}
	}
	t.Fatal("no PasswordResetRequested in the stream")
	return ""
}

// With SMTP down, the lock mail is tried again, then parked as a dead
// letter; once SMTP is back, an administrator's retry delivers it once,
// and a second retry is refused.
func TestAMailParkedWhileSMTPIsDownIsDeliveredOnceOnRetry(t *testing.T) {
	c, settings, smtp := startWithMail(t)
	admin := adminToken(t, c, settings)
	c.signup("ada@example.com")
	smtp.Down()
	for range 5 {
		c.login("ada@example.com", "wrong password here")
	}
	var id string
	deadline := time.Now().Add(30 * time.Second)
	for id == "" {
		r := c.do("GET", "/v1/admin/dead-letters?consumer=mail_account_locked", nil, bearer(admin)...)
		if items := r.items(); len(items) == 1 {
			id, _ = items[0]["id"].(string)
			if n, _ := items[0]["attempts"].(float64); n != 5 || items[0]["kind"] != "task" {
				t.Errorf("parked letter: %v", items[0])
			}
		}
		if time.Now().After(deadline) {
			t.Fatal("the lock mail was not parked within 30s")
		}
		time.Sleep(100 * time.Millisecond)
	}
	if smtp.Refused() != 5 || len(smtp.Received()) != 0 {
		t.Errorf("while down: %d refused, %d received; want 5 tries and no mail", smtp.Refused(), len(smtp.Received()))
	}
	smtp.Up()
	if r := c.do("POST", "/v1/admin/dead-letters/"+id+"/retry", nil, bearer(admin)...); r.status != 200 || r.str("outcome") != "applied" {
		t.Fatalf("retry: %d %s", r.status, r.raw)
	}
	if got := smtp.Received(); len(got) != 1 || got[0].To[0] != "ada@example.com" || !strings.Contains(got[0].Data, "Your account is locked") {
		t.Fatalf("after the retry: %d mails", len(got))
	}
	if r := c.do("POST", "/v1/admin/dead-letters/"+id+"/retry", nil, bearer(admin)...); r.status != 409 {
		t.Errorf("second retry: %d %s", r.status, r.raw)
	}
	if n := len(smtp.Received()); n != 1 {
		t.Errorf("%d mails in all, want 1", n)
	}
}
