package tasks_test

import (
	"context"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/chatbotsaas/chatbot/projector"
	"github.com/chatbotsaas/chatbot/tasks"
)

// Sessions revoked or expired past retention leave the read model when the
// schedule in the stream fires, run after run; the others stay.
func TestSessionCleanupRunsOnItsSchedule(t *testing.T) {
	w := newWorld(t)
	ctx := context.Background()
	now := time.Now()
	day := 24 * time.Hour
	session := func(expires time.Time, revoked *time.Time) string {
		id := uuid.NewString()
		_, err := w.pool.Exec(ctx, `INSERT INTO `+projector.SessionsTable+` (tenant_id, id, user_id, started_at, last_used_at, expires_at,
			ip, user_agent, revoked_at) VALUES ('acme', $1, $2, $3, $3, $4, '', '', $5)`, id, uuid.NewString(), now.Add(-90*day), expires, revoked)
		if err != nil {
			t.Fatal(err)
		}
		return id
	}
	longAgo, lately := now.Add(-40*day), now.Add(-5*day)
	gone := []string{session(longAgo, nil), session(now.Add(day), &longAgo)}
	kept := []string{session(now.Add(day), nil), session(lately, nil), session(now.Add(day), &lately)}

	c := &tasks.SessionCleanup{Pool: w.pool, JS: w.js, Retention: 30 * day, Every: time.Second}
	w.router(c.Handler())
	if err := c.Start(ctx); err != nil {
		t.Fatal(err)
	}
	count := func(ids []string) int {
		var n int
		if err := w.pool.QueryRow(ctx, `SELECT count(*) FROM `+projector.SessionsTable+` WHERE id::text = ANY($1)`, ids).Scan(&n); err != nil {
			t.Fatalf("count the sessions: %v", err)
		}
		return n
	}
	deadline := time.Now().Add(10 * time.Second)
	for count(gone) > 0 {
		if time.Now().After(deadline) {
			t.Fatal("the old sessions are still there 10s after a schedule of every second")
		}
		time.Sleep(100 * time.Millisecond)
	}
	if n := count(kept); n != len(kept) {
		t.Errorf("%d of %d recent or live sessions kept", n, len(kept))
	}
	// The task set its next run: a session that ages past retention goes too.
	later := session(longAgo, nil)
	deadline = time.Now().Add(10 * time.Second)
	for count([]string{later}) > 0 {
		if time.Now().After(deadline) {
			t.Fatal("no second run of the clean-up")
		}
		time.Sleep(100 * time.Millisecond)
	}
}
