package app

import (
	"context"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/chatbotsaas/chatbot/command/domain/user"
	"github.com/chatbotsaas/chatbot/command/eventstore"
	"github.com/chatbotsaas/chatbot/events"
	"github.com/chatbotsaas/chatbot/shared/taskrouter"
)

// A temporary lock ends by itself: when it is taken, a message scheduled in
// the stream for its end is due at timers.due.unlock.<tenant>.<user>, and
// the unlock timer task then appends AccountUnlocked (reason expired).
// A login after the end does the same first, so whichever comes first wins
// and the other finds nothing to do.
const (
	unlockTimerSubject = events.TimerPrefix + ".unlock"
	unlockDueSubject   = events.TimerPrefix + ".due.unlock"
	unlockTask         = "unlock_timers"
)

// UnlockTimers schedule the end of temporary locks in the stream.
type UnlockTimers struct{ JS jetstream.JetStream }

// schedule sets a timer for the temporary lock a decision took, ending
// at ends (nil: it took none), caused by its AccountLocked in res.
func (t UnlockTimers) schedule(ctx context.Context, res eventstore.Appended, ends *time.Time) {
	if ends == nil {
		return
	}
	for _, env := range res.Envelopes {
		if env.Type != events.AccountLocked {
			continue
		}
		key := env.TenantID + "." + env.AggregateID
		// The timer names the lock that set it: the unlock it brings is caused by it.
		timer := &nats.Msg{Subject: fmt.Sprintf("%s.%s.%d", unlockTimerSubject, key, env.Position), Header: events.CauseHeaders(env)}
		_, err := t.JS.PublishMsg(context.WithoutCancel(ctx), timer,
			jetstream.WithScheduleAt(ends.Add(time.Second)), // @at has whole seconds: never before the end
			jetstream.WithScheduleTarget(unlockDueSubject+"."+key))
		if err != nil {
			// The next login attempt still ends the lock.
			slog.WarnContext(ctx, "unlock timer not scheduled", "user", env.AggregateID, "err", err)
		}
	}
}

// ExpireLockCmd names the account whose lock's time has come.
type ExpireLockCmd struct{ Tenant, UserID string }

// ExpireLock ends the user's temporary lock if its time has come.
type ExpireLock struct {
	Store *eventstore.Store
	Now   func() time.Time
}

// Handle ends the lock.
func (h ExpireLock) Handle(ctx context.Context, cmd ExpireLockCmd) (eventstore.Nothing, error) {
	_, _, err := eventstore.Update(ctx, h.Store, userRef(cmd.Tenant, cmd.UserID), eventstore.EventsOnly(func(u *user.User) ([]events.Event, error) {
		return u.ExpireLock(h.Now()), nil
	}))
	return eventstore.Nothing{}, err
}

// UnlockTimerTask handles due unlock timers on the task router.
func UnlockTimerTask(expire Handler[ExpireLockCmd, eventstore.Nothing]) taskrouter.Handler {
	return taskrouter.Handler{
		Name: unlockTask, Description: "ends temporary account locks at their time",
		Subjects: []string{unlockDueSubject + ".>"},
		Do: func(ctx context.Context, m taskrouter.Message) error {
			parts := strings.Split(strings.TrimPrefix(m.Subject(), unlockDueSubject+"."), ".")
			if len(parts) != 2 {
				return fmt.Errorf("%w: subject %s", taskrouter.ErrCannotDo, m.Subject())
			}
			_, err := expire.Handle(ctx, ExpireLockCmd{Tenant: parts[0], UserID: parts[1]})
			return err
		},
	}
}
