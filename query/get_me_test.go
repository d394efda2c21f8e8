package query

import (
	"context"
	"errors"
	"testing"

	"github.com/google/uuid"

	"github.com/chatbotsaas/chatbot/shared/apperr"
	"github.com/chatbotsaas/chatbot/shared/auth"
	"github.com/chatbotsaas/chatbot/shared/testkit"
)

// GET /v1/me reads as the caller's tenant: it finds the caller's profile,
// and the same user id under another tenant is nobody. It is a point read
// (point_read.go), and the members list beside it stays under row
// security: with the tenant reader's grant revoked, the profile still
// reads and the list no longer does.
func TestGetMeIsAPointReadAndTheListsStayUnderRowSecurity(t *testing.T) {
	db := testkit.NewDatabase(t)
	ctx := context.Background()
	company, user := uuid.NewString(), uuid.NewString()
	if _, err := db.Pool.Exec(ctx, `INSERT INTO rm_users_v1
		(tenant_id, id, company_id, email, name, role, status, created_at, updated_at, position)
		VALUES ($1, $2, $3, 'me@example.test', 'Me', 'company', 'active', now(), now(), 1)`, company, user, company); err != nil {
		t.Fatal(err)
	}
	s := New(Deps{Pool: db.Pool})
	as := func(p auth.Principal) (*readOutput[Me], error) {
		return s.getMe(auth.WithPrincipal(ctx, p), &getMeInput{})
	}

	out, err := as(auth.Principal{UserID: user, Role: auth.RoleCompany, CompanyID: company})
	if err != nil || out.Body.ID != user || out.Body.Email != "me@example.test" {
		t.Fatalf("own profile: %+v, %v", out, err)
	}
	// The same user id under another tenant is nobody.
	_, err = as(auth.Principal{UserID: user, Role: auth.RoleCompany, CompanyID: uuid.NewString()})
	if e := (*apperr.Error)(nil); !errors.As(err, &e) || e.Kind != apperr.KindNotFound {
		t.Fatalf("another tenant's user id: %v; want not found", err)
	}

	if _, err := db.Pool.Exec(ctx, "REVOKE SELECT ON rm_users_v1 FROM "+TenantReaderRole); err != nil {
		t.Fatal(err)
	}
	if _, err := as(auth.Principal{UserID: user, Role: auth.RoleCompany, CompanyID: company}); err != nil {
		t.Fatalf("GET /v1/me with the reader's grant revoked: %v; a point read does not take the reader's role", err)
	}
	if _, err := NewPGReader(db.Pool, nil, 0, nil).Members(ctx, 0, company, Page{Limit: 10}); err == nil {
		t.Fatal("the members list still reads rm_users_v1 with the reader's grant revoked: it does not read under row security")
	}
}
