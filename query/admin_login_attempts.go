package query

import (
	"context"
	"net/netip"
	"strconv"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/chatbotsaas/chatbot/readmodel"
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
	ReadHeaders
	ID     string `path:"id" format:"uuid"`
	Limit  int    `query:"limit" minimum:"1" maximum:"200" default:"50"`
	Cursor string `query:"cursor" maxLength:"20" doc:"next_cursor of the previous page"`
	IP     string `query:"ip" maxLength:"45" doc:"only the attempts from this address (IPv4 or IPv6, as the client was seen)"`
}

func (s *Side) loginAttempts(ctx context.Context, in *attemptsInput) (*readOutput[List[LoginAttempt]], error) {
	pool, err := s.reads(ctx, in.MinPosition, readmodel.Users, readmodel.LoginAttempts)
	if err != nil {
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
	if err := pool.QueryRow(ctx, userExistsSQL, in.ID).Scan(&exists); err != nil {
		return nil, err
	}
	if !exists {
		return nil, apperr.NotFound("user")
	}
	where, args := f.sql("position DESC", in.Limit+1)
	rows, err := pool.Query(ctx, loginAttemptsSQL+" "+where, args...)
	l, err := collectPage(rows, err, in.Limit, func(r pgx.CollectableRow) (LoginAttempt, error) {
		var a LoginAttempt
		return a, r.Scan(&a.position, &a.At, &a.Succeeded, &a.IP, &a.UserAgent, &a.Reason)
	}, func(a LoginAttempt) string { return strconv.FormatInt(a.position, 10) })
	if err != nil {
		return nil, err
	}
	return answerValue(in.Revalidate, l)
}
