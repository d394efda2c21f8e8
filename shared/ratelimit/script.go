package ratelimit

import (
	"fmt"
	"time"

	"github.com/redis/go-redis/v9"
)

// allowScript decides a call against all its scopes in one atomic step;
// see gcraStep for the rate arithmetic, which it repeats operation for
// operation. Only when every scope passes is the call recorded, in all.
// The period counters are counted first and given back when the call is
// refused (within the script, so no one sees the step between): a passed
// call, the usual one, then costs one INCR per counter rather than a GET
// and an INCR. A refused call leaves every count as it was.
//
// Only the scopes that keep state take part (scriptArgs).
// KEYS, per scope: rate state (hash: t = µs, d = debt µs), day counter,
// month counter.
// ARGV: 1 now (µs), 2 and 3 the day's and the month's counter TTL (ms);
// then per scope: per minute, daily, monthly (0: no limit), and 1 when the
// periods are counted without a quota.
// Reply, per scope: {refused flags (1 rate, 2 daily, 4 monthly), rate
// retry (µs), used today, used this month}, the counts after the call
// (of a refused call: the counts it left as they were).
var allowScript = redis.NewScript(`
local window = 60000000
local tolerance = 1
local now = tonumber(ARGV[1])
local n = (#ARGV - 3) / 4
local out, rates, counted = {}, {}, {}
local refused = false

local function count(key, ttl)
  local used = redis.call('INCR', key)
  if used == 1 then redis.call('PEXPIRE', key, ttl) end
  counted[#counted + 1] = key
  return used
end

for i = 1, n do
  local a, k = 3 + (i - 1) * 4, (i - 1) * 3
  local per_minute, daily, monthly = tonumber(ARGV[a + 1]), tonumber(ARGV[a + 2]), tonumber(ARGV[a + 3])
  local counts = ARGV[a + 4] == '1'
  local flags, retry = 0, 0
  if per_minute > 0 then
    local st = redis.call('HMGET', KEYS[k + 1], 't', 'd')
    local t = tonumber(st[1]) or now
    local debt = tonumber(st[2]) or 0
    if now > t then
      debt = math.max(debt - (now - t), 0)
      t = now
    end
    debt = debt + window / per_minute
    if debt > window + tolerance then
      flags = 1
      retry = math.ceil(debt - window + (t - now))
    end
    rates[i] = {t, debt}
  end
  local used_day, used_month = 0, 0
  if daily > 0 or counts then
    used_day = count(KEYS[k + 2], ARGV[2])
    if daily > 0 and used_day > daily then flags = flags + 2 end
  end
  if monthly > 0 or counts then
    used_month = count(KEYS[k + 3], ARGV[3])
    if monthly > 0 and used_month > monthly then flags = flags + 4 end
  end
  if flags ~= 0 then refused = true end
  out[(i - 1) * 4 + 1], out[(i - 1) * 4 + 2] = flags, retry
  out[(i - 1) * 4 + 3], out[(i - 1) * 4 + 4] = used_day, used_month
end
if refused then
  for _, key in ipairs(counted) do redis.call('DECR', key) end
  for i = 1, n do
    out[(i - 1) * 4 + 3] = math.max(out[(i - 1) * 4 + 3] - 1, 0)
    out[(i - 1) * 4 + 4] = math.max(out[(i - 1) * 4 + 4] - 1, 0)
  end
  return out
end

for i = 1, n do
  local r = rates[i]
  if r then
    local k = (i - 1) * 3
    redis.call('HSET', KEYS[k + 1], 't', string.format('%.0f', r[1]), 'd', string.format('%.17g', r[2]))
    redis.call('PEXPIRE', KEYS[k + 1], string.format('%.0f', math.ceil((r[1] - now + r[2]) / 1000) + 1000))
  end
end
return out
`)

// Bits of the script's refused flags.
const (
	refusedRate    = 1
	refusedDaily   = 2
	refusedMonthly = 4
)

// keepsState says whether a scope has anything in Redis to read or count:
// a scope with no limit that counts nothing (a key with no limits of its
// own, a company without company-wide limits) is left out of the script,
// and its outcome is the zero one (passed, nothing used).
func (s scopeCall) keepsState() bool { return s.lim.PerMinute > 0 || s.countsDay() || s.countsMonth() }

// scriptArgs are the script's keys and arguments for c: those of the
// scopes that keep state, in order.
func scriptArgs(c call) ([]string, []any) {
	keys := make([]string, 0, 3*len(c.scopes))
	args := make([]any, 0, 3+4*len(c.scopes))
	args = append(args, c.now.UnixMicro(), ttlMillis(c.day.keyTTL(c.now)), ttlMillis(c.month.keyTTL(c.now)))
	for _, s := range c.scopes {
		if !s.keepsState() {
			continue
		}
		keys = append(keys, s.rateKey, s.dayKey, s.monthKey)
		count := 0
		if s.count {
			count = 1
		}
		args = append(args, s.lim.PerMinute, s.lim.Daily, s.lim.Monthly, count)
	}
	return keys, args
}

// parseOutcome reads the script's answer for c: four values for each scope
// that keeps state; the others passed with nothing used.
func parseOutcome(res []int64, c call) (outcome, error) {
	if want := 4 * c.stateful(); len(res) != want {
		return nil, fmt.Errorf("rate limit script answered %d values, want %d", len(res), want)
	}
	o := make(outcome, len(c.scopes))
	at := 0
	for i, s := range c.scopes {
		if !s.keepsState() {
			continue
		}
		r := res[at : at+4]
		at += 4
		o[i] = scopeOutcome{
			rateLimited: r[0]&refusedRate != 0,
			rateRetry:   time.Duration(r[1]) * time.Microsecond,
			dailyFull:   r[0]&refusedDaily != 0,
			monthlyFull: r[0]&refusedMonthly != 0,
			usedDay:     r[2],
			usedMonth:   r[3],
		}
	}
	return o, nil
}

// stateful counts c's scopes that keep state.
func (c call) stateful() int {
	n := 0
	for _, s := range c.scopes {
		if s.keepsState() {
			n++
		}
	}
	return n
}

// ttlMillis is d in whole milliseconds, at least one: PEXPIRE refuses 0.
func ttlMillis(d time.Duration) int64 { return max(d.Milliseconds(), 1) }
