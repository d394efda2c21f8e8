package ratelimit

import (
	"context"
	"math/rand/v2"
	"reflect"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
)

// stack calls l.Stack and fails the test on an error.
func stack(tb testing.TB, l *Limiter, group string, scopes ...Scope) Decision {
	tb.Helper()
	d, err := l.Stack(context.Background(), group, scopes...)
	if err != nil {
		tb.Fatalf("Stack: %v", err)
	}
	return d
}

// botCall is the scopes of one bot call: its key's, its chatbot's and its
// company's.
func botCall(key, bot string, keyLim, botLim, companyLim Limits) []Scope {
	return []Scope{
		{Name: "key", Key: "key:" + key, Limits: keyLim, Count: true},
		{Name: "chatbot", Key: "chatbot:" + bot, Limits: botLim, Count: true},
		{Name: "company", Key: "company", Limits: companyLim, Count: true},
	}
}

func TestAKeyOverItsLimitWhileAnotherKeyOfTheChatbotPasses(t *testing.T) {
	for _, be := range backends() {
		t.Run(be.name, func(t *testing.T) {
			clock := newClock(time.Date(2026, 5, 4, 10, 0, 0, 0, time.UTC))
			l, company := be.make(t, clock.Now), newKey(t)
			bot := Limits{PerMinute: 5}
			for i := range 2 {
				if d := stack(t, l, company, botCall("a", "b1", Limits{PerMinute: 2}, bot, Limits{})...); !d.Allowed {
					t.Fatalf("key a, call %d: %+v", i+1, d)
				}
			}
			d := stack(t, l, company, botCall("a", "b1", Limits{PerMinute: 2}, bot, Limits{})...)
			if d.Allowed || d.Reason != ReasonRateLimited || d.Limit != (Hit{"key", PerMinute, 2}) || d.RetryAfter != 30*time.Second {
				t.Fatalf("key a's 3rd call: %+v, want refused by the key's 2 a minute, Retry-After 30 s", d)
			}
			if got := d.Scopes[1].UsedToday; got != 2 {
				t.Fatalf("the chatbot counted %d calls today after a's refusal, want 2: a refused call counts nowhere", got)
			}
			for i := range 3 {
				if d := stack(t, l, company, botCall("b", "b1", Limits{}, bot, Limits{})...); !d.Allowed {
					t.Fatalf("key b of the same chatbot, call %d refused: %+v", i+1, d)
				}
			}
			d = stack(t, l, company, botCall("b", "b1", Limits{}, bot, Limits{})...)
			if d.Allowed || d.Limit.String() != "chatbot_per_minute" {
				t.Fatalf("the chatbot's 6th call: %+v, want refused by the chatbot's 5 a minute", d)
			}
		})
	}
}

func TestACompanyQuotaIsSharedByItsChatbots(t *testing.T) {
	for _, be := range backends() {
		t.Run(be.name, func(t *testing.T) {
			clock := newClock(time.Date(2026, 5, 4, 23, 0, 0, 0, time.UTC))
			l, company := be.make(t, clock.Now), newKey(t)
			plan := Limits{Daily: 5}
			for i := range 5 {
				bot := []string{"b1", "b2"}[i%2]
				if d := stack(t, l, company, botCall("k-"+bot, bot, Limits{}, Limits{Daily: 100}, plan)...); !d.Allowed {
					t.Fatalf("call %d (chatbot %s): %+v", i+1, bot, d)
				}
			}
			for _, bot := range []string{"b1", "b2"} {
				d := stack(t, l, company, botCall("k-"+bot, bot, Limits{}, Limits{Daily: 100}, plan)...)
				if d.Allowed || d.Reason != ReasonQuotaExceeded || d.Limit != (Hit{"company", Daily, 5}) || d.RetryAfter != time.Hour {
					t.Fatalf("chatbot %s after the company's 5: %+v, want quota_exceeded by the company's daily 5, Retry-After 1 h", bot, d)
				}
			}
			other := stack(t, l, newKey(t), botCall("k", "b1", Limits{}, Limits{Daily: 100}, plan)...)
			if !other.Allowed {
				t.Fatalf("another company's call was refused: %+v", other)
			}
		})
	}
}

func TestAQuotaIsNamedBeforeARate(t *testing.T) {
	clock := newClock(time.Date(2026, 5, 4, 12, 0, 0, 0, time.UTC))
	l, company := New(newRedis(t), clock.Now, quietLog()), newKey(t)
	scopes := botCall("k", "b", Limits{PerMinute: 1}, Limits{}, Limits{Daily: 1})
	stack(t, l, company, scopes...)
	d := stack(t, l, company, scopes...)
	want := []Hit{{"key", PerMinute, 1}, {"company", Daily, 1}}
	if d.Reason != ReasonQuotaExceeded || d.Limit != want[1] || !reflect.DeepEqual(d.Refused, want) || d.RetryAfter != 12*time.Hour {
		t.Fatalf("%+v, want quota_exceeded naming the company's daily quota, both refusals listed, Retry-After 12 h", d)
	}
}

func TestStackedCallIsOneRoundTrip(t *testing.T) {
	rdb := newRedis(t)
	hook := &countingHook{}
	rdb.AddHook(hook)
	clock := newClock(time.Date(2026, 6, 1, 0, 0, 0, 0, time.UTC))
	l, company := New(rdb, clock.Now, quietLog()), newKey(t)
	lim := Limits{PerMinute: 1000, Daily: 1000, Monthly: 1000}
	stack(t, l, company, botCall("k", "b", lim, lim, lim)...) // loads the script if Redis lacks it
	hook.reset()
	for range 50 {
		stack(t, l, company, botCall("k", "b", lim, lim, lim)...)
	}
	if n := hook.commands(); n != 50 {
		t.Fatalf("50 calls of three scopes sent %d commands to Redis, want 50", n)
	}
}

// The in-process fallback decides stacked calls exactly as the script.
func TestStackedInProcessDecidesLikeRedis(t *testing.T) {
	clock := newClock(time.Date(2026, 1, 31, 23, 58, 0, 0, time.UTC))
	inRedis, inProcess := New(newRedis(t), clock.Now, quietLog()), New(nil, clock.Now, quietLog())
	company := newKey(t)
	calls := [][]Scope{
		botCall("k1", "b1", Limits{PerMinute: 3}, Limits{PerMinute: 7, Daily: 40}, Limits{Daily: 60, Monthly: 90}),
		botCall("k2", "b1", Limits{Daily: 9}, Limits{PerMinute: 7, Daily: 40}, Limits{Daily: 60, Monthly: 90}),
		botCall("k3", "b2", Limits{}, Limits{PerMinute: 20}, Limits{Daily: 60, Monthly: 90}),
	}
	rnd := rand.New(rand.NewPCG(3, 4))
	steps := []time.Duration{0, 0, 0, time.Millisecond, 900 * time.Millisecond, 5 * time.Second, 70 * time.Second}
	hits := map[string]int{}
	for i := range 1500 {
		clock.Add(steps[rnd.IntN(len(steps))])
		c := calls[rnd.IntN(len(calls))]
		a, b := stack(t, inRedis, company, c...), stack(t, inProcess, company, c...)
		if !reflect.DeepEqual(a, b) {
			t.Fatalf("call %d at %v:\nRedis      %+v\nin process %+v", i, clock.Now(), a, b)
		}
		hits[a.Limit.String()]++
	}
	for _, h := range []string{"key_per_minute", "chatbot_per_minute", "key_daily", "company_daily"} {
		if hits[h] == 0 {
			t.Fatalf("the walk never met %s: %v", h, hits)
		}
	}
	t.Logf("decisions by limit: %v", hits)
}

func TestRateOnlyScopeKeepsNoPeriodCounters(t *testing.T) {
	rdb := newRedis(t)
	clock := newClock(time.Date(2026, 6, 1, 0, 0, 0, 0, time.UTC))
	l, key := New(rdb, clock.Now, quietLog()), newKey(t)
	stack(t, l, key, Scope{Limits: Limits{PerMinute: 10}})
	c := newCall(key, []Scope{{}}, clock.Now()).scopes[0]
	n, err := rdb.Exists(context.Background(), c.dayKey, c.monthKey).Result()
	if err != nil {
		t.Fatal(err)
	}
	if n != 0 || rdb.Exists(context.Background(), c.rateKey).Val() != 1 {
		t.Fatalf("%d period counters kept for a rate-only scope (want 0), rate state %d (want 1)", n, rdb.Exists(context.Background(), c.rateKey).Val())
	}
}

// BenchmarkStack is one bot call's three scopes in one script run, beside
// BenchmarkAllow's one.
func BenchmarkStack(b *testing.B) {
	lim := Limits{PerMinute: 1_000_000, Daily: 1_000_000_000, Monthly: 1_000_000_000}
	l, company := New(newRedis(b), time.Now, quietLog()), newKey(b)
	ctx := context.Background()
	scopes := botCall("k", "b", lim, lim, lim)
	for b.Loop() {
		if _, err := l.Stack(ctx, company, scopes...); err != nil {
			b.Fatal(err)
		}
	}
}

// evalKeysHook records how many keys each script run sent.
type evalKeysHook struct {
	countingHook
	keys []int64
}

func (h *evalKeysHook) ProcessPipelineHook(next redis.ProcessPipelineHook) redis.ProcessPipelineHook {
	return func(ctx context.Context, cmds []redis.Cmder) error {
		h.mu.Lock()
		for _, c := range cmds {
			if a := c.Args(); len(a) > 2 && (a[0] == "evalsha" || a[0] == "eval") {
				n, _ := a[2].(int)
				h.keys = append(h.keys, int64(n))
			}
		}
		h.mu.Unlock()
		return h.countingHook.ProcessPipelineHook(next)(ctx, cmds)
	}
}

// A bot call's key without limits of its own and its company without
// company-wide limits keep nothing in Redis: only the chatbot's scope goes
// to the script, and a call with no such scope makes no round trip. The
// decision is the same as with the in-process store, scope for scope.
func TestScopesWithoutStateStayOutOfRedis(t *testing.T) {
	rdb := newRedis(t)
	hook := &evalKeysHook{}
	rdb.AddHook(hook)
	clock := newClock(time.Date(2026, 6, 1, 0, 0, 0, 0, time.UTC))
	inRedis, inProcess := New(rdb, clock.Now, quietLog()), New(nil, clock.Now, quietLog())
	company := newKey(t)
	scopes := []Scope{
		{Name: "key", Key: "key:k"},
		{Name: "chatbot", Key: "chatbot:b", Limits: Limits{PerMinute: 2, Daily: 100}, Count: true},
		{Name: "company", Key: "company"},
	}
	for i := range 3 {
		a, b := stack(t, inRedis, company, scopes...), stack(t, inProcess, company, scopes...)
		if !reflect.DeepEqual(a, b) {
			t.Fatalf("call %d:\nRedis      %+v\nin process %+v", i, a, b)
		}
		if a.Allowed != (i < 2) || a.Scopes[1].UsedToday != int64(min(i+1, 2)) || a.Scopes[0].UsedToday != 0 || a.Scopes[2].UsedToday != 0 {
			t.Fatalf("call %d: %+v, want the chatbot's per-minute limit of 2 to refuse the third", i, a)
		}
	}
	if len(hook.keys) != 3 || hook.keys[0] != 3 || hook.keys[2] != 3 {
		t.Fatalf("script runs sent %v keys, want 3 runs of the chatbot's 3 keys", hook.keys)
	}
	hook.reset()
	if d := stack(t, inRedis, company, Scope{Name: "key", Key: "key:k"}); !d.Allowed || len(d.Scopes) != 1 {
		t.Fatalf("a call with no limit and nothing to count: %+v, want allowed", d)
	}
	if n := hook.commands(); n != 0 {
		t.Fatalf("a call with nothing to read or count sent %d commands to Redis, want 0", n)
	}
}
