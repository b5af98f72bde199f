// Run ownership in the database: the lease a process holds on the runs it executes or has queued, and the
// statements the sweeper uses to recover the runs whose owner went away. Every write here is conditional, so two
// processes racing on one run cannot both win.
import { and, asc, eq, inArray, isNotNull, isNull, lt, notInArray, or, type SQL, sql } from "drizzle-orm";
import type { ExecutionStatus, GraphExecutionStats } from "../../../engine/types.js";
import type { Db } from "../index.js";
import { graphExecutions, nodeExecutions } from "../schema.js";
import type { GraphExecutionRow, NodeExecutionRow } from "./executions.js";

/** The advisory lock only the sweeping process holds (the migration lock is 804006). */
export const SWEEPER_LOCK = 804007;

/**
 * Runs `sweep` inside a transaction that holds the sweeper's advisory lock, or returns undefined at once when
 * another process is sweeping. A transaction-scoped lock needs no dedicated session: it works the same through
 * the pg pool (the transaction has its own connection) and on PGlite's single connection, and it is released by
 * the commit, or by PostgreSQL when the sweeping process dies.
 */
export async function asSweepLeader<T>(db: Db, sweep: (tx: Db) => Promise<T>): Promise<T | undefined> {
  return db.transaction(async (tx) => {
    const result = await tx.execute(sql`select pg_try_advisory_xact_lock(${SWEEPER_LOCK}) as leader`);
    const rows = (Array.isArray(result) ? result : (result as { rows: unknown[] }).rows) as Array<{ leader: boolean }>;
    if (!rows[0]?.leader) return undefined;
    return sweep(tx as unknown as Db);
  });
}

/** Takes a QUEUED run for this worker: the one conditional update that makes a job run at most once. */
export async function claimQueuedRun(db: Db, id: string, workerId: string, now: Date) {
  const [row] = await db
    .update(graphExecutions)
    .set({ status: "RUNNING", startedAt: new Date(), workerId, heartbeatAt: now, updatedAt: new Date() })
    .where(and(eq(graphExecutions.id, id), eq(graphExecutions.status, "QUEUED")))
    .returning();
  return row;
}

/**
 * Renews the lease of this worker's running runs in one statement; returns the ids it still holds. A run missing
 * from the answer was taken away (stopped from another process, or swept after a stall).
 */
export async function renewLeases(db: Db, workerId: string, ids: string[], now: Date): Promise<Set<string>> {
  if (ids.length === 0) return new Set();
  const rows = await db
    .update(graphExecutions)
    .set({ heartbeatAt: now })
    .where(
      and(
        inArray(graphExecutions.id, ids),
        eq(graphExecutions.workerId, workerId),
        eq(graphExecutions.status, "RUNNING"),
      ),
    )
    .returning({ id: graphExecutions.id });
  return new Set(rows.map((r) => r.id));
}

/** Records the end of a run this worker still owns; undefined when the lease was lost meanwhile. */
export async function finishOwnedRun(
  db: Db,
  id: string,
  workerId: string,
  values: { status: ExecutionStatus; stats: unknown; outputs: unknown; endedAt: Date | null },
): Promise<GraphExecutionRow | undefined> {
  const [row] = await db
    .update(graphExecutions)
    .set({ ...values, workerId: null, updatedAt: new Date() })
    .where(
      and(eq(graphExecutions.id, id), eq(graphExecutions.status, "RUNNING"), eq(graphExecutions.workerId, workerId)),
    )
    .returning();
  return row;
}

/** `stats` with `error` set, starting from `empty` when the run never wrote any. */
function statsWithError(empty: GraphExecutionStats, reason: string): SQL {
  return sql`coalesce(${graphExecutions.stats}, ${JSON.stringify(empty)}::jsonb) || jsonb_build_object('error', ${reason}::text)`;
}

/** Ends the RUNNING runs whose lease expired before `cutoff` (except those in `exclude`); returns them. */
export async function endExpiredRuns(
  db: Db,
  options: { cutoff: Date; exclude: string[]; reason: string; emptyStats: GraphExecutionStats; limit: number },
): Promise<GraphExecutionRow[]> {
  const expired = and(
    eq(graphExecutions.status, "RUNNING"),
    or(isNull(graphExecutions.heartbeatAt), lt(graphExecutions.heartbeatAt, options.cutoff)),
    options.exclude.length > 0 ? notInArray(graphExecutions.id, options.exclude) : undefined,
  );
  const ids = db
    .select({ id: graphExecutions.id })
    .from(graphExecutions)
    .where(expired)
    .orderBy(asc(graphExecutions.createdAt))
    .limit(options.limit);
  return db
    .update(graphExecutions)
    .set({
      status: "FAILED",
      endedAt: new Date(),
      workerId: null,
      stats: statsWithError(options.emptyStats, options.reason),
      updatedAt: new Date(),
    })
    .where(and(inArray(graphExecutions.id, ids), expired))
    .returning();
}

/** Ends one RUNNING run no live executor here owns (stop on an orphan, or on a run owned elsewhere). */
export async function endRunningRun(
  db: Db,
  id: string,
  status: ExecutionStatus,
  reason: string,
  emptyStats: GraphExecutionStats,
): Promise<GraphExecutionRow | undefined> {
  const [row] = await db
    .update(graphExecutions)
    .set({
      status,
      endedAt: new Date(),
      workerId: null,
      stats: statsWithError(emptyStats, reason),
      updatedAt: new Date(),
    })
    .where(and(eq(graphExecutions.id, id), eq(graphExecutions.status, "RUNNING")))
    .returning();
  return row;
}

/** Node executions of ended runs that were still waiting or running end with the run. */
export async function endUnfinishedNodes(
  db: Db,
  runIds: string[],
  status: ExecutionStatus,
): Promise<NodeExecutionRow[]> {
  if (runIds.length === 0) return [];
  return db
    .update(nodeExecutions)
    .set({ status, endedAt: new Date() })
    .where(and(inArray(nodeExecutions.graphExecutionId, runIds), inArray(nodeExecutions.status, ["QUEUED", "RUNNING"])))
    .returning();
}

/**
 * QUEUED top-level runs nobody holds: held by a worker whose lease expired, or by nobody and created before
 * `unheldBefore` (the grace that lets the process that created a run queue it itself). Each one is held for
 * `workerId` from `now`, so another sweeper leaves it alone while this process runs it (a run that waits in this
 * process's queue longer than the lease is simply held again by its next sweep).
 */
export async function holdOrphanedQueuedRuns(
  db: Db,
  options: { workerId: string; now: Date; leaseCutoff: Date; unheldBefore: Date; limit: number },
): Promise<Array<{ id: string; userId: string }>> {
  const orphaned = and(
    eq(graphExecutions.status, "QUEUED"),
    isNull(graphExecutions.parentGraphExecutionId),
    or(
      and(isNotNull(graphExecutions.workerId), lt(graphExecutions.heartbeatAt, options.leaseCutoff)),
      and(isNull(graphExecutions.workerId), lt(graphExecutions.createdAt, options.unheldBefore)),
    ),
  );
  const ids = db
    .select({ id: graphExecutions.id })
    .from(graphExecutions)
    .where(orphaned)
    .orderBy(asc(graphExecutions.createdAt))
    .limit(options.limit);
  return db
    .update(graphExecutions)
    .set({ workerId: options.workerId, heartbeatAt: options.now })
    .where(and(inArray(graphExecutions.id, ids), orphaned))
    .returning({ id: graphExecutions.id, userId: graphExecutions.userId });
}
