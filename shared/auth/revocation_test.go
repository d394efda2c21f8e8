package auth

import (
	"testing"
	"time"
	"unsafe"

	"github.com/chatbotsaas/chatbot/events"
)

// The view keeps its own copies of the ids it records: an envelope whose
// ids are views of a buffer reused afterwards (a request's path) leaves
// the revocation in force.
func TestARevocationOutlivesTheBufferItsIdCameFrom(t *testing.T) {
	now := time.Now()
	r := NewRevocations(func() time.Duration { return 15 * time.Minute }, func() time.Time { return now })
	issued := now.Add(-time.Minute)
	cases := []struct {
		typ string
		p   Principal
		id  func(Principal) string
	}{
		{events.UserRoleChanged, Principal{UserID: "0192a4c8-7f1e-7a2b-9c3d-4e5f60718293", SessionID: "s1"}, func(p Principal) string { return p.UserID }},
		{events.SessionRevoked, Principal{UserID: "u2", SessionID: "0192a4c8-7f1e-7a2b-9c3d-4e5f60718294"}, func(p Principal) string { return p.SessionID }},
		{events.CompanySuspended, Principal{UserID: "u3", SessionID: "s3", CompanyID: "0192a4c8-7f1e-7a2b-9c3d-4e5f60718295"}, func(p Principal) string { return p.CompanyID }},
	}
	for _, c := range cases {
		buf := []byte(c.id(c.p))
		r.Apply(events.Envelope{Type: c.typ, AggregateID: unsafe.String(&buf[0], len(buf)), OccurredAt: now})
		if r.Allowed(c.p, issued) {
			t.Fatalf("%s: allowed before the buffer was reused", c.typ)
		}
		for i := range buf {
			buf[i] = 'x' // the next request written over it
		}
		if r.Allowed(c.p, issued) {
			t.Errorf("%s: a token revoked is allowed again once the buffer of its id was reused", c.typ)
		}
	}
}
