// Graph and node executions: status rows a recovery sweep can trust, and one row per finished node execution.
import { and, asc, count, desc, eq, gte, inArray, lte, type SQL, sql } from "drizzle-orm";
import type { ExecutionStatus } from "../../../engine/types.js";
import type { Db } from "../index.js";
import { graphExecutions, nodeExecutions } from "../schema.js";

export type GraphExecutionRow = typeof graphExecutions.$inferSelect;
export type NodeExecutionRow = typeof nodeExecutions.$inferSelect;
export type NewNodeExecution = typeof nodeExecutions.$inferInsert;

/** The API views of these rows are the engine's (a re-export for the route files that map rows). */
export { toGraphExecution, toNodeExecutionResult } from "../../../engine/records.js";

export async function insertGraphExecution(
  db: Db,
  values: typeof graphExecutions.$inferInsert,
): Promise<GraphExecutionRow> {
  const [row] = await db.insert(graphExecutions).values(values).returning();
  return row as GraphExecutionRow;
}

export async function updateGraphExecution(
  db: Db,
  id: string,
  values: Partial<typeof graphExecutions.$inferInsert>,
  onlyIfStatusIn?: ExecutionStatus[],
): Promise<GraphExecutionRow | undefined> {
  const where = onlyIfStatusIn
    ? and(eq(graphExecutions.id, id), inArray(graphExecutions.status, onlyIfStatusIn))
    : eq(graphExecutions.id, id);
  const [row] = await db
    .update(graphExecutions)
    .set({ ...values, updatedAt: new Date() })
    .where(where)
    .returning();
  return row;
}

export async function insertNodeExecutions(db: Db, rows: NewNodeExecution[]): Promise<void> {
  if (rows.length === 0) return;
  // Ids are random: a conflict is a retried write that had been stored (left as it is), or a node execution a run
  // left waiting (INCOMPLETE, or parked in REVIEW) that the resumed run has now finished.
  await db
    .insert(nodeExecutions)
    .values(rows)
    .onConflictDoUpdate({
      target: nodeExecutions.id,
      set: {
        status: sql`excluded.status`,
        inputData: sql`excluded.input_data`,
        outputData: sql`excluded.output_data`,
        stats: sql`excluded.stats`,
        queuedAt: sql`excluded.queued_at`,
        startedAt: sql`excluded.started_at`,
        endedAt: sql`excluded.ended_at`,
      },
      setWhere: inArray(nodeExecutions.status, ["INCOMPLETE", "REVIEW"]),
    });
}

export async function findGraphExecution(db: Db, id: string, userId?: string): Promise<GraphExecutionRow | undefined> {
  const conditions: SQL[] = [eq(graphExecutions.id, id), eq(graphExecutions.isDeleted, false)];
  if (userId) conditions.push(eq(graphExecutions.userId, userId));
  const [row] = await db
    .select()
    .from(graphExecutions)
    .where(and(...conditions))
    .limit(1);
  return row;
}

export async function listGraphExecutions(
  db: Db,
  userId: string,
  filter: { graphId?: string; status?: ExecutionStatus[]; page: number; pageSize: number },
): Promise<{ rows: GraphExecutionRow[]; total: number }> {
  return listRuns(db, userId, {
    graphId: filter.graphId,
    statuses: filter.status,
    offset: (filter.page - 1) * filter.pageSize,
    limit: filter.pageSize,
  });
}

export interface RunFilter {
  graphId?: string;
  statuses?: ExecutionStatus[];
  createdFrom?: Date;
  createdUntil?: Date;
  offset: number;
  limit: number;
}

/** The user's runs filtered by graph, statuses and creation time (both ends included), newest first. */
export async function listRuns(
  db: Db,
  userId: string,
  filter: RunFilter,
): Promise<{ rows: GraphExecutionRow[]; total: number }> {
  const conditions: SQL[] = [eq(graphExecutions.userId, userId), eq(graphExecutions.isDeleted, false)];
  if (filter.graphId) conditions.push(eq(graphExecutions.graphId, filter.graphId));
  if (filter.statuses?.length) conditions.push(inArray(graphExecutions.status, filter.statuses));
  if (filter.createdFrom) conditions.push(gte(graphExecutions.createdAt, filter.createdFrom));
  if (filter.createdUntil) conditions.push(lte(graphExecutions.createdAt, filter.createdUntil));
  const where = and(...conditions);
  const [rows, [total]] = await Promise.all([
    db
      .select()
      .from(graphExecutions)
      .where(where)
      .orderBy(desc(graphExecutions.createdAt), desc(graphExecutions.id))
      .limit(filter.limit)
      .offset(filter.offset),
    db.select({ n: count() }).from(graphExecutions).where(where),
  ]);
  return { rows, total: Number(total?.n ?? 0) };
}

/**
 * A run's node executions in the order they were created, one page at a time: LIMIT/OFFSET on the
 * (graph_execution_id, seq) index, so a run with millions of them costs one page of rows.
 */
export async function listNodeExecutions(
  db: Db,
  graphExecutionId: string,
  page: { offset: number; limit: number },
): Promise<NodeExecutionRow[]> {
  return db
    .select()
    .from(nodeExecutions)
    .where(eq(nodeExecutions.graphExecutionId, graphExecutionId))
    .orderBy(asc(nodeExecutions.seq))
    .limit(page.limit)
    .offset(page.offset);
}

export async function countNodeExecutions(db: Db, graphExecutionId: string): Promise<number> {
  const [row] = await db
    .select({ n: count() })
    .from(nodeExecutions)
    .where(eq(nodeExecutions.graphExecutionId, graphExecutionId));
  return Number(row?.n ?? 0);
}

export async function softDeleteGraphExecution(db: Db, userId: string, id: string): Promise<boolean> {
  const rows = await db
    .update(graphExecutions)
    .set({ isDeleted: true, updatedAt: new Date() })
    .where(and(eq(graphExecutions.id, id), eq(graphExecutions.userId, userId), eq(graphExecutions.isDeleted, false)))
    .returning({ id: graphExecutions.id });
  return rows.length === 1;
}

/** Runs a previous process left QUEUED or RUNNING (crash or restart). */
export async function findUnfinishedExecutions(db: Db): Promise<GraphExecutionRow[]> {
  return db
    .select()
    .from(graphExecutions)
    .where(inArray(graphExecutions.status, ["QUEUED", "RUNNING", "INCOMPLETE"]))
    .orderBy(asc(graphExecutions.createdAt));
}
