package query

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"time"

	"github.com/danielgtaylor/huma/v2"
	"github.com/jackc/pgx/v5"

	"github.com/chatbotsaas/chatbot/readmodel"
	"github.com/chatbotsaas/chatbot/shared/apperr"
	"github.com/chatbotsaas/chatbot/shared/auth"
)

// AdminUser is a user as the admin API shows it.
type AdminUser struct {
	ID               string     `json:"id"`
	Email            string     `json:"email"`
	Name             string     `json:"name"`
	Role             string     `json:"role"`
	CompanyID        *string    `json:"company_id"`
	Status           string     `json:"status" enum:"active,disabled"`
	CreatedAt        time.Time  `json:"created_at"`
	LockedUntil      *time.Time `json:"locked_until" doc:"end of a temporary lock"`
	PermanentLock    bool       `json:"permanent_lock"`
	LockCount        int        `json:"lock_count"`
	FailedLoginCount int        `json:"failed_login_count"`
	LastLoginAt      *time.Time `json:"last_login_at"`
}

type listUsersInput struct {
	ReadHeaders
	Limit     int    `query:"limit" minimum:"1" maximum:"200" default:"50"`
	Cursor    string `query:"cursor" maxLength:"64"`
	Q         string `query:"q" maxLength:"320" doc:"email or name prefix"`
	Role      string `query:"role" enum:"admin,company,user,"`
	Status    string `query:"status" enum:"active,disabled,locked,"`
	CompanyID string `query:"company_id" maxLength:"64"`
}

type userInput struct {
	ReadHeaders
	ID string `path:"id" format:"uuid"`
}

func scanAdminUser(r pgx.Row) (AdminUser, error) {
	var u AdminUser
	err := r.Scan(&u.ID, &u.Email, &u.Name, &u.Role, &u.CompanyID, &u.Status, &u.CreatedAt, &u.LockedUntil, &u.PermanentLock,
		&u.LockCount, &u.FailedLoginCount, &u.LastLoginAt)
	return u, err
}

func (s *Side) registerAdminUsers(api huma.API) {
	tags := []string{"Admin"}
	huma.Register(api, auth.Require(huma.Operation{
		OperationID: "list-users", Method: http.MethodGet, Path: "/v1/admin/users", Tags: tags,
		Summary: "Users, oldest first, filtered by email or name prefix, role, status (locked included) and company",
	}, auth.PermUsersRead), s.listUsers)
	huma.Register(api, auth.Require(huma.Operation{
		OperationID: "get-user-admin", Method: http.MethodGet, Path: "/v1/admin/users/{id}", Tags: tags,
		Summary: "A user with its lock state and counters",
	}, auth.PermUsersRead), s.getUser)
	huma.Register(api, auth.Require(huma.Operation{
		OperationID: "list-login-attempts", Method: http.MethodGet, Path: "/v1/admin/users/{id}/login-attempts", Tags: tags,
		Summary: "A user's login attempts, newest first; by page, and from one address with ip",
	}, auth.PermUsersRead), s.loginAttempts)
}

func (s *Side) listUsers(ctx context.Context, in *listUsersInput) (*readOutput[List[AdminUser]], error) {
	pool, err := s.reads(ctx, in.MinPosition, readmodel.Users)
	if err != nil {
		return nil, err
	}
	after, err := afterID(in.Cursor)
	if err != nil {
		return nil, err
	}
	f := &filters{where: []string{"status <> 'deleted'"}}
	add := f.add
	add("id > ?", after)
	if in.Q != "" {
		prefix := strings.NewReplacer(`\`, `\\`, "%", `\%`, "_", `\_`).Replace(strings.ToLower(in.Q)) + "%"
		add("(email LIKE ? OR lower(name) LIKE ?)", prefix)
	}
	if in.Role != "" {
		add("role = ?", in.Role)
	}
	switch in.Status {
	case "locked":
		add("(permanent_lock OR locked_until > ?)", time.Now())
	case "active", "disabled":
		add("status = ?", in.Status)
	}
	if in.CompanyID != "" {
		add("company_id::text = ?", in.CompanyID)
	}
	where, args := f.sql("id", in.Limit+1)
	rows, err := pool.Query(ctx, adminUsersSQL+" "+where, args...)
	l, err := collectPage(rows, err, in.Limit, func(r pgx.CollectableRow) (AdminUser, error) { return scanAdminUser(r) },
		func(u AdminUser) string { return idCursor(u.ID) })
	if err != nil {
		return nil, err
	}
	return answerValue(in.Revalidate, l)
}

func (s *Side) getUser(ctx context.Context, in *userInput) (*readOutput[AdminUser], error) {
	pool, err := s.reads(ctx, in.MinPosition, readmodel.Users)
	if err != nil {
		return nil, err
	}
	u, err := scanAdminUser(pool.QueryRow(ctx, adminUserSQL, in.ID))
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, apperr.NotFound("user")
	}
	if err != nil {
		return nil, err
	}
	return answerValue(in.Revalidate, u)
}
