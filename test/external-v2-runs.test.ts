// External API v2, part A, through real HTTP with API keys: identity, blocks, graphs, runs (started through the
// library, with and without Idempotency-Key) and schedules, each route with its scope, other users' items 404;
// and the scheduler firing a schedule's tick once with an injected clock.
import fs from "node:fs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Scheduler } from "../src/engine/scheduler.js";
import { SqlScheduleStore } from "../src/infra/db/stores/schedule-store.js";
import { type Client, createKey, signUp } from "./helpers/client.js";
import { startTestServer, type TestServer } from "./helpers/server.js";

const V2 = "/external-api/v2";
const INPUT = "c0a8e994-ebf1-4a9c-a4d8-89d09c86741b";
const OUTPUT = "363ae599-353e-4804-937e-b2ee3cef3da4";
const CALCULATOR = "b1ab9b19-67a6-406d-abf5-2dba76d00c79";
const COUNTDOWN = "d67a9c52-5e4e-11e2-bcfd-0800200c9a71";
const calculator = JSON.parse(fs.readFileSync(new URL("./fixtures/calculator-agent.json", import.meta.url), "utf8"));
const TERMINAL = ["COMPLETED", "FAILED", "TERMINATED"];
/** Fires on January 1st only: the server's own clock never reaches a tick while the tests run. */
const YEARLY = "0 0 1 1 *";

type Session = Awaited<ReturnType<typeof signUp>>;
type Graph = { id: string; version: number; nodes: Array<{ id: string }> };

function expectError(res: { status: number; body: any }, status: number, code: string) {
  expect(res.status, JSON.stringify(res.body)).toBe(status);
  expect(res.body.error.code).toBe(code);
  expect(typeof res.body.error.message).toBe("string");
}

/** A v2 graph body: nodes and links as GraphCreateRequest has them. */
function slowGraph(name: string) {
  return {
    name,
    nodes: [
      { id: "in", block_id: INPUT, input_default: { name: "message" } },
      { id: "wait", block_id: COUNTDOWN, input_default: { seconds: 30 } },
      { id: "out", block_id: OUTPUT, input_default: { name: "done" } },
    ],
    links: [
      { id: "l1", source_id: "in", source_name: "result", sink_id: "wait", sink_name: "input_message" },
      { id: "l2", source_id: "wait", source_name: "output_message", sink_id: "out", sink_name: "value" },
    ],
  };
}

describe("External API v2: identity, blocks, graphs, runs, schedules", () => {
  let t: TestServer;
  let alice: Session;
  let bob: Session;
  let all: Client;
  let bobAll: Client;
  let calc: Graph;
  let agentId: string;
  const keys: Record<string, Client> = {};

  async function createGraph(api: Client, body: unknown): Promise<Graph> {
    const res = await api.post(`${V2}/graphs`, body);
    expect(res.status, JSON.stringify(res.body)).toBe(201);
    return res.body;
  }

  async function waitForRun(runId: string, statuses = TERMINAL) {
    const deadline = Date.now() + 20_000;
    for (;;) {
      const res = await all.get(`${V2}/runs/${runId}`);
      expect(res.status, JSON.stringify(res.body)).toBe(200);
      if (statuses.includes(res.body.status)) return res.body;
      if (Date.now() > deadline) throw new Error(`run ${runId} still ${res.body.status}`);
      await new Promise((r) => setTimeout(r, 25));
    }
  }

  async function agentOf(graphId: string): Promise<string> {
    const res = await all.get(`${V2}/graphs/${graphId}/library-agent`);
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    return res.body.id;
  }

  async function runsOf(graphId: string) {
    const res = await all.get(`${V2}/runs?graph_id=${graphId}&limit=100`);
    expect(res.status).toBe(200);
    return res.body.items as Array<{ id: string; status: string; inputs: Record<string, unknown> }>;
  }

  beforeAll(async () => {
    t = await startTestServer({ executor: { nodeTimeoutSeconds: 5 } });
    alice = await signUp(t.url);
    bob = await signUp(t.url);
    const scopes = [
      "IDENTITY",
      "READ_GRAPH",
      "WRITE_GRAPH",
      "READ_BLOCK",
      "READ_LIBRARY",
      "READ_INTEGRATIONS",
      "READ_STORE",
      "RUN_AGENT",
      "READ_RUN",
      "WRITE_RUN",
      "READ_RUN_REVIEW",
      "WRITE_RUN_REVIEW",
      "READ_SCHEDULE",
      "WRITE_SCHEDULE",
      "UPLOAD_FILES",
    ];
    for (const scope of scopes) keys[scope] = (await createKey(t.url, alice.api, [scope], scope)).api;
    keys["WRITE_SCHEDULE+RUN_AGENT"] = (await createKey(t.url, alice.api, ["WRITE_SCHEDULE", "RUN_AGENT"])).api;
    all = (await createKey(t.url, alice.api, scopes, "all")).api;
    bobAll = (await createKey(t.url, bob.api, scopes, "bob all")).api;
    calc = await createGraph(all, calculator);
    agentId = await agentOf(calc.id);
  });
  afterAll(() => t?.close());

  it("answers /me with the caller's identity, scopes and credential type", async () => {
    const me = await keys.IDENTITY?.get(`${V2}/me`);
    expect(me?.status).toBe(200);
    expect(me?.body).toMatchObject({
      user_id: alice.user.id,
      email: alice.email,
      timezone: "not-set",
      organization: { id: alice.user.id, is_personal: true },
      team: null,
      scopes: ["IDENTITY"],
      credential_type: "api_key",
    });
    expectError(await keys.READ_GRAPH!.get(`${V2}/me`), 403, "forbidden");
  });

  it("lists blocks with v2's BlockInfo in pages", async () => {
    const first = await keys.READ_BLOCK!.get(`${V2}/blocks?limit=5`);
    expect(first.status).toBe(200);
    expect(first.body.items).toHaveLength(5);
    expect(first.body.total_count).toBeGreaterThan(5);
    expect(typeof first.body.next_cursor).toBe("string");
    const all: any[] = [];
    let cursor: string | null = null;
    do {
      const res: any = await keys.READ_BLOCK!.get(`${V2}/blocks?limit=40${cursor ? `&cursor=${cursor}` : ""}`);
      expect(res.status).toBe(200);
      all.push(...res.body.items);
      cursor = res.body.next_cursor;
    } while (cursor);
    expect(all).toHaveLength(first.body.total_count);
    const calcBlock = all.find((b) => b.id === CALCULATOR);
    expect(Object.keys(calcBlock).sort()).toEqual(
      [
        "id",
        "name",
        "description",
        "categories",
        "contributors",
        "input_schema",
        "output_schema",
        "static_output",
        "block_type",
        "costs",
      ].sort(),
    );
    expect(calcBlock).toMatchObject({ name: "CalculatorBlock", block_type: "STANDARD", static_output: false });
    expect(all.find((b) => b.id === INPUT).block_type).toBe("INPUT");
    expectError(await keys.READ_BLOCK!.get(`${V2}/blocks?cursor=%%%`), 400, "bad_request");
  });

  it("creates, reads, lists, versions and activates graphs", async () => {
    expect(calc).toMatchObject({ version: 1, is_active: true, name: "Calculator agent", organization_id: null });
    expect(calc.id).not.toBe(calculator.id);
    expect(Object.keys(calc)).toEqual([
      "organization_id",
      "team_id",
      "id",
      "version",
      "is_active",
      "name",
      "description",
      "instructions",
      "recommended_schedule_cron",
      "created_at",
      "forked_from_id",
      "forked_from_version",
      "nodes",
      "links",
      "input_schema",
      "output_schema",
      "credentials_input_schema",
    ]);
    expect((calc as any).input_schema.required).toEqual(["Input"]);

    const got = await keys.READ_GRAPH!.get(`${V2}/graphs/${calc.id}`);
    expect(got.status).toBe(200);
    expect(got.body).toEqual(calc);

    // A new version from PUT; the old one is kept and the new one is active.
    const v2 = await keys.WRITE_GRAPH!.put(`${V2}/graphs/${calc.id}`, { ...calculator, name: "Calculator v2" });
    expect(v2.status, JSON.stringify(v2.body)).toBe(200);
    expect(v2.body).toMatchObject({ id: calc.id, version: 2, is_active: true, name: "Calculator v2" });
    expect((await all.get(`${V2}/graphs/${calc.id}`)).body.version).toBe(2);
    expect((await all.get(`${V2}/graphs/${calc.id}?version=1`)).body.name).toBe("Calculator agent");

    const versions = await keys.READ_GRAPH!.get(`${V2}/graphs/${calc.id}/versions?limit=1`);
    expect(versions.body.items.map((g: Graph) => g.version)).toEqual([2]);
    expect(versions.body.total_count).toBe(2);
    const older = await all.get(`${V2}/graphs/${calc.id}/versions?limit=1&cursor=${versions.body.next_cursor}`);
    expect(older.body).toMatchObject({ items: [{ version: 1, is_active: false }], next_cursor: null });

    const activate = await keys.WRITE_GRAPH!.put(`${V2}/graphs/${calc.id}/versions/active`, {
      active_graph_version: 1,
    });
    expect(activate.status).toBe(204);
    expect((await all.get(`${V2}/graphs/${calc.id}`)).body).toMatchObject({ version: 1, is_active: true });
    expectError(
      await all.put(`${V2}/graphs/${calc.id}/versions/active`, { active_graph_version: 9 }),
      404,
      "not_found",
    );

    // The library agent follows the active version.
    const agent = await keys.READ_LIBRARY!.get(`${V2}/graphs/${calc.id}/library-agent`);
    expect(agent.status).toBe(200);
    expect(agent.body).toMatchObject({ id: agentId, graph_id: calc.id, graph_version: 1 });

    const settings = await keys.WRITE_GRAPH!.request("PATCH", `${V2}/graphs/${calc.id}/settings`, {
      human_in_the_loop_safe_mode: false,
    });
    expect(settings.status, JSON.stringify(settings.body)).toBe(200);
    expect(settings.body).toEqual({ human_in_the_loop_safe_mode: false });
    const unchanged = await all.request("PATCH", `${V2}/graphs/${calc.id}/settings`, {});
    expect(unchanged.body).toEqual({ human_in_the_loop_safe_mode: false });

    const blocks = await keys.READ_GRAPH!.get(`${V2}/graphs/${calc.id}/blocks`);
    expect(blocks.body.items.map((b: { id: string }) => b.id).sort()).toEqual([CALCULATOR, INPUT, OUTPUT].sort());
    const credentials = await keys.READ_INTEGRATIONS!.get(`${V2}/graphs/${calc.id}/credentials`);
    expect(credentials.body).toEqual({ items: [], next_cursor: null, total_count: 0 });
    expectError(await keys.READ_STORE!.get(`${V2}/graphs/${calc.id}/marketplace-listing`), 404, "not_found");

    // Invalid graphs are 422 with the failing fields; a bad body too.
    const invalid = await all.post(`${V2}/graphs`, {
      name: "broken",
      nodes: [{ id: "a", block_id: "no-such-block" }],
      links: [],
    });
    expectError(invalid, 422, "validation_error");
    expect(invalid.body.error.details.errors.length).toBeGreaterThan(0);
    expectError(await all.post(`${V2}/graphs`, { name: "no nodes" }), 422, "validation_error");
  });

  it("walks graph pages with next_cursor", async () => {
    const session = await signUp(t.url);
    const api = (await createKey(t.url, session.api, ["READ_GRAPH", "WRITE_GRAPH"])).api;
    const made = [];
    for (let i = 0; i < 5; i++) made.push((await createGraph(api, { ...calculator, name: `g${i}` })).id);
    const seen: string[] = [];
    let cursor: string | null = null;
    let pages = 0;
    do {
      const res: any = await api.get(`${V2}/graphs?limit=2${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ""}`);
      expect(res.status).toBe(200);
      expect(res.body.total_count).toBe(5);
      seen.push(...res.body.items.map((g: Graph) => g.id));
      cursor = res.body.next_cursor;
      pages++;
    } while (cursor);
    expect(pages).toBe(3);
    expect(seen.sort()).toEqual(made.sort());
    expectError(await api.get(`${V2}/graphs?limit=101`), 422, "validation_error");
  });

  it("runs a graph through the library with Idempotency-Key: a repeat returns the same run and starts none", async () => {
    const runUrl = `${V2}/library/agents/${agentId}/runs`;
    const headers = { "idempotency-key": `calc-${Date.now()}` };
    const first = await keys.RUN_AGENT!.post(runUrl, { inputs: { Input: 8 } }, headers);
    expect(first.status, JSON.stringify(first.body)).toBe(202);
    const again = await keys.RUN_AGENT!.post(runUrl, { inputs: { Input: 8 } }, headers);
    expect(again.status).toBe(202);
    expect(again.headers.get("idempotent-replayed")).toBe("true");
    expect(again.body.id).toBe(first.body.id);
    expect((await runsOf(calc.id)).map((r) => r.id)).toEqual([first.body.id]);
    expectError(await keys.RUN_AGENT!.post(runUrl, { inputs: { Input: 9 } }, headers), 422, "validation_error");
    expect(await runsOf(calc.id)).toHaveLength(1);

    // Without a key every request starts a run.
    const a = await keys.RUN_AGENT!.post(runUrl, { inputs: { Input: 1 } });
    const b = await keys.RUN_AGENT!.post(runUrl, { inputs: { Input: 1 } });
    expect(a.body.id).not.toBe(b.body.id);
    expect(await runsOf(calc.id)).toHaveLength(3);

    const done = await waitForRun(first.body.id);
    expect(done).toMatchObject({
      id: first.body.id,
      graph_id: calc.id,
      graph_version: 1,
      status: "COMPLETED",
      inputs: { Input: 8 },
      outputs: { Output: [42] },
      node_exec_count: 3,
      organization_id: null,
    });
    expect(done.node_executions).toHaveLength(3);
    expect(done.node_executions.every((n: { status: string }) => n.status === "COMPLETED")).toBe(true);
    const calcNodeId = (calc.nodes as Array<{ id: string; block_id: string }>).find(
      (n) => n.block_id === CALCULATOR,
    )?.id;
    const calcNode = done.node_executions.find((n: { node_id: string }) => n.node_id === calcNodeId);
    expect(calcNode.outputs).toEqual({ result: [42] });
    expect(Object.keys(calcNode).sort()).toEqual(["ended_at", "inputs", "node_id", "outputs", "started_at", "status"]);
    await waitForRun(a.body.id);
    await waitForRun(b.body.id);
  });

  it("lists runs with filters and walks their pages", async () => {
    const runs = await runsOf(calc.id);
    expect(runs.length).toBeGreaterThanOrEqual(3);
    const completed = await keys.READ_RUN!.get(`${V2}/runs?graph_id=${calc.id}&statuses=COMPLETED&statuses=FAILED`);
    expect(completed.body.items.every((r: { status: string }) => r.status === "COMPLETED")).toBe(true);
    expect(completed.body.total_count).toBe(runs.length);
    const queued = await all.get(`${V2}/runs?graph_id=${calc.id}&statuses=QUEUED`);
    expect(queued.body).toEqual({ items: [], next_cursor: null, total_count: 0 });
    const future = new Date(Date.now() + 3600_000).toISOString();
    expect((await all.get(`${V2}/runs?graph_id=${calc.id}&started_after=${future}`)).body.total_count).toBe(0);
    expect((await all.get(`${V2}/runs?graph_id=${calc.id}&started_before=${future}`)).body.total_count).toBe(
      runs.length,
    );
    expectError(await all.get(`${V2}/runs?statuses=DONE`), 422, "validation_error");
    expectError(await all.get(`${V2}/runs?started_after=yesterday`), 422, "validation_error");

    const seen: string[] = [];
    let cursor: string | null = null;
    do {
      const res: any = await all.get(`${V2}/runs?graph_id=${calc.id}&limit=1${cursor ? `&cursor=${cursor}` : ""}`);
      seen.push(...res.body.items.map((r: { id: string }) => r.id));
      cursor = res.body.next_cursor;
    } while (cursor);
    expect(seen).toEqual(runs.map((r) => r.id));
  });

  it("stops a running run (202, TERMINATED), refuses to stop a finished one (409), deletes finished runs", async () => {
    const slow = await createGraph(all, slowGraph("slow"));
    const run = await all.post(`${V2}/library/agents/${await agentOf(slow.id)}/runs`, { inputs: { message: "hi" } });
    expect(run.status, JSON.stringify(run.body)).toBe(202);
    // Deleting a run that has not finished is refused.
    expectError(await keys.WRITE_RUN!.delete(`${V2}/runs/${run.body.id}`), 409, "conflict");
    const stopped = await keys.WRITE_RUN!.post(`${V2}/runs/${run.body.id}/stop`);
    expect(stopped.status, JSON.stringify(stopped.body)).toBe(202);
    expect(stopped.body).toMatchObject({ id: run.body.id, status: "TERMINATED" });
    expectError(await keys.WRITE_RUN!.post(`${V2}/runs/${run.body.id}/stop`), 409, "conflict");

    const deleted = await keys.WRITE_RUN!.delete(`${V2}/runs/${run.body.id}`);
    expect(deleted.status).toBe(204);
    expectError(await all.get(`${V2}/runs/${run.body.id}`), 404, "not_found");
    expectError(await all.delete(`${V2}/runs/${run.body.id}`), 404, "not_found");
    expect(await runsOf(slow.id)).toEqual([]);
  });

  it("has no human-in-the-loop reviews (none of Agentry's blocks asks for one)", async () => {
    const [run] = await runsOf(calc.id);
    const list = await keys.READ_RUN_REVIEW!.get(`${V2}/runs/reviews?status=WAITING`);
    expect(list.body).toEqual({ items: [], next_cursor: null, total_count: 0 });
    const none = await keys.WRITE_RUN_REVIEW!.post(`${V2}/runs/${run?.id}/reviews`, { reviews: [] });
    expect(none.status).toBe(202);
    expect(none.body).toEqual({ run_id: run?.id, approved_count: 0, rejected_count: 0 });
    const unknown = await all.post(`${V2}/runs/${run?.id}/reviews`, {
      reviews: [{ node_exec_id: "x", approved: true }],
    });
    expectError(unknown, 404, "not_found");
  });

  it("creates (idempotently), lists and deletes schedules", async () => {
    const body = {
      graph_id: calc.id,
      name: "nightly",
      cron: "0 3 * * *",
      inputs: { Input: 1 },
      timezone: "Europe/Paris",
    };
    const headers = { "idempotency-key": `sched-${Date.now()}` };
    const created = await keys["WRITE_SCHEDULE+RUN_AGENT"]!.post(`${V2}/schedules`, body, headers);
    expect(created.status, JSON.stringify(created.body)).toBe(201);
    expect(created.body).toMatchObject({
      name: "nightly",
      graph_id: calc.id,
      graph_version: 1,
      cron: "0 3 * * *",
      timezone: "Europe/Paris",
      inputs: { Input: 1 },
    });
    const next = new Date(created.body.next_run_time);
    expect(next.getTime()).toBeGreaterThan(Date.now());
    expect(next.getTime() - Date.now()).toBeLessThanOrEqual(24 * 3600_000);
    const hourInParis = new Intl.DateTimeFormat("en-GB", { timeZone: "Europe/Paris", hour: "2-digit" }).format(next);
    expect(hourInParis).toBe("03");
    expect(Object.keys(created.body)).toEqual([
      "id",
      "name",
      "graph_id",
      "graph_version",
      "cron",
      "timezone",
      "inputs",
      "next_run_time",
    ]);

    const replay = await keys["WRITE_SCHEDULE+RUN_AGENT"]!.post(`${V2}/schedules`, body, headers);
    expect(replay.status).toBe(201);
    expect(replay.body.id).toBe(created.body.id);
    expectError(await all.post(`${V2}/schedules`, { ...body, name: "other" }, headers), 422, "validation_error");

    // The same through /graphs/{graph_id}/schedules; the timezone defaults to UTC for a user without one.
    const viaGraph = await all.post(`${V2}/graphs/${calc.id}/schedules`, {
      name: "hourly",
      cron: "0 * * * *",
      inputs: { Input: 2 },
    });
    expect(viaGraph.status, JSON.stringify(viaGraph.body)).toBe(201);
    expect(viaGraph.body).toMatchObject({ graph_id: calc.id, timezone: "UTC", name: "hourly" });

    expectError(await all.post(`${V2}/schedules`, { ...body, cron: "every day" }), 422, "validation_error");
    expectError(await all.post(`${V2}/schedules`, { ...body, cron: "0 0 3 * * *" }), 422, "validation_error");
    expectError(await all.post(`${V2}/schedules`, { ...body, timezone: "Mars/Olympus" }), 422, "validation_error");
    expectError(await all.post(`${V2}/schedules`, { ...body, inputs: {} }), 422, "validation_error");
    expectError(await all.post(`${V2}/schedules`, { ...body, graph_version: 7 }), 404, "not_found");

    const list = await keys.READ_SCHEDULE!.get(`${V2}/schedules?graph_id=${calc.id}&limit=1`);
    expect(list.status).toBe(200);
    expect(list.body.total_count).toBe(2);
    // Soonest next run first (the hourly one, except in the hour before 03:00 in Paris, when both are due at
    // once and the older comes first).
    const [soonest, later] = [created.body, viaGraph.body].sort(
      (a, b) => Date.parse(a.next_run_time) - Date.parse(b.next_run_time),
    );
    expect(list.body.items.map((s: { id: string }) => s.id)).toEqual([soonest.id]);
    const rest = await all.get(`${V2}/schedules?graph_id=${calc.id}&limit=1&cursor=${list.body.next_cursor}`);
    expect(rest.body).toMatchObject({ items: [{ id: later.id }], next_cursor: null });
    expect((await all.get(`${V2}/schedules?graph_id=nope`)).body.total_count).toBe(0);

    expect((await keys.WRITE_SCHEDULE!.delete(`${V2}/schedules/${viaGraph.body.id}`)).status).toBe(204);
    expectError(await all.delete(`${V2}/schedules/${viaGraph.body.id}`), 404, "not_found");
    expect((await all.delete(`${V2}/schedules/${created.body.id}`)).status).toBe(204);
    expect((await all.get(`${V2}/schedules`)).body.total_count).toBe(0);
  });

  it("fires a due schedule once per tick with an injected clock, even with two schedulers racing", async () => {
    const created = await all.post(`${V2}/schedules`, {
      graph_id: calc.id,
      name: "new year",
      cron: YEARLY,
      inputs: { Input: 100 },
      timezone: "UTC",
    });
    expect(created.status, JSON.stringify(created.body)).toBe(201);
    const due = new Date(created.body.next_run_time);
    expect(due.toISOString()).toMatch(/-01-01T00:00:00\.000Z$/);
    const before = await runsOf(calc.id);

    let clock = new Date(due.getTime() - 1000);
    const { database, encryptionKey } = t.server.platform;
    const silent = { info() {}, warn() {}, error() {} };
    const make = () =>
      new Scheduler({
        schedules: new SqlScheduleStore(database.db),
        runs: t.server.platform.runs,
        log: silent,
        encryptionKey,
        now: () => clock,
      });
    const one = make();
    const two = make();

    expect(await one.tick()).toBe(0); // not due yet
    clock = new Date(due.getTime() + 1500);
    const fired = await Promise.all([one.tick(), two.tick()]);
    expect(fired[0] + fired[1]).toBe(1);
    expect(await one.tick()).toBe(0); // the tick has been claimed

    const after = await runsOf(calc.id);
    expect(after).toHaveLength(before.length + 1);
    const run = after.find((r) => !before.some((b) => b.id === r.id));
    expect(run?.inputs).toEqual({ Input: 100 });
    expect((await waitForRun(run?.id as string)).outputs).toEqual({ Output: [134] });

    const [schedule] = (await all.get(`${V2}/schedules?graph_id=${calc.id}`)).body.items;
    const nextYear = new Date(schedule.next_run_time);
    expect(nextYear.getUTCFullYear()).toBe(due.getUTCFullYear() + 1);

    // Down for three years: the missed ticks fire once, and the schedule moves to the next one after now.
    clock = new Date(Date.UTC(due.getUTCFullYear() + 3, 5, 1));
    expect(await one.tick()).toBe(1);
    expect(await one.tick()).toBe(0);
    const [moved] = (await all.get(`${V2}/schedules?graph_id=${calc.id}`)).body.items;
    expect(moved.next_run_time).toBe(new Date(Date.UTC(due.getUTCFullYear() + 4, 0, 1)).toISOString());
    expect(await runsOf(calc.id)).toHaveLength(before.length + 2);

    // A deleted schedule never fires.
    expect((await all.delete(`${V2}/schedules/${schedule.id}`)).status).toBe(204);
    clock = new Date(Date.UTC(due.getUTCFullYear() + 10, 0, 2));
    expect(await one.tick()).toBe(0);
    for (const r of await runsOf(calc.id)) await waitForRun(r.id);
  });

  it("ticks on its own once started, and stops", async () => {
    const created = await all.post(`${V2}/schedules`, {
      graph_id: calc.id,
      name: "started",
      cron: YEARLY,
      inputs: { Input: 5 },
      timezone: "UTC",
    });
    expect(created.status).toBe(201);
    const before = (await runsOf(calc.id)).length;
    const due = new Date(created.body.next_run_time);
    const { database, encryptionKey } = t.server.platform;
    const silent = { info() {}, warn() {}, error() {} };
    const scheduler = new Scheduler({
      schedules: new SqlScheduleStore(database.db),
      runs: t.server.platform.runs,
      log: silent,
      encryptionKey,
      now: () => new Date(due.getTime() + 1000),
      intervalMs: 20,
    });
    scheduler.start();
    const deadline = Date.now() + 20_000;
    while ((await runsOf(calc.id)).length === before && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 20));
    }
    await scheduler.stop();
    const runs = await runsOf(calc.id);
    expect(runs).toHaveLength(before + 1);
    expect(runs[0]?.inputs).toEqual({ Input: 5 });
    await waitForRun(runs[0]?.id as string);
    expect((await all.delete(`${V2}/schedules/${created.body.id}`)).status).toBe(204);
  });

  it("keeps other users' graphs, runs and schedules private (404)", async () => {
    const [run] = await runsOf(calc.id);
    const schedule = await all.post(`${V2}/schedules`, {
      graph_id: calc.id,
      name: "s",
      cron: YEARLY,
      inputs: { Input: 1 },
    });
    expect(schedule.status).toBe(201);
    const id = calc.id;
    const checks: Array<[string, string, unknown?]> = [
      ["GET", `/graphs/${id}`],
      ["PUT", `/graphs/${id}`, calculator],
      ["GET", `/graphs/${id}/versions`],
      ["PUT", `/graphs/${id}/versions/active`, { active_graph_version: 1 }],
      ["PATCH", `/graphs/${id}/settings`, { human_in_the_loop_safe_mode: true }],
      ["GET", `/graphs/${id}/library-agent`],
      ["GET", `/graphs/${id}/blocks`],
      ["GET", `/graphs/${id}/credentials`],
      ["POST", `/graphs/${id}/schedules`, { name: "x", cron: YEARLY, inputs: { Input: 1 } }],
      ["POST", "/schedules", { graph_id: id, name: "x", cron: YEARLY, inputs: { Input: 1 } }],
      ["DELETE", `/schedules/${schedule.body.id}`],
      ["GET", `/runs/${run?.id}`],
      ["POST", `/runs/${run?.id}/stop`],
      ["DELETE", `/runs/${run?.id}`],
      ["POST", `/runs/${run?.id}/reviews`, { reviews: [] }],
      ["POST", `/library/agents/${agentId}/runs`, { inputs: { Input: 1 } }],
    ];
    for (const [method, path, body] of checks) {
      const res = await bobAll.request(method, `${V2}${path}`, body);
      expect(res.status, `${method} ${path}: ${JSON.stringify(res.body)}`).toBe(404);
      expect(res.body.error.code).toBe("not_found");
    }
    expect((await bobAll.get(`${V2}/graphs`)).body.total_count).toBe(0);
    expect((await bobAll.get(`${V2}/runs`)).body.total_count).toBe(0);
    expect((await bobAll.get(`${V2}/schedules`)).body.total_count).toBe(0);
    // Still there for Alice.
    expect((await all.get(`${V2}/graphs/${id}`)).status).toBe(200);
    expect((await all.delete(`${V2}/schedules/${schedule.body.id}`)).status).toBe(204);
  });

  it("asks each route for its scope (403 without it, served with only it)", async () => {
    const [run] = await runsOf(calc.id);
    const routes: Array<[string, string, string, unknown?]> = [
      ["GET", "/me", "IDENTITY"],
      ["GET", "/blocks", "READ_BLOCK"],
      ["GET", "/graphs", "READ_GRAPH"],
      ["GET", `/graphs/${calc.id}`, "READ_GRAPH"],
      ["POST", "/graphs", "WRITE_GRAPH", { ...calculator, name: "scoped" }],
      ["PUT", `/graphs/${calc.id}`, "WRITE_GRAPH", calculator],
      ["GET", `/graphs/${calc.id}/versions`, "READ_GRAPH"],
      ["PUT", `/graphs/${calc.id}/versions/active`, "WRITE_GRAPH", { active_graph_version: 1 }],
      ["PATCH", `/graphs/${calc.id}/settings`, "WRITE_GRAPH", {}],
      ["GET", `/graphs/${calc.id}/library-agent`, "READ_LIBRARY"],
      ["GET", `/graphs/${calc.id}/blocks`, "READ_GRAPH"],
      ["GET", `/graphs/${calc.id}/credentials`, "READ_INTEGRATIONS"],
      ["GET", `/graphs/${calc.id}/marketplace-listing`, "READ_STORE"],
      [
        "POST",
        `/graphs/${calc.id}/schedules`,
        "WRITE_SCHEDULE+RUN_AGENT",
        { name: "s", cron: YEARLY, inputs: { Input: 1 } },
      ],
      ["GET", "/schedules", "READ_SCHEDULE"],
      [
        "POST",
        "/schedules",
        "WRITE_SCHEDULE+RUN_AGENT",
        { graph_id: calc.id, name: "s", cron: YEARLY, inputs: { Input: 1 } },
      ],
      ["DELETE", "/schedules/missing", "WRITE_SCHEDULE"],
      ["GET", "/runs", "READ_RUN"],
      ["GET", `/runs/${run?.id}`, "READ_RUN"],
      ["POST", `/runs/${run?.id}/stop`, "WRITE_RUN"],
      ["DELETE", "/runs/missing", "WRITE_RUN"],
      ["GET", "/runs/reviews", "READ_RUN_REVIEW"],
      ["POST", `/runs/${run?.id}/reviews`, "WRITE_RUN_REVIEW", { reviews: [] }],
    ];
    for (const [method, path, scope, body] of routes) {
      const denied = await keys.UPLOAD_FILES!.request(method, `${V2}${path}`, body);
      expect(denied.status, `${method} ${path} without ${scope}`).toBe(403);
      expect(denied.body.error).toMatchObject({ code: "forbidden" });
      const allowed = await keys[scope]!.request(method, `${V2}${path}`, body);
      expect(
        [200, 201, 202, 204, 404, 409],
        `${method} ${path} with ${scope}: ${JSON.stringify(allowed.body)}`,
      ).toContain(allowed.status);
    }
    // Both scopes are needed to create a schedule.
    const half = await keys.WRITE_SCHEDULE!.post(`${V2}/schedules`, { graph_id: calc.id, name: "s", cron: YEARLY });
    expect(half.status).toBe(403);
    expect(half.body.error.details.missing_scopes).toEqual(["RUN_AGENT"]);
    for (const s of (await all.get(`${V2}/schedules?limit=100`)).body.items) {
      await all.delete(`${V2}/schedules/${s.id}`);
    }
  });
});
