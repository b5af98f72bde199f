// Authentication and authorization holes found in review, each tried as an attacker would over real HTTP/WebSocket.

import { spawn } from "node:child_process";
import { createHash, randomBytes } from "node:crypto";
import fs from "node:fs";
import http from "node:http";
import path from "node:path";
import { eq } from "drizzle-orm";
import { SignJWT } from "jose";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import WebSocket from "ws";
import { runAgentFile } from "../src/cli/run.js";
import { loadConfig } from "../src/config.js";
import * as users from "../src/infra/db/repos/users.js";
import { apiKeys, users as usersTable } from "../src/infra/db/schema.js";
import { createServer } from "../src/server.js";
import { type Client, client, createKey, signUp } from "./helpers/client.js";
import { createThrowawayDatabase } from "./helpers/postgres.js";
import { freshDataDir, startTestServer, type TestServer } from "./helpers/server.js";

const BIN = path.resolve("test/helpers/agentry-source.js");
const REDIRECT = "https://app.example/callback";
const IDP_SECRET = "idp-shared-secret-for-security-tests-0123456789";

const adminOf = (t: TestServer, email?: string) =>
  signUp(t.url, email, { setup_token: t.server.platform.auth.setupToken });

/** A third-party app registered by `admin`, and a consent + code exchange for `user`: the app's OAuth tokens. */
async function registerApp(admin: Client, scopes = ["IDENTITY", "READ_RUN"]) {
  const res = await admin.post("/api/admin/oauth/apps", {
    name: `app-${randomBytes(3).toString("hex")}`,
    scopes,
    redirect_uris: [REDIRECT],
  });
  expect(res.status).toBe(201);
  return { clientId: res.body.application.client_id as string, secret: res.body.client_secret_plaintext as string };
}

async function oauthTokens(t: TestServer, app: { clientId: string; secret: string }, user: Client, scope: string) {
  const verifier = randomBytes(32).toString("base64url");
  const challenge = createHash("sha256").update(verifier).digest("base64url");
  const answer = await user.post("/api/oauth/authorize", {
    client_id: app.clientId,
    redirect_uri: REDIRECT,
    response_type: "code",
    scope,
    state: "s1",
    code_challenge: challenge,
    code_challenge_method: "S256",
    approve: true,
  });
  expect(answer.status).toBe(200);
  const code = new URL(answer.body.redirect_url).searchParams.get("code") as string;
  const token = await client(t.url).post("/api/oauth/token", {
    grant_type: "authorization_code",
    code,
    redirect_uri: REDIRECT,
    code_verifier: verifier,
    client_id: app.clientId,
    client_secret: app.secret,
  });
  expect(token.status).toBe(200);
  return token.body as { access_token: string; refresh_token: string };
}

function expectEnvelope(res: { status: number; body: any }, status: number, code: string) {
  expect(res.status).toBe(status);
  expect(res.body).toMatchObject({ error: { code, message: expect.any(String) } });
}

describe("admin routes need a signed-in admin", () => {
  let t: TestServer;
  let admin: Awaited<ReturnType<typeof signUp>>;
  beforeAll(async () => {
    t = await startTestServer({ auth: { externalJwtSecret: IDP_SECRET } });
    admin = await adminOf(t, "root@example.com");
  });
  afterAll(() => t?.close());

  const attempts = (victim: string) =>
    [
      ["GET", "/api/admin/users", undefined],
      ["PUT", `/api/admin/users/${victim}/role`, { role: "admin" }],
      ["GET", "/api/admin/oauth/apps", undefined],
      ["POST", "/api/admin/oauth/apps", { name: "Evil", scopes: ["IDENTITY"], redirect_uris: [REDIRECT] }],
    ] as const;

  it("refuses an admin's API keys, with no scopes or with every scope, with 403 and the envelope", async () => {
    const victim = await signUp(t.url);
    const none = await createKey(t.url, admin.api, []);
    const all = await createKey(t.url, admin.api, ["IDENTITY", "READ_GRAPH", "WRITE_GRAPH", "RUN_AGENT", "READ_RUN"]);
    for (const key of [none, all]) {
      for (const [method, url, body] of attempts(victim.user.id)) {
        expectEnvelope(await key.api.request(method, url, body), 403, "FORBIDDEN");
      }
    }
    // Nothing happened: the victim is still a user and no app was registered.
    const list = await admin.api.get("/api/admin/users?page_size=100");
    expect(list.body.users.find((u: { id: string }) => u.id === victim.user.id).role).toBe("user");
    expect((await admin.api.get("/api/admin/oauth/apps")).body.total).toBe(0);
  });

  it("refuses any OAuth access token an app holds for an admin, even IDENTITY", async () => {
    const app = await registerApp(admin.api);
    const tokens = await oauthTokens(t, app, admin.api, "IDENTITY");
    const bearer = client(t.url, { authorization: `Bearer ${tokens.access_token}` });
    expect((await bearer.get("/api/auth/user")).status).toBe(200);
    const victim = await signUp(t.url);
    for (const [method, url, body] of attempts(victim.user.id)) {
      expectEnvelope(await bearer.request(method, url, body), 403, "FORBIDDEN");
    }
  });

  it("serves a signed-in admin: an Agentry session or an external IdP token of an admin", async () => {
    expect((await admin.api.get("/api/admin/users")).status).toBe(200);
    const idp = await new SignJWT({ email: "root@example.com" })
      .setProtectedHeader({ alg: "HS256" })
      .setSubject(admin.user.id)
      .setIssuedAt()
      .setExpirationTime("5m")
      .sign(new TextEncoder().encode(IDP_SECRET));
    expect((await client(t.url, { authorization: `Bearer ${idp}` }).get("/api/admin/users")).status).toBe(200);
    const user = await signUp(t.url);
    expectEnvelope(await user.api.get("/api/admin/users"), 403, "FORBIDDEN");
  });
});

describe.each(["pglite", "postgres"] as const)("the first admin on %s", (kind) => {
  let t: TestServer;
  let drop: (() => Promise<void>) | undefined;
  beforeAll(async () => {
    if (kind === "postgres") {
      const pg = await createThrowawayDatabase();
      drop = pg.drop;
      t = await startTestServer({ databaseUrl: pg.url });
    } else {
      t = await startTestServer();
    }
  });
  afterAll(async () => {
    await t?.close();
    await drop?.();
  });

  it("is not the first stranger to sign up, only the holder of the operator's setup token", async () => {
    const token = await t.server.platform.auth.pendingSetupToken();
    expect(token).toMatch(/^agpt_setup_/);
    const stranger = await signUp(t.url, `stranger-${kind}@example.com`);
    expect(stranger.user.role).toBe("user");
    expectEnvelope(await stranger.api.get("/api/admin/users"), 403, "FORBIDDEN");

    const guess = await client(t.url).post("/api/auth/signup", {
      email: `guess-${kind}@example.com`,
      password: "a long password",
      setup_token: "agpt_setup_guess",
    });
    expectEnvelope(guess, 403, "FORBIDDEN");

    const operator = await signUp(t.url, `operator-${kind}@example.com`, { setup_token: token });
    expect(operator.user.role).toBe("admin");
    expect((await operator.api.get("/api/admin/users")).status).toBe(200);

    // One admin only: the token is spent, later signups with it are refused and others stay users.
    expect(await t.server.platform.auth.pendingSetupToken()).toBeUndefined();
    const again = await client(t.url).post("/api/auth/signup", {
      email: `again-${kind}@example.com`,
      password: "a long password",
      setup_token: token,
    });
    expectEnvelope(again, 409, "CONFLICT");
    expect((await signUp(t.url)).user.role).toBe("user");
  });
});

describe("the first-admin setup and the command line", () => {
  it("`agentry run` leaves a local user that is not admin and does not take the first-admin setup", async () => {
    const dataDir = freshDataDir();
    try {
      const config = loadConfig({}, { dataDir, logLevel: "warn", port: 0, host: "127.0.0.1" });
      const out = {
        text: "",
        write(s: string) {
          out.text += s;
        },
      };
      expect(await runAgentFile(config, "test/fixtures/calculator-agent.json", { Input: 8 }, out)).toBe(0);
      const t = await startTestServer({ dataDir });
      try {
        const cli = await users.findUserByEmail(t.server.platform.database.db, "cli@localhost");
        expect(cli?.role).toBe("user");
        const token = await t.server.platform.auth.pendingSetupToken();
        expect(token).toBeDefined();
        expect((await adminOf(t)).user.role).toBe("admin");
      } finally {
        await t.close();
      }
    } finally {
      fs.rmSync(dataDir, { recursive: true, force: true });
    }
  });

  it("`agentry serve` hands the setup token to the operator, not to its log output", async () => {
    const dataDir = freshDataDir();
    const child = spawn(process.execPath, [BIN, "serve", "--port", "0", "--host", "127.0.0.1", "--data-dir", dataDir], {
      env: { ...process.env, LOG_LEVEL: "info" },
    });
    let out = "";
    child.stdout.on("data", (d) => (out += d));
    child.stderr.on("data", (d) => (out += d));
    try {
      await new Promise<void>((resolve, reject) => {
        child.stdout.on("data", () => out.includes("setup_token") && resolve());
        child.on("exit", (code) => reject(new Error(`server exited with ${code}: ${out}`)));
      });
      const url = /running at (http:\/\/\S+)/.exec(out)?.[1] as string;
      const file = path.join(dataDir, "setup-token");
      expect(out).toContain(file);
      expect(fs.statSync(file).mode & 0o777).toBe(0o600);
      const token = fs.readFileSync(file, "utf8").trim();
      expect(token).toMatch(/^agpt_setup_/);
      const signup = await client(url).post("/api/auth/signup", {
        email: "op@example.com",
        password: "a long password",
        setup_token: token,
      });
      expect(signup.body.user.role).toBe("admin");
      // stdout (here not a terminal, so possibly a shipped log) never carried the token itself.
      expect(out).not.toContain(token);
    } finally {
      const exited = new Promise((resolve) => child.once("exit", resolve));
      child.kill("SIGTERM");
      await exited;
      fs.rmSync(dataDir, { recursive: true, force: true });
    }
  }, 90_000);
});

describe("sessions: refresh-token reuse ends the whole session", () => {
  let t: TestServer;
  beforeAll(async () => {
    t = await startTestServer();
  });
  afterAll(() => t?.close());

  it("after an old refresh token comes back, the newest refresh token and the access tokens stop working", async () => {
    const u = await signUp(t.url);
    const anon = client(t.url);
    const first = await anon.post("/api/auth/refresh", { refresh_token: u.tokens.refresh_token });
    expect(first.status).toBe(200);
    const second = await anon.post("/api/auth/refresh", { refresh_token: first.body.refresh_token });
    expect(second.status).toBe(200);
    const newest = second.body;
    const asNewest = client(t.url, { authorization: `Bearer ${newest.access_token}` });
    expect((await asNewest.get("/api/auth/user")).status).toBe(200);
    const other = await anon.post("/api/auth/login", { email: u.email, password: u.password });

    // The stolen, already rotated token is replayed.
    expectEnvelope(
      await anon.post("/api/auth/refresh", { refresh_token: first.body.refresh_token }),
      401,
      "UNAUTHORIZED",
    );
    expectEnvelope(await anon.post("/api/auth/refresh", { refresh_token: newest.refresh_token }), 401, "UNAUTHORIZED");
    for (const access of [newest.access_token, first.body.access_token, u.tokens.access_token]) {
      expectEnvelope(
        await client(t.url, { authorization: `Bearer ${access}` }).get("/api/auth/user"),
        401,
        "UNAUTHORIZED",
      );
    }
    // Only that session ended: the user's other session still works.
    const elsewhere = client(t.url, { authorization: `Bearer ${other.body.access_token}` });
    expect((await elsewhere.get("/api/auth/user")).status).toBe(200);
  });

  it("a made-up refresh token naming someone's session does not end it", async () => {
    const u = await signUp(t.url);
    const sid = u.tokens.refresh_token.slice("agpt_rs_".length).split(".")[0];
    const forged = `agpt_rs_${sid}.${randomBytes(16).toString("base64url")}.${randomBytes(32).toString("base64url")}`;
    expect((await client(t.url).post("/api/auth/refresh", { refresh_token: forged })).status).toBe(401);
    expect((await u.api.get("/api/auth/user")).status).toBe(200);
    expect((await client(t.url).post("/api/auth/refresh", { refresh_token: u.tokens.refresh_token })).status).toBe(200);
  });
});

describe("OAuth hardening", () => {
  let t: TestServer;
  let admin: Awaited<ReturnType<typeof signUp>>;
  beforeAll(async () => {
    t = await startTestServer();
    admin = await adminOf(t);
  });
  afterAll(() => t?.close());

  const form = (body: Record<string, string>) =>
    fetch(`${t.url}/api/oauth/token`, {
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded" },
      body: new URLSearchParams(body).toString(),
    });

  it("introspection answers only for the calling client's own tokens", async () => {
    const mine = await registerApp(admin.api);
    const theirs = await registerApp(admin.api);
    const user = await signUp(t.url);
    const tokens = await oauthTokens(t, mine, user.api, "IDENTITY READ_RUN");
    const introspect = (app: { clientId: string; secret: string }, token: string) =>
      client(t.url).post("/api/oauth/introspect", { token, client_id: app.clientId, client_secret: app.secret });
    expect((await introspect(mine, tokens.access_token)).body).toMatchObject({ active: true, sub: user.user.id });
    expect((await introspect(mine, tokens.refresh_token)).body).toMatchObject({ active: true });
    expect((await introspect(theirs, tokens.access_token)).body).toEqual({ active: false });
    expect((await introspect(theirs, tokens.refresh_token)).body).toEqual({ active: false });
  });

  it("a refresh asking for a scope it was not granted is invalid_scope and does not burn the refresh token", async () => {
    const app = await registerApp(admin.api, ["IDENTITY", "READ_RUN", "READ_GRAPH"]);
    const user = await signUp(t.url);
    const tokens = await oauthTokens(t, app, user.api, "IDENTITY READ_RUN");
    const creds = { client_id: app.clientId, client_secret: app.secret, grant_type: "refresh_token" };
    const wider = await form({ ...creds, refresh_token: tokens.refresh_token, scope: "IDENTITY READ_GRAPH" });
    expect(wider.status).toBe(400);
    expect((await wider.json()).error).toBe("invalid_scope");
    const narrower = await form({ ...creds, refresh_token: tokens.refresh_token, scope: "IDENTITY" });
    expect(narrower.status).toBe(200);
    expect((await narrower.json()).scope).toBe("IDENTITY");
  });

  it("answers carrying tokens or secrets are not cacheable", async () => {
    const anon = client(t.url);
    const signup = await anon.post("/api/auth/signup", { email: "nostore@example.com", password: "a long password" });
    const login = await anon.post("/api/auth/login", { email: "nostore@example.com", password: "a long password" });
    const refresh = await anon.post("/api/auth/refresh", { refresh_token: login.body.refresh_token });
    const session = client(t.url, { authorization: `Bearer ${refresh.body.access_token}` });
    const key = await session.post("/api/api-keys", { name: "k", permissions: ["IDENTITY"] });
    const created = await admin.api.post("/api/admin/oauth/apps", {
      name: "Cache test",
      scopes: ["IDENTITY"],
      redirect_uris: [REDIRECT],
    });
    const rotated = await admin.api.post(`/api/admin/oauth/apps/${created.body.application.id}/rotate-secret`);
    for (const res of [signup, login, refresh, key, created, rotated]) {
      expect(res.status).toBeLessThan(300);
      expect(res.headers.get("cache-control")).toBe("no-store");
    }
    const app = { clientId: created.body.application.client_id, secret: rotated.body.client_secret };
    const tokens = await oauthTokens(t, app, session, "IDENTITY");
    const token = await form({
      grant_type: "refresh_token",
      refresh_token: tokens.refresh_token,
      client_id: app.clientId,
      client_secret: app.secret,
    });
    expect(token.status).toBe(200);
    expect(token.headers.get("cache-control")).toBe("no-store");
    expect(token.headers.get("pragma")).toBe("no-cache");
  });

  it("takes the issuer from the configuration, never from the Host header", async () => {
    const metadata = (base: string) =>
      new Promise<any>((resolve, reject) => {
        const req = http.get(
          `${base}/.well-known/oauth-authorization-server`,
          { headers: { host: "evil.example", "x-forwarded-host": "evil.example" } },
          (res) => {
            let text = "";
            res.on("data", (d) => (text += d));
            res.on("end", () => resolve(JSON.parse(text)));
          },
        );
        req.on("error", reject);
      });
    const derived = await metadata(t.url);
    expect(derived.issuer).toBe(t.url);
    expect(derived.token_endpoint).toBe(`${t.url}/api/oauth/token`);
    const pub = await startTestServer({ publicUrl: "https://agentry.example/" });
    try {
      const port = (pub.server.app.server.address() as { port: number }).port;
      const configured = await metadata(`http://127.0.0.1:${port}`);
      expect(configured.issuer).toBe("https://agentry.example");
      expect(JSON.stringify(configured)).not.toContain("evil.example");
    } finally {
      await pub.close();
    }
  });
});

/** Opens /ws with a credential and waits until the server has authenticated it (a heartbeat is answered). */
async function openSocket(t: TestServer, query: string) {
  const ws = new WebSocket(`${t.url.replace("http", "ws")}/ws?${query}`);
  const closed = new Promise<{ code: number; reason: string }>((resolve) =>
    ws.on("close", (code, reason) => resolve({ code, reason: reason.toString() })),
  );
  await new Promise<void>((resolve, reject) => {
    ws.on("error", reject);
    ws.on("open", () => ws.send(JSON.stringify({ method: "heartbeat", data: "ping" })));
    ws.on("message", (raw) => JSON.parse(raw.toString()).method === "heartbeat" && resolve());
  });
  return { ws, closed };
}

describe("WebSocket connections end with their credential", () => {
  let t: TestServer;
  beforeAll(async () => {
    // Periodic re-checks are off here: every close below comes from this process's own revocation.
    t = await startTestServer({ websocket: { revalidateSeconds: 0 } });
  });
  afterAll(() => t?.close());

  it("closes with 1008 when the connection's API key is revoked", async () => {
    const u = await signUp(t.url);
    const key = await createKey(t.url, u.api, ["READ_RUN"]);
    const { closed } = await openSocket(t, `token=${key.key}`);
    const bystander = await openSocket(t, `token=${u.tokens.access_token}`);
    expect((await u.api.delete(`/api/api-keys/${key.info.id}`)).status).toBe(200);
    expect(await closed).toEqual({ code: 1008, reason: "API key revoked" });
    expect(bystander.ws.readyState).toBe(WebSocket.OPEN);
    bystander.ws.close();
  });

  it("closes when the key loses READ_RUN", async () => {
    const u = await signUp(t.url);
    const key = await createKey(t.url, u.api, ["READ_RUN", "IDENTITY"]);
    const { closed } = await openSocket(t, `token=${key.key}`);
    await u.api.put(`/api/api-keys/${key.info.id}/permissions`, { permissions: ["IDENTITY"] });
    expect(await closed).toEqual({ code: 1008, reason: "Missing required scope: READ_RUN" });
  });

  it("closes when its session logs out, or ends because a rotated refresh token was reused", async () => {
    const u = await signUp(t.url);
    const first = await openSocket(t, `token=${u.tokens.access_token}`);
    await u.api.post("/api/auth/logout");
    expect(await first.closed).toEqual({ code: 1008, reason: "Session ended" });

    const v = await signUp(t.url);
    const second = await openSocket(t, `token=${v.tokens.access_token}`);
    const anon = client(t.url);
    expect((await anon.post("/api/auth/refresh", { refresh_token: v.tokens.refresh_token })).status).toBe(200);
    expect((await anon.post("/api/auth/refresh", { refresh_token: v.tokens.refresh_token })).status).toBe(401);
    expect(await second.closed).toEqual({ code: 1008, reason: "Session ended" });
  });

  it("closes when the OAuth grant behind its access token is revoked", async () => {
    const admin = await adminOf(t);
    const app = await registerApp(admin.api);
    const u = await signUp(t.url);
    const tokens = await oauthTokens(t, app, u.api, "READ_RUN");
    const { closed } = await openSocket(t, `token=${tokens.access_token}`);
    const apps = await u.api.get("/api/oauth/authorized-apps");
    expect((await u.api.delete(`/api/oauth/authorized-apps/${apps.body[0].app_id}`)).status).toBe(204);
    expect(await closed).toEqual({ code: 1008, reason: "Access token revoked" });
  });
});

describe("WebSocket connections re-check their credential periodically", () => {
  let t: TestServer;
  beforeAll(async () => {
    t = await startTestServer({ websocket: { revalidateSeconds: 0.05 } });
  });
  afterAll(() => t?.close());

  it("closes when the user is deleted or the key is revoked elsewhere (straight in the database)", async () => {
    const db = t.server.platform.database.db;
    const u = await signUp(t.url);
    const session = await openSocket(t, `token=${u.tokens.access_token}`);
    const v = await signUp(t.url);
    const key = await createKey(t.url, v.api, ["READ_RUN"]);
    const keyed = await openSocket(t, `token=${key.key}`);
    const stays = await openSocket(t, `token=${v.tokens.access_token}`);

    await db.delete(usersTable).where(eq(usersTable.id, u.user.id));
    expect(await session.closed).toEqual({ code: 1008, reason: "Session ended" });
    await db.update(apiKeys).set({ status: "REVOKED" }).where(eq(apiKeys.id, key.info.id));
    expect(await keyed.closed).toEqual({ code: 1008, reason: "API key revoked" });
    // The re-checks passed for a live session several times meanwhile.
    expect(stays.ws.readyState).toBe(WebSocket.OPEN);
    stays.ws.close();
  });
});

/** A JSON client whose connections come from `ip` (any 127.0.0.0/8 address reaches the loopback server). */
function fromIp(base: string, ip: string) {
  return (method: string, url: string, body?: unknown, headers: Record<string, string> = {}) =>
    new Promise<{ status: number; body: any; headers: http.IncomingHttpHeaders }>((resolve, reject) => {
      const payload = body === undefined ? undefined : JSON.stringify(body);
      const req = http.request(
        `${base}${url}`,
        {
          method,
          localAddress: ip,
          headers: { ...(payload ? { "content-type": "application/json" } : {}), ...headers },
        },
        (res) => {
          let text = "";
          res.on("data", (d) => (text += d));
          res.on("end", () =>
            resolve({
              status: res.statusCode as number,
              body: text ? JSON.parse(text) : undefined,
              headers: res.headers,
            }),
          );
        },
      );
      req.on("error", reject);
      req.end(payload);
    });
}

describe("failed authentication is rate limited", () => {
  let t: TestServer;
  beforeAll(async () => {
    // Ten failures in a row, and (practically) none forgiven while the test runs: no timing involved.
    t = await startTestServer({ authThrottle: { enabled: true, maxFailures: 10, refillPerMinute: 0.001 } });
  });
  afterAll(() => t?.close());

  function expectThrottled(res: { status: number; body: any; headers: http.IncomingHttpHeaders }) {
    expect(res.status).toBe(429);
    expect(res.body).toMatchObject({ error: { code: "RATE_LIMITED" } });
    expect(Number(res.headers["retry-after"])).toBeGreaterThan(0);
  }

  it("wrong passwords: after 10 from one IP, even the right password from it gets 429; other IPs are served", async () => {
    const users = await Promise.all([1, 2, 3, 4, 5].map(() => signUp(t.url)));
    const attacker = fromIp(t.url, "127.0.0.2");
    for (let i = 0; i < 10; i++) {
      const email = (users[i % 5] as (typeof users)[number]).email;
      expect((await attacker("POST", "/api/auth/login", { email, password: `guess-${i}-xx` })).status).toBe(401);
    }
    const [u] = users as [(typeof users)[number]];
    expectThrottled(await attacker("POST", "/api/auth/login", { email: u.email, password: u.password }));
    expectThrottled(
      await attacker("GET", "/api/auth/user", undefined, { authorization: `Bearer ${u.tokens.access_token}` }),
    );
    // Two failures per account is far from an account's limit: from elsewhere these users sign in.
    const other = fromIp(t.url, "127.0.0.3");
    expect((await other("POST", "/api/auth/login", { email: u.email, password: u.password })).status).toBe(200);
  });

  it("wrong passwords for one account from many IPs lock that account's password login only", async () => {
    const victim = await signUp(t.url);
    const bystander = await signUp(t.url);
    for (let i = 0; i < 10; i++) {
      const ip = `127.0.1.${i + 1}`;
      const res = await fromIp(t.url, ip)("POST", "/api/auth/login", {
        email: victim.email.toUpperCase(),
        password: "wrong-password",
      });
      expect(res.status).toBe(401);
    }
    const fresh = fromIp(t.url, "127.0.2.1");
    expectThrottled(await fresh("POST", "/api/auth/login", { email: victim.email, password: victim.password }));
    expect(
      (await fresh("POST", "/api/auth/login", { email: bystander.email, password: bystander.password })).status,
    ).toBe(200);
    // The victim's existing session is not affected.
    expect((await victim.api.get("/api/auth/user")).status).toBe(200);
  });

  it("invalid API keys and bearer tokens from one IP", async () => {
    const u = await signUp(t.url);
    const key = await createKey(t.url, u.api, ["IDENTITY"]);
    const attacker = fromIp(t.url, "127.0.0.4");
    for (let i = 0; i < 5; i++) {
      expect((await attacker("GET", "/api/auth/user", undefined, { "x-api-key": `agpt_guess${i}` })).status).toBe(401);
      expect(
        (await attacker("GET", "/api/auth/user", undefined, { authorization: `Bearer agpt_xt_guess${i}` })).status,
      ).toBe(401);
    }
    expectThrottled(await attacker("GET", "/api/auth/user", undefined, { "x-api-key": key.key }));
    expect(
      (await fromIp(t.url, "127.0.0.5")("GET", "/api/auth/user", undefined, { "x-api-key": key.key })).status,
    ).toBe(200);
  });

  it("bad client secrets on the OAuth token endpoint", async () => {
    const admin = await signUp(t.url, undefined, { setup_token: t.server.platform.auth.setupToken });
    const app = await registerApp(admin.api);
    const attacker = fromIp(t.url, "127.0.0.6");
    const token = (secret: string) =>
      attacker("POST", "/api/oauth/token", {
        grant_type: "refresh_token",
        refresh_token: "agpt_rt_x",
        client_id: app.clientId,
        client_secret: secret,
      });
    for (let i = 0; i < 10; i++) {
      const res = await token(`agpt_secret_guess${i}`);
      expect(res.status).toBe(401);
      expect(res.body.error).toBe("invalid_client");
    }
    expectThrottled(await token(app.secret));
    const honest = await fromIp(t.url, "127.0.0.7")("POST", "/api/oauth/token", {
      grant_type: "refresh_token",
      refresh_token: "agpt_rt_x",
      client_id: app.clientId,
      client_secret: app.secret,
    });
    expect(honest.body.error).toBe("invalid_grant");
  });

  it("does not count a request that sent no credentials, or a lapsed session token", async () => {
    const ip = fromIp(t.url, "127.0.0.8");
    for (let i = 0; i < 15; i++) expect((await ip("GET", "/api/auth/user")).status).toBe(401);
    const u = await signUp(t.url);
    expect((await ip("POST", "/api/auth/login", { email: u.email, password: u.password })).status).toBe(200);
  });
});

describe("a stale data-dir lock", () => {
  const startTime = (pid: number) => {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, "utf8");
    return stat.slice(stat.lastIndexOf(")") + 2).split(" ")[19] as string;
  };

  it("whose PID now belongs to an unrelated live process does not block start", async () => {
    const sleeper = spawn("sleep", ["60"]);
    try {
      const pid = sleeper.pid as number;
      const locks = [
        String(pid), // the old format: just a pid, here of a process that is not Agentry
        JSON.stringify({ pid, start_time: "1", instance: "gone" }),
        // A Node process (the test runner's parent), but started at another time than the lock's holder.
        JSON.stringify({ pid: process.ppid, start_time: "1", instance: "gone" }),
      ];
      for (const lock of locks) {
        const dataDir = freshDataDir();
        try {
          fs.writeFileSync(path.join(dataDir, "agentry.lock"), lock);
          const t = await startTestServer({ dataDir });
          try {
            expect((await client(t.url).get("/ready")).body).toMatchObject({ status: "ready" });
            const owner = JSON.parse(fs.readFileSync(path.join(dataDir, "agentry.lock"), "utf8"));
            expect(owner).toMatchObject({ pid: process.pid, start_time: startTime(process.pid) });
          } finally {
            await t.close();
          }
          expect(fs.existsSync(path.join(dataDir, "agentry.lock"))).toBe(false);
        } finally {
          fs.rmSync(dataDir, { recursive: true, force: true });
        }
      }
    } finally {
      sleeper.kill();
    }
  });

  it("still blocks while the process that took it is alive", async () => {
    const dataDir = freshDataDir();
    try {
      const holder = { pid: process.ppid, start_time: startTime(process.ppid), instance: "live" };
      fs.writeFileSync(path.join(dataDir, "agentry.lock"), JSON.stringify(holder));
      const config = loadConfig({}, { dataDir, logLevel: "warn", port: 0, host: "127.0.0.1" });
      await expect(createServer(config)).rejects.toThrow(/in use by another Agentry process/);
    } finally {
      fs.rmSync(dataDir, { recursive: true, force: true });
    }
  });
});
