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
// sessionCleanupSchedule says when (a cron expression, hourly by default),
// and the server publishes on sessionCleanupDue each time. Every process
// that runs the tasks sets the schedule at start (a newer schedule on the
// subject replaces the older one; a cron one is not moved by it), and the
// pinned task consumer hands each firing to one process.
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
	Schedule  string // cron expression of the server's; default @hourly
	Now       func() time.Time
}

// Run removes what is past retention now and says how many rows.
func (c *SessionCleanup) Run(ctx context.Context) (int64, error) {
	now := time.Now
	if c.Now != nil {
		now = c.Now
	}
	before := now().Add(-c.Retention)
	tag, err := c.Pool.Exec(ctx, `DELETE FROM `+projector.SessionsTable+` WHERE revoked_at < $1 OR expires_at < $1`, before)
	if err != nil {
		return 0, err
	}
	return tag.RowsAffected(), nil
}

// Start sets the schedule in the stream.
func (c *SessionCleanup) Start(ctx context.Context) error {
	schedule := c.Schedule
	if schedule == "" {
		schedule = jetstream.ScheduleHourly
	}
	_, err := c.JS.PublishMsg(ctx, &nats.Msg{Subject: sessionCleanupSchedule},
		jetstream.WithScheduleCron(schedule), jetstream.WithScheduleTarget(sessionCleanupDue))
	if err != nil {
		return fmt.Errorf("schedule the session clean-up: %w", err)
	}
	return nil
}

// Handler is the task the schedule fires; a delete needs no record of
// having run, it does nothing the second time.
func (c *SessionCleanup) Handler() taskrouter.Handler {
	return taskrouter.Handler{
		Name: sessionCleanupTask, Description: "removes sessions revoked or expired past retention from the read model",
		Subjects: []string{sessionCleanupDue}, FromNow: true,
		Do: func(ctx context.Context, _ taskrouter.Message) error {
			n, err := c.Run(ctx)
			if err == nil && n > 0 {
				slog.InfoContext(ctx, "old sessions removed from the read model", "rows", n, "retention_days", int(c.Retention.Hours()/24))
			}
			return err
		},
	}
}
