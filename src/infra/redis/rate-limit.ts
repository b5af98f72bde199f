// Rate-limit counters in Redis, so several API processes share one budget per user and per key.
import type { Redis } from "ioredis";
import type { RateDecision, RateLimitStore } from "../../api/rate-limit.js";

/**
 * One token bucket per key, updated atomically in Redis with Redis's own clock (API hosts' clocks may differ).
 * Returns {allowed, tokens left, ms since last update unused}.
 */
const TAKE = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local rate = tonumber(ARGV[1])
local burst = tonumber(ARGV[2])
local state = redis.call('HMGET', KEYS[1], 'tokens', 'updated')
local tokens = tonumber(state[1])
local updated = tonumber(state[2])
if tokens == nil then tokens = burst; updated = now end
tokens = math.min(burst, tokens + (now - updated) * rate)
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
  constructor(
    private readonly redis: Redis,
    private readonly onError: (err: unknown) => void,
    private readonly prefix = "agentry:ratelimit:",
  ) {
    redis.defineCommand("agentryTakeToken", { numberOfKeys: 1, lua: TAKE });
  }

  async take(key: string, perMinute: number, burst: number): Promise<RateDecision> {
    const ratePerMs = perMinute / 60_000;
    try {
      const [allowed, left] = (await (
        this.redis as unknown as { agentryTakeToken(k: string, r: number, b: number): Promise<[number, string]> }
      ).agentryTakeToken(this.prefix + key, ratePerMs, burst)) as [number, string];
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
