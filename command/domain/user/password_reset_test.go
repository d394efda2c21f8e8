package user_test

import (
	"errors"
	"testing"
	"time"

	"github.com/chatbotsaas/chatbot/command/domain/user"
	"github.com/chatbotsaas/chatbot/events"
)

func apply(u *user.User, at time.Time, evs []events.Event) {
	for _, e := range evs {
		u.Apply(events.Envelope{Type: e.Type, OccurredAt: at, AggregateID: "u1"}, ptr(e.Data))
	}
}

func ptr(d any) any {
	switch v := d.(type) {
	case events.PasswordResetRequestedData:
		return &v
	case events.PasswordResetCompletedData:
		return &v
	case events.PasswordChangedData:
		return &v
	case events.AccountUnlockedData:
		return &v
	case events.UserSessionsRevokedData:
		return &v
	case events.AccountLockedData:
		return &v
	}
	return d
}

// A reset link works once, before its expiry, lifts a permanent lock, and
// an account gets at most MaxPerHour links an hour.
func TestPasswordResetTokens(t *testing.T) {
	now := time.Date(2026, 12, 1, 10, 0, 0, 0, time.UTC)
	u := &user.User{ID: "u1", Status: user.StatusActive}
	apply(u, now, []events.Event{{Type: events.AccountLocked, Data: events.AccountLockedData{Permanent: true, LockCount: 4}}})
	req := func(id string, at time.Time) []events.Event {
		return u.RequestPasswordReset(at, user.ResetRequest{RequestID: id, TokenHash: "h-" + id, TTL: 30 * time.Minute, MaxPerHour: 3})
	}
	for i, id := range []string{"a", "b", "c"} {
		at := now.Add(time.Duration(i) * time.Minute)
		evs := req(id, at)
		if len(evs) != 1 {
			t.Fatalf("request %s: %v", id, evs)
		}
		apply(u, at, evs)
	}
	if evs := req("d", now.Add(10*time.Minute)); evs != nil {
		t.Errorf("a fourth link within the hour: %v", evs)
	}
	if _, err := u.ResetPassword(now.Add(31*time.Minute), "h-a"); !errors.Is(err, user.ErrInvalidResetToken) {
		t.Errorf("expired token: %v", err)
	}
	if _, err := u.ResetPassword(now, "h-unknown"); !errors.Is(err, user.ErrInvalidResetToken) {
		t.Errorf("unknown token: %v", err)
	}
	evs, err := u.ResetPassword(now.Add(5*time.Minute), "h-b")
	if err != nil {
		t.Fatal(err)
	}
	var types []string
	for _, e := range evs {
		types = append(types, e.Type)
	}
	want := []string{events.PasswordResetCompleted, events.PasswordChanged, events.AccountUnlocked, events.UserSessionsRevoked}
	if len(types) != len(want) {
		t.Fatalf("events %v, want %v", types, want)
	}
	if r := evs[2].Data.(events.AccountUnlockedData).Reason; r != events.UnlockPasswordReset {
		t.Errorf("unlock reason %q", r)
	}
	apply(u, now.Add(5*time.Minute), evs)
	if u.Locked(now.Add(6 * time.Minute)) {
		t.Error("still locked after the reset")
	}
	for _, h := range []string{"h-b", "h-c", ""} {
		if _, err := u.ResetPassword(now.Add(6*time.Minute), h); !errors.Is(err, user.ErrInvalidResetToken) {
			t.Errorf("token %q after a reset: %v", h, err)
		}
	}
	if evs := req("e", now.Add(61*time.Minute)); len(evs) != 1 {
		t.Errorf("a link an hour later: %v", evs)
	}
}
