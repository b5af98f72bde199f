// Rate limits: the N+1th request in a window is 429 and the budget recovers; with Redis, API processes share it.
// The limiter reads a clock the test advances, so nothing here depends on how fast the machine is.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { client, createKey, signUp } from "./helpers/client.js";
import { createThrowawayDatabase } from "./helpers/postgres.js";
import { startTestServer, type TestServer } from "./helpers/server.js";

const REDIS_URL = process.env.TEST_REDIS_URL ?? "redis://127.0.0.1:6379";

/** A clock that stands still until the test moves it. */
function manualClock() {
  let now = Date.now();
  return {
    now: () => now,
    advance(ms: number) {
      now += ms;
    },
  };
}

async function statuses(get: () => Promise<{ status: number }>, n: number) {
  const out: number[] = [];
  for (let i = 0; i < n; i++) out.push((await get()).status);
  return out;
}

describe("rate limits in memory", () => {
  let t: TestServer;
  const clock = manualClock();
  beforeAll(async () => {
    // 60/min = one request back every second, burst 5.
    t = await startTestServer(
      { rateLimit: { enabled: true, perUserPerMinute: 60, perKeyPerMinute: 60, burst: 5 } },
      { rateLimitClock: clock.now },
    );
  });
  afterAll(() => t?.close());

  it("refuses the request after the burst with 429 and recovers once the window refills", async () => {
    const u = await signUp(t.url);
    const k = await createKey(t.url, u.api, ["IDENTITY"]);
    expect(await statuses(() => k.api.get("/api/auth/user"), 5)).toEqual([200, 200, 200, 200, 200]);
    const refused = await k.api.get("/api/auth/user");
    expect(refused.status).toBe(429);
    expect(refused.body.error.code).toBe("RATE_LIMITED");
    expect(refused.body.error.details).toMatchObject({ limit_per_minute: 60, burst: 5, retry_after: 1 });
    expect(refused.headers.get("ratelimit-remaining")).toBe("0");

    clock.advance(2_500);
    expect(await statuses(() => k.api.get("/api/auth/user"), 3)).toEqual([200, 200, 429]);
    clock.advance(60_000);
    const full = await k.api.get("/api/auth/user");
    expect(full.status).toBe(200);
    expect(full.headers.get("ratelimit-remaining")).toBe("4");
    expect(full.headers.get("ratelimit-limit")).toBe("60");
  });

  it("counts signed-in users, keys and anonymous callers separately", async () => {
    clock.advance(60_000);
    const u = await signUp(t.url);
    const k = await createKey(t.url, u.api, ["IDENTITY"]);
    expect(await statuses(() => k.api.get("/api/auth/user"), 6)).toEqual([200, 200, 200, 200, 200, 429]);
    expect((await u.api.get("/api/auth/user")).status).toBe(200);
    expect((await client(t.url).get("/api/blocks")).status).not.toBe(429);
    expect((await client(t.url).get("/health")).status).toBe(200);
  });
});

describe("rate limits in Redis, shared by two API processes", () => {
  let pg: Awaited<ReturnType<typeof createThrowawayDatabase>>;
  let a: TestServer;
  let b: TestServer;
  // One clock for both processes, as Redis's own clock would be.
  const clock = manualClock();
  beforeAll(async () => {
    pg = await createThrowawayDatabase();
    const overrides = {
      databaseUrl: pg.url,
      redisUrl: REDIS_URL,
      // Keys get one request back a minute: only the test's clock, never the machine's speed, refills them.
      rateLimit: { enabled: true, perUserPerMinute: 600, perKeyPerMinute: 1, burst: 4 },
    };
    a = await startTestServer(overrides, { rateLimitClock: clock.now });
    b = await startTestServer(overrides, { rateLimitClock: clock.now });
  });
  afterAll(async () => {
    await a?.close();
    await b?.close();
    await pg?.drop();
  });

  it("spends one budget across both processes and recovers after the window", async () => {
    const u = await signUp(a.url);
    const k = await createKey(a.url, u.api, ["IDENTITY"]);
    const onA = client(a.url, { "x-api-key": k.key });
    const onB = client(b.url, { "x-api-key": k.key });
    const seen = [
      (await onA.get("/api/auth/user")).status,
      (await onB.get("/api/auth/user")).status,
      (await onA.get("/api/auth/user")).status,
      (await onB.get("/api/auth/user")).status,
    ];
    expect(seen).toEqual([200, 200, 200, 200]);
    const refused = await onA.get("/api/auth/user");
    expect(refused.status).toBe(429);
    expect(refused.body.error.code).toBe("RATE_LIMITED");
    expect(refused.body.error.details.retry_after).toBe(60);
    expect((await onB.get("/api/auth/user")).status).toBe(429);

    clock.advance(30_000);
    expect((await onB.get("/api/auth/user")).status).toBe(429);
    clock.advance(31_000);
    expect((await onB.get("/api/auth/user")).status).toBe(200);
    expect((await onA.get("/api/auth/user")).status).toBe(429);
  });
});
