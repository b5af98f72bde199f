// Agentry as an OAuth 2.0 provider, driven by a real client library (openid-client) acting as the third-party app.
import fs from "node:fs";
import { and, eq } from "drizzle-orm";
import * as oidc from "openid-client";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { sha256 } from "../src/auth/tokens.js";
import { loadConfig } from "../src/config.js";
import { oauthAccessTokens, oauthApplications, oauthAuthorizationCodes } from "../src/infra/db/schema.js";
import { createServer } from "../src/server.js";
import { budget, killChildren, run as runAgentry } from "./helpers/cli.js";
import { type Client, client, signUp } from "./helpers/client.js";
import { freshDataDir, startTestServer, type TestServer } from "./helpers/server.js";

const REDIRECT = "https://app.example/callback";
const OTHER_REDIRECT = "https://app.example/other";

interface RegisteredApp {
  id: string;
  clientId: string;
  secret: string;
}

/** The error a client library reports for an OAuth error answer. */
async function oauthFailure(promise: Promise<unknown>): Promise<{ error?: string; status?: number }> {
  try {
    await promise;
  } catch (err) {
    const e = err as { error?: string; status?: number; cause?: { error?: string; status?: number } };
    return { error: e.error ?? e.cause?.error, status: e.status ?? e.cause?.status };
  }
  throw new Error("expected the OAuth request to fail");
}

describe("OAuth 2.0 provider", () => {
  let t: TestServer;
  let admin: Awaited<ReturnType<typeof signUp>>;
  let app: RegisteredApp;

  beforeAll(async () => {
    t = await startTestServer();
    admin = await signUp(t.url, undefined, { setup_token: t.server.platform.auth.setupToken });
    app = await register(admin.api, {
      name: "Third-party app",
      scopes: ["IDENTITY", "READ_GRAPH", "READ_RUN"],
      redirect_uris: [REDIRECT, OTHER_REDIRECT],
    });
  });
  afterAll(() => t?.close());

  async function register(api: Client, body: Record<string, unknown>): Promise<RegisteredApp> {
    const res = await api.post("/api/admin/oauth/apps", body);
    if (res.status !== 201) throw new Error(`app registration failed: ${res.status} ${JSON.stringify(res.body)}`);
    return {
      id: res.body.application.id,
      clientId: res.body.application.client_id,
      secret: res.body.client_secret_plaintext,
    };
  }

  /** The third-party app's view: discovered from Agentry's RFC 8414 metadata. */
  function discover(a: RegisteredApp, auth?: oidc.ClientAuth) {
    return oidc.discovery(new URL(t.url), a.clientId, a.secret, auth, {
      algorithm: "oauth2",
      execute: [oidc.allowInsecureRequests],
    });
  }

  /** The whole front channel: the app builds the URL, the signed-in user sees the consent and approves. */
  async function authorize(
    config: oidc.Configuration,
    user: Client,
    { scope = "IDENTITY READ_GRAPH", redirectUri = REDIRECT } = {},
  ) {
    const verifier = oidc.randomPKCECodeVerifier();
    const state = oidc.randomState();
    const url = oidc.buildAuthorizationUrl(config, {
      redirect_uri: redirectUri,
      scope,
      state,
      code_challenge: await oidc.calculatePKCECodeChallenge(verifier),
      code_challenge_method: "S256",
    });
    const consent = await user.get(url.pathname + url.search);
    expect(consent.status).toBe(200);
    const answer = await user.post("/api/oauth/authorize", {
      ...Object.fromEntries(url.searchParams),
      approve: true,
    });
    expect(answer.status).toBe(200);
    return { consent: consent.body, redirectUrl: new URL(answer.body.redirect_url as string), verifier, state };
  }

  async function login(config: oidc.Configuration, user: Client, scope?: string) {
    const { redirectUrl, verifier, state } = await authorize(config, user, { scope });
    return oidc.authorizationCodeGrant(config, redirectUrl, { pkceCodeVerifier: verifier, expectedState: state });
  }

  const bearer = (token: string) => client(t.url, { authorization: `Bearer ${token}` });

  it("runs the authorization-code flow with PKCE end to end; the token acts within its scopes only", async () => {
    const meta = await client(t.url).get("/.well-known/oauth-authorization-server");
    expect(meta.body).toMatchObject({
      issuer: t.url,
      authorization_endpoint: `${t.url}/api/oauth/authorize`,
      token_endpoint: `${t.url}/api/oauth/token`,
      code_challenge_methods_supported: ["S256"],
      grant_types_supported: ["authorization_code", "refresh_token"],
      token_endpoint_auth_methods_supported: ["client_secret_basic", "client_secret_post"],
    });
    expect(meta.body.scopes_supported).toContain("IDENTITY");

    const config = await discover(app);
    const user = await signUp(t.url);
    const { consent, redirectUrl, verifier, state } = await authorize(config, user.api);
    expect(consent).toMatchObject({
      client_id: app.clientId,
      name: "Third-party app",
      scopes: ["IDENTITY", "READ_GRAPH"],
      redirect_uri: REDIRECT,
      state,
      user: { id: user.user.id },
    });
    expect(redirectUrl.origin + redirectUrl.pathname).toBe(REDIRECT);
    expect(redirectUrl.searchParams.get("state")).toBe(state);
    expect(redirectUrl.searchParams.get("iss")).toBe(t.url);

    const tokens = await oidc.authorizationCodeGrant(config, redirectUrl, {
      pkceCodeVerifier: verifier,
      expectedState: state,
    });
    expect(tokens.access_token).toMatch(/^agpt_xt_[A-Za-z0-9_-]{43}$/);
    expect(tokens.refresh_token).toMatch(/^agpt_rt_[A-Za-z0-9_-]{43}$/);
    expect(tokens.token_type).toBe("bearer");
    expect(tokens.expires_in).toBe(3600);
    expect(tokens.scope).toBe("IDENTITY READ_GRAPH");

    const me = await bearer(tokens.access_token).get("/api/auth/user");
    expect(me.status).toBe(200);
    expect(me.body).toMatchObject({ id: user.user.id, email: user.email });
    const runs = await bearer(tokens.access_token).get("/api/executions");
    expect(runs.status).toBe(403);
    expect(runs.body.error.details.missing_scopes).toEqual(["READ_RUN"]);
    const keys = await bearer(tokens.access_token).post("/api/api-keys", { name: "x", permissions: ["IDENTITY"] });
    expect(keys.status).toBe(403);

    // Tokens are stored as hashes only.
    const rows = await t.server.platform.database.db
      .select()
      .from(oauthAccessTokens)
      .where(eq(oauthAccessTokens.tokenHash, sha256(tokens.access_token)));
    expect(rows).toHaveLength(1);
    expect(JSON.stringify(rows)).not.toContain(tokens.access_token);

    const active = await oidc.tokenIntrospection(config, tokens.access_token);
    expect(active).toMatchObject({
      active: true,
      scope: "IDENTITY READ_GRAPH",
      client_id: app.clientId,
      sub: user.user.id,
      token_type: "access_token",
    });
    expect((await oidc.tokenIntrospection(config, tokens.refresh_token as string)).token_type).toBe("refresh_token");
    expect((await oidc.tokenIntrospection(config, "agpt_xt_unknown")).active).toBe(false);

    await oidc.tokenRevocation(config, tokens.access_token);
    expect((await bearer(tokens.access_token).get("/api/auth/user")).status).toBe(401);
    expect((await oidc.tokenIntrospection(config, tokens.access_token)).active).toBe(false);
    // Revoking an unknown token is not an error (RFC 7009 §2.2).
    await oidc.tokenRevocation(config, "agpt_xt_never-issued");

    // Nothing secret reached the logs.
    const logs = t.logs.join("\n");
    const code = redirectUrl.searchParams.get("code") as string;
    for (const secret of [tokens.access_token, tokens.refresh_token as string, code, app.secret]) {
      expect(logs).not.toContain(secret);
    }
  });

  it("rotates refresh tokens (client_secret_basic); a rotated one fails and ends its grant", async () => {
    const config = await discover(app, oidc.ClientSecretBasic(app.secret));
    const user = await signUp(t.url);
    const first = await login(config, user.api);
    const second = await oidc.refreshTokenGrant(config, first.refresh_token as string);
    expect(second.refresh_token).not.toBe(first.refresh_token);
    expect(second.scope).toBe("IDENTITY READ_GRAPH");
    expect((await bearer(second.access_token).get("/api/auth/user")).status).toBe(200);

    const narrowed = await oidc.refreshTokenGrant(config, second.refresh_token as string, { scope: "IDENTITY" });
    expect(narrowed.scope).toBe("IDENTITY");
    expect((await bearer(narrowed.access_token).get("/api/graphs")).status).toBe(403);
    const wider = await oauthFailure(
      oidc.refreshTokenGrant(config, narrowed.refresh_token as string, { scope: "IDENTITY READ_RUN" }),
    );
    expect(wider.error).toBe("invalid_scope");

    const reused = await oauthFailure(oidc.refreshTokenGrant(config, first.refresh_token as string));
    expect(reused).toEqual({ error: "invalid_grant", status: 400 });
    // Reuse means the token leaked: the family it belongs to is revoked, the live access token included.
    expect((await bearer(narrowed.access_token).get("/api/auth/user")).status).toBe(401);
    expect((await oauthFailure(oidc.refreshTokenGrant(config, narrowed.refresh_token as string))).error).toBe(
      "invalid_grant",
    );
  });

  it("refuses a replayed code and revokes what it granted; a wrong verifier or redirect URI; an expired code", async () => {
    const config = await discover(app);
    const user = await signUp(t.url);

    const { redirectUrl, verifier, state } = await authorize(config, user.api);
    const checks = { pkceCodeVerifier: verifier, expectedState: state };
    const tokens = await oidc.authorizationCodeGrant(config, redirectUrl, checks);
    expect((await bearer(tokens.access_token).get("/api/auth/user")).status).toBe(200);
    const replay = await oauthFailure(oidc.authorizationCodeGrant(config, redirectUrl, checks));
    expect(replay).toEqual({ error: "invalid_grant", status: 400 });
    expect((await bearer(tokens.access_token).get("/api/auth/user")).status).toBe(401);
    expect((await oauthFailure(oidc.refreshTokenGrant(config, tokens.refresh_token as string))).error).toBe(
      "invalid_grant",
    );

    const wrongVerifier = await authorize(config, user.api);
    const badPkce = await oauthFailure(
      oidc.authorizationCodeGrant(config, wrongVerifier.redirectUrl, {
        pkceCodeVerifier: oidc.randomPKCECodeVerifier(),
        expectedState: wrongVerifier.state,
      }),
    );
    expect(badPkce.error).toBe("invalid_grant");

    // A code issued for one registered redirect URI cannot be redeemed with another.
    const other = await authorize(config, user.api);
    const code = other.redirectUrl.searchParams.get("code") as string;
    const mismatch = await client(t.url).post("/api/oauth/token", {
      grant_type: "authorization_code",
      code,
      redirect_uri: OTHER_REDIRECT,
      code_verifier: other.verifier,
      client_id: app.clientId,
      client_secret: app.secret,
    });
    expect(mismatch.status).toBe(400);
    expect(mismatch.body).toEqual({
      error: "invalid_grant",
      error_description: "redirect_uri does not match the authorization request",
    });
    expect(mismatch.headers.get("cache-control")).toBe("no-store");

    const expiring = await authorize(config, user.api);
    const expiringCode = expiring.redirectUrl.searchParams.get("code") as string;
    await t.server.platform.database.db
      .update(oauthAuthorizationCodes)
      .set({ expiresAt: new Date(Date.now() - 1000) })
      .where(eq(oauthAuthorizationCodes.codeHash, sha256(expiringCode)));
    const expired = await oauthFailure(
      oidc.authorizationCodeGrant(config, expiring.redirectUrl, {
        pkceCodeVerifier: expiring.verifier,
        expectedState: expiring.state,
      }),
    );
    expect(expired.error).toBe("invalid_grant");
  });

  it("validates the authorization request: client, exact redirect URI, scopes, PKCE S256, and the user's answer", async () => {
    const user = await signUp(t.url);
    const challenge = await oidc.calculatePKCECodeChallenge(oidc.randomPKCECodeVerifier());
    const params = {
      client_id: app.clientId,
      redirect_uri: REDIRECT,
      response_type: "code",
      scope: "IDENTITY",
      state: "xyz",
      code_challenge: challenge,
      code_challenge_method: "S256",
    };
    const query = (p: Record<string, string>) => `/api/oauth/authorize?${new URLSearchParams(p)}`;

    expect((await client(t.url).get(query(params))).status).toBe(401);
    for (const redirect_uri of [`${REDIRECT}/extra`, "https://evil.example/callback", REDIRECT.toUpperCase()]) {
      const get = await user.api.get(query({ ...params, redirect_uri }));
      expect(get.status).toBe(400);
      expect(get.body.error.code).toBe("BAD_REQUEST");
      expect(JSON.stringify(get.body)).not.toContain("evil.example");
      const post = await user.api.post("/api/oauth/authorize", { ...params, redirect_uri });
      expect(post.status).toBe(400);
    }
    expect((await user.api.get(query({ ...params, client_id: "agpt_client_nope" }))).status).toBe(400);

    const answer = async (p: Record<string, unknown>) => {
      const res = await user.api.post("/api/oauth/authorize", p);
      expect(res.status).toBe(200);
      return new URL(res.body.redirect_url as string).searchParams;
    };
    expect((await answer({ ...params, scope: "IDENTITY WRITE_GRAPH" })).get("error")).toBe("invalid_scope");
    expect((await answer({ ...params, scope: "EVERYTHING" })).get("error")).toBe("invalid_scope");
    expect((await answer({ ...params, code_challenge_method: "plain" })).get("error")).toBe("invalid_request");
    const noPkce = await answer({ ...params, code_challenge: undefined });
    expect(noPkce.get("error")).toBe("invalid_request");
    expect(noPkce.get("state")).toBe("xyz");
    const denied = await answer({ ...params, approve: false });
    expect(denied.get("error")).toBe("access_denied");
    expect(denied.get("code")).toBeNull();

    // The GET, for JSON callers, reports a redirectable problem with the URL the browser would be sent to.
    const badScope = await user.api.get(query({ ...params, scope: "WRITE_GRAPH" }));
    expect(badScope.status).toBe(400);
    expect(badScope.body.error.details.error).toBe("invalid_scope");

    // Only a signed-in session may consent, not an API key.
    const key = await user.api.post("/api/api-keys", { name: "k", permissions: ["IDENTITY"] });
    const viaKey = await client(t.url, { "x-api-key": key.body.plain_text_key }).post("/api/oauth/authorize", params);
    expect(viaKey.status).toBe(403);
  });

  it("serves a consent page to browsers, escaping what it shows", async () => {
    const shady = await register(admin.api, {
      name: `<script>alert("x")</script> Tool`,
      scopes: ["IDENTITY"],
      redirect_uris: [REDIRECT],
    });
    const challenge = await oidc.calculatePKCECodeChallenge(oidc.randomPKCECodeVerifier());
    const qs = new URLSearchParams({
      client_id: shady.clientId,
      redirect_uri: REDIRECT,
      response_type: "code",
      scope: "IDENTITY",
      state: "s",
      code_challenge: challenge,
      code_challenge_method: "S256",
    });
    const res = await fetch(`${t.url}/api/oauth/authorize?${qs}`, { headers: { accept: "text/html" } });
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toContain("text/html");
    expect(res.headers.get("content-security-policy")).toContain("frame-ancestors 'none'");
    const html = await res.text();
    expect(html).toContain("&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; Tool");
    expect(html).not.toContain('<script>alert("x")</script>');

    qs.set("scope", "READ_GRAPH");
    const refused = await fetch(`${t.url}/api/oauth/authorize?${qs}`, {
      headers: { accept: "text/html" },
      redirect: "manual",
    });
    expect(refused.status).toBe(302);
    expect(new URL(refused.headers.get("location") as string).searchParams.get("error")).toBe("invalid_scope");
  });

  it("speaks OAuth errors at the token endpoint, for form and JSON bodies, and checks the client", async () => {
    const form = (body: Record<string, string>, headers: Record<string, string> = {}) =>
      fetch(`${t.url}/api/oauth/token`, {
        method: "POST",
        headers: { "content-type": "application/x-www-form-urlencoded", ...headers },
        body: new URLSearchParams(body),
      });
    const noGrant = await form({ client_id: app.clientId, client_secret: app.secret });
    expect(noGrant.status).toBe(400);
    expect(await noGrant.json()).toEqual({ error: "invalid_request", error_description: "grant_type is required" });
    const badSecret = await form({
      grant_type: "refresh_token",
      refresh_token: "x",
      client_id: app.clientId,
      client_secret: "nope",
    });
    expect(badSecret.status).toBe(401);
    expect((await badSecret.json()).error).toBe("invalid_client");
    const basic = `Basic ${Buffer.from(`${app.clientId}:wrong`).toString("base64")}`;
    const badBasic = await form({ grant_type: "refresh_token", refresh_token: "x" }, { authorization: basic });
    expect(badBasic.status).toBe(401);
    expect(badBasic.headers.get("www-authenticate")).toContain("Basic");
    const unsupported = await form({ grant_type: "password", client_id: app.clientId, client_secret: app.secret });
    expect((await unsupported.json()).error).toBe("unsupported_grant_type");
    const twice = await fetch(`${t.url}/api/oauth/token`, {
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded" },
      body: "grant_type=refresh_token&grant_type=authorization_code",
    });
    expect((await twice.json()).error).toBe("invalid_request");
    const badJson = await fetch(`${t.url}/api/oauth/token`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: "{not json",
    });
    expect(badJson.status).toBe(400);
    expect((await badJson.json()).error).toBe("invalid_request");

    // JSON bodies, as AutoGPT's OAuth guide sends them.
    const config = await discover(app);
    const user = await signUp(t.url);
    const { redirectUrl, verifier } = await authorize(config, user.api);
    const exchanged = await client(t.url).post("/api/oauth/token", {
      grant_type: "authorization_code",
      code: redirectUrl.searchParams.get("code"),
      redirect_uri: REDIRECT,
      client_id: app.clientId,
      client_secret: app.secret,
      code_verifier: verifier,
    });
    expect(exchanged.status).toBe(200);
    expect(exchanged.body).toMatchObject({
      token_type: "Bearer",
      expires_in: 3600,
      scope: "IDENTITY READ_GRAPH",
      scopes: ["IDENTITY", "READ_GRAPH"],
      access_token_expires_at: expect.any(String),
      refresh_token_expires_at: expect.any(String),
    });
    const introspect = await client(t.url).post("/api/oauth/introspect", {
      token: exchanged.body.access_token,
      client_id: app.clientId,
      client_secret: "wrong",
    });
    expect(introspect.status).toBe(401);
    expect(introspect.body.error).toBe("invalid_client");
  });

  it("rejects expired tokens, revokes a grant with its refresh token, and disabling the app stops its tokens", async () => {
    const config = await discover(app);
    const user = await signUp(t.url);
    const db = t.server.platform.database.db;

    const expiring = await login(config, user.api);
    await db
      .update(oauthAccessTokens)
      .set({ expiresAt: new Date(Date.now() - 1000) })
      .where(eq(oauthAccessTokens.tokenHash, sha256(expiring.access_token)));
    const expired = await bearer(expiring.access_token).get("/api/auth/user");
    expect(expired.status).toBe(401);
    expect(expired.body.error.code).toBe("UNAUTHORIZED");
    expect((await oidc.tokenIntrospection(config, expiring.access_token)).active).toBe(false);

    const grant = await login(config, user.api);
    expect((await bearer(grant.access_token).get("/api/auth/user")).status).toBe(200);
    await oidc.tokenRevocation(config, grant.refresh_token as string, { token_type_hint: "refresh_token" });
    expect((await bearer(grant.access_token).get("/api/auth/user")).status).toBe(401);
    expect((await oauthFailure(oidc.refreshTokenGrant(config, grant.refresh_token as string))).error).toBe(
      "invalid_grant",
    );

    const solo = await register(admin.api, { name: "Soon disabled", scopes: ["IDENTITY"], redirect_uris: [REDIRECT] });
    const soloConfig = await discover(solo);
    const live = await login(soloConfig, user.api, "IDENTITY");
    expect((await bearer(live.access_token).get("/api/auth/user")).status).toBe(200);
    const disabled = await admin.api.request("PATCH", `/api/admin/oauth/apps/${solo.id}`, { is_active: false });
    expect(disabled.body.is_active).toBe(false);
    expect((await bearer(live.access_token).get("/api/auth/user")).status).toBe(401);
    expect((await oauthFailure(oidc.refreshTokenGrant(soloConfig, live.refresh_token as string))).error).toBe(
      "invalid_client",
    );
  });

  it("lets a user list the apps they authorized and revoke one, which kills its tokens at once", async () => {
    const config = await discover(app);
    const user = await signUp(t.url);
    const tokens = await login(config, user.api);
    expect((await bearer(tokens.access_token).get("/api/auth/user")).status).toBe(200);

    const list = await user.api.get("/api/oauth/authorized-apps");
    expect(list.status).toBe(200);
    expect(list.body).toEqual([
      expect.objectContaining({
        app_id: app.id,
        client_id: app.clientId,
        name: "Third-party app",
        scopes: ["IDENTITY", "READ_GRAPH"],
        granted_at: expect.any(String),
      }),
    ]);
    // The app's own token cannot manage the user's authorizations.
    expect((await bearer(tokens.access_token).get("/api/oauth/authorized-apps")).status).toBe(403);

    const revoked = await user.api.delete(`/api/oauth/authorized-apps/${app.id}`);
    expect(revoked.status).toBe(204);
    expect((await bearer(tokens.access_token).get("/api/auth/user")).status).toBe(401);
    expect((await oauthFailure(oidc.refreshTokenGrant(config, tokens.refresh_token as string))).error).toBe(
      "invalid_grant",
    );
    expect((await user.api.get("/api/oauth/authorized-apps")).body).toEqual([]);
    expect((await user.api.delete("/api/oauth/authorized-apps/no-such-app")).status).toBe(404);
  });

  it("lets only admins manage apps; the client secret is shown once, stored hashed, and rotates", async () => {
    const user = await signUp(t.url);
    const denied = await user.api.post("/api/admin/oauth/apps", {
      name: "Mine",
      scopes: ["IDENTITY"],
      redirect_uris: [REDIRECT],
    });
    expect(denied.status).toBe(403);
    expect(denied.body.error.code).toBe("FORBIDDEN");
    expect((await user.api.get("/api/admin/oauth/apps")).status).toBe(403);
    expect((await client(t.url).get("/api/admin/oauth/apps")).status).toBe(401);

    const created = await admin.api.post("/api/admin/oauth/apps", {
      name: "Rotating",
      description: "rotates its secret",
      scopes: ["IDENTITY", "EXECUTE_GRAPH"],
      redirect_uris: [REDIRECT],
    });
    expect(created.status).toBe(201);
    const secret: string = created.body.client_secret_plaintext;
    expect(secret).toMatch(/^agpt_secret_[A-Za-z0-9_-]{43}$/);
    expect(created.body.application).toMatchObject({
      name: "Rotating",
      client_id: expect.stringMatching(/^agpt_client_/),
      scopes: ["IDENTITY", "EXECUTE_GRAPH"],
      grant_types: ["authorization_code", "refresh_token"],
      owner_id: admin.user.id,
      is_active: true,
    });
    const id = created.body.application.id as string;
    const one = await admin.api.get(`/api/admin/oauth/apps/${id}`);
    const list = await admin.api.get("/api/admin/oauth/apps?search=Rotating");
    expect(list.body).toMatchObject({ total: 1, page: 1, applications: [{ id }] });
    for (const body of [one.body, list.body]) expect(JSON.stringify(body)).not.toContain(secret);
    const [row] = await t.server.platform.database.db
      .select()
      .from(oauthApplications)
      .where(eq(oauthApplications.id, id));
    expect(row?.clientSecretHash).toBe(sha256(secret));
    expect(JSON.stringify(row)).not.toContain(secret);

    const introspect = (clientSecret: string) =>
      client(t.url).post("/api/oauth/introspect", {
        token: "agpt_xt_x",
        client_id: created.body.application.client_id,
        client_secret: clientSecret,
      });
    expect((await introspect(secret)).body).toEqual({ active: false });
    const rotated = await admin.api.post(`/api/admin/oauth/apps/${id}/rotate-secret`);
    expect(rotated.body.client_secret).toMatch(/^agpt_secret_/);
    expect((await introspect(secret)).status).toBe(401);
    expect((await introspect(rotated.body.client_secret)).status).toBe(200);

    const bad = await admin.api.post("/api/admin/oauth/apps", {
      name: "Bad",
      scopes: ["EVERYTHING"],
      redirect_uris: ["not a url"],
    });
    expect(bad.status).toBe(422);
    const badUri = await admin.api.post("/api/admin/oauth/apps", {
      name: "Bad",
      scopes: ["IDENTITY"],
      redirect_uris: ["https://app.example/cb#frag"],
    });
    expect(badUri.status).toBe(422);

    const renamed = await admin.api.put(`/api/admin/oauth/apps/${id}`, {
      name: "Renamed",
      redirect_uris: [OTHER_REDIRECT],
    });
    expect(renamed.body).toMatchObject({ name: "Renamed", redirect_uris: [OTHER_REDIRECT] });
    expect((await admin.api.delete(`/api/admin/oauth/apps/${id}`)).status).toBe(204);
    expect((await admin.api.get(`/api/admin/oauth/apps/${id}`)).status).toBe(404);
    expect((await introspect(rotated.body.client_secret)).status).toBe(401);
  });

  it("documents every OAuth route in the OpenAPI document", async () => {
    const doc = (await client(t.url).get("/openapi.json")).body;
    for (const [p, method] of [
      ["/.well-known/oauth-authorization-server", "get"],
      ["/api/oauth/authorize", "get"],
      ["/api/oauth/authorize", "post"],
      ["/api/oauth/token", "post"],
      ["/api/oauth/revoke", "post"],
      ["/api/oauth/introspect", "post"],
      ["/api/oauth/authorized-apps", "get"],
      ["/api/oauth/authorized-apps/{app_id}", "delete"],
      ["/api/oauth/{provider}/login", "get"],
      ["/api/oauth/{provider}/callback", "get"],
      ["/api/admin/oauth/apps", "post"],
      ["/api/admin/oauth/apps/{id}", "patch"],
      ["/api/admin/oauth/apps/{id}/rotate-secret", "post"],
    ] as const) {
      expect(doc.paths[p]?.[method], `${method} ${p}`).toBeDefined();
      expect(doc.paths[p][method].tags).toContain("oauth");
    }
  });
});

describe("agentry oauth create-app", () => {
  const dataDir = freshDataDir();
  afterAll(async () => {
    await killChildren();
    fs.rmSync(dataDir, { recursive: true, force: true });
  });
  const run = (args: string[]) => runAgentry([...args, "--data-dir", dataDir]);

  it("registers an application owned by the admin and prints its secret once", { timeout: budget(5) }, async () => {
    const noAdmin = await run([
      "oauth",
      "create-app",
      "--name",
      "X",
      "--redirect-uri",
      REDIRECT,
      "--scopes",
      "IDENTITY",
    ]);
    expect(noAdmin.code).toBe(2);
    expect(noAdmin.stderr).toContain("--owner");
    expect((await run(["admin", "create-user", "--email", "root@example.com", "--admin"])).code).toBe(0);
    const missing = await run(["oauth", "create-app", "--name", "X", "--scopes", "IDENTITY"]);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain("--redirect-uri");
    const badScope = await run(["oauth", "create-app", "--name", "X", "--redirect-uri", REDIRECT, "--scopes", "ALL"]);
    expect(badScope.code).toBe(2);
    expect(badScope.stderr).toContain("Unknown: ALL");

    const created = await run([
      "oauth",
      "create-app",
      "--name",
      "CLI app",
      "--redirect-uri",
      REDIRECT,
      "--redirect-uri",
      OTHER_REDIRECT,
      "--scopes",
      "IDENTITY,READ_GRAPH",
    ]);
    expect(created.code, created.stderr).toBe(0);
    expect(created.stdout).toContain('Created OAuth application "CLI app"');
    expect(created.stdout).toContain("owned by root@example.com");
    const clientId = /Client ID: (\S+)/.exec(created.stdout)?.[1] as string;
    const secret = /Client secret \(shown once\): (\S+)/.exec(created.stdout)?.[1] as string;
    expect(clientId).toMatch(/^agpt_client_/);
    expect(secret).toMatch(/^agpt_secret_/);

    const server = await createServer(loadConfig({}, { host: "127.0.0.1", port: 0, dataDir, logLevel: "warn" }));
    try {
      const url = await server.listen();
      const [row] = await server.platform.database.db
        .select()
        .from(oauthApplications)
        .where(and(eq(oauthApplications.clientId, clientId)));
      expect(row).toMatchObject({
        name: "CLI app",
        redirectUris: [REDIRECT, OTHER_REDIRECT],
        scopes: ["IDENTITY", "READ_GRAPH"],
        clientSecretHash: sha256(secret),
      });
      const ok = await client(url).post("/api/oauth/introspect", {
        token: "agpt_xt_x",
        client_id: clientId,
        client_secret: secret,
      });
      expect(ok.body).toEqual({ active: false });
    } finally {
      await server.close();
    }
  });
});
