// Failed authentication attempts per IP (and per account for password login) are limited, so credentials cannot be guessed.

import type { FastifyInstance, FastifyRequest } from "fastify";
import { decodeJwt } from "jose";
import type { AuthThrottleConfig } from "../config.js";
import { ApiError } from "../core/errors.js";
import type { RateLimitStore } from "./rate-limit.js";

declare module "fastify" {
  interface FastifyInstance {
    /** Present when failed authentication is throttled; routes that fail authentication off the HTTP path report here. */
    authThrottle?: AuthThrottle;
  }
}

/** Routes whose credentials travel in the body: a 401 there is a failed attempt even without credential headers. */
const BODY_CREDENTIAL_ROUTES = new Set([
  "/api/auth/login",
  "/api/auth/refresh",
  "/api/oauth/token",
  "/api/oauth/revoke",
  "/api/oauth/introspect",
]);
const LOGIN = "/api/auth/login";

/**
 * Each failure takes a token from a bucket in the shared store (`maxFailures` deep, refilled at `refillPerMinute`).
 * The store can only take, not peek, so the emptied bucket is remembered here as a block until one failure's worth
 * has refilled; with several processes, each one blocks on its own first failure against the emptied shared bucket.
 */
export class AuthThrottle {
  private readonly blocked = new Map<string, number>();

  constructor(
    private readonly config: AuthThrottleConfig,
    private readonly store: RateLimitStore,
    private readonly now: () => number = Date.now,
  ) {}

  /** Refuses with 429 while `key` (`ip:…`, `login:…`) is blocked. */
  check(key: string): void {
    const until = this.blocked.get(key);
    if (until === undefined) return;
    const left = until - this.now();
    if (left <= 0) {
      this.blocked.delete(key);
      return;
    }
    throw new ApiError("RATE_LIMITED", 429, "Too many failed authentication attempts; retry later", {
      retry_after: Math.ceil(left / 1000),
    });
  }

  async fail(key: string): Promise<void> {
    const decision = await this.store.take(`authfail:${key}`, this.config.refillPerMinute, this.config.maxFailures);
    if (decision.allowed && decision.remaining >= 1) return;
    const now = this.now();
    this.blocked.set(key, now + Math.ceil(60_000 / this.config.refillPerMinute));
    if (this.blocked.size > 10_000) for (const [k, until] of this.blocked) if (until <= now) this.blocked.delete(k);
  }

  /** Records a failed attempt of a request: its IP, and the account for a password login. */
  async failed(request: FastifyRequest): Promise<void> {
    await this.fail(`ip:${request.ip}`);
    const account = loginAccount(request);
    if (account) await this.fail(account);
  }
}

function loginAccount(request: FastifyRequest): string | undefined {
  if (request.routeOptions.url !== LOGIN) return undefined;
  const email = (request.body as { email?: unknown } | undefined)?.email;
  return typeof email === "string" ? `login:${email.toLowerCase()}` : undefined;
}

/** Whether a 401 answered a guess: credentials were presented, in headers or in a credential route's body. */
function wasAttempt(request: FastifyRequest): boolean {
  if (BODY_CREDENTIAL_ROUTES.has(request.routeOptions.url ?? "")) return true;
  if (request.headers["x-api-key"]) return true;
  const auth = request.headers.authorization;
  if (!auth) return false;
  // An expired JWT can never be accepted whatever its signature, so it is no guess: a client whose session token
  // just lapsed is not counted against its IP.
  const bearer = /^Bearer\s+(\S+)$/i.exec(auth.trim())?.[1];
  if (bearer && !bearer.startsWith("agpt_")) {
    try {
      const exp = decodeJwt(bearer).exp;
      if (typeof exp === "number" && exp * 1000 < Date.now()) return false;
    } catch {}
  }
  return true;
}

/** Registered before authentication, so a blocked IP is refused before its credential is even looked at. */
export function registerAuthThrottle(app: FastifyInstance, config: AuthThrottleConfig, store: RateLimitStore): void {
  if (!config.enabled) return;
  const throttle = new AuthThrottle(config, store);
  app.decorate("authThrottle", throttle);
  app.addHook("onRequest", async (request) => {
    throttle.check(`ip:${request.ip}`);
  });
  app.addHook("preHandler", async (request) => {
    const account = loginAccount(request);
    if (account) throttle.check(account);
  });
  app.addHook("onSend", async (request, reply) => {
    if (reply.statusCode === 401 && wasAttempt(request)) await throttle.failed(request);
  });
}
