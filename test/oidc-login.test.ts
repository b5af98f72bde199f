// Signing in through an external OpenID Connect provider: a real provider (oidc-provider) on loopback, real redirects.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { client, signUp } from "./helpers/client.js";
import { browseUntil, startOidcProvider, type TestOidcProvider } from "./helpers/oidc-provider.js";
import { startTestServer, type TestServer } from "./helpers/server.js";

describe("login with an external OpenID Connect provider", () => {
  let idp: TestOidcProvider;
  let t: TestServer;
  let callback: string;

  beforeAll(async () => {
    idp = await startOidcProvider();
    t = await startTestServer({
      oidcProviders: [{ name: "test", issuer: idp.issuer, clientId: idp.clientId, clientSecret: idp.clientSecret }],
    });
    callback = `${t.url}/api/oauth/test/callback`;
    await idp.start(callback);
  });
  afterAll(async () => {
    await t?.close();
    await idp?.close();
  });

  /** Starts a login at Agentry, walks it through the provider, and answers Agentry's reply to the callback. */
  async function login(query = "") {
    const start = await fetch(`${t.url}/api/oauth/test/login${query}`, { redirect: "manual" });
    expect(start.status).toBe(302);
    const authorize = new URL(start.headers.get("location") as string);
    expect(authorize.origin).toBe(idp.issuer);
    expect(authorize.searchParams.get("code_challenge_method")).toBe("S256");
    expect(authorize.searchParams.get("nonce")).toBeTruthy();
    expect(authorize.searchParams.get("redirect_uri")).toBe(callback);
    const back = await browseUntil(authorize.href, callback);
    const res = await fetch(back, { redirect: "manual" });
    const text = await res.text();
    return { res, back, body: text ? JSON.parse(text) : undefined };
  }

  it("creates the user on first sign-in, answers session tokens, and finds the same user the second time", async () => {
    idp.signInAs({ sub: "alice-1", email: "Alice@Example.com", email_verified: true, name: "Alice" });
    const first = await login();
    expect(first.res.status).toBe(200);
    expect(first.body).toMatchObject({ token_type: "bearer", refresh_token: expect.stringMatching(/^agpt_rs_/) });
    expect(first.body.user).toMatchObject({ email: "alice@example.com", name: "Alice", email_verified: true });
    const me = await client(t.url, { authorization: `Bearer ${first.body.access_token}` }).get("/api/auth/user");
    expect(me.status).toBe(200);
    expect(me.body).toMatchObject({ id: first.body.user.id, email: "alice@example.com" });

    const second = await login();
    expect(second.res.status).toBe(200);
    expect(second.body.user.id).toBe(first.body.user.id);
    expect(second.body.access_token).not.toBe(first.body.access_token);
    // The session is an ordinary one: its refresh token rotates through /api/auth/refresh.
    const refreshed = await client(t.url).post("/api/auth/refresh", { refresh_token: second.body.refresh_token });
    expect(refreshed.status).toBe(200);

    // The login's state is used up: the same callback URL cannot be replayed.
    const replay = await fetch(second.back, { redirect: "manual" });
    expect(replay.status).toBe(401);
    expect((await replay.json()).error.code).toBe("UNAUTHORIZED");
  });

  it("links an existing account when the provider vouches for the email, and refuses when it does not", async () => {
    const bob = await signUp(t.url, "bob@example.com");
    idp.signInAs({ sub: "bob-1", email: "bob@example.com", email_verified: true });
    const linked = await login();
    expect(linked.res.status).toBe(200);
    expect(linked.body.user.id).toBe(bob.user.id);

    await signUp(t.url, "carol@example.com");
    idp.signInAs({ sub: "mallory-1", email: "carol@example.com", email_verified: false });
    const refused = await login();
    expect(refused.res.status).toBe(401);
    expect(refused.body.error).toMatchObject({ code: "UNAUTHORIZED", details: { error: "email_not_verified" } });

    // An email a user gave their account themselves (unverified) is not linked, even when the provider vouches.
    const mallory = await signUp(t.url, "mallory@example.com");
    expect((await mallory.api.post("/api/auth/user/email", JSON.stringify("frank@example.com"))).status).toBe(200);
    idp.signInAs({ sub: "frank-1", email: "frank@example.com", email_verified: true });
    const notLinked = await login();
    expect(notLinked.res.status).toBe(401);
    expect(notLinked.body.error).toMatchObject({ details: { error: "email_not_verified" } });

    // An unverified email that nobody holds yet makes a new account, marked unverified.
    idp.signInAs({ sub: "dave-1", email: "dave@example.com", email_verified: false });
    const created = await login();
    expect(created.res.status).toBe(200);
    expect(created.body.user).toMatchObject({ email: "dave@example.com", email_verified: false });
  });

  it("returns to redirect_to with the tokens in the URL fragment, and accepts only paths on this server", async () => {
    idp.signInAs({ sub: "erin-1", email: "erin@example.com", email_verified: true });
    const { res } = await login(`?redirect_to=${encodeURIComponent("/app/home?tab=1")}`);
    expect(res.status).toBe(302);
    const location = new URL(res.headers.get("location") as string);
    expect(location.origin + location.pathname + location.search).toBe(`${t.url}/app/home?tab=1`);
    const fragment = new URLSearchParams(location.hash.slice(1));
    expect(fragment.get("refresh_token")).toMatch(/^agpt_rs_/);
    const me = await client(t.url, { authorization: `Bearer ${fragment.get("access_token")}` }).get("/api/auth/user");
    expect(me.body.email).toBe("erin@example.com");

    for (const bad of ["//evil.example/x", "https://evil.example/", "javascript:alert(1)", "/\\evil.example"]) {
      const r = await fetch(`${t.url}/api/oauth/test/login?redirect_to=${encodeURIComponent(bad)}`, {
        redirect: "manual",
      });
      expect(r.status, bad).toBe(422);
    }
  });

  it("answers 404 for a provider that is not configured", async () => {
    for (const path of ["/api/oauth/nope/login", "/api/oauth/nope/callback?code=x&state=y"]) {
      const res = await client(t.url).get(path);
      expect(res.status).toBe(404);
      expect(res.body.error).toMatchObject({ code: "NOT_FOUND" });
    }
  });
});
