package ratelimit

import (
	"fmt"
	"time"

	"github.com/redis/go-redis/v9"
)

// allowScript is Allow in one atomic step; see gcraStep for the rate
// arithmetic, which it repeats operation for operation.
//
// KEYS: 1 rate state (hash: t = µs, d = debt µs), 2 day counter, 3 month counter.
// ARGV: 1 now (µs), 2 per minute, 3 daily, 4 monthly (0: no limit),
// 5 and 6 the day's and the month's counter TTL (ms).
// Reply: {refused flags (1 rate, 2 daily, 4 monthly), rate retry (µs),
// used today, used this month}, the counts after the call.
var allowScript = redis.NewScript(`
local window = 60000000
local tolerance = 1
local now = tonumber(ARGV[1])
local per_minute = tonumber(ARGV[2])
local daily = tonumber(ARGV[3])
local monthly = tonumber(ARGV[4])

local flags = 0
local retry = 0
local t, debt
if per_minute > 0 then
  local st = redis.call('HMGET', KEYS[1], 't', 'd')
  t = tonumber(st[1]) or now
  debt = tonumber(st[2]) or 0
  if now > t then
    debt = math.max(debt - (now - t), 0)
    t = now
  end
  debt = debt + window / per_minute
  if debt > window + tolerance then
    flags = 1
    retry = math.ceil(debt - window + (t - now))
  end
end

local used_day = tonumber(redis.call('GET', KEYS[2]) or '0')
local used_month = tonumber(redis.call('GET', KEYS[3]) or '0')
if daily > 0 and used_day >= daily then flags = flags + 2 end
if monthly > 0 and used_month >= monthly then flags = flags + 4 end
if flags ~= 0 then
  return {flags, retry, used_day, used_month}
end

if per_minute > 0 then
  redis.call('HSET', KEYS[1], 't', string.format('%.0f', t), 'd', string.format('%.17g', debt))
  redis.call('PEXPIRE', KEYS[1], string.format('%.0f', math.ceil((t - now + debt) / 1000) + 1000))
end
used_day = redis.call('INCR', KEYS[2])
if used_day == 1 then redis.call('PEXPIRE', KEYS[2], ARGV[5]) end
used_month = redis.call('INCR', KEYS[3])
if used_month == 1 then redis.call('PEXPIRE', KEYS[3], ARGV[6]) end
return {0, 0, used_day, used_month}
`)

// Bits of the script's refused flags.
const (
	refusedRate    = 1
	refusedDaily   = 2
	refusedMonthly = 4
)

// scriptArgs are the script's keys and arguments for c.
func scriptArgs(c call) ([]string, []any) {
	return []string{c.rateKey, c.dayKey, c.monthKey}, []any{
		c.now.UnixMicro(), c.lim.PerMinute, c.lim.Daily, c.lim.Monthly,
		ttlMillis(c.day.keyTTL(c.now)), ttlMillis(c.month.keyTTL(c.now)),
	}
}

// parseOutcome reads the script's answer.
func parseOutcome(res []int64) (outcome, error) {
	if len(res) != 4 {
		return outcome{}, fmt.Errorf("rate limit script answered %d values, want 4", len(res))
	}
	flags := res[0]
	return outcome{
		rateLimited: flags&refusedRate != 0,
		rateRetry:   time.Duration(res[1]) * time.Microsecond,
		dailyFull:   flags&refusedDaily != 0,
		monthlyFull: flags&refusedMonthly != 0,
		usedDay:     res[2],
		usedMonth:   res[3],
	}, nil
}

// ttlMillis is d in whole milliseconds, at least one: PEXPIRE refuses 0.
func ttlMillis(d time.Duration) int64 { return max(d.Milliseconds(), 1) }
