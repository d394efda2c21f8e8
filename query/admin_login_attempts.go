package query

import (
	"context"
	"net/netip"
	"strconv"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/chatbotsaas/chatbot/projector"
	"github.com/chatbotsaas/chatbot/shared/apperr"
)

// LoginAttempt is one login attempt on an account.
type LoginAttempt struct {
	At        time.Time `json:"at"`
	Succeeded bool      `json:"succeeded"`
	IP        string    `json:"ip"`
	UserAgent string    `json:"user_agent"`
	Reason    *string   `json:"reason"`

	position int64 // the page's cursor
}

type attemptsInput struct {
	MinPosition
	ID     string `path:"id" format:"uuid"`
	Limit  int    `query:"limit" minimum:"1" maximum:"200" default:"50"`
	Cursor string `query:"cursor" maxLength:"20" doc:"next_cursor of the previous page"`
	IP     string `query:"ip" maxLength:"45" doc:"only the attempts from this address (IPv4 or IPv6, as the client was seen)"`
}

type attemptsOutput struct {
	Body struct {
		Items      []LoginAttempt `json:"items"`
		NextCursor *string        `json:"next_cursor" doc:"null on the last page"`
	}
}

func (s *Side) loginAttempts(ctx context.Context, in *attemptsInput) (*attemptsOutput, error) {
	if err := s.Await(ctx, in.MinPosition, "users", "login_attempts"); err != nil {
		return nil, err
	}
	f := &filters{}
	f.add("user_id = ?", in.ID)
	if in.Cursor != "" {
		before, err := strconv.ParseInt(in.Cursor, 10, 64)
		if err != nil || before <= 0 {
			return nil, errBadCursor
		}
		f.add("position < ?", before)
	}
	if in.IP != "" {
		addr, err := netip.ParseAddr(in.IP)
		if err != nil {
			return nil, apperr.Invalid("ip is not an IPv4 or IPv6 address")
		}
		f.add("ip = ?", addr.Unmap().String())
	}
	var exists bool
	if err := s.deps.Pool.QueryRow(ctx, `SELECT exists(SELECT 1 FROM `+projector.UsersTable+` WHERE id = $1 AND status <> 'deleted')`, in.ID).Scan(&exists); err != nil {
		return nil, err
	}
	if !exists {
		return nil, apperr.NotFound("user")
	}
	where, args := f.sql("position DESC", in.Limit+1)
	rows, err := s.deps.Pool.Query(ctx, `SELECT position, at, succeeded, ip, user_agent, reason FROM `+projector.LoginAttemptsTable+`
		WHERE `+where, args...)
	if err != nil {
		return nil, err
	}
	items, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (LoginAttempt, error) {
		var a LoginAttempt
		return a, r.Scan(&a.position, &a.At, &a.Succeeded, &a.IP, &a.UserAgent, &a.Reason)
	})
	if err != nil {
		return nil, err
	}
	out := &attemptsOutput{}
	out.Body.Items, out.Body.NextCursor = page(items, in.Limit, func(a LoginAttempt) string { return strconv.FormatInt(a.position, 10) })
	return out, nil
}
