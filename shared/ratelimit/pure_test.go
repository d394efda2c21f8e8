package ratelimit

import (
	"reflect"
	"testing"
	"time"
)

func TestPeriods(t *testing.T) {
	for _, tc := range []struct {
		at                   time.Time
		day, month, monthEnd time.Time
	}{
		{
			at:       time.Date(2026, 3, 10, 23, 59, 59, 999_999_999, time.UTC),
			day:      time.Date(2026, 3, 10, 0, 0, 0, 0, time.UTC),
			month:    time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC),
			monthEnd: time.Date(2026, 4, 1, 0, 0, 0, 0, time.UTC),
		},
		{
			at:       time.Date(2028, 2, 29, 12, 0, 0, 0, time.UTC), // leap day
			day:      time.Date(2028, 2, 29, 0, 0, 0, 0, time.UTC),
			month:    time.Date(2028, 2, 1, 0, 0, 0, 0, time.UTC),
			monthEnd: time.Date(2028, 3, 1, 0, 0, 0, 0, time.UTC),
		},
		{
			at:       time.Date(2026, 12, 31, 20, 0, 0, 0, time.UTC),
			day:      time.Date(2026, 12, 31, 0, 0, 0, 0, time.UTC),
			month:    time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC),
			monthEnd: time.Date(2027, 1, 1, 0, 0, 0, 0, time.UTC),
		},
		{
			// 01:30 in UTC+3 is the previous UTC day.
			at:       time.Date(2026, 6, 1, 1, 30, 0, 0, time.FixedZone("UTC+3", 3*3600)),
			day:      time.Date(2026, 5, 31, 0, 0, 0, 0, time.UTC),
			month:    time.Date(2026, 5, 1, 0, 0, 0, 0, time.UTC),
			monthEnd: time.Date(2026, 6, 1, 0, 0, 0, 0, time.UTC),
		},
	} {
		d, m := dayOf(tc.at), monthOf(tc.at)
		if !d.start.Equal(tc.day) || !d.end.Equal(tc.day.AddDate(0, 0, 1)) {
			t.Errorf("day of %v: %v", tc.at, d)
		}
		if !m.start.Equal(tc.month) || !m.end.Equal(tc.monthEnd) {
			t.Errorf("month of %v: %v", tc.at, m)
		}
	}
}

func TestThresholdCount(t *testing.T) {
	for _, tc := range []struct {
		limit, pct int
		want       int64
	}{
		{10, 80, 8}, {12, 80, 10}, {1, 80, 1}, {1, 100, 1}, {3, 80, 3},
		{1_000_000_000, 80, 800_000_000}, {1_000_000_000, 100, 1_000_000_000},
	} {
		if got := thresholdCount(tc.limit, tc.pct); got != tc.want {
			t.Errorf("%d %% of %d is reached at %d, want %d", tc.pct, tc.limit, got, tc.want)
		}
	}
}

func TestCrossings(t *testing.T) {
	p := dayOf(time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC))
	cross := func(threshold, limit, used int) Crossing {
		return Crossing{Period: Daily, PeriodStart: p.start, Threshold: threshold, Limit: limit, Used: used}
	}
	for _, tc := range []struct {
		name          string
		limit         int
		before, after int64
		want          []Crossing
	}{
		{"below 80 %", 12, 8, 9, nil},
		{"reaches 80 %, rounded up", 12, 9, 10, []Crossing{cross(80, 12, 10)}},
		{"past 80 %", 12, 10, 11, nil},
		{"reaches 100 %", 12, 11, 12, []Crossing{cross(100, 12, 12)}},
		{"a limit of 1 reaches both at once", 1, 0, 1, []Crossing{cross(80, 1, 1), cross(100, 1, 1)}},
		{"no limit", 0, 0, 1, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := crossings("", Daily, p, tc.limit, tc.before, tc.after); !reflect.DeepEqual(got, tc.want) {
				t.Fatalf("got %+v, want %+v", got, tc.want)
			}
		})
	}
}

func TestGCRAStep(t *testing.T) {
	const now = int64(1_780_000_000_000_000)
	t.Run("a burst of exactly N", func(t *testing.T) {
		for _, n := range []int{1, 5, 7, 999_999, 1_000_000} {
			var st rateState
			for i := range n {
				var retry int64
				if st, retry = gcraStep(st, now, n); retry != 0 {
					t.Fatalf("N=%d: call %d refused", n, i+1)
				}
			}
			next, retry := gcraStep(st, now, n)
			if interval := int64(window / n); retry < interval || retry > interval+1 || next != st {
				t.Fatalf("N=%d: call N+1 waits %d µs (state %+v → %+v), want 60 s / N and no change", n, retry, st, next)
			}
		}
	})
	t.Run("debt drains with time", func(t *testing.T) {
		st := rateState{t: now, debt: window}
		if _, retry := gcraStep(st, now+12_000_000-1000, 5); retry != 1000 {
			t.Fatalf("a millisecond early: waits %d µs, want 1000", retry)
		}
		next, retry := gcraStep(st, now+12_000_000, 5)
		if retry != 0 || next != (rateState{t: now + 12_000_000, debt: window}) {
			t.Fatalf("on time: %+v, retry %d", next, retry)
		}
		if next, _ := gcraStep(st, now+10*window, 5); next.debt != window/5 {
			t.Fatalf("long after: debt %v, want one interval", next.debt)
		}
	})
	t.Run("a clock behind the state's adds no debt", func(t *testing.T) {
		st := rateState{t: now, debt: window / 2}
		next, retry := gcraStep(st, now-5_000_000, 2)
		if retry != 0 || next != (rateState{t: now, debt: window}) {
			t.Fatalf("got %+v, retry %d", next, retry)
		}
		if _, retry := gcraStep(next, now-5_000_000, 2); retry != window/2+5_000_000 {
			t.Fatalf("refused call from behind waits %d µs, want to the state's time plus an interval", retry)
		}
	})
}

func TestInProcessStoreForgetsExpiredEntries(t *testing.T) {
	clock := newClock(time.Date(2026, 1, 31, 22, 0, 0, 0, time.UTC))
	l := New(nil, clock.Now, quietLog())
	for _, key := range []string{"a", "b", "c"} {
		allow(t, l, key, Limits{PerMinute: 10})
	}
	size := func() (int, int) {
		l.local.mu.Lock()
		defer l.local.mu.Unlock()
		return len(l.local.rates), len(l.local.counts)
	}
	if r, c := size(); r != 3 || c != 6 {
		t.Fatalf("%d rate states and %d counters, want 3 and 6", r, c)
	}
	clock.Add(3 * time.Hour) // past February's first hour: day, month and rate expired
	allow(t, l, "d", Limits{})
	if r, c := size(); r != 0 || c != 2 {
		t.Fatalf("%d rate states and %d counters after the periods, want 0 and d's 2", r, c)
	}
}

func TestRedisHealth(t *testing.T) {
	wall := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	h := newRedisHealth(func() time.Time { return wall })
	if use, probe := h.use(); !use || probe {
		t.Fatal("a healthy Redis is not used")
	}
	if !h.failed(false) || h.failed(false) {
		t.Fatal("the switch to the process is not reported exactly once")
	}
	if use, _ := h.use(); use {
		t.Fatal("Redis tried again within the backoff")
	}
	wall = wall.Add(minBackoff)
	if use, probe := h.use(); !use || !probe {
		t.Fatal("no probe after the backoff")
	}
	if use, _ := h.use(); use {
		t.Fatal("a second probe while one is under way")
	}
	if h.failed(true) {
		t.Fatal("a failed probe reported as a new switch")
	}
	wall = wall.Add(minBackoff)
	if use, _ := h.use(); use {
		t.Fatal("the backoff did not grow after a failed probe")
	}
	wall = wall.Add(minBackoff)
	use, probe := h.use()
	if !use || !probe {
		t.Fatal("no probe after the grown backoff")
	}
	h.abandon(probe)
	if use, probe = h.use(); !use || !probe {
		t.Fatal("an abandoned probe blocks the next")
	}
	if !h.succeeded() || h.succeeded() {
		t.Fatal("the return to Redis is not reported exactly once")
	}
	if use, probe := h.use(); !use || probe {
		t.Fatal("Redis not used after it answered")
	}
	for range 10 {
		h.failed(true)
	}
	if h.backoff > maxBackoff {
		t.Fatalf("backoff grew to %v, past %v", h.backoff, maxBackoff)
	}
}

func TestKeysOfAScopeNameItsGroupKeyAndPeriod(t *testing.T) {
	now := time.Date(2026, 3, 10, 12, 0, 0, 0, time.UTC)
	c := newCall("bot", []Scope{{Name: "key", Key: "k1"}, {Name: "ip"}}, now)
	want := [][3]string{
		{"ratelimit:{bot}:k1:rpm", "ratelimit:{bot}:k1:day:2026-03-10", "ratelimit:{bot}:k1:month:2026-03"},
		{"ratelimit:{bot}:rpm", "ratelimit:{bot}:day:2026-03-10", "ratelimit:{bot}:month:2026-03"},
	}
	for i, s := range c.scopes {
		if got := [3]string{s.rateKey, s.dayKey, s.monthKey}; got != want[i] {
			t.Errorf("scope %d keys %v, want %v", i, got, want[i])
		}
	}
}
