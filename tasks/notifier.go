package tasks

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/chatbotsaas/chatbot/projector"
	"github.com/chatbotsaas/chatbot/readmodel"
	"github.com/chatbotsaas/chatbot/shared/apperr"
	"github.com/chatbotsaas/chatbot/shared/auth"
	"github.com/chatbotsaas/chatbot/shared/mail"
	"github.com/chatbotsaas/chatbot/shared/policy"
	"github.com/chatbotsaas/chatbot/shared/taskrouter"
)

// Notifier mails the notifications. Recipients' emails are read from the
// users read model, where the projector keeps them opened: events carry
// them sealed.
type Notifier struct {
	Pool      *pgxpool.Pool
	Progress  Progress // how far the read models it reads are
	Mail      mail.Sender
	ResetKey  auth.MACer // makes the reset tokens the mails carry (the vault)
	Policy    *policy.Holder
	PublicURL string // the console, linked from the mails
	ResetURL  string // PASSWORD_RESET_URL: with ?token= it resets, without it asks for a link
}

// Handlers are the notification tasks.
func (n *Notifier) Handlers() []taskrouter.Handler {
	return []taskrouter.Handler{n.accountLocked(), n.passwordChanged(), n.passwordReset(), n.apiKeyIssued(), n.quotaThreshold()}
}

// recipient is a user the mail goes to.
type recipient struct {
	ID, Email, Name string
}

// errNotYetProjected: the event is newer than the read model; a later
// delivery finds the row.
var errNotYetProjected = fmt.Errorf("%w: the user is not in the read model yet", taskrouter.ErrNotYet)

// Progress tells how far the projections are (readmodel.Follower).
type Progress interface {
	Wait(ctx context.Context, n uint64, bound time.Duration, names ...readmodel.Name) error
}

// awaitBound is how long a task waits, in hand, for a read model behind
// its event; past it the message comes again later.
const awaitBound = 5 * time.Second

// await makes sure the projections reflect every event up to position:
// who manages a company, or a chatbot's name, is read as of the event.
func (n *Notifier) await(ctx context.Context, position uint64, projections ...readmodel.Name) error {
	err := n.Progress.Wait(ctx, position, awaitBound, projections...)
	var lagging *apperr.Error
	if errors.As(err, &lagging) && lagging.Code == readmodel.ErrLagging().Code {
		return fmt.Errorf("%w: %v has not reached position %d", taskrouter.ErrNotYet, projections, position)
	}
	return err
}

// user reads the account an event is about; ok is false for an account
// that is gone (deleted: nothing to mail).
func (n *Notifier) user(ctx context.Context, tenant, id string) (recipient, bool, error) {
	var r recipient
	var status string
	err := n.Pool.QueryRow(ctx, `SELECT id::text, email, name, status FROM `+projector.UsersTable+`
		WHERE tenant_id = $1 AND id = $2::text::uuid`, tenant, id).Scan(&r.ID, &r.Email, &r.Name, &status)
	if errors.Is(err, pgx.ErrNoRows) {
		return r, false, errNotYetProjected
	}
	if err != nil {
		return r, false, err
	}
	return r, status != "deleted" && r.Email != "", nil
}

// managers are the active users of role company of a company.
func (n *Notifier) managers(ctx context.Context, company string, position uint64) ([]recipient, error) {
	if err := n.await(ctx, position, "users"); err != nil {
		return nil, err
	}
	rows, err := n.Pool.Query(ctx, `SELECT id::text, email, name FROM `+projector.UsersTable+`
		WHERE tenant_id = $1 AND company_id = $1::text::uuid AND role = 'company' AND status = 'active' AND email <> ''
		ORDER BY id`, company)
	if err != nil {
		return nil, err
	}
	return pgx.CollectRows(rows, func(r pgx.CollectableRow) (recipient, error) {
		var m recipient
		return m, r.Scan(&m.ID, &m.Email, &m.Name)
	})
}

// send mails template name to r once for the task and event: the mail's
// record is claimed, the mail sent, and the record committed.
func (n *Notifier) send(ctx context.Context, task, eventID string, r recipient, name string, data any) error {
	msg, err := mail.Render(name, r.Email, data)
	if err != nil {
		return fmt.Errorf("%w: %v", taskrouter.ErrCannotDo, err)
	}
	msg.ID = eventID + "." + r.ID + "@" + task
	return taskrouter.Once(ctx, n.Pool, task, eventID+"/"+r.ID, func(ctx context.Context, _ pgx.Tx) error {
		return n.Mail.Send(ctx, msg)
	})
}

// utc formats a time for the mails.
func utc(t time.Time) string { return t.UTC().Format("2006-01-02 15:04") }

func (n *Notifier) resetMinutes() int { return int(n.Policy.Get().PasswordResetTTL / time.Minute) }
