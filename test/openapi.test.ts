// The OpenAPI document is valid OpenAPI 3.1, lists the routes, and the reference page is served.
import SwaggerParser from "@apidevtools/swagger-parser";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { client } from "./helpers/client.js";
import { startTestServer, type TestServer } from "./helpers/server.js";

describe("route schemas", () => {
  it("all compile: a server that compiles them at start (as Fastify does by default) starts and answers", async () => {
    // Routes compile their schemas on first use in normal starts; this makes a broken one fail here instead of as a
    // 500 on some route's first request.
    const eager = await startTestServer({}, { eagerSchemas: true });
    try {
      const res = await client(eager.url).get("/api/blocks");
      expect(res.status).toBe(401);
      expect(res.body.error.code).toBe("UNAUTHORIZED");
    } finally {
      await eager.close();
    }
  }, 60_000);
});

describe("OpenAPI and docs", () => {
  let t: TestServer;
  beforeAll(async () => {
    t = await startTestServer();
  });
  afterAll(() => t?.close());

  it("serves a valid OpenAPI 3.1 document generated from the routes", async () => {
    const res = await client(t.url).get("/openapi.json");
    expect(res.status).toBe(200);
    expect(res.body.openapi).toBe("3.1.0");
    const doc = structuredClone(res.body);
    await expect(SwaggerParser.validate(doc)).resolves.toBeTruthy();
    const paths = Object.keys(res.body.paths);
    for (const p of [
      "/api/auth/signup",
      "/api/auth/login",
      "/api/auth/refresh",
      "/api/auth/logout",
      "/api/auth/user",
      "/api/api-keys",
      "/api/api-keys/{id}",
      "/health",
      "/ready",
    ]) {
      expect(paths).toContain(p);
    }
    expect(res.body.components.securitySchemes.apiKey).toMatchObject({ type: "apiKey", name: "X-API-Key" });
    expect(res.body.paths["/api/auth/signup"].post.responses["409"]).toBeDefined();
    // AutoGPT's builder routes, with its methods (search both ways: GET in v0.6.44, POST in October 2025).
    for (const p of ["blocks", "blocks/batch", "categories", "counts", "providers", "search", "suggestions"]) {
      expect(res.body.paths[`/api/builder/${p}`]).toHaveProperty("get");
    }
    expect(res.body.paths["/api/builder/search"]).toHaveProperty("post");
    // Errors document FastAPI's detail beside the envelope.
    expect(res.body.components.schemas.ErrorEnvelope.properties).toHaveProperty("detail");
  });

  it("serves the interactive reference page at /docs", async () => {
    const res = await fetch(`${t.url}/docs/`);
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toContain("text/html");
    expect(await res.text()).toContain("swagger");
  });

  /**
   * What a browser would do with a reference page under its CSP: every script and stylesheet it references is
   * same-origin and loads, and inline scripts appear only where the page's CSP allows them.
   */
  async function loadsUnderItsCsp(pagePath: string) {
    const res = await fetch(`${t.url}${pagePath}`);
    expect(res.status).toBe(200);
    const csp = res.headers.get("content-security-policy") ?? "";
    const directive = (name: string) =>
      (
        csp
          .split(";")
          .map((d) => d.trim().split(/\s+/))
          .find(([n]) => n === name) ?? []
      ).slice(1);
    const scriptSrc = directive("script-src");
    expect(scriptSrc).toContain("'self'");
    expect(directive("default-src")).toEqual(["'self'"]);
    expect(directive("object-src")).toEqual(["'none'"]);
    const html = await res.text();
    const inline = [...html.matchAll(/<script(?![^>]*\bsrc=)[^>]*>([\s\S]*?)<\/script>/g)].filter((m) => m[1]?.trim());
    if (inline.length > 0) expect(scriptSrc).toContain("'unsafe-inline'");
    const base = new URL(res.url);
    const assets = [...html.matchAll(/<(?:script[^>]*\bsrc|link[^>]*\bhref)="([^"]+)"/g)].map(
      (m) => new URL(m[1] as string, base),
    );
    expect(assets.length).toBeGreaterThan(1);
    for (const asset of assets) {
      expect(asset.origin).toBe(base.origin);
      expect((await fetch(asset)).status, asset.pathname).toBe(200);
    }
    return { csp, scriptSrc, inline: inline.length };
  }

  it("serves /docs and the External API reference pages under a CSP they work with", async () => {
    const docs = await loadsUnderItsCsp("/docs/");
    expect(docs.scriptSrc).not.toContain("'unsafe-inline'");
    // The initializer fetches the document from /docs/json: same origin, so connect-src 'self' (default-src) allows it.
    const spec = await fetch(`${t.url}/docs/json`);
    expect((await spec.json()).openapi).toBe("3.1.0");
    for (const path of ["/external-api/docs", "/external-api/v1/docs", "/external-api/v2/docs"]) {
      expect((await loadsUnderItsCsp(path)).inline).toBe(1);
    }
  });

  it("adds the usual hardening headers to API answers, without inline script", async () => {
    const res = await fetch(`${t.url}/api/blocks`);
    expect(res.headers.get("x-content-type-options")).toBe("nosniff");
    expect(res.headers.get("x-frame-options")).toBe("SAMEORIGIN");
    expect(res.headers.get("referrer-policy")).toBe("no-referrer");
    expect(res.headers.get("cross-origin-opener-policy")).toBe("same-origin");
    const csp = res.headers.get("content-security-policy") ?? "";
    expect(csp).toContain("frame-ancestors 'self'");
    expect(csp).not.toMatch(/script-src[^;]*unsafe-inline/);
    // Plain HTTP here: no HSTS and no upgrade of asset URLs to an https:// that does not exist.
    expect(res.headers.get("strict-transport-security")).toBeNull();
    expect(csp).not.toContain("upgrade-insecure-requests");
  });

  it("answers /health and /ready", async () => {
    expect((await client(t.url).get("/health")).body).toEqual({ status: "healthy" });
    expect((await client(t.url).get("/ready")).body).toEqual({ status: "ready", database: "pglite" });
  });
});
