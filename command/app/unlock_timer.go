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

// scheduleUnlock sets a timer for the temporary lock a decision took,
// ending at ends (nil: it took none), caused by its AccountLocked in res.
func (id *Identity) scheduleUnlock(ctx context.Context, res eventstore.Appended, ends *time.Time) {
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
		_, err := id.js.PublishMsg(context.WithoutCancel(ctx), timer,
			jetstream.WithScheduleAt(ends.Add(time.Second)), // @at has whole seconds: never before the end
			jetstream.WithScheduleTarget(unlockDueSubject+"."+key))
		if err != nil {
			// The next login attempt still ends the lock.
			slog.WarnContext(ctx, "unlock timer not scheduled", "user", env.AggregateID, "err", err)
		}
	}
}

// ExpireLock ends the user's temporary lock if its time has come.
func (id *Identity) ExpireLock(ctx context.Context, tenant, userID string) error {
	_, _, err := eventstore.Update(ctx, id.store, userRef(tenant, userID), eventstore.EventsOnly(func(u *user.User) ([]events.Event, error) {
		return u.ExpireLock(id.now()), nil
	}))
	return err
}

// UnlockTimerTask handles due unlock timers on the task router.
func (id *Identity) UnlockTimerTask() taskrouter.Handler {
	return taskrouter.Handler{
		Name: unlockTask, Description: "ends temporary account locks at their time",
		Subjects: []string{unlockDueSubject + ".>"},
		Do: func(ctx context.Context, m taskrouter.Message) error {
			parts := strings.Split(strings.TrimPrefix(m.Subject(), unlockDueSubject+"."), ".")
			if len(parts) != 2 {
				return fmt.Errorf("%w: subject %s", taskrouter.ErrCannotDo, m.Subject())
			}
			return id.ExpireLock(ctx, parts[0], parts[1])
		},
	}
}
