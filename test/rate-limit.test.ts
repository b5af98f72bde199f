// Rate limits: the N+1th request in a window is 429 and the budget recovers; with Redis, API processes share it.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { client, createKey, signUp } from "./helpers/client.js";
import { createThrowawayDatabase } from "./helpers/postgres.js";
import { type TestServer, startTestServer } from "./helpers/server.js";

const REDIS_URL = process.env.TEST_REDIS_URL ?? "redis://127.0.0.1:6379";
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function statuses(get: () => Promise<{ status: number }>, n: number) {
  const out: number[] = [];
  for (let i = 0; i < n; i++) out.push((await get()).status);
  return out;
}

describe("rate limits in memory", () => {
  let t: TestServer;
  beforeAll(async () => {
    // 600/min = one request back every 100 ms, burst 5.
    t = await startTestServer({ rateLimit: { enabled: true, perUserPerMinute: 600, perKeyPerMinute: 600, burst: 5 } });
  });
  afterAll(() => t?.close());

  it("refuses the request after the burst with 429 and recovers once the window refills", async () => {
    const u = await signUp(t.url);
    const k = await createKey(t.url, u.api, ["IDENTITY"]);
    expect(await statuses(() => k.api.get("/api/auth/user"), 6)).toEqual([200, 200, 200, 200, 200, 429]);
    await sleep(250);
    expect(await statuses(() => k.api.get("/api/auth/user"), 2)).toEqual([200, 200]);
    await sleep(600);
    const full = await k.api.get("/api/auth/user");
    expect(Number(full.headers.get("ratelimit-remaining"))).toBeGreaterThanOrEqual(3);
  });

  it("counts signed-in users, keys and anonymous callers separately", async () => {
    const u = await signUp(t.url);
    const k = await createKey(t.url, u.api, ["IDENTITY"]);
    expect(await statuses(() => k.api.get("/api/auth/user"), 6)).toContain(429);
    expect((await u.api.get("/api/auth/user")).status).toBe(200);
    expect((await client(t.url).get("/health")).status).toBe(200);
  });
});

describe("rate limits in Redis, shared by two API processes", () => {
  let pg: Awaited<ReturnType<typeof createThrowawayDatabase>>;
  let a: TestServer;
  let b: TestServer;
  beforeAll(async () => {
    pg = await createThrowawayDatabase();
    const overrides = {
      databaseUrl: pg.url,
      redisUrl: REDIS_URL,
      rateLimit: { enabled: true, perUserPerMinute: 600, perKeyPerMinute: 600, burst: 4 },
    };
    a = await startTestServer(overrides);
    b = await startTestServer(overrides);
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
    expect((await onB.get("/api/auth/user")).status).toBe(429);
    await sleep(250);
    expect((await onB.get("/api/auth/user")).status).toBe(200);
  });
});
