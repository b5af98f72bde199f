// AutoGPT's /api schedules through real HTTP: create on a graph (cron, timezone, next_run_time), list the user's and
// a graph's, delete; bad cron and timezone 422, another user's graph and schedule 404; and a schedule firing with an
// injected clock starting a run, once per tick even with two schedulers, missed ticks not replayed.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Scheduler } from "../src/engine/scheduler.js";
import { SqlScheduleStore } from "../src/infra/db/stores/schedule-store.js";
import { BOTH_DOCS, fitsIn } from "./helpers/autogpt-schemas.js";
import { createKey, signUp } from "./helpers/client.js";
import { calculatorGraph, create, ended, waitFor } from "./helpers/runs.js";
import { startTestServer, type TestServer } from "./helpers/server.js";

const expectFits = fitsIn(BOTH_DOCS);

/** Fires on January 1st only: the server's own clock never reaches a tick while the tests run. */
const YEARLY = "0 0 1 1 *";
type Session = Awaited<ReturnType<typeof signUp>>;

describe("schedules: /api/schedules and /api/graphs/{graph_id}/schedules", () => {
  let t: TestServer;
  let alice: Session;
  let bob: Session;
  let calc: { id: string; version: number; name: string };

  beforeAll(async () => {
    t = await startTestServer();
    alice = await signUp(t.url);
    bob = await signUp(t.url);
    calc = await create(alice.api, calculatorGraph());
  });
  afterAll(async () => {
    await t?.close();
  });

  const newSchedule = (body: Record<string, unknown> = {}, graphId = calc.id, api = alice.api) =>
    api.post(`/api/graphs/${graphId}/schedules`, {
      name: "yearly sum",
      cron: YEARLY,
      inputs: { Input: 100 },
      timezone: "UTC",
      ...body,
    });

  it("creates, lists and deletes schedules in AutoGPT's GraphExecutionJobInfo shape", async () => {
    const created = await newSchedule();
    expect(created.status, JSON.stringify(created.body)).toBe(200);
    expectFits(created.body, "/api/graphs/{graph_id}/schedules", "post");
    expect(created.body).toMatchObject({
      user_id: alice.user.id,
      graph_id: calc.id,
      graph_version: calc.version,
      agent_name: calc.name,
      name: "yearly sum",
      cron: YEARLY,
      timezone: "UTC",
      input_data: { Input: 100 },
      input_credentials: {},
    });
    const next = new Date(created.body.next_run_time);
    expect(next.toISOString()).toMatch(/-01-01T00:00:00\.000Z$/);
    expect(next.getTime()).toBeGreaterThan(Date.now());

    // The timezone moves the tick: midnight in Tokyo is 15:00 UTC the day before.
    const tokyo = await newSchedule({ name: "tokyo", timezone: "Asia/Tokyo" });
    expect(tokyo.status, JSON.stringify(tokyo.body)).toBe(200);
    expect(tokyo.body.timezone).toBe("Asia/Tokyo");
    expect(tokyo.body.next_run_time).toMatch(/-12-31T15:00:00\.000Z$/);
    // No timezone: the user's (not set yet), else UTC.
    const plain = await newSchedule({ name: "default tz", timezone: undefined });
    expect(plain.body.timezone).toBe("UTC");

    const all = await alice.api.get("/api/schedules");
    expect(all.status).toBe(200);
    expectFits(all.body, "/api/schedules", "get");
    expect(all.body.map((s: { id: string }) => s.id).sort()).toEqual(
      [created.body.id, tokyo.body.id, plain.body.id].sort(),
    );
    const ofGraph = await alice.api.get(`/api/graphs/${calc.id}/schedules`);
    expectFits(ofGraph.body, "/api/graphs/{graph_id}/schedules", "get");
    expect(ofGraph.body).toHaveLength(3);
    // Soonest first: Tokyo's tick comes nine hours before UTC's.
    expect(ofGraph.body[0].id).toBe(tokyo.body.id);
    expect((await alice.api.get("/api/graphs/nope/schedules")).body).toEqual([]);

    // Bob sees none of them and cannot delete them.
    expect((await bob.api.get("/api/schedules")).body).toEqual([]);
    expect((await bob.api.get(`/api/graphs/${calc.id}/schedules`)).body).toEqual([]);
    const foreign = await bob.api.delete(`/api/schedules/${created.body.id}`);
    expect(foreign.status).toBe(404);
    expect(foreign.body.error.code).toBeDefined();

    for (const s of [created, tokyo, plain]) {
      const deleted = await alice.api.delete(`/api/schedules/${s.body.id}`);
      expect(deleted.status).toBe(200);
      expectFits(deleted.body, "/api/schedules/{schedule_id}", "delete");
      expect(deleted.body).toEqual({ id: s.body.id });
    }
    expect((await alice.api.delete(`/api/schedules/${created.body.id}`)).status).toBe(404);
    expect((await alice.api.get("/api/schedules")).body).toEqual([]);
  });

  it("refuses what cannot be scheduled: 422 for a bad cron, timezone or inputs, 404 for another user's graph", async () => {
    for (const cron of ["not a cron", "* * * *", "61 * * * *", "0 0 * * * *"]) {
      const res = await newSchedule({ cron });
      expect(res.status, `${cron}: ${JSON.stringify(res.body)}`).toBe(422);
      expect(JSON.stringify(res.body.error)).toMatch(/cron/i);
    }
    const tz = await newSchedule({ timezone: "Mars/Olympus_Mons" });
    expect(tz.status).toBe(422);
    expect(tz.body.error.message).toMatch(/timezone/i);
    expect((await newSchedule({ inputs: { Nope: 1 } })).status).toBe(422);
    expect((await newSchedule({ name: undefined })).status).toBe(422);
    expect((await newSchedule({}, calc.id, bob.api)).status).toBe(404);
    expect((await newSchedule({}, "no-such-graph")).status).toBe(404);
    expect((await newSchedule({ graph_version: 99 })).status).toBe(404);
    expect((await alice.api.get("/api/schedules")).body).toEqual([]);
  });

  it("needs sign-in, and the schedule scopes for an API key", async () => {
    const anonymous = await fetch(`${t.url}/api/schedules`);
    expect(anonymous.status).toBe(401);
    const reader = await createKey(t.url, alice.api, ["READ_SCHEDULE"]);
    expect((await reader.api.get("/api/schedules")).status).toBe(200);
    expect((await newSchedule({}, calc.id, reader.api)).status).toBe(403);
    const writer = await createKey(t.url, alice.api, ["WRITE_SCHEDULE", "RUN_AGENT", "READ_SCHEDULE"]);
    const made = await newSchedule({ name: "by key" }, calc.id, writer.api);
    expect(made.status, JSON.stringify(made.body)).toBe(200);
    expect((await reader.api.delete(`/api/schedules/${made.body.id}`)).status).toBe(403);
    expect((await writer.api.delete(`/api/schedules/${made.body.id}`)).status).toBe(200);
  });

  it("fires with an injected clock: a run starts, once per tick across schedulers, missed ticks not replayed", async () => {
    const created = await newSchedule({ name: "fires", inputs: { Input: 8 } });
    expect(created.status).toBe(200);
    const due = new Date(created.body.next_run_time);
    const runsOfCalc = async () =>
      (await alice.api.get(`/api/graphs/${calc.id}/executions?page_size=100`)).body.executions as Array<{
        id: string;
        inputs: unknown;
      }>;
    const before = await runsOfCalc();

    let clock = new Date(due.getTime() - 1000);
    const { database, encryptionKey, runs } = t.server.platform;
    const silent = { info() {}, warn() {}, error() {} };
    const make = () =>
      new Scheduler({
        schedules: new SqlScheduleStore(database.db),
        runs,
        log: silent,
        encryptionKey,
        now: () => clock,
      });
    const one = make();
    const two = make();

    expect(await one.tick()).toBe(0); // a second early: not due
    clock = new Date(due.getTime() + 1000);
    const fired = await Promise.all([one.tick(), two.tick()]);
    expect(fired[0] + fired[1]).toBe(1);
    expect(await two.tick()).toBe(0);

    const after = await runsOfCalc();
    expect(after).toHaveLength(before.length + 1);
    const run = after.find((r) => !before.some((b) => b.id === r.id));
    expect(run?.inputs).toEqual({ Input: 8 });
    const done = await waitFor(alice.api, run?.id as string, ended);
    expect(done.status).toBe("COMPLETED");
    expect(done.outputs).toEqual({ Output: [42] });

    const [moved] = (await alice.api.get(`/api/graphs/${calc.id}/schedules`)).body;
    expect(new Date(moved.next_run_time).getUTCFullYear()).toBe(due.getUTCFullYear() + 1);

    // Down for five years: one run for the missed ticks, then the next tick after now.
    clock = new Date(Date.UTC(due.getUTCFullYear() + 5, 6, 1));
    expect(await one.tick()).toBe(1);
    expect(await one.tick()).toBe(0);
    const [later] = (await alice.api.get(`/api/graphs/${calc.id}/schedules`)).body;
    expect(later.next_run_time).toBe(new Date(Date.UTC(due.getUTCFullYear() + 6, 0, 1)).toISOString());
    const all = await runsOfCalc();
    expect(all).toHaveLength(before.length + 2);
    for (const r of all) await waitFor(alice.api, r.id, ended);

    // Deleted: it never fires again.
    expect((await alice.api.delete(`/api/schedules/${created.body.id}`)).status).toBe(200);
    clock = new Date(Date.UTC(due.getUTCFullYear() + 20, 0, 2));
    expect(await one.tick()).toBe(0);
  });
});
