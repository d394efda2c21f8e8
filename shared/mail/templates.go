package mail

import (
	"bytes"
	"embed"
	htmltemplate "html/template"
	"strings"
	texttemplate "text/template"
)

// The mails the platform sends; each has templates/<name>.txt, whose
// "subject" block is the subject, and templates/<name>.html.
const (
	AccountLocked   = "account_locked"
	PasswordChanged = "password_changed"
	PasswordReset   = "password_reset"
	APIKeyIssued    = "api_key_issued"
	QuotaThreshold  = "quota_threshold"
)

// Names lists every template, for the tests that render each.
var Names = []string{AccountLocked, PasswordChanged, PasswordReset, APIKeyIssued, QuotaThreshold}

//go:embed templates/*.txt templates/*.html
var files embed.FS

var (
	textTemplates = texttemplate.Must(texttemplate.New("").Option("missingkey=error").ParseFS(files, "templates/*.txt"))
	htmlTemplates = htmltemplate.Must(htmltemplate.New("").Option("missingkey=error").ParseFS(files, "templates/*.html"))
)

// Render makes the mail name to to from data (HTML-escaped in the HTML part).
func Render(name, to string, data any) (Message, error) {
	var subject, text, html bytes.Buffer
	t := textTemplates.Lookup(name + ".txt")
	if t == nil {
		return Message{}, errUnknown(name)
	}
	// The subject block is defined in every text file: run it from this one.
	if err := texttemplate.Must(t.Clone()).ExecuteTemplate(&subject, name+".subject", data); err != nil {
		return Message{}, err
	}
	if err := t.Execute(&text, data); err != nil {
		return Message{}, err
	}
	if err := htmlTemplates.ExecuteTemplate(&html, name+".html", data); err != nil {
		return Message{}, err
	}
	return Message{To: to, Subject: strings.TrimSpace(subject.String()), Text: strings.TrimSpace(text.String()) + "\n", HTML: html.String()}, nil
}

type errUnknown string

func (e errUnknown) Error() string { return "no mail template " + string(e) }
