// The OpenAPI document is valid OpenAPI 3.1, lists the routes, and the reference page is served.
import SwaggerParser from "@apidevtools/swagger-parser";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { client } from "./helpers/client.js";
import { startTestServer, type TestServer } from "./helpers/server.js";

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
  });

  it("serves the interactive reference page at /docs", async () => {
    const res = await fetch(`${t.url}/docs/`);
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toContain("text/html");
    expect(await res.text()).toContain("swagger");
  });

  it("answers /health and /ready", async () => {
    expect((await client(t.url).get("/health")).body).toEqual({ status: "healthy" });
    expect((await client(t.url).get("/ready")).body).toEqual({ status: "ready", database: "pglite" });
  });
});
