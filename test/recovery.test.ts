// Every run ends: runs left by a process that died are recovered by the sweeper (on PGlite and PostgreSQL alike),
// stop reaches runs nobody executes, and node results that cannot be stored fail the run instead of vanishing.
import { randomUUID } from "node:crypto";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { sql } from "drizzle-orm";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import WebSocket from "ws";
import { SHUTDOWN_REASON } from "../src/engine/executor.js";
import { LEASE_EXPIRED_REASON } from "../src/engine/sweeper.js";
import type { ExecutionEvent } from "../src/engine/types.js";
import * as repo from "../src/infra/db/repos/executions.js";
import { SWEEPER_LOCK } from "../src/infra/db/repos/leases.js";
import { client, signUp } from "./helpers/client.js";
import { createThrowawayDatabase } from "./helpers/postgres.js";
import { serveProcess } from "./helpers/process.js";
import {
  calculatorGraph,
  create,
  ended,
  execute,
  parentGraph,
  slowGraph,
  TERMINAL,
  until,
  waitFor,
  waiting,
} from "./helpers/runs.js";
import { freshDataDir, startTestServer, type TestServer } from "./helpers/server.js";

const HOUR = 3600_000;

/** A clock the test moves by hand: leases expire when the test says so, not when the machine is slow. */
function manualClock() {
  let t = Date.now();
  return {
    now: () => new Date(t),
    advance(ms: number) {
      t += ms;
    },
  };
}

type Db = TestServer["server"]["platform"]["database"]["db"];

/** A run as a process that then died left it: RUNNING under its lease, or QUEUED (held by it, or by nobody). */
async function leftBehind(
  db: Db,
  run: { userId: string; graph: { id: string; version: number }; inputs?: Record<string, unknown> },
  state: { status: "RUNNING" | "QUEUED"; workerId: string | null; heartbeatAt: Date | null; createdAt?: Date },
) {
  return repo.insertGraphExecution(db, {
    id: randomUUID(),
    graphId: run.graph.id,
    graphVersion: run.graph.version,
    userId: run.userId,
    inputs: run.inputs ?? {},
    startedAt: state.status === "RUNNING" ? new Date() : null,
    ...state,
  });
}

function watch(url: string, token: string, execId: string): Promise<{ events: any[]; close(): void }> {
  const ws = new WebSocket(`${url.replace("http", "ws")}/ws?token=${token}`);
  const events: any[] = [];
  ws.on("message", (raw) => {
    const msg = JSON.parse(raw.toString());
    if (msg.method === "graph_execution_event") events.push(msg.data);
  });
  return new Promise((resolve, reject) => {
    ws.once("open", () => {
      ws.send(JSON.stringify({ method: "subscribe_graph_execution", data: { graph_exec_id: execId } }));
      ws.on("message", (raw) => {
        if (JSON.parse(raw.toString()).method === "subscribe_graph_execution")
          resolve({ events, close: () => ws.close() });
      });
    });
    ws.once("error", reject);
  });
}

describe.each(["pglite", "postgres"] as const)("the sweeper on %s, with an injected clock", (kind) => {
  const clock = manualClock();
  let t: TestServer;
  let dropDb: (() => Promise<void>) | undefined;
  let alice: Awaited<ReturnType<typeof signUp>>;
  let calc: { id: string; version: number };
  let slow: { id: string; version: number };
  const sweep = () => t.server.platform.sweeper.sweep();
  const db = () => t.server.platform.database.db;

  beforeAll(async () => {
    let databaseUrl: string | undefined;
    if (kind === "postgres") {
      const throwaway = await createThrowawayDatabase();
      databaseUrl = throwaway.url;
      dropDb = throwaway.drop;
    }
    t = await startTestServer(
      {
        databaseUrl,
        // Only the sweeps a test asks for (and the one at start) run.
        runLifecycle: { leaseTtlSeconds: 30, queuedGraceSeconds: 30, sweepIntervalSeconds: 24 * 3600 },
      },
      { now: clock.now },
    );
    alice = await signUp(t.url);
    calc = await create(alice.api, calculatorGraph());
    slow = await create(alice.api, slowGraph(600));
  });
  afterAll(async () => {
    await t?.close();
    await dropDb?.();
  });

  it("ends a RUNNING run whose worker stopped renewing its lease FAILED with the reason, and its node executions", async () => {
    const run = await leftBehind(
      db(),
      { userId: alice.user.id, graph: slow },
      { status: "RUNNING", workerId: "a-worker-that-was-killed", heartbeatAt: clock.now() },
    );
    const node = {
      id: randomUUID(),
      graphExecutionId: run.id,
      nodeId: "wait",
      blockId: "d67a9c52-5e4e-11e2-bcfd-0800200c9a71",
      status: "RUNNING" as const,
      startedAt: new Date(),
    };
    await repo.insertNodeExecutions(db(), [node]);
    const watcher = await watch(t.url, alice.tokens.access_token, run.id);

    // Within its lease the run may still be alive somewhere: it is left alone.
    clock.advance(10_000);
    expect((await sweep())?.expired).not.toContain(run.id);
    expect((await alice.api.get(`/api/executions/${run.id}`)).body.status).toBe("RUNNING");

    clock.advance(HOUR);
    expect((await sweep())?.expired).toContain(run.id);
    const after = (await alice.api.get(`/api/executions/${run.id}`)).body;
    expect(after).toMatchObject({ status: "FAILED", stats: { error: LEASE_EXPIRED_REASON, node_exec_count: 0 } });
    expect(after.ended_at).toBeTruthy();
    expect(after.node_executions).toEqual([expect.objectContaining({ node_exec_id: node.id, status: "FAILED" })]);
    await until(() => watcher.events.some((e) => e.status === "FAILED"), "the FAILED event");
    expect(watcher.events.find((e) => e.status === "FAILED").stats.error).toBe(LEASE_EXPIRED_REASON);
    watcher.close();

    // An ended run can be stopped (no change) and deleted.
    expect((await alice.api.post(`/api/executions/${run.id}/stop`)).body.status).toBe("FAILED");
    expect((await alice.api.delete(`/api/executions/${run.id}`)).status).toBe(204);
  });

  it("never sweeps a run this process executes, however old its lease looks", async () => {
    const run = await execute(alice.api, slow, { message: "hi" });
    await waitFor(alice.api, run.id, waiting);
    clock.advance(HOUR);
    expect((await sweep())?.expired).not.toContain(run.id);
    expect((await alice.api.get(`/api/executions/${run.id}`)).body.status).toBe("RUNNING");
    const stopped = await alice.api.post(`/api/executions/${run.id}/stop`);
    expect(stopped.body).toMatchObject({ status: "TERMINATED", stats: { error: "Execution was stopped" } });
  });

  it("stop ends a RUNNING run no live executor owns TERMINATED at once, lease expired or not", async () => {
    const fresh = await leftBehind(
      db(),
      { userId: alice.user.id, graph: slow },
      { status: "RUNNING", workerId: "killed-a-moment-ago", heartbeatAt: clock.now() },
    );
    const stale = await leftBehind(
      db(),
      { userId: alice.user.id, graph: slow },
      { status: "RUNNING", workerId: "killed-long-ago", heartbeatAt: new Date(clock.now().getTime() - HOUR) },
    );
    for (const run of [fresh, stale]) {
      const stopped = await alice.api.post(`/api/executions/${run.id}/stop`);
      expect(stopped.status).toBe(200);
      expect(stopped.body).toMatchObject({ status: "TERMINATED", stats: { error: "Execution was stopped" } });
      expect(stopped.body.ended_at).toBeTruthy();
      expect((await alice.api.get(`/api/executions/${run.id}`)).body.status).toBe("TERMINATED");
      expect((await alice.api.delete(`/api/executions/${run.id}`)).status).toBe(204);
    }
  });

  it("queues again the QUEUED runs nobody holds, after the grace period, and they run", async () => {
    const unheld = await leftBehind(
      db(),
      { userId: alice.user.id, graph: calc, inputs: { Input: 8 } },
      { status: "QUEUED", workerId: null, heartbeatAt: null, createdAt: clock.now() },
    );
    const heldByDead = await leftBehind(
      db(),
      { userId: alice.user.id, graph: calc, inputs: { Input: 1 } },
      { status: "QUEUED", workerId: "killed-while-it-waited", heartbeatAt: new Date(clock.now().getTime() - HOUR) },
    );
    // Just created by nobody: its creator may be about to queue it itself.
    const first = await sweep();
    expect(first?.requeued).toContain(heldByDead.id);
    expect(first?.requeued).not.toContain(unheld.id);
    expect((await waitFor(alice.api, heldByDead.id, ended)).outputs).toEqual({ Output: [35] });
    expect((await alice.api.get(`/api/executions/${unheld.id}`)).body.status).toBe("QUEUED");

    clock.advance(HOUR);
    expect((await sweep())?.requeued).toContain(unheld.id);
    const done = await waitFor(alice.api, unheld.id, ended);
    expect(done).toMatchObject({ status: "COMPLETED", outputs: { Output: [42] } });
    // Queued once: the next sweep finds nothing to do.
    expect((await sweep())?.requeued).toEqual([]);
  });
});

describe("two processes on one PostgreSQL database", () => {
  const clock = manualClock();
  let a: TestServer;
  let b: TestServer;
  let pgdb: Awaited<ReturnType<typeof createThrowawayDatabase>>;
  let alice: Awaited<ReturnType<typeof signUp>>;
  let slow: { id: string; version: number };

  beforeAll(async () => {
    pgdb = await createThrowawayDatabase();
    const lifecycle = { leaseTtlSeconds: 30, heartbeatSeconds: 0.1, sweepIntervalSeconds: 24 * 3600 };
    a = await startTestServer(
      { databaseUrl: pgdb.url, runLifecycle: lifecycle, auth: { jwtSecret: "s".repeat(40) } },
      { now: clock.now },
    );
    b = await startTestServer(
      { databaseUrl: pgdb.url, runLifecycle: lifecycle, auth: { jwtSecret: "s".repeat(40) } },
      { now: clock.now },
    );
    alice = await signUp(a.url);
    slow = await create(alice.api, slowGraph(600));
  });
  afterAll(async () => {
    await a?.close();
    await b?.close();
    await pgdb?.drop();
  });

  it("only one sweeps at a time: each orphan ends exactly once, and none while another holds the lock", async () => {
    const orphans = [];
    for (let i = 0; i < 20; i++) {
      orphans.push(
        await leftBehind(
          a.server.platform.database.db,
          { userId: alice.user.id, graph: slow },
          { status: "RUNNING", workerId: "dead", heartbeatAt: clock.now() },
        ),
      );
    }
    const ids = orphans.map((o) => o.id);
    const failedEvents: string[] = [];
    const listen = (e: ExecutionEvent) => {
      if (e.type === "graph_execution_event" && e.data.status === "FAILED" && ids.includes(e.data.id))
        failedEvents.push(e.data.id);
    };
    const unsubscribe = [a, b].map((s) => s.server.platform.events.subscribe(listen));
    clock.advance(HOUR);

    // Another process is mid-sweep (holds the lock): this one does nothing and says so.
    const other = new pg.Client({ connectionString: pgdb.url });
    await other.connect();
    await other.query("begin");
    await other.query("select pg_advisory_xact_lock($1)", [SWEEPER_LOCK]);
    expect(await a.server.platform.sweeper.sweep()).toBeUndefined();
    expect((await alice.api.get(`/api/executions/${ids[0]}`)).body.status).toBe("RUNNING");
    await other.query("commit");
    await other.end();

    const [fromA, fromB] = await Promise.all([a.server.platform.sweeper.sweep(), b.server.platform.sweeper.sweep()]);
    const swept = [...(fromA?.expired ?? []), ...(fromB?.expired ?? [])].filter((id) => ids.includes(id));
    expect(swept.sort()).toEqual([...ids].sort());
    expect(failedEvents.sort()).toEqual([...ids].sort());
    for (const off of unsubscribe) off();
    for (const id of ids) expect((await alice.api.get(`/api/executions/${id}`)).body.status).toBe("FAILED");
  });

  it("a live owner keeps its lease by renewing it, and stops its run when another process stops it", async () => {
    const run = await execute(alice.api, slow, { message: "hi" });
    await waitFor(alice.api, run.id, waiting);
    const owner = [a, b].find((s) => s.server.platform.executor?.owns(run.id)) as TestServer;
    const other = owner === a ? b : a;
    clock.advance(HOUR);
    const heartbeat = async () => {
      const res = await other.server.platform.database.db.execute(
        sql`select heartbeat_at from graph_executions where id = ${run.id}`,
      );
      return new Date((res as unknown as { rows: Array<{ heartbeat_at: string }> }).rows[0]?.heartbeat_at as string);
    };
    await until(async () => (await heartbeat()).getTime() >= clock.now().getTime(), "the owner to renew its lease");
    expect((await other.server.platform.sweeper.sweep())?.expired).not.toContain(run.id);
    expect((await alice.api.get(`/api/executions/${run.id}`)).body.status).toBe("RUNNING");

    // Stopped through the process that does not execute it: it ends at once, and its owner lets go.
    const otherApi = client(other.url, { authorization: `Bearer ${alice.tokens.access_token}` });
    const stopped = await otherApi.post(`/api/executions/${run.id}/stop`);
    expect(stopped.body.status).toBe("TERMINATED");
    await until(() => !owner.server.platform.executor?.owns(run.id), "the owner to stop executing the run");
    const final = (await alice.api.get(`/api/executions/${run.id}`)).body;
    expect(final).toMatchObject({ status: "TERMINATED", stats: { error: "Execution was stopped" } });
  });
});

describe("node results that cannot be stored", () => {
  let t: TestServer;
  let alice: Awaited<ReturnType<typeof signUp>>;
  let calc: { id: string; version: number };
  const CALCULATOR = "b1ab9b19-67a6-406d-abf5-2dba76d00c79";

  beforeAll(async () => {
    t = await startTestServer();
    alice = await signUp(t.url);
    calc = await create(alice.api, calculatorGraph());
    // A storage fault to arm: the next insert fails once, or every row of one block fails.
    for (const statement of [
      "create sequence node_write_attempts",
      "create table node_write_faults (fail_until bigint not null default 0, block_id text)",
      "insert into node_write_faults default values",
      `create function node_write_fault() returns trigger language plpgsql as $$
       declare f node_write_faults;
       begin
         select * into f from node_write_faults;
         if new.block_id = f.block_id or nextval('node_write_attempts') <= f.fail_until then
           raise exception 'simulated storage failure';
         end if;
         return new;
       end $$`,
      "create trigger node_write_fault before insert on node_executions for each row execute function node_write_fault()",
    ]) {
      await t.server.platform.database.db.execute(sql.raw(statement));
    }
  });
  afterAll(() => t?.close());

  const arm = (statement: string) => t.server.platform.database.db.execute(sql.raw(statement));

  it("a write that fails once is retried: the run completes with every node execution stored", async () => {
    await arm("update node_write_faults set fail_until = nextval('node_write_attempts') + 1, block_id = null");
    const run = await execute(alice.api, calc, { Input: 8 });
    const done = await waitFor(alice.api, run.id, ended);
    expect(done).toMatchObject({ status: "COMPLETED", outputs: { Output: [42] }, stats: { error: null } });
    expect(done.node_executions).toHaveLength(3);
  });

  it("rows that still cannot be stored end the run FAILED, saying so, not COMPLETED with nodes missing", async () => {
    await arm(`update node_write_faults set fail_until = 0, block_id = '${CALCULATOR}'`);
    const run = await execute(alice.api, calc, { Input: 8 });
    const done = await waitFor(alice.api, run.id, ended);
    expect(done.status).toBe("FAILED");
    expect(done.stats.error).toBe("Node results could not be stored: simulated storage failure");
    expect(done.node_executions.map((n: { block_id: string }) => n.block_id)).not.toContain(CALCULATOR);
    await arm("update node_write_faults set block_id = null");
    const next = await waitFor(alice.api, (await execute(alice.api, calc, { Input: 1 })).id, ended);
    expect(next.status).toBe("COMPLETED");
  });
});

describe.each(["pglite", "postgres"] as const)("kill -9 with runs in flight, on %s", (kind) => {
  const dataDir = kind === "pglite" ? freshDataDir() : fs.mkdtempSync(path.join(os.tmpdir(), "agentry-test-"));
  let dropDb: (() => Promise<void>) | undefined;
  const env: Record<string, string> = {
    EXECUTOR_WORKER_CONCURRENCY: "1",
    EXECUTOR_LEASE_TTL_SECONDS: "2",
    EXECUTOR_HEARTBEAT_SECONDS: "0.5",
    EXECUTOR_SWEEP_INTERVAL_SECONDS: "0.5",
    EXECUTOR_SHUTDOWN_GRACE_SECONDS: "0",
    JWT_SECRET: "a-jwt-secret-for-the-crash-recovery-test-0123456789",
  };
  beforeAll(async () => {
    if (kind === "postgres") {
      const throwaway = await createThrowawayDatabase();
      env.DATABASE_URL = throwaway.url;
      dropDb = throwaway.drop;
    }
  });
  afterAll(async () => {
    fs.rmSync(dataDir, { recursive: true, force: true });
    await dropDb?.();
  });

  it("after a restart every run ends or re-runs: none is left QUEUED or RUNNING", async () => {
    const first = await serveProcess(["--data-dir", dataDir], env);
    let alice!: Awaited<ReturnType<typeof signUp>>;
    const ids: Record<string, string> = {};
    let slow: { id: string };
    try {
      alice = await signUp(first.url);
      slow = await create(alice.api, slowGraph(600));
      const parent = await create(alice.api, parentGraph(slow as never, alice.user.id));
      const calc = await create(alice.api, calculatorGraph());
      // One run at a time (EXECUTOR_WORKER_CONCURRENCY=1): the parent runs, with its child, the rest wait.
      ids.parent = (await execute(alice.api, parent, { message: "hi" })).id;
      await until(async () => {
        const children = await alice.api.get(`/api/executions?graph_id=${slow.id}`);
        return children.body.some((r: { status: string }) => r.status === "RUNNING");
      }, "the sub-execution to run");
      ids.child = (await alice.api.get(`/api/executions?graph_id=${slow.id}`)).body[0].id;
      ids.queued1 = (await execute(alice.api, calc, { Input: 8 })).id;
      ids.queued2 = (await execute(alice.api, calc, { Input: 1 })).id;
      const before = await alice.api.get("/api/executions");
      expect(Object.fromEntries(before.body.map((r: { id: string; status: string }) => [r.id, r.status]))).toEqual({
        [ids.parent as string]: "RUNNING",
        [ids.child as string]: "RUNNING",
        [ids.queued1 as string]: "QUEUED",
        [ids.queued2 as string]: "QUEUED",
      });
    } finally {
      first.child.kill("SIGKILL");
      await first.exited;
    }

    const second = await serveProcess(["--data-dir", dataDir], env);
    try {
      const api = client(second.url, { authorization: `Bearer ${alice.tokens.access_token}` });
      const runs = Object.fromEntries(
        await Promise.all(Object.entries(ids).map(async ([name, id]) => [name, await waitFor(api, id, ended, 60_000)])),
      );
      expect(runs.parent).toMatchObject({ status: "FAILED", stats: { error: LEASE_EXPIRED_REASON } });
      expect(runs.child).toMatchObject({ status: "FAILED", stats: { error: LEASE_EXPIRED_REASON } });
      expect(runs.queued1).toMatchObject({ status: "COMPLETED", outputs: { Output: [42] } });
      expect(runs.queued2).toMatchObject({ status: "COMPLETED", outputs: { Output: [35] } });
      const all = await api.get("/api/executions");
      expect(all.body.filter((r: { status: string }) => !TERMINAL.includes(r.status))).toEqual([]);
      expect((await api.delete(`/api/executions/${ids.parent}`)).status).toBe(204);
      expect(runs.parent.stats.error).not.toBe(SHUTDOWN_REASON);
    } finally {
      second.child.kill("SIGTERM");
      expect(await second.exited).toBe(0);
    }
  }, 240_000);
});
