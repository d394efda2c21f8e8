package app

import (
	"context"
	"errors"
	"fmt"
	"net/mail"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/nats-io/nats.go/jetstream"
	"golang.org/x/text/unicode/norm"

	"github.com/chatbotsaas/chatbot/command/eventstore"
	"github.com/chatbotsaas/chatbot/events"
	"github.com/chatbotsaas/chatbot/shared/apperr"
	"github.com/chatbotsaas/chatbot/shared/auth"
	"github.com/chatbotsaas/chatbot/shared/policy"
)

// CredentialsBucket keeps password hashes, outside the event stream.
const CredentialsBucket = "CREDENTIALS"

// Identity runs the identity commands: signup, login, refresh, logout,
// profile and password changes.
type Identity struct {
	js      jetstream.JetStream
	store   *eventstore.Store
	creds   jetstream.KeyValue
	hasher  *auth.Hasher
	tokens  *auth.Tokens
	policy  *policy.Holder
	revoked *auth.Revocations
	// resetKey makes password reset tokens (the vault); nil refuses resets.
	resetKey auth.MACer
	now      func() time.Time
	// propagation is waited on by a change to a company that can make bot
	// calls fail (a suspension, a plan).
	propagation Propagation
}

// IdentityDeps are what Identity runs on.
type IdentityDeps struct {
	Store       *eventstore.Store
	JS          jetstream.JetStream
	Replicas    int
	Hasher      *auth.Hasher
	Tokens      *auth.Tokens
	Policy      *policy.Holder
	Revocations *auth.Revocations
	ResetKey    auth.MACer // the personal data vault: makes password reset tokens
	Now         func() time.Time
	Propagation Propagation // see Identity.propagation; nil waits for nothing
}

// NewIdentity opens the credentials bucket and returns the commands.
func NewIdentity(ctx context.Context, d IdentityDeps) (*Identity, error) {
	creds, err := d.JS.CreateOrUpdateKeyValue(ctx, jetstream.KeyValueConfig{
		Bucket: CredentialsBucket, Description: "password hashes by user id (never in events)",
		History: 1, Storage: jetstream.FileStorage, Replicas: max(d.Replicas, 1),
	})
	if err != nil {
		return nil, fmt.Errorf("create bucket %s: %w", CredentialsBucket, err)
	}
	if d.Now == nil {
		d.Now = time.Now
	}
	return &Identity{js: d.JS, store: d.Store, creds: creds, hasher: d.Hasher, tokens: d.Tokens, policy: d.Policy, revoked: d.Revocations, resetKey: d.ResetKey, now: d.Now, propagation: d.Propagation}, nil
}

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

func (id *Identity) checkPassword(field, pw string, errs *[]apperr.FieldError) {
	min := id.policy.Get().PasswordMinLength
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

func (id *Identity) storeHash(ctx context.Context, userID string, hash []byte) error {
	_, err := id.creds.Put(ctx, userID, hash)
	return err
}

func (id *Identity) loadHash(ctx context.Context, userID string) ([]byte, error) {
	e, err := id.creds.Get(ctx, userID)
	if errors.Is(err, jetstream.ErrKeyNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	return e.Value(), nil
}

// remember makes this process's revocation view see its own appends at
// once, before the stream brings them.
func (id *Identity) remember(res eventstore.Appended) {
	for _, env := range res.Envelopes {
		id.revoked.Apply(env)
	}
}
