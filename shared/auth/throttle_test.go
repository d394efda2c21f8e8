package auth

import (
	"context"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/chatbotsaas/chatbot/events"
	"github.com/chatbotsaas/chatbot/shared/testkit"
)

func TestThrottle(t *testing.T) {
	opts, err := redis.ParseURL(testkit.RedisURL(t))
	if err != nil {
		t.Fatal(err)
	}
	rdb := redis.NewClient(opts)
	defer testkit.Close(t, "the Redis client", rdb)
	now := time.Date(2026, 1, 1, 12, 0, 30, 0, time.UTC)
	clock := func() time.Time { return now }
	key := "test:" + time.Now().Format(time.RFC3339Nano)

	for name, th := range map[string]*Throttle{
		"in Redis":               NewThrottle(rdb, clock),
		"in process":             NewThrottle(nil, clock),
		"with Redis unreachable": NewThrottle(redis.NewClient(&redis.Options{Addr: "127.0.0.1:1", MaxRetries: -1}), clock),
	} {
		t.Run(name, func(t *testing.T) {
			for i := range 3 {
				if ok, _ := th.Allow(context.Background(), key+name, 3); !ok {
					t.Fatalf("request %d refused", i+1)
				}
			}
			ok, retry := th.Allow(context.Background(), key+name, 3)
			if ok || retry != 20 {
				t.Fatalf("4th: ok %v retry %d, want refused with 20 s (one request every 60 s / 3)", ok, retry)
			}
			if ok, _ := th.Allow(context.Background(), key+name+"-other", 3); !ok {
				t.Fatal("another key was refused")
			}
		})
	}
	t.Run("Redis counts across processes", func(t *testing.T) {
		a, b := NewThrottle(rdb, clock), NewThrottle(rdb, clock)
		if ok, _ := a.Allow(context.Background(), key+"shared", 2); !ok {
			t.Fatal("the first request was refused")
		}
		if ok, _ := b.Allow(context.Background(), key+"shared", 2); !ok {
			t.Fatal("the second request, through another throttle, was refused")
		}
		if ok, _ := a.Allow(context.Background(), key+"shared", 2); ok {
			t.Fatal("the third request across two throttles was allowed")
		}
	})
}

// A client that spends its burst just before a clock minute turns gets no
// fresh burst after it: only what the rate has given back since.
func TestThrottleAdmitsNoDoubleBurstAcrossAMinute(t *testing.T) {
	opts, err := redis.ParseURL(testkit.RedisURL(t))
	if err != nil {
		t.Fatal(err)
	}
	rdb := redis.NewClient(opts)
	defer testkit.Close(t, "the Redis client", rdb)
	const limit = 60 // one a second
	for name, mk := range map[string]func(func() time.Time) *Throttle{
		"in Redis":   func(c func() time.Time) *Throttle { return NewThrottle(rdb, c) },
		"in process": func(c func() time.Time) *Throttle { return NewThrottle(nil, c) },
	} {
		t.Run(name, func(t *testing.T) {
			now := time.Date(2026, 1, 1, 12, 0, 59, 500_000_000, time.UTC)
			th, key := mk(func() time.Time { return now }), "test:burst:"+name+time.Now().Format(time.RFC3339Nano)
			admitted := func() int {
				n := 0
				for range 2 * limit {
					if ok, _ := th.Allow(context.Background(), key, limit); ok {
						n++
					}
				}
				return n
			}
			if n := admitted(); n != limit {
				t.Fatalf("first burst: %d admitted, want %d", n, limit)
			}
			now = now.Add(time.Second) // 12:01:00.5, past the turn of the minute
			if n := admitted(); n != 1 {
				t.Fatalf("a second after the minute turned: %d admitted, want 1 (the second given back), not a new burst", n)
			}
			now = now.Add(30 * time.Second)
			if n := admitted(); n != 30 {
				t.Fatalf("30 s later: %d admitted, want 30", n)
			}
			now = now.Add(2 * time.Minute)
			if n := admitted(); n != limit {
				t.Fatalf("after a quiet minute: %d admitted, want the whole burst of %d", n, limit)
			}
		})
	}
}

func TestRevocationsFollowUserEvents(t *testing.T) {
	now := time.Now()
	r := NewRevocations(func() time.Duration { return 15 * time.Minute }, func() time.Time { return now })
	issued := now.Add(-time.Minute)
	for _, typ := range []string{events.UserDisabled, events.UserDeleted, events.UserRoleChanged} {
		t.Run(typ, func(t *testing.T) {
			p := Principal{UserID: "u-" + typ, SessionID: "s", Role: RoleUser}
			r.Apply(events.Envelope{Type: typ, AggregateID: p.UserID, OccurredAt: now})
			if r.Allowed(p, issued) {
				t.Fatal("a token issued before the event is still allowed")
			}
			if !r.Allowed(p, now.Add(time.Millisecond)) {
				t.Fatal("a token issued after the event is refused")
			}
		})
	}
	r.Apply(events.Envelope{Type: events.SessionRevoked, AggregateID: "s9", OccurredAt: now})
	if r.Allowed(Principal{UserID: "x", SessionID: "s9"}, now.Add(time.Minute)) {
		t.Fatal("a revoked session's later token is allowed")
	}
}
