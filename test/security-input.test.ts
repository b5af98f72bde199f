// Input hardening through the real HTTP surface: credential inputs sealed at rest and never shown, failed queries
// logged without their parameters, SSRF to special-purpose and own addresses refused, slow or malformed requests
// answered in the envelope, a database outage answered 503, and bad input (numbers, nesting, surrogates,
// duplicate ids) answered 4xx on every route.
import { randomBytes } from "node:crypto";
import fs from "node:fs";
import http from "node:http";
import net from "node:net";
import os from "node:os";
import { eq, sql } from "drizzle-orm";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import WebSocket from "ws";
import { scanJson } from "../src/api/input-guards.js";
import { ALL_SCOPES } from "../src/auth/scopes.js";
import { keyId, open, SecretBoxError, seal } from "../src/auth/secret-box.js";
import { isBlockedAddress } from "../src/blocks/http.js";
import { openCredentials } from "../src/engine/credentials.js";
import { Scheduler } from "../src/engine/scheduler.js";
import { agentPresets, graphExecutions, schedules } from "../src/infra/db/schema.js";
import { SqlScheduleStore } from "../src/infra/db/stores/schedule-store.js";
import { type Client, client, createKey, signUp } from "./helpers/client.js";
import { createThrowawayDatabase } from "./helpers/postgres.js";
import { startTestServer, type TestServer } from "./helpers/server.js";

const calculator = JSON.parse(fs.readFileSync(new URL("./fixtures/calculator-agent.json", import.meta.url), "utf8"));
const V2 = "/external-api/v2";
const SEND_WEB_REQUEST = "6595ae1f-b924-42cb-9a41-551a0611c4b4";
const TERMINAL = ["COMPLETED", "FAILED", "TERMINATED"];

const envelope = (code: string) => ({
  error: { code, message: expect.any(String), details: expect.any(Object) },
  detail: expect.anything(),
});

async function importGraph(api: Client, graph: unknown) {
  const res = await api.post("/api/graphs", { graph });
  expect(res.status, JSON.stringify(res.body)).toBe(200);
  return res.body as { id: string; version: number };
}

async function waitForRun(api: Client, graphId: string, execId: string) {
  const deadline = Date.now() + 20_000;
  for (;;) {
    const res = await api.get(`/api/graphs/${graphId}/executions/${execId}`);
    expect(res.status).toBe(200);
    if (TERMINAL.includes(res.body.status)) return res.body;
    if (Date.now() > deadline) throw new Error(`run ${execId} still ${res.body.status}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

/** Sends raw bytes (strings) with pauses (numbers, ms) and resolves with all the server sent once it closed. */
function rawExchange(baseUrl: string, steps: Array<string | number>, limitMs = 15_000): Promise<string> {
  const { port } = new URL(baseUrl);
  return new Promise((resolve, reject) => {
    const socket = net.connect(Number(port), "127.0.0.1");
    let received = "";
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new Error(`the server kept the connection open; got ${JSON.stringify(received)}`));
    }, limitMs);
    socket.on("data", (chunk) => {
      received += chunk;
    });
    socket.on("error", () => {});
    socket.on("close", () => {
      clearTimeout(timer);
      resolve(received);
    });
    void (async () => {
      for (const step of steps) {
        if (socket.destroyed) return;
        if (typeof step === "number") await new Promise((r) => setTimeout(r, step));
        else socket.write(step);
      }
    })();
  });
}

/** Status and JSON body of a raw HTTP/1.1 response. */
function parseRaw(response: string): { status: number; body: any; head: string } {
  const [head, ...rest] = response.split("\r\n\r\n");
  const status = Number(/^HTTP\/1\.1 (\d{3})/.exec(head)?.[1]);
  return { status, head, body: JSON.parse(rest.join("\r\n\r\n")) };
}

describe("secret box", () => {
  const key = randomBytes(32);

  it("round-trips with a fresh IV each time and names its key", () => {
    const a = seal(key, "sk-secret");
    const b = seal(key, "sk-secret");
    expect(a).toMatchObject({ v: 1, kid: keyId(key) });
    expect(keyId(key)).toMatch(/^[0-9a-f]{8}$/);
    expect(Buffer.from(a.iv, "base64")).toHaveLength(12);
    expect(a.iv).not.toBe(b.iv);
    expect(a.ct).not.toBe(b.ct);
    expect(JSON.stringify(a)).not.toContain("sk-secret");
    expect(open(key, a)).toBe("sk-secret");
  });

  it("refuses a tampered box", () => {
    const box = seal(key, "sk-secret");
    const flip = (b64: string) => {
      const bytes = Buffer.from(b64, "base64");
      bytes[0] ^= 1;
      return bytes.toString("base64");
    };
    for (const tampered of [
      { ...box, ct: flip(box.ct) },
      { ...box, tag: flip(box.tag) },
      { ...box, iv: flip(box.iv) },
    ]) {
      expect(() => open(key, tampered)).toThrow(SecretBoxError);
    }
  });

  it("names the missing key when sealed with another, and opens with a retired key on the ring", () => {
    const old = randomBytes(32);
    const box = seal(old, "sk-secret");
    expect(() => open(key, box)).toThrow(new RegExp(`sealed with key ${keyId(old)}.*ENCRYPTION_KEY is ${keyId(key)}`));
    expect(open([key, old], box)).toBe("sk-secret");
  });
});

describe("credential inputs at rest", () => {
  const SECRET = `sk-live-${randomBytes(12).toString("hex")}`;
  const credentials = {
    openai_credentials: { id: "cred-1", provider: "openai", type: "api_key", title: "My key", api_key: SECRET },
  };
  const meta = { openai_credentials: { id: "cred-1", provider: "openai", type: "api_key", title: "My key" } };
  let t: TestServer;
  let alice: Awaited<ReturnType<typeof signUp>>;
  let graph: { id: string; version: number };
  let key: Client;
  beforeAll(async () => {
    t = await startTestServer();
    alice = await signUp(t.url);
    graph = await importGraph(alice.api, calculator);
    key = (await createKey(t.url, alice.api, [...ALL_SCOPES])).api;
  });
  afterAll(() => t?.close());

  const db = () => t.server.platform.database.db;
  const runRow = async (id: string) =>
    (await db().select().from(graphExecutions).where(eq(graphExecutions.id, id)))[0] as { credentialInputs: unknown };
  const expectSealed = (stored: unknown) => {
    expect(JSON.stringify(stored)).not.toContain(SECRET);
    expect(stored).toMatchObject({ v: 1, kid: keyId(t.server.platform.encryptionKey), iv: expect.any(String) });
  };

  it("stores a run's credential inputs sealed and shows only their metadata in responses, events and logs", async () => {
    const ws = new WebSocket(`${t.url.replace("http", "ws")}/ws?token=${alice.tokens.access_token}`);
    const frames: string[] = [];
    ws.on("message", (raw) => frames.push(raw.toString()));
    await new Promise((resolve) => ws.once("open", resolve));
    ws.send(JSON.stringify({ method: "subscribe_graph_executions", data: { graph_id: graph.id } }));
    const deadline = Date.now() + 10_000;
    while (!frames.some((f) => f.includes('"subscribe_graph_executions"')) && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 10));
    }

    const started = await alice.api.post(`/api/graphs/${graph.id}/execute/${graph.version}`, {
      inputs: { Input: 8 },
      credentials_inputs: credentials,
    });
    expect(started.status, JSON.stringify(started.body)).toBe(200);
    expect(started.body.credential_inputs).toEqual(meta);
    const done = await waitForRun(alice.api, graph.id, started.body.id);
    expect(done.status).toBe("COMPLETED");
    expect(done.credential_inputs).toEqual(meta);
    while (!frames.some((f) => f.includes('"COMPLETED"')) && Date.now() < deadline + 10_000) {
      await new Promise((r) => setTimeout(r, 10));
    }
    ws.close();

    const row = await runRow(started.body.id);
    expectSealed(row.credentialInputs);
    // The engine can open them.
    expect(openCredentials(t.server.platform.encryptionKey, row.credentialInputs)).toEqual(credentials);

    const list = await alice.api.get("/api/executions");
    const v2 = await key.get(`${V2}/runs/${started.body.id}`);
    expect(v2.status).toBe(200);
    expect(v2.body.credentials_inputs).toEqual(meta);
    const events = frames.filter((f) => f.includes('"graph_execution_event"'));
    expect(events.length).toBeGreaterThan(0);
    expect(JSON.parse(events[events.length - 1]).data.credential_inputs).toEqual(meta);
    for (const seen of [
      JSON.stringify(started.body),
      JSON.stringify(done),
      JSON.stringify(list.body),
      JSON.stringify(v2.body),
      ...frames,
      ...t.logs,
    ]) {
      expect(seen).not.toContain(SECRET);
    }
  });

  it("stores preset credentials sealed, and a preset's run gets them merged with the request's", async () => {
    const created = await key.post(`${V2}/library/presets`, {
      graph_id: graph.id,
      graph_version: graph.version,
      name: "with credentials",
      inputs: { Input: 1 },
      credentials_inputs: credentials,
    });
    expect(created.status, JSON.stringify(created.body)).toBe(201);
    const [preset] = await db().select().from(agentPresets).where(eq(agentPresets.id, created.body.id));
    expectSealed(preset?.credentials);

    const extra = {
      github_credentials: { id: "cred-2", provider: "github", type: "api_key", api_key: `${SECRET}-gh` },
    };
    const run = await key.post(`${V2}/library/presets/${created.body.id}/runs`, { credentials_inputs: extra });
    expect(run.status, JSON.stringify(run.body)).toBe(202);
    expect(run.body.credentials_inputs).toEqual({
      ...meta,
      github_credentials: { id: "cred-2", provider: "github", type: "api_key", title: null },
    });
    const row = await runRow(run.body.id);
    expectSealed(row.credentialInputs);
    expect(openCredentials(t.server.platform.encryptionKey, row.credentialInputs)).toEqual({
      ...credentials,
      ...extra,
    });

    const patched = await key.request("PATCH", `${V2}/library/presets/${created.body.id}`, {
      credentials_inputs: { ...credentials, note: { secret: SECRET } },
    });
    expect(patched.status).toBe(200);
    const [updated] = await db().select().from(agentPresets).where(eq(agentPresets.id, created.body.id));
    expectSealed(updated?.credentials);
    for (const seen of [created.body, run.body, patched.body, (await key.get(`${V2}/library/presets`)).body]) {
      expect(JSON.stringify(seen)).not.toContain(SECRET);
    }
    await waitForRun(alice.api, graph.id, run.body.id);
    expect(t.logs.join("\n")).not.toContain(SECRET);
  });

  it("stores schedule credentials sealed, and the scheduled run gets them", async () => {
    const created = await key.post(`${V2}/schedules`, {
      graph_id: graph.id,
      name: "yearly",
      cron: "0 0 1 1 *",
      timezone: "UTC",
      inputs: { Input: 2 },
      credentials_inputs: credentials,
    });
    expect(created.status, JSON.stringify(created.body)).toBe(201);
    expect(JSON.stringify(created.body)).not.toContain(SECRET);
    const [schedule] = await db().select().from(schedules).where(eq(schedules.id, created.body.id));
    expectSealed(schedule?.credentials);

    const { database, encryptionKey } = t.server.platform;
    const silent = { info() {}, warn() {}, error() {} };
    const due = new Date(created.body.next_run_time);
    const scheduler = new Scheduler({
      schedules: new SqlScheduleStore(database.db),
      runs: t.server.platform.runs,
      log: silent,
      encryptionKey,
      now: () => new Date(due.getTime() + 1000),
    });
    expect(await scheduler.tick()).toBe(1);
    const runs = await db().select().from(graphExecutions).where(eq(graphExecutions.graphId, graph.id));
    const scheduled = runs.find((r) => (r.inputs as { Input?: number }).Input === 2);
    expect(scheduled).toBeDefined();
    expectSealed(scheduled?.credentialInputs);
    expect(openCredentials(encryptionKey, scheduled?.credentialInputs)).toEqual(credentials);
    await waitForRun(alice.api, graph.id, scheduled?.id as string);
  });
});

describe("failed queries in logs", () => {
  const SECRET = `sk-param-${randomBytes(12).toString("hex")}`;
  let t: TestServer;
  beforeAll(async () => {
    t = await startTestServer(
      {},
      {
        plugins: [
          (app) => {
            const { db } = app.platform.database;
            // A fault (no such table) and a bad value (not an integer), both with a secret as query parameter.
            app.get("/test/db-fault", async () => db.execute(sql`select * from no_such_table where x = ${SECRET}`));
            app.get("/test/db-bad-value", async () => db.execute(sql`select ${SECRET}::integer`));
          },
        ],
      },
    );
  });
  afterAll(() => t?.close());

  it("logs a summary without the query's parameters or quoted values", async () => {
    const fault = await client(t.url).get("/test/db-fault");
    expect(fault.status).toBe(500);
    expect(fault.body).toEqual(envelope("INTERNAL_ERROR"));
    const bad = await client(t.url).get("/test/db-bad-value");
    expect(bad.status).toBe(400);
    expect(bad.body).toEqual(envelope("BAD_REQUEST"));

    const logs = t.logs.join("\n");
    expect(logs).not.toContain(SECRET);
    expect(logs).not.toContain("no_such_table where");
    const failed = t.logs.map((l) => JSON.parse(l)).find((l) => l.msg === "request failed");
    expect(failed?.err).toMatchObject({ type: "DatabaseError", code: "42P01" });
  });
});

describe("outgoing requests (SSRF)", () => {
  it("classifies special-purpose, multicast and own addresses as blocked, public ones as reachable", () => {
    const own = new Set(["8.8.4.4", "2a00:1450:4001:80b::200e"]);
    const blocked = [
      "0.1.2.3",
      "100.64.0.1",
      "100.127.255.254",
      "192.0.0.8",
      "192.0.2.55",
      "198.18.0.1",
      "198.19.255.255",
      "198.51.100.7",
      "203.0.113.9",
      "240.0.0.1",
      "255.255.255.255",
      "224.0.0.251",
      "239.255.255.250",
      "192.88.99.1",
      "::",
      "::1",
      "::ffff:127.0.0.1",
      "::ffff:203.0.113.9",
      "::ffff:0:10.1.2.3",
      "64:ff9b::a9fe:a9fe", // NAT64 of 169.254.169.254
      "64:ff9b::192.0.2.1",
      "64:ff9b:1::808:808", // local-use NAT64, whatever it embeds
      "100::1",
      "2001::1", // Teredo
      "2001:20::1", // ORCHIDv2
      "2001:db8::1",
      "2002:7f00:1::", // 6to4 of 127.0.0.1
      "2002:c000:0201::1", // 6to4 of 192.0.2.1
      "3fff::1",
      "fc00::1",
      "fd12:3456::1",
      "fe80::1",
      "fe80::1%eth0",
      "ff02::1",
      "[::1]",
      "8.8.4.4", // this host's own public address
      "2a00:1450:4001:80b:0:0:0:200e",
      "::ffff:8.8.4.4",
      "not-an-ip",
    ];
    const reachable = [
      "8.8.8.8",
      "1.1.1.1",
      "100.128.0.1",
      "172.32.0.1",
      "198.20.0.1",
      "203.0.114.1",
      "223.255.255.255",
      "2606:4700:4700::1111",
      "::ffff:8.8.8.8",
      "64:ff9b::808:808", // NAT64 of 8.8.8.8
      "2002:808:808::1", // 6to4 of 8.8.8.8
      "2001:4860:4860::8888",
    ];
    expect(blocked.filter((ip) => !isBlockedAddress(ip, own))).toEqual([]);
    expect(reachable.filter((ip) => isBlockedAddress(ip, own))).toEqual([]);
  });

  describe("through a run", () => {
    let t: TestServer;
    let alice: Awaited<ReturnType<typeof signUp>>;
    let target: http.Server;
    let port: number;
    const ownAddress = Object.values(os.networkInterfaces())
      .flat()
      .find((i) => i && !i.internal && i.family === "IPv4")?.address;
    const forbidden = () => (ownAddress ? `http://${ownAddress}:${port}/` : `http://[2002:7f00:1::]:${port}/`);
    beforeAll(async () => {
      // Listens on every interface: a request to this host's own address would reach it.
      target = http.createServer((req, res) => {
        if (req.url === "/redirect") res.writeHead(302, { location: forbidden() });
        res.end("reached");
      });
      await new Promise<void>((resolve) => target.listen(0, "0.0.0.0", resolve));
      port = (target.address() as net.AddressInfo).port;
      // The operator allows the loopback target itself; where it redirects to is checked again.
      t = await startTestServer({ executor: { nodeTimeoutSeconds: 10 }, httpAllowList: [`127.0.0.1:${port}`] });
      alice = await signUp(t.url);
    });
    afterAll(async () => {
      await new Promise((resolve) => target?.close(resolve));
      await t?.close();
    });

    for (const [label, url] of [
      ...(ownAddress ? [[`this host's ${ownAddress}`, () => `http://${ownAddress}:${port}/`] as const] : []),
      ["6to4 of 127.0.0.1", () => `http://[2002:7f00:1::]:${port}/`] as const,
      [
        "a redirect from an allow-listed host to this host's address",
        () => `http://127.0.0.1:${port}/redirect`,
      ] as const,
    ]) {
      it(`SendWebRequestBlock fails with the block's error for ${label}`, async () => {
        const g = await importGraph(alice.api, {
          name: "ssrf",
          nodes: [{ id: "req", block_id: SEND_WEB_REQUEST, input_default: { url: url(), method: "GET" } }],
          links: [],
        });
        const started = await alice.api.post(`/api/graphs/${g.id}/execute/${g.version}`, { inputs: {} });
        expect(started.status, JSON.stringify(started.body)).toBe(200);
        const done = await waitForRun(alice.api, g.id, started.body.id);
        const outputs = done.node_executions[0].output_data;
        expect(outputs.response).toBeUndefined();
        expect(String(outputs.error?.[0])).toMatch(/is blocked/);
      });
    }
  });
});

describe("slow and malformed requests", () => {
  let t: TestServer;
  beforeAll(async () => {
    t = await startTestServer({ http: { headersTimeoutMs: 300, requestTimeoutMs: 600 } });
  });
  afterAll(() => t?.close());

  it("answers 408 in the envelope and closes when headers trickle in (slowloris)", async () => {
    const trickle: Array<string | number> = ["GET /health HTTP/1.1\r\nHost: x\r\n"];
    for (let i = 0; i < 100; i++) trickle.push(100, `X-Slow-${i}: 1\r\n`);
    const res = parseRaw(await rawExchange(t.url, trickle));
    expect(res.status).toBe(408);
    expect(res.body).toEqual(envelope("REQUEST_TIMEOUT"));
  });

  it("answers 408 and closes when a body is never finished", async () => {
    const start =
      "POST /api/auth/login HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{";
    const res = parseRaw(await rawExchange(t.url, [start, 10_000]));
    expect(res.status).toBe(408);
    expect(res.body).toEqual(envelope("REQUEST_TIMEOUT"));
  });

  it("closes a connection that never sends anything", async () => {
    const res = parseRaw(await rawExchange(t.url, [10_000]));
    expect(res.status).toBe(408);
  });

  it("answers 431 for headers too large, 414 for a too long path segment, 400 for what the parser refuses", async () => {
    const big = parseRaw(
      await rawExchange(t.url, [`GET /health HTTP/1.1\r\nHost: x\r\nX-Big: ${"a".repeat(20_000)}\r\n\r\n`]),
    );
    expect(big.status).toBe(431);
    expect(big.body).toEqual(envelope("HEADERS_TOO_LARGE"));
    const longUrl = parseRaw(await rawExchange(t.url, [`GET /${"a".repeat(20_000)} HTTP/1.1\r\nHost: x\r\n\r\n`]));
    expect(longUrl.status).toBe(431);
    const segment = parseRaw(
      await rawExchange(t.url, [`GET /api/graphs/${"a".repeat(600)} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n`]),
    );
    expect(segment.status).toBe(414);
    expect(segment.body).toEqual(envelope("URI_TOO_LONG"));
    for (const malformed of [
      "GET / HTTP/1.1\r\nHost: x\r\nBad Header: y\r\n\r\n",
      "\u0000\u0001garbage\r\n\r\n",
      "GET / HTTP/1.1\r\nHost: x\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n",
      "GET / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n",
    ]) {
      const res = parseRaw(await rawExchange(t.url, [malformed]));
      expect(res.status, JSON.stringify(malformed)).toBe(400);
      expect(res.body).toEqual(envelope("BAD_REQUEST"));
    }
    const badEncoding = parseRaw(
      await rawExchange(t.url, ["GET /api/graphs/%zz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"]),
    );
    expect(badEncoding.status).toBe(400);
    expect(badEncoding.body).toEqual(envelope("BAD_REQUEST"));
    // The server still answers normally.
    expect((await client(t.url).get("/health")).status).toBe(200);
  });
});

describe("database outage (PostgreSQL)", () => {
  let t: TestServer;
  let database: Awaited<ReturnType<typeof createThrowawayDatabase>>;
  let admin: pg.Client;
  let name: string;
  beforeAll(async () => {
    database = await createThrowawayDatabase();
    name = new URL(database.url).pathname.slice(1);
    t = await startTestServer({ databaseUrl: database.url });
    const adminUrl = new URL(database.url);
    adminUrl.pathname = "/postgres";
    admin = new pg.Client({ connectionString: adminUrl.toString() });
    await admin.connect();
  });
  afterAll(async () => {
    await admin?.query(`alter database ${name} allow_connections true`).catch(() => {});
    await t?.close();
    await admin?.end();
    await database?.drop();
  });

  it("answers 503 SERVICE_UNAVAILABLE while the database refuses connections, and recovers", async () => {
    const alice = await signUp(t.url);
    const key = (await createKey(t.url, alice.api, ["READ_GRAPH"])).api;
    expect((await alice.api.get("/api/graphs")).status).toBe(200);

    await admin.query(`alter database ${name} allow_connections false`);
    await admin.query("select pg_terminate_backend(pid) from pg_stat_activity where datname = $1", [name]);

    const read = await alice.api.get("/api/graphs");
    expect(read.status, JSON.stringify(read.body)).toBe(503);
    expect(read.body).toEqual(envelope("SERVICE_UNAVAILABLE"));
    const v2 = await key.get(`${V2}/graphs`);
    expect(v2.status).toBe(503);
    expect(v2.body.error.code).toBe("service_unavailable");
    const ready = await client(t.url).get("/ready");
    expect(ready.status).toBe(503);
    expect(ready.body).toEqual(envelope("SERVICE_UNAVAILABLE"));
    expect((await client(t.url).get("/health")).status).toBe(200);

    await admin.query(`alter database ${name} allow_connections true`);
    expect((await alice.api.get("/api/graphs")).status).toBe(200);
    expect((await client(t.url).get("/ready")).status).toBe(200);
  });
});

describe("database outage (PGlite)", () => {
  let t: TestServer;
  beforeAll(async () => {
    t = await startTestServer();
  });
  afterAll(async () => {
    // The database is already closed, which the server's own close then reports.
    await t?.close().catch(() => fs.rmSync(t.dataDir, { recursive: true, force: true }));
  });

  it("answers 503 once the embedded database is closed", async () => {
    const alice = await signUp(t.url);
    await t.server.platform.database.close();
    const read = await alice.api.get("/api/graphs");
    expect(read.status).toBe(503);
    expect(read.body).toEqual(envelope("SERVICE_UNAVAILABLE"));
    expect((await client(t.url).get("/ready")).status).toBe(503);
  });
});

describe("bad input gets 4xx, never 500", () => {
  let t: TestServer;
  let alice: Awaited<ReturnType<typeof signUp>>;
  let key: Client;
  let graph: { id: string; version: number };
  let runId: string;
  beforeAll(async () => {
    t = await startTestServer();
    alice = await signUp(t.url);
    key = (await createKey(t.url, alice.api, [...ALL_SCOPES])).api;
    graph = await importGraph(alice.api, calculator);
    const run = await alice.api.post(`/api/graphs/${graph.id}/execute/${graph.version}`, { inputs: { Input: 1 } });
    runId = run.body.id;
    await waitForRun(alice.api, graph.id, runId);
  });
  afterAll(() => t?.close());

  const cursor = (payload: string) => Buffer.from(payload).toString("base64url");
  const BAD = [
    "99999999999999999999",
    "1e309",
    "-1e309",
    "2147483648",
    "-9007199254740993",
    "-1",
    "0",
    "1.5",
    "NaN",
    "0x10",
    "%ED%A0%80", // a UTF-16 surrogate encoded as UTF-8 (CESU): not valid UTF-8
    "%00",
    "a".repeat(600),
    "!!!",
    cursor('{"p":1e20}'),
    cursor('{"p":-1}'),
    cursor('{"p":"x"}'),
    cursor("[]"),
  ];

  it("answers every GET route with bad path and query values without a 5xx", { timeout: 240_000 }, async () => {
    const doc = t.server.app.swagger() as {
      paths: Record<string, Record<string, { parameters?: Array<{ name: string; in: string }> }>>;
    };
    const good = (param: string) =>
      /exec|run/.test(param) ? runId : /version/.test(param) ? "1" : /^(id|graph_id)$/.test(param) ? graph.id : "x";
    const requests: string[] = [];
    for (const [path, methods] of Object.entries(doc.paths)) {
      const get = methods.get;
      if (!get || path.startsWith("/docs") || path === "/ws") continue;
      const pathParams = [...path.matchAll(/\{([^}]+)\}/g)].map((m) => m[1]);
      const query = (get.parameters ?? []).filter((p) => p.in === "query").map((p) => p.name);
      const fill = (bad?: [string, string]) =>
        path.replace(/\{([^}]+)\}/g, (_, p: string) => (bad && bad[0] === p ? bad[1] : good(p)));
      for (const value of BAD) {
        for (const p of pathParams) requests.push(fill([p, value]));
        for (const q of query) requests.push(`${fill()}?${q}=${value}`);
      }
    }
    expect(requests.length).toBeGreaterThan(500);
    const failures: string[] = [];
    const queue = [...requests];
    await Promise.all(
      Array.from({ length: 6 }, async () => {
        for (let url = queue.shift(); url !== undefined; url = queue.shift()) {
          const api = url.startsWith("/external-api") ? key : alice.api;
          const res = await api.get(url);
          if (res.status >= 500) failures.push(`${res.status} GET ${url.slice(0, 160)} ${JSON.stringify(res.body)}`);
        }
      }),
    );
    expect(failures).toEqual([]);
  });

  it("refuses huge version and page numbers with 4xx naming the field", async () => {
    const version = await alice.api.get(`/api/graphs/${graph.id}/versions/99999999999999999999`);
    expect(version.status).toBe(422);
    expect(version.body.error.details.errors[0].field).toBe("params.version");
    expect((await alice.api.get(`/api/graphs/${graph.id}/versions/2147483648`)).status).toBe(400);
    const page = await alice.api.get("/api/executions?page=1e309");
    expect(page.status).toBe(422);
    expect(page.body.error.details.errors[0].field).toBe("querystring.page");
    expect((await alice.api.get("/api/executions?page_size=-1")).status).toBe(422);
    const v2 = await key.get(`${V2}/graphs?cursor=${cursor('{"p":1e20}')}`);
    expect(v2.status).toBeGreaterThanOrEqual(400);
    expect(v2.status).toBeLessThan(500);
    // In a body: an integer the database cannot hold.
    const preset = await key.post(`${V2}/library/presets`, {
      graph_id: graph.id,
      graph_version: 1e20,
      name: "huge",
    });
    expect(preset.status).toBeGreaterThanOrEqual(400);
    expect(preset.status).toBeLessThan(500);
  });

  it("refuses JSON nested thousands deep with 400 before anything walks it", async () => {
    for (const body of [
      "[".repeat(10_000) + "]".repeat(10_000),
      `{"graph": {"name": "deep", "nodes": [{"id": "n", "block_id": "x", "input_default": {"a": ${"[".repeat(10_000)}${"]".repeat(10_000)}}}], "links": []}}`,
      `{"inputs": ${'{"a":'.repeat(5000)}1${"}".repeat(5000)}}`,
    ]) {
      const res = await alice.api.request("POST", "/api/graphs", body, { "content-type": "application/json" });
      expect(res.status).toBe(400);
      expect(res.body).toEqual(envelope("BAD_REQUEST"));
    }
    // Brackets inside strings are text, and ordinary nesting passes.
    const text = await alice.api.post(`/api/graphs/${graph.id}/execute/${graph.version}`, {
      inputs: { Input: 1, note: "[".repeat(10_000) },
    });
    expect(text.status).not.toBe(400);
  });

  it("refuses unpaired surrogates in JSON strings with 400 naming the field; paired ones pass", async () => {
    const lone = await alice.api.request(
      "POST",
      `/api/graphs/${graph.id}/execute/${graph.version}`,
      '{"inputs": {"Input": 1, "note": "a\\ud800b"}}',
      { "content-type": "application/json" },
    );
    expect(lone.status).toBe(400);
    expect(lone.body).toEqual(envelope("BAD_REQUEST"));
    expect(lone.body.error.details.field).toBe("body.inputs.note");
    const inName = await alice.api.request(
      "POST",
      "/api/graphs",
      '{"graph": {"name": "x\\udc00", "nodes": [], "links": []}}',
      { "content-type": "application/json" },
    );
    expect(inName.status).toBe(400);
    const inKey = await alice.api.request(
      "POST",
      `/api/graphs/${graph.id}/execute/${graph.version}`,
      '{"inputs": {"Input": 1, "\\ud800": 1}}',
      { "content-type": "application/json" },
    );
    expect(inKey.status).toBe(400);
    const paired = await alice.api.request(
      "POST",
      "/api/graphs",
      '{"graph": {"name": "emoji \\ud83d\\ude00", "nodes": [], "links": []}}',
      { "content-type": "application/json" },
    );
    expect(paired.status).toBe(200);
    expect(paired.body.name).toBe("emoji 😀");
    // An escaped backslash before "ud800" is text, not an escape.
    const literal = await alice.api.request(
      "POST",
      "/api/graphs",
      '{"graph": {"name": "\\\\ud800", "nodes": [], "links": []}}',
      { "content-type": "application/json" },
    );
    expect(literal.status).toBe(200);
    expect(literal.body.name).toBe("\\ud800");
  });

  it("scans JSON depth and surrogate escapes in one pass, ignoring strings", () => {
    expect(scanJson('{"a": [1, {"b": "[[[{{{"}]}')).toEqual({ depth: 3, loneSurrogate: false });
    expect(scanJson('["\\ud83d\\ude00", "\\\\ud800", "\\"[\\""]')).toEqual({ depth: 1, loneSurrogate: false });
    expect(scanJson('["\\ud83d"]').loneSurrogate).toBe(true);
    expect(scanJson('["\\ude00\\ud83d"]').loneSurrogate).toBe(true);
    expect(scanJson('{"\\udfff": 1}').loneSurrogate).toBe(true);
    expect(scanJson("[".repeat(1000), 128).depth).toBe(129);
  });

  it("refuses duplicate node ids and duplicate link ids with 422 naming them", async () => {
    const dupNodes = structuredClone(calculator);
    const repeated = dupNodes.nodes[0].id;
    dupNodes.nodes[1].id = repeated;
    const nodes = await alice.api.post("/api/graphs", { graph: dupNodes });
    expect(nodes.status).toBe(422);
    expect(nodes.body.error.message).toContain(repeated);
    expect(nodes.body.error.details.errors).toEqual([
      expect.objectContaining({
        node_id: repeated,
        field: "id",
        message: expect.stringContaining("Duplicate node id"),
      }),
    ]);

    const dupLinks = structuredClone(calculator);
    const link = dupLinks.links[0].id;
    dupLinks.links[1].id = link;
    const links = await alice.api.post("/api/graphs", { graph: dupLinks });
    expect(links.status).toBe(422);
    expect(links.body.error.details.errors).toEqual([
      expect.objectContaining({ link_id: link, field: "id", message: expect.stringContaining("Duplicate link id") }),
    ]);

    const v2 = await key.post(`${V2}/graphs`, dupNodes);
    expect(v2.status).toBe(422);
    expect(JSON.stringify(v2.body)).toContain(repeated);
    const put = await alice.api.put(`/api/graphs/${graph.id}`, { ...dupNodes, id: graph.id });
    expect(put.status).toBe(422);
  });
});
