package ratelimit

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"reflect"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/chatbotsaas/chatbot/shared/testkit"
)

func TestPerMinuteLimit(t *testing.T) {
	for _, be := range backends() {
		t.Run(be.name, func(t *testing.T) {
			clock := newClock(time.Date(2026, 3, 10, 12, 0, 0, 500, time.UTC))
			l, key := be.make(t, clock.Now), newKey(t)
			lim := Limits{PerMinute: 5}

			for i := range 5 {
				if d := allow(t, l, key, lim); !d.Allowed {
					t.Fatalf("call %d of a burst of 5 refused: %+v", i+1, d)
				}
			}
			d := allow(t, l, key, lim)
			if d.Allowed || d.Reason != ReasonRateLimited || d.RetryAfter <= 0 || d.RetryAfter > time.Minute {
				t.Fatalf("6th call: %+v, want rate_limited with 0 < Retry-After <= 60 s", d)
			}
			if d.RetryAfter != 12*time.Second {
				t.Errorf("6th call: Retry-After %v, want 12 s (one call every 60 s / 5)", d.RetryAfter)
			}
			if d.UsedToday != 5 || d.UsedMonth != 5 {
				t.Errorf("refused call: used %d today, %d this month, want 5 and 5", d.UsedToday, d.UsedMonth)
			}

			clock.Add(d.RetryAfter - time.Millisecond)
			if d := allow(t, l, key, lim); d.Allowed {
				t.Fatal("allowed a millisecond before Retry-After")
			}
			clock.Add(time.Millisecond)
			if d := allow(t, l, key, lim); !d.Allowed {
				t.Fatalf("refused at Retry-After: %+v", d)
			}
			if d := allow(t, l, key, lim); d.Allowed {
				t.Fatal("a second call right after the one the wait allowed went through")
			}

			clock.Add(time.Minute)
			for i := range 5 {
				if d := allow(t, l, key, lim); !d.Allowed {
					t.Fatalf("call %d of a burst after a quiet minute refused: %+v", i+1, d)
				}
			}
		})
	}
}

func TestDailyQuota(t *testing.T) {
	for _, be := range backends() {
		t.Run(be.name, func(t *testing.T) {
			clock := newClock(time.Date(2026, 3, 10, 23, 50, 0, 0, time.UTC))
			l, key := be.make(t, clock.Now), newKey(t)
			lim := Limits{PerMinute: 100, Daily: 10, Monthly: 1000}

			for i := range 10 {
				d := allow(t, l, key, lim)
				if !d.Allowed || d.UsedToday != int64(i+1) {
					t.Fatalf("call %d: %+v", i+1, d)
				}
			}
			d := allow(t, l, key, lim)
			if d.Allowed || d.Reason != ReasonQuotaExceeded || d.RetryAfter != 10*time.Minute || d.UsedToday != 10 {
				t.Fatalf("11th call: %+v, want quota_exceeded, Retry-After 10 min (to midnight UTC), 10 used", d)
			}

			clock.Set(time.Date(2026, 3, 11, 0, 0, 0, 0, time.UTC))
			d = allow(t, l, key, lim)
			if !d.Allowed || d.UsedToday != 1 || d.UsedMonth != 11 {
				t.Fatalf("first call of the next day: %+v, want allowed, 1 today, 11 this month", d)
			}
		})
	}
}

func TestMonthlyQuota(t *testing.T) {
	for _, be := range backends() {
		t.Run(be.name, func(t *testing.T) {
			clock := newClock(time.Date(2026, 2, 28, 22, 0, 0, 0, time.UTC))
			l, key := be.make(t, clock.Now), newKey(t)
			lim := Limits{Monthly: 10}

			for i := range 10 {
				clock.Add(time.Minute)
				if d := allow(t, l, key, lim); !d.Allowed || d.UsedMonth != int64(i+1) {
					t.Fatalf("call %d: %+v", i+1, d)
				}
			}
			d := allow(t, l, key, lim)
			if d.Allowed || d.Reason != ReasonQuotaExceeded || d.RetryAfter != 110*time.Minute || d.UsedMonth != 10 {
				t.Fatalf("11th call: %+v, want quota_exceeded, Retry-After 110 min (to March), 10 used", d)
			}

			clock.Set(time.Date(2026, 3, 1, 0, 0, 1, 0, time.UTC))
			if d := allow(t, l, key, lim); !d.Allowed || d.UsedMonth != 1 {
				t.Fatalf("first call of March: %+v, want allowed with 1 used", d)
			}
		})
	}
}

func TestRetryAfterIsTheLongestRefusal(t *testing.T) {
	clock := newClock(time.Date(2026, 1, 30, 23, 0, 0, 0, time.UTC))
	l, key := New(nil, clock.Now, quietLog()), newKey(t)
	lim := Limits{PerMinute: 1, Daily: 1, Monthly: 1}
	allow(t, l, key, lim)
	if d := allow(t, l, key, lim); d.Reason != ReasonQuotaExceeded || d.RetryAfter != 25*time.Hour {
		t.Fatalf("rate, day and month refuse: %+v, want quota_exceeded until the month ends in 25 h", d)
	}
	if d := allow(t, l, key, Limits{PerMinute: 1, Daily: 5}); d.Reason != ReasonRateLimited || d.RetryAfter != time.Minute {
		t.Fatalf("only the rate refuses: %+v, want rate_limited for a minute", d)
	}
}

func TestRefusedCallCountsNothing(t *testing.T) {
	for _, be := range backends() {
		t.Run(be.name, func(t *testing.T) {
			clock := newClock(time.Date(2026, 5, 20, 8, 0, 0, 0, time.UTC))
			l, key := be.make(t, clock.Now), newKey(t)
			lim := Limits{PerMinute: 3, Daily: 4, Monthly: 100}

			for range 3 {
				allow(t, l, key, lim)
			}
			before := snapshot(t, l, key)
			if d := allow(t, l, key, lim); d.Reason != ReasonRateLimited {
				t.Fatalf("4th call: %+v, want rate_limited", d)
			}
			if after := snapshot(t, l, key); after != before {
				t.Fatalf("a call refused for its rate changed the state:\n%s\n%s", before, after)
			}

			clock.Add(20 * time.Second) // one interval: room for exactly one call
			if d := allow(t, l, key, lim); !d.Allowed || d.UsedToday != 4 {
				t.Fatalf("call after one interval: %+v, want allowed, 4 used", d)
			}
			clock.Add(time.Hour)
			before = snapshot(t, l, key)
			if d := allow(t, l, key, lim); d.Reason != ReasonQuotaExceeded || d.UsedToday != 4 || d.UsedMonth != 4 {
				t.Fatalf("5th call of the day: %+v, want quota_exceeded with 4 used", d)
			}
			if after := snapshot(t, l, key); after != before {
				t.Fatalf("a call refused for its quota changed the state:\n%s\n%s", before, after)
			}
		})
	}
}

// snapshot prints every counter and rate state of key, in Redis and in
// the process.
func snapshot(t *testing.T, l *Limiter, key string) string {
	t.Helper()
	c := oneCall(key, Limits{}, l.now())
	now := l.now().UTC()
	s := ""
	if l.rdb != nil {
		// Short: the unreachable Redis would retry its dial for long.
		ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
		defer cancel()
		rate, rateErr := l.rdb.HGetAll(ctx, c.rateKey).Result()
		day, dayErr := l.rdb.Get(ctx, c.dayKey).Result()
		month, monthErr := l.rdb.Get(ctx, c.monthKey).Result()
		s = fmt.Sprintf("redis rate %v day %q month %q; ", rate, day, month)
		// A missing counter reads as ""; the Redis nobody listens on
		// refuses the connection, or keeps dialling past the deadline.
		for _, err := range []error{rateErr, dayErr, monthErr} {
			switch {
			case err == nil, errors.Is(err, redis.Nil):
			case errors.Is(err, syscall.ECONNREFUSED), errors.Is(err, context.DeadlineExceeded):
				s += "(redis did not answer) "
			default:
				t.Errorf("read the Redis state of %s: %v", key, err)
			}
		}
	}
	// What the store would read, not its maps: a sweep may drop a
	// drained state, which is the same as keeping it.
	l.local.mu.Lock()
	defer l.local.mu.Unlock()
	return s + fmt.Sprintf("local rate %+v day %d month %d",
		l.local.rate(c.rateKey, now), l.local.count(c.dayKey, now), l.local.count(c.monthKey, now))
}

func TestThresholdsCrossedOnceUnderConcurrency(t *testing.T) {
	const callers, callsEach, limit = 50, 2, 40
	day := time.Date(2026, 7, 15, 9, 30, 0, 0, time.UTC)

	twoProcesses := func(tb testing.TB, now func() time.Time) []*Limiter {
		return []*Limiter{New(newRedis(tb), now, quietLog()), New(newRedis(tb), now, quietLog())}
	}
	oneProcess := func(tb testing.TB, now func() time.Time) []*Limiter {
		return []*Limiter{New(nil, now, quietLog())}
	}
	for _, tc := range []struct {
		name      string
		limiters  func(testing.TB, func() time.Time) []*Limiter
		lim       Limits
		period    string
		periodDay time.Time
	}{
		{"daily, two processes on Redis", twoProcesses, Limits{Daily: limit}, Daily, day.Truncate(24 * time.Hour)},
		{"monthly, two processes on Redis", twoProcesses, Limits{Monthly: limit}, Monthly, time.Date(2026, 7, 1, 0, 0, 0, 0, time.UTC)},
		{"daily, in process", oneProcess, Limits{Daily: limit}, Daily, day.Truncate(24 * time.Hour)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			clock := newClock(day)
			ls, key := tc.limiters(t, clock.Now), newKey(t)

			var mu sync.Mutex
			var crossed []Crossing
			allowed := 0
			var wg sync.WaitGroup
			for i := range callers {
				l := ls[i%len(ls)]
				wg.Go(func() {
					for range callsEach {
						d, err := l.Allow(context.Background(), key, tc.lim)
						if err != nil {
							t.Error(err)
							return
						}
						mu.Lock()
						crossed = append(crossed, d.Crossed...)
						if d.Allowed {
							allowed++
						}
						mu.Unlock()
					}
				})
			}
			wg.Wait()

			if allowed != limit {
				t.Errorf("%d calls allowed, want %d", allowed, limit)
			}
			want := []Crossing{
				{Period: tc.period, PeriodStart: tc.periodDay, Threshold: 80, Limit: limit, Used: 32},
				{Period: tc.period, PeriodStart: tc.periodDay, Threshold: 100, Limit: limit, Used: limit},
			}
			if len(crossed) == 2 && crossed[0].Threshold == 100 {
				crossed[0], crossed[1] = crossed[1], crossed[0]
			}
			if !reflect.DeepEqual(crossed, want) {
				t.Fatalf("crossings reported:\n%+v\nwant each once:\n%+v", crossed, want)
			}
		})
	}
}

// The in-process fallback repeats the script's arithmetic; a long random
// walk of calls and clock steps must get the very same decisions from both.
func TestInProcessDecidesLikeRedis(t *testing.T) {
	clock := newClock(time.Date(2026, 1, 31, 23, 57, 0, 0, time.UTC))
	inRedis, inProcess := New(newRedis(t), clock.Now, quietLog()), New(nil, clock.Now, quietLog())
	keys := []struct {
		key string
		lim Limits
	}{
		{newKey(t), Limits{PerMinute: 7, Daily: 150, Monthly: 300}},
		{newKey(t), Limits{PerMinute: 60}},
		{newKey(t), Limits{Daily: 9, Monthly: 25}},
		{newKey(t), Limits{PerMinute: 999_999, Daily: 1_000_000, Monthly: 1_000_000_000}},
	}
	rnd := rand.New(rand.NewPCG(1, 2))
	steps := []time.Duration{0, 0, 0, 0, time.Microsecond, 3 * time.Millisecond, 100 * time.Millisecond, 700 * time.Millisecond, 4 * time.Second, 8571429 * time.Microsecond, 90 * time.Second}
	reasons := map[string]int{}
	k := keys[0]
	for i := range 3000 {
		if rnd.IntN(500) == 0 {
			clock.Add(7 * time.Hour)
		} else {
			clock.Add(steps[rnd.IntN(len(steps))])
		}
		if rnd.IntN(10) == 0 { // runs of calls on one key, so bursts meet its rate
			k = keys[rnd.IntN(len(keys))]
		}
		a, b := allow(t, inRedis, k.key, k.lim), allow(t, inProcess, k.key, k.lim)
		if !reflect.DeepEqual(a, b) {
			t.Fatalf("call %d at %v on %+v:\nRedis      %+v\nin process %+v", i, clock.Now(), k.lim, a, b)
		}
		reasons[a.Reason]++
	}
	if reasons[ReasonRateLimited] == 0 || reasons[ReasonQuotaExceeded] == 0 {
		t.Fatalf("the walk did not meet both refusals: %v", reasons)
	}
	t.Logf("decisions by reason: %v", reasons)
}

// A burst of exactly N is allowed and the next refused, also at a rate
// where 60 s / N is not a whole number of microseconds (gcra_test.go takes
// the largest rates through the same arithmetic in Go).
func TestBurstOfExactlyPerMinute(t *testing.T) {
	rdb := newRedis(t)
	ctx := context.Background()
	if err := allowScript.Load(ctx, rdb).Err(); err != nil {
		t.Fatal(err)
	}
	for _, n := range []int{1, 7, 100_003} {
		t.Run(fmt.Sprint(n), func(t *testing.T) {
			clock := newClock(time.Date(2026, 4, 1, 10, 0, 0, 0, time.UTC))
			l, key := New(rdb, clock.Now, quietLog()), newKey(t)
			lim := Limits{PerMinute: n}
			keys, args := scriptArgs(newCall(key, []Scope{{Limits: lim}}, clock.Now()))
			// The burst goes in pipelined batches: a hundred thousand round
			// trips would take the test's time, not the script's.
			for sent := 0; sent < n; {
				pipe := rdb.Pipeline()
				var cmds []*redis.Cmd
				for ; sent < n && len(cmds) < 10_000; sent++ {
					cmds = append(cmds, allowScript.EvalSha(ctx, pipe, keys, args...))
				}
				if _, err := pipe.Exec(ctx); err != nil {
					t.Fatal(err)
				}
				for i, cmd := range cmds {
					res, err := cmd.Int64Slice()
					if err != nil || len(res) != 4 || res[0] != 0 {
						t.Fatalf("call %d of the burst refused: %v (%v)", sent-len(cmds)+i+1, res, err)
					}
				}
			}
			d := allow(t, l, key, lim)
			want := time.Duration(60_000_000/n) * time.Microsecond
			if d.Allowed || d.RetryAfter < want || d.RetryAfter > want+time.Microsecond {
				t.Fatalf("call %d: %+v, want refused with Retry-After 60 s / %d (%v)", n+1, d, n, want)
			}
		})
	}
}

func TestCountersExpireAfterTheirPeriod(t *testing.T) {
	rdb := newRedis(t)
	now := time.Date(2026, 12, 31, 18, 0, 0, 0, time.UTC)
	l, key := New(rdb, func() time.Time { return now }, quietLog()), newKey(t)
	allow(t, l, key, Limits{PerMinute: 10})
	c := oneCall(key, Limits{}, now)
	ctx := context.Background()
	for _, tc := range []struct {
		key  string
		want time.Duration
	}{
		{c.dayKey, 7 * time.Hour},    // 6 h to midnight and the margin
		{c.monthKey, 7 * time.Hour},  // the month ends with the day
		{c.rateKey, 7 * time.Second}, // 6 s of debt and a second
	} {
		ttl := rdb.PTTL(ctx, tc.key).Val()
		if ttl > tc.want || ttl < tc.want-2*time.Second {
			t.Errorf("%s expires in %v, want %v", tc.key, ttl, tc.want)
		}
	}
}

func TestAllowIsOneRoundTrip(t *testing.T) {
	opts, err := redis.ParseURL(testkit.RedisURL(t))
	if err != nil {
		t.Fatal(err)
	}
	rdb := redis.NewClient(opts)
	defer testkit.Close(t, "the Redis client", rdb)
	hook := &countingHook{}
	rdb.AddHook(hook)

	clock := newClock(time.Date(2026, 6, 1, 0, 0, 0, 0, time.UTC))
	l, key := New(rdb, clock.Now, quietLog()), newKey(t)
	allow(t, l, key, Limits{PerMinute: 1000, Daily: 1000, Monthly: 1000}) // loads the script if Redis lacks it
	hook.reset()
	for range 100 {
		allow(t, l, key, Limits{PerMinute: 1000, Daily: 1000, Monthly: 1000})
	}
	if n := hook.commands(); n != 100 {
		t.Fatalf("100 calls sent %d commands to Redis, want 100", n)
	}
}

type countingHook struct {
	mu sync.Mutex
	n  int
}

func (h *countingHook) DialHook(next redis.DialHook) redis.DialHook { return next }

func (h *countingHook) ProcessHook(next redis.ProcessHook) redis.ProcessHook {
	return func(ctx context.Context, cmd redis.Cmder) error {
		h.mu.Lock()
		h.n++
		h.mu.Unlock()
		return next(ctx, cmd)
	}
}

func (h *countingHook) ProcessPipelineHook(next redis.ProcessPipelineHook) redis.ProcessPipelineHook {
	return func(ctx context.Context, cmds []redis.Cmder) error {
		h.mu.Lock()
		h.n += len(cmds)
		h.mu.Unlock()
		return next(ctx, cmds)
	}
}

func (h *countingHook) reset() {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.n = 0
}

func (h *countingHook) commands() int {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.n
}

func TestUnreachableRedisDecidesWithoutError(t *testing.T) {
	logs := &logBuffer{}
	clock := newClock(time.Date(2026, 8, 3, 12, 0, 0, 0, time.UTC))
	l := New(unreachableRedis(t), clock.Now, slog.New(slog.NewTextHandler(logs, nil)))
	key := newKey(t)
	for i := range 20 {
		d, err := l.Allow(context.Background(), key, Limits{Daily: 15})
		if err != nil {
			t.Fatalf("call %d: %v", i+1, err)
		}
		if d.Allowed != (i < 15) {
			t.Fatalf("call %d: %+v", i+1, d)
		}
	}
	if n := logs.count("level=WARN"); n != 1 {
		t.Fatalf("%d warnings for 20 calls, want the switch logged once:\n%s", n, logs.buf.String())
	}
}

func TestRedisOutageFallsBackAndReturns(t *testing.T) {
	opts, err := redis.ParseURL(testkit.RedisURL(t))
	if err != nil {
		t.Fatal(err)
	}
	proxy := testkit.NewProxy(t, opts.Addr)
	rdb := redis.NewClient(&redis.Options{Addr: proxy.Addr(), DB: opts.DB, MaxRetries: -1, DialTimeout: time.Second})
	defer testkit.Close(t, "the Redis client", rdb)
	direct := newRedis(t)

	logs := &logBuffer{}
	clock := newClock(time.Date(2026, 9, 9, 9, 0, 0, 0, time.UTC))
	l := New(rdb, clock.Now, slog.New(slog.NewTextHandler(logs, nil)))
	l.health.min, l.health.max = 20*time.Millisecond, 40*time.Millisecond
	key := newKey(t)
	lim := Limits{Daily: 1000}
	inRedis := func() string { return direct.Get(context.Background(), oneCall(key, lim, clock.Now()).dayKey).Val() }

	allow(t, l, key, lim)
	if got := inRedis(); got != "1" {
		t.Fatalf("Redis counted %q before the outage, want 1", got)
	}

	proxy.Cut()
	for i := range 30 {
		if d := allow(t, l, key, lim); !d.Allowed {
			t.Fatalf("call %d during the outage refused: %+v", i+1, d)
		}
		time.Sleep(2 * time.Millisecond) // spans a few probes
	}
	if got := inRedis(); got != "1" {
		t.Fatalf("Redis counted %q during the outage, want still 1", got)
	}
	if n := logs.count("level=WARN"); n != 1 {
		t.Fatalf("%d warnings during the outage, want 1:\n%s", n, logs.buf.String())
	}

	proxy.Restore()
	deadline := time.Now().Add(5 * time.Second)
	for inRedis() == "1" {
		if time.Now().After(deadline) {
			t.Fatal("calls did not go back to Redis within 5 s of its return")
		}
		allow(t, l, key, lim)
		time.Sleep(5 * time.Millisecond)
	}
	if n := logs.count("level=INFO"); n != 1 {
		t.Fatalf("%d infos after the return, want 1:\n%s", n, logs.buf.String())
	}
	before := inRedis()
	allow(t, l, key, lim)
	if after := inRedis(); after == before {
		t.Fatal("a call after the return was not counted in Redis")
	}
}

func TestAllowErrors(t *testing.T) {
	l := New(nil, time.Now, quietLog())
	if _, err := l.Allow(context.Background(), "", Limits{}); err == nil {
		t.Error("an empty key was accepted")
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := l.Allow(ctx, "k", Limits{}); err == nil {
		t.Error("a call with an ended context was decided")
	}
}

func BenchmarkAllow(b *testing.B) {
	lim := Limits{PerMinute: 1_000_000, Daily: 1_000_000_000, Monthly: 1_000_000_000}
	for _, be := range []struct {
		name string
		rdb  func(testing.TB) *redis.Client
	}{
		{"redis", newRedis},
		{"in process", func(testing.TB) *redis.Client { return nil }},
	} {
		b.Run(be.name, func(b *testing.B) {
			l, key := New(be.rdb(b), time.Now, quietLog()), newKey(b)
			ctx := context.Background()
			for b.Loop() {
				if _, err := l.Allow(ctx, key, lim); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
