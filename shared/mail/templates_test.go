package mail_test

import (
	"strings"
	"testing"

	"github.com/chatbotsaas/chatbot/shared/mail"
)

// Every template renders, in text and HTML, with what it must say; the
// HTML part escapes what it is given.
func TestEveryTemplateRenders(t *testing.T) {
	p := mail.Product
	cases := map[string]struct {
		data any
		want []string
	}{
		mail.AccountLocked: {mail.LockedData{Name: "Ada <b>", Product: p, Failures: 5, Until: "2026-12-01 10:15",
			ResetURL: "https://app.example.com/reset", ResetMinutes: 30}, []string{"2026-12-01 10:15", "were not yours", "https://app.example.com/reset"}},
		mail.PasswordChanged: {mail.PasswordChangedData{Name: "Ada <b>", Product: p, Reset: true, SignedOut: true, At: "2026-12-01 10:15",
			ResetURL: "https://app.example.com/reset"}, []string{"reset with a link", "Every session was signed out", "wasn't you"}},
		mail.PasswordReset: {mail.PasswordResetData{Name: "Ada <b>", Product: p, Link: "https://app.example.com/reset?token=t.u.s",
			ResetMinutes: 30}, []string{"?token=t.u.s", "30 minutes", "works once"}},
		mail.APIKeyIssued: {mail.APIKeyData{Name: "Ada <b>", Product: p, Chatbot: "Helper", Company: "Acme", KeyName: "prod",
			Prefix: "cbk_ab12", Last4: "wxyz", ConsoleURL: "https://app.example.com"}, []string{"Helper", "prod", "cbk_ab12", "never mailed"}},
		mail.QuotaThreshold: {mail.QuotaData{Name: "Ada <b>", Product: p, Chatbot: "Helper", Company: "Acme", Used: 80, Limit: 100,
			Threshold: 80, Period: "daily", PeriodStart: "2026-12-01", ConsoleURL: "https://app.example.com"}, []string{"80 of its 100 daily", "80 %"}},
	}
	for _, name := range mail.Names {
		c, ok := cases[name]
		if !ok {
			t.Errorf("no render test for %s", name)
			continue
		}
		m, err := mail.Render(name, "ada@example.com", c.data)
		if err != nil {
			t.Errorf("%s: %v", name, err)
			continue
		}
		if m.Subject == "" || strings.Contains(m.Subject, "\n") || m.To != "ada@example.com" {
			t.Errorf("%s: subject %q, to %q", name, m.Subject, m.To)
		}
		for _, w := range c.want {
			if !strings.Contains(m.Text, w) || !strings.Contains(m.HTML, w) {
				t.Errorf("%s: %q missing from the text or the HTML:\n%s\n%s", name, w, m.Text, m.HTML)
			}
		}
		if !strings.Contains(m.Text, "Ada <b>") || strings.Contains(m.HTML, "Ada <b>") || !strings.Contains(m.HTML, "Ada &lt;b&gt;") {
			t.Errorf("%s: the name is not plain in the text and escaped in the HTML", name)
		}
	}
	if _, err := mail.Render("nope", "a@example.com", nil); err == nil {
		t.Error("an unknown template rendered")
	}
}
