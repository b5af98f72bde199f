// The contract of the engine's storage ports (ExecutionStore, ScheduleStore): the same assertions run against
// embedded PGlite and a real PostgreSQL. Two store objects on one database stand for two worker processes.
import { randomUUID } from "node:crypto";
import { setTimeout as sleep } from "node:timers/promises";
import { inArray } from "drizzle-orm";
import { afterAll, afterEach, beforeAll, expect, it } from "vitest";
import { newId } from "../../src/auth/tokens.js";
import type { ExecutionStore, NewRun, NodeExecutionWrite, RunRecord, ScheduleStore } from "../../src/engine/ports.js";
import type { Database } from "../../src/infra/db/index.js";
import { createSchedule } from "../../src/infra/db/repos/schedules.js";
import * as users from "../../src/infra/db/repos/users.js";
import { graphExecutions, nodeExecutions } from "../../src/infra/db/schema.js";
import { SqlExecutionStore } from "../../src/infra/db/stores/execution-store.js";
import { SqlScheduleStore } from "../../src/infra/db/stores/schedule-store.js";

const EMPTY_STATS = {
  cost: 0,
  duration: 0,
  duration_cpu_only: 0,
  node_exec_time: 0,
  node_exec_time_cpu_only: 0,
  node_exec_count: 0,
  node_error_count: 0,
  error: null,
  activity_status: null,
  correctness_score: null,
};
const MINUTE = 60_000;
/** Lease clocks far from the real one, so the sweeps of one test never see another test's leases as expired. */
const EPOCH = Date.parse("2001-02-03T04:05:06.789Z");
const at = (minutes: number) => new Date(EPOCH + minutes * MINUTE);

export interface StoreContractOptions {
  /**
   * Whether the database serves several sessions at once (PostgreSQL). PGlite has one connection: a second
   * leader attempt waits for the first transaction to end instead of finding the lock taken.
   */
  concurrentSessions: boolean;
}

export function executionStoreContract(
  options: StoreContractOptions,
  open: () => Promise<{ database: Database; cleanup(): Promise<void> }>,
) {
  let database: Database;
  let cleanup: () => Promise<void>;
  let store: ExecutionStore;
  let other: ExecutionStore;
  let userId: string;
  beforeAll(async () => {
    ({ database, cleanup } = await open());
    store = new SqlExecutionStore(database.db);
    other = new SqlExecutionStore(database.db);
    userId = await user();
  });
  afterAll(async () => {
    await database?.close();
    await cleanup?.();
  });
  // Every test starts with no run waiting or running: the sweeper's statements look at all of them.
  afterEach(async () => {
    await database.db
      .update(graphExecutions)
      .set({ status: "TERMINATED", workerId: null })
      .where(inArray(graphExecutions.status, ["QUEUED", "RUNNING", "INCOMPLETE", "REVIEW"]));
  });

  async function user() {
    const row = await users.insertUser(database.db, { id: newId(), email: `s-${newId()}@example.com` });
    return row?.id as string;
  }

  function queued(extra: Partial<NewRun> = {}): Promise<RunRecord> {
    return store.createRun({
      id: randomUUID(),
      graphId: "graph-1",
      graphVersion: 3,
      userId,
      status: "QUEUED",
      inputs: { x: 1 },
      ...extra,
    });
  }

  function node(runId: string, seq: number, extra: Partial<NodeExecutionWrite> = {}): NodeExecutionWrite {
    return {
      id: randomUUID(),
      graphExecutionId: runId,
      nodeId: `n${seq}`,
      blockId: "block-1",
      status: "COMPLETED",
      inputData: { in: seq },
      outputData: { out: [seq] },
      stats: null,
      addedAt: at(seq),
      queuedAt: at(seq),
      startedAt: at(seq),
      endedAt: at(seq + 1),
      seq,
      ...extra,
    };
  }

  it("records a run's life: created QUEUED, claimed RUNNING under a lease, finished with its outcome", async () => {
    const created = await queued({ presetId: "preset-1", credentialInputs: { sealed: true } });
    expect(created).toMatchObject({
      graphId: "graph-1",
      graphVersion: 3,
      userId,
      presetId: "preset-1",
      parentGraphExecutionId: null,
      status: "QUEUED",
      inputs: { x: 1 },
      credentialInputs: { sealed: true },
      outputs: {},
      stats: null,
      isDeleted: false,
      startedAt: null,
      endedAt: null,
      workerId: null,
      heartbeatAt: null,
    });
    expect(await store.findRun(created.id)).toEqual(created);
    expect(await store.findRun(created.id, userId)).toEqual(created);
    expect(await store.findRun(created.id, await user())).toBeUndefined();

    const claimed = await store.claimRun(created.id, "worker-a", at(0));
    expect(claimed).toMatchObject({ id: created.id, status: "RUNNING", workerId: "worker-a", heartbeatAt: at(0) });
    expect(claimed?.startedAt).toBeInstanceOf(Date);

    const stats = { ...EMPTY_STATS, node_exec_count: 2 };
    const finished = await store.finishRun(created.id, "worker-a", {
      status: "COMPLETED",
      stats,
      outputs: { result: [42] },
      endedAt: at(1),
    });
    expect(finished).toMatchObject({
      status: "COMPLETED",
      stats,
      outputs: { result: [42] },
      endedAt: at(1),
      workerId: null,
    });
    expect(await store.findRun(created.id)).toEqual(finished);
    // Ended: no second finish, no claim.
    expect(
      await store.finishRun(created.id, "worker-a", { status: "FAILED", stats, outputs: {}, endedAt: at(2) }),
    ).toBeUndefined();
    expect(await store.claimRun(created.id, "worker-b", at(2))).toBeUndefined();
    expect((await store.findRun(created.id))?.status).toBe("COMPLETED");
  });

  it("ends a waiting run only while it waits, lists a user's runs newest first, and deletes softly", async () => {
    const owner = await user();
    const first = await queued({ userId: owner, graphId: "g-list" });
    await sleep(2);
    const second = await queued({ userId: owner, graphId: "g-list" });
    await sleep(2);
    const third = await queued({ userId: owner, graphId: "g-other" });

    const stopped = await store.endWaitingRun(first.id, ["QUEUED", "INCOMPLETE"], {
      status: "TERMINATED",
      stats: { error: "stopped" },
    });
    expect(stopped).toMatchObject({ id: first.id, status: "TERMINATED", stats: { error: "stopped" } });
    expect(stopped?.endedAt).toBeInstanceOf(Date);
    expect(await store.endWaitingRun(first.id, ["QUEUED"], { status: "FAILED", stats: {} })).toBeUndefined();
    await store.claimRun(second.id, "worker-a", at(0));
    expect(await store.endWaitingRun(second.id, ["QUEUED"], { status: "TERMINATED", stats: {} })).toBeUndefined();

    const page1 = await store.listRuns(owner, { page: 1, pageSize: 2 });
    expect(page1.total).toBe(3);
    expect(page1.rows.map((r) => r.id)).toEqual([third.id, second.id]);
    expect((await store.listRuns(owner, { page: 2, pageSize: 2 })).rows.map((r) => r.id)).toEqual([first.id]);
    const filtered = await store.listRuns(owner, { graphId: "g-list", status: ["RUNNING"], page: 1, pageSize: 10 });
    expect(filtered).toEqual({ rows: [expect.objectContaining({ id: second.id, status: "RUNNING" })], total: 1 });

    expect(await store.deleteRun(await user(), first.id)).toBe(false);
    expect(await store.deleteRun(owner, first.id)).toBe(true);
    expect(await store.deleteRun(owner, first.id)).toBe(false);
    expect(await store.findRun(first.id)).toBeUndefined();
    expect((await store.listRuns(owner, { page: 1, pageSize: 10 })).total).toBe(2);
  });

  it("gives a QUEUED run to exactly one of two workers claiming it at once", async () => {
    for (let i = 0; i < 5; i++) {
      const run = await queued();
      const [a, b] = await Promise.all([
        store.claimRun(run.id, "worker-a", at(0)),
        other.claimRun(run.id, "worker-b", at(0)),
      ]);
      expect([a, b].filter(Boolean)).toHaveLength(1);
      const winner = a ? "worker-a" : "worker-b";
      expect((await store.findRun(run.id))?.workerId).toBe(winner);
      // Only the owner can finish it.
      const loser = a ? other : store;
      const outcome = { status: "COMPLETED" as const, stats: EMPTY_STATS, outputs: {}, endedAt: at(1) };
      expect(await loser.finishRun(run.id, winner === "worker-a" ? "worker-b" : "worker-a", outcome)).toBeUndefined();
      expect((await (a ? store : other).finishRun(run.id, winner, outcome))?.status).toBe("COMPLETED");
    }
  });

  it("renews only the leases a worker still holds, and ends a running run whatever its lease", async () => {
    const one = await queued();
    const two = await queued();
    const three = await queued();
    await store.claimRun(one.id, "worker-a", at(0));
    await store.claimRun(two.id, "worker-a", at(0));
    await other.claimRun(three.id, "worker-b", at(0));

    const held = await store.renewLeases("worker-a", [one.id, two.id, three.id], at(5));
    expect([...held].sort()).toEqual([one.id, two.id].sort());
    expect((await store.findRun(one.id))?.heartbeatAt).toEqual(at(5));
    expect((await store.findRun(three.id))?.heartbeatAt).toEqual(at(0));
    expect(await store.renewLeases("worker-a", [], at(6))).toEqual(new Set());

    // Stopped from elsewhere: the owner's next renewal no longer holds it.
    await store.saveNodeExecutions([node(two.id, 0, { status: "RUNNING", endedAt: null }), node(two.id, 1)]);
    const ended = await other.endRunningRun(two.id, "TERMINATED", "Execution was stopped", EMPTY_STATS);
    expect(ended).toMatchObject({
      status: "TERMINATED",
      workerId: null,
      stats: { ...EMPTY_STATS, error: "Execution was stopped" },
    });
    expect(await other.endRunningRun(two.id, "TERMINATED", "again", EMPTY_STATS)).toBeUndefined();
    const nodes = await other.endUnfinishedNodes([two.id], "TERMINATED");
    expect(nodes.map((n) => [n.nodeId, n.status])).toEqual([["n0", "TERMINATED"]]);
    expect(nodes[0]?.endedAt).toBeInstanceOf(Date);
    expect([...(await store.renewLeases("worker-a", [one.id, two.id], at(10)))]).toEqual([one.id]);
  });

  it("ends the RUNNING runs whose lease expired FAILED with the reason, their unfinished nodes too", async () => {
    const stale = await queued();
    const fresh = await queued();
    const mine = await queued();
    const withStats = await queued();
    await store.claimRun(stale.id, "gone", at(0));
    await store.claimRun(fresh.id, "alive", at(9));
    await store.claimRun(mine.id, "gone", at(0));
    await store.claimRun(withStats.id, "gone", at(1));
    await database.db
      .update(graphExecutions)
      .set({ stats: { ...EMPTY_STATS, node_exec_count: 7 } })
      .where(inArray(graphExecutions.id, [withStats.id]));
    await store.saveNodeExecutions([
      node(stale.id, 0),
      node(stale.id, 1, { status: "RUNNING", endedAt: null }),
      node(stale.id, 2, { status: "QUEUED", startedAt: null, endedAt: null }),
    ]);

    const reason = "The worker running this execution stopped responding (lease expired)";
    const swept = await store.asSweepLeader(async (tx) => {
      const expired = await tx.endExpiredRuns({
        cutoff: at(5),
        exclude: [mine.id],
        reason,
        emptyStats: EMPTY_STATS,
        limit: 10,
      });
      const nodes = await tx.endUnfinishedNodes(
        expired.map((r) => r.id),
        "FAILED",
      );
      return { expired, nodes };
    });
    const expired = new Map(swept?.expired.map((r) => [r.id, r]));
    expect([...expired.keys()].sort()).toEqual([stale.id, withStats.id].sort());
    expect(expired.get(stale.id)).toMatchObject({
      status: "FAILED",
      workerId: null,
      stats: { ...EMPTY_STATS, error: reason },
    });
    expect(expired.get(stale.id)?.endedAt).toBeInstanceOf(Date);
    expect(expired.get(withStats.id)?.stats).toEqual({ ...EMPTY_STATS, node_exec_count: 7, error: reason });
    expect(swept?.nodes.map((n) => [n.nodeId, n.status]).sort()).toEqual([
      ["n1", "FAILED"],
      ["n2", "FAILED"],
    ]);
    expect((await store.listNodeExecutions(stale.id, { offset: 0, limit: 10 })).map((n) => n.status)).toEqual([
      "COMPLETED",
      "FAILED",
      "FAILED",
    ]);
    expect((await store.findRun(fresh.id))?.status).toBe("RUNNING");
    expect((await store.findRun(mine.id))?.status).toBe("RUNNING");

    // At most `limit` per sweep, oldest first; the next sweep takes the rest.
    const next = await store.asSweepLeader((tx) =>
      tx.endExpiredRuns({ cutoff: at(60), exclude: [], reason, emptyStats: EMPTY_STATS, limit: 1 }),
    );
    expect(next?.map((r) => r.id)).toEqual([fresh.id]);
    const last = await store.asSweepLeader((tx) =>
      tx.endExpiredRuns({ cutoff: at(60), exclude: [], reason, emptyStats: EMPTY_STATS, limit: 1 }),
    );
    expect(last?.map((r) => r.id)).toEqual([mine.id]);
  });

  it("holds the QUEUED runs nobody holds for the sweeping worker, once, and leaves the others", async () => {
    const unheld = await queued();
    const heldExpired = await queued({ workerId: "gone", heartbeatAt: at(0) });
    const heldAlive = await queued({ workerId: "alive", heartbeatAt: at(9) });
    const child = await queued({ parentGraphExecutionId: unheld.id });
    await sleep(5);
    const recent = await queued();
    expect(recent.createdAt.getTime()).toBeGreaterThan(unheld.createdAt.getTime());

    const options = { workerId: "sweeper", now: at(10), leaseCutoff: at(5), unheldBefore: recent.createdAt, limit: 10 };
    const orphans = await store.asSweepLeader((tx) => tx.holdOrphanedQueuedRuns(options));
    expect(orphans?.map((o) => o.id).sort()).toEqual([unheld.id, heldExpired.id].sort());
    expect(orphans?.every((o) => o.userId === userId)).toBe(true);
    for (const id of [unheld.id, heldExpired.id]) {
      expect(await store.findRun(id)).toMatchObject({ status: "QUEUED", workerId: "sweeper", heartbeatAt: at(10) });
    }
    for (const run of [heldAlive, child, recent]) {
      expect(await store.findRun(run.id)).toMatchObject({ workerId: run.workerId, heartbeatAt: run.heartbeatAt });
    }
    // Held now: another sweeper at the same moment leaves them alone.
    expect(await other.asSweepLeader((tx) => tx.holdOrphanedQueuedRuns({ ...options, workerId: "x" }))).toEqual([]);
    // The held run is claimed as usual by whoever takes its job.
    expect((await other.claimRun(unheld.id, "worker-b", at(11)))?.workerId).toBe("worker-b");
  });

  it("lets one sweeper at a time hold the leader lock", async () => {
    const events: string[] = [];
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    let entered!: () => void;
    const inside = new Promise<void>((resolve) => (entered = resolve));
    const first = store.asSweepLeader(async () => {
      events.push("a in");
      entered();
      await gate;
      events.push("a out");
      return "a";
    });
    await inside;
    const second = other.asSweepLeader(async () => {
      events.push("b in");
      return "b";
    });
    if (options.concurrentSessions) {
      // The lock is taken: the second answers at once, without sweeping.
      expect(await second).toBeUndefined();
      events.push("b refused");
      release();
      expect(await first).toBe("a");
      expect(events).toEqual(["a in", "b refused", "a out"]);
      // Released with the first's commit.
      expect(await other.asSweepLeader(async () => "b")).toBe("b");
    } else {
      // One connection: the second waits for the first to end, then leads.
      await sleep(20);
      release();
      expect(await first).toBe("a");
      expect(await second).toBe("b");
      expect(events).toEqual(["a in", "a out", "b in"]);
    }
  });

  it("the leader's writes commit together: a sweep that throws changes nothing", async () => {
    const run = await queued();
    await store.claimRun(run.id, "gone", at(0));
    await expect(
      store.asSweepLeader(async (tx) => {
        await tx.endExpiredRuns({ cutoff: at(5), exclude: [], reason: "r", emptyStats: EMPTY_STATS, limit: 10 });
        throw new Error("sweep failed midway");
      }),
    ).rejects.toThrow("sweep failed midway");
    expect(await store.findRun(run.id)).toMatchObject({ status: "RUNNING", workerId: "gone" });
  });

  it("stores node executions once, and pages them in creation order", async () => {
    const run = await queued();
    const otherRun = await queued();
    const rows = Array.from({ length: 25 }, (_, i) => node(run.id, i));
    // Written out of order and in two batches, one row written twice (a retried write).
    await store.saveNodeExecutions([...rows.slice(12)].reverse());
    await store.saveNodeExecutions([...rows.slice(0, 12), rows[20] as NodeExecutionWrite, node(otherRun.id, 3)]);
    await store.saveNodeExecutions([]);
    expect(await store.countNodeExecutions(run.id)).toBe(25);
    expect(await store.countNodeExecutions(otherRun.id)).toBe(1);
    expect(await store.countNodeExecutions(randomUUID())).toBe(0);

    const page = await store.listNodeExecutions(run.id, { offset: 10, limit: 10 });
    expect(page.map((n) => n.seq)).toEqual([10, 11, 12, 13, 14, 15, 16, 17, 18, 19]);
    expect(page[0]).toEqual({ ...rows[10], stats: null });
    expect((await store.listNodeExecutions(run.id, { offset: 20, limit: 10 })).map((n) => n.nodeId)).toEqual([
      "n20",
      "n21",
      "n22",
      "n23",
      "n24",
    ]);
    expect(await store.listNodeExecutions(run.id, { offset: 25, limit: 10 })).toEqual([]);
  });

  it("says why a write failed without the values it carried", async () => {
    const secret = `secret-${randomUUID()}`;
    const err = await store.saveNodeExecutions([node(secret, 0)]).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(Error);
    const message = store.failureMessage(err);
    expect(message).toBe('insert or update on table "…" violates foreign key constraint "…"');
    expect(message).not.toContain(secret);
    const rows = await database.db
      .select()
      .from(nodeExecutions)
      .where(inArray(nodeExecutions.graphExecutionId, [secret]));
    expect(rows).toEqual([]);
  });

  it("finds due schedules, oldest tick first, and gives each tick to exactly one of two claimers", async () => {
    const schedules: ScheduleStore = new SqlScheduleStore(database.db);
    const others: ScheduleStore = new SqlScheduleStore(database.db);
    const make = (name: string, nextRunAt: Date | null) =>
      createSchedule(database.db, userId, {
        graphId: "graph-1",
        graphVersion: 3,
        name,
        cron: "0 * * * *",
        timezone: "UTC",
        inputs: { x: name },
        credentials: {},
        nextRunAt,
      });
    const later = await make("later", at(30));
    const due = await make("due", at(20));
    await make("never", null);
    await make("future", at(90));

    expect((await schedules.findDue(at(30), 10)).map((s) => s.name)).toEqual(["due", "later"]);
    expect((await schedules.findDue(at(30), 1)).map((s) => s.name)).toEqual(["due"]);
    expect(await schedules.findDue(at(19), 10)).toEqual([]);

    const [a, b] = await Promise.all([
      schedules.claimTick(due.id, at(20), at(80)),
      others.claimTick(due.id, at(20), at(80)),
    ]);
    expect([a, b].filter(Boolean)).toHaveLength(1);
    expect(a ?? b).toMatchObject({ id: due.id, lastFiredFor: at(20), nextRunAt: at(80) });
    // The tick is gone: a claim of it again (a slow process) gets nothing; the schedule moved on.
    expect(await schedules.claimTick(due.id, at(20), at(80))).toBeUndefined();
    expect((await schedules.findDue(at(30), 10)).map((s) => s.name)).toEqual(["later"]);
    expect((await schedules.claimTick(later.id, at(30), null))?.nextRunAt).toBeNull();
    expect((await schedules.findDue(at(100), 10)).map((s) => s.name)).toEqual(["due", "future"]);
  });
}
