// Rate limits per user, per API key / OAuth token and per anonymous IP: a token bucket (burst) refilled per minute.
import type { FastifyInstance } from "fastify";
import type { RateLimitConfig } from "../config.js";
import { ApiError } from "../core/errors.js";

export interface RateDecision {
  allowed: boolean;
  limit: number;
  remaining: number;
  /** Seconds until the bucket is full again. */
  resetSeconds: number;
  /** Seconds until the next request would be allowed (when refused). */
  retryAfterSeconds: number;
}

/** Counters behind the limiter: in memory on one process, in Redis when several share one budget. */
export interface RateLimitStore {
  take(key: string, perMinute: number, burst: number): Promise<RateDecision>;
}

/** Milliseconds since the epoch; tests pass a clock they advance instead of sleeping. */
export type Clock = () => number;

export class MemoryRateLimitStore implements RateLimitStore {
  private readonly buckets = new Map<string, { tokens: number; updated: number }>();

  constructor(private readonly now: Clock = Date.now) {}

  async take(key: string, perMinute: number, burst: number): Promise<RateDecision> {
    const now = this.now();
    const ratePerMs = perMinute / 60_000;
    const bucket = this.buckets.get(key) ?? { tokens: burst, updated: now };
    // A clock stepped back refills nothing (rather than taking tokens away).
    bucket.tokens = Math.min(burst, bucket.tokens + Math.max(0, now - bucket.updated) * ratePerMs);
    bucket.updated = now;
    const allowed = bucket.tokens >= 1;
    if (allowed) bucket.tokens -= 1;
    this.buckets.set(key, bucket);
    if (this.buckets.size > 100_000) this.sweep(now, ratePerMs, burst);
    return {
      allowed,
      limit: perMinute,
      remaining: Math.floor(bucket.tokens),
      resetSeconds: Math.ceil((burst - bucket.tokens) / ratePerMs / 1000),
      retryAfterSeconds: allowed ? 0 : Math.ceil((1 - bucket.tokens) / ratePerMs / 1000),
    };
  }

  /** Forgets buckets that have refilled completely: they hold no information. */
  private sweep(now: number, ratePerMs: number, burst: number): void {
    for (const [key, b] of this.buckets)
      if (b.tokens + (now - b.updated) * ratePerMs >= burst) this.buckets.delete(key);
  }
}

const UNLIMITED_PATHS = new Set(["/health", "/ready", "/openapi.json"]);

export function registerRateLimit(app: FastifyInstance, config: RateLimitConfig, store: RateLimitStore): void {
  if (!config.enabled) return;
  app.addHook("onRequest", async (request, reply) => {
    const path = request.url.split("?")[0] as string;
    if (
      UNLIMITED_PATHS.has(path) ||
      path.startsWith("/docs") ||
      path.endsWith("/docs") ||
      path.endsWith("/openapi.json")
    )
      return;
    const principal = request.principal;
    const key = principal?.rateKey ?? `ip:${request.ip}`;
    const perMinute = principal && principal.kind !== "session" ? config.perKeyPerMinute : config.perUserPerMinute;
    const decision = await store.take(key, perMinute, config.burst);
    reply.header("ratelimit-limit", decision.limit);
    reply.header("ratelimit-remaining", decision.remaining);
    reply.header("ratelimit-reset", decision.resetSeconds);
    if (!decision.allowed) {
      throw new ApiError("RATE_LIMITED", 429, "Too many requests; slow down and retry later", {
        limit_per_minute: decision.limit,
        burst: config.burst,
        retry_after: decision.retryAfterSeconds,
      });
    }
  });
}
