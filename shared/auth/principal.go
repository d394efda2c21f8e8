package auth

import (
	"context"

	"github.com/chatbotsaas/chatbot/events"
	"github.com/chatbotsaas/chatbot/shared/apperr"
)

// Roles.
const (
	RoleAdmin   = "admin"
	RoleCompany = "company"
	RoleUser    = "user"
)

// Principal is who a request acts as. The tenant comes only from here:
// CompanyID is taken from the verified token, never from the request.
type Principal struct {
	UserID    string
	SessionID string
	Role      string
	CompanyID string
}

// Tenant is the stream tenant of the principal's own aggregates.
func (p Principal) Tenant() string {
	if p.CompanyID == "" {
		return "platform"
	}
	return p.CompanyID
}

type principalKey struct{}

// Actor is the principal as the events it causes name it: a person, an
// administrator included, is a user.
func (p Principal) Actor() events.Actor {
	return events.UserActor(p.UserID)
}

// WithPrincipal returns ctx carrying p. The commands' Actor decorator
// makes p the actor of the events they append: the one place an
// authenticated request gets its actor.
func WithPrincipal(ctx context.Context, p Principal) context.Context {
	return context.WithValue(ctx, principalKey{}, p)
}

// PrincipalFrom returns the principal in ctx, if the request is authenticated.
func PrincipalFrom(ctx context.Context) (Principal, bool) {
	p, ok := ctx.Value(principalKey{}).(Principal)
	return p, ok
}

// CompanyOf returns the company a request about companyID may act on: an
// administrator acts on any company, everyone else only on their own.
// Another company's id answers 404 not_found, never 403: whether it exists
// is not the caller's business.
func CompanyOf(ctx context.Context, companyID string) (string, error) {
	p, ok := PrincipalFrom(ctx)
	if ok && companyID != "" && (p.Role == RoleAdmin || p.CompanyID == companyID) {
		return companyID, nil
	}
	return "", apperr.NotFound("company")
}
