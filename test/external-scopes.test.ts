// The scope matrix, generated from the routes the server really registered: every External API route refuses a key
// that lacks its scope (403 naming it) and a caller without credentials (401), and is in its version's OpenAPI document.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { externalRoutes } from "../src/api/external/common.js";
import { ALL_SCOPES, LEGACY_SCOPES } from "../src/auth/scopes.js";
import { client, createKey, signUp } from "./helpers/client.js";
import { startTestServer, type TestServer } from "./helpers/server.js";

const DUMMY = "00000000-0000-4000-8000-000000000000";

/** A concrete URL for a route pattern: every parameter gets a placeholder value. */
const concrete = (url: string) =>
  url.replace(/:[A-Za-z_]+/g, (p) => (/version/.test(p) ? "1" : DUMMY)).replace(/\*$/, "x");

/** The OpenAPI path of a Fastify route pattern, relative to its version prefix. */
const openApiPath = (url: string, prefix: string) => url.slice(prefix.length).replace(/:([A-Za-z_]+)/g, "{$1}");

describe("External API scope matrix", () => {
  let t: TestServer;
  let session: Awaited<ReturnType<typeof signUp>>;
  beforeAll(async () => {
    t = await startTestServer();
    session = await signUp(t.url);
  });
  afterAll(() => t?.close());

  it("registers routes for both versions, v2 with core scopes only", () => {
    const v1 = externalRoutes.filter((r) => r.url.startsWith("/external-api/v1/"));
    const v2 = externalRoutes.filter((r) => r.url.startsWith("/external-api/v2/"));
    expect(v1.length).toBeGreaterThanOrEqual(10);
    expect(v2.length).toBeGreaterThanOrEqual(20);
    for (const route of [...v1, ...v2]) expect(route.scopes.length, `${route.method} ${route.url}`).toBeGreaterThan(0);
    const legacy = new Set<string>(LEGACY_SCOPES);
    for (const route of v2) {
      expect(
        route.scopes.filter((s) => legacy.has(s)),
        `${route.method} ${route.url}`,
      ).toEqual([]);
    }
  });

  it("every route answers 403 naming the missing scope to a key without it, and 401 without credentials", async () => {
    const keys = new Map<string, string>();
    const failures: string[] = [];
    for (const route of externalRoutes) {
      const lacking = route.scopes.join(",");
      let key = keys.get(lacking);
      if (!key) {
        const others = ALL_SCOPES.filter((s) => !route.scopes.includes(s));
        key = (await createKey(t.url, session.api, others)).key;
        keys.set(lacking, key);
      }
      const url = concrete(route.url);
      const body = ["POST", "PUT", "PATCH"].includes(route.method) ? {} : undefined;
      const denied = await client(t.url, { "x-api-key": key }).request(route.method, url, body);
      const message: string = denied.body?.error?.message ?? "";
      if (denied.status !== 403 || !route.scopes.every((s) => message.includes(s))) {
        failures.push(`${route.method} ${route.url}: ${denied.status} ${JSON.stringify(denied.body)}`);
      }
      const anonymous = await client(t.url).request(route.method, url, body);
      if (anonymous.status !== 401)
        failures.push(`${route.method} ${route.url} without credentials: ${anonymous.status}`);
    }
    expect(failures).toEqual([]);
  });

  it("documents every route in its version's OpenAPI document with its scopes", async () => {
    for (const prefix of ["/external-api/v1", "/external-api/v2"]) {
      const doc = (await client(t.url).get(`${prefix}/openapi.json`)).body;
      expect(doc.servers).toEqual([{ url: prefix }]);
      for (const route of externalRoutes.filter((r) => r.url.startsWith(`${prefix}/`))) {
        const operation = doc.paths[openApiPath(route.url, prefix)]?.[route.method.toLowerCase()];
        expect(operation, `${route.method} ${route.url}`).toBeDefined();
        expect(operation.security).toContainEqual({ apiKey: route.scopes });
      }
      const page = await fetch(`${t.url}${prefix}/docs`);
      expect(page.status).toBe(200);
      expect(await page.text()).toContain(`${prefix}/openapi.json`);
    }
  });
});
