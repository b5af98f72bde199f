// API keys through real HTTP: shown once, hashed at rest, authenticate with X-API-Key, revoke/suspend/re-scope.
import { eq } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { apiKeys } from "../src/infra/db/schema.js";
import { client, createKey, signUp } from "./helpers/client.js";
import { startTestServer, type TestServer } from "./helpers/server.js";

describe("API keys", () => {
  let t: TestServer;
  beforeAll(async () => {
    t = await startTestServer();
  });
  afterAll(() => t?.close());

  it("creates a key shown in full once, stored only as a hash with a visible head and tail", async () => {
    const u = await signUp(t.url);
    const created = await u.api.post("/api/api-keys", {
      name: "ci",
      description: "for the pipeline",
      permissions: ["IDENTITY", "READ_GRAPH", "EXECUTE_GRAPH"],
    });
    expect(created.status).toBe(200);
    const plain: string = created.body.plain_text_key;
    expect(plain).toMatch(/^agpt_[A-Za-z0-9_-]{43}$/);
    expect(created.body.api_key).toMatchObject({
      name: "ci",
      description: "for the pipeline",
      status: "ACTIVE",
      type: "api_key",
      user_id: u.user.id,
      head: plain.slice(0, 8),
      tail: plain.slice(-8),
      scopes: ["IDENTITY", "READ_GRAPH", "EXECUTE_GRAPH"],
      revoked_at: null,
    });

    const list = await u.api.get("/api/api-keys");
    expect(list.body).toHaveLength(1);
    expect(JSON.stringify(list.body)).not.toContain(plain);
    const one = await u.api.get(`/api/api-keys/${created.body.api_key.id}`);
    expect(one.body.id).toBe(created.body.api_key.id);
    expect(JSON.stringify(one.body)).not.toContain(plain);

    const [row] = await t.server.platform.database.db.select().from(apiKeys).where(eq(apiKeys.id, one.body.id));
    expect(JSON.stringify(row)).not.toContain(plain);
    expect(row?.hash).toMatch(/^[0-9a-f]{64}$/);
  });

  it("authenticates with X-API-Key, and a revoked, suspended or unknown key gets 401", async () => {
    const u = await signUp(t.url);
    const k = await createKey(t.url, u.api, ["IDENTITY"]);
    const me = await k.api.get("/api/auth/user");
    expect(me.status).toBe(200);
    expect(me.body.id).toBe(u.user.id);

    const unknown = await client(t.url, { "x-api-key": `agpt_${"x".repeat(43)}` }).get("/api/auth/user");
    expect(unknown.status).toBe(401);
    expect(unknown.body.error.code).toBe("UNAUTHORIZED");
    const malformed = await client(t.url, { "x-api-key": "nope" }).get("/api/auth/user");
    expect(malformed.status).toBe(401);

    const revoked = await u.api.delete(`/api/api-keys/${k.info.id}`);
    expect(revoked.body).toMatchObject({ status: "REVOKED", revoked_at: expect.any(String) });
    expect((await k.api.get("/api/auth/user")).status).toBe(401);

    const k2 = await createKey(t.url, u.api, ["IDENTITY"]);
    expect((await k2.api.get("/api/auth/user")).status).toBe(200);
    const suspended = await u.api.post(`/api/api-keys/${k2.info.id}/suspend`);
    expect(suspended.body.status).toBe("SUSPENDED");
    expect((await k2.api.get("/api/auth/user")).status).toBe(401);
    expect((await u.api.post(`/api/api-keys/${k.info.id}/suspend`)).status).toBe(409);
  });

  it("checks scopes: a key without IDENTITY gets 403 naming the missing scope until re-scoped", async () => {
    const u = await signUp(t.url);
    const k = await createKey(t.url, u.api, ["READ_GRAPH"]);
    const denied = await k.api.get("/api/auth/user");
    expect(denied.status).toBe(403);
    expect(denied.body.error).toMatchObject({ code: "FORBIDDEN", details: { missing_scopes: ["IDENTITY"] } });
    expect(denied.body.error.message).toContain("IDENTITY");

    const updated = await u.api.put(`/api/api-keys/${k.info.id}/permissions`, {
      permissions: ["READ_GRAPH", "IDENTITY"],
    });
    expect(updated.body.scopes).toEqual(["READ_GRAPH", "IDENTITY"]);
    expect((await k.api.get("/api/auth/user")).status).toBe(200);
  });

  it("keeps keys private to their owner and out of reach of API keys themselves", async () => {
    const alice = await signUp(t.url);
    const bob = await signUp(t.url);
    const k = await createKey(t.url, alice.api, ["IDENTITY"]);
    expect((await bob.api.get(`/api/api-keys/${k.info.id}`)).status).toBe(404);
    expect((await bob.api.delete(`/api/api-keys/${k.info.id}`)).status).toBe(404);
    expect((await bob.api.get("/api/api-keys")).body).toEqual([]);
    const viaKey = await k.api.post("/api/api-keys", { name: "escalate", permissions: ["IDENTITY"] });
    expect(viaKey.status).toBe(403);
    expect((await k.api.get("/api/auth/user")).status).toBe(200);
  });

  it("rejects unknown scopes and missing names with 422 naming the field", async () => {
    const u = await signUp(t.url);
    const bad = await u.api.post("/api/api-keys", { name: "x", permissions: ["READ_EVERYTHING"] });
    expect(bad.status).toBe(422);
    expect(bad.body.error.details.errors.map((e: { field: string }) => e.field)).toContain("body.permissions.0");
    const noName = await u.api.post("/api/api-keys", { permissions: [] });
    expect(noName.status).toBe(422);
    expect(noName.body.error.details.errors[0].field).toBe("body.name");
  });
});

describe("API key descriptions", () => {
  let t: TestServer;
  beforeAll(async () => {
    t = await startTestServer();
  });
  afterAll(() => t?.close());

  it("keeps a null description null (no coercion to an empty string)", async () => {
    const u = await signUp(t.url);
    const res = await u.api.post("/api/api-keys", { name: "n", permissions: ["IDENTITY"], description: null });
    expect(res.status).toBe(200);
    expect(res.body.api_key.description).toBeNull();
  });
});
