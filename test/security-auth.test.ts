// Authentication and authorization holes found in review, each tried as an attacker would over real HTTP/WebSocket.
import { createHash, randomBytes } from "node:crypto";
import { spawn } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import { SignJWT } from "jose";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runAgentFile } from "../src/cli/run.js";
import { loadConfig } from "../src/config.js";
import * as users from "../src/infra/db/repos/users.js";
import { type Client, client, createKey, signUp } from "./helpers/client.js";
import { createThrowawayDatabase } from "./helpers/postgres.js";
import { freshDataDir, startTestServer, type TestServer } from "./helpers/server.js";

const BIN = path.resolve("bin/agentry.js");
const REDIRECT = "https://app.example/callback";
const IDP_SECRET = "idp-shared-secret-for-security-tests-0123456789";

const adminOf = (t: TestServer, email?: string) =>
  signUp(t.url, email, { setup_token: t.server.services.auth.setupToken });

/** A third-party app registered by `admin`, and a consent + code exchange for `user`: the app's OAuth tokens. */
async function registerApp(t: TestServer, admin: Client, scopes = ["IDENTITY", "READ_RUN"]) {
  const res = await admin.post("/api/admin/oauth/apps", { name: `app-${randomBytes(3).toString("hex")}`, scopes, redirect_uris: [REDIRECT] });
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
    const app = await registerApp(t, admin.api);
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
    const token = await t.server.services.auth.pendingSetupToken();
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
    expect(await t.server.services.auth.pendingSetupToken()).toBeUndefined();
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
      const out = { text: "", write: (s: string) => void (out.text += s) };
      expect(await runAgentFile(config, "test/fixtures/calculator-agent.json", { Input: 8 }, out)).toBe(0);
      const t = await startTestServer({ dataDir });
      try {
        const cli = await users.findUserByEmail(t.server.services.database.db, "cli@localhost");
        expect(cli?.role).toBe("user");
        const token = await t.server.services.auth.pendingSetupToken();
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
