// OAuth2 integrations against a loopback provider: AutoGPT's /login and /callback (state, PKCE, client auth, the
// token exchange), tokens stored sealed, refreshed before expiry when a run uses them, and the operator's system
// credentials listed as metadata.
import { createHash } from "node:crypto";
import { Type } from "@sinclair/typebox";
import { eq } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CredentialsField } from "../src/blocks/credentials.js";
import { inputs, outputs } from "../src/blocks/fields.js";
import { registerBlock } from "../src/blocks/index.js";
import { defineBlock } from "../src/blocks/sdk.js";
import { integrationCredentials, integrationOAuthStates } from "../src/infra/db/schema.js";
import { fitsIn } from "./helpers/autogpt-schemas.js";
import { signUp } from "./helpers/client.js";
import { type ProviderServer, type ReceivedRequest, startProviderServer } from "./helpers/provider-server.js";
import { create, ended, graph, OUTPUT, waitFor } from "./helpers/runs.js";
import { startTestServer, type TestServer } from "./helpers/server.js";

const expectFits = fitsIn(["v0.6.44"]);

const GITHUB_ID = "gh-client-id";
const GITHUB_SECRET = "gh-client-secret-7f3a";
const TWITTER_ID = "tw-client-id";
const TWITTER_SECRET = "tw-client-secret-91bc";
const REPLICATE_KEY = "r8_operator_key_5d1e";
const FRONTEND = "https://app.example";

/** A block calling the loopback provider's user API with the OAuth2 access token it was handed. */
const whoAmI = defineBlock({
  id: "0c5e3f4a-7d42-4b9e-a1f0-3e2d9c8b7a61",
  name: "GithubWhoAmITestBlock",
  description: "Asks GitHub (a loopback stand-in) who the token belongs to.",
  categories: ["DEVELOPER_TOOLS"],
  input: inputs({
    credentials: CredentialsField({ providers: ["github"], types: ["oauth2"], description: "A GitHub account" }),
  }),
  output: outputs({ login: Type.String() }),
  async *run(_input, ctx) {
    if (ctx.credentials?.type !== "oauth2") throw new Error("No GitHub OAuth2 credentials");
    const res = await ctx.http
      .forProvider("github", "https://api.github.com")
      .request({ url: "/user", headers: { authorization: `Bearer ${ctx.credentials.access_token}` } });
    if (!res.ok) throw new Error(`GitHub answered ${res.status}`);
    yield ["login", res.json<{ login: string }>().login];
  },
});
registerBlock(whoAmI);

const form = (req: ReceivedRequest) => new URLSearchParams(req.body);
const s256 = (verifier: string) => createHash("sha256").update(verifier).digest("base64url");

describe("OAuth2 integrations", () => {
  let provider: ProviderServer;
  let t: TestServer;
  let alice: Awaited<ReturnType<typeof signUp>>;
  let bob: Awaited<ReturnType<typeof signUp>>;
  /** What the loopback token endpoint answers next for each grant, and what the user API expects. */
  const script = {
    codes: new Map<string, { challenge?: string }>(),
    refresh: { token: "rt-1", answer: { access_token: "at-2", refresh_token: "rt-2", expires_in: 3600 } } as {
      token: string;
      answer: Record<string, unknown> | null;
    },
  };

  beforeAll(async () => {
    provider = await startProviderServer((req) => {
      // Token revocation: GitHub's DELETE /applications/{client_id}/token, Twitter's RFC 7009 endpoint.
      if (req.path === `/applications/${GITHUB_ID}/token` || req.path === "/2/oauth2/revoke") {
        return { status: 204 };
      }
      if (req.path === "/user") {
        const token = (req.headers.authorization ?? "").replace(/^Bearer /, "");
        // Which token the block sent, by name (the engine redacts secrets a block would output).
        const login = { "at-1": "octocat-stale", "at-2": "octocat-fresh" }[token];
        return login ? { json: { login } } : { status: 401, json: { message: "Bad credentials" } };
      }
      if (req.path === "/2/users/me") {
        const ok = req.headers.authorization === "Bearer at-1" && req.query.get("user.fields") === "username";
        return ok ? { json: { data: { username: "tw-user" } } } : { status: 401, json: {} };
      }
      if (req.path === "/token") {
        const body = form(req);
        const basic = req.headers.authorization?.startsWith("Basic ")
          ? Buffer.from(req.headers.authorization.slice(6), "base64").toString()
          : undefined;
        const client = basic ?? `${body.get("client_id")}:${body.get("client_secret")}`;
        if (client !== `${GITHUB_ID}:${GITHUB_SECRET}` && client !== `${TWITTER_ID}:${TWITTER_SECRET}`) {
          return { status: 401, json: { error: "invalid_client" } };
        }
        if (body.get("grant_type") === "authorization_code") {
          const code = script.codes.get(body.get("code") ?? "");
          if (!code) return { status: 400, json: { error: "invalid_grant", error_description: "bad code" } };
          if (body.get("redirect_uri") !== `${FRONTEND}/auth/integrations/oauth_callback`) {
            return { status: 400, json: { error: "invalid_grant", error_description: "redirect_uri mismatch" } };
          }
          if (code.challenge && s256(body.get("code_verifier") ?? "") !== code.challenge) {
            return { status: 400, json: { error: "invalid_grant", error_description: "PKCE verification failed" } };
          }
          // Expiring within AutoGPT's 5-minute margin: the first run using it refreshes.
          return { json: { access_token: "at-1", refresh_token: "rt-1", expires_in: 60, scope: "repo,read:user" } };
        }
        if (body.get("grant_type") === "refresh_token") {
          if (body.get("refresh_token") !== script.refresh.token || !script.refresh.answer) {
            return { status: 400, json: { error: "invalid_grant", error_description: "refresh token revoked" } };
          }
          return { json: script.refresh.answer };
        }
      }
      return { status: 404, json: { error: `no route ${req.path}` } };
    });
    t = await startTestServer({
      oauth: {
        frontendBaseUrl: FRONTEND,
        providers: {
          github: {
            clientId: GITHUB_ID,
            clientSecret: GITHUB_SECRET,
            authorizeUrl: `${provider.url}/authorize`,
            tokenUrl: `${provider.url}/token`,
          },
          twitter: {
            clientId: TWITTER_ID,
            clientSecret: TWITTER_SECRET,
            authorizeUrl: `${provider.url}/i/oauth2/authorize`,
            tokenUrl: `${provider.url}/token`,
          },
        },
      },
      outgoingHttp: { providerBaseUrls: { github: provider.url, twitter: provider.url } },
      systemCredentials: { replicate: { apiKey: REPLICATE_KEY } },
    });
    alice = await signUp(t.url);
    bob = await signUp(t.url);
  });
  afterAll(async () => {
    await provider?.close();
    await t?.close();
  });

  /** Starts a flow and completes it as the frontend would, with a code the provider issued. */
  async function connect(user: typeof alice, name: "github" | "twitter", scopes = "repo,read:user") {
    const login = await user.api.get(`/api/integrations/${name}/login?scopes=${encodeURIComponent(scopes)}`);
    expect(login.status, JSON.stringify(login.body)).toBe(200);
    const url = new URL(login.body.login_url);
    const code = `code-${Math.random().toString(36).slice(2)}`;
    script.codes.set(code, { challenge: url.searchParams.get("code_challenge") ?? undefined });
    const callback = await user.api.post(`/api/integrations/${name}/callback`, {
      code,
      state_token: login.body.state_token,
    });
    return { login, url, code, callback };
  }

  it("answers 404 for a provider without OAuth and 501 for one whose client is not configured", async () => {
    const unknown = await alice.api.get("/api/integrations/example/login");
    expect(unknown.status).toBe(404);
    expect(unknown.body.error.code).toBe("NOT_FOUND");
    const notion = await alice.api.get("/api/integrations/notion/login");
    expect(notion.status).toBe(501);
    expect(notion.body.error.message).toBe("Integration with provider 'notion' is not configured.");
    expect(notion.body.detail).toBe(notion.body.error.message);
    const callback = await alice.api.post("/api/integrations/notion/callback", { code: "c", state_token: "s" });
    expect(callback.status).toBe(501);
    expect((await alice.api.post("/api/integrations/github/callback", { code: "c" })).status).toBe(422);
  });

  it("GitHub: the login URL carries the state and scopes; the callback exchanges the code with the client's secret", async () => {
    const { login, url, code, callback } = await connect(alice, "github");
    expectFits(login.body, "/api/integrations/{provider}/login", "get");
    expect(`${url.origin}${url.pathname}`).toBe(`${provider.url}/authorize`);
    expect(url.searchParams.get("client_id")).toBe(GITHUB_ID);
    expect(url.searchParams.get("redirect_uri")).toBe(`${FRONTEND}/auth/integrations/oauth_callback`);
    expect(url.searchParams.get("scope")).toBe("repo read:user");
    expect(url.searchParams.get("state")).toBe(login.body.state_token);
    expect(url.searchParams.has("code_challenge")).toBe(false); // GitHub's handler sends no PKCE
    expect(JSON.stringify(login.body)).not.toContain(GITHUB_SECRET);

    expect(callback.status, JSON.stringify(callback.body)).toBe(200);
    expectFits(callback.body, "/api/integrations/{provider}/callback", "post");
    // The account's name comes from GitHub's /user, read with the new token (AutoGPT's _request_username).
    expect(callback.body).toMatchObject({
      provider: "github",
      type: "oauth2",
      scopes: ["repo", "read:user"],
      username: "octocat-stale",
    });
    const exchange = provider.received.filter((r) => r.path === "/token").at(-1) as ReceivedRequest;
    expect(exchange.method).toBe("POST");
    expect(exchange.headers["content-type"]).toContain("application/x-www-form-urlencoded");
    expect(Object.fromEntries(form(exchange))).toMatchObject({
      grant_type: "authorization_code",
      code,
      client_id: GITHUB_ID,
      client_secret: GITHUB_SECRET,
    });

    // Stored sealed; listed as metadata only.
    const { db } = t.server.platform.database;
    const [row] = await db.select().from(integrationCredentials).where(eq(integrationCredentials.id, callback.body.id));
    expect(row?.secret).toMatchObject({ v: 1, kid: row?.keyId });
    expect(JSON.stringify(row)).not.toContain("at-1");
    expect(JSON.stringify(row)).not.toContain("rt-1");
    const listed = await alice.api.get("/api/integrations/github/credentials");
    expect(listed.body).toContainEqual(expect.objectContaining({ id: callback.body.id, type: "oauth2" }));
    expect(JSON.stringify(listed.body)).not.toContain("at-1");
    expect((await db.select().from(integrationOAuthStates)).map((s) => s.tokenHash)).not.toContain(
      login.body.state_token,
    );
  });

  it("a state token is single use, the caller's own, of its provider, and expires after 10 minutes", async () => {
    const refused = (res: { status: number; body: { detail: string } }) => {
      expect(res.status, JSON.stringify(res.body)).toBe(400);
      expect(res.body.detail).toBe("Invalid or expired state token");
    };
    refused(await alice.api.post("/api/integrations/github/callback", { code: "x", state_token: "made-up" }));
    const first = await connect(alice, "github");
    expect(first.callback.status).toBe(200);
    refused(
      await alice.api.post("/api/integrations/github/callback", {
        code: first.code,
        state_token: first.login.body.state_token,
      }),
    );

    const forAlice = await alice.api.get("/api/integrations/github/login");
    refused(
      await bob.api.post("/api/integrations/github/callback", { code: "c", state_token: forAlice.body.state_token }),
    );
    const twitterState = await alice.api.get("/api/integrations/twitter/login");
    refused(
      await alice.api.post("/api/integrations/github/callback", {
        code: "c",
        state_token: twitterState.body.state_token,
      }),
    );

    const late = await alice.api.get("/api/integrations/github/login");
    const { db } = t.server.platform.database;
    const hash = createHash("sha256").update(late.body.state_token).digest("hex");
    await db
      .update(integrationOAuthStates)
      .set({ expiresAt: new Date(Date.now() - 1000) })
      .where(eq(integrationOAuthStates.tokenHash, hash));
    refused(
      await alice.api.post("/api/integrations/github/callback", { code: "c", state_token: late.body.state_token }),
    );
  });

  it("a code the provider refuses is a 400 naming the provider's error, never the client secret", async () => {
    const login = await alice.api.get("/api/integrations/github/login");
    const res = await alice.api.post("/api/integrations/github/callback", {
      code: "never-issued",
      state_token: login.body.state_token,
    });
    expect(res.status).toBe(400);
    expect(res.body.detail).toContain("OAuth2 callback failed to exchange code for tokens");
    expect(res.body.detail).toContain("invalid_grant");
    expect(JSON.stringify(res.body)).not.toContain(GITHUB_SECRET);
  });

  it("Twitter: PKCE S256 challenge in the login URL, the verifier and HTTP Basic client auth at the token endpoint", async () => {
    const { url, callback } = await connect(alice, "twitter", "");
    expect(url.pathname).toBe("/i/oauth2/authorize");
    expect(url.searchParams.get("code_challenge_method")).toBe("S256");
    const challenge = url.searchParams.get("code_challenge") as string;
    expect(challenge).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(url.searchParams.get("scope")?.split(" ")).toContain("offline.access"); // AutoGPT's default scopes
    expect(callback.status, JSON.stringify(callback.body)).toBe(200);
    expect(callback.body.username).toBe("tw-user");
    const exchange = provider.received.filter((r) => r.path === "/token").at(-1) as ReceivedRequest;
    expect(s256(form(exchange).get("code_verifier") as string)).toBe(challenge);
    expect(exchange.headers.authorization).toBe(
      `Basic ${Buffer.from(`${TWITTER_ID}:${TWITTER_SECRET}`).toString("base64")}`,
    );
    expect(form(exchange).has("client_secret")).toBe(false);
  });

  it("deleting OAuth2 credentials revokes the token at the provider, as AutoGPT does", async () => {
    const github = await connect(alice, "github");
    const gone = await alice.api.delete(`/api/integrations/github/credentials/${github.callback.body.id}`);
    expect(gone.status).toBe(200);
    expectFits(gone.body, "/api/integrations/{provider}/credentials/{cred_id}", "delete");
    expect(gone.body).toEqual({ deleted: true, revoked: true });
    const revoke = provider.received.filter((r) => r.path === `/applications/${GITHUB_ID}/token`).at(-1);
    expect(revoke?.method).toBe("DELETE");
    expect(revoke?.headers.authorization).toBe(
      `Basic ${Buffer.from(`${GITHUB_ID}:${GITHUB_SECRET}`).toString("base64")}`,
    );
    expect(revoke?.json).toEqual({ access_token: "at-1" });

    const twitter = await connect(alice, "twitter", "");
    const removed = await alice.api.delete(`/api/integrations/twitter/credentials/${twitter.callback.body.id}`);
    expect(removed.body).toEqual({ deleted: true, revoked: true });
    const rfc7009 = provider.received.filter((r) => r.path === "/2/oauth2/revoke").at(-1) as ReceivedRequest;
    expect(Object.fromEntries(form(rfc7009))).toEqual({ token: "at-1", token_type_hint: "access_token" });
    expect((await alice.api.get(`/api/integrations/twitter/credentials/${twitter.callback.body.id}`)).status).toBe(404);
  });

  /** Two nodes using the same credentials at once, each output under its own name. */
  const twoNodes = (meta: Record<string, unknown>) =>
    graph(
      "who am i twice",
      [
        { id: "a", block_id: whoAmI.id, input_default: { credentials: meta } },
        { id: "b", block_id: whoAmI.id, input_default: { credentials: meta } },
        { id: "out-a", block_id: OUTPUT, input_default: { name: "a" } },
        { id: "out-b", block_id: OUTPUT, input_default: { name: "b" } },
      ],
      [
        ["a", "login", "out-a", "value"],
        ["b", "login", "out-b", "value"],
      ],
    );

  it("refreshes tokens expiring within 5 minutes once, stores them sealed, and hands blocks the fresh token", async () => {
    script.refresh = { token: "rt-1", answer: { access_token: "at-2", refresh_token: "rt-2", expires_in: 3600 } };
    const { callback } = await connect(alice, "github");
    const meta = { id: callback.body.id, provider: "github", type: "oauth2", title: null };
    const refreshes = () =>
      provider.received.filter((r) => r.path === "/token" && form(r).get("grant_type") === "refresh_token");
    const before = refreshes().length;
    const g = await create(alice.api, twoNodes(meta));
    const res = await alice.api.post(`/api/graphs/${g.id}/execute/${g.version}`, { inputs: {} });
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    const done = await waitFor(alice.api, res.body.id, ended);
    expect(done.status, JSON.stringify(done.node_executions)).toBe("COMPLETED");
    expect(done.outputs).toEqual({ a: ["octocat-fresh"], b: ["octocat-fresh"] });
    expect(refreshes().length - before).toBe(1);
    const refresh = refreshes().at(-1) as ReceivedRequest;
    expect(Object.fromEntries(form(refresh))).toMatchObject({
      grant_type: "refresh_token",
      refresh_token: "rt-1",
      client_id: GITHUB_ID,
    });

    const { db } = t.server.platform.database;
    const [row] = await db.select().from(integrationCredentials).where(eq(integrationCredentials.id, meta.id));
    expect(row?.expiresAt?.getTime()).toBeGreaterThan(Date.now() + 30 * 60 * 1000);
    expect(JSON.stringify(row)).not.toContain("at-2");
    expect(JSON.stringify(row)).not.toContain("rt-2");
    expect(JSON.stringify(done)).not.toContain("at-2");

    // Fresh now: the next run uses the stored token without refreshing again.
    const again = await alice.api.post(`/api/graphs/${g.id}/execute/${g.version}`, { inputs: {} });
    const second = await waitFor(alice.api, again.body.id, ended);
    expect(second.outputs).toEqual({ a: ["octocat-fresh"], b: ["octocat-fresh"] });
    expect(refreshes().length - before).toBe(1);
  });

  it("a failed refresh fails the node with a clear error, without the tokens", async () => {
    const { callback } = await connect(alice, "github");
    script.refresh = { token: "rt-1", answer: null };
    const meta = { id: callback.body.id, provider: "github", type: "oauth2", title: null };
    const g = await create(alice.api, twoNodes(meta));
    const res = await alice.api.post(`/api/graphs/${g.id}/execute/${g.version}`, { inputs: {} });
    const done = await waitFor(alice.api, res.body.id, ended);
    expect(done.status).toBe("FAILED");
    const text = JSON.stringify(done);
    expect(text).toContain(`Refreshing the github OAuth2 credentials ${meta.id} failed`);
    expect(text).toContain("invalid_grant");
    for (const secret of ["at-1", "rt-1", GITHUB_SECRET]) expect(text).not.toContain(secret);
  });

  it("lists the operator's system credentials (AutoGPT's ids and titles) as metadata, never their key", async () => {
    const all = await bob.api.get("/api/integrations/credentials");
    expectFits(all.body, "/api/integrations/credentials", "get");
    expect(all.body).toContainEqual({
      id: "6b9fc200-4726-4973-86c9-cd526f5ce5db",
      provider: "replicate",
      type: "api_key",
      title: "Use Credits for Replicate",
      scopes: null,
      username: null,
      host: null,
    });
    const one = await bob.api.get("/api/integrations/replicate/credentials/6b9fc200-4726-4973-86c9-cd526f5ce5db");
    expect(one.status).toBe(200);
    expect(one.body).toMatchObject({ api_key: "**********" });
    const system = await bob.api.get("/api/integrations/providers/system");
    expect(system.body).toContain("replicate");
    expect(JSON.stringify([all.body, one.body, system.body])).not.toContain(REPLICATE_KEY);
  });
});
