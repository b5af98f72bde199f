// Rate-limit counters in Redis, so several API processes share one budget per user and per key.
import type { Redis } from "ioredis";
import type { Clock, RateDecision, RateLimitStore } from "../../api/rate-limit.js";

/**
 * One token bucket per key, updated atomically in Redis with Redis's own clock (API hosts' clocks may differ),
 * or with the time in ARGV[3] when a test drives the clock. Returns {allowed, tokens left}.
 */
const TAKE = `
local now = tonumber(ARGV[3])
if now == nil then
  local t = redis.call('TIME')
  now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
end
local rate = tonumber(ARGV[1])
local burst = tonumber(ARGV[2])
local state = redis.call('HMGET', KEYS[1], 'tokens', 'updated')
local tokens = tonumber(state[1])
local updated = tonumber(state[2])
if tokens == nil then tokens = burst; updated = now end
tokens = math.min(burst, tokens + math.max(0, now - updated) * rate)
local allowed = 0
if tokens >= 1 then
  tokens = tokens - 1
  allowed = 1
end
redis.call('HSET', KEYS[1], 'tokens', tostring(tokens), 'updated', now)
redis.call('PEXPIRE', KEYS[1], math.ceil(burst / rate) + 1000)
return {allowed, tostring(tokens)}
`;

export class RedisRateLimitStore implements RateLimitStore {
  /** `now` replaces Redis's clock: for tests that advance time instead of sleeping, never in production. */
  constructor(
    private readonly redis: Redis,
    private readonly onError: (err: unknown) => void,
    private readonly now?: Clock,
    private readonly prefix = "agentry:ratelimit:",
  ) {
    redis.defineCommand("agentryTakeToken", { numberOfKeys: 1, lua: TAKE });
  }

  async take(key: string, perMinute: number, burst: number): Promise<RateDecision> {
    const ratePerMs = perMinute / 60_000;
    try {
      const args: number[] = this.now ? [ratePerMs, burst, this.now()] : [ratePerMs, burst];
      const [allowed, left] = await (
        this.redis as unknown as { agentryTakeToken(k: string, ...args: number[]): Promise<[number, string]> }
      ).agentryTakeToken(this.prefix + key, ...args);
      const tokens = Number(left);
      return {
        allowed: allowed === 1,
        limit: perMinute,
        remaining: Math.floor(tokens),
        resetSeconds: Math.ceil((burst - tokens) / ratePerMs / 1000),
        retryAfterSeconds: allowed === 1 ? 0 : Math.ceil((1 - tokens) / ratePerMs / 1000),
      };
    } catch (err) {
      // Redis unreachable: serve rather than refuse everyone; the outage is logged.
      this.onError(err);
      return { allowed: true, limit: perMinute, remaining: burst, resetSeconds: 0, retryAfterSeconds: 0 };
    }
  }
}
