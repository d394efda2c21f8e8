package tasks

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/chatbotsaas/chatbot/events"
	"github.com/chatbotsaas/chatbot/projector"
	"github.com/chatbotsaas/chatbot/shared/taskrouter"
)

// The session clean-up runs on a schedule kept in the stream: a message on
// sessionCleanupSchedule is due at the next whole interval (hourly by
// default) and the server then publishes it on sessionCleanupDue; the task
// sets the next one each time it runs. Every process that runs the tasks
// sets it at start too: a newer schedule on the subject replaces the older,
// and since both name the same whole hour, setting it again moves nothing.
// (A one-time @at schedule, as the unlock timers use, works on every server
// that has schedules; repeating ones need a newer server.) The pinned task
// consumer hands each firing to one process.
const (
	sessionCleanupSchedule = events.TimerPrefix + ".schedule.session_cleanup"
	sessionCleanupDue      = events.TimerPrefix + ".due.session_cleanup"
	sessionCleanupTask     = "session_cleanup"
)

// SessionCleanup removes from the sessions read model the sessions revoked
// or expired more than Retention ago.
type SessionCleanup struct {
	Pool      *pgxpool.Pool
	JS        jetstream.JetStream
	Retention time.Duration
	Every     time.Duration // between runs, aligned on its multiples; default 1h, at least 1s
	Now       func() time.Time
}

// Run removes what is past retention now and says how many rows.
func (c *SessionCleanup) Run(ctx context.Context) (int64, error) {
	before := c.now().Add(-c.Retention)
	tag, err := c.Pool.Exec(ctx, `DELETE FROM `+projector.SessionsTable+` WHERE revoked_at < $1 OR expires_at < $1`, before)
	if err != nil {
		return 0, err
	}
	return tag.RowsAffected(), nil
}

func (c *SessionCleanup) now() time.Time {
	if c.Now != nil {
		return c.Now()
	}
	return time.Now()
}

// Start sets the next run in the stream.
func (c *SessionCleanup) Start(ctx context.Context) error {
	every := max(c.Every, time.Second)
	if c.Every == 0 {
		every = time.Hour
	}
	next := c.now().Truncate(every).Add(every)
	_, err := c.JS.PublishMsg(ctx, &nats.Msg{Subject: sessionCleanupSchedule},
		jetstream.WithScheduleAt(next), jetstream.WithScheduleTarget(sessionCleanupDue))
	if err != nil {
		return fmt.Errorf("schedule the session clean-up: %w", err)
	}
	return nil
}

// Handler is the task the schedule fires: it removes, then sets the next
// run. A delete needs no record of having run: it does nothing the second
// time.
func (c *SessionCleanup) Handler() taskrouter.Handler {
	return taskrouter.Handler{
		Name: sessionCleanupTask, Description: "removes sessions revoked or expired past retention from the read model",
		Subjects: []string{sessionCleanupDue}, FromNow: true,
		Do: func(ctx context.Context, _ taskrouter.Message) error {
			n, err := c.Run(ctx)
			if err != nil {
				return err
			}
			if n > 0 {
				slog.InfoContext(ctx, "old sessions removed from the read model", "rows", n, "retention_days", int(c.Retention.Hours()/24))
			}
			return c.Start(ctx)
		},
	}
}
