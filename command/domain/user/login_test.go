package user

import (
	"testing"
	"time"

	"github.com/chatbotsaas/chatbot/events"
)

var (
	t0     = time.Date(2026, 1, 1, 12, 0, 0, 0, time.UTC)
	policy = Lockout{MaxFailures: 3, Window: 10 * time.Minute, LockFor: 15 * time.Minute, MaxTemporaryLocks: 1}
)

// fold applies decided events to u as the store would.
func fold(u *User, at time.Time, evs []events.Event) {
	for _, ev := range evs {
		env := events.Envelope{Type: ev.Type, OccurredAt: at}
		switch d := ev.Data.(type) {
		case events.LoginFailedData:
			u.Apply(env, &d)
		case events.LoginSucceededData:
			u.Apply(env, &d)
		case events.AccountLockedData:
			u.Apply(env, &d)
		case events.AccountUnlockedData:
			u.Apply(env, &d)
		}
	}
}

func types(evs []events.Event) []string {
	var out []string
	for _, e := range evs {
		out = append(out, e.Type)
	}
	return out
}

func TestLoginDecisions(t *testing.T) {
	active := func() *User { return &User{ID: "u", Status: StatusActive} }
	until := t0.Add(5 * time.Minute)
	cases := []struct {
		name      string
		state     *User
		ok        bool
		want      []string
		login     bool
		suspended bool
	}{
		{"a suspended company refuses its users", active(), true, []string{events.LoginFailed}, false, true},
		{"right password on an open account", active(), true, []string{events.LoginSucceeded}, true, false},
		{"wrong password counts", active(), false, []string{events.LoginFailed}, false, false},
		{"the failure that reaches the limit locks", &User{Status: StatusActive, Failures: []time.Time{t0.Add(-time.Minute), t0.Add(-time.Second)}}, false,
			[]string{events.LoginFailed, events.AccountLocked}, false, false},
		{"failures outside the window do not count", &User{Status: StatusActive, Failures: []time.Time{t0.Add(-time.Hour), t0.Add(-time.Hour)}}, false,
			[]string{events.LoginFailed}, false, false},
		{"a locked account refuses the right password", &User{Status: StatusActive, LockedUntil: &until}, true, []string{events.LoginFailed}, false, false},
		{"a disabled account refuses", &User{Status: StatusDisabled}, true, []string{events.LoginFailed}, false, false},
		{"an expired lock ends first", &User{Status: StatusActive, LockedUntil: ptr(t0.Add(-time.Second))}, true,
			[]string{events.AccountUnlocked, events.LoginSucceeded}, true, false},
		{"a permanent lock never ends by itself", &User{Status: StatusActive, PermanentLock: true}, true, []string{events.LoginFailed}, false, false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			out, evs := tc.state.Login(t0, policy, Attempt{PasswordOK: tc.ok, SessionID: "s", Suspended: tc.suspended})
			ok := out.OK
			if ok != tc.login || len(evs) != len(tc.want) {
				t.Fatalf("got %v %v, want %v %v", types(evs), ok, tc.want, tc.login)
			}
			for i := range evs {
				if evs[i].Type != tc.want[i] {
					t.Fatalf("got %v, want %v", types(evs), tc.want)
				}
			}
		})
	}
}

func TestLocksEscalateToPermanent(t *testing.T) {
	u := &User{Status: StatusActive}
	now := t0
	var ends *time.Time // the lock's end, as the outcome tells it
	lock := func() events.AccountLockedData {
		var last events.AccountLockedData
		for range policy.MaxFailures {
			out, evs := u.Login(now, policy, Attempt{})
			fold(u, now, evs)
			ends = out.LockEnds
			for _, e := range evs {
				if d, ok := e.Data.(events.AccountLockedData); ok {
					last = d
				}
			}
		}
		return last
	}
	first := lock()
	if first.Permanent || first.Until == nil || first.LockCount != 1 {
		t.Fatalf("first lock %+v", first)
	}
	if ends == nil || !ends.Equal(now.Add(policy.LockFor)) {
		t.Fatalf("the outcome says the lock ends at %v, want %v", ends, now.Add(policy.LockFor))
	}
	now = now.Add(policy.LockFor)
	second := lock()
	if !second.Permanent || second.LockCount != 2 {
		t.Fatalf("second lock %+v, want permanent after %d temporary", second, policy.MaxTemporaryLocks)
	}
	if ends != nil {
		t.Fatalf("a permanent lock has an end, %v", ends)
	}
	if evs := u.Unlock(now, events.UnlockAdmin); len(evs) != 1 {
		t.Fatalf("admin unlock: %v", types(evs))
	}
}

func ptr(t time.Time) *time.Time { return &t }
