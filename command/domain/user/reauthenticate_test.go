package user

import (
	"slices"
	"testing"
	"time"

	"github.com/chatbotsaas/chatbot/events"
)

func TestReauthenticateDecisions(t *testing.T) {
	until := t0.Add(5 * time.Minute)
	cases := []struct {
		name   string
		state  *User
		ok     bool
		want   []string
		passes bool
	}{
		{"the right password on an open account records nothing", &User{Status: StatusActive}, true, nil, true},
		{"a wrong password counts like a failed login", &User{Status: StatusActive}, false, []string{events.LoginFailed}, false},
		{"the wrong password that reaches the limit locks", &User{Status: StatusActive, Failures: []time.Time{t0.Add(-time.Minute), t0.Add(-time.Second)}}, false,
			[]string{events.LoginFailed, events.AccountLocked}, false},
		{"a locked account refuses the right password too", &User{Status: StatusActive, LockedUntil: &until}, true, []string{events.LoginFailed}, false},
		{"an expired lock ends first", &User{Status: StatusActive, LockedUntil: ptr(t0.Add(-time.Second))}, true, []string{events.AccountUnlocked}, true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			out, evs := tc.state.Reauthenticate(t0, policy, Attempt{PasswordOK: tc.ok})
			ok := out.OK
			if ok != tc.passes || !slices.Equal(types(evs), tc.want) {
				t.Fatalf("got %v %v, want %v %v", ok, types(evs), tc.passes, tc.want)
			}
			for _, ev := range evs {
				if d, isFail := ev.Data.(events.LoginFailedData); isFail && !tc.ok && d.Reason != events.ReasonWrongCurrentPassword {
					t.Errorf("reason %q, want %q", d.Reason, events.ReasonWrongCurrentPassword)
				}
			}
		})
	}
}

func TestWrongCurrentPasswordsLockTheAccount(t *testing.T) {
	u := &User{ID: "u", Status: StatusActive}
	at := t0
	for i := range policy.MaxFailures {
		_, evs := u.Reauthenticate(at, policy, Attempt{})
		fold(u, at, evs)
		if locked := slices.Contains(types(evs), events.AccountLocked); locked != (i == policy.MaxFailures-1) {
			t.Fatalf("guess %d: locked %v", i+1, locked)
		}
		at = at.Add(time.Second)
	}
	if out, _ := u.Reauthenticate(at, policy, Attempt{PasswordOK: true}); out.OK {
		t.Fatal("a locked account passed a password check")
	}
}
