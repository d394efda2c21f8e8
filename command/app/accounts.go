package app

import (
	"context"
	"fmt"
	"net/mail"
	"strings"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"

	"github.com/chatbotsaas/chatbot/command/eventstore"
	"github.com/chatbotsaas/chatbot/events"
	"github.com/chatbotsaas/chatbot/shared/apperr"
	"github.com/chatbotsaas/chatbot/shared/auth"
	"github.com/chatbotsaas/chatbot/shared/policy"
)

// The rules accounts are held to, and where their aggregates are.

// TokenPair is what a login or a refresh answers.
type TokenPair struct {
	AccessToken  string `json:"access_token"`
	RefreshToken string `json:"refresh_token"`
	TokenType    string `json:"token_type" example:"Bearer"`
	ExpiresIn    int64  `json:"expires_in" doc:"seconds until the access token expires"`
}

func userRef(tenant, id string) eventstore.Ref {
	return eventstore.Ref{Tenant: tenant, Type: events.AggregateUser, ID: id}
}

func companyRef(id string) eventstore.Ref {
	return eventstore.Ref{Tenant: id, Type: events.AggregateCompany, ID: id}
}

func sessionRef(tenant, id string) eventstore.Ref {
	return eventstore.Ref{Tenant: tenant, Type: events.AggregateSession, ID: id}
}

func tenantOf(companyID string) string {
	if companyID == "" {
		return events.PlatformTenant
	}
	return companyID
}

// newID makes an aggregate's id; under an Idempotency-Key it is derived
// from the key, so that a retry of a killed create finds its own.
func newID(ctx context.Context) string { return events.NewAggregateID(ctx) }

// NormalizeEmail is the form emails are compared in: NFKC, trimmed, lower case.
func NormalizeEmail(email string) string {
	return strings.ToLower(strings.TrimSpace(norm.NFKC.String(email)))
}

func validEmail(email string) bool {
	if len(email) > 254 || strings.ContainsAny(email, " \t\r\n") {
		return false
	}
	a, err := mail.ParseAddress(email)
	return err == nil && a.Address == email && strings.Contains(email[strings.LastIndex(email, "@"):], ".")
}

// checkName validates a display name.
func checkName(field, v string, errs *[]apperr.FieldError) string {
	v = strings.TrimSpace(norm.NFKC.String(v))
	if n := utf8.RuneCountInString(v); n < 1 || n > 100 {
		*errs = append(*errs, apperr.FieldError{Field: field, Message: "must be 1 to 100 characters"})
	}
	return v
}

// checkPassword holds a new password to the policy in force.
func checkPassword(pol *policy.Holder, field, pw string, errs *[]apperr.FieldError) {
	min := pol.Get().PasswordMinLength
	switch {
	case len(pw) > auth.MaxPasswordBytes:
		*errs = append(*errs, apperr.FieldError{Field: field, Message: fmt.Sprintf("must be at most %d bytes", auth.MaxPasswordBytes)})
	case auth.Length(pw) < min:
		*errs = append(*errs, apperr.FieldError{Field: field, Message: fmt.Sprintf("must be at least %d characters", min)})
	}
}

// reservation is the owner value of an email: the user's aggregate.
func reservation(tenant, userID string) string { return tenant + "/" + userID }

func parseReservation(v string) (tenant, userID string, ok bool) {
	return strings.Cut(v, "/")
}

// remember makes this process's revocation view see its own appends at
// once, before the stream brings them.
func remember(revoked *auth.Revocations, res eventstore.Appended) {
	if revoked == nil {
		return
	}
	for _, env := range res.Envelopes {
		revoked.Apply(env)
	}
}
