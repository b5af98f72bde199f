// Accounts through real HTTP: signup, login, refresh rotation, logout, the user route, external IdP tokens.
import http from "node:http";
import type { AddressInfo } from "node:net";
import { exportJWK, generateKeyPair, SignJWT } from "jose";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { client, signUp } from "./helpers/client.js";
import { startTestServer, type TestServer } from "./helpers/server.js";

describe("accounts", () => {
  let t: TestServer;
  let jwks: http.Server;
  let jwksUrl: string;
  let privateKey: CryptoKey;

  beforeAll(async () => {
    const pair = await generateKeyPair("RS256");
    privateKey = pair.privateKey as CryptoKey;
    const jwk = { ...(await exportJWK(pair.publicKey)), kid: "k1", alg: "RS256", use: "sig" };
    jwks = http.createServer((_req, res) => {
      res.setHeader("content-type", "application/json");
      res.end(JSON.stringify({ keys: [jwk] }));
    });
    await new Promise<void>((resolve) => jwks.listen(0, "127.0.0.1", resolve));
    jwksUrl = `http://127.0.0.1:${(jwks.address() as AddressInfo).port}/.well-known/jwks.json`;
    t = await startTestServer({
      auth: { externalJwtSecret: "supabase-shared-secret-for-tests-0123456789", externalJwksUrl: jwksUrl },
    });
  });
  afterAll(async () => {
    await t?.close();
    jwks?.close();
  });

  it("signs up; the operator's setup token makes the first admin, later signups are users", async () => {
    const first = await signUp(t.url, "first@example.com", { setup_token: t.server.platform.auth.setupToken });
    expect(first.user).toMatchObject({ email: "first@example.com", role: "admin" });
    expect(first.tokens.token_type).toBe("bearer");
    expect(first.tokens.refresh_token).toMatch(/^agpt_rs_/);
    const second = await signUp(t.url, "second@example.com");
    expect(second.user.role).toBe("user");
    const me = await second.api.get("/api/auth/user");
    expect(me.status).toBe(200);
    expect(me.body).toMatchObject({ id: second.user.id, email: "second@example.com", role: "user" });
  });

  it("refuses a second signup with the same email (any case) with 409", async () => {
    await signUp(t.url, "dup@example.com");
    const res = await client(t.url).post("/api/auth/signup", {
      email: "DUP@example.com",
      password: "another password",
    });
    expect(res.status).toBe(409);
    expect(res.body.error.code).toBe("CONFLICT");
  });

  it("logs in with the right password only", async () => {
    await signUp(t.url, "login@example.com");
    const anon = client(t.url);
    const ok = await anon.post("/api/auth/login", { email: "login@example.com", password: "correct horse battery" });
    expect(ok.status).toBe(200);
    expect(ok.body.user.email).toBe("login@example.com");
    const me = await client(t.url, { authorization: `Bearer ${ok.body.access_token}` }).get("/api/auth/user");
    expect(me.body.email).toBe("login@example.com");

    const wrong = await anon.post("/api/auth/login", { email: "login@example.com", password: "wrong password" });
    expect(wrong.status).toBe(401);
    expect(wrong.body.error.code).toBe("UNAUTHORIZED");
    const nobody = await anon.post("/api/auth/login", { email: "nobody@example.com", password: "whatever123" });
    expect(nobody.status).toBe(401);
    expect(nobody.body.error.message).toBe(wrong.body.error.message);
  });

  it("rotates refresh tokens: the new one works, a replayed old one fails and ends the session", async () => {
    const u = await signUp(t.url);
    const anon = client(t.url);
    const r1 = await anon.post("/api/auth/refresh", { refresh_token: u.tokens.refresh_token });
    expect(r1.status).toBe(200);
    expect(r1.body.refresh_token).not.toBe(u.tokens.refresh_token);
    const me = await client(t.url, { authorization: `Bearer ${r1.body.access_token}` }).get("/api/auth/user");
    expect(me.body.id).toBe(u.user.id);
    const r2 = await anon.post("/api/auth/refresh", { refresh_token: r1.body.refresh_token });
    expect(r2.status).toBe(200);
    const replay = await anon.post("/api/auth/refresh", { refresh_token: u.tokens.refresh_token });
    expect(replay.status).toBe(401);
    expect((await anon.post("/api/auth/refresh", { refresh_token: r2.body.refresh_token })).status).toBe(401);
  });

  it("logout ends the session: its access token and refresh token stop working", async () => {
    const u = await signUp(t.url);
    expect((await u.api.post("/api/auth/logout")).status).toBe(204);
    const me = await u.api.get("/api/auth/user");
    expect(me.status).toBe(401);
    expect(me.body.error.code).toBe("UNAUTHORIZED");
    const refresh = await client(t.url).post("/api/auth/refresh", { refresh_token: u.tokens.refresh_token });
    expect(refresh.status).toBe(401);
  });

  it("rejects missing, malformed, forged and expired tokens with 401", async () => {
    const anon = client(t.url);
    expect((await anon.get("/api/auth/user")).status).toBe(401);
    const garbage = await anon.get("/api/auth/user", { authorization: "Bearer not-a-jwt" });
    expect(garbage.status).toBe(401);
    const scheme = await anon.get("/api/auth/user", { authorization: "Basic abc" });
    expect(scheme.status).toBe(401);
    const forged = await new SignJWT({ sid: "x", email: "x@example.com" })
      .setProtectedHeader({ alg: "HS256" })
      .setIssuer("agentry")
      .setAudience("authenticated")
      .setSubject("someone")
      .setExpirationTime("1h")
      .sign(new TextEncoder().encode("not the server secret"));
    const res = await anon.get("/api/auth/user", { authorization: `Bearer ${forged}` });
    expect(res.status).toBe(401);
    expect(res.body).toEqual({
      error: { code: "UNAUTHORIZED", message: expect.any(String), details: {} },
      detail: res.body.error.message,
    });
  });

  it("accepts a Supabase-style HS256 token and creates the user on first sight", async () => {
    const token = await new SignJWT({ email: "supa@example.com", role: "authenticated" })
      .setProtectedHeader({ alg: "HS256" })
      .setSubject("5b1f0c6e-5f0e-4a43-9a5c-1c6c2d1e0a01")
      .setAudience("authenticated")
      .setExpirationTime("1h")
      .sign(new TextEncoder().encode("supabase-shared-secret-for-tests-0123456789"));
    const api = client(t.url, { authorization: `Bearer ${token}` });
    const me = await api.get("/api/auth/user");
    expect(me.status).toBe(200);
    expect(me.body).toMatchObject({ id: "5b1f0c6e-5f0e-4a43-9a5c-1c6c2d1e0a01", email: "supa@example.com" });
    expect((await api.get("/api/auth/user")).body.id).toBe(me.body.id);
  });

  it("accepts an RS256 token verified through the configured JWKS URL", async () => {
    const token = await new SignJWT({ email: "jwks@example.com" })
      .setProtectedHeader({ alg: "RS256", kid: "k1" })
      .setSubject("jwks-user-1")
      .setExpirationTime("1h")
      .sign(privateKey);
    const me = await client(t.url, { authorization: `Bearer ${token}` }).get("/api/auth/user");
    expect(me.status).toBe(200);
    expect(me.body).toMatchObject({ id: "jwks-user-1", email: "jwks@example.com" });
    const expired = await new SignJWT({ email: "jwks@example.com" })
      .setProtectedHeader({ alg: "RS256", kid: "k1" })
      .setSubject("jwks-user-1")
      .setExpirationTime(Math.floor(Date.now() / 1000) - 60)
      .sign(privateKey);
    expect((await client(t.url, { authorization: `Bearer ${expired}` }).get("/api/auth/user")).status).toBe(401);
  });

  it("never writes passwords, tokens or keys to the log", async () => {
    const u = await signUp(t.url, "logs@example.com");
    const key = await u.api.post("/api/api-keys", { name: "k", permissions: ["IDENTITY"] });
    await client(t.url, { "x-api-key": key.body.plain_text_key }).get("/api/auth/user");
    await client(t.url).get(`/api/auth/user?token=${u.tokens.access_token}`);
    const all = t.logs.join("\n");
    expect(all).toContain("/api/auth/user");
    for (const secret of [u.password, u.tokens.access_token, u.tokens.refresh_token, key.body.plain_text_key]) {
      expect(all).not.toContain(secret);
    }
  });
});
