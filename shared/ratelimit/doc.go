// Package ratelimit decides whether one metered bot API call may go ahead:
// a per-minute rate limit and daily and monthly quotas, with the 80 % and
// 100 % quota thresholds each call crosses. A call may have several scopes
// (its API key's limits, its chatbot's, its company's): it must pass them
// all, and it is counted in all of them or, when refused, in none. The
// per-IP login rate is a scope with a rate alone.
//
// # Per minute: GCRA
//
// The per-minute limit is the generic cell rate algorithm (the virtual
// scheduling form of a leaky bucket): with a limit of N, a client may send
// N calls at once, after which one more is allowed every 60 s / N; the
// N+1-th call of a burst is refused with a Retry-After of 60 s / N. The
// state of a key is its debt, how far its theoretical arrival time lies
// ahead of the last call, kept with that call's time; it never exceeds one
// minute, so Redis expires it shortly after it drains. The sustained rate
// is N a minute, but a client that bursts N calls and then paces itself
// can get up to 2N-1 calls into one sliding minute; that is the price of
// allowing the burst without a log of every call.
//
// # Daily and monthly quotas
//
// Each period has a counter under a key named after the period (UTC day,
// UTC calendar month), so a period's turn is a fresh key and the old one
// expires on its own an hour after its period ends. A scope with Count set
// (Allow's, a bot call's chatbot) is counted even when a quota is 0
// (unlimited), so the usage is known either way; another keeps a period's
// counter only while it has a quota of that period.
//
// # One atomic step
//
// In Redis one Lua script (EVALSHA, EVAL when the script is not cached:
// one round trip) checks the rate and both quotas of every scope and, only
// when all of them pass, records the call in all: a refused call counts
// nothing. The clock is the Limiter's, passed to the script; Redis TIME is
// never used. A call's keys share a hash tag (its group: the company of a
// bot call), so they live on one cluster slot. A refusal names the limit
// it hit (Decision.Limit, such as company_daily): a used-up quota before a
// rate, and among those the longest wait.
// Because the increment and the check are one step, exactly one call
// takes a counter across a threshold, however many processes race: that
// call reports the crossing, which makes "once per period" hold without
// storing which thresholds were reported.
//
// # Without Redis
//
// When there is no Redis, or it fails, the same logic runs in the process
// (mutex and maps, expired entries swept): counters are then per process,
// so each process allows its own quota and may report the same threshold.
// A call waits at most 300 ms for Redis before it is decided here. The
// switch is logged once; one call is tried in Redis again after a short,
// growing backoff (1 s to 10 s), and Redis is used again as soon as it
// answers. Calls counted in the process are not carried to Redis.
package ratelimit
