// The error envelope for every code and every way a request can be wrong: never a 500 for bad input, never internals.
import { Type } from "@sinclair/typebox";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { requireAdmin, requireScope, requireUser } from "../src/api/auth-hooks.js";
import { client, createKey, signUp } from "./helpers/client.js";
import { startTestServer, type TestServer } from "./helpers/server.js";

const envelope = (code: string) => ({
  error: { code, message: expect.any(String), details: expect.any(Object) },
  detail: expect.anything(),
});

describe("error envelope", () => {
  let t: TestServer;
  beforeAll(async () => {
    t = await startTestServer(
      { bodyLimit: 4096 },
      {
        plugins: [
          (app) => {
            app.get("/test/boom", async () => {
              throw new Error("connection to db-internal.example:5432 lost at /srv/agentry/secret.ts:42");
            });
            app.get(
              "/test/scoped",
              { preHandler: [requireUser, requireScope("READ_GRAPH", "RUN_AGENT")] },
              async () => ({
                ok: true,
              }),
            );
            app.get("/test/admin", { preHandler: [requireUser, requireAdmin] }, async () => ({ ok: true }));
            app.post(
              "/test/typed",
              {
                schema: {
                  body: Type.Object(
                    {
                      count: Type.Integer(),
                      tags: Type.Array(Type.String()),
                      nested: Type.Object({ flag: Type.Boolean() }),
                    },
                    { additionalProperties: false },
                  ),
                },
              },
              async (request) => request.body,
            );
            // Silent on other fields, as a pydantic model with its default config: they are ignored.
            app.post(
              "/test/loose",
              {
                schema: {
                  body: Type.Object({
                    name: Type.String(),
                    nested: Type.Optional(Type.Object({ flag: Type.Boolean() })),
                    items: Type.Optional(Type.Array(Type.Object({ id: Type.String() }))),
                    free: Type.Optional(Type.Record(Type.String(), Type.Unknown())),
                    open: Type.Optional(Type.Object({ a: Type.Integer() }, { additionalProperties: true })),
                  }),
                },
              },
              async (request) => request.body,
            );
          },
        ],
      },
    );
  });
  afterAll(() => t?.close());

  it("401 UNAUTHORIZED without credentials", async () => {
    const res = await client(t.url).get("/api/auth/user");
    expect(res.status).toBe(401);
    expect(res.body).toEqual(envelope("UNAUTHORIZED"));
  });

  it("403 FORBIDDEN for a non-admin on an admin route, and for missing scopes", async () => {
    const admin = await signUp(t.url, "admin-errors@example.com", { setup_token: t.server.platform.auth.setupToken });
    expect(admin.user.role).toBe("admin");
    const user = await signUp(t.url);
    expect((await admin.api.get("/test/admin")).status).toBe(200);
    const res = await user.api.get("/test/admin");
    expect(res.status).toBe(403);
    expect(res.body).toEqual(envelope("FORBIDDEN"));
    const adminList = await user.api.get("/api/admin/users");
    expect(adminList.status).toBe(403);
    const ok = await admin.api.get("/api/admin/users?page=1&page_size=1");
    expect(ok.status).toBe(200);
    expect(ok.body.pagination).toMatchObject({ current_page: 1, page_size: 1, total_items: expect.any(Number) });

    const key = await createKey(t.url, user.api, ["READ_GRAPH"]);
    const scoped = await key.api.get("/test/scoped");
    expect(scoped.status).toBe(403);
    expect(scoped.body.error.details.missing_scopes).toEqual(["RUN_AGENT"]);
    expect((await user.api.get("/test/scoped")).status).toBe(200);
  });

  it("admins can promote a user, who then reaches admin routes", async () => {
    const admin = await signUp(t.url, "admin2-errors@example.com").catch(() => undefined);
    const root = admin ?? (await signUp(t.url));
    const login = await client(t.url).post("/api/auth/login", {
      email: "admin-errors@example.com",
      password: "correct horse battery",
    });
    const adminApi = client(t.url, { authorization: `Bearer ${login.body.access_token}` });
    const bob = await signUp(t.url);
    expect((await bob.api.get("/api/admin/users")).status).toBe(403);
    const promoted = await adminApi.put(`/api/admin/users/${bob.user.id}/role`, { role: "admin" });
    expect(promoted.body.role).toBe("admin");
    expect((await bob.api.get("/api/admin/users")).status).toBe(200);
    expect((await adminApi.put("/api/admin/users/nobody/role", { role: "admin" })).status).toBe(404);
    expect(root).toBeDefined();
  });

  it("404 NOT_FOUND for unknown routes and unknown resources", async () => {
    const res = await client(t.url).get("/api/does-not-exist");
    expect(res.status).toBe(404);
    expect(res.body).toEqual(envelope("NOT_FOUND"));
    const post = await client(t.url).post("/nowhere", { a: 1 });
    expect(post.status).toBe(404);
    const user = await signUp(t.url);
    const key = await user.api.get("/api/api-keys/00000000-0000-0000-0000-000000000000");
    expect(key.status).toBe(404);
    expect(key.body).toEqual(envelope("NOT_FOUND"));
  });

  it("422 VALIDATION_ERROR lists each failing field, including unknown fields and wrong types", async () => {
    const res = await client(t.url).post("/test/typed", { count: "many", tags: [1, {}], nested: {}, extra: true });
    expect(res.status).toBe(422);
    expect(res.body).toEqual(envelope("VALIDATION_ERROR"));
    const fields = res.body.error.details.errors.map((e: { field: string }) => e.field);
    expect(fields).toEqual(expect.arrayContaining(["body.count", "body.tags.1", "body.nested.flag", "body.extra"]));
    const query = await (await signUp(t.url, "q-admin@example.com").catch(() => signUp(t.url))).api.get(
      "/api/admin/users?page=zero",
    );
    expect([403, 422]).toContain(query.status);
  });

  it("carries FastAPI's detail: the message, or the field errors of a 422 as {loc, msg, type}", async () => {
    const unauthorized = await client(t.url).get("/api/auth/user");
    expect(unauthorized.body.detail).toBe(unauthorized.body.error.message);
    const missing = await client(t.url).get("/api/nowhere");
    expect(missing.body.detail).toBe("Route GET /api/nowhere not found");

    const res = await client(t.url).post("/test/typed", { count: "many", tags: [{}], extra: true });
    expect(res.status).toBe(422);
    expect(res.body.detail).toEqual(
      expect.arrayContaining([
        { loc: ["body", "count"], msg: expect.any(String), type: "int_type" },
        { loc: ["body", "tags", 0], msg: expect.any(String), type: "string_type" },
        { loc: ["body", "nested"], msg: expect.any(String), type: "missing" },
        { loc: ["body", "extra"], msg: "unknown field", type: "extra_forbidden" },
      ]),
    );
    expect(res.body.detail).toHaveLength(res.body.error.details.errors.length);

    const user = await signUp(t.url);
    // A value outside a union of literals is one issue naming the allowed values, not one per literal.
    const scope = await user.api.post("/api/api-keys", { name: "k", permissions: ["READ_BLOCK", "NOPE"] });
    expect(scope.status).toBe(422);
    expect(scope.body.detail).toEqual([
      { loc: ["body", "permissions", 1], msg: expect.stringContaining('"READ_BLOCK"'), type: "literal_error" },
    ]);
    const query = await user.api.get("/api/executions?page=zero");
    expect(query.status).toBe(422);
    expect(query.body.detail[0]).toMatchObject({ loc: ["query", "page"], type: "int_type" });
    // A validation error raised by a service (not the schema) lists its fields the same way.
    const graph = await user.api.post("/api/graphs", {
      graph: { name: "g", nodes: [{ id: "n1", block_id: "00000000-0000-4000-8000-000000000000" }], links: [] },
    });
    expect(graph.status).toBe(422);
    expect(graph.body.detail[0]).toMatchObject({
      loc: expect.any(Array),
      msg: expect.any(String),
      type: expect.any(String),
    });
  });

  it("ignores unknown fields where the schema is silent on them, and keeps free-form maps whole", async () => {
    const res = await client(t.url).post("/test/loose", {
      name: "n",
      role: "admin",
      nested: { flag: true, sneaky: 1 },
      items: [{ id: "a", x: 1 }],
      free: { anything: 1 },
      open: { a: 1, b: 2 },
    });
    expect(res.status).toBe(200);
    expect(res.body).toEqual({
      name: "n",
      nested: { flag: true },
      items: [{ id: "a" }],
      free: { anything: 1 },
      open: { a: 1, b: 2 },
    });
    // The OpenAPI document shows the schema as written (no marker keyword).
    const doc = JSON.stringify((await client(t.url).get("/openapi.json")).body);
    expect(doc).not.toContain("x-known-fields");
  });

  it("400 for malformed JSON, 413 for a body over the limit, 415 for an unsupported content type", async () => {
    const anon = client(t.url);
    const bad = await anon.request("POST", "/api/auth/login", '{"email": "a@b.c", ', {
      "content-type": "application/json",
    });
    expect(bad.status).toBe(400);
    expect(bad.body).toEqual(envelope("BAD_REQUEST"));
    const big = await anon.post("/api/auth/login", { email: "a@b.co", password: "x".repeat(10_000) });
    expect(big.status).toBe(413);
    expect(big.body).toEqual(envelope("PAYLOAD_TOO_LARGE"));
    const xml = await anon.request("POST", "/api/auth/login", "<login/>", { "content-type": "application/xml" });
    expect(xml.status).toBe(415);
    expect(xml.body).toEqual(envelope("UNSUPPORTED_MEDIA_TYPE"));
    const proto = await anon.request("POST", "/test/typed", '{"__proto__": {"x": 1}, "count": 1}', {
      "content-type": "application/json",
    });
    expect(proto.status).toBe(400);
  });

  it("500 INTERNAL_ERROR without internals in the response", async () => {
    const res = await client(t.url).get("/test/boom");
    expect(res.status).toBe(500);
    expect(res.body).toEqual({
      error: { code: "INTERNAL_ERROR", message: "Internal server error", details: {} },
      detail: "Internal server error",
    });
    expect(JSON.stringify(res.body)).not.toContain("db-internal");
    expect(res.headers.get("x-request-id")).toBeTruthy();
  });
});

describe("rate limits", () => {
  let t: TestServer;
  beforeAll(async () => {
    t = await startTestServer({ rateLimit: { enabled: true, perUserPerMinute: 600, perKeyPerMinute: 60, burst: 3 } });
  });
  afterAll(() => t?.close());

  it("429 RATE_LIMITED with Retry-After once the burst is spent, per API key", async () => {
    const anonymous = client(t.url);
    const u = await signUp(t.url);
    const k = await createKey(t.url, u.api, ["IDENTITY"]);
    const statuses: number[] = [];
    let last: Awaited<ReturnType<typeof k.api.get>> | undefined;
    for (let i = 0; i < 4; i++) {
      last = await k.api.get("/api/auth/user");
      statuses.push(last.status);
    }
    expect(statuses).toEqual([200, 200, 200, 429]);
    expect(last?.body).toEqual(envelope("RATE_LIMITED"));
    expect(Number(last?.headers.get("retry-after"))).toBeGreaterThanOrEqual(1);
    expect(last?.headers.get("ratelimit-limit")).toBe("60");
    // Health stays reachable; another key has its own budget.
    expect((await anonymous.get("/health")).status).toBe(200);
    const k2 = await createKey(t.url, u.api, ["IDENTITY"]);
    expect((await k2.api.get("/api/auth/user")).status).toBe(200);
  });
});
